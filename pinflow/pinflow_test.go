package pinflow

import (
	"bytes"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/internal/fakeclock"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/pin"
	"github.com/qrpin/qrpin/store"
	"github.com/qrpin/qrpin/store/sqlite/sqlitetest"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// cheap are Argon2id parameters small enough for many hashes in a test.
var cheap = pin.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

const (
	goodPIN  = "48150392"
	otherPIN = "90817263"
	wrongPIN = "99990000"
)

// hasher counts verifications and runs hooks: onVerify after each Verify,
// onHash after each Hash (to change the store between steps).
type hasher struct {
	*pin.Hasher
	verifies atomic.Int64
	onVerify func()
	onHash   func()
}

func (h *hasher) Verify(code, encoded string) (bool, error) {
	h.verifies.Add(1)
	ok, err := h.Hasher.Verify(code, encoded)
	if h.onVerify != nil {
		h.onVerify()
	}
	return ok, err
}

func (h *hasher) Hash(code string) (string, error) {
	s, err := h.Hasher.Hash(code)
	if h.onHash != nil {
		h.onHash()
	}
	return s, err
}

type env struct {
	t      *testing.T
	cfg    Config
	st     store.Store
	clock  *fakeclock.Clock
	hasher *hasher
	userID string
}

// newEnv is a Config on a fresh SQLite store with one enabled user whose
// method has the PIN goodPIN (temporary) and a standard code.
func newEnv(t *testing.T) *env {
	t.Helper()
	st := sqlitetest.Open(t, filepath.Join(t.TempDir(), "qrpin.db"))
	ph, err := pin.NewHasher(bytes.Repeat([]byte{7}, 32), cheap)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, st: st, clock: fakeclock.New(t0), hasher: &hasher{Hasher: ph}}
	e.cfg = Config{Store: st, PINs: e.hasher, Lockout: method.DefaultLockout, Now: e.clock.Now}
	u := store.User{ID: uuid.NewString(), UPN: "ana@contoso.com", DisplayName: "Ana", AccountEnabled: true, Created: t0}
	if err := st.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	e.userID = u.ID
	hash, err := ph.Hash(goodPIN)
	if err != nil {
		t.Fatal(err)
	}
	m := method.Method{ID: uuid.NewString(), UserID: u.ID, Created: t0,
		Standard: &method.QRCode{ID: "code-1", Kind: method.Standard, Start: t0, Expire: t0.Add(24 * time.Hour), Created: t0, Verifier: []byte{1}},
		PIN:      method.PIN{Hash: hash, Length: len(goodPIN), ForceChange: true, Created: t0, Updated: t0}}
	if err := st.CreateMethod(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) method() method.Method {
	e.t.Helper()
	m, err := e.st.GetMethod(e.t.Context(), e.userID)
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

func (e *env) update(fn func(m *method.Method)) {
	e.t.Helper()
	if _, err := e.st.UpdateMethod(e.t.Context(), e.userID, func(m *method.Method) error { fn(m); return nil }); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) verify(code string) (method.Method, error) {
	return Verify(e.t.Context(), e.cfg, Attempt{UserID: e.userID, PIN: code})
}

// hashOf returns a hash of code, for an "admin reset".
func (e *env) hashOf(code string) string {
	e.t.Helper()
	h, err := e.hasher.Hasher.Hash(code)
	if err != nil {
		e.t.Fatal(err)
	}
	return h
}

func TestVerifyCountsAndClears(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.cfg.Lockout = method.LockoutPolicy{Threshold: 3, BaseDuration: time.Minute, MaxDuration: time.Hour, DisableAfter: 100}
	for i := 1; i <= 3; i++ {
		_, err := e.verify(wrongPIN)
		var wrong *WrongPINError
		if !errors.As(err, &wrong) {
			t.Fatalf("wrong PIN %d: %v, want *WrongPINError", i, err)
		}
		want := method.Lockout{Failures: i}
		if i == 3 {
			want.LockedUntil = t0.Add(time.Minute)
		}
		if wrong.Lockout != want {
			t.Fatalf("wrong PIN %d: lockout %+v, want %+v", i, wrong.Lockout, want)
		}
		if got := e.method().Lockout; got != want {
			t.Fatalf("stored lockout after wrong PIN %d: %+v, want %+v", i, got, want)
		}
	}
	// Locked: refused, nothing counted, no PIN checked (not even the right one).
	before := e.hasher.verifies.Load()
	e.clock.Advance(time.Minute - time.Microsecond)
	_, err := e.verify(goodPIN)
	var locked *LockedError
	if !errors.As(err, &locked) || locked.Lockout.LockedUntil != t0.Add(time.Minute) || locked.Lockout.Disabled {
		t.Fatalf("while locked: %v, want *LockedError until %v", err, t0.Add(time.Minute))
	}
	if e.hasher.verifies.Load() != before || e.method().Lockout.Failures != 3 {
		t.Fatalf("a locked attempt was checked or counted: %d verifies, %+v", e.hasher.verifies.Load()-before, e.method().Lockout)
	}
	// After the lock the right PIN clears the count and returns the method.
	e.clock.Advance(time.Microsecond)
	m, err := e.verify(goodPIN)
	if err != nil {
		t.Fatalf("right PIN after the lock: %v", err)
	}
	if m.Lockout != (method.Lockout{}) || m.UserID != e.userID || m.PIN.Hash != e.method().PIN.Hash {
		t.Fatalf("returned method %+v", m)
	}
	if got := e.method().Lockout; got != (method.Lockout{}) {
		t.Fatalf("stored lockout after success: %+v", got)
	}
}

func TestVerifyDisabledAfterN(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.cfg.Lockout = method.LockoutPolicy{Threshold: 0, DisableAfter: 4}
	for i := 1; i <= 4; i++ {
		_, err := e.verify(wrongPIN)
		var wrong *WrongPINError
		if !errors.As(err, &wrong) || wrong.Lockout.Disabled != (i == 4) || wrong.Lockout.Failures != i {
			t.Fatalf("wrong PIN %d: %+v (%v)", i, wrong, err)
		}
	}
	before := e.hasher.verifies.Load()
	e.clock.Advance(365 * 24 * time.Hour)
	_, err := e.verify(goodPIN)
	var locked *LockedError
	if !errors.As(err, &locked) || !locked.Lockout.Disabled {
		t.Fatalf("after %d wrong PINs: %v, want a disabled *LockedError", 4, err)
	}
	if e.hasher.verifies.Load() != before {
		t.Fatal("a PIN was checked while disabled")
	}
	// An admin reset lifts it.
	e.update(func(m *method.Method) { m.Lockout.Succeed() })
	if _, err := e.verify(goodPIN); err != nil {
		t.Fatalf("after the reset: %v", err)
	}
}

// 20 parallel wrong PINs reach exactly the threshold: the attempts beyond
// it are refused before any PIN is checked.
func TestVerifyConcurrentWrongPINs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const n, threshold = 20, 5
	e.cfg.Lockout = method.LockoutPolicy{Threshold: threshold, BaseDuration: time.Minute, MaxDuration: time.Hour, DisableAfter: 100}
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			_, errs[i] = e.verify(wrongPIN)
		})
	}
	close(start)
	wg.Wait()
	var wrongs, lockeds int
	for _, err := range errs {
		var wrong *WrongPINError
		var locked *LockedError
		switch {
		case errors.As(err, &wrong):
			wrongs++
		case errors.As(err, &locked):
			lockeds++
		default:
			t.Fatalf("unexpected error %v", err)
		}
	}
	if wrongs != threshold || lockeds != n-threshold {
		t.Errorf("%d wrong, %d locked; want %d and %d", wrongs, lockeds, threshold, n-threshold)
	}
	if got := e.method().Lockout; got.Failures != threshold || got.LockedUntil != t0.Add(time.Minute) {
		t.Errorf("lockout %+v, want %d failures, locked until %v", got, threshold, t0.Add(time.Minute))
	}
	if v := e.hasher.verifies.Load(); v != threshold {
		t.Errorf("%d PINs checked, want %d", v, threshold)
	}
}

