package method

import "time"

// NeedsNewPIN reports whether a user must choose a new PIN after a correct
// one: the PIN is temporary, or shorter than the policy's pinLength.
func NeedsNewPIN(p PIN, policy Policy) bool {
	return p.ForceChange || p.Length < policy.PINLength
}

// CodeByID returns the method's code with that id, or nil.
func (m *Method) CodeByID(id string) *QRCode {
	for _, c := range []*QRCode{m.Standard, m.Temporary} {
		if c != nil && c.ID == id {
			return c
		}
	}
	return nil
}

// Subject is the user a sign-in is for, as the sign-in rules see them.
type Subject struct {
	UserID  string
	Enabled bool     // the user's account is enabled
	Groups  []string // the ids of the user's groups
}

// Refusal is why the sign-in rules refuse a sign-in; Admitted when they
// do not.
type Refusal int

// The sign-in rules' answers.
const (
	Admitted        Refusal = iota
	CodeMissing             // the QR code is not the method's (deleted or replaced)
	CodeNotYetValid         // the QR code's start is still to come
	CodeExpired             // the QR code has expired
	UserDisabled            // the user's account is disabled
	PolicyDisabled          // the policy's state is disabled
	NotIncluded             // the policy's includeTargets do not name the user (nor a group of theirs, nor all_users)
	Excluded                // the policy's excludeTargets name the user or a group of theirs
)

// Admit applies the sign-in rules to a subject and the QR code c they
// signed in with (nil when the method no longer has it) at now: the code is
// active, the user enabled and in the policy's scope, checked in that order.
func Admit(s Subject, c *QRCode, p Policy, now time.Time) Refusal {
	switch {
	case c == nil:
		return CodeMissing
	case now.Before(c.Start):
		return CodeNotYetValid
	case !c.ActiveAt(now):
		return CodeExpired
	case !s.Enabled:
		return UserDisabled
	}
	return p.Scope(s.UserID, s.Groups)
}
