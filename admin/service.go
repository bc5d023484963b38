// Package admin is qrpin's management service: every operation the Graph
// API offers (users, groups, the QR code + PIN method, the tenant policy),
// each one authorized for its caller and carried out in one store
// transaction. HTTP handlers call exactly one function of it.
package admin

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/pinflow"
	"github.com/qrpin/qrpin/store"
)

// Service carries out management operations.
type Service struct {
	// Config is the store, hasher, pepper, tenant, lockout and clock,
	// shared with the sign-in service.
	pinflow.Config

	// AppCheckTTL is how long Authenticate trusts that an application
	// caller's application still exists once the store said so (zero: the
	// store is read on every request). Deleting an application through
	// this Service forgets it at once; a deletion by another process takes
	// effect here within AppCheckTTL.
	AppCheckTTL time.Duration

	apps appChecks
}

// UserRef names the user a request is about: the caller (/me) or a user by
// object id or userPrincipalName.
type UserRef struct {
	Me  bool
	Key string
}

// Authenticate returns the caller a verified token names. A delegated
// caller must still exist and be enabled (read from the store on every
// request); an application caller's application must still exist (read
// from the store at most once per AppCheckTTL: a deleted application's
// tokens stop working within it, at once when deleted through this
// Service).
func (s *Service) Authenticate(ctx context.Context, p auth.Principal) (auth.Principal, error) {
	if p.Kind == auth.Application {
		return p, s.authenticateApplication(ctx, p)
	}
	if p.Kind != auth.Delegated {
		return p, nil
	}
	u, err := s.Store.GetUser(ctx, p.ObjectID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !u.AccountEnabled) {
		return p, apperr.New(apperr.Unauthenticated, "InvalidAuthenticationToken",
			"The user named by the access token does not exist or is disabled.")
	}
	return p, err
}

// target resolves ref and authorizes action a on that user. A caller who
// could not do a to any other user learns nothing about whether the user
// exists: they get 403, not 404. When a is refused on a user found, the
// user is returned with the error (for the audit log alone: callers must
// not show it).
func (s *Service) target(ctx context.Context, p auth.Principal, ref UserRef, a auth.Action) (store.User, error) {
	if ref.Me && p.Kind != auth.Delegated {
		return store.User{}, auth.Authorize(p, a, auth.Target{Me: true}, s.Time())
	}
	key := ref.Key
	if ref.Me {
		key = p.ObjectID
	}
	u, err := s.lookupUser(ctx, key)
	if err != nil {
		if aerr := auth.Authorize(p, a, auth.Target{}, s.Time()); aerr != nil {
			return store.User{}, aerr
		}
		return store.User{}, err
	}
	t := auth.Target{Me: ref.Me, Self: p.Kind == auth.Delegated && p.ObjectID == u.ID}
	if p, err = s.scoped(ctx, p); err != nil {
		return store.User{}, err
	}
	if len(p.ScopedRoles) > 0 {
		if t.Units, err = s.Store.UserUnitIDs(ctx, u.ID); err != nil {
			return store.User{}, err
		}
	}
	if auth.NeedsTargetRoles(p, a, t.Self || t.Me) {
		tenant, scoped, err := s.roles(ctx, u.ID)
		if err != nil {
			return store.User{}, err
		}
		t.Roles = tenant // the target's roles of any scope make them an administrator
		for _, sr := range scoped {
			t.Roles = append(t.Roles, sr.RoleID)
		}
	}
	// A refusal still names the user, for the audit of the refused change
	// (the caller is shown the error only).
	return u, auth.Authorize(p, a, t, s.Time())
}

// scoped returns p with its roles over administrative units, which tokens
// never carry, read from the store. Only delegated callers hold them.
func (s *Service) scoped(ctx context.Context, p auth.Principal) (auth.Principal, error) {
	if p.Kind != auth.Delegated || p.ScopedRoles != nil {
		return p, nil
	}
	_, scoped, err := s.roles(ctx, p.ObjectID)
	p.ScopedRoles = scoped
	return p, err
}

// lookupUser finds a user by object id or userPrincipalName.
func (s *Service) lookupUser(ctx context.Context, key string) (store.User, error) {
	var u store.User
	var err error
	if strings.Contains(key, "@") {
		u, err = s.Store.GetUserByUPN(ctx, key)
	} else {
		u, err = s.Store.GetUser(ctx, strings.ToLower(key))
	}
	return u, resourceErr(err, key)
}

// roles reads a principal's role assignments: the role ids held over the
// whole tenant (a token's wids), and the roles scoped to administrative
// units.
func (s *Service) roles(ctx context.Context, principalID string) (tenant []string, scoped []auth.ScopedRole, err error) {
	as, err := s.Store.ListRoleAssignments(ctx, principalID)
	if err != nil {
		return nil, nil, err
	}
	tenant = []string{}
	for _, a := range as {
		if a.UnitID == "" {
			tenant = append(tenant, a.RoleDefinitionID)
		} else {
			scoped = append(scoped, auth.ScopedRole{RoleID: a.RoleDefinitionID, UnitID: a.UnitID})
		}
	}
	return tenant, scoped, nil
}

// errResourceNotFound is Graph's 404 for a user, group, application or
// other directory object that does not exist.
func errResourceNotFound(key string) error {
	return apperr.New(apperr.NotFound, "Request_ResourceNotFound",
		"Resource '%s' does not exist or one of its queried reference-property objects are not present.", key)
}

// resourceErr is err of a store call on the directory object key names:
// store.ErrNotFound becomes errResourceNotFound(key) (Graph answers the
// same for any directory object); any other error, nil included, is
// returned as it is, for the edge to classify.
func resourceErr(err error, key string) error {
	if errors.Is(err, store.ErrNotFound) {
		return errResourceNotFound(key)
	}
	return err
}

func newID() string { return uuid.NewString() }
