package web_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"atrium/internal/config"
	"atrium/internal/testutil/oidcop"
	"atrium/internal/testutil/samlidp"
)

const (
	pathIdPs      = "/settings/identity-providers"
	idpSecret     = "s3cr3t-client-value-that-must-not-show"
	idpExampleURL = "https://idp.example.test"
)

// formValues reads a form of a page as a browser would submit it with the given button:
// inputs, ticked checkboxes, selected options and textareas. Password inputs start empty.
func formValues(t *testing.T, p *page, formID string) url.Values {
	t.Helper()
	form := p.byID(formID)
	if form == nil {
		t.Fatalf("no form #%s on the page:\n%s", formID, p.body)
	}
	out := url.Values{}
	for _, n := range findAll(form, func(n *html.Node) bool {
		return n.Data == "input" || n.Data == "textarea" || n.Data == "select"
	}) {
		name, ok := attr(n, "name")
		if !ok || name == "op" {
			continue
		}
		typ, _ := attr(n, "type")
		val, _ := attr(n, "value")
		switch {
		case n.Data == "textarea":
			out.Set(name, strings.TrimPrefix(textOf(n), "\n"))
		case n.Data == "select":
			for _, o := range findAll(n, func(n *html.Node) bool { return n.Data == "option" }) {
				if _, sel := attr(o, "selected"); sel {
					v, _ := attr(o, "value")
					out.Set(name, v)
				}
			}
		case typ == "checkbox":
			if _, on := attr(n, "checked"); on {
				out.Set(name, "on")
			}
		case typ == "file" || typ == "password":
		default:
			out.Set(name, val)
		}
	}
	return out
}

// textOf is an element's raw text, whitespace kept.
func textOf(n *html.Node) string {
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	}
	return b.String()
}

// oidcForm is the new-connection form of the custom OIDC preset, filled by hand.
func oidcForm(t *testing.T, a *agent, name string) url.Values {
	t.Helper()
	p := a.get(pathIdPs + "/new?provider=custom_oidc")
	wantStatus(t, p, http.StatusOK)
	f := formValues(t, p, "idp-form")
	f.Set("display_name", name)
	f.Set("client_id", "atrium-web")
	f.Set("client_secret", idpSecret)
	f.Set("authorization_endpoint", idpExampleURL+"/authorize")
	f.Set("token_endpoint", idpExampleURL+"/token")
	f.Set("jwks_uri", idpExampleURL+"/jwks")
	f.Set("issuer", idpExampleURL)
	return f
}

// idpRowIDs lists the ids of the connections in the table, in order.
func idpRowIDs(t *testing.T, a *agent) map[string]string {
	t.Helper()
	p := a.get(pathIdPs)
	wantStatus(t, p, http.StatusOK)
	out := map[string]string{}
	for _, n := range findAll(p.doc, hasClass("idp-name")) {
		href, _ := attr(n, "href")
		out[text(n)] = strings.TrimPrefix(href, pathIdPs+"/")
	}
	return out
}

func createIdP(t *testing.T, a *agent, form url.Values) string {
	t.Helper()
	p := a.send(pathIdPs, form)
	wantStatus(t, p, http.StatusSeeOther)
	if !strings.HasPrefix(p.location(), pathIdPs+"?notice=idp-saved") {
		t.Fatalf("saved connection redirects to %q", p.location())
	}
	id := idpRowIDs(t, a)[form.Get("display_name")]
	if id == "" {
		t.Fatalf("connection %q is not in the table", form.Get("display_name"))
	}
	return id
}

