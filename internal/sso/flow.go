package sso

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"atrium/internal/apperr"
	"atrium/internal/identity"
	"atrium/internal/secret"
	"atrium/internal/sso/ldapauth"
	"atrium/internal/sso/oidcrp"
	"atrium/internal/sso/samlsp"
)

// flowTTL bounds how long a person may spend at the provider.
const flowTTL = 10 * time.Minute

// flow is a browser sign-in in progress. It travels sealed in a cookie, so the callback
// is tied to the browser that started it and any replica can finish it.
type flow struct {
	Conn      string `json:"c"`
	State     string `json:"s"`
	Nonce     string `json:"n,omitempty"`
	Verifier  string `json:"v,omitempty"`
	RequestID string `json:"r,omitempty"`
	Next      string `json:"x,omitempty"`
	Test      bool   `json:"t,omitempty"`
	Admin     string `json:"a,omitempty"`
	Expires   int64  `json:"e"`
}

const flowContext = "sso-flow"

func (s *Service) sealFlow(f flow) string {
	b, _ := json.Marshal(f)
	return s.keys.Seal(b, flowContext)
}

func (s *Service) openFlow(v, connID string) (flow, error) {
	var f flow
	b, err := s.keys.Open(v, flowContext)
	if err == nil {
		err = json.Unmarshal(b, &f)
	}
	if err != nil || f.Conn != connID || s.now().Unix() > f.Expires {
		return flow{}, errFlow
	}
	return f, nil
}

var errFlow = errors.New("no sign-in in progress for this connection in this browser")

// byID finds a connection by its id alone (callbacks and metadata carry only the id).
func (s *Service) byID(ctx context.Context, id string) (Connection, error) {
	r, err := s.store.SSOConnection(ctx, id)
	if apperr.Is(err, apperr.NotFound) {
		return Connection{}, notFound(id)
	}
	if err != nil {
		return Connection{}, err
	}
	return s.find(ctx, r.WorkspaceID, id)
}

// Start is the beginning of a browser sign-in: where to send the browser and the value of
// the flow cookie to set.
type Start struct {
	RedirectURL string
	Cookie      string
}

// Begin starts a browser sign-in with an active OIDC or SAML connection. With test set the
// caller must be an admin of the connection's workspace, the connection may be inactive, and
// the finish reports what came back instead of signing anyone in. next is a local path to
// return to.
func (s *Service) Begin(ctx context.Context, id string, test bool, next string) (Start, error) {
	c, err := s.byID(ctx, id)
	if err != nil {
		return Start{}, err
	}
	f := flow{Conn: c.ID, Next: next, Test: test, Expires: s.now().Add(flowTTL).Unix()}
	if test {
		p, err := admin(ctx)
		if err != nil {
			return Start{}, err
		}
		if p.WorkspaceID != c.WorkspaceID {
			return Start{}, notFound(id)
		}
		f.Admin = p.UserID
		if err := s.preflight(ctx, c); err != nil {
			return Start{}, err
		}
	} else if !c.Active {
		return Start{}, notFound(id)
	}
	var redirect string
	switch c.Protocol {
	case OIDC:
		var st oidcrp.State
		redirect, st, err = oidcrp.Begin(s.oidcConfig(c), s.CallbackURL(c.ID))
		if err != nil {
			return Start{}, s.failed(ctx, c, "", err, describeOIDC(err))
		}
		f.State, f.Nonce, f.Verifier = st.State, st.Nonce, st.Verifier
	case SAML:
		f.State = base64.RawURLEncoding.EncodeToString(secret.Random(24))
		redirect, f.RequestID, err = samlsp.Begin(s.samlConfig(c), f.State)
		if err != nil {
			return Start{}, s.failed(ctx, c, "", err, describeSAML(err))
		}
	default:
		return Start{}, invalid("id", "%s connections sign in with the username form",
			strings.ToUpper(string(c.Protocol)))
	}
	return Start{RedirectURL: redirect, Cookie: s.sealFlow(f)}, nil
}

