package method

import (
	"time"

	"github.com/qrpin/qrpin/apperr"
)

// LockoutPolicy configures PIN lockout (spec D16). The zero value is not
// useful; start from DefaultLockout.
type LockoutPolicy struct {
	Threshold    int           // consecutive failures before the first lock
	BaseDuration time.Duration // first lock; doubles with each further failure
	MaxDuration  time.Duration // longest lock
	DisableAfter int           // consecutive failures that disable the PIN until an admin reset
}

// DefaultLockout is the lockout of spec D16.
var DefaultLockout = LockoutPolicy{
	Threshold:    5,
	BaseDuration: time.Minute,
	MaxDuration:  time.Hour,
	DisableAfter: 100,
}

// Lockout is a method's count of consecutive wrong PINs and its lock.
type Lockout struct {
	Failures    int
	LockedUntil time.Time
	Disabled    bool
}

// Check returns an error when no PIN may be tried at now.
func (l Lockout) Check(now time.Time) error {
	if l.Disabled {
		return apperr.New(apperr.Forbidden, "pinDisabled",
			"The PIN is disabled after too many failed attempts. An administrator must reset it.")
	}
	if now.Before(l.LockedUntil) {
		e := apperr.New(apperr.Throttled, "pinLocked",
			"The PIN is locked after too many failed attempts. Try again at %s.", l.LockedUntil.UTC().Format(time.RFC3339))
		e.RetryAfter = l.LockedUntil.Sub(now)
		return e
	}
	return nil
}

// Attempt reserves one PIN attempt at now: it fails when the PIN is locked or
// disabled, and otherwise counts the attempt as a failure in advance, locking
// as the policy says. Reserving before the (slow) PIN check, in the same
// transaction as the check above, means parallel attempts cannot pass a lock;
// a correct PIN then calls Succeed, which clears the count.
func (l *Lockout) Attempt(p LockoutPolicy, now time.Time) error {
	if err := l.Check(now); err != nil {
		return err
	}
	l.Failures++
	if p.DisableAfter > 0 && l.Failures >= p.DisableAfter {
		l.Disabled = true
		return nil
	}
	if p.Threshold > 0 && l.Failures >= p.Threshold {
		d := p.BaseDuration
		for i := p.Threshold; i < l.Failures && d < p.MaxDuration; i++ {
			d *= 2
		}
		if d > p.MaxDuration {
			d = p.MaxDuration
		}
		l.LockedUntil = now.Add(d)
	}
	return nil
}

// Succeed clears the failure count after a correct PIN.
func (l *Lockout) Succeed() { *l = Lockout{} }

// Unlock is an administrator's unlock: it lifts a timed lock and clears the
// count of wrong PINs, keeping the PIN. It refuses a disabled PIN and changes
// nothing: D16 keeps that PIN disabled until an administrator resets it, so
// an unlock cannot hand out another round of guesses.
func (l *Lockout) Unlock() error {
	if l.Disabled {
		return apperr.New(apperr.Invalid, "pinDisabled",
			"The PIN is disabled after too many failed attempts and cannot be unlocked: reset the PIN instead.")
	}
	*l = Lockout{}
	return nil
}
