package web

import (
	"net/http"
	"strings"
	"time"

	"atrium/internal/apperr"
	"atrium/internal/audit"
	"atrium/internal/identity"
	"atrium/internal/sso"
	"atrium/internal/webauth"
)

// ssoFlowCookie carries a browser sign-in in progress (sealed by the sso service). Lax, so
// that it comes back on the provider's top-level redirect to the callback.
const ssoFlowCookie = "atrium_sso"

// CallbackPrefix starts the paths identity providers send browsers back to:
// /callback_<connection id>, as the reference product names them.
const CallbackPrefix = "/callback_"

// ssoRoutes are the sign-in flows through identity providers.
func (w *Web) ssoRoutes() []route {
	return []route{
		{"GET /sso/{id}", http.HandlerFunc(w.ssoStart)},
		{"POST /sso/{id}/continue", http.HandlerFunc(w.samlContinue)},
		{"GET /saml/metadata/{id}", http.HandlerFunc(w.samlMetadata)},
	}
}

// Callback handles /callback_<id>: the OIDC redirect (GET) and the SAML POST binding. The
// server routes that prefix here, since the id is not a path segment of its own.
func (w *Web) Callback() http.Handler {
	return w.secure(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		id := strings.TrimPrefix(r.URL.Path, CallbackPrefix)
		if !validID(id) {
			http.NotFound(rw, r)
			return
		}
		switch r.Method {
		case http.MethodGet:
			w.oidcCallback(rw, r, id)
		case http.MethodPost:
			w.samlPost(rw, r, id)
		default:
			rw.Header().Set("Allow", "GET, POST")
			http.Error(rw, "method not allowed", http.StatusMethodNotAllowed)
		}
	}))
}

