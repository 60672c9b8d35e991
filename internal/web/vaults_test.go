package web_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// startVaults starts a server whose web UI has the vault service, and says what is
// missing when it has not.
func startVaults(t *testing.T) *harness {
	t.Helper()
	h := start(t)
	if p := h.admin().get("/settings/vaults"); p.status != http.StatusOK {
		t.Fatalf("GET /settings/vaults as an admin: status %d. The web UI has no vault "+
			"service: internal/server/server.go must pass Vaults: s.Vaults in web.Services",
			p.status)
	}
	return h
}

// apiVault is a vault as users.get_vaults returns it.
type apiVault struct {
	ID          string `json:"id"`
	Scope       string `json:"scope"`
	Description string `json:"description"`
	Format      string `json:"format"`
	Enabled     bool   `json:"enabled"`
	Data        string `json:"data"`
	Group       string `json:"group"`
}

// sdkVaults makes the SDK's own request for vaults with a bearer token.
func sdkVaults(t *testing.T, h *harness, token string) []apiVault {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet,
		h.url+"/users.get_vaults?enabled=true&types=config&types=config", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	var out struct {
		Data struct {
			Vaults []apiVault `json:"vaults"`
		} `json:"data"`
	}
	if status := doJSON(t, req, &out); status != http.StatusOK {
		t.Fatalf("users.get_vaults: status %d", status)
	}
	return out.Data.Vaults
}

// savePersonal sends the personal vault form of the Workspace page.
func (a *agent) savePersonal(id string, version int, format, data string, on bool) *page {
	a.h.t.Helper()
	form := url.Values{"id": {id}, "version": {strconv.Itoa(version)}, "format": {format},
		"data": {data}}
	if on {
		form.Set("enabled", "on")
	}
	return a.send("/settings/workspace/vault", form)
}

// textareaValue is the raw text of the textarea with the id, as a browser shows it.
func textareaValue(t *testing.T, p *page, id string) string {
	t.Helper()
	n := p.byID(id)
	if n == nil || n.Data != "textarea" {
		t.Fatalf("no textarea #%s on the page:\n%s", id, p.body)
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(c.Data)
	}
	return b.String()
}

// isChecked reports whether the input with the id is ticked.
func isChecked(t *testing.T, p *page, id string) bool {
	t.Helper()
	n := p.byID(id)
	if n == nil {
		t.Fatalf("no #%s on the page", id)
	}
	_, ok := attr(n, "checked")
	return ok
}

// personal reads the personal vault form: its id, version and text.
func personal(t *testing.T, a *agent) (id string, version int, data string) {
	t.Helper()
	p := a.get("/settings/workspace")
	wantStatus(t, p, http.StatusOK)
	form := findAll(p.doc, hasAttr("action", "/settings/workspace/vault#vault"))
	if len(form) != 1 {
		t.Fatalf("no personal vault form:\n%s", p.body)
	}
	for _, n := range findAll(form[0], hasAttr("type", "hidden")) {
		name, _ := attr(n, "name")
		val, _ := attr(n, "value")
		switch name {
		case "id":
			id = val
		case "version":
			version, _ = strconv.Atoi(val)
		}
	}
	return id, version, textareaValue(t, p, "vault-data")
}

