package web

import (
	"net/http"

	"atrium/internal/apperr"
	"atrium/internal/credential"
)

// revokeView is the no-script confirmation before revoking one pair.
type revokeView struct {
	chrome
	AccessKey string
	Label     string
}

// rotateView is the no-script page that picks a grace period and rotates one pair.
type rotateView struct {
	chrome
	AccessKey string
	Label     string
	Graces    []choice
	Errors    fieldErrors
}

// pathCredentials finds the caller's pair named in the path, or answers with the error
// page and returns false.
func (w *Web) pathCredentials(rw http.ResponseWriter, r *http.Request, s *session) (
	credential.View, bool) {
	c, ok, err := w.findCredentials(r)
	if err != nil {
		w.serverError(rw, r, s, err)
		return credential.View{}, false
	}
	if !ok {
		w.goneCredentials(rw, r, s)
	}
	return c, ok
}

func (w *Web) revokePage(rw http.ResponseWriter, r *http.Request, s *session) {
	c, ok := w.pathCredentials(rw, r, s)
	if !ok {
		return
	}
	w.render(rw, r, http.StatusOK, tmplRevoke, revokeView{
		chrome:    w.chrome(r, s, "Revoke credentials", pathWorkspace),
		AccessKey: c.AccessKey, Label: c.Label})
}

func (w *Web) rotatePage(rw http.ResponseWriter, r *http.Request, s *session) {
	w.showRotate(rw, r, s, http.StatusOK, "1d", fieldErrors{})
}

// showRotate renders the rotate page with a grace period selected and any errors.
func (w *Web) showRotate(rw http.ResponseWriter, r *http.Request, s *session, status int,
	grace string, errs fieldErrors) {
	c, ok := w.pathCredentials(rw, r, s)
	if !ok {
		return
	}
	w.render(rw, r, status, tmplRotate, rotateView{
		chrome:    w.chrome(r, s, "Rotate credentials", pathWorkspace),
		AccessKey: c.AccessKey, Label: c.Label, Graces: graceChoices(grace), Errors: errs})
}

func (w *Web) revoke(rw http.ResponseWriter, r *http.Request, s *session) {
	err := w.svc.Credentials.Revoke(r.Context(), r.PathValue("key"))
	switch {
	case err == nil:
		redirectNotice(rw, r, pathWorkspace, "revoked")
	case apperr.Is(err, apperr.Invalid):
		w.goneCredentials(rw, r, s)
	default:
		w.serverError(rw, r, s, err)
	}
}

// rotate makes a successor pair and shows its secret once, with when the old pair stops.
func (w *Web) rotate(rw http.ResponseWriter, r *http.Request, s *session) {
	value := r.PostForm.Get("grace")
	grace, ok := graceOf(value)
	if !ok {
		w.showRotate(rw, r, s, http.StatusBadRequest, "1d",
			fieldErrors{"grace": "Choose a grace period from the list."})
		return
	}
	created, err := w.svc.Credentials.Rotate(r.Context(), r.PathValue("key"), grace)
	if err != nil {
		if e := apperr.As(err); e != nil && e.Field == "access_key" {
			w.goneCredentials(rw, r, s)
			return
		}
		errs, status := w.formFailure(r, err, map[string]string{"grace_period_sec": "grace"})
		w.showRotate(rw, r, s, status, value, errs)
		return
	}
	old, _, err := w.findCredentials(r)
	if err != nil {
		w.log.Warn("read rotated credentials", "error", err)
	}
	w.showSecret(rw, r, s, created, &old)
}
