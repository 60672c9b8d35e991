// Package api serves the ClearML-compatible JSON API: path and version parsing, body
// decoding (GET bodies, query merging, JSON lines), authentication, the response envelope
// and the error table of wire.md. Each ClearML service has one file that registers its
// endpoints in the one table; handlers turn requests into domain service calls.
package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"atrium/internal/access"
	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/credential"
	"atrium/internal/identity"
	"atrium/internal/registry"
	"atrium/internal/secret"
	"atrium/internal/sso"
	"atrium/internal/vault"
	"atrium/internal/webauth"
)

// AuthMode says whether an endpoint needs a caller.
type AuthMode int

// Auth modes.
const (
	AuthRequired AuthMode = iota
	AuthOptional          // credentials are used when present and valid, ignored otherwise
	AuthNone
)

// Endpoint is one ClearML service.action.
type Endpoint struct {
	Name  string
	Auth  AuthMode
	Roles []identity.Role // nil: any role
	// Handle runs the call and returns the "data" payload.
	Handle func(c *Call) (any, error)
}

// Options configures the API.
type Options struct {
	APIVersion    string // the highest version served; unversioned calls get it
	ServerVersion string
	Version       string // Atrium's own version
	Build         string
	Commit        string
	PublicURL     string
	SecureCookies bool
}

// Services are the domain services the API calls.
type Services struct {
	Identity    *identity.Service
	Credentials *credential.Service
	Registry    *registry.Service
	Vaults      *vault.Service
	Access      *access.Service
	SSO         *sso.Service
}

// API is the ClearML JSON API handler.
type API struct {
	svc       Services
	log       *slog.Logger
	opts      Options
	metrics   *Metrics
	endpoints map[string]*Endpoint
	maxVer    version
	origin    string // the public URL's origin, trusted for cookie-authenticated calls
	vaults    vaultCache
	now       func() time.Time
}

// New builds the API and its endpoint table.
func New(svc Services, log *slog.Logger, metrics *Metrics, opts Options,
	now func() time.Time) *API {
	a := &API{svc: svc, log: log, opts: opts, metrics: metrics,
		endpoints: map[string]*Endpoint{}, now: now}
	a.maxVer, _ = parseVersion(opts.APIVersion)
	a.origin = originOf(opts.PublicURL)
	for _, group := range [][]*Endpoint{a.authEndpoints(), a.loginEndpoints(),
		a.userEndpoints(), a.serverEndpoints(), a.adminEndpoints(), a.permissionEndpoints(),
		a.registryEndpoints(), a.vaultEndpoints(), a.accessEndpoints(), a.ssoEndpoints()} {
		for _, e := range group {
			a.endpoints[e.Name] = e
		}
	}
	return a
}

// Endpoints lists the endpoint names, sorted; tests walk it.
func (a *API) Endpoints() []*Endpoint {
	out := make([]*Endpoint, 0, len(a.endpoints))
	for _, e := range a.endpoints {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Call is one API request in flight.
type Call struct {
	ctx       context.Context
	api       *API
	R         *http.Request
	header    http.Header
	ID        string
	Trx       string
	Endpoint  string
	Requested string
	Principal identity.Principal
	Claims    *credential.Claims // set for bearer and cookie calls
	Authed    bool
	Address   string
	Worker    string
	body      map[string]any
	rawBody   []byte
	Lines     []json.RawMessage
}

// Context returns the call's context, carrying the principal and the audit actor.
func (c *Call) Context() context.Context { return c.ctx }

// Decode fills v (a pointer to a request struct) from the body. Wrong types are 400/12.
func (c *Call) Decode(v any) error {
	data := c.rawBody
	if c.body != nil {
		var err error
		if data, err = json.Marshal(c.body); err != nil {
			return malformed(err)
		}
	}
	if len(data) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) {
			return apperr.Invalidf("Validation error (field %s: expected %s, got %s)",
				typ.Field, typ.Type, typ.Value).WithSub(400, 12)
		}
		return malformed(err)
	}
	return nil
}

// Has reports whether the body carries a non-null key.
func (c *Call) Has(key string) bool {
	m := c.bodyMap()
	v, ok := m[key]
	return ok && v != nil
}

// Body returns the request body as a map.
func (c *Call) bodyMap() map[string]any {
	if c.body == nil {
		m, err := decodeObject(c.rawBody)
		if err != nil {
			m = map[string]any{}
		}
		c.body = m
	}
	return c.body
}

// SetCookie adds a cookie to the response.
func (c *Call) SetCookie(ck *http.Cookie) { c.header.Add("Set-Cookie", ck.String()) }

func missing(fields ...string) error {
	return apperr.Invalidf("Missing required fields (%s)", strings.Join(fields, ", ")).
		WithSub(400, 11)
}

