package web

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"atrium/internal/apperr"
	"atrium/internal/sso"
)

// pathIdPs is the Identity providers section.
const pathIdPs = "/settings/identity-providers"

// sectionIdPs is the section's navigation and page title.
const sectionIdPs = "Identity providers"

// Page templates of the section.
const (
	tmplIdPList     = "idp_list"
	tmplIdPChoose   = "idp_choose"
	tmplIdPForm     = "idp_form"
	tmplIdPDelete   = "idp_delete"
	tmplIdPDirTest  = "idp_directory_test"
	tmplIdPReport   = "idp_report"
	maxMetadataFile = 1 << 20
)

// idpPageNames are the section's page templates.
var idpPageNames = []string{tmplIdPList, tmplIdPChoose, tmplIdPForm, tmplIdPDelete,
	tmplIdPDirTest, tmplIdPReport}

// idpRoutes are the Identity providers admin pages. Each is refused to non-administrators
// before its handler runs, and the sso service refuses them again.
func (w *Web) idpRoutes() []route {
	one := pathIdPs + "/{id}"
	return []route{
		{"GET " + pathIdPs, w.adminPage(w.idpListPage)},
		{"GET " + pathIdPs + "/new", w.adminPage(w.newIdPPage)},
		{"POST " + pathIdPs, w.adminAction(w.createIdP)},
		{"GET " + one, w.adminPage(w.editIdPPage)},
		{"POST " + one, w.adminAction(w.updateIdP)},
		{"POST " + one + "/active", w.adminAction(w.toggleIdP)},
		{"GET " + one + "/test", w.adminPage(w.testIdPPage)},
		{"POST " + one + "/test", w.adminAction(w.testDirectory)},
		{"GET " + one + "/delete", w.adminPage(w.deleteIdPPage)},
		{"POST " + one + "/delete", w.adminAction(w.deleteIdP)},
	}
}

// idpNoticeText maps the section's notice codes to their text.
func idpNoticeText(code string) string {
	switch code {
	case "idp-saved":
		return "Connection saved."
	case "idp-on":
		return "Connection activated. Its button shows on the sign-in page."
	case "idp-off":
		return "Connection deactivated. No one can sign in with it."
	case "idp-deleted":
		return "Connection deleted. People who signed in with it keep their accounts."
	}
	return ""
}

// idpChrome is the frame of a page of the section; sub names the page in the browser's
// title.
func (w *Web) idpChrome(r *http.Request, s *session, sub string) chrome {
	c := w.chrome(r, s, sectionIdPs, pathIdPs)
	c.Subtitle = sub
	if c.Notice == "" {
		c.Notice = idpNoticeText(r.URL.Query().Get("notice"))
	}
	return c
}

// protocolLabel is how tables and headings name a protocol.
func protocolLabel(p sso.Protocol) string { return strings.ToUpper(string(p)) }

// presetName is the display name of a preset, or its id when it is unknown.
func presetName(id string) string {
	if p, ok := sso.PresetByID(id); ok {
		return p.DisplayName
	}
	return id
}

// idpFailure answers a refused read with the error page: not found, forbidden, or a
// logged server error.
func (w *Web) idpFailure(rw http.ResponseWriter, r *http.Request, s *session, err error) {
	e := apperr.As(err)
	switch {
	case e != nil && e.Kind == apperr.NotFound:
		w.gone(rw, r, s, "connection", pathIdPs)
	case e != nil && e.Kind == apperr.Forbidden:
		w.fail(rw, r, s, http.StatusForbidden, "Not allowed", e.Msg, pathProfile)
	default:
		w.serverError(rw, r, s, err)
	}
}

// The connections table -------------------------------------------------------------

// idpListView is the connections table.
type idpListView struct {
	chrome
	Rows []idpRow
}

