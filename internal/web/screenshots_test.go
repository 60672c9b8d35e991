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
	people := seedUsersAndGroups(t, h)
	ctx := newBrowser(t, 5*time.Minute)

	each(t, ctx, func(suffix string) {
		shoot(t, ctx, dir, "login-"+suffix, h.url+"/login", "email")
		shoot(t, ctx, dir, "accept-"+suffix, people.link, "name")
		shoot(t, ctx, dir, "accept-invalid-"+suffix, h.url+"/invite/expired-or-used",
			"invitation-problem")
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
		shootUsersAndGroups(t, ctx, dir, h, people, suffix)
	})
}

// shootUsersAndGroups saves the pages of the Users and groups section.
func shootUsersAndGroups(t *testing.T, ctx context.Context, dir string, h *harness,
	people seeded, suffix string) {
	t.Helper()
	shoot(t, ctx, dir, "users-"+suffix, h.url+"/settings/users", "people-heading")
	step(t, ctx, "open the remove dialog",
		chromedp.Click(chromedp.CSS(`a[data-dialog="remove-`+people.member+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`dialog[open] button[data-confirm]`)))
	save(t, ctx, dir, "users-remove-dialog-"+suffix)
	shoot(t, ctx, dir, "users-remove-page-"+suffix,
		h.url+"/settings/users/"+people.member+"/remove", "confirm-heading")
	step(t, ctx, "invite two people",
		chromedp.Navigate(h.url+"/settings/users"),
		chromedp.SendKeys(chromedp.ID("emails"), "shot-"+suffix+"@example.com, "+
			"second-"+suffix+"@example.com"),
		chromedp.Click(chromedp.CSS(inviteButton)),
		chromedp.WaitVisible(chromedp.ID("invite-link-0")))
	save(t, ctx, dir, "invited-"+suffix)
	step(t, ctx, "refused invitation",
		chromedp.Navigate(h.url+"/settings/users"),
		chromedp.SendKeys(chromedp.ID("emails"), "not-an-address"),
		chromedp.Click(chromedp.CSS(inviteButton)),
		chromedp.WaitVisible(chromedp.ID("emails-error")))
	save(t, ctx, dir, "users-invite-error-"+suffix)
	shoot(t, ctx, dir, "groups-"+suffix, h.url+"/settings/groups", "groups-heading")
	shoot(t, ctx, dir, "group-edit-"+suffix, h.url+"/settings/groups/"+people.group, "name")
	step(t, ctx, "filter members as you type",
		chromedp.SendKeys(chromedp.ID("filter"), "mar"))
	save(t, ctx, dir, "group-filter-"+suffix)
	shoot(t, ctx, dir, "service-accounts-"+suffix, h.url+"/settings/service-accounts",
		"accounts-heading")
	shoot(t, ctx, dir, "service-account-"+suffix,
		h.url+"/settings/service-accounts/"+people.account, "account-heading")
	step(t, ctx, "create service account credentials",
		chromedp.SendKeys(chromedp.ID("label"), "shot "+suffix),
		chromedp.Click(chromedp.CSS(`form.form-creds button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("conf-snippet")))
	save(t, ctx, dir, "service-account-secret-"+suffix)
}

// seeded names what seedUsersAndGroups made.
type seeded struct {
	member  string // a person's id
	group   string // a custom group's id
	account string // a service account's id
	link    string // a pending invitation link
}

// seedUsersAndGroups fills the Users and groups section: people in several states, custom
// groups, pending invitations and service accounts with credentials.
func seedUsersAndGroups(t *testing.T, h *harness) seeded {
	t.Helper()
	admin := h.admin()
	names := map[string]string{"grace@example.com": "Grace Hopper",
		"katherine@example.com": "Katherine Johnson", "margaret@example.com": "Margaret Hamilton",
		"alan@example.com": "Alan Turing", "edsger.dijkstra@research.example.com": "Edsger Dijkstra"}
	var out seeded
	for _, email := range []string{"grace@example.com", "katherine@example.com",
		"margaret@example.com", "alan@example.com", "edsger.dijkstra@research.example.com"} {
		h.member(admin, email, names[email])
	}
	out.member = userID(t, admin, "grace@example.com")
	alan := userID(t, admin, "alan@example.com")
	margaret := userID(t, admin, "margaret@example.com")
	readPair(t, h.member(admin, "ci-owner@example.com", "CI Owner").create("ci", "never", ""))
	wantStatus(t, admin.send("/settings/users/"+margaret+"/role", url.Values{"role": {"admin"}}),
		http.StatusSeeOther)
	wantStatus(t, admin.send("/settings/users/"+alan+"/deactivate", nil), http.StatusSeeOther)
	out.link = inviteLinks(t, admin.invite("ada@example.com\nbarbara@example.com", "user"))[0]
	wantStatus(t, admin.send("/settings/users/domains", url.Values{"domains": {"example.com"}}),
		http.StatusSeeOther)

	groups := []struct{ name, desc string }{
		{"Data science", "Notebooks, experiments and model training"},
		{"Platform", "Runs the agents and the GPU pools"},
		{"Contractors", ""},
	}
	for _, g := range groups {
		wantStatus(t, admin.send("/settings/groups", url.Values{"op": {"save"},
			"name": {g.name}, "description": {g.desc},
			"members": {out.member, userID(t, admin, "katherine@example.com")}}),
			http.StatusSeeOther)
	}
	out.group = groupID(t, admin, "Data science")
	platform := groupID(t, admin, "Platform")

	for _, sa := range []struct {
		name string
		form url.Values
	}{
		{"gpu-agents", url.Values{"impersonation": {"on"}, "groups": {platform}}},
		{"nightly-ci", url.Values{"groups": {out.group}}},
	} {
		sa.form.Set("name", sa.name)
		pair := readPair(t, admin.send("/settings/service-accounts", sa.form))
		h.basicLogin(pair.key, pair.secret)
	}
	out.account = accountIDs(t, admin)["gpu-agents"]
	readPair(t, admin.send("/settings/service-accounts/"+out.account+"/credentials",
		url.Values{"label": {"k8s glue"}, "expiry": {"30"}}))
	h.srv.Identity.FlushActivity(context.Background())
	h.srv.Credentials.Flush(context.Background())
	return out
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
