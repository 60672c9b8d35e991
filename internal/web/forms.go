package web

import (
	"net/http"

	"atrium/internal/apperr"
)

// fieldErrors holds a form's messages by input name; the key "" is for the form as a whole.
type fieldErrors map[string]string

// For returns the message for one input, or "".
func (e fieldErrors) For(field string) string { return e[field] }

// Form returns the message that belongs to no single input.
func (e fieldErrors) Form() string { return e[""] }

// genericFailure is shown for server-side failures, whose details go to the log only.
const genericFailure = "Something went wrong on the server and nothing was saved. " +
	"Try again in a moment."

// formFailure turns a service error into the message shown on the form and the status of
// the re-rendered page. fields renames service field names to input names; a field not in
// it is shown for the whole form. Internal errors are logged and shown generically.
func (w *Web) formFailure(r *http.Request, err error, fields map[string]string) (
	fieldErrors, int) {
	errs := fieldErrors{}
	e := apperr.As(err)
	if e == nil || e.Kind == apperr.Internal {
		w.log.Error("settings form", "path", r.URL.Path, "error", err)
		errs[""] = genericFailure
		return errs, http.StatusInternalServerError
	}
	field, ok := fields[e.Field]
	if !ok {
		field = ""
	}
	errs[field] = e.Msg
	return errs, statusOf(e.Kind)
}

// statusOf is the status of a page re-rendered after a refused change.
func statusOf(k apperr.Kind) int {
	switch k {
	case apperr.Forbidden:
		return http.StatusForbidden
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Conflict:
		return http.StatusConflict
	case apperr.TooLarge:
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

// redirectNotice answers a successful POST with a redirect to a page and a fixed notice.
func redirectNotice(rw http.ResponseWriter, r *http.Request, path, notice string) {
	http.Redirect(rw, r, path+"?notice="+notice, http.StatusSeeOther)
}

// fieldError is a refusal of one input, in the services' error vocabulary.
func fieldError(field, msg string) error { return apperr.Invalidf("%s", msg).OnField(field) }
