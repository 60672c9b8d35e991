package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"atrium/internal/audit"
	"atrium/internal/config"
	"atrium/internal/server"
	"atrium/internal/store/storetest"
	"atrium/internal/testutil/oidcop"
	"atrium/internal/testutil/samlidp"
	"atrium/internal/testutil/slapd"
)

// ssoEnv is a server that may reach identity providers on loopback, with an admin.
type ssoEnv struct {
	t     *testing.T
	srv   *server.Server
	url   string
	admin string // Authorization header value
	data  string
}

func startSSO(t *testing.T, dsn string, tweak ...func(*config.Config)) *ssoEnv {
	t.Helper()
	cfg := config.Default()
	cfg.Addr, cfg.Data, cfg.DB = "127.0.0.1:0", t.TempDir(), dsn
	cfg.AdminEmail, cfg.AdminPassword = adminEmail, adminPassword
	cfg.SSO.AllowPrivateAddresses = true
	cfg.SSO.Timeout = config.Duration(3 * time.Second)
	cfg.Auth.LastUsedFlush = config.Duration(100 * time.Millisecond)
	for _, f := range tweak {
		f(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := server.Open(ctx, cfg, log, server.Build{Version: "test"})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { srv.Serve(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return &ssoEnv{t: t, srv: srv, url: srv.URL(), data: cfg.Data, admin: "Basic " +
		base64.StdEncoding.EncodeToString([]byte(adminEmail+":"+adminPassword))}
}

// call runs an API call as the admin and fails the test unless it succeeds.
func (e *ssoEnv) call(endpoint string, body any) map[string]any {
	e.t.Helper()
	env := call(e.t, e.url, "/api/v2.31/"+endpoint, e.admin, body)
	if env.Meta.ResultCode != 200 {
		e.t.Fatalf("%s: %d/%d %v", endpoint, env.Meta.ResultCode, env.Meta.ResultSubcode, env.Data)
	}
	return env.Data
}

// callRaw returns the envelope whatever the result.
func (e *ssoEnv) callRaw(endpoint string, body any) envelope {
	e.t.Helper()
	return call(e.t, e.url, "/api/v2.31/"+endpoint, e.admin, body)
}

func (e *ssoEnv) group(name string) string {
	e.t.Helper()
	return e.call("permissions.add_or_update_user_group", map[string]any{"name": name})["id"].(string)
}

// members returns the user ids of a group.
func (e *ssoEnv) members(groupID string) []string {
	e.t.Helper()
	data := e.call("permissions.get_user_groups", map[string]any{"groups": []string{groupID}})
	var out []string
	for _, g := range data["groups"].([]any) {
		for _, u := range g.(map[string]any)["users"].([]any) {
			out = append(out, u.(string))
		}
	}
	return out
}

func (e *ssoEnv) save(provider string, conf map[string]any) string {
	e.t.Helper()
	return e.call("sso.save_provider_configuration",
		map[string]any{"provider": provider, "configuration": conf})["id"].(string)
}

// browser is a cookie-keeping client that follows redirects by hand.
type browser struct {
	t      *testing.T
	e      *ssoEnv
	client *http.Client
}

func (e *ssoEnv) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: e.t, e: e, client: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type hop struct {
	status   int
	location string
	body     string
	url      string
}

func (b *browser) do(req *http.Request) hop {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	loc := resp.Header.Get("Location")
	if loc != "" {
		u, _ := req.URL.Parse(loc)
		loc = u.String()
	}
	return hop{status: resp.StatusCode, location: loc, body: string(body), url: req.URL.String()}
}

func (b *browser) get(u string) hop {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return b.do(req)
}

// follow GETs u and every redirect after it; it returns the last answer.
func (b *browser) follow(u string) hop {
	b.t.Helper()
	h := b.get(u)
	for i := 0; h.location != "" && i < 20; i++ {
		h = b.get(h.location)
	}
	return h
}

func (b *browser) postForm(u string, form url.Values, origin string) hop {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	return b.do(req)
}

func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.e.url)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func (b *browser) session() string { return b.cookie("clearml_token_basic") }

// me asks the API who the browser's session is.
func (b *browser) me() map[string]any {
	b.t.Helper()
	tok := b.session()
	if tok == "" {
		b.t.Fatal("no session cookie")
	}
	env := call(b.t, b.e.url, "/api/v2.31/users.get_current_user", "Bearer "+tok, map[string]any{})
	if env.Meta.ResultCode != 200 {
		b.t.Fatalf("users.get_current_user: %d %v", env.Meta.ResultCode, env.Data)
	}
	return env.Data["user"].(map[string]any)
}

// tokenLifetime reads exp - iat of the session token.
func tokenLifetime(t *testing.T, tok string) time.Duration {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("session is not a JWT")
	}
	raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct{ Exp, Iat int64 }
	json.Unmarshal(raw, &c)
	return time.Duration(c.Exp-c.Iat) * time.Second
}

func eachDB(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, "") })
	t.Run("postgres", func(t *testing.T) { fn(t, storetest.PostgresDSN(t)) })
}

