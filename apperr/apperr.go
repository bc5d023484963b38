// Package apperr defines the one error type that services return to the
// HTTP layers. A Kind says what went wrong in transport-neutral terms; the
// Code and Message are the Graph error code and developer text a client sees.
// Every HTTP edge (graph, signin, the token endpoint) classifies the errors
// it answers with internal/httperr, whose one table turns a Kind into an
// HTTP status; the statuses noted below are that table's.
package apperr

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies an error for the HTTP layers (see internal/httperr).
type Kind int

// The kinds of error a service can return.
const (
	Invalid              Kind = iota + 1 // the request is wrong (400)
	Unauthenticated                      // no or bad credentials (401)
	Forbidden                            // the caller may not do this (403)
	NotFound                             // the thing named does not exist (404)
	TooLarge                             // the request body is too large (413)
	UnsupportedMediaType                 // the request body is not JSON (415)
	Throttled                            // try again later (429)
	Unavailable                          // a dependency is down (503)
)

// Error is a client-facing error. Its Message never contains a secret.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	// RetryAfter, when set, tells the client how long to wait (Throttled, Unavailable).
	RetryAfter time.Duration
	// Challenge, when set, is a WWW-Authenticate header value (claims challenges).
	Challenge string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// New returns an Error of the given kind, code and message.
func New(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// BadRequest returns an Invalid error with Graph's generic BadRequest code.
func BadRequest(format string, args ...any) *Error {
	return New(Invalid, "BadRequest", format, args...)
}

// AccessDenied returns a Forbidden error with Graph's accessDenied code.
func AccessDenied(format string, args ...any) *Error {
	return New(Forbidden, "accessDenied", format, args...)
}

// As reports whether err is (or wraps) an *Error and returns it.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
