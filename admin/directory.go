package admin

import (
	"context"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/store"
)

// MaxPageSize is the largest page a list returns ($top).
const MaxPageSize = 999

// UserInput is the body of a user create or update; nil fields were not sent.
type UserInput struct {
	UPN            *string
	DisplayName    *string
	AccountEnabled *bool
	EmployeeID     *string // "" (or JSON null) clears it
}

// MaxEmployeeIDLength is the longest employeeId, in characters, as Graph
// documents it.
const MaxEmployeeIDLength = 16

// CreateUser adds a user. userPrincipalName and displayName are required;
// accountEnabled defaults to true.
func (s *Service) CreateUser(ctx context.Context, p auth.Principal, in UserInput) (_ store.User, err error) {
	chg := &change{category: CategoryUser, activity: "Add user", op: OpAdd}
	defer s.audit(ctx, p, &err, chg)
	if err := auth.Authorize(p, auth.WriteUsers, auth.Target{}, s.Time()); err != nil {
		return store.User{}, err
	}
	if in.UPN == nil || in.DisplayName == nil {
		return store.User{}, apperr.New(apperr.Invalid, "Request_BadRequest",
			"Properties userPrincipalName and displayName are required to create a user.")
	}
	u := store.User{ID: newID(), AccountEnabled: true, Created: s.Time()}
	apply(&u, in)
	if err := validUser(u); err != nil {
		return store.User{}, err
	}
	if err := s.Store.CreateUser(ctx, u); errors.Is(err, store.ErrConflict) {
		return store.User{}, errUPNInUse()
	} else if err != nil {
		return store.User{}, err
	}
	chg.targets = userTarget(u)
	return u, nil
}

func apply(u *store.User, in UserInput) {
	if in.UPN != nil {
		u.UPN = strings.TrimSpace(*in.UPN)
	}
	if in.DisplayName != nil {
		u.DisplayName = strings.TrimSpace(*in.DisplayName)
	}
	if in.AccountEnabled != nil {
		u.AccountEnabled = *in.AccountEnabled
	}
	if in.EmployeeID != nil {
		u.EmployeeID = strings.TrimSpace(*in.EmployeeID)
	}
}

// validUser checks a user's fields: a userPrincipalName (ValidUPN), a
// display name and an employee id of at most MaxEmployeeIDLength
// characters.
func validUser(u store.User) error {
	if !ValidUPN(u.UPN) {
		return apperr.New(apperr.Invalid, "Request_BadRequest",
			"Invalid value specified for property 'userPrincipalName' of resource 'User'.")
	}
	if u.DisplayName == "" || len(u.DisplayName) > 256 || !plainText(u.DisplayName) {
		return apperr.New(apperr.Invalid, "Request_BadRequest",
			"Invalid value specified for property 'displayName' of resource 'User'.")
	}
	if utf8.RuneCountInString(u.EmployeeID) > MaxEmployeeIDLength || !plainText(u.EmployeeID) {
		return apperr.New(apperr.Invalid, "Request_BadRequest",
			"Invalid value specified for property 'employeeId' of resource 'User': at most %d characters of text.", MaxEmployeeIDLength)
	}
	return nil
}

// ValidUPN reports whether upn passes the userPrincipalName rule, as Entra
// applies it (bulk provisioning checks files with it): at most 113
// characters, local@domain. The local part is made of letters, digits and
// ' . - _ ! # ^ ~, with no '.' first, last or twice in a row. The domain
// is labels of letters, digits and '-' joined by single dots, no label
// starting or ending with '-'. Only ASCII, so case folding is ASCII's.
func ValidUPN(upn string) bool {
	local, domain, ok := strings.Cut(upn, "@")
	if !ok || local == "" || domain == "" || len(upn) > 113 ||
		strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") ||
		strings.ContainsFunc(local, func(r rune) bool { return !isAlnum(r) && !strings.ContainsRune("'.-_!#^~", r) }) {
		return false
	}
	for _, label := range strings.Split(domain, ".") {
		if label == "" || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") ||
			strings.ContainsFunc(label, func(r rune) bool { return !isAlnum(r) && r != '-' }) {
			return false
		}
	}
	return true
}