func TestIdPEmptyStateAndWizard(t *testing.T) {
	h := start(t)
	a := h.admin()
	p := a.get(pathIdPs)
	wantStatus(t, p, http.StatusOK)
	if got := p.title(); got != "Identity providers" {
		t.Errorf("title = %q, want Identity providers", got)
	}
	if got := p.texts("empty-title"); len(got) != 1 {
		t.Fatalf("empty state = %q, want one", got)
	}
	if len(findAll(p.doc, hasAttr("href", pathIdPs+"/new"))) == 0 {
		t.Error("the empty state has no New connection link")
	}
	nav := findAll(p.doc, hasAttr("aria-current", "page"))
	if len(nav) == 0 || text(nav[0]) != "Identity providers" {
		t.Error("the navigation does not mark Identity providers")
	}

	step1 := a.get(pathIdPs + "/new")
	wantStatus(t, step1, http.StatusOK)
	radios := findAll(step1.doc, hasAttr("name", "provider"))
	if len(radios) < 10 {
		t.Errorf("wizard lists %d providers, want the whole catalogue", len(radios))
	}
	for _, want := range []string{"OpenID Connect (OIDC)", "SAML 2.0", "LDAP directory"} {
		if !strings.Contains(step1.body, want) {
			t.Errorf("wizard lacks the %s group", want)
		}
	}

	saml := a.get(pathIdPs + "/new?provider=custom_saml")
	wantStatus(t, saml, http.StatusOK)
	if saml.byID("f-idp_metadata-file") == nil || saml.byID("f-acs_url") != nil {
		t.Error("a new SAML form wants a metadata upload and no ACS URL yet")
	}
	if got := a.get(pathIdPs + "/new?provider=nope"); got.status != http.StatusBadRequest {
		t.Errorf("unknown provider: status %d, want 400", got.status)
	}
}

func TestIdPCreateEditSecret(t *testing.T) {
	h := start(t)
	a := h.admin()
	form := oidcForm(t, a, "Company SSO")
	if form.Get("display_name") != "Company SSO" || form.Get("claim_email") != "email" {
		t.Fatalf("template defaults missing: %v", form)
	}
	id := createIdP(t, a, form)

	list := a.get(pathIdPs)
	r := row(t, list, "idp-"+id)
	if got := text(r); !strings.Contains(got, "Custom OIDC") || !strings.Contains(got, "OIDC") {
		t.Errorf("row = %q, want provider and protocol", got)
	}
	edit := a.get(pathIdPs + "/" + id)
	wantStatus(t, edit, http.StatusOK)
	for _, p := range []*page{list, edit, a.get(pathIdPs + "/" + id + "/delete")} {
		if strings.Contains(p.body, idpSecret) {
			t.Fatalf("the client secret shows in a page:\n%s", p.body)
		}
	}
	if v := edit.inputValue("client_secret"); v != "" {
		t.Errorf("secret input value = %q, want empty", v)
	}
	if len(edit.texts("secret-saved")) != 1 {
		t.Error("the edit page does not say the secret is saved")
	}
	if cb := edit.byID("f-callback_url"); cb == nil {
		t.Error("the edit page lacks the callback URL")
	} else if v, _ := attr(cb, "value"); !strings.HasSuffix(v, "/callback_"+id) {
		t.Errorf("callback URL = %q", v)
	}

	// Saving with the secret left empty keeps it.
	again := formValues(t, edit, "idp-form")
	again.Set("display_name", "Company SSO (staff)")
	wantStatus(t, a.send(pathIdPs+"/"+id, again), http.StatusSeeOther)
	edited := a.get(pathIdPs + "/" + id)
	if got := edited.inputValue("display_name"); got != "Company SSO (staff)" {
		t.Errorf("display name = %q after edit", got)
	}
	if len(edited.texts("secret-saved")) != 1 {
		t.Error("an edit with an empty secret lost the saved secret")
	}
	_, data := a.api("/sso.get_provider_configurations", map[string]any{})
	confs, _ := data["configurations"].([]any)
	if len(confs) != 1 {
		t.Fatalf("configurations = %v", data)
	}
	if c := confs[0].(map[string]any); c["client_secret_set"] != true {
		t.Errorf("client_secret_set = %v, want true", c["client_secret_set"])
	}
}

