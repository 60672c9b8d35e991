// Package apperr is Atrium's one error vocabulary. Services return *Error values built here;
// the API maps them to the ClearML envelope with one table and the web UI shows Msg next to
// the field it names. Messages are safe to show to the caller: they never carry secrets.
package apperr

import (
	"errors"
	"fmt"
)

// Kind is the closed set of error classes every layer agrees on.
type Kind int

// The kinds. Internal is the zero value so a forgotten kind fails closed.
const (
	Internal Kind = iota
	Invalid
	NotFound
	Conflict
	Unauthenticated
	Forbidden
	TooLarge
)

func (k Kind) String() string {
	switch k {
	case Invalid:
		return "invalid"
	case NotFound:
		return "not found"
	case Conflict:
		return "conflict"
	case Unauthenticated:
		return "unauthenticated"
	case Forbidden:
		return "forbidden"
	case TooLarge:
		return "too large"
	}
	return "internal"
}

// Error is an error with a kind, a message safe to show, and optionally the ClearML
// result subcode and HTTP status that the API should answer with. Field names the input
// field the error is about, for the UI.
type Error struct {
	Kind    Kind
	Msg     string
	Code    int // ClearML result_code; 0 means "derive from Kind"
	Subcode int // ClearML result_subcode
	Field   string
	Err     error // wrapped cause, never shown
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error of the given kind with a formatted message.
func New(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// WithSub returns a copy of e carrying an explicit ClearML code and subcode.
func (e *Error) WithSub(code, sub int) *Error {
	c := *e
	c.Code, c.Subcode = code, sub
	return &c
}

// OnField returns a copy of e that names the input field it is about.
func (e *Error) OnField(field string) *Error {
	c := *e
	c.Field = field
	return &c
}

// Convenience constructors for the common kinds.

// Invalidf reports bad input.
func Invalidf(format string, args ...any) *Error { return New(Invalid, format, args...) }

// NotFoundf reports a missing object.
func NotFoundf(format string, args ...any) *Error { return New(NotFound, format, args...) }

// Conflictf reports a clash with existing state.
func Conflictf(format string, args ...any) *Error { return New(Conflict, format, args...) }

// Forbiddenf reports a caller without the right to act.
func Forbiddenf(format string, args ...any) *Error { return New(Forbidden, format, args...) }

// Unauthenticatedf reports missing or bad credentials.
func Unauthenticatedf(format string, args ...any) *Error {
	return New(Unauthenticated, format, args...)
}

// As returns the *Error in err's chain, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// KindOf returns the kind of err, Internal when it carries none.
func KindOf(err error) Kind {
	if e := As(err); e != nil {
		return e.Kind
	}
	return Internal
}

// Is reports whether err carries the given kind.
func Is(err error, kind Kind) bool {
	return err != nil && KindOf(err) == kind
}