// plainText reports whether s is valid UTF-8 without control characters
// (a NUL byte, for one, cannot be stored in PostgreSQL text).
func plainText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}

func isAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

func errUPNInUse() error {
	return apperr.New(apperr.Invalid, "Request_BadRequest",
		"Another object with the same value for property userPrincipalName already exists.")
}

// GetUser returns a user by object id or userPrincipalName, or the caller.
func (s *Service) GetUser(ctx context.Context, p auth.Principal, ref UserRef) (store.User, error) {
	u, err := s.target(ctx, p, ref, auth.ReadUsers)
	if err != nil {
		return store.User{}, err
	}
	return u, nil
}

// ListUsers returns a page of users ordered by id, after the given id.
func (s *Service) ListUsers(ctx context.Context, p auth.Principal, after string, limit int) ([]store.User, error) {
	if err := auth.Authorize(p, auth.ReadUsers, auth.Target{}, s.Time()); err != nil {
		return nil, err
	}
	return s.Store.ListUsers(ctx, after, limit)
}

// ListUsersByEmployeeID returns a page of the users with that employee id
// (compared exactly), ordered by id, after the given id.
func (s *Service) ListUsersByEmployeeID(ctx context.Context, p auth.Principal, employeeID, after string, limit int) ([]store.User, error) {
	if err := auth.Authorize(p, auth.ReadUsers, auth.Target{}, s.Time()); err != nil {
		return nil, err
	}
	return s.Store.ListUsersByEmployeeID(ctx, employeeID, after, limit)
}

// UpdateUser changes the fields of a user that in sets.
func (s *Service) UpdateUser(ctx context.Context, p auth.Principal, ref UserRef, in UserInput) (err error) {
	chg := &change{category: CategoryUser, activity: "Update user", op: OpUpdate}
	defer s.audit(ctx, p, &err, chg)
	u, err := s.target(ctx, p, ref, auth.WriteUsers)
	chg.targets = userTarget(u)
	if err != nil {
		return err
	}
	_, err = s.Store.UpdateUser(ctx, u.ID, func(u *store.User) error {
		apply(u, in)
		return validUser(*u)
	})
	if errors.Is(err, store.ErrConflict) {
		return errUPNInUse()
	}
	return resourceErr(err, u.ID)
}

// DeleteUser deletes a user with their method, memberships and roles. A
// user cannot delete themselves (so the last administrator cannot vanish
// by mistake).
func (s *Service) DeleteUser(ctx context.Context, p auth.Principal, ref UserRef) (err error) {
	chg := &change{category: CategoryUser, activity: "Delete user", op: OpDelete}
	defer s.audit(ctx, p, &err, chg)
	u, err := s.target(ctx, p, ref, auth.WriteUsers)
	chg.targets = userTarget(u)
	if err != nil {
		return err
	}
	if p.Kind == auth.Delegated && p.ObjectID == u.ID {
		return apperr.New(apperr.Invalid, "Request_BadRequest", "A user cannot delete their own account.")
	}
	return resourceErr(s.Store.DeleteUser(ctx, u.ID), u.ID)
}

// GroupInput is the body of a group create.
type GroupInput struct {
	DisplayName  string
	Description  string
	MailNickname string
}

// CreateGroup adds a group.
func (s *Service) CreateGroup(ctx context.Context, p auth.Principal, in GroupInput) (_ store.Group, err error) {
	chg := &change{category: CategoryGroup, activity: "Add group", op: OpAdd}
	defer s.audit(ctx, p, &err, chg)
	if err := auth.Authorize(p, auth.WriteGroups, auth.Target{}, s.Time()); err != nil {
		return store.Group{}, err
	}
	g := store.Group{ID: newID(), DisplayName: strings.TrimSpace(in.DisplayName), Description: in.Description,
		MailNickname: in.MailNickname, Created: s.Time()}
	if g.DisplayName == "" || len(g.DisplayName) > 256 || !plainText(g.DisplayName) {
		return store.Group{}, apperr.New(apperr.Invalid, "Request_BadRequest",
			"Invalid value specified for property 'displayName' of resource 'Group'.")
	}
	if len(g.Description) > 1024 || !plainText(g.Description) || len(g.MailNickname) > 64 || !plainText(g.MailNickname) {
		return store.Group{}, apperr.New(apperr.Invalid, "Request_BadRequest",
			"Invalid value specified for property 'description' or 'mailNickname' of resource 'Group'.")
	}
	chg.targets = []store.AuditTarget{groupTarget(g)}
	return g, s.Store.CreateGroup(ctx, g)
}

