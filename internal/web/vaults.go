package web

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"atrium/internal/identity"
	"atrium/internal/vault"
)

// Paths of the Administrator vaults section and the effective configuration page.
const (
	pathVaults        = "/settings/vaults"
	pathVaultActivity = "/settings/vaults/activity"
	pathEffective     = "/settings/effective-config"
)

// sectionVaults is the navigation title of the section, and the page title of its tabs.
const sectionVaults = "Administrator vaults"

// vaultRoutes are the routes of vaults: the personal vault form for everyone, the
// effective configuration page (anyone's for admins), and the administrator section.
// Without a vault service there are none.
func (w *Web) vaultRoutes() []route {
	if w.svc.Vaults == nil {
		return nil
	}
	one := pathVaults + "/{id}"
	return []route{
		{"POST " + pathWorkspace + "/vault", w.action(w.savePersonalVault)},
		{"GET " + pathEffective, w.page(w.effectivePage)},
		{"GET " + pathVaults, w.adminPage(w.vaultsPage)},
		{"GET " + pathVaults + "/new", w.adminPage(w.newVaultPage)},
		{"POST " + pathVaults, w.adminAction(w.createVault)},
		{"GET " + pathVaultActivity, w.adminPage(w.activityPage)},
		{"GET " + one, w.adminPage(w.editVaultPage)},
		{"POST " + one, w.adminAction(w.updateVault)},
		{"POST " + one + "/active", w.adminAction(w.toggleVault)},
		{"GET " + one + "/download", w.adminPage(w.downloadVault)},
		{"GET " + one + "/delete", w.adminPage(w.deleteVaultPage)},
		{"POST " + one + "/delete", w.adminAction(w.deleteVault)},
		{"GET " + one + "/history", w.adminPage(w.historyPage)},
		{"GET " + one + "/restore", w.adminPage(w.restorePage)},
		{"POST " + one + "/restore", w.adminAction(w.restoreVault)},
	}
}

// vaultsFrame returns the frame of an Administrator vaults page with tab marked current.
func (w *Web) vaultsFrame(r *http.Request, s *session, tab, sub string) adminFrame {
	tabs := []navItem{{Title: "Vaults", Path: pathVaults},
		{Title: "Activity log", Path: pathVaultActivity},
		{Title: "Effective configuration", Path: pathEffective}}
	return w.sectionFrame(r, s, sectionVaults, pathVaults, tabs, tab, sub)
}

// vaultsView is the Vaults tab: every workspace and group vault.
type vaultsView struct {
	adminFrame
	Rows     []vaultRow
	NoGroups bool // no group besides the built-in ones, for the empty state's hint
}

// vaultRow is one vault as the table shows it.
type vaultRow struct {
	ID        string
	ShortID   string // the ID's start, shown; the copy button copies all of it
	Name      string
	Target    string
	Format    string
	Enabled   bool
	Workspace bool   // applies to the whole workspace
	Group     string // the group's name
	Summary   contentSummary
	Updated   when
	UpdatedBy string
	Version   int
	Delete    dialogView
}

func (w *Web) vaultsPage(rw http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	list, err := w.svc.Vaults.Organization(ctx)
	var all []identity.Group
	if err == nil {
		all, err = w.svc.Identity.GroupList(ctx)
	}
	var names map[string]string
	if err == nil {
		names, err = w.userNames(ctx, updaters(list))
	}
	if err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	groups := namesByID(all)
	v := vaultsView{adminFrame: w.vaultsFrame(r, s, pathVaults, "Vaults"), NoGroups: true}
	for _, g := range all {
		if g.Kind == identity.GroupCustom {
			v.NoGroups = false
		}
	}
	for _, x := range list {
		row := w.vaultRowOf(x, groups, names)
		row.Delete = vaultConfirmation(x, row.Group).dialog("delete-"+x.ID, s.csrf)
		v.Rows = append(v.Rows, row)
	}
	w.render(rw, r, http.StatusOK, tmplVaults, v)
}

func (w *Web) vaultRowOf(x vault.Vault, groups, names map[string]string) vaultRow {
	return vaultRow{ID: x.ID, ShortID: shortID(x.ID), Name: vaultName(x),
		Target: targetLabel(x.Type), Format: formatLabel(x.Format), Enabled: x.Enabled,
		Workspace: x.Scope == vault.ScopeOrganization, Group: groupLabel(x, groups),
		Summary: summarize(x.Format, x.Data), Updated: pastOf(w.now(), x.UpdatedAt),
		UpdatedBy: orDefault(names[x.UpdatedBy], x.UpdatedBy), Version: x.Version}
}

// shortID is the start of an id, enough to tell vaults apart at a glance.
func shortID(id string) string {
	if len(id) <= 10 {
		return id
	}
	return id[:8] + "…"
}

