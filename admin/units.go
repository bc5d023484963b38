package admin

import (
	"context"
	"errors"
	"strings"

	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/store"
)

// CategoryUnit is the directory audit category of administrative unit changes.
const CategoryUnit = "AdministrativeUnit"

// VisibilityHidden is the administrative unit visibility that hides its
// members from callers who are neither members nor directory readers.
const VisibilityHidden = "HiddenMembership"

// visibilityPublic is Graph's name for the default visibility, stored as
// "" and answered as null, as Graph answers a unit created without one.
const visibilityPublic = "Public"

// UnitInput is the body of an administrative unit create or update; nil
// fields were not sent. A Visibility of "" (JSON null) or "Public" (any
// case) is public.
type UnitInput struct {
	DisplayName *string
	Description *string
	Visibility  *string
}

func unitTarget(u store.AdministrativeUnit) store.AuditTarget {
	return store.AuditTarget{ID: u.ID, Type: "AdministrativeUnit", DisplayName: u.DisplayName}
}

// apply sets the fields in sends on u and checks the result.
func (in UnitInput) apply(u *store.AdministrativeUnit) error {
	if in.DisplayName != nil {
		u.DisplayName = strings.TrimSpace(*in.DisplayName)
	}
	if in.Description != nil {
		u.Description = *in.Description
	}
	if in.Visibility != nil {
		u.Visibility = *in.Visibility
	}
	if u.DisplayName == "" || len(u.DisplayName) > 256 || !plainText(u.DisplayName) {
		return errInvalidUnit("displayName")
	}
	if len(u.Description) > 1024 || !plainText(u.Description) {
		return errInvalidUnit("description")
	}
	switch {
	case u.Visibility == "":
	case strings.EqualFold(u.Visibility, visibilityPublic):
		u.Visibility = ""
	case strings.EqualFold(u.Visibility, VisibilityHidden):
		u.Visibility = VisibilityHidden
	default:
		return errInvalidUnit("visibility")
	}
	return nil
}

func errInvalidUnit(prop string) error {
	return apperr.New(apperr.Invalid, "Request_BadRequest",
		"Invalid value specified for property '%s' of resource 'AdministrativeUnit'.", prop)
}

// CreateUnit adds an administrative unit.
func (s *Service) CreateUnit(ctx context.Context, p auth.Principal, in UnitInput) (_ store.AdministrativeUnit, err error) {
	chg := &change{category: CategoryUnit, activity: "Add administrative unit", op: OpAdd}
	defer s.audit(ctx, p, &err, chg)
	if err := auth.Authorize(p, auth.WriteUnits, auth.Target{}, s.Time()); err != nil {
		return store.AdministrativeUnit{}, err
	}
	u := store.AdministrativeUnit{ID: newID(), Created: s.Time()}
	if err := in.apply(&u); err != nil {
		return store.AdministrativeUnit{}, err
	}
	chg.targets = []store.AuditTarget{unitTarget(u)}
	return u, s.Store.CreateUnit(ctx, u)
}

// GetUnit returns an administrative unit.
func (s *Service) GetUnit(ctx context.Context, p auth.Principal, id string) (store.AdministrativeUnit, error) {
	if err := auth.Authorize(p, auth.ReadUnits, auth.Target{}, s.Time()); err != nil {
		return store.AdministrativeUnit{}, err
	}
	return s.unit(ctx, id)
}

func (s *Service) unit(ctx context.Context, id string) (store.AdministrativeUnit, error) {
	u, err := s.Store.GetUnit(ctx, strings.ToLower(id))
	return u, resourceErr(err, id)
}

// ListUnits returns a page of administrative units ordered by id, after
// the given id.
func (s *Service) ListUnits(ctx context.Context, p auth.Principal, after string, limit int) ([]store.AdministrativeUnit, error) {
	if err := auth.Authorize(p, auth.ReadUnits, auth.Target{}, s.Time()); err != nil {
		return nil, err
	}
	return s.Store.ListUnits(ctx, after, limit)
}