func TestPersonalVaultCreateEditDisable(t *testing.T) {
	h := startVaults(t)
	member := h.member(h.admin(), "ada@example.com", "Ada Lovelace")
	p := member.get("/settings/workspace")
	wantContains(t, "workspace page", text(p.doc), "Enabled content reaches new sessions at once")
	if n := findAll(p.doc, hasAttr("href", "/settings/effective-config")); len(n) == 0 {
		t.Error("no link to the effective configuration")
	}
	if id, _, data := personal(t, member); id != "" || data != "" {
		t.Fatalf("a new user has a personal vault %q holding %q", id, data)
	}

	first := "sdk {\n  aws.s3.region: eu-west-1\n}\n"
	saved := member.savePersonal("", 0, "hocon", first, true)
	wantStatus(t, saved, http.StatusSeeOther)
	if got := saved.location(); got != "/settings/workspace?notice=vault-on#vault" {
		t.Errorf("redirect = %q", got)
	}
	id, version, data := personal(t, member)
	if id == "" || version != 1 || data != first {
		t.Fatalf("after create: id %q version %d data %q", id, version, data)
	}
	got := sdkVaults(t, h, member.token())
	if len(got) != 1 || got[0].ID != id || got[0].Scope != "user" || got[0].Data != first {
		t.Fatalf("users.get_vaults = %+v, want the personal vault", got)
	}

	second := `{"sdk": {"aws": {"s3": {"region": "us-east-1"}}}}`
	wantStatus(t, member.savePersonal(id, version, "json", second, true), http.StatusSeeOther)
	_, version, data = personal(t, member)
	if version != 2 || data != second {
		t.Errorf("after edit: version %d data %q", version, data)
	}
	if got := sdkVaults(t, h, member.token()); len(got) != 1 || got[0].Format != "json" {
		t.Errorf("users.get_vaults after edit = %+v", got)
	}

	off := member.savePersonal(id, version, "json", second, false)
	wantStatus(t, off, http.StatusSeeOther)
	if got := off.location(); got != "/settings/workspace?notice=vault-off#vault" {
		t.Errorf("redirect = %q", got)
	}
	if isChecked(t, member.get("/settings/workspace"), "vault-enabled") {
		t.Error("the switch is still on after disabling")
	}
	if got := sdkVaults(t, h, member.token()); len(got) != 0 {
		t.Errorf("a disabled vault is delivered: %+v", got)
	}
}

func TestPersonalVaultSyntaxErrorShownAtTheLine(t *testing.T) {
	h := startVaults(t)
	a := h.admin()
	cases := []struct {
		name, format, data, want string
		line                     string
	}{
		{"hocon", "hocon", "sdk {\n  aws {\n    s3.key = \"abc\n  }\n}\n", "line 3", "3"},
		{"json", "json", "{\n  \"sdk\": {\n    \"a\": 1,,\n  }\n}", "line 3", "3"},
		{"yaml", "yaml", "sdk:\n  a: 1\n   b: [\n", "line", ""},
		{"include", "hocon", "include \"other.conf\"\n", "include", "1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := a.savePersonal("", 0, tc.format, tc.data, true)
			wantStatus(t, p, http.StatusBadRequest)
			msg := fieldErrorText(p, "vault-data-error")
			wantContains(t, "error", msg, tc.want)
			wantContains(t, "error", msg, "column")
			if got := textareaValue(t, p, "vault-data"); got != tc.data {
				t.Errorf("editor holds %q, want the submitted %q", got, tc.data)
			}
			area := p.byID("vault-data")
			if v, _ := attr(area, "aria-invalid"); v != "true" {
				t.Error("the editor is not marked invalid")
			}
			if tc.line != "" {
				if v, _ := attr(area, "data-error-line"); v != tc.line {
					t.Errorf("data-error-line = %q, want %s", v, tc.line)
				}
				if len(p.texts("excerpt")) != 1 {
					t.Error("the offending line is not shown under the message")
				}
			}
		})
	}
	if id, _, _ := personal(t, a); id != "" {
		t.Errorf("a refused save stored vault %s", id)
	}
	if got := sdkVaults(t, h, a.token()); len(got) != 0 {
		t.Errorf("users.get_vaults after refused saves = %+v", got)
	}
}

func TestPersonalVaultStaleVersionIsAConflict(t *testing.T) {
	h := startVaults(t)
	a := h.admin()
	wantStatus(t, a.savePersonal("", 0, "hocon", "a = 1\n", false), http.StatusSeeOther)
	id, loaded, _ := personal(t, a)
	other := h.agent()
	other.login(adminEmail, adminPassword)
	wantStatus(t, other.savePersonal(id, loaded, "hocon", "a = 2\n", false), http.StatusSeeOther)

	p := a.savePersonal(id, loaded, "hocon", "a = 3\n", false)
	wantStatus(t, p, http.StatusConflict)
	msg := fieldErrorText(p, "vault-form-error")
	wantContains(t, "conflict", msg, "changed by someone else")
	wantContains(t, "conflict", msg, "Reload")
	if got := textareaValue(t, p, "vault-data"); got != "a = 3\n" {
		t.Errorf("editor holds %q, want the refused text", got)
	}
	if _, version, data := personal(t, a); version != 2 || data != "a = 2\n" {
		t.Errorf("stored version %d %q, want the other window's save", version, data)
	}

	p = a.savePersonal("", 0, "hocon", "b = 1\n", false)
	wantStatus(t, p, http.StatusConflict)
	if _, version, _ := personal(t, a); version != 2 {
		t.Error("a form opened before the vault existed made or changed a vault")
	}
}

