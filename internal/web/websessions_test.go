package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

var endForm = regexp.MustCompile(`action="/settings/profile/sessions/([0-9a-f]{32})/end"`)

func TestProfileListsAndEndsWebSessions(t *testing.T) {
	h := start(t)
	laptop := h.agent()
	laptop.client.Transport = agentHeader("Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")
	laptop.login(adminEmail, adminPassword)
	phone := h.agent()
	phone.client.Transport = agentHeader("Mozilla/5.0 (iPhone; CPU iPhone OS 18_0) Safari/604.1")
	phone.login(adminEmail, adminPassword)

	page := laptop.get("/settings/profile")
	for _, want := range []string{"Firefox on Linux", "Safari on iPhone", "This browser",
		"password"} {
		if !strings.Contains(page.body, want) {
			t.Fatalf("profile sessions lack %q", want)
		}
	}
	// A token renewed from the phone's cookie belongs to the phone's session.
	renewed := apiToken2(t, h, phone.token())
	ends := endForm.FindAllStringSubmatch(page.body, -1)
	if len(ends) != 1 {
		t.Fatalf("%d sign-out buttons, want one (not for this browser)", len(ends))
	}
	wantStatus(t, laptop.send("/settings/profile/sessions/"+ends[0][1]+"/end", nil),
		http.StatusSeeOther)
	if p := phone.get("/settings/profile"); p.status != http.StatusSeeOther {
		t.Fatalf("the ended session still opens pages: %d", p.status)
	}
	if status := currentUserStatus(t, h, renewed); status != http.StatusUnauthorized {
		t.Fatalf("a token renewed from the ended session still works: %d", status)
	}
	if strings.Contains(laptop.get("/settings/profile").body, "Safari on iPhone") {
		t.Fatal("the ended session is still listed")
	}

	// Someone else's session id is not found, and this browser's own cannot be ended here.
	other := h.agent()
	other.login(adminEmail, adminPassword)
	otherPage := other.get("/settings/profile")
	own := endForm.FindAllStringSubmatch(laptop.get("/settings/profile").body, -1)
	if len(own) != 1 {
		t.Fatalf("want the other browser listed once, got %d", len(own))
	}
	_ = otherPage
	wantStatus(t, other.send("/settings/profile/sessions/0123456789abcdef0123456789abcdef/end",
		nil), http.StatusSeeOther)

	// Signing out everywhere leaves only this browser.
	wantStatus(t, laptop.send("/settings/profile/sign-out-everywhere", nil), http.StatusSeeOther)
	if n := len(endForm.FindAllStringSubmatch(laptop.get("/settings/profile").body, -1)); n != 0 {
		t.Fatalf("%d other sessions listed after signing out everywhere", n)
	}

	// Signing out ends the session in the list too.
	if p := laptop.get("/settings/profile"); !strings.Contains(p.body, "This browser") {
		t.Fatal("current session not listed after signing out everywhere")
	}
}

// agentHeader sets a User-Agent on every request.
type agentHeader string

func (ua agentHeader) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", string(ua))
	return http.DefaultTransport.RoundTrip(r)
}

// apiToken2 renews a session token through auth.login with it as a bearer token.
func apiToken2(t *testing.T, h *harness, session string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.url+"/api/v2.31/auth.login", nil)
	req.Header.Set("Authorization", "Bearer "+session)
	var out struct {
		Data struct {
			Token string `json:"token"`
		} `json:"data"`
	}
	if status := doJSON(t, req, &out); status != http.StatusOK || out.Data.Token == "" {
		t.Fatalf("auth.login with the session token: %d", status)
	}
	return out.Data.Token
}

func currentUserStatus(t *testing.T, h *harness, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.url+"/api/v2.31/users.get_current_user", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	var out map[string]any
	return doJSON(t, req, &out)
}