// UpdateUnit changes an administrative unit's displayName, description or
// visibility.
func (s *Service) UpdateUnit(ctx context.Context, p auth.Principal, id string, in UnitInput) (err error) {
	chg := &change{category: CategoryUnit, activity: "Update administrative unit", op: OpUpdate}
	defer s.audit(ctx, p, &err, chg)
	if err := auth.Authorize(p, auth.WriteUnits, auth.Target{}, s.Time()); err != nil {
		return err
	}
	u, err := s.Store.UpdateUnit(ctx, strings.ToLower(id), in.apply)
	if err != nil {
		return resourceErr(err, id)
	}
	chg.targets = []store.AuditTarget{unitTarget(u)}
	return nil
}

// DeleteUnit deletes an administrative unit, its memberships and the role
// assignments scoped to it (its scoped administrators lose the role at
// once: scoped roles are read on every request).
func (s *Service) DeleteUnit(ctx context.Context, p auth.Principal, id string) (err error) {
	chg := &change{category: CategoryUnit, activity: "Delete administrative unit", op: OpDelete}
	defer s.audit(ctx, p, &err, chg)
	if err := auth.Authorize(p, auth.WriteUnits, auth.Target{}, s.Time()); err != nil {
		return err
	}
	chg.targets = []store.AuditTarget{{ID: strings.ToLower(id), Type: "AdministrativeUnit"}}
	return resourceErr(s.Store.DeleteUnit(ctx, strings.ToLower(id)), id)
}

// AddUnitMember adds a user or a group (by object id) to an administrative
// unit. A group's members do not become the unit's: a role scoped to the
// unit manages the users added directly, as in Entra.
func (s *Service) AddUnitMember(ctx context.Context, p auth.Principal, unitID, memberID string) (err error) {
	chg := &change{category: CategoryUnit, activity: "Add member to administrative unit", op: OpAdd}
	defer s.audit(ctx, p, &err, chg)
	u, memberID, err := s.memberChange(ctx, p, chg, unitID, memberID)
	if err != nil {
		return err
	}
	err = s.Store.AddUnitMember(ctx, u.ID, memberID)
	if errors.Is(err, store.ErrConflict) {
		return apperr.New(apperr.Invalid, "Request_BadRequest",
			"One or more added object references already exist for the following modified properties: 'members'.")
	}
	return resourceErr(err, memberID)
}

// memberTarget names a user or group for the audit log (its id alone when
// it is neither).
func (s *Service) memberTarget(ctx context.Context, id string) store.AuditTarget {
	if u, err := s.Store.GetUser(ctx, id); err == nil {
		return userTarget(u)[0]
	}
	if g, err := s.Store.GetGroup(ctx, id); err == nil {
		return groupTarget(g)
	}
	return store.AuditTarget{ID: id, Type: "DirectoryObject"}
}

// RemoveUnitMember removes a user or a group from an administrative unit.
func (s *Service) RemoveUnitMember(ctx context.Context, p auth.Principal, unitID, memberID string) (err error) {
	chg := &change{category: CategoryUnit, activity: "Remove member from administrative unit", op: OpDelete}
	defer s.audit(ctx, p, &err, chg)
	u, memberID, err := s.memberChange(ctx, p, chg, unitID, memberID)
	if err != nil {
		return err
	}
	return resourceErr(s.Store.RemoveUnitMember(ctx, u.ID, memberID), memberID)
}

// memberChange authorizes a change of a unit's members, reads the unit and
// names it and the member (its id lowercased, returned) in chg's targets.
func (s *Service) memberChange(ctx context.Context, p auth.Principal, chg *change, unitID, memberID string) (store.AdministrativeUnit, string, error) {
	if err := auth.Authorize(p, auth.WriteUnits, auth.Target{}, s.Time()); err != nil {
		return store.AdministrativeUnit{}, "", err
	}
	u, err := s.unit(ctx, unitID)
	if err != nil {
		return store.AdministrativeUnit{}, "", err
	}
	memberID = strings.ToLower(memberID)
	chg.targets = []store.AuditTarget{unitTarget(u), s.memberTarget(ctx, memberID)}
	return u, memberID, nil
}