// A PIN reset between the check and the clearing: the correct (old) PIN
// no longer proves anything, the count stays and the new PIN is kept.
func TestVerifyPINResetMeanwhile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	reset := e.hashOf(otherPIN)
	e.hasher.onVerify = func() { e.update(func(m *method.Method) { m.PIN.Hash = reset }) }
	var succeeded bool
	_, err := Verify(t.Context(), e.cfg, Attempt{UserID: e.userID, PIN: goodPIN,
		Succeed: func(*method.Method) { succeeded = true }})
	if !errors.Is(err, ErrPINReset) {
		t.Fatalf("got %v, want ErrPINReset", err)
	}
	if m := e.method(); m.PIN.Hash != reset || m.Lockout.Failures != 1 || succeeded {
		t.Fatalf("after the reset: %+v, Succeed ran: %v", m, succeeded)
	}
}

// Admit is checked in the reserving transaction: its error comes back as
// it is and nothing is counted; Succeed changes the stored method.
func TestVerifyAdmitAndSucceed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	refusal := apperr.New(apperr.Invalid, "incorrectQRCode", "Incorrect QR code")
	var seen string
	_, err := Verify(t.Context(), e.cfg, Attempt{UserID: e.userID, PIN: goodPIN, Admit: func(m *method.Method) error {
		seen = m.UserID
		return refusal
	}})
	if err != refusal || seen != e.userID {
		t.Fatalf("got %v (Admit saw %q), want Admit's error as it is", err, seen)
	}
	if e.hasher.verifies.Load() != 0 || e.method().Lockout.Failures != 0 {
		t.Fatal("a refused attempt was checked or counted")
	}
	// Admit runs before the lockout: a refused attempt on a locked method
	// gets Admit's answer.
	e.update(func(m *method.Method) { m.Lockout.Disabled = true })
	if _, err := Verify(t.Context(), e.cfg, Attempt{UserID: e.userID, PIN: goodPIN,
		Admit: func(*method.Method) error { return refusal }}); err != refusal {
		t.Fatalf("refused on a disabled method: %v", err)
	}
	e.update(func(m *method.Method) { m.Lockout.Succeed() })
	e.clock.Advance(time.Hour)
	m, err := Verify(t.Context(), e.cfg, Attempt{UserID: e.userID, PIN: goodPIN,
		Admit:   func(*method.Method) error { return nil },
		Succeed: func(m *method.Method) { m.Standard.LastUsed = t0.Add(time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Standard.LastUsed.Equal(t0.Add(time.Hour)) || !e.method().Standard.LastUsed.Equal(t0.Add(time.Hour)) {
		t.Fatalf("LastUsed %v (stored %v), want %v", m.Standard.LastUsed, e.method().Standard.LastUsed, t0.Add(time.Hour))
	}
}

func TestVerifyNoMethod(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if err := e.st.DeleteMethod(t.Context(), e.userID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.verify(goodPIN); !errors.Is(err, ErrNoMethod) {
		t.Fatalf("got %v, want ErrNoMethod", err)
	}
	if _, err := SetPIN(t.Context(), e.cfg, e.userID, e.hashOf(goodPIN), otherPIN); !errors.Is(err, ErrNoMethod) {
		t.Fatalf("SetPIN: got %v, want ErrNoMethod", err)
	}
}

func TestSetPIN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		pinLength int
		next      string
		stale     bool   // current is not the stored hash
		wantCode  string // an apperr code
		wantErr   error
	}{
		{name: "changed", pinLength: 8, next: otherPIN},
		{name: "longer than needed", pinLength: 8, next: "9081726354"},
		{name: "too short", pinLength: 8, next: "9081726", wantCode: pin.CodeTooShort},
		{name: "shorter than a raised pinLength", pinLength: 10, next: otherPIN, wantCode: pin.CodeTooShort},
		{name: "periodic", pinLength: 8, next: "12121212", wantCode: pin.CodeInvalid},
		{name: "letters", pinLength: 8, next: "abcdefgh", wantCode: pin.CodeTooShort},
		{name: "the current PIN", pinLength: 8, next: goodPIN, wantErr: ErrSamePIN},
		{name: "replaced meanwhile", pinLength: 8, next: otherPIN, stale: true, wantErr: ErrPINReset},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			if _, err := e.st.UpdatePolicy(t.Context(), func(p *method.Policy) error { p.PINLength = tt.pinLength; return nil }); err != nil {
				t.Fatal(err)
			}
			e.update(func(m *method.Method) { m.Lockout.Failures = 2 })
			before := e.method()
			current := before.PIN.Hash
			if tt.stale {
				e.update(func(m *method.Method) { m.PIN.Hash = e.hashOf(goodPIN) }) // an admin reset
				before = e.method()
			}
			e.clock.Advance(time.Hour)
			m, err := SetPIN(t.Context(), e.cfg, e.userID, current, tt.next)
			switch {
			case tt.wantCode != "":
				if ae, ok := apperr.As(err); !ok || ae.Code != tt.wantCode || ae.Kind != apperr.Invalid {
					t.Fatalf("got %v, want code %s", err, tt.wantCode)
				}
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got %v, want %v", err, tt.wantErr)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				stored := e.method()
				want := method.PIN{Hash: stored.PIN.Hash, Length: len(tt.next), ForceChange: false, Created: t0, Updated: t0.Add(time.Hour)}
				if stored.PIN != want || m.PIN != want {
					t.Fatalf("PIN %+v (returned %+v), want %+v", stored.PIN, m.PIN, want)
				}
				if ok, _ := e.hasher.Hasher.Verify(tt.next, stored.PIN.Hash); !ok {
					t.Fatal("the new PIN does not verify")
				}
				if stored.Lockout.Failures != 2 {
					t.Fatalf("SetPIN changed the lockout: %+v", stored.Lockout)
				}
				return
			}
			if after := e.method(); after.PIN != before.PIN {
				t.Fatalf("a refused PIN was stored: %+v, was %+v", after.PIN, before.PIN)
			}
		})
	}
}

// A PIN reset between the hashing and the write: the reset PIN stays.
func TestSetPINResetMeanwhile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	current := e.method().PIN.Hash
	reset := e.hashOf(wrongPIN)
	e.hasher.onHash = func() { e.update(func(m *method.Method) { m.PIN.Hash = reset }) }
	if _, err := SetPIN(t.Context(), e.cfg, e.userID, current, otherPIN); !errors.Is(err, ErrPINReset) {
		t.Fatalf("got %v, want ErrPINReset", err)
	}
	if m := e.method(); m.PIN.Hash != reset || !m.PIN.ForceChange {
		t.Fatalf("the reset PIN was overwritten: %+v", m.PIN)
	}
}
