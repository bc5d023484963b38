package signin

import (
	"sync"
	"time"

	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/internal/clientaddr"
)

// Throttle limits failed QR codes (unknown, expired, foreign, not the
// user's) per client address: after Limit failures within Window, the
// address gets 429 until that window ends. Addresses count in their
// clientaddr.Bucket (for IPv6, the /64 network), as the token endpoint's
// and the Graph API's rate limits do. It counts in this process's
// memory; the PIN lockout, which guards the secret that matters, is in the
// store. A nil *Throttle throttles nothing. It is safe for concurrent use.
type Throttle struct {
	Limit  int
	Window time.Duration

	mu    sync.Mutex
	addrs map[string]*window
}

type window struct {
	start    time.Time
	failures int
}

// maxAddrs bounds the addresses remembered; beyond it, ended windows are
// dropped.
const maxAddrs = 100_000

// NewThrottle returns a Throttle of limit failures per window.
func NewThrottle(limit int, per time.Duration) *Throttle {
	return &Throttle{Limit: limit, Window: per}
}

// Check returns a Throttled error while addr is over its limit at now.
func (t *Throttle) Check(addr string, now time.Time) error {
	if t == nil || t.Limit <= 0 {
		return nil
	}
	addr = clientaddr.Bucket(addr)
	t.mu.Lock()
	defer t.mu.Unlock()
	w := t.addrs[addr]
	if w == nil || !now.Before(w.start.Add(t.Window)) || w.failures < t.Limit {
		return nil
	}
	e := apperr.New(apperr.Throttled, "TooManyRequests", "Too many incorrect QR codes from this device. Try again in a moment.")
	e.RetryAfter = w.start.Add(t.Window).Sub(now)
	return e
}

// Fail counts a failure of addr at now.
func (t *Throttle) Fail(addr string, now time.Time) {
	if t == nil || t.Limit <= 0 {
		return
	}
	addr = clientaddr.Bucket(addr)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.addrs == nil {
		t.addrs = map[string]*window{}
	}
	w := t.addrs[addr]
	if w == nil || !now.Before(w.start.Add(t.Window)) {
		if len(t.addrs) >= maxAddrs {
			for a, old := range t.addrs {
				if !now.Before(old.start.Add(t.Window)) {
					delete(t.addrs, a)
				}
			}
		}
		w = &window{start: now}
		t.addrs[addr] = w
	}
	w.failures++
}