func TestVaultPagesAreOnlyForAdmins(t *testing.T) {
	h := startVaults(t)
	admin := h.admin()
	id := addVault(t, admin, vaultForm("Workspace defaults", "workspace", "", "hocon",
		"api.files_server: \"s3://bucket\"\n"))
	member := h.member(admin, "user@example.com", "Ordinary User")
	for _, n := range findAll(member.get("/settings/profile").doc, hasClass("sidenav")) {
		if strings.Contains(text(n), "vaults") {
			t.Errorf("a user's navigation shows %q", text(n))
		}
	}
	for _, path := range []string{"/settings/vaults", "/settings/vaults/new",
		"/settings/vaults/activity", "/settings/vaults/" + id,
		"/settings/vaults/" + id + "/history", "/settings/vaults/" + id + "/download",
		"/settings/vaults/" + id + "/delete", "/settings/vaults/" + id + "/restore?version=1"} {
		if p := member.get(path); p.status != http.StatusNotFound ||
			strings.Contains(p.body, "s3://bucket") {
			t.Errorf("GET %s as a user: status %d, want 404 without the data", path, p.status)
		}
	}
	for _, path := range []string{"/settings/vaults", "/settings/vaults/" + id,
		"/settings/vaults/" + id + "/active", "/settings/vaults/" + id + "/delete",
		"/settings/vaults/" + id + "/restore?version=1"} {
		form := vaultForm("Mine", "workspace", "", "hocon", "x = 1")
		if p := member.send(path, form); p.status != http.StatusNotFound {
			t.Errorf("POST %s as a user: status %d, want 404", path, p.status)
		}
	}
	if got := vaultRows(t, admin); len(got) != 1 || !strings.Contains(got[id], "Active") {
		t.Errorf("vaults after a user's attempts = %v", got)
	}
}

// vaultForm is the add vault form's fields; scope is "workspace" or "group".
func vaultForm(name, scope, group, format, data string) url.Values {
	return url.Values{"name": {name}, "type": {"config"}, "scope": {scope}, "group": {group},
		"format": {format}, "data": {data}, "enabled": {"on"}, "op": {"save"}}
}

// addVault sends the add vault form and returns the new vault's id.
func addVault(t *testing.T, admin *agent, form url.Values) string {
	t.Helper()
	p := admin.send("/settings/vaults", form)
	wantStatus(t, p, http.StatusSeeOther)
	_, id, ok := strings.Cut(p.location(), "#vault-")
	if !ok || !strings.HasPrefix(p.location(), "/settings/vaults?notice=vault-saved") {
		t.Fatalf("redirect after saving = %q", p.location())
	}
	return id
}

// vaultRows reads the vaults table: each row's text by vault id.
func vaultRows(t *testing.T, admin *agent) map[string]string {
	t.Helper()
	p := admin.get("/settings/vaults")
	wantStatus(t, p, http.StatusOK)
	out := map[string]string{}
	for _, tr := range findAll(p.doc, func(n *html.Node) bool { return n.Data == "tr" }) {
		if id, _ := attr(tr, "id"); strings.HasPrefix(id, "vault-") {
			row := text(tr)
			if sw := findAll(tr, hasClass("switch")); len(sw) == 1 {
				if _, on := attr(sw[0], "checked"); on {
					row = "Active " + row
				}
			}
			out[strings.TrimPrefix(id, "vault-")] = row
		}
	}
	return out
}

// teamWithMember makes a group holding a new member and returns the member, their id and
// the group's id.
func teamWithMember(t *testing.T, h *harness, admin *agent, group string) (*agent, string,
	string) {
	t.Helper()
	member := h.member(admin, "member@example.com", "Mia Member")
	memberID := userID(t, admin, "member@example.com")
	wantStatus(t, admin.send("/settings/groups", url.Values{"op": {"save"}, "name": {group},
		"members": {memberID}}), http.StatusSeeOther)
	return member, memberID, groupID(t, admin, group)
}