func oidcConn(op *oidcop.Provider, name string, extra map[string]any) map[string]any {
	conf := map[string]any{"display_name": name, "client_id": "atrium",
		"client_secret": "op-client-secret", "well_known_url": op.WellKnownURL(),
		"code_challenge_method": "S256", "active": true}
	for k, v := range extra {
		conf[k] = v
	}
	return conf
}

func newOP(t *testing.T) *oidcop.Provider {
	return oidcop.Start(t, oidcop.Options{ClientID: "atrium", ClientSecret: "op-client-secret"})
}

func TestOIDCSignInAndGroupSync(t *testing.T) {
	eachDB(t, func(t *testing.T, dsn string) {
		e := startSSO(t, dsn)
		op := newOP(t)
		op.AddUser(oidcop.User{Subject: "alice-sub", Email: "alice@corp.test",
			EmailVerified: true, Name: "Alice Liddell", Groups: []string{"ml-team",
				"idp-admins", "not-in-atrium"}})
		op.SetNextLogin("alice-sub")
		ml, vision := e.group("ml-team"), e.group("vision")
		id := e.save("keycloak", oidcConn(op, "Corp OIDC", map[string]any{
			"create_users": true, "group_enabled": true, "claim_groups": "groups",
			"group_admins": "idp-admins"}))
		op.AddRedirectURI(e.url + "/callback_" + id)

		modes := call(t, e.url, "/api/v2.31/login.supported_modes", "", map[string]any{})
		if b, _ := json.Marshal(modes.Data["sso_providers"]); !strings.Contains(string(b),
			"Corp OIDC") || !strings.Contains(string(b), "/sso/"+id) {
			t.Fatalf("sso_providers = %s", b)
		}

		b := e.browser()
		if login := b.get(e.url + "/login"); !strings.Contains(login.body, "Sign in with Corp OIDC") {
			t.Fatalf("login page has no button")
		}
		end := b.follow(e.url + "/sso/" + id)
		if end.status != 200 || !strings.HasSuffix(end.url, "/settings/profile") {
			t.Fatalf("sign-in ended at %s with %d: %.300s", end.url, end.status, end.body)
		}
		me := b.me()
		if me["email"] != "alice@corp.test" || me["name"] != "Alice Liddell" || me["role"] != "admin" {
			t.Fatalf("signed in as %v", me)
		}
		alice := me["id"].(string)
		if !slices.Contains(e.members(ml), alice) || slices.Contains(e.members(vision), alice) {
			t.Fatalf("groups after first sign-in: ml=%v vision=%v", e.members(ml), e.members(vision))
		}
		if d := tokenLifetime(t, b.session()); d <= 0 || d > 12*time.Hour {
			t.Fatalf("SSO session lives %v, want at most 12h", d)
		}
		// Renewing the session token cannot stretch it past the maximum age.
		renew := call(t, e.url, "/api/v2.31/auth.login", "Bearer "+b.session(),
			map[string]any{"expiration_sec": 30 * 24 * 3600})
		if tok, _ := renew.Data["token"].(string); tok == "" ||
			tokenExpiry(t, tok).After(tokenExpiry(t, b.session()).Add(time.Second)) {
			t.Fatalf("renewed SSO token outlives its session: %v", renew.Data)
		}
		var shown string
		for i := 0; i < 50 && !strings.Contains(shown, "OIDC: Corp OIDC"); i++ {
			time.Sleep(100 * time.Millisecond) // sign-ins are written in batches
			b, _ := json.Marshal(e.call("users.get_all_ex", map[string]any{"search": "alice"}))
			shown = string(b)
		}
		if !strings.Contains(shown, "OIDC: Corp OIDC") {
			t.Fatalf("users table does not show the sign-in method: %s", shown)
		}

		// Membership changes at the provider are applied at the next sign-in.
		op.SetUserGroups("alice-sub", []string{"vision"})
		b2 := e.browser()
		if end := b2.follow(e.url + "/sso/" + id); end.status != 200 {
			t.Fatalf("second sign-in: %d %.300s", end.status, end.body)
		}
		if me := b2.me(); me["id"] != alice || me["role"] != "user" {
			t.Fatalf("second sign-in as %v", me)
		}
		if slices.Contains(e.members(ml), alice) || !slices.Contains(e.members(vision), alice) {
			t.Fatalf("groups after second sign-in: ml=%v vision=%v", e.members(ml), e.members(vision))
		}

		// API credentials keep working for people who sign in with a provider.
		tok := b2.session()
		env := call(t, e.url, "/api/v2.31/auth.create_credentials", "Bearer "+tok, map[string]any{})
		key, _ := env.Data["credentials"].(map[string]any)
		if env.Meta.ResultCode != 200 || key == nil {
			t.Fatalf("create credentials: %v", env.Data)
		}
		basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(key["access_key"].(string)+
			":"+key["secret_key"].(string)))
		if env := call(t, e.url, "/api/v2.31/users.get_current_user", basic, map[string]any{}); env.Meta.ResultCode != 200 {
			t.Fatalf("key pair of an SSO user refused: %v", env.Data)
		}

		// The client secret is never returned and not stored in the clear.
		list := e.call("sso.get_provider_configurations", map[string]any{})
		if s, _ := json.Marshal(list); strings.Contains(string(s), "op-client-secret") {
			t.Fatalf("client secret returned: %s", s)
		}
		if dsn == "" {
			assertNotOnDisk(t, e.data, "op-client-secret")
		}
	})
}

