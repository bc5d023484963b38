package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/qrpin/qrpin/store"
)

// upnKey is the form of a UPN that uniqueness and lookups compare.
func upnKey(upn string) string { return strings.ToLower(upn) }

const userColumns = `id, upn, display_name, account_enabled, employee_id, created`

// userRow holds a users row (userColumns) as scanned.
type userRow struct {
	u       store.User
	created sql.NullInt64
}

func (r *userRow) dest() []any {
	u := &r.u
	return []any{&u.ID, &u.UPN, &u.DisplayName, &u.AccountEnabled, &u.EmployeeID, &r.created}
}

func (r *userRow) user() store.User {
	u := r.u
	u.Created = fromMicros(r.created)
	return u
}

func scanUser(row scanner) (store.User, error) {
	var r userRow
	if err := row.Scan(r.dest()...); err != nil {
		return store.User{}, dbErr(err)
	}
	return r.user(), nil
}

func scanUsers(rows *sql.Rows, err error) ([]store.User, error) {
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	users := []store.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		users = append(users, u)
	}
	return users, dbErr(rows.Err())
}

func getUser(ctx context.Context, q querier, id string) (store.User, error) {
	return scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
}

// CreateUser stores a new user: store.ErrConflict when the id or the UPN
// (in any case) is in use.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	_, err := s.w.ExecContext(ctx, `
		INSERT INTO users (id, upn, upn_key, display_name, account_enabled, employee_id, created)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.UPN, upnKey(u.UPN), u.DisplayName, u.AccountEnabled, u.EmployeeID, micros(u.Created))
	return dbErr(err)
}

// GetUser returns the user with that id.
func (s *Store) GetUser(ctx context.Context, id string) (store.User, error) {
	return getUser(ctx, s.r, id)
}

// GetUserByUPN returns the user with that UPN, compared case-insensitively.
func (s *Store) GetUserByUPN(ctx context.Context, upn string) (store.User, error) {
	return scanUser(s.r.QueryRowContext(ctx,
		`SELECT `+userColumns+` FROM users WHERE upn_key = ?`, upnKey(upn)))
}

// ListUsers returns up to limit users with ID > after, ordered by ID. A
// limit of zero or less means no limit.
func (s *Store) ListUsers(ctx context.Context, after string, limit int) ([]store.User, error) {
	return scanUsers(s.r.QueryContext(ctx,
		`SELECT `+userColumns+` FROM users WHERE id > ? ORDER BY id LIMIT ?`, after, sqlLimit(limit)))
}

// ListUsersByEmployeeID returns up to limit users with that employee id and
// ID > after, ordered by ID; an empty employeeID finds nobody. A limit of
// zero or less means no limit.
func (s *Store) ListUsersByEmployeeID(ctx context.Context, employeeID, after string, limit int) ([]store.User, error) {
	if employeeID == "" {
		return []store.User{}, nil
	}
	return scanUsers(s.r.QueryContext(ctx,
		`SELECT `+userColumns+` FROM users WHERE employee_id = ? AND id > ? ORDER BY id LIMIT ?`,
		employeeID, after, sqlLimit(limit)))
}

