package store

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/qrpin/qrpin/apperr"
)

func TestForClient(t *testing.T) {
	err := ForClient(fmt.Errorf("postgres: %w: dial tcp: refused", ErrUnavailable))
	e, ok := apperr.As(err)
	if !ok || e.Kind != apperr.Unavailable || e.Code != "serviceNotAvailable" || e.RetryAfter != 5*time.Second {
		t.Fatalf("ForClient(unavailable) = %#v", err)
	}
	if e.Message != "The service is temporarily unavailable. Please retry later." {
		t.Fatalf("message %q says more than it should", e.Message)
	}
	for _, other := range []error{nil, ErrNotFound, ErrConflict, errors.New("a bug")} {
		if got := ForClient(other); got != other {
			t.Fatalf("ForClient(%v) = %v, want it unchanged", other, got)
		}
	}
}
