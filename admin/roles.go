package admin

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/store"
)

// DirectoryScopeRoot is the directoryScopeId of the whole tenant.
const DirectoryScopeRoot = "/"

// unitScopePrefix begins the directoryScopeId of an administrative unit:
// "/administrativeUnits/{id}".
const unitScopePrefix = "/administrativeUnits/"

// DirectoryScope returns the directoryScopeId of an assignment: "/" or
// "/administrativeUnits/{id}".
func DirectoryScope(a store.RoleAssignment) string {
	if a.UnitID == "" {
		return DirectoryScopeRoot
	}
	return unitScopePrefix + a.UnitID
}

// unitScopedRoles are the roles qrpin assigns over an administrative unit:
// the ones Entra allows at that scope whose rules qrpin applies per target
// user (auth.Target.Units).
var unitScopedRoles = []string{auth.AuthenticationAdministrator, auth.PrivilegedAuthenticationAdministrator, auth.UserAdministrator}

// ListRoleDefinitions returns the built-in directory roles qrpin knows
// (auth.Roles), in their stable order.
func (s *Service) ListRoleDefinitions(ctx context.Context, p auth.Principal) ([]auth.Role, error) {
	if err := auth.Authorize(p, auth.ReadRoles, auth.Target{}, s.Time()); err != nil {
		return nil, err
	}
	return slices.Clone(auth.Roles), nil
}

// GetRoleDefinition returns a built-in role by its id (its template id).
func (s *Service) GetRoleDefinition(ctx context.Context, p auth.Principal, id string) (auth.Role, error) {
	if err := auth.Authorize(p, auth.ReadRoles, auth.Target{}, s.Time()); err != nil {
		return auth.Role{}, err
	}
	r, ok := roleByID(id)
	if !ok {
		return auth.Role{}, errResourceNotFound(id)
	}
	return r, nil
}

// roleNames names role template ids for a message: "A, B or C".
func roleNames(ids []string) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = id
		if r, ok := roleByID(id); ok {
			names[i] = r.DisplayName
		}
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// roleByID finds a built-in role by template id (case-insensitive), not by name.
func roleByID(id string) (auth.Role, bool) {
	for _, r := range auth.Roles {
		if strings.EqualFold(r.ID, strings.TrimSpace(id)) {
			return r, true
		}
	}
	return auth.Role{}, false
}

// RoleAssignmentInput is the body of a role assignment create; nil fields
// were not sent.
type RoleAssignmentInput struct {
	PrincipalID      *string
	RoleDefinitionID *string
	DirectoryScopeID *string
}

// RoleAssignmentFilter selects role assignments; an empty field matches
// every value.
type RoleAssignmentFilter struct {
	PrincipalID      string
	RoleDefinitionID string
	DirectoryScopeID string // "/" or "/administrativeUnits/{id}"
}