// ServeHTTP handles every API path, whatever the method, in ClearML's processing order:
// path, endpoint, authentication, role, impersonation, body, validation, run.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	c := &Call{api: a, R: r, header: w.Header(), ID: secret.ID(), Address: webauth.ClientAddr(r)}
	c.Trx = headerValue(r, "Trx")
	if c.Trx == "" {
		c.Trx = c.ID
	}
	c.Worker = headerValue(r, "Worker")
	a.cors(w, r)
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusOK)
		return
	}
	if enc := r.Header.Get("Content-Encoding"); enc != "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusUnsupportedMediaType)
		io.WriteString(w, "Content encoding is not supported ("+enc+")")
		return
	}
	data, err := a.serve(c)
	a.respond(w, r, c, data, err, start)
}

func (a *API) serve(c *Call) (any, error) {
	ver, name, err := parsePath(c.R.URL.Path)
	c.Endpoint = name
	if err != nil {
		c.Requested = a.opts.APIVersion
		return nil, err
	}
	c.Requested = ver
	if ver == "" {
		c.Requested = a.opts.APIVersion
	}
	e, ok := a.endpoints[name]
	if !ok {
		return nil, apperr.NotFoundf("Unable to find endpoint for name %s and version %s",
			name, c.Requested).WithSub(404, 0)
	}
	c.ctx = c.R.Context()
	if err := a.authenticate(c, e); err != nil {
		return nil, err
	}
	if err := checkRole(c, e); err != nil {
		return nil, err
	}
	if err := a.impersonate(c); err != nil {
		return nil, err
	}
	if err := a.readBody(c); err != nil {
		return nil, err
	}
	if c.Authed {
		c.ctx = identity.WithPrincipal(c.ctx, c.Principal)
		actor := c.Principal.UserID
		if c.Principal.ImpersonatorID != "" {
			actor = c.Principal.ImpersonatorID
		}
		c.ctx = audit.WithActor(c.ctx, audit.Actor{WorkspaceID: c.Principal.WorkspaceID,
			UserID: actor, Name: c.Principal.Name, Address: c.Address, RequestID: c.ID})
	}
	return e.Handle(c)
}

func checkRole(c *Call, e *Endpoint) error {
	if e.Roles == nil || e.Auth != AuthRequired {
		return nil
	}
	for _, r := range e.Roles {
		if c.Principal.Role == r {
			return nil
		}
	}
	allowed := make([]string, len(e.Roles))
	for i, r := range e.Roles {
		allowed[i] = string(r)
	}
	return apperr.Forbiddenf("Forbidden (not allowed for role): role=%s, allowed=(%s)",
		c.Principal.Role, strings.Join(allowed, ", ")).WithSub(403, 20)
}

// readBody reads at most MaxBody bytes and merges the query string.
func (a *API) readBody(c *Call) error {
	var body []byte
	var err error
	if c.R.ContentLength != 0 {
		body, err = io.ReadAll(io.LimitReader(c.R.Body, MaxBody+1))
	}
	if err != nil {
		return apperr.Invalidf("Invalid request body (%s)", err).WithSub(400, 12)
	}
	if len(body) > MaxBody {
		return apperr.New(apperr.TooLarge, "Request body too large (the limit is %d bytes)",
			MaxBody).WithSub(413, 0)
	}
	if strings.HasPrefix(c.R.Header.Get("Content-Type"), "application/json-lines") {
		c.Lines, err = splitLines(body)
		return err
	}
	c.rawBody = bytes.TrimSpace(body)
	var m map[string]any
	if isForm(c.R) {
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return apperr.Invalidf("Invalid request body (malformed form data)").WithSub(400, 12)
		}
		m = map[string]any{}
		mergeQuery(m, vals)
	}
	if c.R.URL.RawQuery != "" {
		if m == nil {
			if m, err = decodeObject(body); err != nil {
				return err
			}
		}
		mergeQuery(m, c.R.URL.Query())
	}
	if m != nil {
		c.body = m
		return nil
	}
	_, err = decodeObject(body)
	return err
}

func isForm(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")
}

