package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// viewport is one screen the screenshots are taken at.
type viewport struct {
	name          string
	width, height int64
	mobile        bool
}

var (
	schemes   = []string{"light", "dark"}
	viewports = []viewport{{"1280", 1280, 800, false}, {"390", 390, 844, true}}
)

// TestScreenshots saves PNGs of every page in light and dark, wide and narrow, into the
// directory named by ATRIUM_SCREENSHOTS. It is off unless that variable is set.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("ATRIUM_SCREENSHOTS")
	if dir == "" {
		t.Skip("set ATRIUM_SCREENSHOTS=/some/dir to save screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	h := start(t)
	seedScreenshotData(t, h)
	ctx := newBrowser(t, 3*time.Minute)

	each(t, ctx, func(suffix string) {
		shoot(t, ctx, dir, "login-"+suffix, h.url+"/login", "email")
	})
	signInInBrowser(t, ctx, h.url)
	each(t, ctx, func(suffix string) {
		shoot(t, ctx, dir, "profile-"+suffix, h.url+"/settings/profile", "display-name")
		shoot(t, ctx, dir, "configuration-"+suffix, h.url+"/settings/configuration", "prefs-heading")
		shoot(t, ctx, dir, "workspace-"+suffix, h.url+"/settings/workspace", "creds-heading")
		step(t, ctx, "open the revoke dialog",
			chromedp.Click(chromedp.CSS(`a[data-dialog^="revoke-"]`)),
			chromedp.WaitVisible(chromedp.CSS(`dialog[open] button[data-confirm]`)))
		save(t, ctx, dir, "revoke-dialog-"+suffix)
		step(t, ctx, "create for the one-time page",
			chromedp.Navigate(h.url+"/settings/workspace"),
			chromedp.SendKeys(chromedp.ID("label"), "notebook "+suffix),
			chromedp.Click(chromedp.CSS(createButton)),
			chromedp.WaitVisible(chromedp.ID("secret-key")),
		)
		save(t, ctx, dir, "secret-"+suffix)
	})
}

// each runs fn once per colour scheme and viewport, with the browser emulating them.
func each(t *testing.T, ctx context.Context, fn func(suffix string)) {
	t.Helper()
	for _, scheme := range schemes {
		for _, vp := range viewports {
			var opts []chromedp.EmulateViewportOption
			if vp.mobile {
				opts = append(opts, chromedp.EmulateMobile, chromedp.EmulatePortrait)
			}
			step(t, ctx, "emulate "+scheme+" "+vp.name,
				chromedp.EmulateViewport(vp.width, vp.height, opts...))
			_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia,
				emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{
					{Name: "prefers-color-scheme", Value: scheme}}})
			if err != nil {
				t.Fatalf("emulate %s: %v", scheme, err)
			}
			fn(scheme + "-" + vp.name)
		}
	}
}

func shoot(t *testing.T, ctx context.Context, dir, name, url, waitFor string) {
	t.Helper()
	step(t, ctx, "open "+name, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.ID(waitFor)))
	save(t, ctx, dir, name)
}

func save(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// seedScreenshotData gives the pages something to show: credentials (one about to
// expire, one used), a cloud access row and some preferences.
func seedScreenshotData(t *testing.T, h *harness) {
	t.Helper()
	a := h.agent()
	a.login(adminEmail, adminPassword)
	used := readPair(t, a.create("laptop", "never", ""))
	h.basicLogin(used.key, used.secret)
	readPair(t, a.create("CI runner (nightly)", "custom", "3"))
	readPair(t, a.create("", "90", ""))
	forms := []struct {
		path string
		form url.Values
	}{
		{"/settings/configuration/preferences", url.Values{"rootProjects.showHidden": {"on"},
			"views.hideRedactedArguments": {"on"}}},
		{"/settings/configuration/cloud-access", url.Values{"rows.0.bucket": {"team-artifacts"},
			"rows.0.key": {"AKIAIOSFODNN7EXAMPLE"}, "rows.0.secret": {"wJalrXUtnFEMI/K7MDENG"},
			"rows.0.region": {"eu-west-1"}, "rows.1.bucket": {"datasets"},
			"rows.1.key": {"minio-reader"}, "rows.1.secret": {"minio-secret-value"},
			"rows.1.endpoint": {"minio.internal:9000"}}},
	}
	for _, f := range forms {
		f.form.Set("csrf", a.csrf())
		if p := a.post(f.path, f.form); p.status != http.StatusSeeOther {
			t.Fatalf("seed %s: status %d", f.path, p.status)
		}
	}
	t.Log(fmt.Sprintf("seeded screenshot data for %s", h.url))
}