// idpRow is one connection as the table shows it.
type idpRow struct {
	ID       string
	ShortID  string
	Name     string
	Provider string
	Protocol string
	Active   bool
	Browser  bool // tested by a sign-in in a new window (OIDC, SAML)
	// Incomplete says what is missing before anyone can sign in with the connection.
	Incomplete string
	Updated    when
	Delete     idpDeleteView
}

// idpDeleteView asks for a connection's name before deleting it, as a dialog on the
// table and as a page without scripts.
type idpDeleteView struct {
	DialogID string
	ID       string
	Name     string
	CSRF     string
}

func (w *Web) idpListPage(rw http.ResponseWriter, r *http.Request, s *session) {
	list, err := w.svc.SSO.Connections(r.Context())
	if err != nil {
		w.idpFailure(rw, r, s, err)
		return
	}
	sort.SliceStable(list, func(i, j int) bool {
		return strings.ToLower(list[i].DisplayName) < strings.ToLower(list[j].DisplayName)
	})
	v := idpListView{chrome: w.idpChrome(r, s, "")}
	for _, c := range list {
		v.Rows = append(v.Rows, idpRow{ID: c.ID, ShortID: shortID(c.ID), Name: c.DisplayName,
			Provider: presetName(c.Provider), Protocol: protocolLabel(c.Protocol),
			Active: c.Active, Browser: c.Protocol != sso.LDAP, Incomplete: c.Incomplete,
			Updated: pastOf(w.now(), c.UpdatedAt),
			Delete: idpDeleteView{DialogID: "delete-" + c.ID, ID: c.ID, Name: c.DisplayName,
				CSRF: s.csrf}})
	}
	w.render(rw, r, http.StatusOK, tmplIdPList, v)
}

// toggleIdP switches a connection on or off from the table's switch.
func (w *Web) toggleIdP(rw http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	on := r.PostForm.Get("active") != ""
	if _, err := w.svc.SSO.SetActive(r.Context(), []string{id}, on); err != nil {
		msg, status := w.refusal(r, err)
		w.fail(rw, r, s, status, "Connection not changed", msg, pathIdPs)
		return
	}
	notice := "idp-off"
	if on {
		notice = "idp-on"
	}
	http.Redirect(rw, r, pathIdPs+"?notice="+notice+"#idp-"+id, http.StatusSeeOther)
}

// Delete ------------------------------------------------------------------------------

func (w *Web) deleteIdPPage(rw http.ResponseWriter, r *http.Request, s *session) {
	c, err := w.svc.SSO.Connection(r.Context(), r.PathValue("id"))
	if err != nil {
		w.idpFailure(rw, r, s, err)
		return
	}
	w.showIdPDelete(rw, r, s, http.StatusOK, c, "", "")
}

func (w *Web) showIdPDelete(rw http.ResponseWriter, r *http.Request, s *session, status int,
	c sso.View, typed, msg string) {
	w.render(rw, r, status, tmplIdPDelete, idpDeletePage{
		chrome: w.idpChrome(r, s, "Delete "+c.DisplayName), ID: c.ID, Name: c.DisplayName,
		Typed: typed, Error: msg})
}

// idpDeletePage is the delete confirmation without scripts.
type idpDeletePage struct {
	chrome
	ID    string
	Name  string
	Typed string
	Error string
}

// deleteIdP deletes a connection once its name is typed, so a slip of the mouse does not
// lock a workspace out of its identity provider.
func (w *Web) deleteIdP(rw http.ResponseWriter, r *http.Request, s *session) {
	c, err := w.svc.SSO.Connection(r.Context(), r.PathValue("id"))
	if err != nil {
		w.idpFailure(rw, r, s, err)
		return
	}
	typed := strings.TrimSpace(r.PostForm.Get("confirm_name"))
	if typed != c.DisplayName {
		w.showIdPDelete(rw, r, s, http.StatusBadRequest, c, typed,
			"Type the connection's name exactly to delete it.")
		return
	}
	if _, err := w.svc.SSO.Delete(r.Context(), []string{c.ID}); err != nil {
		msg, status := w.refusal(r, err)
		w.showIdPDelete(rw, r, s, status, c, typed, msg)
		return
	}
	redirectNotice(rw, r, pathIdPs, "idp-deleted")
}

