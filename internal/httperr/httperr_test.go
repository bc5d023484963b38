package httperr

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/store"
)

func TestStatus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind apperr.Kind
		want int
	}{
		{apperr.Invalid, 400},
		{apperr.Unauthenticated, 401},
		{apperr.Forbidden, 403},
		{apperr.NotFound, 404},
		{apperr.TooLarge, 413},
		{apperr.UnsupportedMediaType, 415},
		{apperr.Throttled, 429},
		{apperr.Unavailable, 503},
		{0, 500},                      // the zero Kind: a bug
		{apperr.Unavailable + 1, 500}, // a Kind outside the table: a bug
	} {
		if got := Status(tc.kind); got != tc.want {
			t.Errorf("Status(%d) = %d, want %d", tc.kind, got, tc.want)
		}
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	throttled := apperr.New(apperr.Throttled, "TooManyRequests", "Slow down.")
	throttled.RetryAfter = time.Minute
	unknownKind := &apperr.Error{Code: "x", Message: "no kind"}
	unavailable := &apperr.Error{Kind: apperr.Unavailable, Code: "serviceNotAvailable",
		Message: "The service is temporarily unavailable. Please retry later.", RetryAfter: 5 * time.Second}
	for _, tc := range []struct {
		name   string
		err    error
		want   *apperr.Error // nil: ok false
		status int
	}{
		{"client error", apperr.BadRequest("Bad."), apperr.BadRequest("Bad."), 400},
		{"wrapped client error", fmt.Errorf("ctx: %w", throttled), throttled, 429},
		{"store unavailable", store.ErrUnavailable, unavailable, 503},
		{"wrapped store unavailable", fmt.Errorf("postgres: %w: dial tcp 127.0.0.1:5432: refused", store.ErrUnavailable), unavailable, 503},
		{"client went away", fmt.Errorf("postgres: %w", context.Canceled), unavailable, 503},
		{"deadline passed", fmt.Errorf("postgres: %w", context.DeadlineExceeded), unavailable, 503},
		{"kind outside the table", unknownKind, nil, 500},
		{"a bug", errors.New("nil map"), nil, 500},
		{"not found left untranslated", store.ErrNotFound, nil, 500},
		{"conflict left untranslated", store.ErrConflict, nil, 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, status, ok := Classify(tc.err)
			if status != tc.status || ok != (tc.want != nil) {
				t.Fatalf("Classify(%v) = %v, %d, %v; want %v, %d", tc.err, e, status, ok, tc.want, tc.status)
			}
			if tc.want == nil {
				if e != nil {
					t.Fatalf("Classify(%v) = %#v, want no client-facing error", tc.err, e)
				}
				return
			}
			if *e != *tc.want {
				t.Fatalf("Classify(%v) = %#v, want %#v", tc.err, e, tc.want)
			}
		})
	}
}
