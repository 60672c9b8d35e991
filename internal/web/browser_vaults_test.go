package web_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const teamConf = `# Storage and output for the ML team
sdk {
  aws.s3 {
    region: "eu-central-1"
    key: "AKIATEAMEXAMPLE"
  }
  development.default_output_uri: "s3://team-models"
}
`

// TestBrowserGroupVault: an admin creates a group vault in the browser, importing its
// content from a file; a member's SDK request receives it, and the member's effective
// configuration shows which vault each key came from.
func TestBrowserGroupVault(t *testing.T) {
	h := startVaults(t)
	admin := h.admin()
	member, memberID, team := teamWithMember(t, h, admin, "ML team")
	wantStatus(t, member.savePersonal("", 0, "hocon",
		"sdk.development.default_output_uri: \"s3://mia\"\n", true), http.StatusSeeOther)
	pair := readPair(t, member.create("sdk laptop", "never", ""))
	file := filepath.Join(t.TempDir(), "team.conf")
	if err := os.WriteFile(file, []byte(teamConf), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx := newBrowser(t, 90*time.Second)
	signInInBrowser(t, ctx, h.url)
	step(t, ctx, "fill the new vault form",
		chromedp.Navigate(h.url+"/settings/vaults/new"),
		chromedp.WaitVisible(chromedp.ID("vault-name")),
		chromedp.SendKeys(chromedp.ID("vault-name"), "ML team storage"),
		chromedp.SetValue(chromedp.ID("vault-group"), team),
		chromedp.SetValue(chromedp.ID("vault-format"), "json"),
		chromedp.SetUploadFiles(chromedp.ID("vault-file"), []string{file}),
		chromedp.Poll[chromedp.Void](
			`document.getElementById("data").value.indexOf("AKIATEAMEXAMPLE") > 0`,
			chromedp.WithPollingTimeout(10*time.Second)),
	)
	if got := read(t, ctx, "format", chromedp.Value(chromedp.ID("vault-format"))); got != "hocon" {
		t.Errorf("format after importing team.conf = %q, want hocon", got)
	}
	step(t, ctx, "create the vault",
		chromedp.Click(chromedp.CSS(`#vault-form .actions button[value="save"]`)),
		chromedp.WaitVisible(chromedp.CSS(".notice-ok")),
	)
	row := read(t, ctx, "read the row", chromedp.Text(chromedp.CSS(".table-vaults tbody tr")))
	for _, want := range []string{"ML team storage", "Client configuration", "ML team",
		"sdk.aws.s3.region"} {
		wantContains(t, "table row", row, want)
	}
	if strings.Contains(row, "AKIATEAMEXAMPLE") {
		t.Error("the table shows a key's value")
	}

	vaults := sdkVaults(t, h, apiToken(t, h, pair.key, pair.secret))
	if len(vaults) != 2 || vaults[0].Description != "ML team storage" ||
		vaults[0].Data != teamConf || vaults[1].Scope != "user" {
		t.Fatalf("the member's users.get_vaults = %+v, want the group vault, then their own",
			vaults)
	}

	step(t, ctx, "open the member's effective configuration",
		chromedp.Navigate(h.url+"/settings/effective-config?user="+memberID),
		chromedp.WaitVisible(chromedp.CSS(".table-leaves")),
	)
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(
		document.querySelectorAll(".table-leaves tbody tr")).map(tr =>
		Array.from(tr.cells).map(c => c.innerText.replace(/\s+/g, " ").trim()).join(" | "))`))
	if err != nil {
		t.Fatalf("read the keys: %v", err)
	}
	want := []string{
		`sdk.aws.s3.key | "AKIATEAMEXAMPLE" | ML team storage Group`,
		`sdk.aws.s3.region | "eu-central-1" | ML team storage Group`,
		`sdk.development.default_output_uri | "s3://mia" | Personal configuration Personal`,
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("keys =\n%s\nwant\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
}