// assertNotOnDisk fails when a secret appears in any file of the data folder.
func assertNotOnDisk(t *testing.T, dir, secret string) {
	t.Helper()
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return nil
		}
		b, _ := os.ReadFile(p)
		if strings.Contains(string(b), secret) {
			t.Errorf("%s holds the secret in the clear", p)
		}
		return nil
	})
}

func TestOIDCForgedAndReplayedCallbacks(t *testing.T) {
	e := startSSO(t, "")
	op := newOP(t)
	op.AddUser(oidcop.User{Subject: "mallory", Email: "mallory@corp.test", EmailVerified: true})
	op.SetNextLogin("mallory")
	id := e.save("custom_oidc", oidcConn(op, "Corp", map[string]any{"create_users": true}))
	op.AddRedirectURI(e.url + "/callback_" + id)

	// A callback with a state this browser never got signs nobody in.
	b := e.browser()
	start := b.get(e.url + "/sso/" + id)
	if start.status != http.StatusFound || !strings.HasPrefix(start.location, op.URL) {
		t.Fatalf("start: %d %s", start.status, start.location)
	}
	forged := b.get(e.url + "/callback_" + id + "?code=abc&state=forged")
	if forged.status != http.StatusUnauthorized || b.session() != "" {
		t.Fatalf("forged state: %d, session %q", forged.status, b.session())
	}
	if !strings.Contains(forged.body, "not started from this browser") {
		t.Fatalf("forged state message: %.400s", forged.body)
	}
	// Without any flow cookie at all.
	other := e.browser()
	if h := other.get(e.url + "/callback_" + id + "?code=abc&state=x"); h.status != 401 {
		t.Fatalf("callback without a flow: %d", h.status)
	}

	// A real callback works once; replaying it with the same flow cookie does not.
	b = e.browser()
	h := b.get(e.url + "/sso/" + id)
	flowCookie := b.cookie("atrium_sso")
	for h.location != "" && !strings.Contains(h.location, "/callback_") {
		h = b.get(h.location)
	}
	callback := h.location
	if ok := b.follow(callback); ok.status != 200 || b.session() == "" {
		t.Fatalf("genuine callback: %d", ok.status)
	}
	replay := e.browser()
	u, _ := url.Parse(e.url)
	replay.client.Jar.SetCookies(u, []*http.Cookie{{Name: "atrium_sso", Value: flowCookie}})
	if r := replay.get(callback); r.status != 401 || replay.session() != "" ||
		!strings.Contains(r.body, "already used") {
		t.Fatalf("replayed callback: %d session=%q", r.status, replay.session())
	}

	// An inactive connection does not sign anyone in.
	e.call("sso.set_provider_configurations_active", map[string]any{"ids": []string{id},
		"active": false})
	if h := e.browser().get(e.url + "/sso/" + id); h.status != 404 {
		t.Fatalf("inactive connection start: %d", h.status)
	}
}

