package web_test

import (
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"atrium/internal/testutil/samlidp"
)

// seedIdPs adds a SAML and an LDAP connection next to startOIDC's, and returns the SAML
// connection's id.
func seedIdPs(t *testing.T, a *agent) string {
	t.Helper()
	idp := samlidp.Start(t)
	saml := formValues(t, a.get(pathIdPs+"/new?provider=microsoft_ad"), "idp-form")
	saml.Set("display_name", "Entra ID (SAML)")
	saml.Set("idp_metadata", string(idp.MetadataXML()))
	saml.Set("active", "on")
	samlID := createIdP(t, a, saml)

	ldap := formValues(t, a.get(pathIdPs+"/new?provider=active_directory"), "idp-form")
	ldap.Set("display_name", "Corporate directory")
	ldap.Set("server_url", "ldaps://dc1.corp.example.test:636")
	ldap.Del("start_tls")
	ldap.Set("bind_dn", "CN=atrium,OU=Service,DC=corp,DC=example,DC=test")
	ldap.Set("bind_password", "bind-password-value")
	ldap.Set("base_dn", "OU=People,DC=corp,DC=example,DC=test")
	createIdP(t, a, ldap)

	// A connection saved before its keys are known shows as incomplete.
	okta := formValues(t, a.get(pathIdPs+"/new?provider=okta"), "idp-form")
	okta.Set("display_name", "Okta (setting up)")
	okta.Set("client_id", "atrium")
	okta.Set("authorization_endpoint", "https://corp.okta.example.test/oauth2/v1/authorize")
	okta.Set("token_endpoint", "https://corp.okta.example.test/oauth2/v1/token")
	okta.Set("userinfo_endpoint", "https://corp.okta.example.test/oauth2/v1/userinfo")
	createIdP(t, a, okta)
	return samlID
}

// TestBrowserIdPs switches a connection on with its switch and deletes it in the dialog
// that asks for its name.
func TestBrowserIdPs(t *testing.T) {
	h := start(t)
	a := h.admin()
	id := createIdP(t, a, oidcForm(t, a, "Okta"))
	ctx := newBrowser(t, 60*time.Second)
	signInInBrowser(t, ctx, h.url)

	step(t, ctx, "switch the connection on",
		chromedp.Navigate(h.url+pathIdPs),
		chromedp.Click(chromedp.ID("active-"+id)),
		chromedp.Poll[chromedp.Void](
			`document.querySelector("#idp-`+id+` [data-save-status]").textContent === "Saved"`,
			chromedp.WithPollingTimeout(10*time.Second)))
	if n := a.get(pathIdPs).byID("active-" + id); n == nil {
		t.Fatal("no switch")
	} else if _, on := attr(n, "checked"); !on {
		t.Error("the switch did not save")
	}

	dialog := `#delete-` + id
	step(t, ctx, "open the delete dialog",
		chromedp.Click(chromedp.CSS(`a[data-dialog="delete-`+id+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(dialog+`[open] input[name="confirm_name"]`)),
		chromedp.SendKeys(chromedp.CSS(dialog+` input[name="confirm_name"]`), "Okt"))
	disabled := read(t, ctx, "read the button", chromedp.Evaluate[string](
		`String(document.querySelector("`+dialog+` button[data-confirm]").disabled)`))
	if disabled != "true" {
		t.Error("the confirm button works before the name is typed")
	}
	step(t, ctx, "type the name and delete",
		chromedp.SendKeys(chromedp.CSS(dialog+` input[name="confirm_name"]`), "a"),
		chromedp.Click(chromedp.CSS(dialog+` button[data-confirm]`)),
		chromedp.WaitVisible(chromedp.CSS(".notice-ok")))
	if ids := idpRowIDs(t, a); len(ids) != 0 {
		t.Errorf("connections after delete: %v", ids)
	}
}

// TestIdPScreenshots saves the Identity providers pages in light and dark, wide and
// narrow, into ATRIUM_SCREENSHOTS.
func TestIdPScreenshots(t *testing.T) {
	dir := os.Getenv("ATRIUM_SCREENSHOTS")
	if dir == "" {
		t.Skip("set ATRIUM_SCREENSHOTS=/some/dir to save screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	empty := start(t)
	h, a, _, oidcID := startOIDC(t)
	wantStatus(t, a.send(pathIdPs+"/"+oidcID+"/active", url.Values{"active": {"on"}}),
		http.StatusSeeOther)
	samlID := seedIdPs(t, a)
	ctx := newBrowser(t, 5*time.Minute)
	signInInBrowser(t, ctx, empty.url)
	each(t, ctx, func(suffix string) {
		shoot(t, ctx, dir, "idp-empty-"+suffix, empty.url+pathIdPs, "idps-heading")
	})
	signInInBrowser(t, ctx, h.url)
	each(t, ctx, func(suffix string) {
		shoot(t, ctx, dir, "idp-list-"+suffix, h.url+pathIdPs, "idps-heading")
		step(t, ctx, "open the delete dialog",
			chromedp.Click(chromedp.CSS(`a[data-dialog="delete-`+samlID+`"]`)),
			chromedp.WaitVisible(chromedp.CSS(`dialog[open] input[name="confirm_name"]`)))
		save(t, ctx, dir, "idp-delete-dialog-"+suffix)
		shoot(t, ctx, dir, "idp-choose-"+suffix, h.url+pathIdPs+"/new", "choose-heading")
		shoot(t, ctx, dir, "idp-new-oidc-"+suffix, h.url+pathIdPs+"/new?provider=okta",
			"idp-form-heading")
		shoot(t, ctx, dir, "idp-edit-oidc-"+suffix, h.url+pathIdPs+"/"+oidcID,
			"idp-form-heading")
		step(t, ctx, "type a bad URL",
			chromedp.SetValue(chromedp.ID("f-token_endpoint"), "not a URL"))
		read(t, ctx, "skip the browser's own check", chromedp.Evaluate[string](
			`document.getElementById("idp-form").noValidate = true, "ok"`))
		step(t, ctx, "refused save",
			chromedp.Click(chromedp.CSS(`.idp-form .actions button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.ID("f-token_endpoint-error")))
		toTop(t, ctx)
		save(t, ctx, dir, "idp-edit-error-"+suffix)
		shoot(t, ctx, dir, "idp-edit-saml-"+suffix, h.url+pathIdPs+"/"+samlID,
			"idp-form-heading")
		shoot(t, ctx, dir, "idp-report-"+suffix, h.url+pathIdPs+"/"+oidcID+"/test",
			"report-heading")
	})
}
