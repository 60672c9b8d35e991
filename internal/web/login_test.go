package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestLoginSucceedsAndSetsSessionCookie(t *testing.T) {
	h := start(t)
	a := h.agent()

	p := a.tryLogin(adminEmail, adminPassword, "")
	wantStatus(t, p, http.StatusSeeOther)
	if got := p.location(); got != "/settings/profile" {
		t.Errorf("redirect = %q, want /settings/profile", got)
	}
	var session *http.Cookie
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if c.Name == sessionCookie {
			session = c
		}
	}
	if session == nil {
		t.Fatal("no session cookie set")
	}
	if !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/" {
		t.Errorf("cookie = %+v, want HttpOnly, SameSite=Lax, Path=/", session)
	}
	profile := a.get("/settings/profile")
	wantStatus(t, profile, http.StatusOK)
	if got := profile.title(); got != "Profile" {
		t.Errorf("title = %q, want Profile", got)
	}
	if got := text(profile.doc); !strings.Contains(got, "Administrator") {
		t.Errorf("header does not show the user's name")
	}
}

func TestLoginFailuresShareOneMessage(t *testing.T) {
	h := start(t)
	a := h.agent()
	cases := []struct {
		name, email, password string
	}{
		{"unknown e-mail", "nobody@example.com", adminPassword},
		{"wrong password", adminEmail, "Wrong-Horse-Battery-0"},
	}
	var messages []string
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := a.tryLogin(tc.email, tc.password, "")
			wantStatus(t, p, http.StatusBadRequest)
			errs := p.texts("notice-error")
			if len(errs) != 1 {
				t.Fatalf("error notices = %q, want one", errs)
			}
			messages = append(messages, errs[0])
			if got := p.inputValue("email"); got != tc.email {
				t.Errorf("e-mail input = %q, want the submitted %q", got, tc.email)
			}
			if strings.Contains(p.body, tc.password) {
				t.Error("the password is echoed in the page")
			}
			if a.token() != "" {
				t.Error("a session cookie was set after a failed sign-in")
			}
		})
	}
	if len(messages) == 2 && messages[0] != messages[1] {
		t.Errorf("messages differ: %q vs %q", messages[0], messages[1])
	}
}

func TestLoginFollowsOnlyLocalNext(t *testing.T) {
	h := start(t)
	cases := []struct {
		next, want string
	}{
		{"/settings/workspace", "/settings/workspace"},
		{"/settings/configuration?x=1", "/settings/configuration?x=1"},
		{"//evil.example/settings", "/settings/profile"},
		{"https://evil.example/settings/profile", "/settings/profile"},
		{"/api/../settings", "/settings/profile"},
		{"/\\evil.example", "/settings/profile"},
	}
	for _, tc := range cases {
		t.Run(tc.next, func(t *testing.T) {
			p := h.agent().tryLogin(adminEmail, adminPassword, tc.next)
			wantStatus(t, p, http.StatusSeeOther)
			if got := p.location(); got != tc.want {
				t.Errorf("redirect = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSettingsRedirectToLoginWhenSignedOut(t *testing.T) {
	h := start(t)
	a := h.agent()
	cases := []struct {
		path, want string
	}{
		{"/", "/settings/profile"},
		{"/settings", "/settings/profile"},
		{"/settings/profile", "/login?next=%2Fsettings%2Fprofile"},
		{"/settings/workspace", "/login?next=%2Fsettings%2Fworkspace"},
		{"/settings/configuration", "/login?next=%2Fsettings%2Fconfiguration"},
		{"/logout", "/login"},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			p := a.get(tc.path)
			wantStatus(t, p, http.StatusSeeOther)
			if got := p.location(); got != tc.want {
				t.Errorf("Location = %q, want %q", got, tc.want)
			}
		})
	}

	bad := h.agent()
	u, _ := url.Parse(h.url)
	bad.client.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: "not-a-token"}})
	p := bad.get("/settings/profile")
	wantStatus(t, p, http.StatusSeeOther)
	if !strings.HasPrefix(p.location(), "/login") {
		t.Errorf("invalid token: Location = %q, want /login", p.location())
	}
}

func TestLoginPageRedirectsWhenSignedIn(t *testing.T) {
	h := start(t)
	a := h.agent()
	a.login(adminEmail, adminPassword)
	p := a.get("/login?next=%2Fsettings%2Fworkspace")
	wantStatus(t, p, http.StatusSeeOther)
	if got := p.location(); got != "/settings/workspace" {
		t.Errorf("Location = %q, want /settings/workspace", got)
	}
}

func TestLogoutRevokesTheSession(t *testing.T) {
	h := start(t)
	a := h.agent()
	a.login(adminEmail, adminPassword)
	token := a.token()

	confirm := a.get("/logout")
	wantStatus(t, confirm, http.StatusOK)
	csrf := confirm.inputValue("csrf")
	p := a.post("/logout", url.Values{"csrf": {csrf}})
	wantStatus(t, p, http.StatusSeeOther)
	if got := p.location(); got != "/login?notice=signed-out" {
		t.Errorf("Location = %q, want /login?notice=signed-out", got)
	}
	if a.token() != "" {
		t.Error("session cookie not cleared")
	}
	if got := a.get(p.location()).texts("notice-ok"); len(got) != 1 {
		t.Errorf("sign-in page notices = %q, want the signed-out notice", got)
	}

	stale := h.agent()
	u, _ := url.Parse(h.url)
	stale.client.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: token}})
	if p := stale.get("/settings/profile"); p.status != http.StatusSeeOther {
		t.Errorf("old token on /settings/profile: status %d, want 303", p.status)
	}
	if status, _ := stale.api("/users.get_current_user", map[string]any{}); status != 401 {
		t.Errorf("old token on the API: status %d, want 401", status)
	}
}
