package signin

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/qr"
	"github.com/qrpin/qrpin/store"
)

// throttled sets the service's throttle to limit failures a minute and
// writes its events to the store's sign-in log.
func (e *env) throttled(limit int) {
	e.svc.Throttle = Throttle{Limit: limit}
	e.svc.Record = RecordTo(e.st, nil)
}

// failures counts the sign-in log's entries from addr with that error code.
func (e *env) failures(addr string, code int) int {
	e.t.Helper()
	logs, err := e.st.ListSignInLogs(e.t.Context(), store.AuditFilter{}, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, l := range logs {
		if l.IPAddress == addr && l.ErrorCode == code {
			n++
		}
	}
	return n
}

// TestThrottleBadQRCodes: after the limit of incorrect QR codes from one
// address, a further incorrect one gets 429 with Retry-After to the
// window's end and writes no log entry, while a valid badge from the same
// address still goes through; other addresses are not affected, IPv6
// addresses count by /64, and the next window starts afresh.
func TestThrottleBadQRCodes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.throttled(3)
	b := e.addUser("ana@contoso.com", goodPIN)
	ctx := t.Context()
	const addr = "203.0.113.9"
	for range 3 {
		_, err := e.svc.StartQR(ctx, addr, "garbage")
		wantCode(t, err, "incorrectQRCode")
	}
	e.clock.Advance(10 * time.Second)
	for range 5 { // a valid badge is never refused, however often
		s, err := e.svc.StartQR(ctx, addr, b.payload)
		mustOK(t, err, "a valid badge from the throttled address")
		if s.Next != StagePIN {
			t.Fatalf("valid badge: %+v, want the PIN step", s)
		}
	}
	expired := e.addUser("bo@contoso.com", goodPIN)
	e.update(expired.user.ID, func(m *method.Method) { m.Standard.Expire = t0.Add(time.Second) })
	wrongSecret := qr.Payload{TenantID: testTenant, CodeID: b.codeID, UPN: b.user.UPN, Secret: make([]byte, qr.SecretLen)}.Encode()
	for _, payload := range []string{"garbage", wrongSecret, expired.payload} {
		_, err := e.svc.StartQR(ctx, addr, payload)
		if ae := wantCode(t, err, "TooManyRequests"); ae.RetryAfter != 50*time.Second {
			t.Fatalf("Retry-After %v, want 50s", ae.RetryAfter)
		}
	}
	if n := e.failures(addr, CodeIncorrectQR); n != 3 {
		t.Fatalf("%d incorrect QR codes logged, want 3 (none once throttled)", n)
	}
	_, err := e.svc.StartQR(ctx, "203.0.113.10", "garbage")
	wantCode(t, err, "incorrectQRCode") // another address
	e.clock.Advance(50 * time.Second)
	_, err = e.svc.StartQR(ctx, addr, "garbage")
	wantCode(t, err, "incorrectQRCode") // the next window

	// IPv6 addresses count by /64: walking through one network does not
	// escape the limit, and another network is not affected.
	for i := range 3 {
		_, err := e.svc.StartQR(ctx, fmt.Sprintf("2001:db8:1:2::%x", i+1), "garbage")
		wantCode(t, err, "incorrectQRCode")
	}
	_, err = e.svc.StartQR(ctx, "2001:db8:1:2:ffff:ffff:ffff:ffff", "garbage")
	wantCode(t, err, "TooManyRequests")
	_, err = e.svc.StartQR(ctx, "2001:db8:1:2:ffff:ffff:ffff:ffff", b.payload)
	mustOK(t, err, "a valid badge from the throttled /64")
	_, err = e.svc.StartQR(ctx, "2001:db8:1:3::1", "garbage")
	wantCode(t, err, "incorrectQRCode")
}

// TestThrottleBadHandles: made-up, malformed and expired transaction
// handles on the PIN and new-PIN steps count towards the address's
// throttle (with incorrect QR codes): beyond the limit they get 429 and
// write no log entry, while a live handle from the same address still goes
// through.
func TestThrottleBadHandles(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		step string
		call func(e *env, addr, tx string) (Step, error)
		live func(e *env, b badge) string // a live handle for the step
	}{
		{StagePIN,
			func(e *env, addr, tx string) (Step, error) {
				return e.svc.SubmitPIN(e.t.Context(), addr, tx, goodPIN, false)
			},
			func(e *env, b badge) string { return e.start(b).Transaction }},
		{StageNewPIN,
			func(e *env, addr, tx string) (Step, error) {
				return e.svc.ChangePIN(e.t.Context(), addr, tx, "90817263", false)
			},
			func(e *env, b badge) string {
				e.update(b.user.ID, func(m *method.Method) { m.PIN.ForceChange = true })
				s, err := e.svc.SubmitPIN(e.t.Context(), "192.0.2.1", e.start(b).Transaction, goodPIN, false)
				if err != nil || s.Next != StageNewPIN {
					e.t.Fatalf("SubmitPIN: %+v %v, want the new-PIN step", s, err)
				}
				return s.Transaction
			}},
	} {
		t.Run(tc.step, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.throttled(3)
			b := e.addUser("ana@contoso.com", goodPIN)
			const addr = "203.0.113.9"
			expired := tc.live(e, b)
			e.clock.Advance(DefaultTransactionTTL)
			for _, h := range []string{"x", strings.Repeat("A", handleLen), expired} {
				_, err := tc.call(e, addr, h)
				wantCode(t, err, "invalidTransaction")
			}
			for range 20 {
				_, err := tc.call(e, addr, strings.Repeat("B", handleLen))
				if ae := wantCode(t, err, "TooManyRequests"); ae.RetryAfter != time.Minute {
					t.Fatalf("Retry-After %v, want 1m", ae.RetryAfter)
				}
			}
			_, err := e.svc.StartQR(t.Context(), addr, "garbage") // one count for both
			wantCode(t, err, "TooManyRequests")
			if n := e.failures(addr, CodeBadTransaction); n != 3 {
				t.Fatalf("%d bad handles logged, want 3 (none once throttled)", n)
			}
			_, err = tc.call(e, "203.0.113.10", "x")
			wantCode(t, err, "invalidTransaction") // another address

			s, err := tc.call(e, addr, tc.live(e, b))
			mustOK(t, err, "a live handle from the throttled address")
			if s.Next != StageDone {
				t.Fatalf("live handle: %+v, want done", s)
			}
		})
	}
}
