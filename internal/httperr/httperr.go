// Package httperr decides, at each HTTP edge, what a client sees of an
// error. Services and stores return errors as they are; each edge (graph,
// signin, the token endpoint) classifies the error it answers once, here,
// and keeps only its own body shape. Status is the one table of Kinds to
// HTTP statuses.
package httperr

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/store"
)

// UnavailableRetry is the Retry-After of an unreachable store.
const UnavailableRetry = 5 * time.Second

// statusOf is the one table of error Kinds to HTTP statuses.
var statusOf = map[apperr.Kind]int{
	apperr.Invalid:              http.StatusBadRequest,
	apperr.Unauthenticated:      http.StatusUnauthorized,
	apperr.Forbidden:            http.StatusForbidden,
	apperr.NotFound:             http.StatusNotFound,
	apperr.TooLarge:             http.StatusRequestEntityTooLarge,
	apperr.UnsupportedMediaType: http.StatusUnsupportedMediaType,
	apperr.Throttled:            http.StatusTooManyRequests,
	apperr.Unavailable:          http.StatusServiceUnavailable,
}

// Status returns the HTTP status of an error Kind; a Kind outside the table
// is a bug: 500.
func Status(kind apperr.Kind) int {
	if s, ok := statusOf[kind]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Classify returns what a client sees of err and its status. ok is false
// when err is a bug (no client-facing error, or one of a Kind outside the
// table): then e is nil, status is 500, and the edge logs err and answers
// with its own internal-error body.
//
// An *apperr.Error is itself. A store that cannot be reached
// (store.ErrUnavailable), wherever it surfaces, is 503 serviceNotAvailable
// with Retry-After. So is a request whose context ended (the client went
// away, or its deadline passed): no one may read the answer, and it is no
// bug of ours.
func Classify(err error) (e *apperr.Error, status int, ok bool) {
	if ae, isApp := apperr.As(err); isApp {
		if s, known := statusOf[ae.Kind]; known {
			return ae, s, true
		}
		return nil, http.StatusInternalServerError, false
	}
	if errors.Is(err, store.ErrUnavailable) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		e := apperr.New(apperr.Unavailable, "serviceNotAvailable", "The service is temporarily unavailable. Please retry later.")
		e.RetryAfter = UnavailableRetry
		return e, http.StatusServiceUnavailable, true
	}
	return nil, http.StatusInternalServerError, false
}