func TestOIDCAdmission(t *testing.T) {
	e := startSSO(t, "")
	op := newOP(t)
	id := e.save("okta", oidcConn(op, "Okta", map[string]any{"create_users": false}))
	op.AddRedirectURI(e.url + "/callback_" + id)
	signIn := func(sub string) (*browser, hop) {
		op.SetNextLogin(sub)
		b := e.browser()
		return b, b.follow(e.url + "/sso/" + id)
	}
	add := func(sub, email string, verified bool) {
		op.AddUser(oidcop.User{Subject: sub, Email: email, EmailVerified: verified, Name: sub})
	}

	add("bob", "bob@corp.test", true)
	if b, h := signIn("bob"); h.status != 403 || b.session() != "" ||
		!strings.Contains(h.body, "not invited") {
		t.Fatalf("stranger: %d %.300s", h.status, h.body)
	}

	e.call("users.invite", map[string]any{"emails": []string{"carol@corp.test"}})
	add("carol", "carol@corp.test", true)
	if b, h := signIn("carol"); h.status != 200 || b.me()["email"] != "carol@corp.test" {
		t.Fatalf("invited: %d %.300s", h.status, h.body)
	}

	e.call("login.set_domains", map[string]any{"domains": []string{"allowed.test"}})
	add("dave", "dave@allowed.test", true)
	if b, h := signIn("dave"); h.status != 200 || b.me()["email"] != "dave@allowed.test" {
		t.Fatalf("allowed domain: %d %.300s", h.status, h.body)
	}
	add("dora", "dora@allowed.test", false)
	if _, h := signIn("dora"); h.status != 403 {
		t.Fatalf("allowed domain, unverified e-mail: %d", h.status)
	}

	e.call("auth.create_user", map[string]any{"email": "erin@corp.test", "name": "Erin",
		"password": "Erin-Long-Password-1"})
	add("erin", "erin@corp.test", true)
	b, h := signIn("erin")
	if h.status != 200 || b.me()["email"] != "erin@corp.test" || b.me()["name"] != "Erin" {
		t.Fatalf("existing user linked by e-mail: %d %.300s", h.status, h.body)
	}
	e.call("auth.create_user", map[string]any{"email": "frank@corp.test", "name": "Frank",
		"password": "Frank-Long-Password-1"})
	add("frank", "frank@corp.test", false)
	if b, h := signIn("frank"); h.status != 403 || b.session() != "" {
		t.Fatalf("unverified e-mail linked to an existing user: %d", h.status)
	}

	// A deactivated person is refused even though the provider vouches for them.
	erin := b.me()["id"].(string)
	e.call("users.deactivate", map[string]any{"user": erin})
	if b, h := signIn("erin"); h.status != 403 || b.session() != "" {
		t.Fatalf("deactivated user: %d", h.status)
	}
}

func TestSAMLSignIn(t *testing.T) {
	eachDB(t, func(t *testing.T, dsn string) {
		e := startSSO(t, dsn)
		idp := samlidp.Start(t)
		ml := e.group("ml-team")
		id := e.save("custom_saml", map[string]any{"display_name": "Corp SAML",
			"idp_metadata": string(idp.MetadataXML()), "create_users": true,
			"group_enabled": true, "claim_groups": "groups", "sign_requests": true,
			"require_signed_assertion": true, "active": true})
		meta := e.browser().get(e.url + "/saml/metadata/" + id)
		if meta.status != 200 || !strings.Contains(meta.body, e.url+"/callback_"+id) {
			t.Fatalf("SP metadata: %d %.300s", meta.status, meta.body)
		}
		idp.RegisterSP([]byte(meta.body))
		idp.SetUser(samlidp.User{NameID: "grace", Email: "grace@corp.test", Name: "Grace Hopper",
			Groups: []string{"ml-team"}})

		b := e.browser()
		acs, resp, relay := samlStart(t, b, idp, id)
		end := samlPost(t, b, acs, resp, relay)
		if end.status != http.StatusSeeOther || b.session() == "" {
			t.Fatalf("SAML sign-in: %d %.400s", end.status, end.body)
		}
		me := b.me()
		if me["email"] != "grace@corp.test" || me["name"] != "Grace Hopper" {
			t.Fatalf("signed in as %v", me)
		}
		if !slices.Contains(e.members(ml), me["id"].(string)) {
			t.Fatalf("group not synchronised")
		}

		// The same response again, even with the flow cookie it was made for, is refused.
		replay := e.browser()
		u, _ := url.Parse(e.url)
		b2 := e.browser()
		acs2, resp2, relay2 := samlStart(t, b2, idp, id)
		flow := b2.cookie("atrium_sso")
		if ok := samlPost(t, b2, acs2, resp2, relay2); ok.status != http.StatusSeeOther {
			t.Fatalf("second genuine sign-in: %d", ok.status)
		}
		replay.client.Jar.SetCookies(u, []*http.Cookie{{Name: "atrium_sso", Value: flow}})
		if r := samlPost(t, replay, acs2, resp2, relay2); r.status != 401 || replay.session() != "" {
			t.Fatalf("replayed SAML response: %d", r.status)
		}

		// A response altered after signing is refused.
		b3 := e.browser()
		acs3, resp3, relay3 := samlStart(t, b3, idp, id)
		xml, _ := base64.StdEncoding.DecodeString(resp3)
		evil := strings.Replace(string(xml), "grace@corp.test", "admin@example.com", -1)
		tampered := base64.StdEncoding.EncodeToString([]byte(evil))
		if r := samlPost(t, b3, acs3, tampered, relay3); r.status != 401 || b3.session() != "" {
			t.Fatalf("tampered SAML response: %d", r.status)
		}

		// An unsigned response is refused.
		b4 := e.browser()
		acs4, resp4, relay4 := samlStart(t, b4, idp, id)
		xml, _ = base64.StdEncoding.DecodeString(resp4)
		unsigned := regexp.MustCompile(`(?s)<ds:Signature.*?</ds:Signature>`).
			ReplaceAllString(string(xml), "")
		if r := samlPost(t, b4, acs4, base64.StdEncoding.EncodeToString([]byte(unsigned)),
			relay4); r.status != 401 {
			t.Fatalf("unsigned SAML response: %d", r.status)
		}
	})
}