func TestAdminCreatesAGroupVault(t *testing.T) {
	h := startVaults(t)
	admin := h.admin()
	member, _, team := teamWithMember(t, h, admin, "Data science")
	const yamlData = "sdk:\n  aws:\n    s3:\n      key: AKIAEXAMPLE\n      secret: very-secret-value\n"

	noGroup := admin.send("/settings/vaults", vaultForm("Team S3", "group", "", "yaml", yamlData))
	wantStatus(t, noGroup, http.StatusBadRequest)
	wantContains(t, "group error", fieldErrorText(noGroup, "vault-group-error"), "Choose the group")
	if got := textareaValue(t, noGroup, "data"); got != yamlData {
		t.Errorf("editor after a refusal holds %q", got)
	}
	bad := admin.send("/settings/vaults", vaultForm("Team S3", "group", team, "yaml",
		"sdk:\n  - a\n b: c\n"))
	wantStatus(t, bad, http.StatusBadRequest)
	wantContains(t, "syntax error", fieldErrorText(bad, "data-error"), "line")

	id := addVault(t, admin, vaultForm("Team S3", "group", team, "yaml", yamlData))
	rows := vaultRows(t, admin)
	row := rows[id]
	for _, want := range []string{"Active", "Team S3", "Client configuration", "Data science",
		id, "sdk.aws.s3.key", "sdk.aws.s3.secret", "just now", "by Administrator"} {
		wantContains(t, "row", row, want)
	}
	if strings.Contains(admin.get("/settings/vaults").body, "very-secret-value") {
		t.Error("the table shows a secret value")
	}
	got := sdkVaults(t, h, member.token())
	if len(got) != 1 || got[0].ID != id || got[0].Group != team ||
		!strings.Contains(got[0].Data, `"secret":"very-secret-value"`) {
		t.Fatalf("the member's users.get_vaults = %+v, want the group vault as JSON", got)
	}
	if got := sdkVaults(t, h, admin.token()); len(got) != 0 {
		t.Errorf("the admin, not in the group, receives %+v", got)
	}

	edit := admin.get("/settings/vaults/" + id)
	wantStatus(t, edit, http.StatusOK)
	wantContains(t, "edit page", text(edit.doc), "Members of the group Data science")
	if got := textareaValue(t, edit, "data"); got != yamlData {
		t.Errorf("edit page editor = %q", got)
	}

	off := admin.send("/settings/vaults/"+id+"/active", nil)
	wantStatus(t, off, http.StatusSeeOther)
	if strings.Contains(vaultRows(t, admin)[id], "Active") {
		t.Error("the switch did not deactivate the vault")
	}
	if got := sdkVaults(t, h, member.token()); len(got) != 0 {
		t.Errorf("a deactivated group vault is delivered: %+v", got)
	}
	wantStatus(t, admin.send("/settings/vaults/"+id+"/active", url.Values{"enabled": {"on"}}),
		http.StatusSeeOther)
	if len(sdkVaults(t, h, member.token())) != 1 {
		t.Error("the reactivated vault is not delivered")
	}

	confirm := admin.get("/settings/vaults/" + id + "/delete")
	wantStatus(t, confirm, http.StatusOK)
	wantContains(t, "confirmation", text(confirm.doc), "Delete the vault Team S3 (group Data science)")
	wantStatus(t, admin.send("/settings/vaults/"+id+"/delete", nil), http.StatusSeeOther)
	if len(vaultRows(t, admin)) != 0 || len(sdkVaults(t, h, member.token())) != 0 {
		t.Error("the deleted vault is still there")
	}
}

func TestVaultDownload(t *testing.T) {
	h := startVaults(t)
	admin := h.admin()
	const data = "{\"agent\": {\"extra_docker_arguments\": [\"--ipc=host\"]}}"
	id := addVault(t, admin, vaultForm("GPU agents: docker", "workspace", "", "json", data))
	p := admin.get("/settings/vaults/" + id + "/download")
	wantStatus(t, p, http.StatusOK)
	const disposition = `attachment; filename=GPU-agents-docker.json`
	if got := p.header.Get("Content-Disposition"); got != disposition {
		t.Errorf("Content-Disposition = %q", got)
	}
	if got := p.header.Get("Content-Type"); !strings.HasPrefix(got, "application/json") {
		t.Errorf("Content-Type = %q", got)
	}
	if p.body != data {
		t.Errorf("body = %q, want the vault's text", p.body)
	}
	if got := p.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
}