// validID accepts Atrium's 32-hex ids only.
func validID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for _, c := range id {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// anonymous puts the caller's address into the context for the audit log.
func anonymous(r *http.Request) *http.Request {
	return r.WithContext(audit.WithActor(r.Context(),
		audit.Actor{Address: webauth.ClientAddr(r)}))
}

// ssoStart sends the browser to the provider.
func (w *Web) ssoStart(rw http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validID(id) {
		http.NotFound(rw, r)
		return
	}
	r = anonymous(r)
	start, err := w.svc.SSO.Begin(r.Context(), id, false, safeNext(r.URL.Query().Get("next")))
	if err != nil {
		w.ssoFailure(rw, r, err)
		return
	}
	w.startSSO(rw, r, start)
}

// startSSO sets the flow cookie and redirects to the provider.
func (w *Web) startSSO(rw http.ResponseWriter, r *http.Request, start sso.Start) {
	http.SetCookie(rw, &http.Cookie{Name: ssoFlowCookie, Value: start.Cookie, Path: "/",
		MaxAge: 600, HttpOnly: true, Secure: w.opts.SecureCookies,
		SameSite: http.SameSiteLaxMode})
	http.Redirect(rw, r, start.RedirectURL, http.StatusFound)
}

func (w *Web) flowCookie(r *http.Request) string {
	if ck, err := r.Cookie(ssoFlowCookie); err == nil {
		return ck.Value
	}
	return ""
}

func (w *Web) clearFlow(rw http.ResponseWriter) {
	http.SetCookie(rw, &http.Cookie{Name: ssoFlowCookie, Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: w.opts.SecureCookies, SameSite: http.SameSiteLaxMode})
}

func (w *Web) oidcCallback(rw http.ResponseWriter, r *http.Request, id string) {
	r = anonymous(r)
	out, err := w.svc.SSO.FinishOIDC(r.Context(), id, w.flowCookie(r), r.URL.Query())
	w.clearFlow(rw)
	w.ssoDone(rw, r, out, err)
}

// samlPost receives the provider's cross-site POST. The flow cookie is not sent on it
// (SameSite=Lax), so the response is handed to a same-origin form that posts it back to
// /sso/<id>/continue with the cookie; the script submits it at once, and without scripts
// one button press does.
func (w *Web) samlPost(rw http.ResponseWriter, r *http.Request, id string) {
	r.Body = http.MaxBytesReader(rw, r.Body, maxForm)
	if err := r.ParseForm(); err != nil || r.PostForm.Get("SAMLResponse") == "" {
		w.ssoFailure(rw, r, apperr.Invalidf("Sign-in failed: the identity provider's "+
			"answer is missing."))
		return
	}
	w.render(rw, r, http.StatusOK, tmplSSOContinue, ssoContinueView{
		chrome: w.chrome(r, nil, "Signing in", ""), Action: "/sso/" + id + "/continue",
		Response: r.PostForm.Get("SAMLResponse"), RelayState: r.PostForm.Get("RelayState"),
		Provider: "the identity provider"})
}

type ssoContinueView struct {
	chrome
	Action, Response, RelayState, Provider string
}

func (w *Web) samlContinue(rw http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	r.Body = http.MaxBytesReader(rw, r.Body, maxForm)
	if !validID(id) || !w.sameOrigin(r) || r.ParseForm() != nil {
		w.forbidden(rw, r, nil)
		return
	}
	r = anonymous(r)
	out, err := w.svc.SSO.FinishSAML(r.Context(), id, w.flowCookie(r),
		r.PostForm.Get("SAMLResponse"), r.PostForm.Get("RelayState"))
	w.clearFlow(rw)
	w.ssoDone(rw, r, out, err)
}

// ssoDone ends a browser sign-in: a test shows its report to the admin who started it;
// a sign-in gets a session of bounded age.
func (w *Web) ssoDone(rw http.ResponseWriter, r *http.Request, out sso.Outcome, err error) {
	if err != nil {
		w.ssoFailure(rw, r, err)
		return
	}
	if out.Report != nil {
		s, r, ok := w.signedIn(r)
		if !ok || !s.principal.IsAdmin() {
			w.ssoFailure(rw, r, apperr.Forbiddenf("Sign in as an administrator to see the "+
				"result of a test."))
			return
		}
		w.renderIdPReport(rw, r, s, *out.Report)
		return
	}
	if err := w.ssoSession(rw, r, out.User, out.Connection); err != nil {
		w.ssoFailure(rw, r, err)
		return
	}
	http.Redirect(rw, r, orDefault(out.Next, pathProfile), http.StatusSeeOther)
}

// ssoSession issues a session for someone an identity provider vouched for. Its age is
// capped, so a person removed at the provider is out when it ends.
func (w *Web) ssoSession(rw http.ResponseWriter, r *http.Request, u identity.User,
	c sso.Connection) error {
	p, err := w.svc.Identity.Principal(r.Context(), u.WorkspaceID, u.ID)
	if err != nil {
		return err
	}
	age := w.opts.SSOSessionMaxAge
	if age <= 0 {
		age = 12 * time.Hour
	}
	tok, err := w.svc.Credentials.LoginUntil(p, age)
	if err != nil {
		return err
	}
	w.setSession(rw, tok)
	w.recordSession(r, tok, c.DisplayName+" ("+strings.ToUpper(string(c.Protocol))+")")
	http.SetCookie(rw, webauth.IdPCookie(c.ID, age, w.opts.SecureCookies))
	return nil
}

// ssoFailure shows the sign-in page with what went wrong. Messages from the sso service
// are written for the person signing in; anything else is logged and stays generic.
func (w *Web) ssoFailure(rw http.ResponseWriter, r *http.Request, err error) {
	status, msg := http.StatusInternalServerError, genericFailure
	if e := apperr.As(err); e != nil {
		switch e.Kind {
		case apperr.Unauthenticated:
			status, msg = http.StatusUnauthorized, e.Msg
		case apperr.Forbidden:
			status, msg = http.StatusForbidden, e.Msg
		case apperr.NotFound:
			status, msg = http.StatusNotFound, "This sign-in option does not exist or is "+
				"switched off."
		case apperr.Invalid:
			status, msg = http.StatusBadRequest, e.Msg
		}
	}
	if status == http.StatusInternalServerError {
		w.log.Error("identity provider sign-in", "path", r.URL.Path, "error", err)
	}
	w.showLogin(rw, r, status, "", "", fieldErrors{"": msg})
}

func (w *Web) samlMetadata(rw http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validID(id) {
		http.NotFound(rw, r)
		return
	}
	doc, err := w.svc.SSO.SPMetadata(r.Context(), id)
	if err != nil {
		http.NotFound(rw, r)
		return
	}
	rw.Header().Set("Content-Type", "application/samlmetadata+xml")
	rw.Header().Set("Content-Disposition", `attachment; filename="atrium-sp-metadata.xml"`)
	rw.Write(doc)
}

// providerLogout is where to send the browser after sign-out when the session came from
// a provider that should end its session too, or "".
func (w *Web) providerLogout(rw http.ResponseWriter, r *http.Request) string {
	ck, err := r.Cookie(webauth.IdPCookieName)
	if err != nil || ck.Value == "" {
		return ""
	}
	http.SetCookie(rw, webauth.ClearIdPCookie(w.opts.SecureCookies))
	if w.svc.SSO == nil {
		return ""
	}
	return w.svc.SSO.ProviderLogout(r.Context(), ck.Value)
}
