package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestDisplayNameTooShortIsRefusedNextToTheField(t *testing.T) {
	h := start(t)
	a := h.agent()
	a.login(adminEmail, adminPassword)

	p := a.post("/settings/profile/name", url.Values{"csrf": {a.csrf()}, "name": {" A "}})
	wantStatus(t, p, http.StatusBadRequest)
	msg := p.byID("name-error")
	if msg == nil || !strings.Contains(text(msg), "at least 2 characters") {
		t.Fatalf("no error next to the name field; body:\n%s", p.body)
	}
	input := p.byID("name")
	if v, _ := attr(input, "aria-describedby"); v != "name-error" {
		t.Errorf("name input aria-describedby = %q, want name-error", v)
	}
	if got := text(a.get("/settings/profile").byID("display-name")); got != "Administrator" {
		t.Errorf("display name = %q, want it unchanged", got)
	}
}

func TestDisplayNameSaved(t *testing.T) {
	h := start(t)
	a := h.agent()
	a.login(adminEmail, adminPassword)

	p := a.post("/settings/profile/name", url.Values{"csrf": {a.csrf()}, "name": {"Ada Lovelace"}})
	wantStatus(t, p, http.StatusSeeOther)
	if got := p.location(); got != "/settings/profile?notice=name" {
		t.Errorf("Location = %q", got)
	}
	profile := a.get(p.location())
	if got := text(profile.byID("display-name")); got != "Ada Lovelace" {
		t.Errorf("display name = %q, want Ada Lovelace", got)
	}
	if got := profile.texts("account-name"); len(got) != 1 || got[0] != "Ada Lovelace" {
		t.Errorf("header name = %q, want Ada Lovelace", got)
	}
	if got := profile.texts("notice-ok"); len(got) != 1 {
		t.Errorf("notices = %q, want one", got)
	}
	if got := text(profile.byID("user-id")); len(got) != 32 {
		t.Errorf("user id = %q, want a 32-character id", got)
	}
}

func TestNameEditOpensWithoutScript(t *testing.T) {
	h := start(t)
	a := h.agent()
	a.login(adminEmail, adminPassword)
	for _, tc := range []struct {
		path string
		open bool
	}{{"/settings/profile", false}, {"/settings/profile?edit=name", true}} {
		forms := findAll(a.get(tc.path).doc, hasAttr("action", "/settings/profile/name"))
		if len(forms) != 1 {
			t.Fatalf("%s: %d name forms, want 1", tc.path, len(forms))
		}
		if _, hidden := attr(forms[0], "hidden"); hidden == tc.open {
			t.Errorf("%s: name form hidden = %v, want %v", tc.path, hidden, !tc.open)
		}
	}
}

func TestNoticeIsNeverReflected(t *testing.T) {
	h := start(t)
	a := h.agent()
	a.login(adminEmail, adminPassword)
	p := a.get("/settings/profile?notice=%3Cb%3Ehello%3C%2Fb%3E")
	if got := p.texts("notice-ok"); len(got) != 0 {
		t.Errorf("notices = %q, want none for an unknown code", got)
	}
	if strings.Contains(p.body, "hello") {
		t.Error("the notice parameter is reflected")
	}
}

func TestPasswordChange(t *testing.T) {
	h := start(t)
	a := h.agent()
	a.login(adminEmail, adminPassword)
	const next = "Fresh-Staple-Lantern-42"
	cases := []struct {
		name, current, next, confirm, field string
	}{
		{"mismatch", adminPassword, next, next + "x", "confirm_password-error"},
		{"wrong current", "Not-The-Password-1", next, next, "current_password-error"},
		{"too short", adminPassword, "short", "short", "new_password-error"},
		{"missing current", "", next, next, "current_password-error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := a.post("/settings/profile/password", url.Values{"csrf": {a.csrf()},
				"current_password": {tc.current}, "new_password": {tc.next},
				"confirm_password": {tc.confirm}})
			wantStatus(t, p, http.StatusBadRequest)
			if p.byID(tc.field) == nil {
				t.Errorf("no #%s; body:\n%s", tc.field, p.body)
			}
		})
	}

	p := a.post("/settings/profile/password", url.Values{"csrf": {a.csrf()},
		"current_password": {adminPassword}, "new_password": {next},
		"confirm_password": {next}})
	wantStatus(t, p, http.StatusSeeOther)
	if got := h.agent().tryLogin(adminEmail, next, ""); got.status != http.StatusSeeOther {
		t.Errorf("sign in with the new password: status %d", got.status)
	}
	if got := h.agent().tryLogin(adminEmail, adminPassword, ""); got.status == http.StatusSeeOther {
		t.Error("the old password still works")
	}
}

// TestSignOutEverywhere: the button ends another browser's session and keeps this one.
func TestSignOutEverywhere(t *testing.T) {
	h := start(t)
	here, elsewhere := h.agent(), h.agent()
	here.login(adminEmail, adminPassword)
	elsewhere.login(adminEmail, adminPassword)
	time.Sleep(1100 * time.Millisecond) // sessions are cut at whole seconds

	p := here.post("/settings/profile/sign-out-everywhere", url.Values{"csrf": {here.csrf()}})
	wantStatus(t, p, http.StatusSeeOther)
	if got := p.location(); got != "/settings/profile?notice=signed-out-elsewhere" {
		t.Fatalf("Location = %q", got)
	}
	wantStatus(t, here.get("/settings/profile"), http.StatusOK)
	gone := elsewhere.get("/settings/profile")
	if gone.status != http.StatusSeeOther || !strings.HasPrefix(gone.location(), "/login") {
		t.Fatalf("the other browser is still signed in: status %d, Location %q", gone.status,
			gone.location())
	}
}