func TestVaultImportFromAFile(t *testing.T) {
	h := startVaults(t)
	admin := h.admin()
	const conf = "sdk.development.default_output_uri: \"s3://models\"\r\n"
	fields := vaultForm("Imported", "workspace", "", "json", "old text")
	fields.Set("op", "import")
	p := admin.upload("/settings/vaults", fields, "team.conf", conf)
	wantStatus(t, p, http.StatusOK)
	if got := textareaValue(t, p, "data"); got != strings.ReplaceAll(conf, "\r\n", "\n") {
		t.Errorf("editor after import = %q", got)
	}
	wantContains(t, "notice", text(p.byID("imported")), "team.conf")
	if n := findAll(p.byID("vault-format"), hasAttr("selected", "")); len(n) != 1 ||
		text(n[0]) != "HOCON" {
		t.Error("the file's extension did not set the format to HOCON")
	}
	if len(vaultRows(t, admin)) != 0 {
		t.Error("importing saved the vault")
	}

	big := admin.upload("/settings/vaults", fields, "big.conf",
		"a = \""+strings.Repeat("x", 1<<20)+"\"\n")
	wantStatus(t, big, http.StatusBadRequest)
	wantContains(t, "file error", fieldErrorText(big, "vault-file-error"), "1 MiB")

	fields.Set("op", "save")
	saved := admin.upload("/settings/vaults", fields, "team.conf", conf)
	wantStatus(t, saved, http.StatusSeeOther)
	_, id, _ := strings.Cut(saved.location(), "#vault-")
	dl := admin.get("/settings/vaults/" + id + "/download")
	if dl.body != strings.ReplaceAll(conf, "\r\n", "\n") {
		t.Errorf("saved content = %q, want the file's", dl.body)
	}
}

// upload sends a form as multipart with a file, as a browser does for the vault form.
func (a *agent) upload(path string, fields url.Values, name, content string) *page {
	a.h.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fields.Set("csrf", a.csrf())
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		a.h.t.Fatal(err)
	}
	fw.Write([]byte(content))
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, a.h.url+path, &body)
	if err != nil {
		a.h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", a.h.url)
	return a.do(req)
}

func TestVaultHistoryDiffAndRestore(t *testing.T) {
	h := startVaults(t)
	admin := h.admin()
	v1 := "sdk {\n  a = 1\n  b = 2\n}\n"
	id := addVault(t, admin, vaultForm("History", "workspace", "", "hocon", v1))
	v2 := "sdk {\n  a = 1\n  b = 3\n}\n"
	form := vaultForm("History", "", "", "hocon", v2)
	form.Set("version", "1")
	wantStatus(t, admin.send("/settings/vaults/"+id, form), http.StatusSeeOther)

	stale := admin.send("/settings/vaults/"+id, form)
	wantStatus(t, stale, http.StatusConflict)
	wantContains(t, "stale save", fieldErrorText(stale, "vault-form-error"), "changed by someone else")
	if got := textareaValue(t, stale, "data"); got != v2 {
		t.Errorf("editor after a conflict = %q", got)
	}

	p := admin.get("/settings/vaults/" + id + "/history")
	wantStatus(t, p, http.StatusOK)
	for _, want := range []string{"Created", "Edited", "Administrator"} {
		wantContains(t, "history", text(p.doc), want)
	}
	if got := p.texts("diff-del"); len(got) != 1 || got[0] != "- b = 2" {
		t.Errorf("removed lines = %q, want the old b", got)
	}
	if got := p.texts("diff-add"); len(got) != 1 || got[0] != "+ b = 3" {
		t.Errorf("added lines = %q, want the new b", got)
	}
	if p.byID("restore-2") != nil || p.byID("restore-1") == nil {
		t.Error("restore is offered for the wrong versions")
	}

	same := admin.get("/settings/vaults/" + id + "/history?a=2&b=2")
	wantContains(t, "same version", text(same.doc), "Pick two different versions")

	confirm := admin.get("/settings/vaults/" + id + "/restore?version=1")
	wantStatus(t, confirm, http.StatusOK)
	wantContains(t, "confirmation", text(confirm.doc), "saved as the new version 3")
	done := admin.send("/settings/vaults/"+id+"/restore?version=1", nil)
	wantStatus(t, done, http.StatusSeeOther)
	if got := done.location(); got != "/settings/vaults/"+id+"/history?notice=vault-restored" {
		t.Errorf("redirect = %q", got)
	}
	if dl := admin.get("/settings/vaults/" + id + "/download"); dl.body != v1 {
		t.Errorf("after restore the vault holds %q, want version 1", dl.body)
	}
	after := admin.get("/settings/vaults/" + id + "/history")
	wantContains(t, "history", text(row(t, after, "version-3")), "Restored")
	if got := after.texts("diff-add"); len(got) != 1 || got[0] != "+ b = 2" {
		t.Errorf("diff from 2 to 3 adds %q, want b = 2 back", got)
	}
}

