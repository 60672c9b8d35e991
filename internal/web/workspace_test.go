package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"atrium/internal/config"
)

// pair is a one-time secret page read back: the new access key and secret.
type pair struct {
	key, secret string
}

func readPair(t *testing.T, p *page) pair {
	t.Helper()
	wantStatus(t, p, http.StatusOK)
	got := pair{key: text(p.byID("access-key")), secret: text(p.byID("secret-key"))}
	if len(got.key) != 30 || len(got.secret) < 40 {
		t.Fatalf("one-time page shows key %q and secret %q; body:\n%s", got.key, got.secret,
			p.body)
	}
	return got
}

func (a *agent) create(label, expiry, days string) *page {
	a.h.t.Helper()
	return a.post("/settings/workspace/credentials", url.Values{"csrf": {a.csrf()},
		"label": {label}, "expiry": {expiry}, "days": {days}})
}

func TestCreateCredentialsShowsTheSecretOnce(t *testing.T) {
	h := start(t)
	a := h.agent()
	a.login(adminEmail, adminPassword)
	empty := a.get("/settings/workspace")
	if !strings.Contains(text(empty.doc), "No API credentials yet") {
		t.Error("no empty state on a workspace without credentials")
	}

	p := a.create("laptop", "30", "")
	got := readPair(t, p)
	if cc := p.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
	conf := text(p.byID("conf-snippet"))
	wantConf := strings.Join(strings.Fields("api { web_server: "+h.url+" api_server: "+h.url+
		` # laptop credentials { "access_key" = "`+got.key+`" "secret_key" = "`+got.secret+
		`" } }`), " ")
	if conf != wantConf {
		t.Errorf("clearml.conf snippet =\n%s\nwant\n%s", conf, wantConf)
	}
	jupyter := p.byID("jupyter-snippet").FirstChild.Data
	for _, line := range []string{"%env CLEARML_WEB_HOST=" + h.url,
		"%env CLEARML_API_HOST=" + h.url, "# laptop", "%env CLEARML_API_ACCESS_KEY=" + got.key,
		"%env CLEARML_API_SECRET_KEY=" + got.secret} {
		if !strings.Contains(jupyter, line+"\n") {
			t.Errorf("Jupyter snippet lacks %q:\n%s", line, jupyter)
		}
	}

	ws := a.get("/settings/workspace")
	if strings.Contains(ws.body, got.secret) {
		t.Error("the secret appears on /settings/workspace")
	}
	if counts := ws.texts("count"); len(counts) != 1 || counts[0] != "1 of 10" {
		t.Errorf("count = %q, want 1 of 10", counts)
	}
	wantCells(t, ws, got.key, "laptop", "Never", "Not available")

	if status := h.basicLogin(got.key, got.secret); status != http.StatusOK {
		t.Errorf("auth.login with the new pair: status %d, want 200", status)
	}
	ws = a.get("/settings/workspace")
	if strings.Contains(ws.body, got.secret) {
		t.Error("the secret appears on /settings/workspace after use")
	}
	wantCells(t, ws, got.key, "laptop", "just now", "127.0.0.1")
}

// wantCells checks the table row of a key shows each text.
func wantCells(t *testing.T, p *page, key string, want ...string) {
	t.Helper()
	row := p.byID("cred-" + key)
	if row == nil {
		t.Fatalf("no table row for %s", key)
	}
	cells := text(row)
	for _, w := range want {
		if !strings.Contains(cells, w) {
			t.Errorf("row of %s lacks %q: %s", key, w, cells)
		}
	}
}

func TestCreateCredentialsRefusesABadCustomExpiry(t *testing.T) {
	h := start(t)
	a := h.agent()
	a.login(adminEmail, adminPassword)
	p := a.create("ci", "custom", "0")
	wantStatus(t, p, http.StatusBadRequest)
	if p.byID("days-error") == nil {
		t.Errorf("no error next to the days input; body:\n%s", p.body)
	}
	if got := p.inputValue("label"); got != "ci" {
		t.Errorf("label input = %q, want the submitted ci", got)
	}
	if p.byID("secret-key") != nil || !strings.Contains(text(p.doc), "No API credentials yet") {
		t.Error("a pair was created")
	}
}

func TestEditLabel(t *testing.T) {
	h := start(t)
	a := h.agent()
	a.login(adminEmail, adminPassword)
	got := readPair(t, a.create("old label", "never", ""))
	path := "/settings/workspace/credentials/" + got.key + "/label"

	long := a.post(path, url.Values{"csrf": {a.csrf()}, "label": {strings.Repeat("x", 300)}})
	wantStatus(t, long, http.StatusBadRequest)
	if errs := long.texts("field-error"); len(errs) != 1 {
		t.Errorf("field errors = %q, want one", errs)
	}

	p := a.post(path, url.Values{"csrf": {a.csrf()}, "label": {"workstation"}})
	wantStatus(t, p, http.StatusSeeOther)
	row := a.get("/settings/workspace").byID("cred-" + got.key)
	if labels := text(row); !strings.Contains(labels, "workstation") {
		t.Errorf("row = %q, want the new label", labels)
	}

	missing := a.post("/settings/workspace/credentials/NOSUCHKEY/label",
		url.Values{"csrf": {a.csrf()}, "label": {"x"}})
	wantStatus(t, missing, http.StatusNotFound)
}