// GetGroup returns a group.
func (s *Service) GetGroup(ctx context.Context, p auth.Principal, id string) (store.Group, error) {
	if err := auth.Authorize(p, auth.ReadGroups, auth.Target{}, s.Time()); err != nil {
		return store.Group{}, err
	}
	return s.group(ctx, id)
}

func (s *Service) group(ctx context.Context, id string) (store.Group, error) {
	g, err := s.Store.GetGroup(ctx, strings.ToLower(id))
	return g, resourceErr(err, id)
}

// ListGroups returns a page of groups ordered by id, after the given id.
func (s *Service) ListGroups(ctx context.Context, p auth.Principal, after string, limit int) ([]store.Group, error) {
	if err := auth.Authorize(p, auth.ReadGroups, auth.Target{}, s.Time()); err != nil {
		return nil, err
	}
	return s.Store.ListGroups(ctx, after, limit)
}

// DeleteGroup deletes a group and its memberships.
func (s *Service) DeleteGroup(ctx context.Context, p auth.Principal, id string) (err error) {
	chg := &change{category: CategoryGroup, activity: "Delete group", op: OpDelete}
	defer s.audit(ctx, p, &err, chg)
	if err := auth.Authorize(p, auth.WriteGroups, auth.Target{}, s.Time()); err != nil {
		return err
	}
	chg.targets = []store.AuditTarget{{ID: strings.ToLower(id), Type: "Group"}}
	return resourceErr(s.Store.DeleteGroup(ctx, strings.ToLower(id)), id)
}

// AddMember adds a user to a group.
func (s *Service) AddMember(ctx context.Context, p auth.Principal, groupID, userID string) (err error) {
	chg := &change{category: CategoryGroup, activity: "Add member to group", op: OpAdd}
	defer s.audit(ctx, p, &err, chg)
	if err := auth.Authorize(p, auth.WriteGroupMembers, auth.Target{}, s.Time()); err != nil {
		return err
	}
	g, err := s.group(ctx, groupID)
	if err != nil {
		return err
	}
	u, err := s.lookupUser(ctx, userID)
	chg.targets = append(userTarget(u), groupTarget(g))
	if err != nil {
		return err
	}
	if err := s.Store.AddGroupMember(ctx, g.ID, u.ID); errors.Is(err, store.ErrConflict) {
		return apperr.New(apperr.Invalid, "Request_BadRequest",
			"One or more added object references already exist for the following modified properties: 'members'.")
	} else if err != nil {
		return resourceErr(err, userID)
	}
	return nil
}

// RemoveMember removes a user from a group.
func (s *Service) RemoveMember(ctx context.Context, p auth.Principal, groupID, userID string) (err error) {
	chg := &change{category: CategoryGroup, activity: "Remove member from group", op: OpDelete}
	defer s.audit(ctx, p, &err, chg)
	if err := auth.Authorize(p, auth.WriteGroupMembers, auth.Target{}, s.Time()); err != nil {
		return err
	}
	g, err := s.group(ctx, groupID)
	if err != nil {
		return err
	}
	u, err := s.lookupUser(ctx, userID)
	chg.targets = append(userTarget(u), groupTarget(g))
	if err != nil {
		return err
	}
	return resourceErr(s.Store.RemoveGroupMember(ctx, g.ID, u.ID), userID)
}

// ListMembers returns a page of a group's members ordered by id.
func (s *Service) ListMembers(ctx context.Context, p auth.Principal, groupID, after string, limit int) ([]store.User, error) {
	if err := auth.Authorize(p, auth.ReadGroups, auth.Target{}, s.Time()); err != nil {
		return nil, err
	}
	g, err := s.group(ctx, groupID)
	if err != nil {
		return nil, err
	}
	return s.Store.ListGroupMembers(ctx, g.ID, after, limit)
}
