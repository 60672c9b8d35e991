package web_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestTwoFactorScreenshots saves the two-factor pages (the Profile card off and on, the
// enrolment page with and without an error, the recovery codes, and the second step of
// sign-in with and without an error) into ATRIUM_SCREENSHOTS, like TestScreenshots.
func TestTwoFactorScreenshots(t *testing.T) {
	dir := os.Getenv("ATRIUM_SCREENSHOTS")
	if dir == "" {
		t.Skip("set ATRIUM_SCREENSHOTS=/some/dir to save screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	h := start(t)
	ctx := newBrowser(t, 3*time.Minute)
	signInInBrowser(t, ctx, h.url)
	setup := `form[action="/settings/profile/two-factor/setup"] button`
	confirm := `form[action="/settings/profile/two-factor/confirm"] button[type="submit"]`
	each(t, ctx, func(suffix string) {
		shoot(t, ctx, dir, "twofactor-profile-off-"+suffix, h.url+"/settings/profile",
			"two-factor-heading")
		step(t, ctx, "start enrolment", chromedp.Click(chromedp.CSS(setup)),
			chromedp.WaitVisible(chromedp.ID("totp-secret")))
		save(t, ctx, dir, "twofactor-setup-"+suffix)
		step(t, ctx, "a wrong code",
			chromedp.SendKeys(chromedp.ID("tf-password"), adminPassword),
			chromedp.SendKeys(chromedp.ID("code"), "123456"),
			chromedp.Click(chromedp.CSS(confirm)), chromedp.WaitVisible(chromedp.ID("code-error")))
		save(t, ctx, dir, "twofactor-setup-error-"+suffix)
	})

	key := strings.ReplaceAll(read(t, ctx, "read the key",
		chromedp.Text(chromedp.ID("totp-secret"))), " ", "")
	step(t, ctx, "confirm", chromedp.Navigate(h.url+"/settings/profile/two-factor"),
		chromedp.WaitVisible(chromedp.ID("code")),
		chromedp.SendKeys(chromedp.ID("tf-password"), adminPassword),
		chromedp.SendKeys(chromedp.ID("code"), totpCode(t, key, time.Now())),
		chromedp.Click(chromedp.CSS(confirm)), chromedp.WaitVisible(chromedp.ID("recovery-codes")))
	codes := strings.Fields(read(t, ctx, "read the codes",
		chromedp.Text(chromedp.ID("recovery-codes"))))
	each(t, ctx, func(suffix string) { save(t, ctx, dir, "twofactor-codes-"+suffix) })
	each(t, ctx, func(suffix string) {
		shoot(t, ctx, dir, "twofactor-profile-on-"+suffix, h.url+"/settings/profile",
			"two-factor-heading")
		shoot(t, ctx, dir, "twofactor-users-"+suffix, h.url+"/settings/users", "people-heading")
	})

	step(t, ctx, "sign out and in again", chromedp.Navigate(h.url+"/settings/profile"),
		chromedp.WaitVisible(chromedp.ID("display-name")),
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), adminEmail),
		chromedp.SendKeys(chromedp.ID("password"), adminPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("code")))
	each(t, ctx, func(suffix string) {
		shoot(t, ctx, dir, "twofactor-signin-"+suffix, h.url+"/login/two-factor", "code")
		step(t, ctx, "a wrong code", chromedp.SendKeys(chromedp.ID("code"), "000000"),
			chromedp.Click(chromedp.CSS(`form[action="/login/two-factor"] button`)),
			chromedp.WaitVisible(chromedp.ID("code-error")))
		save(t, ctx, dir, "twofactor-signin-error-"+suffix)
	})
	step(t, ctx, "a recovery code", chromedp.SendKeys(chromedp.ID("code"), codes[0]),
		chromedp.Click(chromedp.CSS(`form[action="/login/two-factor"] button`)),
		chromedp.WaitVisible(chromedp.ID("display-name")))
}
