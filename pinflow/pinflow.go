// Package pinflow is the one place that checks a user's PIN under the
// method's lockout and sets a new PIN. Sign-in (signin), the self-service
// updatePin (admin) and any later login share it, so that every PIN
// attempt counts the same way and "the new PIN must differ" is decided
// once. The rules themselves are in method and pin; this package runs them
// against the store, and its Config is what the services that check PINs
// share.
//
// Verify reserves an attempt before the slow Argon2id check, in the same
// store transaction that checks the lockout (method.Lockout.Attempt), so
// that parallel attempts and several server processes cannot get past it;
// a correct PIN then clears the count in a second transaction, which fails
// when the PIN was replaced meanwhile.
package pinflow

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"time"

	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/pin"
	"github.com/qrpin/qrpin/store"
	"github.com/qrpin/qrpin/telemetry"
)

// Hasher checks and makes PIN hashes (*pin.Hasher).
type Hasher interface {
	Hash(code string) (string, error)
	Verify(code, encoded string) (bool, error)
}

// Config is what the services that check and set PINs share: built once
// (cmd/qrpin) and embedded in admin.Service and signin.Service.
type Config struct {
	Store    store.Store
	PINs     Hasher
	Pepper   []byte // keys QR code verifiers
	TenantID string
	Lockout  method.LockoutPolicy
	Now      func() time.Time // the clock; time.Now when nil
}

// Time returns the current time by the Config's clock, in UTC, to the
// microsecond (what stores keep): the "now" of every service that embeds
// the Config.
func (c Config) Time() time.Time {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	return now().UTC().Truncate(time.Microsecond)
}

// Outcomes of Verify and SetPIN that callers answer in their own words.
var (
	// ErrNoMethod: the user has no QR code + PIN method (it was deleted).
	ErrNoMethod = errors.New("pinflow: the user has no QR code + PIN method")
	// ErrPINReset: the PIN checked was replaced meanwhile (an admin reset
	// or another change), so the request no longer proves anything.
	ErrPINReset = errors.New("pinflow: the PIN was replaced meanwhile")
	// ErrSamePIN: the new PIN is the current one.
	ErrSamePIN = errors.New("pinflow: the new PIN equals the current PIN")
)

// WrongPINError is Verify's answer to a PIN that is not the user's. The
// failure is counted: Lockout is the method's lockout after it (locked or
// disabled by it, or neither).
type WrongPINError struct {
	Lockout method.Lockout
}

func (e *WrongPINError) Error() string { return "pinflow: wrong PIN" }

// LockedError is Verify's answer when no PIN may be tried: Lockout is the
// method's lockout at At (disabled, or locked until LockedUntil). Nothing
// was counted and no PIN checked.
type LockedError struct {
	Lockout method.Lockout
	At      time.Time
}

func (e *LockedError) Error() string {
	if e.Lockout.Disabled {
		return "pinflow: the PIN is disabled"
	}
	return fmt.Sprintf("pinflow: the PIN is locked until %s", e.Lockout.LockedUntil.Format(time.RFC3339))
}

// Attempt is one PIN attempt for Verify.
type Attempt struct {
	UserID string
	PIN    string
	// Admit, when set, is the caller's own admission rule, checked on the
	// stored method in the transaction that reserves the attempt, before the
	// lockout: its error is returned as it is and nothing is counted.
	Admit func(*method.Method) error
	// Succeed, when set, changes the stored method after a correct PIN, in
	// the transaction that clears the count (a sign-in's code LastUsed).
	Succeed func(*method.Method)
}