// groupLabel names whom a vault applies to: "Workspace", its group's name, or whose own
// vault it is.
func groupLabel(x vault.Vault, groups map[string]string) string {
	switch x.Scope {
	case vault.ScopeOrganization:
		return "Workspace"
	case vault.ScopeGroup:
		return orDefault(groups[x.GroupID], x.GroupID)
	}
	return scopeLabel(x.Scope) + " vault"
}

// updaters lists who last changed each vault.
func updaters(list []vault.Vault) []string {
	var out []string
	for _, v := range list {
		out = append(out, v.UpdatedBy)
	}
	return out
}

// groupNames maps the workspace's group ids to names, without loading members.
func (w *Web) groupNames(ctx context.Context) (map[string]string, error) {
	groups, err := w.svc.Identity.GroupList(ctx)
	if err != nil {
		return nil, err
	}
	return namesByID(groups), nil
}

func namesByID(groups []identity.Group) map[string]string {
	out := make(map[string]string, len(groups))
	for _, g := range groups {
		out[g.ID] = g.Name
	}
	return out
}

// userNames maps user ids to display names; people removed since are left out.
func (w *Web) userNames(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	ids = dedupe(ids)
	if len(ids) == 0 {
		return out, nil
	}
	res, err := w.svc.Identity.UsersEx(ctx, identity.UserQuery{IDs: ids})
	if err != nil {
		return nil, err
	}
	for _, u := range res.Users {
		out[u.ID] = u.Name
	}
	return out, nil
}

// pathVault finds the vault named in the path, or answers with the error page.
func (w *Web) pathVault(rw http.ResponseWriter, r *http.Request, s *session) (vault.Vault,
	bool) {
	v, err := w.svc.Vaults.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		w.gone(rw, r, s, "vault", pathVaults)
		return vault.Vault{}, false
	}
	return v, true
}

// toggleVault turns a vault on or off from the table's switch. It sends no version: the
// switch means "on" or "off" whatever else changed meanwhile.
func (w *Web) toggleVault(rw http.ResponseWriter, r *http.Request, s *session) {
	v, ok := w.pathVault(rw, r, s)
	if !ok {
		return
	}
	on := r.PostForm.Get("enabled") != ""
	if _, err := w.svc.Vaults.Save(r.Context(), vault.Input{ID: v.ID, Enabled: &on}); err != nil {
		msg, status := w.refusal(r, err)
		w.fail(rw, r, s, status, "Vault not changed", msg, pathVaults)
		return
	}
	notice := "vault-disabled"
	if on {
		notice = "vault-enabled"
	}
	http.Redirect(rw, r, pathVaults+"?notice="+notice+"#vault-"+v.ID, http.StatusSeeOther)
}

// downloadVault sends a vault's text as a file named after it, with its format's
// extension.
func (w *Web) downloadVault(rw http.ResponseWriter, r *http.Request, s *session) {
	v, ok := w.pathVault(rw, r, s)
	if !ok {
		return
	}
	h := rw.Header()
	h.Set("Content-Type", contentTypeOf(v.Format))
	h.Set("Content-Disposition", mime.FormatMediaType("attachment",
		map[string]string{"filename": downloadName(v)}))
	io.WriteString(rw, v.Data)
}

// vaultConfirmation asks before deleting a vault, naming it and whom it applies to.
func vaultConfirmation(v vault.Vault, group string) confirmation {
	name := vaultName(v)
	where, whom := group, "everyone in the workspace"
	switch v.Scope {
	case vault.ScopeGroup:
		where, whom = "group "+group, "the members of "+group
	case vault.ScopeUser, vault.ScopeServiceAccount:
		whom = "its owner"
	}
	return confirmation{Heading: "Delete the vault " + name + "?",
		Message: fmt.Sprintf("Delete the vault %s (%s)? New SDK and agent sessions of %s no "+
			"longer receive it; sessions already running keep what they loaded. This cannot "+
			"be undone; the activity log keeps a record of it.", name, where, whom),
		Action: pathVaults + "/" + v.ID + "/delete", Button: "Delete vault"}
}

func (w *Web) deleteVaultPage(rw http.ResponseWriter, r *http.Request, s *session) {
	v, ok := w.pathVault(rw, r, s)
	if !ok {
		return
	}
	c, err := w.deleteConfirmation(r.Context(), v)
	if err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	w.showConfirmIn(rw, r, http.StatusOK, w.vaultsFrame(r, s, pathVaults, c.Button), c,
		pathVaults, "")
}

func (w *Web) deleteConfirmation(ctx context.Context, v vault.Vault) (confirmation, error) {
	groups, err := w.groupNames(ctx)
	if err != nil {
		return confirmation{}, err
	}
	return vaultConfirmation(v, groupLabel(v, groups)), nil
}

