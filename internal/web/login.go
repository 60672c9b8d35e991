package web

import (
	"encoding/base64"
	"net/http"
	"strings"

	"atrium/internal/apperr"
	"atrium/internal/identity"
	"atrium/internal/secret"
	"atrium/internal/sso"
	"atrium/internal/webauth"
)

// loginCSRFCookie carries the sign-in form's double-submit secret. There is no session yet
// to bind a token to, so the form carries a keyed hash of this cookie: a page elsewhere can
// neither read the cookie nor compute the hash, and an injected cookie fails the hash.
const loginCSRFCookie = "atrium_csrf"

// badSignIn is the one message for an unknown e-mail and a wrong password alike.
const badSignIn = "Incorrect e-mail or password."

// loginView is the sign-in page.
type loginView struct {
	chrome
	Token  string
	Email  string
	Next   string
	Errors fieldErrors
	// Providers are the identity provider buttons; Directory says the form also takes
	// directory (LDAP) usernames.
	Providers []sso.Button
	Directory bool
}

func (w *Web) loginPage(rw http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if _, _, ok := w.signedIn(r); ok {
		http.Redirect(rw, r, orDefault(next, pathProfile), http.StatusSeeOther)
		return
	}
	w.showLogin(rw, r, http.StatusOK, "", next, nil)
}

// showLogin renders the sign-in form with a double-submit token, reusing the browser's
// cookie so that two open sign-in tabs both work.
func (w *Web) showLogin(rw http.ResponseWriter, r *http.Request, status int, email, next string,
	errs fieldErrors) {
	value := ""
	if ck, err := r.Cookie(loginCSRFCookie); err == nil && len(ck.Value) == 43 {
		value = ck.Value
	} else {
		value = base64.RawURLEncoding.EncodeToString(secret.Random(32))
		http.SetCookie(rw, w.loginCookie(value, 0))
	}
	view := loginView{chrome: w.chrome(r, nil, "Sign in", ""),
		Token: w.svc.Keys.Hash("login-csrf", value), Email: email, Next: next, Errors: errs}
	view.Providers, view.Directory = w.signInOptions(r)
	w.render(rw, r, status, tmplLogin, view)
}

// signInOptions lists the default workspace's identity provider buttons and whether a
// directory takes usernames on the form.
func (w *Web) signInOptions(r *http.Request) ([]sso.Button, bool) {
	if w.svc.SSO == nil {
		return nil, false
	}
	ws, err := w.svc.Identity.DefaultWorkspace(r.Context())
	if err != nil {
		w.log.Error("sign-in options", "error", err)
		return nil, false
	}
	buttons, err := w.svc.SSO.Buttons(r.Context(), ws.ID)
	if err != nil {
		w.log.Error("sign-in options", "error", err)
	}
	return buttons, w.svc.SSO.HasDirectory(r.Context(), ws.ID)
}

func (w *Web) loginCookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: loginCSRFCookie, Value: value, Path: pathLogin, MaxAge: maxAge,
		HttpOnly: true, Secure: w.opts.SecureCookies, SameSite: http.SameSiteStrictMode}
}

// loginTokenOK checks the double-submit pair.
func (w *Web) loginTokenOK(r *http.Request) bool {
	ck, err := r.Cookie(loginCSRFCookie)
	if err != nil || ck.Value == "" {
		return false
	}
	return secret.Equal(r.PostForm.Get("csrf"), w.svc.Keys.Hash("login-csrf", ck.Value))
}

func (w *Web) login(rw http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(rw, r.Body, maxForm)
	if !w.sameOrigin(r) || r.ParseForm() != nil || !w.loginTokenOK(r) {
		w.forbidden(rw, r, nil)
		return
	}
	email := strings.TrimSpace(r.PostForm.Get("email"))
	password := r.PostForm.Get("password")
	next := safeNext(r.PostForm.Get("next"))
	errs := fieldErrors{}
	if email == "" {
		errs["email"] = "Enter your e-mail address."
		if _, dir := w.signInOptions(r); dir {
			errs["email"] = "Enter your e-mail address or username."
		}
	}
	if password == "" {
		errs["password"] = "Enter your password."
	}
	if len(errs) > 0 {
		w.showLogin(rw, r, http.StatusBadRequest, email, next, errs)
		return
	}
	status, msg := w.signIn(rw, r, email, password)
	if status == secondStepDue {
		http.Redirect(rw, r, pathSecondStep, http.StatusSeeOther)
		return
	}
	if status != 0 {
		w.showLogin(rw, r, status, email, next, fieldErrors{"": msg})
		return
	}
	http.SetCookie(rw, w.loginCookie("", -1))
	http.Redirect(rw, r, orDefault(next, pathProfile), http.StatusSeeOther)
}

