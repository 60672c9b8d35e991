package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// settingsPages are the pages a signed-in user can open.
var settingsPages = []string{"/settings/profile", "/settings/configuration",
	"/settings/workspace", "/logout", "/settings/no-such-page", "/settings/users",
	"/settings/groups", "/settings/groups/new", "/settings/service-accounts",
	"/settings/vaults", "/settings/vaults/new", "/settings/vaults/activity",
	"/settings/effective-config"}

func TestSecurityHeadersOnEveryUIResponse(t *testing.T) {
	h := start(t)
	a := h.agent()
	signedOut := []string{"/login", "/", "/settings/profile", "/invite/not-a-token"}
	a.login(adminEmail, adminPassword)
	for _, path := range append(signedOut, settingsPages...) {
		t.Run(path, func(t *testing.T) {
			p := a.get(path)
			if got := p.header.Get("Content-Security-Policy"); got != wantCSP {
				t.Errorf("CSP = %q, want %q", got, wantCSP)
			}
			if got := p.header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q", got)
			}
			if got := p.header.Get("Referrer-Policy"); got != "same-origin" {
				t.Errorf("Referrer-Policy = %q", got)
			}
		})
	}
}

func TestPagesHaveNoInlineScriptOrStyleAndUniqueIDs(t *testing.T) {
	h := startVaults(t)
	a := h.agent()
	pages := map[string]*page{"/login": a.get("/login")}
	a.login(adminEmail, adminPassword)
	for _, path := range settingsPages {
		pages[path] = a.get(path)
	}
	id := addVault(t, a, vaultForm("CSP check", "workspace", "", "hocon", "a.b = 1\n"))
	for _, path := range []string{"/settings/vaults", "/settings/vaults/" + id,
		"/settings/vaults/" + id + "/history", "/settings/vaults/" + id + "/restore?version=1",
		"/settings/vaults/activity", "/settings/effective-config"} {
		pages["with a vault: "+path] = a.get(path)
	}
	pages["vault syntax error"] = a.savePersonal("", 0, "hocon", "a {\n", true)
	invited := a.invite("csp@example.com", "user")
	pages["invitation links"] = invited
	pages["/invite/{token}"] = h.agent().get(linkPath(t, inviteLinks(t, invited)[0]))
	for path, p := range pages {
		t.Run(path, func(t *testing.T) {
			if p.doc == nil {
				t.Fatalf("not HTML: %s", p.header.Get("Content-Type"))
			}
			ids := map[string]bool{}
			for _, n := range findAll(p.doc, func(*html.Node) bool { return true }) {
				if id, ok := attr(n, "id"); ok {
					if ids[id] {
						t.Errorf("id %q is used twice", id)
					}
					ids[id] = true
				}
				if n.Data == "script" || n.Data == "style" {
					if src, ok := attr(n, "src"); n.Data == "style" || !ok || src == "" {
						t.Errorf("inline <%s> element", n.Data)
					}
				}
				for _, at := range n.Attr {
					if at.Key == "style" || strings.HasPrefix(at.Key, "on") {
						t.Errorf("<%s %s=...> is blocked by the CSP", n.Data, at.Key)
					}
				}
			}
		})
	}
}

func TestStaticAssetsAreContentAddressed(t *testing.T) {
	h := start(t)
	a := h.agent()
	login := a.get("/login")
	var css string
	for _, n := range findAll(login.doc, hasAttr("rel", "stylesheet")) {
		css, _ = attr(n, "href")
	}
	if !strings.HasPrefix(css, "/static/") || !strings.HasSuffix(css, "/app.css") {
		t.Fatalf("stylesheet href = %q, want /static/<hash>/app.css", css)
	}
	p := a.get(css)
	wantStatus(t, p, http.StatusOK)
	if got := p.header.Get("Cache-Control"); !strings.Contains(got, "immutable") {
		t.Errorf("Cache-Control = %q, want a long immutable cache", got)
	}
	if got := p.header.Get("Content-Type"); !strings.HasPrefix(got, "text/css") {
		t.Errorf("Content-Type = %q, want text/css", got)
	}
	if p := a.get("/static/000000000000/app.css"); p.status != http.StatusNotFound {
		t.Errorf("stale hash: status %d, want 404", p.status)
	}
}

func TestCSRFRefusalsChangeNothing(t *testing.T) {
	h := start(t)
	a := h.agent()
	a.login(adminEmail, adminPassword)
	good := a.csrf()

	// A token from an earlier session of the same user.
	old := h.agent()
	old.login(adminEmail, adminPassword)
	stale := old.csrf()
	old.post("/logout", url.Values{"csrf": {stale}})

	cases := []struct {
		name   string
		origin string
		form   url.Values
	}{
		{"missing token", h.url, url.Values{"name": {"Mallory"}}},
		{"stale token", h.url, url.Values{"name": {"Mallory"}, "csrf": {stale}}},
		{"wrong token", h.url, url.Values{"name": {"Mallory"}, "csrf": {good + "x"}}},
		{"foreign origin", "https://evil.example", url.Values{"name": {"Mallory"},
			"csrf": {good}}},
		{"null origin", "null", url.Values{"name": {"Mallory"}, "csrf": {good}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := a.postFrom(tc.origin, "/settings/profile/name", tc.form)
			wantStatus(t, p, http.StatusForbidden)
			if got := p.title(); got != "This form has expired" {
				t.Errorf("title = %q, want the expired-form page", got)
			}
			if got := a.get("/settings/profile").byID("display-name"); text(got) != "Administrator" {
				t.Errorf("display name = %q, want it unchanged", text(got))
			}
		})
	}

	t.Run("sign-in without cookie", func(t *testing.T) {
		fresh := h.agent()
		p := fresh.post("/login", url.Values{"csrf": {"x"}, "email": {adminEmail},
			"password": {adminPassword}})
		wantStatus(t, p, http.StatusForbidden)
		if fresh.token() != "" {
			t.Error("signed in without a valid sign-in token")
		}
	})
}