// Wizard step 1: protocol and provider --------------------------------------------------

// idpChooseView is the first step of a new connection: the provider catalogue.
type idpChooseView struct {
	chrome
	Groups   []presetGroup
	Selected string // the provider chosen before, when coming back
	Error    string
}

// presetGroup is the presets of one protocol.
type presetGroup struct {
	Protocol string
	Title    string
	About    string
	Presets  []sso.Preset
}

func presetGroups() []presetGroup {
	groups := []presetGroup{
		{Protocol: string(sso.OIDC), Title: "OpenID Connect (OIDC)",
			About: "Sign-in through a provider's login page; most cloud identity services."},
		{Protocol: string(sso.SAML), Title: "SAML 2.0",
			About: "Sign-in through a provider's login page, configured with metadata files."},
		{Protocol: string(sso.LDAP), Title: "LDAP directory",
			About: "The sign-in form checks usernames and passwords against a directory."},
	}
	for _, p := range sso.Presets() {
		for i := range groups {
			if groups[i].Protocol == string(p.Category) {
				groups[i].Presets = append(groups[i].Presets, p)
			}
		}
	}
	return groups
}

// newIdPPage is the catalogue, or with ?provider= the form for that provider.
func (w *Web) newIdPPage(rw http.ResponseWriter, r *http.Request, s *session) {
	provider := r.URL.Query().Get("provider")
	if provider == "" || r.URL.Query().Has("back") {
		w.render(rw, r, http.StatusOK, tmplIdPChoose, idpChooseView{
			chrome: w.idpChrome(r, s, "New connection"), Groups: presetGroups(),
			Selected: provider})
		return
	}
	if _, ok := sso.PresetByID(provider); !ok {
		w.render(rw, r, http.StatusBadRequest, tmplIdPChoose, idpChooseView{
			chrome: w.idpChrome(r, s, "New connection"), Groups: presetGroups(),
			Error: "Choose one of the providers below."})
		return
	}
	preset, fields, conf, err := w.svc.SSO.Template(r.Context(), provider, "")
	if err != nil {
		w.idpFailure(rw, r, s, err)
		return
	}
	f := idpForm{preset: preset, fields: fields, values: valuesOf(fields, conf),
		protocol: preset.Category}
	w.showIdPForm(rw, r, s, http.StatusOK, f)
}

// The connection form -----------------------------------------------------------------

// idpForm is the state of a connection form: what it is for and what it holds.
type idpForm struct {
	id       string // "" for a new connection
	preset   sso.Preset
	protocol sso.Protocol
	fields   []sso.Field
	values   map[string]string // by field name; bools are "true" or ""
	set      map[string]bool   // secrets that are saved
	errs     fieldErrors
	notice   string
	name     string // the saved display name, for the breadcrumb
}

// idpFormView is the new and edit page of a connection.
type idpFormView struct {
	chrome
	New          bool
	ID           string
	Name         string
	Action       string
	Provider     string
	PresetName   string
	PresetHelp   string
	Protocol     string
	Browser      bool
	Multipart    bool
	Sections     []formSection
	Errors       fieldErrors
	Summary      string // a field's refusal, repeated at the top with a link to the field
	SummaryField string
	Info         string
}

// formSection is a titled group of inputs.
type formSection struct {
	ID     string
	Title  string
	Grid   bool // short inputs side by side (SAML claim names are long URIs)
	Fields []formField
}

// formField is one input of the form, drawn from an sso.Field.
type formField struct {
	sso.Field
	ID        string
	Value     string
	Checked   bool
	SecretSet bool
	Error     string
	Options   []option
	Discover  bool // the discovery URL, with its "fill" button
	Upload    bool // the metadata text, with its file input
	Download  string
	Rows      int
	// Placeholder shows where the preset's provider publishes its discovery document.
	Placeholder string
}