func (w *Web) deleteVault(rw http.ResponseWriter, r *http.Request, s *session) {
	v, ok := w.pathVault(rw, r, s)
	if !ok {
		return
	}
	if _, err := w.svc.Vaults.Delete(r.Context(), []string{v.ID}); err != nil {
		msg, status := w.refusal(r, err)
		c, cerr := w.deleteConfirmation(r.Context(), v)
		if cerr != nil {
			w.serverError(rw, r, s, cerr)
			return
		}
		w.showConfirmIn(rw, r, status, w.vaultsFrame(r, s, pathVaults, c.Button), c,
			pathVaults, msg)
		return
	}
	redirectNotice(rw, r, pathVaults, "vault-deleted")
}

// vaultFormView is the add and edit page of a vault.
type vaultFormView struct {
	adminFrame
	New         bool
	ID          string
	Action      string
	Version     int
	Name        string
	Targets     []choice
	Workspace   bool   // applies to the whole workspace (else to a group)
	ScopeLocked bool   // an existing vault keeps whom it applies to
	ScopeText   string // whom a locked vault applies to
	Groups      []choice
	Formats     []choice
	Enabled     bool
	Editor      editorView
	Imported    string // the file just loaded into the editor
	Errors      fieldErrors
	Conflict    bool
}

// vaultInput is what the vault form holds.
type vaultInput struct {
	Name      string
	Type      vault.Type
	Workspace bool
	GroupID   string
	Format    vault.Format
	Enabled   bool
	Data      string
	Version   int
}

func vaultInputOf(r *http.Request) vaultInput {
	version, _ := strconv.Atoi(r.PostForm.Get("version"))
	return vaultInput{Name: strings.TrimSpace(r.PostForm.Get("name")),
		Type: vault.Type(r.PostForm.Get("type")), Workspace: r.PostForm.Get("scope") == "workspace",
		GroupID: r.PostForm.Get("group"), Format: formatOf(r.PostForm.Get("format")),
		Enabled: r.PostForm.Get("enabled") != "", Data: normalizeNewlines(r.PostForm.Get("data")),
		Version: version}
}

func (w *Web) newVaultPage(rw http.ResponseWriter, r *http.Request, s *session) {
	in := vaultInput{Type: vault.TypeConfig, Format: vault.FormatHOCON, Enabled: true,
		GroupID: r.URL.Query().Get("group")}
	in.Workspace = r.URL.Query().Get("scope") == "workspace"
	w.showVaultForm(rw, r, s, http.StatusOK, nil, in, fieldErrors{}, "")
}

func (w *Web) editVaultPage(rw http.ResponseWriter, r *http.Request, s *session) {
	v, ok := w.pathVault(rw, r, s)
	if !ok {
		return
	}
	in := vaultInput{Name: v.Description, Type: v.Type, GroupID: v.GroupID,
		Workspace: v.Scope == vault.ScopeOrganization, Format: v.Format, Enabled: v.Enabled,
		Data: v.Data, Version: v.Version}
	w.showVaultForm(rw, r, s, http.StatusOK, &v, in, fieldErrors{}, "")
}

// showVaultForm renders the form for v (nil: a new vault) holding in and errs; imported
// names a file just loaded into the editor.
func (w *Web) showVaultForm(rw http.ResponseWriter, r *http.Request, s *session, status int,
	v *vault.Vault, in vaultInput, errs fieldErrors, imported string) {
	groups, err := w.svc.Identity.GroupList(r.Context())
	if err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	fv := vaultFormView{adminFrame: w.vaultsFrame(r, s, pathVaults, "New vault"), New: v == nil,
		Action: pathVaults, Version: in.Version, Name: in.Name, Targets: targetChoices(in.Type),
		Workspace: in.Workspace, Groups: groupChoices(groups, in.GroupID),
		Formats: formatChoices(in.Format), Enabled: in.Enabled, Errors: errs,
		Editor: adminEditor(in.Data, errs.For("data")), Imported: imported,
		Conflict: status == http.StatusConflict}
	if v != nil {
		fv.Subtitle = "Edit " + vaultName(*v)
		fv.ID, fv.Action, fv.ScopeLocked = v.ID, pathVaults+"/"+v.ID, true
		fv.ScopeText = w.scopeText(r.Context(), *v, namesByID(groups))
	}
	w.render(rw, r, status, tmplVaultForm, fv)
}

// scopeText says whom an existing vault applies to, on its edit page.
func (w *Web) scopeText(ctx context.Context, v vault.Vault, groups map[string]string) string {
	switch v.Scope {
	case vault.ScopeOrganization:
		return "Everyone in the workspace"
	case vault.ScopeGroup:
		return "Members of the group " + groupLabel(v, groups)
	}
	names, err := w.userNames(ctx, []string{v.UserID})
	if err != nil {
		names = map[string]string{}
	}
	return "Only " + orDefault(names[v.UserID], v.UserID) + ", whose own vault it is"
}