// headerValue reads X-ClearML-<name>, falling back to X-Trains-<name>; name is given in
// canonical form ("Worker", "Impersonate-As").
func headerValue(r *http.Request, name string) string {
	if v := r.Header["X-Clearml-"+name]; len(v) > 0 && v[0] != "" {
		return v[0]
	}
	if v := r.Header["X-Trains-"+name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// cors reflects the caller's origin, as ClearML does. Credentials (the session cookie) are
// allowed only for the server's own origin; other origins must bring their own token.
func (a *API) cors(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
	if origin == a.origin {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if r.Method == http.MethodOptions {
		h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS")
		if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
			h.Set("Access-Control-Allow-Headers", req)
		}
		h.Set("Access-Control-Max-Age", "600")
	}
}

func originOf(publicURL string) string {
	scheme, rest, ok := strings.Cut(publicURL, "://")
	if !ok {
		return ""
	}
	host, _, _ := strings.Cut(rest, "/")
	return scheme + "://" + host
}

// authenticate resolves the caller from Authorization or, failing that, the session cookie.
func (a *API) authenticate(c *Call, e *Endpoint) error {
	if e.Auth == AuthNone {
		return nil
	}
	authz := c.R.Header.Get("Authorization")
	if authz == "" {
		if ck, err := c.R.Cookie(webauth.CookieName); err == nil && ck.Value != "" && a.sameSite(c.R) {
			authz = "Bearer " + ck.Value
		}
	}
	err := a.resolve(c, authz)
	if err != nil && e.Auth == AuthOptional {
		c.Authed, c.Principal, c.Claims = false, identity.Principal{}, nil
		return nil
	}
	return err
}

// sameSite decides whether the ambient session cookie may authenticate a request. GET
// changes state in this API, so SameSite=Lax alone would let a link on another site act
// with a signed-in user's session; the cookie is therefore used only when the browser says
// the request comes from the same origin (Sec-Fetch-Site same-origin, or none for a typed
// address) or, for browsers without fetch metadata, when it carries the server's own Origin.
// Scripts and clients authenticate with Authorization headers instead.
func (a *API) sameSite(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return true
	case "":
	default:
		return false
	}
	o := r.Header.Get("Origin")
	return o != "" && (o == a.origin || o == "http://"+r.Host || o == "https://"+r.Host)
}

func (a *API) resolve(c *Call, authz string) error {
	if authz == "" {
		return apperr.Unauthenticatedf("Unauthorized (missing credentials)").WithSub(401, 20)
	}
	scheme, value, _ := strings.Cut(authz, " ")
	value = strings.TrimSpace(value)
	switch strings.ToLower(scheme) {
	case "basic":
		return a.basic(c, value)
	case "bearer":
		p, claims, err := a.svc.Credentials.Authenticate(c.R.Context(), value)
		if err != nil {
			return err
		}
		c.Principal, c.Claims, c.Authed = p, &claims, true
		return nil
	}
	return apperr.Unauthenticatedf("Unauthorized (bad authentication header type)").
		WithSub(401, 10)
}

// basic handles "access_key:secret_key" and, for users with a password, "email:password".
// The payload is latin-1, split at the first colon.
func (a *API) basic(c *Call, value string) error {
	raw, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		return apperr.Unauthenticatedf("Unauthorized (malformed credentials)").WithSub(401, 21)
	}
	user, pass, ok := strings.Cut(basicText(raw), ":")
	if !ok {
		return apperr.Unauthenticatedf("Unauthorized (malformed credentials)").WithSub(401, 21)
	}
	ctx := c.R.Context()
	var p identity.Principal
	if strings.Contains(user, "@") {
		u, err := a.svc.Identity.Authenticate(ctx, user, pass, c.Address)
		if err != nil {
			if apperr.Is(err, apperr.Unauthenticated) {
				e := apperr.As(err)
				if e.Code == 0 {
					return apperr.Unauthenticatedf("Unauthorized (invalid credentials) (%s)",
						e.Msg).WithSub(401, 22)
				}
			}
			return err
		}
		if err := identity.AllowPasswordOnly(u); err != nil {
			return err
		}
		p, err = a.svc.Identity.Principal(ctx, u.WorkspaceID, u.ID)
		if err != nil {
			return err
		}
	} else {
		from := c.Worker
		if from == "" {
			from = c.Address
		}
		p, err = a.svc.Credentials.Verify(ctx, user, pass, from)
		if err != nil {
			return err
		}
	}
	c.Principal, c.Authed = p, true
	return nil
}

// basicText decodes a Basic payload: UTF-8 when the bytes are valid UTF-8 (curl, browsers),
// otherwise latin-1 (python-requests, which ClearML's clients use).
func basicText(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return latin1(b)
}

func latin1(b []byte) string {
	for _, x := range b {
		if x >= 0x80 {
			r := make([]rune, len(b))
			for i, y := range b {
				r[i] = rune(y)
			}
			return string(r)
		}
	}
	return string(b)
}

// impersonate applies X-ClearML-Impersonate-As (act fully as the user) or X-ClearML-Act-As
// (the user's identity with the caller's role); identity decides who may.
func (a *API) impersonate(c *Call) error {
	imp, act := headerValue(c.R, "Impersonate-As"), headerValue(c.R, "Act-As")
	if imp == "" && act == "" {
		return nil
	}
	if imp != "" && act != "" {
		return apperr.Invalidf("Invalid headers (only one of Impersonate-As and Act-As may be sent)").
			WithSub(400, 5)
	}
	if !c.Authed {
		return nil
	}
	p, err := a.svc.Identity.Impersonate(c.R.Context(), c.Principal, imp+act, act != "")
	if err != nil {
		return err
	}
	c.Principal = p
	return nil
}
