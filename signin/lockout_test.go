package signin

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store/postgres"
	"github.com/qrpin/qrpin/store/postgres/pgtest"
)

const wrongPIN = "99990000"

// attempt scans the badge and tries code; it returns the error.
func (e *env) attempt(b badge, code string) error {
	e.t.Helper()
	s, err := e.svc.StartQR(e.t.Context(), "192.0.2.1", b.payload)
	if err != nil {
		return err
	}
	_, err = e.svc.SubmitPIN(e.t.Context(), "192.0.2.1", s.Transaction, code, false)
	return err
}

func TestLockoutSteps(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.svc.Lockout = method.LockoutPolicy{Threshold: 3, BaseDuration: time.Minute, MaxDuration: 4 * time.Minute, DisableAfter: 100}
	b := e.addUser("ana@contoso.com", goodPIN)
	// Wrong PINs below the threshold: "Invalid PIN", with a retry handle.
	s := e.start(b)
	for i := 1; i < 3; i++ {
		retry, err := e.svc.SubmitPIN(t.Context(), "192.0.2.1", s.Transaction, wrongPIN, false)
		if ae := wantCode(t, err, "invalidPin"); ae.Message != "Invalid PIN" {
			t.Fatalf("message %q", ae.Message)
		}
		if retry.Transaction == "" || retry.Next != StagePIN {
			t.Fatalf("no retry handle: %+v", retry)
		}
		s = retry
	}
	// The third locks for a minute, then 2, 4 and 4 (the maximum).
	now := e.clock.Now()
	for _, d := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 4 * time.Minute} {
		_, err := e.svc.SubmitPIN(t.Context(), "192.0.2.1", s.Transaction, wrongPIN, false)
		until := now.Add(d)
		ae := wantCode(t, err, "pinLocked")
		if want := "PIN locked, try again at " + until.Format(time.RFC3339); ae.Message != want || ae.RetryAfter != d {
			t.Fatalf("got %q (retry after %v), want %q (%v)", ae.Message, ae.RetryAfter, want, d)
		}
		// While locked: no PIN is checked, not even the right one, at the
		// QR code or the PIN step.
		before := e.hasher.verifies.Load()
		e.clock.Set(until.Add(-time.Microsecond))
		_, err = e.svc.StartQR(t.Context(), "192.0.2.1", b.payload)
		wantCode(t, err, "pinLocked")
		if e.hasher.verifies.Load() != before {
			t.Fatal("a PIN was verified while locked")
		}
		e.clock.Set(until)
		now = until
		s = e.start(b)
	}
	if m := e.method(b.user.ID); m.Lockout.Failures != 6 {
		t.Fatalf("failures = %d, want 6", m.Lockout.Failures)
	}
	// The right PIN after the lock resets the count.
	_, err := e.svc.SubmitPIN(t.Context(), "192.0.2.1", s.Transaction, goodPIN, false)
	mustOK(t, err, "SubmitPIN")
	if m := e.method(b.user.ID); m.Lockout != (method.Lockout{}) {
		t.Fatalf("lockout after success: %+v", m.Lockout)
	}
	// And the next wrong PIN is the first again.
	err = e.attempt(b, wrongPIN)
	wantCode(t, err, "invalidPin")
}

func TestDisableAfter100(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.svc.Lockout = method.DefaultLockout
	b := e.addUser("ana@contoso.com", goodPIN)
	e.update(b.user.ID, func(m *method.Method) { m.Standard.Expire = t0.Add(300 * 24 * time.Hour) })
	for i := 1; i <= 100; i++ {
		err := e.attempt(b, wrongPIN)
		switch {
		case i < 5:
			wantCode(t, err, "invalidPin")
		case i < 100:
			wantCode(t, err, "pinLocked")
		default:
			ae := wantCode(t, err, "pinDisabled")
			if !strings.Contains(ae.Message, "administrator") {
				t.Fatalf("message %q", ae.Message)
			}
		}
		e.clock.Advance(time.Hour) // past any lock
	}
	before := e.hasher.verifies.Load()
	err := e.attempt(b, goodPIN)
	wantCode(t, err, "pinDisabled")
	e.clock.Advance(365 * 24 * time.Hour)
	e.update(b.user.ID, func(m *method.Method) { m.Standard.Expire = e.clock.Now().Add(time.Hour) })
	wantCode(t, e.attempt(b, goodPIN), "pinDisabled")
	if e.hasher.verifies.Load() != before {
		t.Fatal("a PIN was verified while disabled")
	}
	// An admin reset (what admin.ResetPIN does to the lockout) lifts it.
	e.update(b.user.ID, func(m *method.Method) { m.Lockout.Succeed() })
	mustOK(t, e.attempt(b, goodPIN), "sign-in after reset")
}

// TestConcurrentWrongPINs: 50 parallel wrong PINs for one method, each on
// its own transaction, reach exactly the configured count, and no PIN is
// verified once the method is locked.
func TestConcurrentWrongPINs(t *testing.T) {
	t.Parallel()
	testConcurrentWrongPINs(t, newEnv)
}

// TestConcurrentWrongPINsOnPostgres is the same on PostgreSQL, whose
// transactions run on many connections at once.
func TestConcurrentWrongPINsOnPostgres(t *testing.T) {
	t.Parallel()
	base := pgtest.BaseDSN(t)
	testConcurrentWrongPINs(t, func(t testing.TB) *env {
		st, err := postgres.Open(t.Context(), pgtest.SchemaDSN(t, base), postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return newEnvOn(t, st)
	})
}

func testConcurrentWrongPINs(t *testing.T, newEnv func(t testing.TB) *env) {
	for _, tc := range []struct {
		threshold, disable int
		wantFailures       int
		wantVerifies       int64
	}{
		{threshold: 5, disable: 100, wantFailures: 5, wantVerifies: 5},
		{threshold: 0, disable: 100, wantFailures: 50, wantVerifies: 50},
		{threshold: 0, disable: 20, wantFailures: 20, wantVerifies: 20},
	} {
		t.Run(fmt.Sprintf("threshold%d-disable%d", tc.threshold, tc.disable), func(t *testing.T) {
			e := newEnv(t)
			e.svc.Lockout = method.LockoutPolicy{Threshold: tc.threshold, BaseDuration: time.Minute, MaxDuration: time.Hour, DisableAfter: tc.disable}
			b := e.addUser("ana@contoso.com", goodPIN)
			handles := make([]string, 50)
			for i := range handles {
				handles[i] = e.start(b).Transaction
			}
			errs := race(len(handles), func(i int) error {
				_, err := e.svc.SubmitPIN(t.Context(), "192.0.2.1", handles[i], wrongPIN, false)
				return err
			})
			for _, err := range errs {
				if ae, ok := asErr(err); !ok || (ae.Code != "invalidPin" && ae.Code != "pinLocked" && ae.Code != "pinDisabled") {
					t.Fatalf("unexpected error %v", err)
				}
			}
			m := e.method(b.user.ID)
			if m.Lockout.Failures != tc.wantFailures {
				t.Errorf("failures = %d, want %d", m.Lockout.Failures, tc.wantFailures)
			}
			if n := e.hasher.verifies.Load(); n != tc.wantVerifies {
				t.Errorf("%d PINs verified, want %d", n, tc.wantVerifies)
			}
		})
	}
}