func adminEditor(data, errMsg string) editorView {
	return editorView{ID: "data", Label: "Content", Data: data, Rows: 20,
		Error: editorErrorOf(errMsg, data),
		Hint: "Client configuration is clearml.conf text (for example sdk.aws.s3 or " +
			"agent.extra_docker_arguments); clients merge it over their own file. " +
			"SSH server vaults hold ssh_host_<alg>_key entries."}
}

// groupChoices are the groups a vault can target, in their precedence order: every group
// but the built-in Users, which is everyone (use a workspace vault for that).
func groupChoices(groups []identity.Group, selected string) []choice {
	var out []choice
	for _, g := range groups {
		if g.Kind == identity.GroupUsers {
			continue
		}
		out = append(out, choice{Value: g.ID, Label: g.Name, Selected: g.ID == selected})
	}
	return out
}

func (w *Web) createVault(rw http.ResponseWriter, r *http.Request, s *session) {
	w.saveVault(rw, r, s, nil)
}

func (w *Web) updateVault(rw http.ResponseWriter, r *http.Request, s *session) {
	v, ok := w.pathVault(rw, r, s)
	if !ok {
		return
	}
	w.saveVault(rw, r, s, &v)
}

// saveVault saves the form. A file sent with it replaces the editor's text; with
// op=import the form is only shown again holding the file, to review before saving.
func (w *Web) saveVault(rw http.ResponseWriter, r *http.Request, s *session, v *vault.Vault) {
	in := vaultInputOf(r)
	if v != nil {
		in.Workspace, in.GroupID = v.Scope == vault.ScopeOrganization, v.GroupID
	}
	imported, err := importFile(r, &in)
	if err == nil && imported == "" && r.PostForm.Get("op") == "import" {
		err = fieldError("file", "Choose a file to import.")
	}
	if err != nil || r.PostForm.Get("op") == "import" {
		errs, status := fieldErrors{}, http.StatusOK
		if err != nil {
			errs, status = w.formFailure(r, err, map[string]string{"file": "file"})
		}
		w.showVaultForm(rw, r, s, status, v, in, errs, imported)
		return
	}
	saved, err := w.storeVault(r.Context(), v, in)
	if err != nil {
		errs, status := w.formFailure(r, err, map[string]string{"data": "data",
			"group": "group", "description": "name", "name": "name"})
		w.showVaultForm(rw, r, s, status, v, in, errs, imported)
		return
	}
	http.Redirect(rw, r, pathVaults+"?notice=vault-saved#vault-"+saved.ID, http.StatusSeeOther)
}

// storeVault creates or updates a vault from the form.
func (w *Web) storeVault(ctx context.Context, v *vault.Vault, in vaultInput) (vault.Vault,
	error) {
	if len(in.Data) > vault.MaxData {
		return vault.Vault{}, fieldError("data", "The content is larger than 1 MiB.")
	}
	if in.Name == "" {
		return vault.Vault{}, fieldError("name", "Give the vault a name.")
	}
	if v == nil && !in.Workspace && in.GroupID == "" {
		return vault.Vault{}, fieldError("group", "Choose the group this vault applies to.")
	}
	vi := vault.Input{Type: in.Type, Format: in.Format, Description: &in.Name, Data: &in.Data,
		Enabled: &in.Enabled, Version: in.Version}
	switch {
	case v != nil:
		vi.ID = v.ID
	case in.Workspace:
		vi.Scope = vault.ScopeOrganization
	default:
		vi.Scope, vi.GroupID = vault.ScopeGroup, in.GroupID
	}
	return w.svc.Vaults.Save(ctx, vi)
}

// importFile reads the form's file, when one was sent, into the editor's text, and takes
// the format from its name when the name says. It returns the file's name.
func importFile(r *http.Request, in *vaultInput) (string, error) {
	if r.MultipartForm == nil || len(r.MultipartForm.File["file"]) == 0 {
		return "", nil
	}
	fh := r.MultipartForm.File["file"][0]
	if fh.Filename == "" && fh.Size == 0 {
		return "", nil
	}
	if fh.Size > vault.MaxData {
		return "", fieldError("file", "The file is larger than 1 MiB.")
	}
	f, err := fh.Open()
	if err != nil {
		return "", fmt.Errorf("open imported file: %w", err)
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, vault.MaxData+1))
	if err != nil {
		return "", fmt.Errorf("read imported file: %w", err)
	}
	if !utf8.Valid(raw) {
		return "", fieldError("file", "The file is not text (UTF-8).")
	}
	in.Data = normalizeNewlines(string(raw))
	if f, ok := formatOfFile(fh.Filename); ok {
		in.Format = f
	}
	return orDefault(fh.Filename, "the file"), nil
}