func TestVaultActivityFilters(t *testing.T) {
	h := startVaults(t)
	admin := h.admin()
	keep := addVault(t, admin, vaultForm("Keep", "workspace", "", "hocon", "a = 0"))
	gone := addVault(t, admin, vaultForm("Gone", "workspace", "", "hocon", "b = 0"))
	for i := 1; i <= 3; i++ {
		form := vaultForm("Keep", "", "", "hocon", "a = "+strconv.Itoa(i))
		wantStatus(t, admin.send("/settings/vaults/"+keep, form), http.StatusSeeOther)
	}
	wantStatus(t, admin.send("/settings/vaults/"+gone+"/delete", nil), http.StatusSeeOther)
	adminID := userID(t, admin, adminEmail)

	cases := []struct {
		name  string
		query string
		want  []string // row texts' starts: action and vault
	}{
		{"all", "", []string{"Deleted Gone", "Edited ×3 Keep", "Created Gone", "Created Keep"}},
		{"by action", "?action=delete", []string{"Deleted Gone"}},
		{"by vault", "?vault=" + keep, []string{"Edited ×3 Keep", "Created Keep"}},
		{"by user", "?user=" + adminID + "&action=create",
			[]string{"Created Gone", "Created Keep"}},
		{"today", "?from=" + today() + "&to=" + today() + "&action=delete",
			[]string{"Deleted Gone"}},
		{"from tomorrow", "?from=2999-01-01", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := admin.get("/settings/vaults/activity" + tc.query)
			wantStatus(t, p, http.StatusOK)
			got := activityRows(p)
			if len(got) != len(tc.want) {
				t.Fatalf("rows = %q, want %q", got, tc.want)
			}
			for i := range got {
				if !strings.Contains(got[i], tc.want[i]) {
					t.Errorf("row %d = %q, want %q", i, got[i], tc.want[i])
				}
			}
		})
	}
	bad := admin.get("/settings/vaults/activity?from=yesterday")
	wantStatus(t, bad, http.StatusBadRequest)
	wantContains(t, "date error", fieldErrorText(bad, "f-from-error"), "YYYY-MM-DD")
}

// activityRows reads the activity table: each row's action and vault cells.
func activityRows(p *page) []string {
	var out []string
	for _, tbl := range findAll(p.doc, hasClass("table-activity")) {
		for _, tr := range findAll(tbl, func(n *html.Node) bool { return n.Data == "tr" }) {
			cells := findAll(tr, func(n *html.Node) bool { return n.Data == "td" })
			if len(cells) > 2 {
				out = append(out, text(cells[1])+" "+text(cells[2]))
			}
		}
	}
	return out
}

