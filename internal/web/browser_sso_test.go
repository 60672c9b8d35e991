package web_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"atrium/internal/config"
	"atrium/internal/testutil/oidcop"
	"atrium/internal/testutil/samlidp"
)

// adminCall runs an API call as the admin and returns its data.
func adminCall(t *testing.T, h *harness, endpoint string, body any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, h.url+"/api/v2.31/"+endpoint,
		strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString(
		[]byte(adminEmail+":"+adminPassword)))
	var out struct {
		Meta struct {
			ResultCode int    `json:"result_code"`
			ResultMsg  string `json:"result_msg"`
		} `json:"meta"`
		Data map[string]any `json:"data"`
	}
	if status := doJSON(t, req, &out); status != http.StatusOK {
		t.Fatalf("%s: %d %s", endpoint, status, out.Meta.ResultMsg)
	}
	return out.Data
}

func allowLoopbackIdPs(c *config.Config) { c.SSO.AllowPrivateAddresses = true }

// TestBrowserOIDCSignIn signs in with the button on the sign-in page, through a real
// OpenID provider, in Chromium.
func TestBrowserOIDCSignIn(t *testing.T) {
	h := start(t, allowLoopbackIdPs)
	op := oidcop.Start(t, oidcop.Options{ClientID: "atrium", ClientSecret: "browser-secret"})
	op.AddUser(oidcop.User{Subject: "ada", Email: "ada@corp.test", EmailVerified: true,
		Name: "Ada Lovelace"})
	op.SetNextLogin("ada")
	id := adminCall(t, h, "sso.save_provider_configuration", map[string]any{
		"provider": "keycloak", "configuration": map[string]any{"display_name": "Corp Keycloak",
			"client_id": "atrium", "client_secret": "browser-secret",
			"well_known_url": op.WellKnownURL(), "create_users": true, "active": true}})["id"].(string)
	op.AddRedirectURI(h.url + "/callback_" + id)

	ctx := newBrowser(t, 60*time.Second)
	step(t, ctx, "sign in with the provider's button",
		chromedp.Navigate(h.url+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/sso/`+id+`"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/sso/`+id+`"]`)),
		chromedp.WaitVisible(chromedp.ID("display-name")),
	)
	if name := read(t, ctx, "display name", chromedp.Text(chromedp.ID("display-name"))); name != "Ada Lovelace" {
		t.Fatalf("signed in as %q", name)
	}
}

// TestBrowserSAMLSignIn goes through a real SAML identity provider; the page that carries
// the provider's answer back submits itself.
func TestBrowserSAMLSignIn(t *testing.T) {
	h := start(t, allowLoopbackIdPs)
	idp := samlidp.Start(t)
	id := adminCall(t, h, "sso.save_provider_configuration", map[string]any{
		"provider": "custom_saml", "configuration": map[string]any{"display_name": "Corp SAML",
			"idp_metadata_url": idp.MetadataURL(), "create_users": true, "active": true}})["id"].(string)
	resp, err := http.Get(h.url + "/saml/metadata/" + id)
	if err != nil {
		t.Fatal(err)
	}
	meta, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	idp.RegisterSP(meta)
	idp.SetUser(samlidp.User{NameID: "lin", Email: "lin@corp.test", Name: "Lin Ng"})

	ctx := newBrowser(t, 60*time.Second)
	step(t, ctx, "sign in with SAML",
		chromedp.Navigate(h.url+"/login"),
		chromedp.Click(chromedp.CSS(`a[href="/sso/`+id+`"]`)),
		chromedp.WaitVisible(chromedp.ID("display-name")),
	)
	if name := read(t, ctx, "display name", chromedp.Text(chromedp.ID("display-name"))); name != "Lin Ng" {
		t.Fatalf("signed in as %q", name)
	}
}