// samlStart begins a SAML sign-in in b and lets the identity provider answer.
func samlStart(t *testing.T, b *browser, idp *samlidp.IdP, id string) (string, string, string) {
	t.Helper()
	h := b.get(b.e.url + "/sso/" + id)
	if h.status != http.StatusFound {
		t.Fatalf("SAML start: %d %.300s", h.status, h.body)
	}
	return idp.Login(t, h.location)
}

// samlPost delivers the provider's POST to the ACS as a browser would: cross-site, without
// cookies reaching Atrium's check, then the same-origin hop the page makes.
func samlPost(t *testing.T, b *browser, acs, resp, relay string) hop {
	t.Helper()
	first := b.postForm(acs, url.Values{"SAMLResponse": {resp}, "RelayState": {relay}}, "null")
	if first.status != 200 || !strings.Contains(first.body, "data-autosubmit-form") {
		t.Fatalf("ACS: %d %.300s", first.status, first.body)
	}
	action := regexp.MustCompile(`action="([^"]+)"`).FindStringSubmatch(first.body)
	if action == nil {
		t.Fatalf("no form on the ACS page")
	}
	return b.postForm(b.e.url+action[1], url.Values{"SAMLResponse": {resp},
		"RelayState": {relay}}, b.e.url)
}

func TestLDAPSignIn(t *testing.T) {
	eachDB(t, func(t *testing.T, dsn string) {
		dir := slapd.Start(t)
		henry := dir.AddUser(t, "henry", "Henry-Password-1", "henry@corp.test", "Henry Ford",
			"Henry", "Ford")
		dir.AddGroup(t, "ml-team", henry)
		e := startSSO(t, dsn)
		ml, vision := e.group("ml-team"), e.group("vision")
		id := e.save("openldap", map[string]any{"display_name": "Corp LDAP",
			"server_url": dir.URL, "start_tls": true, "ca_certificate": dir.CACertPEM,
			"bind_dn": dir.ReaderDN, "bind_password": dir.ReaderPassword, "base_dn": dir.BaseDN,
			"create_users": true, "group_enabled": true, "active": true})

		b := e.browser()
		login := b.get(e.url + "/login")
		if !strings.Contains(login.body, "E-mail or username") {
			t.Fatalf("login form does not take usernames")
		}
		if h := ldapLogin(t, b, "henry", "wrong-password"); h.status != 400 || b.session() != "" {
			t.Fatalf("wrong password: %d", h.status)
		}
		for _, name := range []string{"*", "h*", "*)(uid=*", "henry)(|(uid=*"} {
			if h := ldapLogin(t, b, name, "Henry-Password-1"); h.status != 400 || b.session() != "" {
				t.Fatalf("username %q: %d", name, h.status)
			}
		}
		if h := ldapLogin(t, b, "henry", "Henry-Password-1"); h.status != http.StatusSeeOther {
			t.Fatalf("directory sign-in: %d %.300s", h.status, h.body)
		}
		me := b.me()
		if me["email"] != "henry@corp.test" || me["name"] != "Henry Ford" {
			t.Fatalf("signed in as %v", me)
		}
		if !slices.Contains(e.members(ml), me["id"].(string)) {
			t.Fatalf("directory group not synchronised")
		}

		dir.SetGroupMembers(t, "ml-team")
		dir.AddGroup(t, "vision", henry)
		b2 := e.browser()
		if h := ldapLogin(t, b2, "henry", "Henry-Password-1"); h.status != http.StatusSeeOther {
			t.Fatalf("second directory sign-in: %d", h.status)
		}
		if slices.Contains(e.members(ml), me["id"].(string)) ||
			!slices.Contains(e.members(vision), me["id"].(string)) {
			t.Fatalf("membership change not applied")
		}

		// A directory e-mail links to an existing user (here the admin) only when the
		// connection trusts the directory's addresses.
		dir.AddUser(t, "mallory", "Mallory-Password-1", adminEmail, "Mallory", "M", "M")
		b3 := e.browser()
		if h := ldapLogin(t, b3, "mallory", "Mallory-Password-1"); h.status != 403 ||
			b3.session() != "" {
			t.Fatalf("untrusted directory e-mail linked to the admin: %d", h.status)
		}
		e.call("sso.save_provider_configuration", map[string]any{"id": id,
			"configuration": map[string]any{"trust_email": true}})
		if h := ldapLogin(t, b3, "mallory", "Mallory-Password-1"); h.status != http.StatusSeeOther ||
			b3.me()["email"] != adminEmail {
			t.Fatalf("trusted directory e-mail: %d", h.status)
		}

		// A bad search filter is refused on its own field, in the form's words.
		env := e.callRaw("sso.save_provider_configuration", map[string]any{"id": id,
			"configuration": map[string]any{"search_filter": "(uid=henry)"}})
		if b, _ := json.Marshal(env); env.Meta.ResultCode != 400 ||
			!strings.Contains(string(b), "User search filter: must contain {0}") {
			t.Fatalf("bad filter: %s", b)
		}

		// The admin test checks the service account and maps a person without signing in.
		r := e.call("sso.test_provider_configuration", map[string]any{"id": id,
			"username": "henry", "password": "Henry-Password-1"})
		rep, _ := json.Marshal(r["report"])
		if !strings.Contains(string(rep), "henry@corp.test") || strings.Contains(string(rep), `"error"`) {
			t.Fatalf("test report: %s", rep)
		}
	})
}