// Verify checks a.PIN against the user's PIN under the method's lockout
// (c.Lockout) and returns the method after a correct PIN, with the count
// cleared. Its errors: Admit's error; ErrNoMethod; *LockedError;
// *WrongPINError; ErrPINReset (correct, but the PIN was replaced between
// the check and the clearing); or a store or hasher failure.
func Verify(ctx context.Context, c Config, a Attempt) (method.Method, error) {
	now := c.Time()
	var refused error // Admit's error or a *LockedError, returned as it is
	m, err := c.Store.UpdateMethod(ctx, a.UserID, func(m *method.Method) error {
		refused = nil // fn may run again when the store retries
		if a.Admit != nil {
			if err := a.Admit(m); err != nil {
				refused = err
				return err
			}
		}
		if m.Lockout.Check(now) != nil {
			refused = &LockedError{Lockout: m.Lockout, At: now}
			return refused
		}
		return m.Lockout.Attempt(c.Lockout, now)
	})
	if refused != nil && errors.Is(err, refused) {
		return method.Method{}, refused
	}
	if err != nil {
		return method.Method{}, storeErr(err)
	}
	ok, err := c.PINs.Verify(a.PIN, m.PIN.Hash)
	if err != nil {
		return method.Method{}, err
	}
	if !ok {
		if l := m.Lockout; l.Disabled || now.Before(l.LockedUntil) { // this wrong PIN locked it
			telemetry.Lockout(ctx, l.Disabled)
		}
		return method.Method{}, &WrongPINError{Lockout: m.Lockout}
	}
	checked := m.PIN.Hash
	m, err = c.Store.UpdateMethod(ctx, a.UserID, func(m *method.Method) error {
		if m.PIN.Hash != checked {
			return ErrPINReset
		}
		m.Lockout.Succeed()
		if a.Succeed != nil {
			a.Succeed(m)
		}
		return nil
	})
	if err != nil {
		return method.Method{}, storeErr(err)
	}
	return m, nil
}

// CheckNew applies the rules of a new PIN that need no Argon2id: the PIN
// rules (pin.Check) of the tenant's policy, and, when the caller typed the
// current PIN (typed is "" otherwise), that next differs from it
// (ErrSamePIN). SetPIN applies them itself; callers check first as well,
// to refuse such a PIN before any attempt is counted. The rule "differs
// from the current PIN" is whole only in SetPIN, against the stored hash:
// the typed PIN may be wrong, and a sign-in's new PIN comes with none.
func CheckNew(ctx context.Context, c Config, typed, next string) error {
	policy, err := c.Store.GetPolicy(ctx)
	if err != nil {
		return err
	}
	if err := pin.Check(next, policy.PINLength); err != nil {
		return err
	}
	if typed != "" && subtle.ConstantTimeCompare([]byte(typed), []byte(next)) == 1 {
		return ErrSamePIN
	}
	return nil
}

// SetPIN replaces the user's PIN, whose hash is current (the one the caller
// verified), with next: next must pass the PIN rules (CheckNew's error) and
// differ from the current PIN (ErrSamePIN). The new PIN is permanent
// (ForceChange false) and Updated is now. ErrPINReset when the stored PIN
// is no longer current; ErrNoMethod when the method is gone.
func SetPIN(ctx context.Context, c Config, userID, current, next string) (method.Method, error) {
	if err := CheckNew(ctx, c, "", next); err != nil {
		return method.Method{}, err
	}
	same, err := c.PINs.Verify(next, current)
	if err != nil {
		return method.Method{}, err
	}
	if same {
		return method.Method{}, ErrSamePIN
	}
	hash, err := c.PINs.Hash(next)
	if err != nil {
		return method.Method{}, err
	}
	now := c.Time()
	m, err := c.Store.UpdateMethod(ctx, userID, func(m *method.Method) error {
		if m.PIN.Hash != current {
			return ErrPINReset
		}
		m.PIN.Hash, m.PIN.Length = hash, len(next)
		m.PIN.ForceChange = false
		m.PIN.Updated = now
		return nil
	})
	if err != nil {
		return method.Method{}, storeErr(err)
	}
	return m, nil
}

// storeErr maps a store error: a missing method is ErrNoMethod; an
// unavailable store is the client-facing error.
func storeErr(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return ErrNoMethod
	}
	return err
}
