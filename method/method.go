// Package method holds the rules of the QR code + PIN authentication method:
// the shape of a user's method, QR code lifetimes, what counts as active, the
// one-active-code-per-kind rule, PIN lockout and the tenant policy. Everything
// here is a pure function over plain Go values: no I/O, no clock of its own.
package method

import (
	"slices"
	"time"

	"github.com/qrpin/qrpin/apperr"
)

// Kind names one of the two QR codes a method can hold.
type Kind string

// The two kinds of QR code.
const (
	Standard  Kind = "standardQRCode"
	Temporary Kind = "temporaryQRCode"
)

// Lifetime limits (spec 2.2).
const (
	MinStandardLifetime  = 24 * time.Hour
	MaxStandardLifetime  = 395 * 24 * time.Hour
	MinTemporaryLifetime = time.Hour
	MaxTemporaryLifetime = 12 * time.Hour
)

// The dates qrpin accepts and answers (spec D8). Every date a client sends
// and every date qrpin derives from one (an expiry from a start and a
// lifetime) must lie between MinDate and MaxDate, so every answer formats
// as RFC 3339 with a four-digit year and is accepted when sent back. Dates
// before the Unix epoch mean nothing here (qrpin holds none, and year 1 is
// the "never" of lastUsedDateTime).
var (
	MinDate = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	MaxDate = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
)

// CheckDate returns a 400 naming the property field when t lies outside
// MinDate to MaxDate.
func CheckDate(field string, t time.Time) error {
	if t.Before(MinDate) || t.After(MaxDate) {
		return apperr.BadRequest("Invalid value for property '%s': %s is outside the dates accepted, %s to %s.",
			field, t.UTC().Format(time.RFC3339Nano), MinDate.Format(time.RFC3339), MaxDate.Format(time.RFC3339))
	}
	return nil
}

// QRCode is a standard or temporary QR code. The secret it encodes is never
// kept: only Verifier, from which the secret cannot be recovered.
type QRCode struct {
	ID       string
	Kind     Kind
	Start    time.Time
	Expire   time.Time
	Created  time.Time
	LastUsed time.Time // zero when never used
	Verifier []byte
}

// ActiveAt reports whether the code can be used to sign in at now.
func (c *QRCode) ActiveAt(now time.Time) bool {
	return c != nil && !now.Before(c.Start) && now.Before(c.Expire)
}

// Live reports whether the code has not yet expired at now (it is active or
// will become active). A live code blocks creating another of its kind.
func (c *QRCode) Live(now time.Time) bool {
	return c != nil && now.Before(c.Expire)
}

// PIN is the stored state of a method's PIN. Hash is an Argon2id hash keyed
// with the server's pepper; the PIN itself is never stored.
type PIN struct {
	Hash        string
	Length      int // digits in the current PIN, to detect a raised policy pinLength
	ForceChange bool
	Created     time.Time
	Updated     time.Time
}

// Method is a user's QR code + PIN authentication method.
type Method struct {
	ID        string
	UserID    string
	Created   time.Time
	Standard  *QRCode
	Temporary *QRCode
	PIN       PIN
	Lockout   Lockout
}

// ChangedSince reports whether the method was created, or its PIN set
// (reset or changed), after t: a sign-in at t no longer stands for the
// method, so what it opened (a refresh token, a single sign-on session, a
// staff page session) must end.
func (m *Method) ChangedSince(t time.Time) bool {
	return m.Created.After(t) || m.PIN.Created.After(t) || m.PIN.Updated.After(t)
}

// Code returns the method's code of the given kind, or nil.
func (m *Method) Code(kind Kind) *QRCode {
	if kind == Temporary {
		return m.Temporary
	}
	return m.Standard
}

// Clone returns a copy of m that shares no memory with it: changing the
// copy's codes leaves m's as they were.
func (m Method) Clone() Method {
	for _, c := range []**QRCode{&m.Standard, &m.Temporary} {
		if *c != nil {
			cc := **c
			cc.Verifier = slices.Clone(cc.Verifier)
			*c = &cc
		}
	}
	return m
}

// SetCode replaces (or, with nil, removes) the code of the given kind.
func (m *Method) SetCode(kind Kind, c *QRCode) {
	if kind == Temporary {
		m.Temporary = c
	} else {
		m.Standard = c
	}
}

// ValidateLifetime checks a new code's start and expiry against the limits
// of its kind, and against MinDate and MaxDate.
func ValidateLifetime(kind Kind, start, expire time.Time) error {
	if err := CheckDate("startDateTime", start); err != nil {
		return err
	}
	if err := CheckDate("expireDateTime", expire); err != nil {
		return err
	}
	life := expire.Sub(start)
	if kind == Temporary {
		if life > MaxTemporaryLifetime {
			return apperr.New(apperr.Invalid, "qrCodeLifeTimeExceedLimit",
				"TemporaryQRCode lifetime exceeds the limit i.e. maximum 12 hours.")
		}
		if life < MinTemporaryLifetime {
			return apperr.New(apperr.Invalid, "qrCodeLifeTimeExceedLimit",
				"TemporaryQRCode lifetime must be at least 1 hour (expireDateTime at least 1 hour after startDateTime).")
		}
		return nil
	}
	if life > MaxStandardLifetime {
		return apperr.New(apperr.Invalid, "qrCodeLifeTimeExceedLimit",
			"StandardQRCode lifetime exceeds the limit i.e. maximum 395 days after startDateTime.")
	}
	if life < MinStandardLifetime {
		return apperr.New(apperr.Invalid, "qrCodeLifeTimeExceedLimit",
			"StandardQRCode lifetime must be at least 1 day (expireDateTime at least 1 day after startDateTime).")
	}
	return nil
}

// ErrActiveCode returns the documented error for creating a code while a
// live code of that kind exists.
func ErrActiveCode(kind Kind) error {
	return apperr.New(apperr.Invalid, "ActiveQRCodeExisted",
		"An active %s exists for QR code auth method. Please delete existing %s before creating a new one.", kind, kind)
}

// AddCode puts c into m as the code of its kind, unless a live code of that
// kind exists at now. An expired code is replaced.
func (m *Method) AddCode(c *QRCode, now time.Time) error {
	if m.Code(c.Kind).Live(now) {
		return ErrActiveCode(c.Kind)
	}
	if err := ValidateLifetime(c.Kind, c.Start, c.Expire); err != nil {
		return err
	}
	m.SetCode(c.Kind, c)
	return nil
}

// ExtendStandard moves the live standard code's expiry. start, when not
// zero, must equal the stored start (a different start means the caller
// tries to create a new code while one is live).
func (m *Method) ExtendStandard(start, expire, now time.Time) error {
	c := m.Standard
	if !c.Live(now) {
		return apperr.New(apperr.NotFound, "itemNotFound", "The method has no active standardQRCode.")
	}
	if !start.IsZero() && !start.Equal(c.Start) {
		return ErrActiveCode(Standard)
	}
	if err := ValidateLifetime(Standard, c.Start, expire); err != nil {
		return err
	}
	c.Expire = expire
	return nil
}