func ldapLogin(t *testing.T, b *browser, user, password string) hop {
	t.Helper()
	page := b.get(b.e.url + "/login")
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("no csrf token on the login page")
	}
	return b.postForm(b.e.url+"/login", url.Values{"csrf": {m[1]}, "email": {user},
		"password": {password}}, b.e.url)
}

func TestLDAPUnreachable(t *testing.T) {
	e := startSSO(t, "")
	e.save("openldap", map[string]any{"display_name": "Gone", "server_url": "ldap://127.0.0.1:1",
		"start_tls": true, "bind_dn": "cn=reader,dc=example,dc=org", "bind_password": "x",
		"base_dn": "dc=example,dc=org", "timeout_sec": 2, "active": true})
	b := e.browser()
	begin := time.Now()
	h := ldapLogin(t, b, "henry", "whatever-password")
	if h.status != http.StatusBadGateway || !strings.Contains(h.body, "directory is not available") {
		t.Fatalf("unreachable directory: %d %.300s", h.status, h.body)
	}
	if time.Since(begin) > 10*time.Second {
		t.Fatalf("unreachable directory took %v", time.Since(begin))
	}
}

func TestProviderAddressGuard(t *testing.T) {
	strict := startSSO(t, "", func(c *config.Config) { c.SSO.AllowPrivateAddresses = false })
	open := startSSO(t, "")
	base := map[string]any{"display_name": "Guarded", "client_id": "x",
		"authorization_endpoint": "https://idp.example.test/auth",
		"token_endpoint":         "https://idp.example.test/token"}
	for _, tc := range []struct {
		env   *ssoEnv
		field string
		value string
	}{
		{strict, "jwks_uri", "http://127.0.0.1:9/jwks"},
		{strict, "token_endpoint", "http://10.0.0.1/token"},
		{open, "jwks_uri", "http://169.254.169.254/latest/meta-data/"},
		{open, "well_known_url", "http://169.254.169.254/.well-known/openid-configuration"},
		{open, "userinfo_endpoint", "http://[fe80::1]/userinfo"},
	} {
		conf := map[string]any{}
		for k, v := range base {
			conf[k] = v
		}
		conf[tc.field] = tc.value
		env := tc.env.callRaw("sso.save_provider_configuration",
			map[string]any{"provider": "custom_oidc", "configuration": conf})
		if env.Meta.ResultCode != 400 {
			t.Errorf("%s=%s saved: %d", tc.field, tc.value, env.Meta.ResultCode)
		}
	}
	// A name that resolves to loopback is refused when it is dialled.
	env := strict.callRaw("sso.get_oidc_provider_data_from_well_known_url",
		map[string]any{"well_known_url": "http://localhost:9/.well-known/openid-configuration"})
	if env.Meta.ResultCode != 400 {
		t.Errorf("discovery at localhost: %d", env.Meta.ResultCode)
	}
	list := strict.call("sso.get_provider_configurations", map[string]any{})
	if n := len(list["configurations"].([]any)); n != 0 {
		t.Errorf("%d connections stored after refusals", n)
	}
	// LDAP to metadata addresses is refused too.
	env = open.callRaw("sso.save_provider_configuration", map[string]any{"provider": "openldap",
		"configuration": map[string]any{"display_name": "Meta", "server_url": "ldaps://169.254.169.254",
			"bind_dn": "cn=x", "bind_password": "y", "base_dn": "dc=x"}})
	if env.Meta.ResultCode != 400 {
		t.Errorf("LDAP at the metadata address saved: %d", env.Meta.ResultCode)
	}
}

// audited returns the audit entries with an action, newest first.
func (e *ssoEnv) audited(action string) []audit.Entry {
	e.t.Helper()
	me := e.call("users.get_current_user", map[string]any{})["user"].(map[string]any)
	ws := me["company"].(map[string]any)["id"].(string)
	list, err := e.srv.Audit.Entries(context.Background(), ws, audit.Filter{Action: action})
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}

