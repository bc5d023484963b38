package oidc

import (
	"context"
	"time"

	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/internal/clientaddr"
	"github.com/qrpin/qrpin/store"
)

// throttle limits failures (wrong user codes) per client address, in the
// store's throttle windows, as the sign-in page's throttle does, under its
// own key prefix.
type throttle struct {
	st     store.Store
	now    func() time.Time
	prefix string
	limit  int
	window time.Duration
}

func newThrottle(st store.Store, now func() time.Time, prefix string, limit int, window time.Duration) *throttle {
	return &throttle{st: st, now: now, prefix: prefix, limit: limit, window: window}
}

func errThrottled(retry time.Duration) error {
	e := apperr.New(apperr.Throttled, "TooManyRequests", "Too many wrong codes from this device. Try again later.")
	e.RetryAfter = retry
	return e
}

// blocked reports (as a Throttled error) whether addr is over its limit.
func (t *throttle) blocked(ctx context.Context, addr string) error {
	now := t.now()
	n, end, err := t.st.ThrottleFailures(ctx, t.prefix+":"+clientaddr.Bucket(addr), now)
	if err != nil {
		return err
	}
	if n >= t.limit {
		return errThrottled(end.Sub(now))
	}
	return nil
}

// fail counts one failure of addr.
func (t *throttle) fail(ctx context.Context, addr string) error {
	now := t.now()
	_, _, err := t.st.AddThrottleFailure(ctx, t.prefix+":"+clientaddr.Bucket(addr), now, now.Add(t.window))
	return err
}
