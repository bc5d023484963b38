package admin

import (
	"context"
	"errors"
	"strings"

	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
)

// PolicyPatch holds the policy fields a PATCH sets; nil fields stay.
type PolicyPatch struct {
	State                *string
	PINLength            *int
	StandardLifetimeDays *int
	Include              *[]method.Target
	Exclude              *[]method.Target
}

// GetPolicy returns the tenant's QR code + PIN policy.
func (s *Service) GetPolicy(ctx context.Context, p auth.Principal) (method.Policy, error) {
	if err := auth.Authorize(p, auth.ReadPolicy, auth.Target{}, s.Time()); err != nil {
		return method.Policy{}, err
	}
	return s.Store.GetPolicy(ctx)
}

// UpdatePolicy changes the fields of the policy that the patch read
// returns sets. Targets must name all_users, an existing group or an
// existing user. The caller is authorized before read is called, so one
// who may not change the policy gets 403 whatever the request body holds,
// and learns nothing from its validation.
func (s *Service) UpdatePolicy(ctx context.Context, p auth.Principal, read func() (PolicyPatch, error)) (_ method.Policy, err error) {
	chg := &change{category: CategoryPolicy, activity: "Update authentication methods policy", op: OpUpdate}
	defer s.audit(ctx, p, &err, chg)
	chg.targets = []store.AuditTarget{{ID: "qrCodePin", Type: "Policy", DisplayName: "QR code + PIN"}}
	if err := auth.Authorize(p, auth.WritePolicy, auth.Target{}, s.Time()); err != nil {
		return method.Policy{}, err
	}
	patch, err := read()
	if err != nil {
		return method.Policy{}, err
	}
	for _, set := range []*[]method.Target{patch.Include, patch.Exclude} {
		if set == nil {
			continue
		}
		for i, t := range *set {
			if t.TargetType == method.TargetGroup || t.TargetType == method.TargetUser {
				// Object ids are GUIDs, stored lower-case: match them as lookups do.
				t.ID = strings.ToLower(t.ID)
				(*set)[i].ID = t.ID
			}
			if err := s.checkTarget(ctx, t); err != nil {
				return method.Policy{}, err
			}
		}
	}
	pol, err := s.Store.UpdatePolicy(ctx, func(pol *method.Policy) error {
		if patch.State != nil {
			pol.State = *patch.State
		}
		if patch.PINLength != nil {
			pol.PINLength = *patch.PINLength
		}
		if patch.StandardLifetimeDays != nil {
			pol.StandardLifetimeDays = *patch.StandardLifetimeDays
		}
		if patch.Include != nil {
			pol.Include = *patch.Include
		}
		if patch.Exclude != nil {
			pol.Exclude = *patch.Exclude
		}
		return pol.Validate()
	})
	return pol, err
}

func (s *Service) checkTarget(ctx context.Context, t method.Target) error {
	if t.ID == method.AllUsers || t.ID == "" {
		return nil // Validate reports a missing id
	}
	var err error
	switch t.TargetType {
	case method.TargetGroup:
		_, err = s.Store.GetGroup(ctx, t.ID)
	case method.TargetUser:
		_, err = s.Store.GetUser(ctx, t.ID)
	default:
		return nil // Validate reports the bad type
	}
	if errors.Is(err, store.ErrNotFound) {
		return apperr.BadRequest("The target %s '%s' does not exist.", t.TargetType, t.ID)
	}
	return err
}

// DeletePolicy restores the default policy.
func (s *Service) DeletePolicy(ctx context.Context, p auth.Principal) (err error) {
	chg := &change{category: CategoryPolicy, activity: "Reset authentication methods policy", op: OpUpdate}
	defer s.audit(ctx, p, &err, chg)
	chg.targets = []store.AuditTarget{{ID: "qrCodePin", Type: "Policy", DisplayName: "QR code + PIN"}}
	if err := auth.Authorize(p, auth.WritePolicy, auth.Target{}, s.Time()); err != nil {
		return err
	}
	return s.Store.DeletePolicy(ctx)
}