func (w *Web) editIdPPage(rw http.ResponseWriter, r *http.Request, s *session) {
	f, err := w.loadIdPForm(r, r.PathValue("id"))
	if err != nil {
		w.idpFailure(rw, r, s, err)
		return
	}
	w.showIdPForm(rw, r, s, http.StatusOK, f)
}

// loadIdPForm fills the form of a saved connection.
func (w *Web) loadIdPForm(r *http.Request, id string) (idpForm, error) {
	preset, fields, conf, err := w.svc.SSO.Template(r.Context(), "", id)
	if err != nil {
		return idpForm{}, err
	}
	f := idpForm{id: id, preset: preset, fields: fields, values: valuesOf(fields, conf),
		protocol: preset.Category, set: map[string]bool{}}
	for _, fd := range fields {
		if fd.Type == "secret" {
			f.set[fd.Name] = conf[fd.Name+"_set"] == true
		}
	}
	f.name = f.values["display_name"]
	return f, nil
}

// valuesOf renders a configuration object as the form's text values.
func valuesOf(fields []sso.Field, conf map[string]any) map[string]string {
	out := map[string]string{}
	for _, fd := range fields {
		if fd.Type == "secret" {
			continue
		}
		out[fd.Name] = formText(conf[fd.Name])
	}
	return out
}

// formText renders one configuration value as input text.
func formText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		if x {
			return "true"
		}
		return ""
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []any:
		parts := make([]string, 0, len(x))
		for _, p := range x {
			parts = append(parts, fmt.Sprint(p))
		}
		return strings.Join(parts, ", ")
	case map[string]any:
		p := sso.Params{}
		for k, val := range x {
			p[k] = fmt.Sprint(val)
		}
		return p.String()
	}
	return fmt.Sprint(v)
}

func (w *Web) showIdPForm(rw http.ResponseWriter, r *http.Request, s *session, status int,
	f idpForm) {
	v := idpFormView{chrome: w.idpChrome(r, s, "New connection"), New: f.id == "",
		ID: f.id, Name: f.name, Action: pathIdPs, Provider: f.preset.ID,
		PresetName: f.preset.DisplayName, PresetHelp: f.preset.Help,
		Protocol: protocolLabel(f.protocol), Browser: f.protocol != sso.LDAP,
		Multipart: f.protocol == sso.SAML, Errors: f.errs, Info: f.notice}
	if v.Errors == nil {
		v.Errors = fieldErrors{}
	}
	if f.id != "" {
		v.Subtitle = "Edit " + f.name
		v.Action = pathIdPs + "/" + f.id
	}
	v.Sections = f.sections(v.Errors)
	if v.Errors.Form() == "" {
		v.Summary, v.SummaryField = firstError(v.Sections)
	}
	w.render(rw, r, status, tmplIdPForm, v)
}

// firstError is the first refused input's message and id, for the top of the form.
func firstError(sections []formSection) (string, string) {
	for _, sec := range sections {
		for _, fd := range sec.Fields {
			if fd.Error != "" {
				return fd.Error, fd.ID
			}
		}
	}
	return "", ""
}

// sections groups the form's inputs by section, in the order they first appear. Read-only
// fields show only once the server knows them; an error for an input that is not shown
// moves to the top of the form.
func (f idpForm) sections(errs fieldErrors) []formSection {
	var out []formSection
	index := map[string]int{}
	shown := map[string]bool{}
	for _, fd := range f.fields {
		if fd.ReadOnly && f.values[fd.Name] == "" {
			continue
		}
		i, ok := index[fd.Section]
		if !ok {
			i = len(out)
			index[fd.Section] = i
			out = append(out, formSection{ID: "section-" + strconv.Itoa(i), Title: fd.Section,
				Grid: fd.Section == sso.SectionClaims && f.protocol != sso.SAML})
		}
		out[i].Fields = append(out[i].Fields, f.field(fd, errs[fd.Name]))
		shown[fd.Name] = true
	}
	for name, msg := range errs {
		if name != "" && !shown[name] && errs[""] == "" {
			errs[""] = msg
		}
	}
	return out
}