// CreateRoleAssignment gives a user a built-in directory role over the
// whole tenant (directoryScopeId "/") or over one administrative unit
// ("/administrativeUnits/{id}": Authentication Administrator, Privileged
// Authentication Administrator or User Administrator only). The user's
// tokens issued from then on carry a tenant-wide role in wids; tokens of
// trusted external issuers carry it at once (their roles are read on
// every request). A scoped role is never in a token: it is read on every
// request, so it applies at once.
func (s *Service) CreateRoleAssignment(ctx context.Context, p auth.Principal, in RoleAssignmentInput) (_ store.RoleAssignment, err error) {
	chg := &change{category: CategoryRole, activity: "Add member to role", op: OpAssign}
	defer s.audit(ctx, p, &err, chg)
	chg.targets = []store.AuditTarget{{ID: deref(in.PrincipalID), Type: "User"}, {ID: deref(in.RoleDefinitionID), Type: "Role"}}
	if err := auth.Authorize(p, auth.WriteRoles, auth.Target{}, s.Time()); err != nil {
		return store.RoleAssignment{}, err
	}
	for _, f := range []struct {
		name string
		v    *string
	}{{"principalId", in.PrincipalID}, {"roleDefinitionId", in.RoleDefinitionID}, {"directoryScopeId", in.DirectoryScopeID}} {
		if f.v == nil || strings.TrimSpace(*f.v) == "" {
			return store.RoleAssignment{}, apperr.New(apperr.Invalid, "Request_BadRequest",
				"The properties principalId, roleDefinitionId and directoryScopeId are required to create a role assignment; %s is missing.", f.name)
		}
	}
	scope := strings.TrimSpace(*in.DirectoryScopeID)
	var unitID string
	switch {
	case scope == DirectoryScopeRoot:
	case len(scope) > len(unitScopePrefix) && strings.EqualFold(scope[:len(unitScopePrefix)], unitScopePrefix):
		unitID = strings.ToLower(scope[len(unitScopePrefix):])
	default:
		return store.RoleAssignment{}, apperr.New(apperr.Invalid, "Request_BadRequest",
			"directoryScopeId '%s' is not supported: qrpin assigns roles over the whole tenant ('/') or an administrative unit ('/administrativeUnits/{id}').", scope)
	}
	principalID := strings.ToLower(strings.TrimSpace(*in.PrincipalID))
	if _, err := uuid.Parse(principalID); err != nil {
		return store.RoleAssignment{}, apperr.New(apperr.Invalid, "Request_BadRequest", "Invalid object identifier '%s'.", *in.PrincipalID)
	}
	role, ok := roleByID(*in.RoleDefinitionID)
	if !ok {
		return store.RoleAssignment{}, errResourceNotFound(*in.RoleDefinitionID)
	}
	if unitID != "" {
		if !slices.Contains(unitScopedRoles, role.ID) {
			return store.RoleAssignment{}, apperr.New(apperr.Invalid, "Request_BadRequest",
				"The role '%s' cannot be assigned over an administrative unit: qrpin scopes only %s to one.",
				role.DisplayName, roleNames(unitScopedRoles))
		}
		u, err := s.Store.GetUnit(ctx, unitID)
		if err != nil {
			return store.RoleAssignment{}, resourceErr(err, unitID)
		}
		chg.targets = append(chg.targets, unitTarget(u))
	}
	if _, err := s.Store.GetUser(ctx, principalID); err != nil {
		return store.RoleAssignment{}, resourceErr(err, principalID)
	}
	a := store.RoleAssignment{ID: newID(), PrincipalID: principalID, RoleDefinitionID: role.ID, UnitID: unitID}
	// The store checks the unit again, in the insert's transaction: a unit
	// deleted since GetUnit is a missing unit, not an orphan assignment.
	switch err := s.Store.CreateRoleAssignment(ctx, a); {
	case errors.Is(err, store.ErrConflict):
		return store.RoleAssignment{}, apperr.New(apperr.Invalid, "Request_BadRequest",
			"A conflicting object with one or more of the specified property values is present in the directory.")
	case errors.Is(err, store.ErrNotFound) && unitID != "":
		return store.RoleAssignment{}, resourceErr(err, unitID)
	case err != nil:
		return store.RoleAssignment{}, err
	}
	return a, nil
}

// ListRoleAssignments returns up to limit role assignments matching f with
// ID > after, ordered by ID.
func (s *Service) ListRoleAssignments(ctx context.Context, p auth.Principal, f RoleAssignmentFilter, after string, limit int) ([]store.RoleAssignment, error) {
	if err := auth.Authorize(p, auth.ReadRoles, auth.Target{}, s.Time()); err != nil {
		return nil, err
	}
	all, err := s.Store.ListRoleAssignments(ctx, strings.ToLower(f.PrincipalID))
	if err != nil {
		return nil, err
	}
	slices.SortFunc(all, func(a, b store.RoleAssignment) int { return strings.Compare(a.ID, b.ID) })
	out := []store.RoleAssignment{}
	for _, a := range all {
		if a.ID <= after || f.RoleDefinitionID != "" && !strings.EqualFold(a.RoleDefinitionID, f.RoleDefinitionID) ||
			f.DirectoryScopeID != "" && !strings.EqualFold(DirectoryScope(a), strings.TrimSpace(f.DirectoryScopeID)) {
			continue
		}
		if limit > 0 && len(out) == limit {
			break
		}
		out = append(out, a)
	}
	return out, nil
}

// GetRoleAssignment returns a role assignment by id.
func (s *Service) GetRoleAssignment(ctx context.Context, p auth.Principal, id string) (store.RoleAssignment, error) {
	if err := auth.Authorize(p, auth.ReadRoles, auth.Target{}, s.Time()); err != nil {
		return store.RoleAssignment{}, err
	}
	all, err := s.Store.ListRoleAssignments(ctx, "")
	if err != nil {
		return store.RoleAssignment{}, err
	}
	for _, a := range all {
		if a.ID == id {
			return a, nil
		}
	}
	return store.RoleAssignment{}, errResourceNotFound(id)
}

// DeleteRoleAssignment takes a role away. Tokens already issued keep the
// role in wids until they expire; external issuers' tokens lose it at once.
func (s *Service) DeleteRoleAssignment(ctx context.Context, p auth.Principal, id string) (err error) {
	chg := &change{category: CategoryRole, activity: "Remove member from role", op: OpUnassign}
	defer s.audit(ctx, p, &err, chg)
	chg.targets = []store.AuditTarget{{ID: id, Type: "RoleAssignment"}}
	if err := auth.Authorize(p, auth.WriteRoles, auth.Target{}, s.Time()); err != nil {
		return err
	}
	return resourceErr(s.Store.DeleteRoleAssignment(ctx, id), id)
}
