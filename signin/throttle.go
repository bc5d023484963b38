package signin

import (
	"context"
	"time"

	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/internal/clientaddr"
)

// DefaultThrottleWindow is a Throttle's window when its Window is 0.
const DefaultThrottleWindow = time.Minute

// Throttle limits the failures a client address can cause without a valid
// badge: incorrect QR codes (unknown, expired, another tenant's, not the
// user's, not the badge of the user an authorization request is for),
// unknown, used or expired transaction handles, and well-formed ids of no
// pending authorization request, counted together. After Limit failures in the Window that opened at the first, a
// further failure gets 429 until the window ends, and is neither counted
// nor written to the sign-in log, so that an anonymous caller can make the
// service write at most Limit log entries per address per window.
//
// A request that succeeds is never refused: the throttle is consulted only
// once a request has failed, so a valid, active badge goes through from a
// throttled address (behind a proxy or a site's NAT, every kiosk shares
// one); it stays subject to the PIN lockout, which is per method.
//
// Addresses count by clientaddr.Bucket (for IPv6, the /64 network), and the
// counts are in the store, so several server processes share them. The
// zero Throttle throttles nothing.
type Throttle struct {
	Limit  int           // failures per window; 0 or less: no limit
	Window time.Duration // DefaultThrottleWindow when 0
}

func errThrottled(retry time.Duration) error {
	e := apperr.New(apperr.Throttled, "TooManyRequests", "Too many failed sign-ins from this device. Try again in a moment.")
	e.RetryAfter = retry
	return e
}

// throttle counts a failure from addr at now and returns nil, or a
// Throttled error when addr is over its limit (then the failure is not
// counted), or the store's error as it is (the edge classifies it). An address over its limit costs one read, no write.
func (s *Service) throttle(ctx context.Context, addr string, now time.Time) error {
	t := s.Throttle
	if t.Limit <= 0 {
		return nil
	}
	window := t.Window
	if window <= 0 {
		window = DefaultThrottleWindow
	}
	key := clientaddr.Bucket(addr)
	n, end, err := s.Store.ThrottleFailures(ctx, key, now)
	if err != nil {
		return err
	}
	if n < t.Limit {
		// Parallel failures may all read less than the limit: the count
		// the increment returns decides.
		if n, end, err = s.Store.AddThrottleFailure(ctx, key, now, now.Add(window)); err != nil {
			return err
		}
		if n <= t.Limit {
			return nil
		}
	}
	return errThrottled(end.Sub(now))
}