func TestGroupSyncOptions(t *testing.T) {
	e := startSSO(t, "")
	op := newOP(t)
	ml := e.group("ML-Team")
	id := e.save("custom_oidc", oidcConn(op, "Strict", map[string]any{"create_users": true,
		"group_enabled": true, "claim_groups": "groups", "group_case_insensitive": true,
		"group_prohibit_user_login_if_not_in_group": true}))
	op.AddRedirectURI(e.url + "/callback_" + id)
	op.AddUser(oidcop.User{Subject: "ivy", Email: "ivy@corp.test", EmailVerified: true,
		Groups: []string{"ml-team"}})
	op.AddUser(oidcop.User{Subject: "jo", Email: "jo@corp.test", EmailVerified: true,
		Groups: []string{"marketing"}})

	op.SetNextLogin("jo")
	b := e.browser()
	if h := b.follow(e.url + "/sso/" + id); h.status != 403 || b.session() != "" ||
		!strings.Contains(h.body, "none of the workspace") {
		t.Fatalf("person in no known group: %d %.300s", h.status, h.body)
	}
	if len(e.audited("sso.sign_in_refused")) == 0 {
		t.Fatal("refused sign-in not audit-logged")
	}
	op.SetNextLogin("ivy")
	b = e.browser()
	if h := b.follow(e.url + "/sso/" + id); h.status != 200 {
		t.Fatalf("case-insensitive match: %d %.300s", h.status, h.body)
	}
	if !slices.Contains(e.members(ml), b.me()["id"].(string)) {
		t.Fatal("ml-team did not match ML-Team ignoring case")
	}
	if len(e.audited("sso.sign_in")) != 1 || len(e.audited("user.groups_synced")) != 1 {
		t.Fatal("sign-in or group change not audit-logged")
	}
}