// Report is what a test sign-in returned and how it maps; nothing is changed by it.
type Report struct {
	Connection  string         `json:"connection"`
	DisplayName string         `json:"display_name"`
	Protocol    Protocol       `json:"protocol"`
	Claims      map[string]any `json:"claims,omitempty"`
	Profile     Profile        `json:"profile"`
	Decision    Decision       `json:"decision"`
	Error       string         `json:"error,omitempty"`
}

// Outcome is the end of a browser sign-in: the user to issue a session for, or, for a
// test, the report.
type Outcome struct {
	User       identity.User
	Connection Connection
	Next       string
	Report     *Report
	// LogoutURL signs the person out at the provider too, when the connection asks for it.
	LogoutURL string
}

// FinishOIDC completes an OIDC sign-in from the provider's redirect.
func (s *Service) FinishOIDC(ctx context.Context, id, cookie string, query map[string][]string) (
	Outcome, error) {
	c, f, err := s.resume(ctx, id, cookie, OIDC)
	if err != nil {
		return Outcome{}, err
	}
	if got := url.Values(query).Get("state"); got != "" && secret.Equal(got, f.State) {
		// The flow is used up before the code is exchanged: a replayed callback is refused
		// here, whatever the provider does with a code it has seen.
		if err := s.once(ctx, c, "flow:"+f.State, time.Unix(f.Expires, 0)); err != nil {
			return Outcome{}, err
		}
	}
	st := oidcrp.State{State: f.State, Nonce: f.Nonce, Verifier: f.Verifier}
	res, err := oidcrp.Finish(ctx, s.opts.Guard.Client(), s.oidcConfig(c), s.CallbackURL(c.ID),
		st, query, s.now)
	if err != nil {
		return Outcome{}, s.failed(ctx, c, "", err, describeOIDC(err))
	}
	p := mapProfile(c.Settings, res.Claims, res.Subject, oidcrp.EmailVerified(res.Claims))
	return s.finish(ctx, c, f, p, res.Claims)
}

// FinishSAML completes a SAML sign-in from the response the provider posted.
func (s *Service) FinishSAML(ctx context.Context, id, cookie, response, relayState string) (
	Outcome, error) {
	c, f, err := s.resume(ctx, id, cookie, SAML)
	if err != nil {
		return Outcome{}, err
	}
	if !secret.Equal(relayState, f.State) {
		err := errors.New("relay state does not match")
		return Outcome{}, s.failed(ctx, c, "", err, describeSAML(samlsp.ErrRequest))
	}
	res, err := samlsp.Finish(s.samlConfig(c), response, f.RequestID, s.now)
	if err != nil {
		return Outcome{}, s.failed(ctx, c, "", err, describeSAML(err))
	}
	if err := s.once(ctx, c, "saml:"+res.AssertionID, res.NotOnOrAfter); err != nil {
		return Outcome{}, err
	}
	if err := s.once(ctx, c, "flow:"+f.State, time.Unix(f.Expires, 0)); err != nil {
		return Outcome{}, err
	}
	claims := samlAttributes(res)
	p := mapProfile(c.Settings, claims, res.NameID, c.Settings.TrustEmail)
	return s.finish(ctx, c, f, p, claims)
}

// resume opens the flow cookie of a callback.
func (s *Service) resume(ctx context.Context, id, cookie string, proto Protocol) (Connection,
	flow, error) {
	c, err := s.byID(ctx, id)
	if err != nil {
		return Connection{}, flow{}, err
	}
	f, err := s.openFlow(cookie, c.ID)
	if err == nil && c.Protocol != proto {
		err = errFlow
	}
	if err == nil && !f.Test && !c.Active {
		err = errors.New("connection is not active")
	}
	if err != nil {
		return c, f, s.failed(ctx, c, "", err,
			"the sign-in was not started from this browser, or it took too long")
	}
	return c, f, nil
}

