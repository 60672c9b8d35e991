package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
	h := startVaults(t)
	seedScreenshotData(t, h)
	people := seedUsersAndGroups(t, h)
	vaults := seedVaults(t, h, people)
	workloads := seedWorkloads(t, h)
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
		shootVaults(t, ctx, dir, h, vaults, suffix)
		shootWorkloads(t, ctx, dir, h, workloads, suffix)
	})
}

// shootVaults saves the vault pages: the personal vault with a refused save, the
// Administrator vaults tabs, a vault's edit page and history, and a member's effective
// configuration.
func shootVaults(t *testing.T, ctx context.Context, dir string, h *harness, v seededVaults,
	suffix string) {
	t.Helper()
	step(t, ctx, "refused personal vault",
		chromedp.Navigate(h.url+"/settings/workspace#vault"),
		chromedp.WaitVisible(chromedp.ID("vault-data")),
		chromedp.SetValue(chromedp.ID("vault-data"), brokenVault),
		chromedp.Click(chromedp.CSS(`form[action="/settings/workspace/vault#vault"] `+
			`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("vault-data-error")))
	toTop(t, ctx)
	save(t, ctx, dir, "workspace-vault-error-"+suffix)
	shoot(t, ctx, dir, "audit-log-"+suffix, h.url+"/settings/audit-log", "audit-heading")
	shoot(t, ctx, dir, "vaults-"+suffix, h.url+"/settings/vaults", "vaults-heading")
	if suffix == "light-1280" { // the in-between width, where the table drops columns
		step(t, ctx, "emulate 1024", chromedp.EmulateViewport(1024, 768))
		shoot(t, ctx, dir, "vaults-light-1024", h.url+"/settings/vaults", "vaults-heading")
		step(t, ctx, "emulate 1280 again", chromedp.EmulateViewport(1280, 800))
	}
	step(t, ctx, "open a row menu",
		chromedp.Click(chromedp.CSS(`#vault-`+v.group+` details.menu summary`)),
		chromedp.WaitVisible(chromedp.CSS(`#vault-`+v.group+` a[data-dialog]`)))
	save(t, ctx, dir, "vaults-menu-"+suffix)
	step(t, ctx, "open the delete dialog",
		chromedp.Click(chromedp.CSS(`a[data-dialog="delete-`+v.group+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`dialog[open] button[data-confirm]`)))
	save(t, ctx, dir, "vaults-delete-dialog-"+suffix)
	shoot(t, ctx, dir, "vault-new-"+suffix, h.url+"/settings/vaults/new", "vault-name")
	shoot(t, ctx, dir, "vault-edit-"+suffix, h.url+"/settings/vaults/"+v.group, "vault-name")
	shoot(t, ctx, dir, "vault-history-"+suffix, h.url+"/settings/vaults/"+v.group+
		"/history?a=1&b=3", "diff-heading")
	shoot(t, ctx, dir, "vault-activity-"+suffix, h.url+"/settings/vaults/activity",
		"activity-heading")
	shoot(t, ctx, dir, "effective-"+suffix, h.url+"/settings/effective-config?user="+
		v.member, "keys-heading")
}

// toTop scrolls the page back up, so a full-page shot does not show the sticky navigation
// halfway down.
func toTop(t *testing.T, ctx context.Context) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](
		"window.scrollTo(0, 0), true")); err != nil {
		t.Fatalf("scroll to the top: %v", err)
	}
}

// brokenVault is vault text with an unterminated string on line 3.
const brokenVault = "sdk {\n  aws.s3 {\n    key = \"AKIA\n  }\n}\n"

// seededVaults names what seedVaults made.
type seededVaults struct {
	group  string // a group vault with three versions
	member string // a person the vaults apply to
}

// seedVaults fills the vault pages: workspace and group vaults (one inactive, one
// edited twice), and personal vaults of the admin and a member.
func seedVaults(t *testing.T, h *harness, people seeded) seededVaults {
	t.Helper()
	admin := h.admin()
	addVault(t, admin, vaultForm("Company defaults", "workspace", "", "hocon",
		"sdk {\n  development.default_output_uri: \"s3://acme-models\"\n  "+
			"log.null_log_propagate: true\n}\n"))
	first := "sdk:\n  aws:\n    s3:\n      region: eu-west-1\n      key: AKIADATASCIENCE\n" +
		"      secret: wJalrXUtnFEMIK7MDENG\n"
	id := addVault(t, admin, vaultForm("Data science S3", "group", people.group, "yaml", first))
	second := strings.Replace(first, "eu-west-1", "eu-central-1", 1) +
		"  development:\n    default_output_uri: s3://ds-models\n"
	for i, data := range []string{second, second + "agent:\n  docker_force_pull: true\n"} {
		form := vaultForm("Data science S3", "", "", "yaml", data)
		form.Set("version", strconv.Itoa(i+1))
		wantStatus(t, admin.send("/settings/vaults/"+id, form), http.StatusSeeOther)
	}
	platform := groupID(t, admin, "Platform")
	ssh := vaultForm("Session host keys", "group", platform, "json",
		`{"ssh_host_ed25519_key": "-----BEGIN OPENSSH PRIVATE KEY-----\n...", `+
			`"ssh_host_ed25519_key__pub": "ssh-ed25519 AAAAC3Nza..."}`)
	ssh.Set("type", "ssh_server")
	ssh.Del("enabled")
	addVault(t, admin, ssh)
	wantStatus(t, admin.savePersonal("", 0, "hocon",
		"# Keep disabled while editing\nsdk.aws.s3.region: us-east-1\n", false),
		http.StatusSeeOther)
	return seededVaults{group: id, member: people.member}
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