func TestProviderLogoutAndUnreachable(t *testing.T) {
	e := startSSO(t, "")
	op := oidcop.Start(t, oidcop.Options{ClientID: "atrium", ClientSecret: "op-client-secret",
		PostLogoutRedirectURIs: nil})
	op.AddUser(oidcop.User{Subject: "kim", Email: "kim@corp.test", EmailVerified: true})
	op.SetNextLogin("kim")
	id := e.save("custom_oidc", oidcConn(op, "Logout", map[string]any{"create_users": true,
		"logout_from_provider": true}))
	op.AddRedirectURI(e.url + "/callback_" + id)
	b := e.browser()
	if h := b.follow(e.url + "/sso/" + id); h.status != 200 {
		t.Fatalf("sign-in: %d", h.status)
	}
	tok := b.session()
	req, _ := http.NewRequest(http.MethodPost, e.url+"/api/v2.31/login.logout", strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.AddCookie(&http.Cookie{Name: "atrium_idp", Value: b.cookie("atrium_idp")})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var out envelope
	json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if u, _ := out.Data["redirect_url"].(string); !strings.HasPrefix(u, op.URL) {
		t.Fatalf("login.logout redirect_url = %v", out.Data)
	}

	// A provider that stopped answering gives a clear message, quickly.
	e2 := startSSO(t, "")
	id2 := e2.save("custom_oidc", map[string]any{"display_name": "Down", "client_id": "x",
		"issuer": "http://127.0.0.1:1", "jwks_uri": "http://127.0.0.1:1/jwks",
		"authorization_endpoint": "http://127.0.0.1:1/auth",
		"token_endpoint":         "http://127.0.0.1:1/token", "active": true})
	b2 := e2.browser()
	start := b2.get(e2.url + "/sso/" + id2)
	st, _ := url.Parse(start.location)
	begin := time.Now()
	h := b2.get(e2.url + "/callback_" + id2 + "?code=c&state=" + st.Query().Get("state"))
	if h.status != 401 || !strings.Contains(h.body, "could not be reached") {
		t.Fatalf("unreachable token endpoint: %d %s", h.status, h.body[strings.Index(h.body, "<main"):])
	}
	if time.Since(begin) > 10*time.Second {
		t.Fatalf("took %v", time.Since(begin))
	}
	if len(e2.audited("sso.sign_in_failed")) == 0 {
		t.Fatal("failed sign-in not audit-logged")
	}
}

func TestSSOAdminAPI(t *testing.T) {
	e := startSSO(t, "")
	op := newOP(t)
	idp := samlidp.Start(t)
	providers := e.call("sso.get_supported_providers", map[string]any{})["providers"].([]any)
	if len(providers) < 12 {
		t.Fatalf("%d providers", len(providers))
	}
	tmpl := e.call("sso.get_provider_configuration_template", map[string]any{
		"provider": "okta", "well_known_url": op.WellKnownURL()})
	conf := tmpl["configuration"].(map[string]any)
	if conf["token_endpoint"] == "" || conf["jwks_uri"] == "" || conf["claim_email"] != "email" {
		t.Fatalf("template = %v", conf)
	}
	d := e.call("sso.get_oidc_provider_data_from_well_known_url",
		map[string]any{"well_known_url": op.WellKnownURL()})
	if d["issuer"] != op.URL || d["jwks_uri"] == "" {
		t.Fatalf("well-known = %v", d)
	}
	samlID := e.save("google_saml", map[string]any{"display_name": "SAML",
		"idp_metadata_url": idp.MetadataURL(), "sign_requests": true})
	md := e.call("sso.download_saml_sp_metadata", map[string]any{"id": samlID})
	if !strings.Contains(md["metadata"].(string), "AuthnRequestsSigned=\"true\"") {
		t.Fatalf("SP metadata = %.300s", md["metadata"])
	}
	// Saving again with the mask keeps the generated private key.
	e.call("sso.save_provider_configuration", map[string]any{"id": samlID, "configuration": map[string]any{
		"display_name": "SAML renamed", "sp_private_key": "********"}})
	if md2 := e.call("sso.download_saml_sp_metadata", map[string]any{"id": samlID}); md2["metadata"] == "" {
		t.Fatal("metadata gone after rename")
	}
	list := e.call("sso.get_provider_configurations", map[string]any{})["configurations"].([]any)
	got := list[0].(map[string]any)
	if got["display_name"] != "SAML renamed" || got["sp_private_key"] != "********" ||
		strings.Contains(fmt.Sprint(got), "PRIVATE KEY") {
		t.Fatalf("configuration = %v", got)
	}
	// Duplicate names and unknown providers are refused with nothing stored.
	for _, body := range []map[string]any{
		{"provider": "custom_saml", "configuration": map[string]any{"display_name": "saml renamed",
			"idp_metadata": string(idp.MetadataXML())}},
		{"provider": "nope", "configuration": map[string]any{"display_name": "X"}},
		{"provider": "custom_saml", "configuration": map[string]any{"display_name": "Bad XML",
			"idp_metadata": "<not-metadata/>"}},
		{"provider": "custom_oidc", "configuration": map[string]any{"display_name": "No client"}},
	} {
		if env := e.callRaw("sso.save_provider_configuration", body); env.Meta.ResultCode != 400 {
			t.Errorf("%v saved: %d", body, env.Meta.ResultCode)
		}
	}
	if n := len(e.call("sso.get_provider_configurations", map[string]any{})["configurations"].([]any)); n != 1 {
		t.Fatalf("%d connections after refusals", n)
	}
	// Non-admins may not touch connections.
	e.call("auth.create_user", map[string]any{"email": "user@corp.test", "name": "User",
		"password": "User-Long-Password-1"})
	user := "Basic " + base64.StdEncoding.EncodeToString([]byte("user@corp.test:User-Long-Password-1"))
	for _, ep := range []string{"sso.get_provider_configurations", "sso.get_supported_providers",
		"sso.delete_provider_configurations"} {
		if env := call(t, e.url, "/api/v2.31/"+ep, user, map[string]any{"ids": []string{samlID}}); env.Meta.ResultCode != 403 {
			t.Errorf("%s as a user: %d", ep, env.Meta.ResultCode)
		}
	}
	if r := e.call("sso.delete_provider_configurations", map[string]any{"ids": []string{samlID}}); r["deleted"] != 1.0 {
		t.Fatalf("delete = %v", r)
	}
	oidcID := e.save("custom_oidc", map[string]any{"display_name": "Not SAML", "client_id": "x",
		"authorization_endpoint": "https://idp.example.test/a",
		"token_endpoint":         "https://idp.example.test/t"})
	if env := e.callRaw("sso.download_saml_sp_metadata", map[string]any{"id": oidcID}); env.Meta.ResultCode != 400 {
		t.Fatalf("SP metadata of an OIDC connection: %d", env.Meta.ResultCode)
	}
	if h := e.browser().get(e.url + "/saml/metadata/" + samlID); h.status != 404 {
		t.Fatalf("metadata of a deleted connection: %d", h.status)
	}
}

func TestTestOfUnreachableProvider(t *testing.T) {
	e := startSSO(t, "")
	id := e.save("custom_oidc", map[string]any{"display_name": "Down", "client_id": "x",
		"issuer": "http://127.0.0.1:1", "jwks_uri": "http://127.0.0.1:1/jwks",
		"authorization_endpoint": "http://127.0.0.1:1/auth",
		"token_endpoint":         "http://127.0.0.1:1/token"})
	redirect := e.call("sso.test_provider_configuration", map[string]any{"id": id})["redirect_url"].(string)
	b := e.browser()
	login := b.get(e.url + "/login")
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(login.body)
	b.postForm(e.url+"/login", url.Values{"csrf": {m[1]}, "email": {adminEmail},
		"password": {adminPassword}}, e.url)
	h := b.get(redirect)
	if h.status == http.StatusFound || !strings.Contains(h.body, "could not be reached") {
		t.Fatalf("test of an unreachable provider: %d %s", h.status, h.location)
	}
}

func tokenExpiry(t *testing.T, tok string) time.Time {
	parts := strings.Split(tok, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct{ Exp int64 }
	json.Unmarshal(raw, &c)
	return time.Unix(c.Exp, 0)
}