// UpdateUser applies fn to the stored user in one transaction and stores
// the result; fn cannot change the ID. store.ErrConflict when the new UPN is
// another user's.
func (s *Store) UpdateUser(ctx context.Context, id string, fn func(*store.User) error) (store.User, error) {
	var u store.User
	err := s.write(ctx, func(tx querier) error {
		var err error
		if u, err = getUser(ctx, tx, id); err != nil {
			return err
		}
		if err := fn(&u); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE users SET upn = ?, upn_key = ?, display_name = ?, account_enabled = ?, employee_id = ?, created = ?
			WHERE id = ?`,
			u.UPN, upnKey(u.UPN), u.DisplayName, u.AccountEnabled, u.EmployeeID, micros(u.Created), id); err != nil {
			return dbErr(err)
		}
		// Read back what is stored: the ID fn may have changed is not.
		u, err = getUser(ctx, tx, id)
		return err
	})
	if err != nil {
		return store.User{}, err
	}
	return u, nil
}

// DeleteUser deletes the user with their method and QR codes, group
// memberships and role assignments.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	return s.write(ctx, func(tx querier) error {
		// The method, its codes, the memberships and the roles over units go
		// by ON DELETE CASCADE; tenant-wide role assignments have no foreign
		// key (a principal need not be a user).
		if _, err := tx.ExecContext(ctx, `DELETE FROM role_assignments WHERE principal_id = ?`, id); err != nil {
			return dbErr(err)
		}
		return exactlyOne(tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id))
	})
}

const groupColumns = `id, display_name, description, mail_nickname, created`

func scanGroup(row scanner) (store.Group, error) {
	var g store.Group
	var created sql.NullInt64
	if err := row.Scan(&g.ID, &g.DisplayName, &g.Description, &g.MailNickname, &created); err != nil {
		return store.Group{}, dbErr(err)
	}
	g.Created = fromMicros(created)
	return g, nil
}

// CreateGroup stores a new group: store.ErrConflict when the id is in use.
func (s *Store) CreateGroup(ctx context.Context, g store.Group) error {
	_, err := s.w.ExecContext(ctx, `
		INSERT INTO groups (id, display_name, description, mail_nickname, created)
		VALUES (?, ?, ?, ?, ?)`,
		g.ID, g.DisplayName, g.Description, g.MailNickname, micros(g.Created))
	return dbErr(err)
}

// GetGroup returns the group with that id.
func (s *Store) GetGroup(ctx context.Context, id string) (store.Group, error) {
	return scanGroup(s.r.QueryRowContext(ctx, `SELECT `+groupColumns+` FROM groups WHERE id = ?`, id))
}

// ListGroups returns up to limit groups with ID > after, ordered by ID. A
// limit of zero or less means no limit.
func (s *Store) ListGroups(ctx context.Context, after string, limit int) ([]store.Group, error) {
	rows, err := s.r.QueryContext(ctx,
		`SELECT `+groupColumns+` FROM groups WHERE id > ? ORDER BY id LIMIT ?`, after, sqlLimit(limit))
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	groups := []store.Group{}
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			return nil, err
		}
		groups = append(groups, g)
	}
	return groups, dbErr(rows.Err())
}

// DeleteGroup deletes the group and its memberships.
func (s *Store) DeleteGroup(ctx context.Context, id string) error {
	return exactlyOne(s.w.ExecContext(ctx, `DELETE FROM groups WHERE id = ?`, id))
}

// AddGroupMember makes the user a member of the group: store.ErrNotFound
// when the group or user is missing, store.ErrConflict when the user is
// already a member.
func (s *Store) AddGroupMember(ctx context.Context, groupID, userID string) error {
	_, err := s.w.ExecContext(ctx,
		`INSERT INTO group_members (group_id, user_id) VALUES (?, ?)`, groupID, userID)
	return dbErr(err)
}

// RemoveGroupMember removes the user from the group: store.ErrNotFound when
// the user is not a member.
func (s *Store) RemoveGroupMember(ctx context.Context, groupID, userID string) error {
	return exactlyOne(s.w.ExecContext(ctx,
		`DELETE FROM group_members WHERE group_id = ? AND user_id = ?`, groupID, userID))
}

// ListGroupMembers returns up to limit members of the group with ID > after,
// ordered by ID: store.ErrNotFound when the group is missing. A limit of zero
// or less means no limit.
func (s *Store) ListGroupMembers(ctx context.Context, groupID, after string, limit int) ([]store.User, error) {
	var users []store.User
	err := s.read(ctx, func(tx querier) error {
		if err := exists(ctx, tx, `SELECT 1 FROM groups WHERE id = ?`, groupID); err != nil {
			return err
		}
		var err error
		users, err = scanUsers(tx.QueryContext(ctx, `
			SELECT u.id, u.upn, u.display_name, u.account_enabled, u.employee_id, u.created
			FROM group_members m JOIN users u ON u.id = m.user_id
			WHERE m.group_id = ? AND u.id > ?
			ORDER BY u.id LIMIT ?`,
			groupID, after, sqlLimit(limit)))
		return err
	})
	return users, err
}

// UserGroupIDs returns the ids of the groups the user is a member of, in
// order: store.ErrNotFound when the user is missing. One statement (the
// user's row, joined with their memberships: one row with a NULL group
// when there are none), so it needs no transaction to see one snapshot.
func (s *Store) UserGroupIDs(ctx context.Context, userID string) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `
		SELECT m.group_id FROM users u LEFT JOIN group_members m ON m.user_id = u.id
		WHERE u.id = ? ORDER BY m.group_id`, userID)
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	ids := []string{}
	found := false
	for rows.Next() {
		var id sql.NullString
		if err := rows.Scan(&id); err != nil {
			return nil, dbErr(err)
		}
		found = true
		if id.Valid {
			ids = append(ids, id.String)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr(err)
	}
	if !found {
		return nil, store.ErrNotFound
	}
	return ids, nil
}

// exists returns store.ErrNotFound when query, a SELECT 1, finds no row.
func exists(ctx context.Context, q querier, query string, args ...any) error {
	var one int
	return dbErr(q.QueryRowContext(ctx, query, args...).Scan(&one))
}

// CreateRoleAssignment stores a role assignment, a tenant-wide one in
// role_assignments and one over a unit in unit_role_assignments (which an
// older qrpin does not read): store.ErrConflict when the id is in use in
// either table or the principal already holds the role over that scope,
// store.ErrNotFound when a scoped one's unit or user is missing (the
// foreign keys). The id check and the insert share the single writer's
// transaction, as do the foreign keys' checks and the cascades of
// DeleteUnit and DeleteUser.
func (s *Store) CreateRoleAssignment(ctx context.Context, a store.RoleAssignment) error {
	return s.write(ctx, func(tx querier) error {
		var inUse bool
		err := tx.QueryRowContext(ctx, `
			SELECT EXISTS (SELECT 1 FROM role_assignments WHERE id = ?)
			    OR EXISTS (SELECT 1 FROM unit_role_assignments WHERE id = ?)`, a.ID, a.ID).Scan(&inUse)
		switch {
		case err != nil:
			return dbErr(err)
		case inUse:
			return fmt.Errorf("%w: role assignment id %q is in use", store.ErrConflict, a.ID)
		case a.UnitID == "":
			_, err = tx.ExecContext(ctx, `
				INSERT INTO role_assignments (id, principal_id, role_definition_id) VALUES (?, ?, ?)`,
				a.ID, a.PrincipalID, a.RoleDefinitionID)
		default:
			_, err = tx.ExecContext(ctx, `
				INSERT INTO unit_role_assignments (id, principal_id, role_definition_id, unit_id) VALUES (?, ?, ?, ?)`,
				a.ID, a.PrincipalID, a.RoleDefinitionID, a.UnitID)
		}
		return dbErr(err)
	})
}

// ListRoleAssignments lists a principal's role assignments, or every one
// when principalID is "", tenant-wide and scoped, ordered by ID. One
// statement reads both tables, in one snapshot.
func (s *Store) ListRoleAssignments(ctx context.Context, principalID string) ([]store.RoleAssignment, error) {
	rows, err := s.r.QueryContext(ctx, `
		SELECT id, principal_id, role_definition_id, '' FROM role_assignments
		WHERE ? = '' OR principal_id = ?
		UNION ALL
		SELECT id, principal_id, role_definition_id, unit_id FROM unit_role_assignments
		WHERE ? = '' OR principal_id = ?
		ORDER BY 1`, principalID, principalID, principalID, principalID)
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	list := []store.RoleAssignment{}
	for rows.Next() {
		var a store.RoleAssignment
		if err := rows.Scan(&a.ID, &a.PrincipalID, &a.RoleDefinitionID, &a.UnitID); err != nil {
			return nil, dbErr(err)
		}
		list = append(list, a)
	}
	return list, dbErr(rows.Err())
}

// DeleteRoleAssignment deletes the role assignment with that id, from
// whichever table holds it.
func (s *Store) DeleteRoleAssignment(ctx context.Context, id string) error {
	return s.write(ctx, func(tx querier) error {
		err := exactlyOne(tx.ExecContext(ctx, `DELETE FROM role_assignments WHERE id = ?`, id))
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return exactlyOne(tx.ExecContext(ctx, `DELETE FROM unit_role_assignments WHERE id = ?`, id))
	})
}