func TestEffectiveConfigurationListsSources(t *testing.T) {
	h := startVaults(t)
	admin := h.admin()
	member, memberID, team := teamWithMember(t, h, admin, "Platform")
	addVault(t, admin, vaultForm("Company", "workspace", "", "hocon",
		"sdk { a = 1, b = 1 }\n"))
	addVault(t, admin, vaultForm("Platform team", "group", team, "json",
		`{"sdk": {"b": 2, "c": 2}}`))
	wantStatus(t, member.savePersonal("", 0, "yaml", "sdk:\n  c: 3\n", true), http.StatusSeeOther)

	want := map[string]string{"sdk.a": "1 Company", "sdk.b": "2 Platform team",
		"sdk.c": "3 Personal configuration"}
	for name, p := range map[string]*page{
		"admin picks the member": admin.get("/settings/effective-config?user=" + memberID),
		"the member":             member.get("/settings/effective-config"),
	} {
		t.Run(name, func(t *testing.T) {
			wantStatus(t, p, http.StatusOK)
			got := leafRows(p)
			if len(got) != len(want) {
				t.Fatalf("leaves = %q, want %d", got, len(want))
			}
			for key, w := range want {
				wantContains(t, key, got[key], w)
			}
			wantContains(t, "order note", text(p.doc), "later wins")
			wantContains(t, "JSON", text(p.byID("effective-json")), `"c": 3`)
		})
	}
	vaultLinks := func(p *page) []string {
		var out []string
		for _, tbl := range findAll(p.doc, hasClass("table-leaves")) {
			for _, a := range findAll(tbl, func(n *html.Node) bool { return n.Data == "a" }) {
				href, _ := attr(a, "href")
				out = append(out, href)
			}
		}
		return out
	}
	mine := vaultLinks(member.get("/settings/effective-config"))
	if len(mine) != 1 || mine[0] != "/settings/workspace#vault" {
		t.Errorf("a user's keys link to %q, want only their own vault", mine)
	}
	for _, href := range vaultLinks(admin.get("/settings/effective-config?user=" + memberID)) {
		if !strings.HasPrefix(href, "/settings/vaults/") {
			t.Errorf("the admin's page links a key to %q", href)
		}
	}
	search := admin.get("/settings/effective-config?q=mia")
	pick := hasAttr("href", "/settings/effective-config?user="+memberID)
	if n := findAll(search.doc, pick); len(n) != 1 {
		t.Error("the search does not offer the member")
	}
	missing := admin.get("/settings/effective-config?user=nobody")
	wantStatus(t, missing, http.StatusNotFound)
}

// leafRows reads the keys table: each key's value and source.
func leafRows(p *page) map[string]string {
	out := map[string]string{}
	for _, tbl := range findAll(p.doc, hasClass("table-leaves")) {
		for _, tr := range findAll(tbl, func(n *html.Node) bool { return n.Data == "tr" }) {
			cells := findAll(tr, func(n *html.Node) bool { return n.Data == "td" })
			if len(cells) == 3 {
				out[text(cells[0])] = text(cells[1]) + " " + text(cells[2])
			}
		}
	}
	return out
}

func TestUsersNeverSeeAnotherUsersVault(t *testing.T) {
	h := startVaults(t)
	admin := h.admin()
	alice := h.member(admin, "alice@example.com", "Alice")
	bob := h.member(admin, "bob@example.com", "Bob")
	aliceID := userID(t, admin, "alice@example.com")
	wantStatus(t, alice.savePersonal("", 0, "hocon", "token = alice-secret\n", true),
		http.StatusSeeOther)
	aliceVault, version, _ := personal(t, alice)
	wantStatus(t, admin.send("/settings/groups", url.Values{"op": {"save"}, "name": {"Bobs"},
		"members": {userID(t, admin, "bob@example.com")}}), http.StatusSeeOther)
	hidden := vaultForm("Disabled group vault", "group", groupID(t, admin, "Bobs"), "hocon",
		"x = group-secret\n")
	hidden.Del("enabled")
	addVault(t, admin, hidden)

	pages := []string{"/settings/workspace", "/settings/effective-config",
		"/settings/effective-config?user=" + aliceID}
	for _, path := range pages {
		p := bob.get(path)
		for _, secret := range []string{"alice-secret", "group-secret", aliceVault} {
			if strings.Contains(p.body, secret) {
				t.Errorf("GET %s as Bob shows %q", path, secret)
			}
		}
	}
	p := bob.savePersonal(aliceVault, version, "hocon", "token = bob-was-here\n", true)
	wantStatus(t, p, http.StatusConflict)
	if _, _, data := personal(t, alice); data != "token = alice-secret\n" {
		t.Errorf("Alice's vault now holds %q", data)
	}
}

func today() string {
	return time.Now().UTC().Format("2006-01-02")
}