func (f idpForm) field(fd sso.Field, msg string) formField {
	ff := formField{Field: fd, ID: "f-" + fd.Name, Value: f.values[fd.Name], Error: msg,
		SecretSet: f.set[fd.Name], Discover: fd.Name == "well_known_url",
		Upload: fd.Name == "idp_metadata", Rows: 4}
	ff.Checked = ff.Value == "true"
	if fd.Type == "textarea" && fd.Name != "auth_params" {
		ff.Rows = 6
	}
	if ff.Discover {
		ff.Placeholder = f.preset.WellKnownHint
	}
	if fd.Name == "metadata_url" && f.id != "" {
		ff.Download = "/saml/metadata/" + f.id
	}
	for _, o := range fd.Options {
		ff.Options = append(ff.Options, option{Value: o, Label: o, Selected: o == ff.Value})
	}
	return ff
}

// formOf reads the posted form: its values as typed, and the secrets apart.
func formOf(r *http.Request, f *idpForm) (secrets map[string]string) {
	secrets = map[string]string{}
	f.values = map[string]string{}
	for _, fd := range f.fields {
		raw := r.PostForm.Get(fd.Name)
		switch {
		case fd.ReadOnly:
			continue
		case fd.Type == "secret":
			secrets[fd.Name] = strings.TrimSpace(raw)
		case fd.Type == "bool":
			if raw != "" {
				f.values[fd.Name] = "true"
			}
		case fd.Type == "textarea":
			f.values[fd.Name] = normalizeNewlines(raw)
		default:
			f.values[fd.Name] = strings.TrimSpace(raw)
		}
	}
	return secrets
}

// metadataFile reads an uploaded identity provider metadata file, if one was sent.
func metadataFile(r *http.Request) (string, string, error) {
	if r.MultipartForm == nil || len(r.MultipartForm.File["idp_metadata_file"]) == 0 {
		return "", "", nil
	}
	fh := r.MultipartForm.File["idp_metadata_file"][0]
	if fh.Size == 0 {
		return "", "", nil
	}
	if fh.Size > maxMetadataFile {
		return "", "", fieldError("idp_metadata", "The metadata file is larger than 1 MiB.")
	}
	file, err := fh.Open()
	if err != nil {
		return "", "", err
	}
	defer file.Close()
	b, err := io.ReadAll(io.LimitReader(file, maxMetadataFile))
	if err != nil {
		return "", "", err
	}
	return normalizeNewlines(string(b)), fh.Filename, nil
}

// configuration builds the configuration object of the form's values, as the JSON API
// takes it, so the form and the API are checked by the same decoder.
func (f idpForm) configuration(secrets map[string]string) ([]byte, error) {
	conf := map[string]any{}
	for _, fd := range f.fields {
		val := f.values[fd.Name]
		switch {
		case fd.ReadOnly:
		case fd.Type == "secret":
			conf[fd.Name] = secrets[fd.Name]
		case fd.Type == "bool":
			conf[fd.Name] = val == "true"
		case fd.Type == "number":
			if val == "" {
				continue
			}
			n, err := strconv.Atoi(val)
			if err != nil {
				return nil, fieldError(fd.Name, fd.Label+" must be a whole number.")
			}
			conf[fd.Name] = n
		default:
			conf[fd.Name] = val
		}
	}
	return json.Marshal(conf)
}

func (w *Web) createIdP(rw http.ResponseWriter, r *http.Request, s *session) {
	preset, ok := sso.PresetByID(r.PostForm.Get("provider"))
	if !ok {
		w.render(rw, r, http.StatusBadRequest, tmplIdPChoose, idpChooseView{
			chrome: w.idpChrome(r, s, "New connection"), Groups: presetGroups(),
			Error: "Choose one of the providers below."})
		return
	}
	f := idpForm{preset: preset, protocol: preset.Category, fields: sso.Fields(preset.Category)}
	w.submitIdP(rw, r, s, f)
}

