package web

import (
	"context"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"atrium/internal/audit"
	"atrium/internal/credential"
	"atrium/internal/identity"
	"atrium/internal/secret"
	"atrium/internal/webauth"
)

// sessionCookie is the session cookie ClearML's web app and clients use (api.SessionCookie).
// Its value is the same bearer token the JSON API accepts.
const sessionCookie = "clearml_token_basic"

// maxForm bounds a form body: a full cloud access table with long secrets fits.
const maxForm = 2 << 20

// maxUpload bounds a multipart form body: a vault editor's 1 MiB and an imported file of
// 1 MiB fit, with room for the other fields.
const maxUpload = 3 << 20

// session is a signed-in request: who is calling, the token's claims, and the CSRF token
// the session's forms carry.
type session struct {
	principal identity.Principal
	claims    credential.Claims
	csrf      string
}

// handlerFunc is a UI handler that runs with a session.
type handlerFunc func(rw http.ResponseWriter, r *http.Request, s *session)

// page wraps a GET handler: without a valid session it redirects to sign-in and returns
// here afterwards. Each page view counts as the user's UI activity (buffered in memory,
// written in batches), unless an admin is acting as them.
func (w *Web) page(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		s, r, ok := w.signedIn(r)
		if !ok {
			redirectToLogin(rw, r)
			return
		}
		if p := s.principal; p.ImpersonatorID == "" {
			w.svc.Identity.RecordUIActivity(p.WorkspaceID, p.UserID)
		}
		w.svc.Credentials.SeenWebSession(s.claims.SessionID)
		h(rw, r, s)
	})
}

// action wraps a state-changing POST. It refuses a foreign Origin, redirects without a
// session, and refuses a missing or stale CSRF token with 403 before the handler runs,
// so a forged request changes nothing.
func (w *Web) action(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if !w.sameOrigin(r) {
			w.forbidden(rw, r, nil)
			return
		}
		s, r, ok := w.signedIn(r)
		if !ok {
			redirectToLogin(rw, r)
			return
		}
		if err := parseBody(rw, r); err != nil {
			w.fail(rw, r, s, http.StatusBadRequest, "Bad request",
				"The form could not be read. A form with a file may be at most 3 MiB.",
				r.URL.Path)
			return
		}
		if r.MultipartForm != nil {
			defer r.MultipartForm.RemoveAll()
		}
		if !secret.Equal(r.PostForm.Get("csrf"), s.csrf) {
			w.forbidden(rw, r, s)
			return
		}
		h(rw, r, s)
	})
}

// parseBody reads a bounded form body into r.PostForm: URL-encoded, or multipart for forms
// that carry a file (whose parts stay in memory, within the same bound).
func parseBody(rw http.ResponseWriter, r *http.Request) error {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		r.Body = http.MaxBytesReader(rw, r.Body, maxForm)
		return r.ParseForm()
	}
	r.Body = http.MaxBytesReader(rw, r.Body, maxUpload)
	return r.ParseMultipartForm(maxUpload)
}

// forbidden is the answer to a forged or expired form.
func (w *Web) forbidden(rw http.ResponseWriter, r *http.Request, s *session) {
	back := pathLogin
	if s != nil {
		back = r.URL.Path
		if ref := localReferer(r); ref != "" {
			back = ref
		}
	}
	w.fail(rw, r, s, http.StatusForbidden, "This form has expired",
		"The form was sent without a valid security token, so nothing was changed. "+
			"This happens when a page was open from an earlier sign-in. "+
			"Reload the page and try again.", back)
}

// localReferer returns the path of a same-origin Referer, for a "go back" link.
func localReferer(r *http.Request) string {
	u, err := url.Parse(r.Referer())
	if err != nil || u.Host != r.Host || !strings.HasPrefix(u.Path, "/settings") {
		return ""
	}
	return u.Path
}

// sameOrigin reports whether a state-changing request may come from where it says. A
// browser sends Origin on every POST; a present Origin must be the public URL's, and a
// browser that marks the request as coming from another site is refused too.
func (w *Web) sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return false
	}
	o := r.Header.Get("Origin")
	return o == "" || o == w.origin
}

// signedIn checks the session cookie and returns the session and the request carrying
// the principal and the audit actor in its context.
func (w *Web) signedIn(r *http.Request) (*session, *http.Request, bool) {
	ck, err := r.Cookie(webauth.CookieName)
	if err != nil || ck.Value == "" {
		return nil, r, false
	}
	p, claims, err := w.svc.Credentials.Authenticate(r.Context(), ck.Value)
	if err != nil {
		return nil, r, false
	}
	s := &session{principal: p, claims: claims, csrf: w.csrfToken(claims.SessionID)}
	return s, r.WithContext(w.callContext(r, p)), true
}

// csrfToken is the form token of a session: a keyed hash of its id, so it needs no storage
// and stops working when the session ends.
func (w *Web) csrfToken(sessionID string) string {
	return w.svc.Keys.Hash("csrf", sessionID)
}

// callContext returns the request context with the caller and the audit actor, as the
// services expect.
func (w *Web) callContext(r *http.Request, p identity.Principal) context.Context {
	ctx := identity.WithPrincipal(r.Context(), p)
	actor := p.UserID
	if p.ImpersonatorID != "" {
		actor = p.ImpersonatorID
	}
	return audit.WithActor(ctx, audit.Actor{WorkspaceID: p.WorkspaceID, UserID: actor,
		Name: p.Name, Address: webauth.ClientAddr(r), RequestID: secret.ID()})
}

func redirectToLogin(rw http.ResponseWriter, r *http.Request) {
	target := pathLogin
	if next := r.URL.RequestURI(); r.Method == http.MethodGet && safeNext(next) != "" {
		target += "?next=" + url.QueryEscape(next)
	}
	http.Redirect(rw, r, target, http.StatusSeeOther)
}

// safeNext returns next when it is a local Settings path, else "". Anything else (another
// host, a scheme, "//", a backslash) could turn sign-in into an open redirect.
func safeNext(next string) string {
	if strings.ContainsAny(next, "\\\r\n") || strings.HasPrefix(next, "//") {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return ""
	}
	if u.Path != "/settings" && !strings.HasPrefix(u.Path, "/settings/") {
		return ""
	}
	if strings.Contains(u.Path, "/../") || strings.HasSuffix(u.Path, "/..") {
		return ""
	}
	return next
}

// setSession stores the token in the session cookie.
func (w *Web) setSession(rw http.ResponseWriter, tok credential.Token) {
	var expires time.Time
	if tok.Claims.ExpiresAt != nil {
		expires = tok.Claims.ExpiresAt.Time
	}
	http.SetCookie(rw, webauth.Cookie(tok.Raw, expires, w.opts.SecureCookies))
}

// recordSession describes a new browser session for its owner's list of sessions. A
// failure is logged: the session works without its description.
func (w *Web) recordSession(r *http.Request, tok credential.Token, method string) {
	err := w.svc.Credentials.StartWebSession(r.Context(), tok, method, webauth.ClientAddr(r),
		r.UserAgent())
	if err != nil {
		w.log.Error("record web session", "error", err)
	}
}

func (w *Web) clearSession(rw http.ResponseWriter) {
	http.SetCookie(rw, webauth.ClearCookie(w.opts.SecureCookies))
}
