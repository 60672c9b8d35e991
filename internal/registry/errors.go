package registry

import (
	"regexp"
	"strings"

	"atrium/internal/apperr"
)

// The errors below carry ClearML's result codes and subcodes (clearml-server
// apierrors/errors.conf), which clients match on, and its message form
// "<Default message>[ (<extra>)][: k=v, ...]".

func invalidTaskID(id string) error {
	return apperr.NotFoundf("Invalid task id: id=%s", id).WithSub(400, 101)
}

func invalidProjectID(id string) error {
	return apperr.NotFoundf("Invalid project id: id=%s", id).WithSub(400, 401)
}

func invalidModelID(id string) error {
	return apperr.NotFoundf("Invalid model id: id=%s", id).WithSub(400, 201)
}

func invalidQueueID(id string) error {
	return apperr.NotFoundf("Invalid queue id: queue=%s", id).WithSub(400, 701)
}

func invalidStatusChange(current, next Status) error {
	return apperr.Invalidf("Invalid task status (Invalid status change): current_status=%s, "+
		"new_status=%s", current, next).WithSub(400, 110)
}

func invalidStatus(msg string, current Status) error {
	return apperr.Invalidf("Invalid task status (%s): status=%s", msg, current).WithSub(400, 110)
}

func missingField(names ...string) error {
	return apperr.Invalidf("Missing required fields (%s)", strings.Join(names, ", ")).
		WithSub(400, 11)
}

func validation(format string, args ...any) error {
	return apperr.Invalidf("Validation error ("+format+")", args...).WithSub(400, 12)
}

func duplicateName(what, name string) error {
	return apperr.Conflictf("Value combination already exists (%s with the same name already "+
		"exists): name=%s", what, name).WithSub(400, 801)
}

// notFound reports whether err is the store's plain NotFound (not one of the ClearML
// errors above, which carry their own code).
func notFound(err error) bool {
	e := apperr.As(err)
	return e != nil && e.Kind == apperr.NotFound && e.Code == 0
}

// orNotFound replaces the store's NotFound by the ClearML error made by mk.
func orNotFound(err error, mk func(string) error, id string) error {
	if notFound(err) {
		return mk(id)
	}
	return err
}

// compileName compiles a client's name pattern. ClearML matches names with a
// case-insensitive regular expression; Python escapes such as "\-" are valid here too.
func compileName(pattern string) (func(string) bool, error) {
	if pattern == "" {
		return nil, nil
	}
	re, err := regexp.Compile("(?i)" + pattern)
	if err != nil {
		return nil, apperr.Invalidf("Malformed regular expression: name=%s", pattern).
			WithSub(400, 21)
	}
	return re.MatchString, nil
}