func TestIdPRefusedInput(t *testing.T) {
	h := start(t)
	a := h.admin()
	cases := []struct {
		name, field, value string
	}{
		{"missing display name", "display_name", ""},
		{"bad authorization URL", "authorization_endpoint", "not a url"},
		{"bad token URL", "token_endpoint", "ftp://idp.example.test/token"},
		{"bad number", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			form := oidcForm(t, a, "Refused")
			if tc.field != "" {
				form.Set(tc.field, tc.value)
			}
			if tc.name == "bad number" {
				form = samlNumberForm(t, a)
				tc.field = "clock_skew_sec"
			}
			p := a.send(pathIdPs, form)
			wantStatus(t, p, http.StatusBadRequest)
			msg := p.byID("f-" + tc.field + "-error")
			if msg == nil || text(msg) == "" {
				t.Fatalf("no message next to %s:\n%s", tc.field, p.body)
			}
			if strings.Contains(p.body, idpSecret) {
				t.Error("the re-rendered form shows the typed secret")
			}
			if tc.field != "display_name" && p.inputValue("display_name") != form.Get("display_name") {
				t.Error("the re-rendered form lost what was typed")
			}
			if ids := idpRowIDs(t, a); len(ids) != 0 {
				t.Errorf("a refused form stored %v", ids)
			}
		})
	}
}

// samlNumberForm is a SAML form whose clock skew is not a number.
func samlNumberForm(t *testing.T, a *agent) url.Values {
	t.Helper()
	p := a.get(pathIdPs + "/new?provider=custom_saml")
	f := formValues(t, p, "idp-form")
	f.Set("clock_skew_sec", "ninety")
	return f
}

func TestIdPToggleAndDelete(t *testing.T) {
	h := start(t)
	a := h.admin()
	id := createIdP(t, a, oidcForm(t, a, "Okta"))
	switchOf := func() bool {
		n := a.get(pathIdPs).byID("active-" + id)
		_, on := attr(n, "checked")
		return on
	}
	if switchOf() {
		t.Fatal("a new connection is active")
	}
	p := a.send(pathIdPs+"/"+id+"/active", url.Values{"active": {"on"}})
	wantStatus(t, p, http.StatusSeeOther)
	if !switchOf() {
		t.Error("the switch did not turn the connection on")
	}
	wantStatus(t, a.send(pathIdPs+"/"+id+"/active", nil), http.StatusSeeOther)
	if switchOf() {
		t.Error("the switch did not turn the connection off")
	}

	confirm := a.get(pathIdPs + "/" + id + "/delete")
	wantStatus(t, confirm, http.StatusOK)
	for _, typed := range []string{"", "okta", "Okt"} {
		p := a.send(pathIdPs+"/"+id+"/delete", url.Values{"confirm_name": {typed}})
		wantStatus(t, p, http.StatusBadRequest)
		if p.byID("confirm-error") == nil {
			t.Errorf("typed %q: no message", typed)
		}
	}
	if ids := idpRowIDs(t, a); ids["Okta"] != id {
		t.Fatalf("a wrong name deleted the connection: %v", ids)
	}
	p = a.send(pathIdPs+"/"+id+"/delete", url.Values{"confirm_name": {"Okta"}})
	wantStatus(t, p, http.StatusSeeOther)
	if ids := idpRowIDs(t, a); len(ids) != 0 {
		t.Errorf("connections after delete: %v", ids)
	}
	if got := a.get(pathIdPs + "/" + id); got.status != http.StatusNotFound {
		t.Errorf("deleted connection: status %d, want 404", got.status)
	}
}

