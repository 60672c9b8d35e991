package web_test

import (
	"encoding/base64"
	"encoding/json"
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

	// An id that is not one of the caller's live sessions ends nothing and says so.
	other := h.agent()
	other.login(adminEmail, adminPassword)
	own := endForm.FindAllStringSubmatch(laptop.get("/settings/profile").body, -1)
	if len(own) != 1 {
		t.Fatalf("want the other browser listed once, got %d", len(own))
	}
	gone := other.send("/settings/profile/sessions/0123456789abcdef0123456789abcdef/end", nil)
	wantStatus(t, gone, http.StatusSeeOther)
	if page := other.get(gone.location()); !strings.Contains(page.body, "already ended") {
		t.Fatal("ending an unknown session does not say it had already ended")
	}
	if p := other.get("/settings/profile"); p.status != http.StatusOK {
		t.Fatalf("ending an unknown session signed the caller out: %d", p.status)
	}
	// This browser's own session is not ended from the list.
	self := laptop.send("/settings/profile/sessions/"+sessionID(t, laptop)+"/end", nil)
	wantStatus(t, self, http.StatusBadRequest)

	// Signing out everywhere leaves only this browser.
	wantStatus(t, laptop.send("/settings/profile/sign-out-everywhere", nil), http.StatusSeeOther)
	if n := len(endForm.FindAllStringSubmatch(laptop.get("/settings/profile").body, -1)); n != 0 {
		t.Fatalf("%d other sessions listed after signing out everywhere", n)
	}

	if p := laptop.get("/settings/profile"); !strings.Contains(p.body, "This browser") {
		t.Fatal("current session not listed after signing out everywhere")
	}
	if p := other.get("/settings/profile"); p.status != http.StatusSeeOther {
		t.Fatalf("another session survived signing out everywhere: %d", p.status)
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

// sessionID reads the session id out of an agent's session token.
func sessionID(t *testing.T, a *agent) string {
	t.Helper()
	parts := strings.Split(a.token(), ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		SessionID string `json:"session_id"`
	}
	json.Unmarshal(raw, &c)
	return c.SessionID
}