// once accepts a key a single time: a replayed response or callback fails.
func (s *Service) once(ctx context.Context, c Connection, key string, until time.Time) error {
	if max := s.now().Add(24 * time.Hour); until.After(max) || until.IsZero() {
		until = max
	}
	err := s.store.ConsumeOnce(ctx, c.WorkspaceID, key, until, s.now())
	if apperr.Is(err, apperr.Conflict) {
		return s.failed(ctx, c, "", errors.New("replayed: "+key),
			"this sign-in answer was already used")
	}
	return err
}

func (s *Service) finish(ctx context.Context, c Connection, f flow, p Profile,
	claims map[string]any) (Outcome, error) {
	out := Outcome{Connection: c, Next: f.Next}
	if f.Test {
		r := s.report(ctx, c, p, claims)
		out.Report = &r
		return out, nil
	}
	u, err := s.admit(ctx, c, p)
	if err != nil {
		return Outcome{}, err
	}
	out.User, out.LogoutURL = u, s.endSession(c)
	return out, nil
}

// report works out what a sign-in would do without doing it.
func (s *Service) report(ctx context.Context, c Connection, p Profile,
	claims map[string]any) Report {
	r := Report{Connection: c.ID, DisplayName: c.DisplayName, Protocol: c.Protocol,
		Claims: scrubClaims(claims), Profile: p}
	d, err := s.decide(ctx, c, p)
	if err != nil {
		r.Error = err.Error()
	}
	r.Decision = d
	if err := s.store.InTx(ctx, func(ctx context.Context) error {
		return s.audit.Record(ctx, c.WorkspaceID, "sso.test", "sso_connection", c.ID,
			map[string]any{"display_name": c.DisplayName, "email": p.Email,
				"action": d.Action})
	}); err != nil {
		s.log.Error("audit a test sign-in", "error", err)
	}
	return r
}

// scrubClaims drops values that are credentials rather than facts about the person.
func scrubClaims(claims map[string]any) map[string]any {
	out := make(map[string]any, len(claims))
	for k, v := range claims {
		switch strings.ToLower(k) {
		case "at_hash", "c_hash", "nonce", "access_token", "id_token", "refresh_token":
			continue
		}
		out[k] = v
	}
	return out
}

// failed audit-logs a failed sign-in and returns the error the person sees.
func (s *Service) failed(ctx context.Context, c Connection, who string, cause error,
	msg string) error {
	s.log.Info("sign-in failed", "connection", c.ID, "error", cause)
	err := s.store.InTx(ctx, func(ctx context.Context) error {
		return s.audit.Record(ctx, c.WorkspaceID, "sso.sign_in_failed", "sso_connection", c.ID,
			map[string]any{"display_name": c.DisplayName, "who": who,
				"reason": cause.Error()})
	})
	if err != nil {
		s.log.Error("audit a failed sign-in", "connection", c.ID, "error", err)
	}
	return &apperr.Error{Kind: apperr.Unauthenticated, Code: 401, Subcode: 20,
		Msg: "Sign-in with " + c.DisplayName + " failed: " + msg + ".", Err: cause}
}