// unitReaders are the tenant-wide roles that see the members of a unit
// whose membership is hidden.
var unitReaders = []string{auth.GlobalAdministrator, auth.GlobalReader, auth.PrivilegedRoleAdministrator}

// ListUnitMembers returns a page of a unit's members (users and groups)
// ordered by id. A unit with HiddenMembership shows its members only to
// callers who also hold Member.Read.Hidden (Graph's rule): applications,
// and users who are the unit's own members or Global Administrators,
// Global Readers or Privileged Role Administrators.
func (s *Service) ListUnitMembers(ctx context.Context, p auth.Principal, unitID, after string, limit int) ([]store.UnitMember, error) {
	if err := auth.Authorize(p, auth.ReadUnits, auth.Target{}, s.Time()); err != nil {
		return nil, err
	}
	u, err := s.unit(ctx, unitID)
	if err != nil {
		return nil, err
	}
	if u.Visibility != VisibilityHidden {
		return s.Store.ListUnitMembers(ctx, u.ID, after, limit)
	}
	if err := auth.Authorize(p, auth.ReadHiddenUnitMembers, auth.Target{}, s.Time()); err != nil {
		return nil, err
	}
	if p.Kind == auth.Delegated && !holdsAny(p.DirectoryRoles, unitReaders) {
		units, err := s.Store.UserUnitIDs(ctx, p.ObjectID)
		if err != nil {
			return nil, err
		}
		if !containsFold(units, u.ID) {
			return nil, apperr.AccessDenied("The administrative unit's membership is hidden: only its members and directory administrators may list it.")
		}
	}
	return s.Store.ListUnitMembers(ctx, u.ID, after, limit)
}

// holdsAny reports whether have holds any of want, ignoring case.
func holdsAny(have, want []string) bool {
	for _, w := range want {
		if containsFold(have, w) {
			return true
		}
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// SearchManagedUsers returns up to limit users (ordered by id, with ID >
// after) whose QR code + PIN method p may manage and whose displayName or
// userPrincipalName begins with query (ASCII letters in any case) or whose
// employeeId does (exactly); an empty query matches everyone. A caller
// who may change the method of any user (a tenant-wide Authentication
// Administrator, Privileged Authentication Administrator or Global
// Administrator, or an application with the permission) searches every
// user; a caller whose role is scoped to administrative units searches
// their direct members; anyone else is refused. Each action on a user
// found is still authorized on its own (an Authentication Administrator
// finds administrators too, but cannot change their methods).
func (s *Service) SearchManagedUsers(ctx context.Context, p auth.Principal, query, after string, limit int) ([]store.User, error) {
	if limit <= 0 || limit > MaxPageSize {
		limit = MaxPageSize
	}
	q := store.UserSearch{Prefix: strings.TrimSpace(query)}
	denied := auth.Authorize(p, auth.WriteMethod, auth.Target{}, s.Time())
	if denied != nil {
		p, err := s.scoped(ctx, p)
		if err != nil {
			return nil, err
		}
		q.Scoped = true
		for _, sr := range p.ScopedRoles {
			if auth.Authorize(p, auth.WriteMethod, auth.Target{Units: []string{sr.UnitID}}, s.Time()) == nil &&
				!containsFold(q.UnitIDs, sr.UnitID) {
				q.UnitIDs = append(q.UnitIDs, sr.UnitID)
			}
		}
		if len(q.UnitIDs) == 0 {
			return nil, denied
		}
	}
	return s.Store.SearchUsers(ctx, q, after, limit)
}
