package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"golang.org/x/net/html"
)

// totpCode is the app code of key at t.
func totpCode(t *testing.T, key string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(key, at, totp.ValidateOpts{Period: 30,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrolTwoFactor sets up two-factor sign-in on the Profile page and returns the key and
// the recovery codes shown once.
func (a *agent) enrolTwoFactor(t *testing.T) (string, []string) {
	t.Helper()
	p := a.post("/settings/profile/two-factor/setup", url.Values{"csrf": {a.csrf()}})
	wantStatus(t, p, http.StatusSeeOther)
	if p.location() != "/settings/profile/two-factor" {
		t.Fatalf("setup redirects to %q", p.location())
	}
	setup := a.get("/settings/profile/two-factor")
	wantStatus(t, setup, http.StatusOK)
	key := strings.ReplaceAll(text(setup.byID("totp-secret")), " ", "")
	if len(key) != 32 {
		t.Fatalf("secret on the page = %q", key)
	}
	imgs := findAll(setup.doc, hasClass("qr"))
	if src, _ := attr(imgs[0], "src"); !strings.HasPrefix(src, "data:image/png;base64,") {
		t.Fatalf("QR code src = %.40q", src)
	}

	noPassword := a.post("/settings/profile/two-factor/confirm", url.Values{
		"csrf": {a.csrf()}, "password": {"not the password"},
		"code": {totpCode(t, key, time.Now())}})
	wantStatus(t, noPassword, http.StatusBadRequest)
	if got := text(noPassword.byID("tf-password-error")); got != "The password is not correct" {
		t.Fatalf("wrong password message = %q", got)
	}
	wrong := a.post("/settings/profile/two-factor/confirm", url.Values{"csrf": {a.csrf()},
		"password": {adminPassword},
		"code":     {totpCode(t, key, time.Now().Add(10*time.Minute))}})
	wantStatus(t, wrong, http.StatusBadRequest)
	if got := text(wrong.byID("code-error")); got != "The code is not correct" {
		t.Fatalf("wrong code message = %q", got)
	}

	done := a.post("/settings/profile/two-factor/confirm", url.Values{"csrf": {a.csrf()},
		"password": {adminPassword}, "code": {totpCode(t, key, time.Now())}})
	wantStatus(t, done, http.StatusOK)
	codes := strings.Fields(text(done.byID("recovery-codes")))
	if len(codes) != 10 {
		t.Fatalf("recovery codes shown = %q", codes)
	}
	return key, codes
}

func (a *agent) logout() {
	a.h.t.Helper()
	wantStatus(a.h.t, a.post("/logout", url.Values{"csrf": {a.csrf()}}), http.StatusSeeOther)
}

// secondStep posts a code on the second step page.
func (a *agent) secondStep(code string) *page {
	a.h.t.Helper()
	form := url.Values{"csrf": {a.get("/login/two-factor").inputValue("csrf")},
		"code": {code}}
	return a.post("/login/two-factor", form)
}

func TestTwoFactorSignIn(t *testing.T) {
	h := start(t)
	a := h.agent()
	a.login(adminEmail, adminPassword)
	key, codes := a.enrolTwoFactor(t)
	profile := a.get("/settings/profile")
	if !strings.Contains(text(profile.doc), "10 recovery codes are left") {
		t.Error("Profile does not say two-factor is on with 10 recovery codes")
	}
	a.logout()

	p := a.tryLogin(adminEmail, adminPassword, "/settings/configuration")
	wantStatus(t, p, http.StatusSeeOther)
	if p.location() != "/login/two-factor" {
		t.Fatalf("a right password leads to %q, want the second step", p.location())
	}
	if a.token() != "" {
		t.Fatal("a session was issued before the second step")
	}
	if got := a.get("/settings/profile"); got.status != http.StatusSeeOther {
		t.Fatalf("profile before the second step: status %d", got.status)
	}

	wrong := a.secondStep("000000")
	wantStatus(t, wrong, http.StatusBadRequest)
	if got := text(wrong.byID("code-error")); got != "The code is not correct." {
		t.Fatalf("message next to the field = %q", got)
	}
	if v, _ := attr(wrong.byID("code"), "aria-invalid"); v != "true" {
		t.Error("the code field is not marked invalid")
	}

	// The step confirmed on the Profile page is spent; the next one is within the skew.
	ok := a.secondStep(totpCode(t, key, time.Now().Add(30*time.Second)))
	wantStatus(t, ok, http.StatusSeeOther)
	if ok.location() != "/settings/configuration" {
		t.Fatalf("after the second step: %q", ok.location())
	}
	if a.token() == "" {
		t.Fatal("no session after the second step")
	}
	a.logout()

	// A recovery code works once.
	wantStatus(t, a.tryLogin(adminEmail, adminPassword, ""), http.StatusSeeOther)
	wantStatus(t, a.secondStep(strings.ToUpper(codes[0])), http.StatusSeeOther)
	a.logout()
	wantStatus(t, a.tryLogin(adminEmail, adminPassword, ""), http.StatusSeeOther)
	again := a.secondStep(codes[0])
	wantStatus(t, again, http.StatusBadRequest)
	if a.token() != "" {
		t.Fatal("a used recovery code signed in")
	}
}

func TestTwoFactorSecondStepNeedsItsForm(t *testing.T) {
	h := start(t)
	a := h.agent()
	a.login(adminEmail, adminPassword)
	_, codes := a.enrolTwoFactor(t)
	a.logout()

	// Without a pending sign-in, the second step sends the browser back to the password.
	stranger := h.agent()
	p := stranger.post("/login/two-factor", url.Values{"code": {codes[0]}})
	wantStatus(t, p, http.StatusBadRequest)
	if p.byID("password") == nil {
		t.Fatal("no password form without a pending sign-in")
	}

	wantStatus(t, a.tryLogin(adminEmail, adminPassword, ""), http.StatusSeeOther)
	forged := a.post("/login/two-factor", url.Values{"csrf": {"x"}, "code": {codes[0]}})
	wantStatus(t, forged, http.StatusForbidden)
	cross := a.postFrom("https://evil.example", "/login/two-factor",
		url.Values{"csrf": {a.get("/login/two-factor").inputValue("csrf")},
			"code": {codes[0]}})
	wantStatus(t, cross, http.StatusForbidden)

	// A password change while the code is due ends the pending sign-in.
	b := h.agent()
	wantStatus(t, b.tryLogin(adminEmail, adminPassword, ""), http.StatusSeeOther)
	wantStatus(t, b.secondStep(codes[1]), http.StatusSeeOther)
	wantStatus(t, b.post("/settings/profile/password", url.Values{"csrf": {b.csrf()},
		"current_password": {adminPassword}, "new_password": {"Another-Long-Pass-42"},
		"confirm_password": {"Another-Long-Pass-42"}}), http.StatusSeeOther)
	stale := a.secondStep(codes[2])
	wantStatus(t, stale, http.StatusBadRequest)
	if a.token() != "" || stale.byID("password") == nil {
		t.Fatal("a sign-in pending from before a password change went on")
	}
}

func TestTwoFactorRefusesAPIPasswordButNotKeys(t *testing.T) {
	h := start(t)
	a := h.agent()
	a.login(adminEmail, adminPassword)
	pair := readPair(t, a.create("laptop", "", ""))
	if got, _ := apiBasic(t, h, adminEmail, adminPassword); got != http.StatusOK {
		t.Fatalf("e-mail and password before two-factor: %d", got)
	}
	a.enrolTwoFactor(t)

	status, msg := apiBasic(t, h, adminEmail, adminPassword)
	if status != http.StatusUnauthorized || !strings.Contains(msg, "two-factor") ||
		!strings.Contains(msg, "access key") {
		t.Fatalf("e-mail and password with two-factor on: %d %q", status, msg)
	}
	if got, _ := apiBasic(t, h, pair.key, pair.secret); got != http.StatusOK {
		t.Fatalf("access key pair with two-factor on: %d", got)
	}
}

// apiBasic calls auth.login with HTTP Basic and returns the status and the envelope's
// result message.
func apiBasic(t *testing.T, h *harness, user, pass string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.url+"/auth.login", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct {
		Meta struct {
			ResultMsg string `json:"result_msg"`
		} `json:"meta"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, env.Meta.ResultMsg
}

func TestTwoFactorDisableAndAdminReset(t *testing.T) {
	h := start(t)
	a := h.agent()
	a.login(adminEmail, adminPassword)
	_, codes := a.enrolTwoFactor(t)

	p := a.post("/settings/profile/two-factor/disable", url.Values{"csrf": {a.csrf()},
		"password": {"wrong"}, "code": {codes[0]}})
	wantStatus(t, p, http.StatusBadRequest)
	if got := text(p.byID("disable-password-error")); got != "The password is not correct" {
		t.Fatalf("wrong password message = %q", got)
	}
	p = a.post("/settings/profile/two-factor/disable", url.Values{"csrf": {a.csrf()},
		"password": {adminPassword}, "code": {"000000"}})
	wantStatus(t, p, http.StatusBadRequest)
	if got := text(p.byID("disable-code-error")); got != "The code is not correct" {
		t.Fatalf("wrong code message = %q", got)
	}

	fresh := a.post("/settings/profile/two-factor/recovery-codes", url.Values{
		"csrf": {a.csrf()}, "password": {adminPassword}})
	wantStatus(t, fresh, http.StatusOK)
	if n := len(strings.Fields(text(fresh.byID("recovery-codes")))); n != 10 {
		t.Fatalf("%d new recovery codes", n)
	}

	// The admin's own row offers no reset (Profile asks for the password and a code), and
	// a reset sent anyway is refused.
	users := a.get("/settings/users")
	links := findAll(users.doc, func(n *html.Node) bool {
		href, _ := attr(n, "href")
		return strings.HasSuffix(href, "/reset-two-factor")
	})
	if len(links) != 0 {
		t.Fatalf("%d reset links for the admin's own row", len(links))
	}
	own := "/settings/users/" + userID(t, a, adminEmail) + "/reset-two-factor"
	wantStatus(t, a.post(own, url.Values{"csrf": {a.csrf()}}), http.StatusBadRequest)

	// Another admin resets it.
	other := h.member(a, "second-admin@example.com", "Second Admin")
	wantStatus(t, a.send("/settings/users/"+userID(t, a, "second-admin@example.com")+"/role",
		url.Values{"role": {"admin"}}), http.StatusSeeOther)
	wantStatus(t, other.post(own, url.Values{"csrf": {other.csrf()}}), http.StatusSeeOther)
	a.logout()
	a.login(adminEmail, adminPassword) // no second step any more
	if a.token() == "" {
		t.Fatal("no session after a reset")
	}
}