func (w *Web) updateIdP(rw http.ResponseWriter, r *http.Request, s *session) {
	f, err := w.loadIdPForm(r, r.PathValue("id"))
	if err != nil {
		w.idpFailure(rw, r, s, err)
		return
	}
	w.submitIdP(rw, r, s, f)
}

// submitIdP handles the form's buttons: fill from discovery, or save.
func (w *Web) submitIdP(rw http.ResponseWriter, r *http.Request, s *session, f idpForm) {
	readOnly := f.values
	secrets := formOf(r, &f)
	for _, fd := range f.fields {
		if fd.ReadOnly && readOnly != nil {
			f.values[fd.Name] = readOnly[fd.Name]
		}
	}
	doc, file, err := metadataFile(r)
	if err == nil && doc != "" {
		f.values["idp_metadata"] = doc
		f.notice = "Loaded " + file + " into the metadata field."
	}
	if err == nil && r.PostForm.Get("op") == "discover" {
		w.discoverIdP(rw, r, s, f, secrets)
		return
	}
	var id string
	if err == nil {
		id, err = w.saveIdP(r, f, secrets)
	}
	if err != nil {
		f.errs, f.notice = w.idpErrors(r, f, err), ""
		w.showIdPForm(rw, r, s, statusOfErrs(err), f)
		return
	}
	redirectNotice(rw, r, pathIdPs, "idp-saved#idp-"+id)
}

// statusOfErrs is the status of a refused form: the kind's, or 500 for anything else.
func statusOfErrs(err error) int {
	if e := apperr.As(err); e != nil && e.Kind != apperr.Internal {
		return statusOf(e.Kind)
	}
	return http.StatusInternalServerError
}

// idpErrors places a refusal next to its input, or at the top of the form.
func (w *Web) idpErrors(r *http.Request, f idpForm, err error) fieldErrors {
	names := map[string]string{}
	for _, fd := range f.fields {
		names[fd.Name] = fd.Name
	}
	errs, _ := w.formFailure(r, err, names)
	return errs
}

func (w *Web) saveIdP(r *http.Request, f idpForm, secrets map[string]string) (string, error) {
	raw, err := f.configuration(secrets)
	if err != nil {
		return "", err
	}
	in := sso.Input{ID: f.id, Provider: f.preset.ID}
	if err := sso.DecodeConfiguration(raw, &in); err != nil {
		return "", err
	}
	in.ID, in.Provider = f.id, f.preset.ID
	return w.svc.SSO.Save(r.Context(), in)
}

// discoverIdP fills the endpoints from the provider's discovery document and shows the
// form again to review.
func (w *Web) discoverIdP(rw http.ResponseWriter, r *http.Request, s *session, f idpForm,
	secrets map[string]string) {
	d, err := w.svc.SSO.Discover(r.Context(), f.values["well_known_url"])
	if err != nil {
		f.errs = w.idpErrors(r, f, err)
		w.showIdPForm(rw, r, s, statusOfErrs(err), f)
		return
	}
	for name, val := range map[string]string{"issuer": d.Issuer,
		"authorization_endpoint": d.AuthorizationEndpoint, "token_endpoint": d.TokenEndpoint,
		"userinfo_endpoint": d.UserinfoEndpoint, "revocation_endpoint": d.RevocationEndpoint,
		"end_session_endpoint": d.EndSessionEndpoint, "jwks_uri": d.JWKSURI} {
		f.values[name] = val
	}
	if len(d.CodeChallengeMethods) > 0 &&
		!slices.Contains(d.CodeChallengeMethods, f.values["code_challenge_method"]) {
		if slices.Contains(d.CodeChallengeMethods, "S256") {
			f.values["code_challenge_method"] = "S256"
		}
	}
	f.notice = "Filled the endpoints from the discovery document. Review them, then save."
	if secrets["client_secret"] != "" {
		f.notice += " Type the client secret again: it is not sent back to the browser."
	}
	w.showIdPForm(rw, r, s, http.StatusOK, f)
}