// signIn checks the password, issues a token and sets the session cookie. On failure it
// returns the status and message to show; a wrong e-mail and a wrong password read alike.
func (w *Web) signIn(rw http.ResponseWriter, r *http.Request, email, password string) (
	int, string) {
	ctx := r.Context()
	u, err := w.authenticate(r, email, password)
	if err != nil {
		return w.signInFailure(r, err)
	}
	if u.TwoFactorEnabled() {
		return w.beginSecondStep(rw, r, u)
	}
	p, err := w.svc.Identity.Principal(ctx, u.WorkspaceID, u.ID)
	if err != nil {
		return w.signInFailure(r, err)
	}
	tok, err := w.svc.Credentials.Login(p, nil)
	if err != nil {
		return w.signInFailure(r, err)
	}
	w.setSession(rw, tok)
	method := "password"
	if !u.HasPassword() {
		method = "directory"
	}
	w.recordSession(r, tok, method)
	return 0, ""
}

// authenticate checks a password. An e-mail of one of Atrium's own accounts with a password
// is checked against that password only; anything else, plain usernames included, goes to
// the active directory connections.
func (w *Web) authenticate(r *http.Request, login, password string) (identity.User, error) {
	ctx, addr := r.Context(), webauth.ClientAddr(r)
	ws, err := w.svc.Identity.DefaultWorkspace(ctx)
	if err != nil {
		return identity.User{}, err
	}
	if w.svc.SSO == nil || !w.svc.SSO.HasDirectory(ctx, ws.ID) {
		return w.svc.Identity.Authenticate(ctx, login, password, addr)
	}
	if strings.Contains(login, "@") {
		u, found, err := w.svc.Identity.WorkspaceUserByEmail(ctx, ws.ID, login)
		if err != nil {
			return identity.User{}, err
		}
		if found && u.HasPassword() {
			return w.svc.Identity.Authenticate(ctx, login, password, addr)
		}
	}
	r = anonymous(r)
	return w.svc.SSO.SignInDirectory(r.Context(), ws.ID, login, password, addr)
}

// signInFailure maps an authentication error. Throttling carries its own message (it has
// no ClearML code); every other refusal gets the one generic message.
func (w *Web) signInFailure(r *http.Request, err error) (int, string) {
	e := apperr.As(err)
	switch {
	case e != nil && e.Kind == apperr.Unauthenticated && e.Code == 0:
		return http.StatusTooManyRequests, e.Msg
	case e != nil && e.Kind == apperr.Unauthenticated && strings.HasPrefix(e.Msg, "Sign-in with"):
		return http.StatusBadGateway, e.Msg // a directory could not be asked
	case e != nil && e.Kind == apperr.Unauthenticated:
		return http.StatusBadRequest, badSignIn
	case e != nil && e.Kind == apperr.Forbidden:
		return http.StatusForbidden, e.Msg
	}
	w.log.Error("sign in", "path", r.URL.Path, "error", err)
	return http.StatusInternalServerError, genericFailure
}

// logoutView is the sign-out confirmation shown to a GET /logout.
type logoutView struct {
	chrome
}

func (w *Web) logoutPage(rw http.ResponseWriter, r *http.Request, s *session) {
	w.render(rw, r, http.StatusOK, tmplLogout, logoutView{chrome: w.chrome(r, s, "Sign out", "")})
}

// logout revokes the session on every replica, then clears the cookie.
func (w *Web) logout(rw http.ResponseWriter, r *http.Request, s *session) {
	if err := w.svc.Credentials.Logout(r.Context(), s.claims); err != nil {
		w.log.Error("sign out", "error", err)
		w.fail(rw, r, s, http.StatusInternalServerError, "Sign-out failed", genericFailure,
			"/logout")
		return
	}
	w.clearSession(rw)
	if u := w.providerLogout(rw, r); u != "" {
		http.Redirect(rw, r, u, http.StatusSeeOther)
		return
	}
	redirectNotice(rw, r, pathLogin, "signed-out")
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
