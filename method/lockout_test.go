package method

import (
	"testing"
	"time"

	"github.com/qrpin/qrpin/apperr"
)

func TestLockoutSteps(t *testing.T) {
	p := DefaultLockout
	var l Lockout
	now := t0
	// Four failures: never locked.
	for i := 1; i <= 4; i++ {
		if err := l.Attempt(p, now); err != nil {
			t.Fatalf("attempt %d refused: %v", i, err)
		}
		if !l.LockedUntil.IsZero() {
			t.Fatalf("locked after %d failures", i)
		}
	}
	// The fifth attempt is allowed and locks for 1 minute; each further
	// failure doubles the lock, up to 1 hour.
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour}
	for i, d := range want {
		if err := l.Attempt(p, now); err != nil {
			t.Fatalf("attempt %d refused: %v", 5+i, err)
		}
		if got := l.LockedUntil.Sub(now); got != d {
			t.Fatalf("after %d failures locked for %v, want %v", 5+i, got, d)
		}
		// While locked, attempts are refused and not counted.
		err := l.Attempt(p, now.Add(d-time.Nanosecond))
		e, ok := apperr.As(err)
		if !ok || e.Kind != apperr.Throttled || e.Code != "pinLocked" || e.RetryAfter != time.Nanosecond {
			t.Fatalf("attempt while locked: %v", err)
		}
		if l.Failures != 5+i {
			t.Fatalf("refused attempt was counted: %d", l.Failures)
		}
		now = now.Add(d)
	}
	l.Succeed()
	if l != (Lockout{}) {
		t.Fatalf("Succeed left %+v", l)
	}
}

func TestLockoutDisablesAfterLimit(t *testing.T) {
	p := LockoutPolicy{Threshold: 5, BaseDuration: time.Minute, MaxDuration: time.Hour, DisableAfter: 100}
	var l Lockout
	now := t0
	for i := 1; i <= 100; i++ {
		if err := l.Attempt(p, now); err != nil {
			t.Fatalf("attempt %d refused: %v", i, err)
		}
		now = l.LockedUntil.Add(time.Second)
		if now.Before(t0) {
			now = t0
		}
	}
	if !l.Disabled {
		t.Fatal("not disabled after 100 failures")
	}
	err := l.Attempt(p, now.Add(24*time.Hour))
	if e, ok := apperr.As(err); !ok || e.Kind != apperr.Forbidden || e.Code != "pinDisabled" {
		t.Fatalf("attempt on a disabled PIN: %v", err)
	}
	l.Succeed() // what an admin reset does
	if err := l.Attempt(p, now); err != nil {
		t.Fatalf("after reset: %v", err)
	}
}

func TestLockoutConfigurable(t *testing.T) {
	p := LockoutPolicy{Threshold: 2, BaseDuration: 10 * time.Second, MaxDuration: 15 * time.Second, DisableAfter: 4}
	var l Lockout
	for i, want := range []time.Duration{0, 10 * time.Second, 15 * time.Second} {
		if err := l.Attempt(p, t0); err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
		got := time.Duration(0)
		if !l.LockedUntil.IsZero() {
			got = l.LockedUntil.Sub(t0)
		}
		if got != want {
			t.Fatalf("attempt %d: locked %v, want %v", i+1, got, want)
		}
		l.LockedUntil = time.Time{} // let the next attempt through
	}
	if err := l.Attempt(p, t0); err != nil || !l.Disabled {
		t.Fatalf("4th failure: err %v disabled %v", err, l.Disabled)
	}
}

func TestLockoutUnlock(t *testing.T) {
	for _, l := range []Lockout{{}, {Failures: 2}, {Failures: 7, LockedUntil: t0.Add(time.Hour)}} {
		if err := l.Unlock(); err != nil || l != (Lockout{}) {
			t.Errorf("Unlock: err %v, left %+v", err, l)
		}
	}
	disabled := Lockout{Failures: 100, LockedUntil: t0.Add(time.Hour), Disabled: true}
	l := disabled
	err := l.Unlock()
	if e, ok := apperr.As(err); !ok || e.Kind != apperr.Invalid || e.Code != "pinDisabled" {
		t.Errorf("Unlock of a disabled PIN: %v", err)
	}
	if l != disabled {
		t.Errorf("a refused Unlock changed the lockout to %+v", l)
	}
}
