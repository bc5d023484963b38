package method

import (
	"slices"

	"github.com/qrpin/qrpin/apperr"
)

// Policy states.
const (
	Enabled  = "enabled"
	Disabled = "disabled"
)

// Target types, and the id that names every user.
const (
	TargetGroup = "group"
	TargetUser  = "user"
	AllUsers    = "all_users"
)

// Policy limits.
const (
	MinPINLength        = 8
	MaxPINLength        = 20
	MinStandardDays     = 1
	MaxStandardDays     = 395
	DefaultStandardDays = 365
)

// Target is an include or exclude target of the policy.
type Target struct {
	TargetType             string
	ID                     string
	IsRegistrationRequired bool // include targets only
}

// Policy is the tenant's QR code + PIN policy (id qrCodePin).
type Policy struct {
	State                string
	PINLength            int
	StandardLifetimeDays int
	Include              []Target
	Exclude              []Target
}

// DefaultPolicy returns the policy of spec D12.
func DefaultPolicy() Policy {
	return Policy{
		State:                Disabled,
		PINLength:            MinPINLength,
		StandardLifetimeDays: DefaultStandardDays,
		Include:              []Target{{TargetType: TargetGroup, ID: AllUsers}},
		Exclude:              []Target{},
	}
}

// Validate checks the policy's values (not whether its targets exist).
func (p Policy) Validate() error {
	if p.State != Enabled && p.State != Disabled {
		return apperr.BadRequest("Invalid value for property 'state': %q. Allowed values: enabled, disabled.", p.State)
	}
	if p.PINLength < MinPINLength || p.PINLength > MaxPINLength {
		return apperr.BadRequest("Invalid value for property 'pinLength': %d. It must be between %d and %d.", p.PINLength, MinPINLength, MaxPINLength)
	}
	if p.StandardLifetimeDays < MinStandardDays || p.StandardLifetimeDays > MaxStandardDays {
		return apperr.BadRequest("Invalid value for property 'standardQRCodeLifetimeInDays': %d. It must be between %d and %d.", p.StandardLifetimeDays, MinStandardDays, MaxStandardDays)
	}
	for _, set := range [][]Target{p.Include, p.Exclude} {
		for _, t := range set {
			if t.TargetType != TargetGroup && t.TargetType != TargetUser {
				return apperr.BadRequest("Invalid value for property 'targetType': %q. Allowed values: group, user.", t.TargetType)
			}
			if t.ID == "" {
				return apperr.BadRequest("Every target needs an 'id'.")
			}
		}
	}
	return nil
}

// InScope reports whether the policy lets a user sign in with the method: it
// is enabled, and the user is included (directly, through a group, or by
// all_users) and not excluded.
func (p Policy) InScope(userID string, groupIDs []string) bool {
	return p.Scope(userID, groupIDs) == Admitted
}

// Scope says why the policy does not let a user sign in with the method
// (PolicyDisabled, NotIncluded or Excluded, checked in that order), or
// Admitted when it does.
func (p Policy) Scope(userID string, groupIDs []string) Refusal {
	switch {
	case p.State != Enabled:
		return PolicyDisabled
	case !matches(p.Include, userID, groupIDs):
		return NotIncluded
	case matches(p.Exclude, userID, groupIDs):
		return Excluded
	}
	return Admitted
}

func matches(targets []Target, userID string, groupIDs []string) bool {
	for _, t := range targets {
		switch {
		case t.ID == AllUsers:
			return true
		case t.TargetType == TargetUser && t.ID == userID:
			return true
		case t.TargetType == TargetGroup && slices.Contains(groupIDs, t.ID):
			return true
		}
	}
	return false
}