// Test ------------------------------------------------------------------------------------

// idpDirTestView is the directory test form.
type idpDirTestView struct {
	chrome
	ID       string
	Name     string
	Username string
	Error    string
}

// testIdPPage starts a test sign-in at the provider (OIDC, SAML), whose callback shows the
// report, or shows the directory test form (LDAP).
func (w *Web) testIdPPage(rw http.ResponseWriter, r *http.Request, s *session) {
	c, err := w.svc.SSO.Connection(r.Context(), r.PathValue("id"))
	if err != nil {
		w.idpFailure(rw, r, s, err)
		return
	}
	if c.Protocol == sso.LDAP {
		w.render(rw, r, http.StatusOK, tmplIdPDirTest, idpDirTestView{
			chrome: w.idpChrome(r, s, "Test "+c.DisplayName), ID: c.ID, Name: c.DisplayName})
		return
	}
	start, err := w.svc.SSO.Begin(r.Context(), c.ID, true, "")
	if err != nil {
		msg, status := w.refusal(r, err)
		w.fail(rw, r, s, status, "Test of "+c.DisplayName+" failed", msg,
			pathIdPs+"/"+c.ID)
		return
	}
	w.startSSO(rw, r, start)
}

// testDirectory checks a directory connection with a username and password.
func (w *Web) testDirectory(rw http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	user := strings.TrimSpace(r.PostForm.Get("username"))
	rep, err := w.svc.SSO.TestDirectory(r.Context(), id, user, r.PostForm.Get("password"))
	if err != nil {
		if apperr.Is(err, apperr.NotFound) {
			w.gone(rw, r, s, "connection", pathIdPs)
			return
		}
		msg, status := w.refusal(r, err)
		w.render(rw, r, status, tmplIdPDirTest, idpDirTestView{
			chrome: w.idpChrome(r, s, "Test"), ID: id, Username: user, Error: msg})
		return
	}
	w.renderIdPReport(rw, r, s, rep)
}

// idpReportView is what a test sign-in returned and how it maps.
type idpReportView struct {
	chrome
	sso.Report
	Protocol string
	Action   string // the decision's action, capitalised
	Refusal  string // why it would refuse, capitalised
	Admin    string
	Claims   []claimRow
}

// claimRow is one claim the provider sent.
type claimRow struct {
	Name  string
	Value string
}

// renderIdPReport shows what a test sign-in returned and how it maps.
func (w *Web) renderIdPReport(rw http.ResponseWriter, r *http.Request, s *session,
	rep sso.Report) {
	v := idpReportView{chrome: w.idpChrome(r, s, "Test of "+rep.DisplayName), Report: rep,
		Protocol: protocolLabel(rep.Protocol), Claims: claimRows(rep.Claims)}
	v.Action, v.Refusal = capitalise(rep.Decision.Action), capitalise(rep.Decision.Refusal)
	if a := rep.Decision.Admin; a != nil {
		v.Admin = "Member"
		if *a {
			v.Admin = "Administrator"
		}
	}
	w.render(rw, r, http.StatusOK, tmplIdPReport, v)
}

// claimRows lists claims by name; values other than text are shown as JSON.
func claimRows(claims map[string]any) []claimRow {
	out := make([]claimRow, 0, len(claims))
	for k, v := range claims {
		text, ok := v.(string)
		if !ok {
			b, err := json.Marshal(v)
			if err != nil {
				b = []byte(fmt.Sprint(v))
			}
			text = string(b)
		}
		out = append(out, claimRow{Name: k, Value: text})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// capitalise upper-cases the first letter of a sentence.
func capitalise(s string) string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
