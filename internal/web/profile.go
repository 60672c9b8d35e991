package web

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"atrium/internal/identity"
)

// profileView is the Profile page: display name edited in place, e-mail, user id and the
// password form.
type profileView struct {
	chrome
	UserID         string
	Email          string
	Name           string
	EditName       bool   // the name form is open (no-JS edit link, or after an error)
	NameValue      string // what the name input holds
	NameErrors     fieldErrors
	HasPassword    bool
	PasswordErrors fieldErrors
	Sessions       []sessionRow
	TwoFactor      twoFactorSection
}

func (w *Web) profilePage(rw http.ResponseWriter, r *http.Request, s *session) {
	v, err := w.profile(r, s)
	if err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	v.EditName = r.URL.Query().Get("edit") == "name"
	w.render(rw, r, http.StatusOK, tmplProfile, v)
}

// profile loads the current user into a fresh view.
func (w *Web) profile(r *http.Request, s *session) (profileView, error) {
	u, err := w.svc.Identity.User(r.Context(), s.principal.UserID)
	if err != nil {
		return profileView{}, err
	}
	return profileView{chrome: w.chrome(r, s, "Profile", pathProfile), UserID: u.ID,
		Email: u.Email, Name: u.Name, NameValue: u.Name, NameErrors: fieldErrors{},
		HasPassword: u.HasPassword(), PasswordErrors: fieldErrors{},
		Sessions: w.sessionRows(r, s), TwoFactor: w.twoFactorSection(r, s)}, nil
}

func (w *Web) saveName(rw http.ResponseWriter, r *http.Request, s *session) {
	name := strings.TrimSpace(r.PostForm.Get("name"))
	err := checkName(name)
	if err == nil {
		_, err = w.svc.Identity.UpdateProfile(r.Context(), s.principal.UserID,
			identity.Profile{Name: &name})
	}
	if err != nil {
		errs, status := w.formFailure(r, err, map[string]string{"name": "name"})
		w.profileError(rw, r, s, status, func(v *profileView) {
			v.EditName, v.NameValue, v.NameErrors = true, name, errs
		})
		return
	}
	redirectNotice(rw, r, pathProfile, "name")
}

// checkName repeats the service's rule so the message is the same whichever refuses first.
func checkName(name string) error {
	if utf8.RuneCountInString(name) < 2 {
		return fieldError("name", "Display name must be at least 2 characters")
	}
	return nil
}

func (w *Web) changePassword(rw http.ResponseWriter, r *http.Request, s *session) {
	current := r.PostForm.Get("current_password")
	next := r.PostForm.Get("new_password")
	errs := fieldErrors{}
	if current == "" {
		errs["current_password"] = "Enter your current password."
	}
	if next == "" {
		errs["new_password"] = "Enter a new password."
	} else if next != r.PostForm.Get("confirm_password") {
		errs["confirm_password"] = "The two new passwords do not match."
	}
	status := http.StatusBadRequest
	if len(errs) == 0 {
		err := w.svc.Identity.ChangePassword(r.Context(), current, next)
		if err == nil {
			// The change ends every other session and this one; start a fresh one here.
			if w.startSession(rw, r, s.principal.WorkspaceID, s.principal.UserID,
				"password change") {
				redirectNotice(rw, r, pathProfile, "password")
			}
			return
		}
		errs, status = w.formFailure(r, err, map[string]string{
			"current_password": "current_password", "password": "new_password"})
	}
	w.profileError(rw, r, s, status, func(v *profileView) { v.PasswordErrors = errs })
}

// profileError re-renders the Profile page with a refused form's state.
func (w *Web) profileError(rw http.ResponseWriter, r *http.Request, s *session, status int,
	apply func(*profileView)) {
	v, err := w.profile(r, s)
	if err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	apply(&v)
	w.render(rw, r, status, tmplProfile, v)
}

// serverError logs a failure to load a page and shows the generic error page.
func (w *Web) serverError(rw http.ResponseWriter, r *http.Request, s *session, err error) {
	w.log.Error("settings page", "path", r.URL.Path, "error", err)
	w.fail(rw, r, s, http.StatusInternalServerError, "Something went wrong", genericFailure,
		pathProfile)
}

// signOutEverywhere ends every earlier session and token of the user and starts a fresh
// session in this browser.
func (w *Web) signOutEverywhere(rw http.ResponseWriter, r *http.Request, s *session) {
	if err := w.svc.Identity.SignOutEverywhere(r.Context()); err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	if w.startSession(rw, r, s.principal.WorkspaceID, s.principal.UserID, "signed in again") {
		redirectNotice(rw, r, pathProfile, "signed-out-elsewhere")
	}
}