func TestIdPRefusesMembers(t *testing.T) {
	h := start(t)
	admin := h.admin()
	id := createIdP(t, admin, oidcForm(t, admin, "Keycloak"))
	member := h.member(admin, "member@example.com", "Member")
	for _, path := range []string{pathIdPs, pathIdPs + "/new", pathIdPs + "/" + id,
		pathIdPs + "/" + id + "/test", pathIdPs + "/" + id + "/delete"} {
		if p := member.get(path); p.status != http.StatusNotFound {
			t.Errorf("GET %s as a member: status %d, want 404", path, p.status)
		}
	}
	for _, path := range []string{pathIdPs + "/" + id + "/active", pathIdPs + "/" + id + "/delete"} {
		p := member.send(path, url.Values{"active": {"on"}, "confirm_name": {"Keycloak"}})
		if p.status != http.StatusNotFound {
			t.Errorf("POST %s as a member: status %d, want 404", path, p.status)
		}
	}
	if ids := idpRowIDs(t, admin); ids["Keycloak"] != id {
		t.Errorf("a member changed the connections: %v", ids)
	}
	if n := admin.get(pathIdPs).byID("active-" + id); n == nil {
		t.Fatal("no switch")
	} else if _, on := attr(n, "checked"); on {
		t.Error("a member switched the connection on")
	}
	form := oidcForm(t, admin, "Sneaky")
	if p := member.send(pathIdPs, form); p.status != http.StatusNotFound {
		t.Errorf("member create: status %d", p.status)
	}
}

// startOIDC runs a server that may reach loopback providers, with one OIDC connection to
// a real test provider, and returns the connection's id.
func startOIDC(t *testing.T) (*harness, *agent, *oidcop.Provider, string) {
	t.Helper()
	h := start(t, func(c *config.Config) { c.SSO.AllowPrivateAddresses = true })
	a := h.admin()
	id := createIdP(t, a, oidcForm(t, a, "Test provider"))
	op := oidcop.Start(t, oidcop.Options{ClientID: "atrium-web", ClientSecret: idpSecret,
		RedirectURIs: []string{h.url + "/callback_" + id}})
	op.AddUser(oidcop.User{Subject: "u-1", Email: "grace@example.com", EmailVerified: true,
		Name: "Grace Hopper", GivenName: "Grace", FamilyName: "Hopper",
		Groups: []string{"Data science"}})
	op.SetNextLogin("u-1")

	// Fill the endpoints from discovery, then save.
	form := formValues(t, a.get(pathIdPs+"/"+id), "idp-form")
	form.Set("well_known_url", op.WellKnownURL())
	form.Set("op", "discover")
	filled := a.send(pathIdPs+"/"+id, form)
	wantStatus(t, filled, http.StatusOK)
	if got := filled.inputValue("authorization_endpoint"); !strings.HasPrefix(got, op.URL) {
		t.Fatalf("discovery filled authorization endpoint %q, want under %s", got, op.URL)
	}
	if filled.byID("idp-form-info") == nil {
		t.Error("no notice after discovery")
	}
	save := formValues(t, filled, "idp-form")
	save.Set("group_enabled", "on")
	wantStatus(t, a.send(pathIdPs+"/"+id, save), http.StatusSeeOther)
	return h, a, op, id
}

// follow GETs path and follows redirects through the provider back to this server.
func follow(t *testing.T, a *agent, path string) *page {
	t.Helper()
	next := a.h.url + path
	for range 10 {
		req, err := http.NewRequest(http.MethodGet, next, nil)
		if err != nil {
			t.Fatal(err)
		}
		p := a.do(req)
		if p.status != http.StatusFound && p.status != http.StatusSeeOther {
			return p
		}
		u, err := req.URL.Parse(p.location())
		if err != nil {
			t.Fatal(err)
		}
		next = u.String()
	}
	t.Fatal("too many redirects")
	return nil
}

func TestIdPTestReport(t *testing.T) {
	_, a, _, id := startOIDC(t)
	p := follow(t, a, pathIdPs+"/"+id+"/test")
	wantStatus(t, p, http.StatusOK)
	if got := p.title(); got != "Identity providers" {
		t.Errorf("report title = %q", got)
	}
	if p.byID("report-error") != nil {
		t.Fatalf("the test failed:\n%s", p.body)
	}
	prof := text(p.byID("report-profile"))
	for _, want := range []string{"grace@example.com", "verified", "Grace Hopper", "Data science"} {
		if !strings.Contains(prof, want) {
			t.Errorf("profile %q lacks %q", prof, want)
		}
	}
	if got := text(p.byID("report-decision")); !strings.Contains(got, "create a new user") &&
		!strings.Contains(got, "Refuse") {
		t.Errorf("decision = %q", got)
	}
	claims := strings.Join(p.texts("claim-value"), " ")
	if !strings.Contains(claims, "u-1") {
		t.Errorf("claims = %q, want the subject", claims)
	}
	if !strings.Contains(p.body, "no user was created") {
		t.Error("the report does not say that nothing was created")
	}
}