// SignInDirectory checks a username and password against the workspace's active LDAP
// connections in turn and admits the person the first one knows.
func (s *Service) SignInDirectory(ctx context.Context, wsID, username, password,
	address string) (identity.User, error) {
	if err := s.ids.CheckSignInThrottle(username, address); err != nil {
		return identity.User{}, err
	}
	list, err := s.connections(ctx, wsID)
	if err != nil {
		return identity.User{}, err
	}
	var trouble error
	for _, c := range list {
		if !c.Active || c.Protocol != LDAP {
			continue
		}
		res, err := ldapauth.Authenticate(ctx, s.opts.Guard.DialContext, s.ldapConfig(c),
			username, password)
		if errors.Is(err, ldapauth.ErrInvalidCredentials) {
			continue
		}
		if err != nil {
			// The details are for the audit log and the admin's test; the person signing in
			// learns only that the directory is unavailable.
			s.failed(ctx, c, username, err, describeLDAP(err))
			trouble = &apperr.Error{Kind: apperr.Unauthenticated, Code: 401, Subcode: 20,
				Msg: "Sign-in with " + c.DisplayName + " failed: the directory is not " +
					"available right now. Try again later or ask an administrator.", Err: err}
			continue
		}
		s.ids.SignInSucceeded(username, address)
		return s.admit(ctx, c, ldapProfile(c, res))
	}
	s.ids.SignInFailed(username, address)
	if trouble != nil {
		return identity.User{}, trouble
	}
	return identity.User{}, ErrBadCredentials
}

// ErrBadCredentials is the one answer for an unknown username and a wrong password.
var ErrBadCredentials = apperr.Unauthenticatedf("Unauthorized (invalid credentials) (bad "+
	"username or password)").WithSub(401, 22)

// TestDirectory checks an LDAP connection: the service account's bind and search, and,
// when a username is given, that person's sign-in, reporting the mapping without
// admitting anyone.
func (s *Service) TestDirectory(ctx context.Context, id, username, password string) (Report,
	error) {
	p, err := admin(ctx)
	if err != nil {
		return Report{}, err
	}
	c, err := s.find(ctx, p.WorkspaceID, id)
	if err != nil {
		return Report{}, err
	}
	if c.Protocol != LDAP {
		return Report{}, invalid("id", "Only directory connections are tested with a username")
	}
	r := Report{Connection: c.ID, DisplayName: c.DisplayName, Protocol: c.Protocol}
	cfg := s.ldapConfig(c)
	if err := ldapauth.Test(ctx, s.opts.Guard.DialContext, cfg); err != nil {
		r.Error = describeLDAP(err) + ": " + err.Error()
		r.Decision.Action = ActionRefuse
		return r, nil
	}
	if username == "" {
		r.Decision.Action = "the service account signed in and searched the base DN"
		return r, nil
	}
	res, err := ldapauth.Authenticate(ctx, s.opts.Guard.DialContext, cfg, username, password)
	if err != nil {
		r.Error = describeLDAP(err)
		return r, nil
	}
	prof := ldapProfile(c, res)
	return s.report(ctx, c, prof, ldapClaims(res)), nil
}

// ProviderLogout is where to send a browser after signing out of a session that came from
// the connection, or "" when the provider session stays.
func (s *Service) ProviderLogout(ctx context.Context, id string) string {
	c, err := s.byID(ctx, id)
	if err != nil {
		return ""
	}
	return s.endSession(c)
}

// preflight checks, before a test sends the admin's browser away, what the server itself
// will need: a complete configuration and, for OIDC, the provider's signing keys. A test
// of an unreachable provider then ends with a message instead of a browser error page.
func (s *Service) preflight(ctx context.Context, c Connection) error {
	switch c.Protocol {
	case OIDC:
		cfg := s.oidcConfig(c)
		if err := cfg.Validate(); err != nil {
			return s.failed(ctx, c, "", err, describeOIDC(err)+": "+err.Error())
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, cfg.JWKSURI, nil)
		if err != nil {
			return s.failed(ctx, c, "", err, describeOIDC(err))
		}
		resp, err := s.opts.Guard.Client().Do(req)
		if err != nil {
			return s.failed(ctx, c, "", err, "the JWKS URI could not be reached: "+err.Error())
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			err := fmt.Errorf("JWKS URI answered HTTP %d", resp.StatusCode)
			return s.failed(ctx, c, "", err, "the "+err.Error())
		}
	case SAML:
		if err := s.samlConfig(c).Validate(); err != nil {
			return s.failed(ctx, c, "", err, describeSAML(err)+": "+err.Error())
		}
	}
	return nil
}
