package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const (
	chromiumPath = "/usr/bin/chromium"
	createButton = `form[action="/settings/workspace/credentials"] button[type="submit"]`
)

// newBrowser starts a headless Chromium with a fresh profile for the test, bounded by
// timeout. Without a browser the test is skipped, unless ATRIUM_REQUIRE_BROWSER=1 (CI).
func newBrowser(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("ATRIUM_REQUIRE_BROWSER") == "1" {
			t.Fatalf("ATRIUM_REQUIRE_BROWSER=1 but %s is missing: %v", chromiumPath, err)
		}
		t.Skipf("%s not installed", chromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.WindowSize(1280, 800),
	}
	ctx, cancelTimeout := context.WithTimeout(context.Background(), timeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
		cancelTimeout()
	})
	return browserCtx
}

// step runs browser actions, failing the test with what was being done.
func step(t *testing.T, ctx context.Context, what string,
	actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func read(t *testing.T, ctx context.Context, what string, a chromedp.Action[string]) string {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// signInInBrowser signs in through the form, starting from a Settings page.
func signInInBrowser(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	step(t, ctx, "sign in",
		chromedp.Navigate(base+"/settings/profile"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), adminEmail),
		chromedp.SendKeys(chromedp.ID("password"), adminPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("display-name")),
	)
}

func TestBrowserCredentialLifecycle(t *testing.T) {
	h := start(t)
	ctx := newBrowser(t, 60*time.Second)
	signInInBrowser(t, ctx, h.url)

	step(t, ctx, "edit display name",
		chromedp.Click(chromedp.CSS("[data-edit-open]")),
		chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SetValue(chromedp.ID("name"), "Grace Hopper"),
		chromedp.Click(chromedp.CSS(`form[action="/settings/profile/name"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".notice-ok")),
	)
	name := read(t, ctx, "read name", chromedp.Text(chromedp.ID("display-name")))
	if name != "Grace Hopper" {
		t.Fatalf("display name = %q, want Grace Hopper", name)
	}

	step(t, ctx, "auto-save a preference switch",
		chromedp.Navigate(h.url+"/settings/configuration"),
		chromedp.Click(chromedp.CSS(`[id="sw-views.hideTips"]`)),
		chromedp.Poll[chromedp.Void](
			`document.querySelector("[data-save-status]").textContent === "Saved"`,
			chromedp.WithPollingTimeout(10*time.Second)),
	)

	step(t, ctx, "create credentials",
		chromedp.Navigate(h.url+"/settings/workspace"),
		chromedp.WaitVisible(chromedp.ID("label")),
		chromedp.SendKeys(chromedp.ID("label"), "browser test"),
		chromedp.Click(chromedp.CSS(createButton)),
		chromedp.WaitVisible(chromedp.ID("secret-key")),
	)
	key := read(t, ctx, "read access key", chromedp.Text(chromedp.ID("access-key")))
	secret := read(t, ctx, "read secret key", chromedp.Text(chromedp.ID("secret-key")))

	token := apiToken(t, h, key, secret)
	user := currentUser(t, h, token)
	if user.Name != "Grace Hopper" {
		t.Errorf("users.get_current_user name = %q, want Grace Hopper", user.Name)
	}
	if !hideTips(t, h, token) {
		t.Error("the auto-saved switch views.hideTips is not on in users.get_preferences")
	}

	step(t, ctx, "revoke in a dialog",
		chromedp.Navigate(h.url+"/settings/workspace"),
		chromedp.Click(chromedp.CSS(`a[data-dialog="revoke-`+key+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#revoke-`+key+` button[data-confirm]`)),
	)
	if loc := read(t, ctx, "location", chromedp.Location()); loc != h.url+"/settings/workspace" {
		t.Errorf("the confirmation navigated to %s; want a dialog on the page", loc)
	}
	step(t, ctx, "confirm revoke",
		chromedp.Click(chromedp.CSS(`#revoke-`+key+` button[data-confirm]`)),
		chromedp.WaitVisible(chromedp.CSS(".notice-ok")),
	)
	if status := h.basicLogin(key, secret); status != http.StatusUnauthorized {
		t.Errorf("auth.login after revoke: status %d, want 401", status)
	}
}

// apiToken signs in to the JSON API with an access key pair, as the SDK does.
func apiToken(t *testing.T, h *harness, key, secret string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.url+"/auth.login", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(key, secret)
	var out struct {
		Data struct {
			Token string `json:"token"`
		} `json:"data"`
	}
	if status := doJSON(t, req, &out); status != http.StatusOK || out.Data.Token == "" {
		t.Fatalf("auth.login: status %d, token %q", status, out.Data.Token)
	}
	return out.Data.Token
}

type apiUser struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func currentUser(t *testing.T, h *harness, token string) apiUser {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.url+"/v2.23/users.get_current_user", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	var out struct {
		Data struct {
			User apiUser `json:"user"`
		} `json:"data"`
	}
	if status := doJSON(t, req, &out); status != http.StatusOK {
		t.Fatalf("users.get_current_user: status %d", status)
	}
	return out.Data.User
}

// hideTips reads views.hideTips through the JSON API.
func hideTips(t *testing.T, h *harness, token string) bool {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.url+"/users.get_preferences", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	var out struct {
		Data struct {
			Preferences struct {
				Views struct {
					HideTips bool `json:"hideTips"`
				} `json:"views"`
			} `json:"preferences"`
		} `json:"data"`
	}
	if status := doJSON(t, req, &out); status != http.StatusOK {
		t.Fatalf("users.get_preferences: status %d", status)
	}
	return out.Data.Preferences.Views.HideTips
}

func doJSON(t *testing.T, req *http.Request, v any) int {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", req.URL.Path, err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("decode %s: %v", req.URL.Path, err)
	}
	return resp.StatusCode
}
