package web

import (
	"encoding/base64"
	"net/http"
	"strings"

	"atrium/internal/apperr"
	"atrium/internal/credential"
	"atrium/internal/secret"
)

// pathInvite is where invitation links point: /invite/{token}.
const pathInvite = "/invite/"

// inviteCSRFCookie carries the acceptance form's double-submit secret, as loginCSRFCookie
// does for sign-in: there is no session yet to bind a token to.
const inviteCSRFCookie = "atrium_invite_csrf"

// acceptView is the public page an invitation link opens: choose a display name and a
// password, then be signed in.
type acceptView struct {
	chrome
	Valid     bool
	Problem   string // why the link cannot be used
	Email     string
	Workspace string
	Expires   string
	Exact     string
	Action    string
	Token     string
	Name      string
	Errors    fieldErrors
}

// withoutToken returns a copy of r whose URL no longer holds the invitation token, so no
// log line and no page built from the request carries it. The handler reads the token
// first.
func withoutToken(r *http.Request) *http.Request {
	out := r.Clone(r.Context())
	out.URL.Path, out.URL.RawPath, out.RequestURI = pathInvite+"{token}", "", ""
	return out
}

func (w *Web) acceptPage(rw http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	w.showAccept(rw, withoutToken(r), token, http.StatusOK, "", fieldErrors{})
}

// showAccept renders the acceptance form, or why the link cannot be used.
func (w *Web) showAccept(rw http.ResponseWriter, r *http.Request, token string, status int,
	name string, errs fieldErrors) {
	v := acceptView{chrome: w.chrome(r, nil, "Accept invitation", ""), Name: name,
		Errors: errs}
	inv, err := w.svc.Identity.LookupInvitation(r.Context(), token)
	if err != nil {
		e := apperr.As(err)
		if e == nil || e.Kind == apperr.Internal {
			w.log.Error("look up invitation", "error", err)
			w.fail(rw, r, nil, http.StatusInternalServerError, "Something went wrong",
				genericFailure, "")
			return
		}
		v.Title, v.Problem = "Invitation not valid", e.Msg
		w.render(rw, r, http.StatusNotFound, tmplAccept, v)
		return
	}
	v.Valid, v.Title = true, "Join "+inv.WorkspaceName
	v.Email, v.Workspace = inv.Email, inv.WorkspaceName
	v.Expires, v.Exact = until(w.now(), inv.ExpiresAt), exact(inv.ExpiresAt)
	v.Action = pathInvite + token
	v.Token = w.svc.Keys.Hash("invite-csrf", w.inviteCookie(rw, r))
	w.render(rw, r, status, tmplAccept, v)
}

// inviteCookie returns the browser's double-submit secret for the acceptance form, setting
// a new one when it has none.
func (w *Web) inviteCookie(rw http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(inviteCSRFCookie); err == nil && len(ck.Value) == 43 {
		return ck.Value
	}
	value := base64.RawURLEncoding.EncodeToString(secret.Random(32))
	http.SetCookie(rw, w.inviteCSRF(value, 0))
	return value
}

func (w *Web) inviteCSRF(value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: inviteCSRFCookie, Value: value, Path: pathInvite, MaxAge: maxAge,
		HttpOnly: true, Secure: w.opts.SecureCookies, SameSite: http.SameSiteStrictMode}
}

func (w *Web) inviteTokenOK(r *http.Request) bool {
	ck, err := r.Cookie(inviteCSRFCookie)
	if err != nil || ck.Value == "" {
		return false
	}
	return secret.Equal(r.PostForm.Get("csrf"), w.svc.Keys.Hash("invite-csrf", ck.Value))
}

// accept turns the invitation into an account, then signs the person in the way the
// sign-in form does and sends them to their profile.
func (w *Web) accept(rw http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	r = withoutToken(r)
	r.Body = http.MaxBytesReader(rw, r.Body, maxForm)
	if !w.sameOrigin(r) || r.ParseForm() != nil || !w.inviteTokenOK(r) {
		w.fail(rw, r, nil, http.StatusForbidden, "This form has expired",
			"The form was sent without a valid security token, so nothing was changed. "+
				"Open the invitation link again and retry.", pathInvite+token)
		return
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	password := r.PostForm.Get("password")
	errs := fieldErrors{}
	if name == "" {
		errs["name"] = "Enter your display name."
	}
	if password == "" {
		errs["password"] = "Choose a password."
	} else if password != r.PostForm.Get("confirm_password") {
		errs["confirm_password"] = "The two passwords do not match."
	}
	if len(errs) > 0 {
		w.showAccept(rw, r, token, http.StatusBadRequest, name, errs)
		return
	}
	u, err := w.svc.Identity.AcceptInvitation(r.Context(), token, name, password)
	if err != nil {
		errs, status := w.formFailure(r, err, map[string]string{"name": "name",
			"password": "password"})
		w.showAccept(rw, r, token, status, name, errs)
		return
	}
	if !w.startSession(rw, r, u.WorkspaceID, u.ID, "invitation") {
		return
	}
	w.svc.Identity.RecordSignIn(u.WorkspaceID, u.ID, "invitation")
	http.SetCookie(rw, w.inviteCSRF("", -1))
	redirectNotice(rw, r, pathProfile, "welcome")
}

// startSession issues a session token for a user who just proved who they are and sets
// the cookie. On failure it answers with a page that sends them to sign in.
func (w *Web) startSession(rw http.ResponseWriter, r *http.Request, wsID, userID,
	method string) bool {
	p, err := w.svc.Identity.Principal(r.Context(), wsID, userID)
	if err == nil {
		var tok credential.Token
		if tok, err = w.svc.Credentials.Login(p, nil); err == nil {
			w.setSession(rw, tok)
			w.recordSession(r, tok, method)
			return true
		}
	}
	w.log.Error("sign in after accepting an invitation", "error", err)
	w.fail(rw, r, nil, http.StatusInternalServerError, "Not signed in",
		"Your account is ready, but signing you in failed. Sign in with your e-mail address "+
			"and the password you chose.", pathLogin)
	return false
}