func TestRevokeWithConfirmation(t *testing.T) {
	h := start(t)
	a := h.agent()
	a.login(adminEmail, adminPassword)
	got := readPair(t, a.create("doomed", "never", ""))
	path := "/settings/workspace/credentials/" + got.key + "/revoke"

	confirm := a.get(path)
	wantStatus(t, confirm, http.StatusOK)
	body := text(confirm.doc)
	for _, want := range []string{"doomed", got.key, "cannot be undone"} {
		if !strings.Contains(body, want) {
			t.Errorf("confirmation lacks %q", want)
		}
	}

	p := a.post(path, url.Values{"csrf": {confirm.inputValue("csrf")}})
	wantStatus(t, p, http.StatusSeeOther)
	if p.location() != "/settings/workspace?notice=revoked" {
		t.Errorf("Location = %q", p.location())
	}
	if a.get("/settings/workspace").byID("cred-"+got.key) != nil {
		t.Error("revoked pair still listed")
	}
	if status := h.basicLogin(got.key, got.secret); status != http.StatusUnauthorized {
		t.Errorf("auth.login with a revoked pair: status %d, want 401", status)
	}
	if again := a.post(path, url.Values{"csrf": {a.csrf()}}); again.status != http.StatusNotFound {
		t.Errorf("revoking twice: status %d, want 404", again.status)
	}
}

func TestRotateShowsTheSuccessorOnceAndWarnsAboutExpiry(t *testing.T) {
	h := start(t)
	a := h.agent()
	a.login(adminEmail, adminPassword)
	old := readPair(t, a.create("build server", "never", ""))

	page := a.get("/settings/workspace/credentials/" + old.key + "/rotate")
	wantStatus(t, page, http.StatusOK)
	p := a.post("/settings/workspace/credentials/"+old.key+"/rotate",
		url.Values{"csrf": {page.inputValue("csrf")}, "grace": {"1d"}})
	next := readPair(t, p)
	if next.key == old.key {
		t.Fatal("rotation returned the old key")
	}
	if notes := text(p.doc); !strings.Contains(notes, old.key) || !strings.Contains(notes,
		"keeps working until") {
		t.Errorf("secret page does not say when the old key stops")
	}
	if !strings.Contains(text(p.byID("conf-snippet")), "# build server") {
		t.Error("the successor does not keep the label")
	}
	for _, k := range []pair{old, next} {
		if status := h.basicLogin(k.key, k.secret); status != http.StatusOK {
			t.Errorf("auth.login with %s during the grace period: %d", k.key, status)
		}
	}

	ws := a.get("/settings/workspace")
	if strings.Contains(ws.body, next.secret) || strings.Contains(ws.body, old.secret) {
		t.Error("a secret appears on /settings/workspace")
	}
	if warn := ws.texts("notice-warn"); len(warn) != 1 || !strings.Contains(warn[0], old.key) {
		t.Errorf("expiry banner = %q, want one naming %s", warn, old.key)
	}
	badges := findAll(ws.byID("cred-"+old.key), hasClass("badge-warn"))
	if len(badges) != 1 || !strings.HasPrefix(text(badges[0]), "in ") {
		t.Errorf("old row = %q, want an expiry warning", text(ws.byID("cred-"+old.key)))
	}

	bad := a.post("/settings/workspace/credentials/"+next.key+"/rotate",
		url.Values{"csrf": {a.csrf()}, "grace": {"forever"}})
	wantStatus(t, bad, http.StatusBadRequest)
}

func TestCredentialLimit(t *testing.T) {
	h := start(t, func(c *config.Config) { c.Credentials.MaxPerUser = 2 })
	a := h.agent()
	a.login(adminEmail, adminPassword)
	readPair(t, a.create("one", "never", ""))
	readPair(t, a.create("two", "7", ""))

	ws := a.get("/settings/workspace")
	if counts := ws.texts("count"); len(counts) != 1 || counts[0] != "2 of 2" {
		t.Errorf("count = %q, want 2 of 2", counts)
	}
	if !strings.Contains(text(ws.doc), "reached the limit of 2") {
		t.Error("no limit message")
	}
	var button bool
	for _, n := range findAll(ws.doc, hasAttr("type", "submit")) {
		if text(n) == "Create credentials" {
			_, button = attr(n, "disabled")
		}
	}
	if !button {
		t.Error("the create button is not disabled at the limit")
	}
	p := a.create("three", "never", "")
	wantStatus(t, p, http.StatusBadRequest)
	if p.byID("secret-key") != nil {
		t.Error("a third pair was created past the limit")
	}
}
