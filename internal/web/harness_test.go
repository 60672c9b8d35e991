package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"atrium/internal/config"
	"atrium/internal/server"
)

const (
	adminEmail    = "admin@example.com"
	adminPassword = "Correct-Horse-Battery-9"
	sessionCookie = "clearml_token_basic"
	wantCSP       = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' " +
		"data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

// harness is a whole Atrium server running in-process on a loopback port.
type harness struct {
	t   *testing.T
	srv *server.Server
	url string
}

// start runs a server with a fresh data directory until the test ends. tweak, when given,
// adjusts the configuration first.
func start(t *testing.T, tweak ...func(*config.Config)) *harness {
	t.Helper()
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.Data = t.TempDir()
	cfg.AdminEmail = adminEmail
	cfg.AdminPassword = adminPassword
	for _, f := range tweak {
		f(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := server.Open(ctx, cfg, log, server.Build{Version: "test"})
	if err != nil {
		cancel()
		t.Fatalf("open server: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return &harness{t: t, srv: srv, url: srv.URL()}
}

// agent is one browser without scripts: a cookie jar, and redirects left to the test.
type agent struct {
	h      *harness
	client *http.Client
}

func (h *harness) agent() *agent {
	jar, err := cookiejar.New(nil)
	if err != nil {
		h.t.Fatal(err)
	}
	return &agent{h: h, client: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}}
}

// page is a response with its body parsed.
type page struct {
	status int
	header http.Header
	body   string
	doc    *html.Node
}

func (a *agent) do(req *http.Request) *page {
	a.h.t.Helper()
	resp, err := a.client.Do(req)
	if err != nil {
		a.h.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		a.h.t.Fatalf("read %s: %v", req.URL.Path, err)
	}
	p := &page{status: resp.StatusCode, header: resp.Header, body: string(body)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		if p.doc, err = html.Parse(strings.NewReader(p.body)); err != nil {
			a.h.t.Fatalf("parse %s: %v", req.URL.Path, err)
		}
	}
	return p
}

func (a *agent) get(path string) *page {
	a.h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, a.h.url+path, nil)
	if err != nil {
		a.h.t.Fatal(err)
	}
	return a.do(req)
}

// post sends a form as a same-origin browser would, with an Origin header.
func (a *agent) post(path string, form url.Values) *page {
	a.h.t.Helper()
	return a.postFrom(a.h.url, path, form)
}

func (a *agent) postFrom(origin, path string, form url.Values) *page {
	a.h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, a.h.url+path, strings.NewReader(form.Encode()))
	if err != nil {
		a.h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	return a.do(req)
}

// login signs in through the form and fails the test unless it is redirected.
func (a *agent) login(email, password string) {
	a.h.t.Helper()
	p := a.tryLogin(email, password, "")
	if p.status != http.StatusSeeOther {
		a.h.t.Fatalf("sign in as %s: status %d, want 303; body:\n%s", email, p.status, p.body)
	}
}

func (a *agent) tryLogin(email, password, next string) *page {
	a.h.t.Helper()
	form := url.Values{"csrf": {a.get("/login").inputValue("csrf")}, "email": {email},
		"password": {password}}
	if next != "" {
		form.Set("next", next)
	}
	return a.post("/login", form)
}

// csrf reads the session's form token from a page.
func (a *agent) csrf() string {
	a.h.t.Helper()
	v := a.get("/settings/profile").inputValue("csrf")
	if v == "" {
		a.h.t.Fatal("no csrf token on /settings/profile")
	}
	return v
}

// token is the agent's session token.
func (a *agent) token() string {
	u, _ := url.Parse(a.h.url)
	for _, c := range a.client.Jar.Cookies(u) {
		if c.Name == sessionCookie {
			return c.Value
		}
	}
	return ""
}

// api calls a JSON API endpoint and decodes the envelope's data.
func (a *agent) api(path string, body any) (int, map[string]any) {
	a.h.t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		a.h.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, a.h.url+path, strings.NewReader(string(raw)))
	if err != nil {
		a.h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sec-Fetch-Site", "same-origin") // as the browser sends on its own pages
	resp, err := a.client.Do(req)
	if err != nil {
		a.h.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	var env struct {
		Data map[string]any `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		a.h.t.Fatalf("decode %s: %v", path, err)
	}
	return resp.StatusCode, env.Data
}

// basicLogin calls auth.login with an access key pair and returns the status.
func (h *harness) basicLogin(key, secret string) int {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.url+"/auth.login", nil)
	if err != nil {
		h.t.Fatal(err)
	}
	req.SetBasicAuth(key, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("auth.login: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// HTML helpers -------------------------------------------------------------------------

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// findAll returns every element under n for which match is true, in document order.
func findAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	if n != nil {
		walk(n)
	}
	return out
}

func hasAttr(key, val string) func(*html.Node) bool {
	return func(n *html.Node) bool {
		v, ok := attr(n, key)
		return ok && v == val
	}
}

func hasClass(class string) func(*html.Node) bool {
	return func(n *html.Node) bool {
		v, _ := attr(n, "class")
		for _, c := range strings.Fields(v) {
			if c == class {
				return true
			}
		}
		return false
	}
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// inputValue is the value of the first input with the name.
func (p *page) inputValue(name string) string {
	for _, n := range findAll(p.doc, hasAttr("name", name)) {
		v, _ := attr(n, "value")
		return v
	}
	return ""
}

// byID returns the element with the id, or nil.
func (p *page) byID(id string) *html.Node {
	if nodes := findAll(p.doc, hasAttr("id", id)); len(nodes) > 0 {
		return nodes[0]
	}
	return nil
}

// texts returns the text of every element with the class.
func (p *page) texts(class string) []string {
	var out []string
	for _, n := range findAll(p.doc, hasClass(class)) {
		out = append(out, text(n))
	}
	return out
}

// title is the page's h1.
func (p *page) title() string {
	for _, n := range findAll(p.doc, func(n *html.Node) bool { return n.Data == "h1" }) {
		return text(n)
	}
	return ""
}

func (p *page) location() string { return p.header.Get("Location") }

func wantStatus(t *testing.T, p *page, want int) {
	t.Helper()
	if p.status != want {
		t.Fatalf("status = %d, want %d; body:\n%s", p.status, want, p.body)
	}
}