// uploadMetadata sends a connection form as multipart with an identity provider metadata
// file, as a browser does for the SAML form.
func uploadMetadata(t *testing.T, a *agent, path string, fields url.Values, doc []byte) *page {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fields.Set("csrf", a.csrf())
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	fw, err := mw.CreateFormFile("idp_metadata_file", "idp-metadata.xml")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(doc)
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, a.h.url+path, &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", a.h.url)
	return a.do(req)
}

func TestIdPSAMLUpload(t *testing.T) {
	h := start(t)
	a := h.admin()
	idp := samlidp.Start(t)
	form := formValues(t, a.get(pathIdPs+"/new?provider=custom_saml"), "idp-form")
	form.Set("display_name", "Duo SAML")
	p := uploadMetadata(t, a, pathIdPs, form, idp.MetadataXML())
	wantStatus(t, p, http.StatusSeeOther)
	id := idpRowIDs(t, a)["Duo SAML"]
	if id == "" {
		t.Fatal("the SAML connection is not in the table")
	}
	edit := a.get(pathIdPs + "/" + id)
	wantStatus(t, edit, http.StatusOK)
	if acs := edit.byID("f-acs_url"); acs == nil {
		t.Error("the edit page lacks the ACS URL")
	}
	if len(findAll(edit.doc, hasAttr("href", "/saml/metadata/"+id))) != 1 {
		t.Error("the edit page lacks the SP metadata download")
	}
	if got := edit.inputValue("idp_metadata"); got != "" {
		t.Errorf("textarea reported as input value %q", got)
	}
	md := a.get("/saml/metadata/" + id)
	if md.status != http.StatusOK || !strings.Contains(md.body, "AssertionConsumerService") {
		t.Errorf("SP metadata: status %d\n%s", md.status, md.body)
	}

	// A broken file is refused next to the metadata field, and nothing changes.
	form = formValues(t, edit, "idp-form")
	p = uploadMetadata(t, a, pathIdPs+"/"+id, form, []byte("<not-metadata/>"))
	wantStatus(t, p, http.StatusBadRequest)
	if p.byID("f-idp_metadata-error") == nil {
		t.Errorf("no message next to the metadata:\n%s", p.body)
	}
}

func TestIdPDirectoryTest(t *testing.T) {
	h := start(t)
	a := h.admin()
	form := formValues(t, a.get(pathIdPs+"/new?provider=openldap"), "idp-form")
	form.Set("display_name", "Directory")
	form.Set("server_url", "ldaps://ldap.invalid:636")
	form.Del("start_tls")
	form.Set("bind_dn", "cn=atrium,dc=example,dc=test")
	form.Set("bind_password", "bind-secret-value")
	form.Set("base_dn", "ou=people,dc=example,dc=test")
	form.Set("timeout_sec", "2")
	id := createIdP(t, a, form)

	p := a.get(pathIdPs + "/" + id + "/test")
	wantStatus(t, p, http.StatusOK)
	if p.byID("username") == nil || p.byID("password") == nil {
		t.Fatalf("no directory test form:\n%s", p.body)
	}
	rep := a.send(pathIdPs+"/"+id+"/test", url.Values{"username": {"grace"},
		"password": {"pw"}})
	wantStatus(t, rep, http.StatusOK)
	if rep.byID("report-error") == nil {
		t.Errorf("an unreachable directory reports no error:\n%s", rep.body)
	}
	if strings.Contains(rep.body, "bind-secret-value") {
		t.Error("the report shows the bind password")
	}
}
