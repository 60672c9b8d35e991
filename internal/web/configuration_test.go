package web_test

import (
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func TestPreferencesSavedAndVisibleThroughTheAPI(t *testing.T) {
	h := start(t)
	a := h.agent()
	a.login(adminEmail, adminPassword)

	p := a.post("/settings/configuration/preferences", url.Values{"csrf": {a.csrf()},
		"rootProjects.showHidden": {"on"}, "views.hideTips": {"on"},
		"views.hideRedactedArguments": {"on"}})
	wantStatus(t, p, http.StatusSeeOther)

	status, data := a.api("/users.get_preferences", map[string]any{})
	if status != http.StatusOK {
		t.Fatalf("users.get_preferences: status %d", status)
	}
	prefs, _ := data["preferences"].(map[string]any)
	want := map[string]bool{"rootProjects.showHidden": true, "rootProjects.hideExamples": false,
		"views.hideTips": true, "rootProjects.blockUserScript": false,
		"views.hideRedactedArguments": true}
	for path, on := range want {
		top, leaf, _ := strings.Cut(path, ".")
		section, _ := prefs[top].(map[string]any)
		if got, _ := section[leaf].(bool); got != on {
			t.Errorf("%s = %v, want %v (preferences %v)", path, section[leaf], on, prefs)
		}
	}

	page := a.get("/settings/configuration")
	for path, on := range want {
		input := page.byID("sw-" + path)
		if input == nil {
			t.Fatalf("no switch for %s", path)
		}
		if _, checked := attr(input, "checked"); checked != on {
			t.Errorf("switch %s checked = %v, want %v", path, checked, on)
		}
	}
}

// argumentInputs returns the hidden-argument names the editor shows, blank rows left out.
func argumentInputs(p *page) []string {
	var out []string
	for _, n := range findAll(p.doc, isArgumentInput) {
		if v, _ := attr(n, "value"); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// isArgumentInput matches the inputs "args.N" (not the script's row template).
func isArgumentInput(n *html.Node) bool {
	name, _ := attr(n, "name")
	num, ok := strings.CutPrefix(name, "args.")
	if !ok || num == "" {
		return false
	}
	_, err := strconv.Atoi(num)
	return err == nil
}

func TestRedactedArgumentsEditor(t *testing.T) {
	h := start(t)
	a := h.agent()
	a.login(adminEmail, adminPassword)
	defaults := []string{"CLEARML_API_SECRET_KEY", "CLEARML_AGENT_GIT_PASS",
		"AWS_SECRET_ACCESS_KEY", "AZURE_STORAGE_KEY"}
	if got := argumentInputs(a.get("/settings/configuration")); !reflect.DeepEqual(got, defaults) {
		t.Fatalf("initial list = %q, want the defaults", got)
	}

	p := a.post("/settings/configuration/redacted-arguments", url.Values{"csrf": {a.csrf()},
		"op": {"save"}, "args.0": {"CLEARML_API_SECRET_KEY"}, "args.1": {"GIT_TOKEN"},
		"args.2": {"AWS_SECRET_ACCESS_KEY"}, "args.2.remove": {"on"}, "args.3": {"  "},
		"args.7": {"HF_TOKEN"}})
	wantStatus(t, p, http.StatusSeeOther)
	want := []string{"CLEARML_API_SECRET_KEY", "GIT_TOKEN", "HF_TOKEN"}
	if got := argumentInputs(a.get("/settings/configuration")); !reflect.DeepEqual(got, want) {
		t.Errorf("saved list = %q, want %q", got, want)
	}
	_, data := a.api("/users.get_preferences", map[string]any{})
	views := data["preferences"].(map[string]any)["views"].(map[string]any)
	list, _ := views["redactedArguments"].([]any)
	if len(list) != 3 || list[1].(map[string]any)["key"] != "GIT_TOKEN" {
		t.Errorf("stored views.redactedArguments = %v", views["redactedArguments"])
	}

	bad := a.post("/settings/configuration/redacted-arguments", url.Values{"csrf": {a.csrf()},
		"op": {"save"}, "args.0": {"HAS SPACE"}})
	wantStatus(t, bad, http.StatusBadRequest)
	if got := bad.texts("field-error"); len(got) != 1 {
		t.Errorf("field errors = %q, want one", got)
	}
	if got := argumentInputs(a.get("/settings/configuration")); !reflect.DeepEqual(got, want) {
		t.Errorf("list after a refused save = %q, want it unchanged", got)
	}

	p = a.post("/settings/configuration/redacted-arguments", url.Values{"csrf": {a.csrf()},
		"op": {"defaults"}, "args.0": {"IGNORED"}})
	wantStatus(t, p, http.StatusSeeOther)
	if got := argumentInputs(a.get("/settings/configuration")); !reflect.DeepEqual(got, defaults) {
		t.Errorf("after restore = %q, want the defaults", got)
	}
}

func TestCloudAccessSecretsNeverShown(t *testing.T) {
	h := start(t)
	a := h.agent()
	a.login(adminEmail, adminPassword)
	const secret, token = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY", "FwoGZXIvYXdzEFAKESESSION9876"

	p := a.post("/settings/configuration/cloud-access", url.Values{"csrf": {a.csrf()},
		"rows.0.bucket": {"team-artifacts"}, "rows.0.key": {"AKIAEXAMPLE"},
		"rows.0.secret": {secret}, "rows.0.token": {token}, "rows.0.region": {"eu-west-1"},
		"rows.1.bucket": {""}})
	wantStatus(t, p, http.StatusSeeOther)

	page := a.get("/settings/configuration")
	assertNoSecret(t, page, secret, token)
	if !strings.Contains(page.body, "••••EKEY") {
		t.Errorf("the secret hint is not shown")
	}
	id := page.inputValue("rows.0.id")
	if id == "" {
		t.Fatal("the saved row has no id input")
	}
	for _, name := range []string{"rows.0.secret", "rows.0.token"} {
		n := findAll(page.doc, hasAttr("name", name))
		if len(n) != 1 {
			t.Fatalf("no %s input", name)
		}
		if typ, _ := attr(n[0], "type"); typ != "password" {
			t.Errorf("%s type = %q, want password", name, typ)
		}
		if v, ok := attr(n[0], "value"); ok && v != "" {
			t.Errorf("%s is prefilled", name)
		}
	}

	// An error re-render keeps the row but not what was typed into the secret inputs.
	bad := a.post("/settings/configuration/cloud-access", url.Values{"csrf": {a.csrf()},
		"rows.0.id": {id}, "rows.0.bucket": {"team-artifacts"}, "rows.0.key": {"AKIAEXAMPLE"},
		"rows.0.endpoint": {"ftp://files.example"}, "rows.0.secret": {"typed-new-secret-0000"}})
	wantStatus(t, bad, http.StatusBadRequest)
	assertNoSecret(t, bad, secret, token, "typed-new-secret-0000")
	if got := bad.texts("field-error"); len(got) != 1 || !strings.Contains(got[0], "Endpoint") {
		t.Errorf("field errors = %q, want the endpoint error", got)
	}

	// Saving other fields with empty secrets keeps the stored ones.
	p = a.post("/settings/configuration/cloud-access", url.Values{"csrf": {a.csrf()},
		"rows.0.id": {id}, "rows.0.bucket": {"team-artifacts"}, "rows.0.key": {"AKIAEXAMPLE"},
		"rows.0.region": {"us-east-2"}})
	wantStatus(t, p, http.StatusSeeOther)
	page = a.get("/settings/configuration")
	assertNoSecret(t, page, secret, token)
	region, hint := page.inputValue("rows.0.region"), strings.Contains(page.body, "••••EKEY")
	if region != "us-east-2" || !hint {
		t.Errorf("row after a partial save: region %q, hint kept %v", region, hint)
	}

	p = a.post("/settings/configuration/cloud-access", url.Values{"csrf": {a.csrf()},
		"rows.0.id": {id}, "rows.0.bucket": {"team-artifacts"}, "rows.0.remove": {"on"}})
	wantStatus(t, p, http.StatusSeeOther)
	if got := a.get("/settings/configuration").inputValue("rows.0.id"); got != "" {
		t.Errorf("removed row still listed (id %q)", got)
	}
}

func assertNoSecret(t *testing.T, p *page, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(p.body, s) {
			t.Errorf("page HTML contains the secret %q", s)
		}
	}
}

// TestPushedStorageCredentials: rows from an administrators' storage credentials vault show
// read-only on a member's Configuration page, secrets masked.
func TestPushedStorageCredentials(t *testing.T) {
	h := start(t)
	admin := h.agent()
	admin.login(adminEmail, adminPassword)
	status, created := admin.api("/auth.create_user", map[string]any{"name": "Mia Member",
		"email": "mia@example.com", "password": "mia-Long-passw0rd"})
	if status != 200 {
		t.Fatalf("create user: %d", status)
	}
	status, group := admin.api("/permissions.add_or_update_user_group", map[string]any{
		"name": "storage", "users": []string{created["id"].(string)}})
	if status != 200 {
		t.Fatalf("create group: %d", status)
	}
	status, _ = admin.api("/users.add_or_update_vault", map[string]any{"group": group["id"],
		"vault": map[string]any{"scope": "group", "type": "storage_credentials",
			"description": "team buckets", "data": `credentials: [{bucket: "team-artifacts", ` +
				`key: "AKIAPUSHED", secret: "pushed-secret-value-123"}]`}})
	if status != 200 {
		t.Fatalf("create vault: %d", status)
	}
	mia := h.agent()
	mia.login("mia@example.com", "mia-Long-passw0rd")
	p := mia.get("/settings/configuration")
	wantStatus(t, p, http.StatusOK)
	for _, want := range []string{"Provided by your administrators", "team-artifacts",
		"AKIAPUSHED", "team buckets"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("configuration page lacks %q", want)
		}
	}
	if strings.Contains(p.body, "pushed-secret-value") {
		t.Fatal("the pushed secret is shown in full")
	}
}

// TestAdminForcesBlockUserScripts: the admin's switch locks the preference on for users.
func TestAdminForcesBlockUserScripts(t *testing.T) {
	h := start(t)
	admin := h.agent()
	admin.login(adminEmail, adminPassword)
	status, _ := admin.api("/auth.create_user", map[string]any{"name": "Fay Forced",
		"email": "fay@example.com", "password": "fay-Long-passw0rd"})
	if status != 200 {
		t.Fatalf("create user: %d", status)
	}
	p := admin.post("/settings/configuration/force-scripts",
		url.Values{"csrf": {admin.csrf()}, "force": {"on"}})
	wantStatus(t, p, http.StatusSeeOther)
	fay := h.agent()
	fay.login("fay@example.com", "fay-Long-passw0rd")
	page := fay.get("/settings/configuration")
	sw := page.byID("sw-rootProjects.blockUserScript")
	if sw == nil {
		t.Fatal("no block-user-scripts switch")
	}
	if _, disabled := attr(sw, "disabled"); !disabled {
		t.Error("the forced switch is not disabled")
	}
	if _, checked := attr(sw, "checked"); !checked {
		t.Error("the forced switch is not on")
	}
	if page.byID("force-scripts") != nil {
		t.Error("a non-admin sees the admin's force switch")
	}
}
