package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/qrpin/qrpin/store"
)

// upnKey is the form of a UPN that uniqueness and lookups compare. It is
// computed in Go, not with SQL lower(), so both backends agree on it.
func upnKey(upn string) string { return strings.ToLower(upn) }

const userColumns = `id, upn, display_name, account_enabled, employee_id, created`

// userRow holds a users row (userColumns) as scanned.
type userRow struct {
	u       store.User
	created dbTime
}

func (r *userRow) dest() []any {
	u := &r.u
	return []any{&u.ID, &u.UPN, &u.DisplayName, &u.AccountEnabled, &u.EmployeeID, &r.created}
}

func (r *userRow) user() store.User {
	u := r.u
	u.Created = r.created.t
	return u
}

func scanUser(row pgx.Row) (store.User, error) {
	var r userRow
	if err := row.Scan(r.dest()...); err != nil {
		return store.User{}, err
	}
	return r.user(), nil
}

func scanUsers(rows pgx.Rows, err error) ([]store.User, error) {
	if err != nil {
		return nil, err
	}
	users, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.User, error) { return scanUser(row) })
	if users == nil && err == nil {
		users = []store.User{}
	}
	return users, err
}

// Lookups of a user, by id and by UPN key; the role assignments of a
// principal, tenant-wide and scoped (one statement: one snapshot).
const (
	getUserSQL        = `SELECT ` + userColumns + ` FROM users WHERE id = $1`
	getUserByUPNSQL   = `SELECT ` + userColumns + ` FROM users WHERE upn_key = $1`
	principalRolesSQL = `
		SELECT id, principal_id, role_definition_id, '' FROM role_assignments WHERE principal_id = $1
		UNION ALL
		SELECT id, principal_id, role_definition_id, unit_id FROM unit_role_assignments WHERE principal_id = $1
		ORDER BY 1`
	allRoleAssignments = `
		SELECT id, principal_id, role_definition_id, '' FROM role_assignments
		UNION ALL
		SELECT id, principal_id, role_definition_id, unit_id FROM unit_role_assignments
		ORDER BY 1`
)

func getUser(ctx context.Context, q querier, id string) (store.User, error) {
	return scanUser(q.QueryRow(ctx, getUserSQL, id))
}

// CreateUser stores a new user: store.ErrConflict when the id or the UPN
// (in any case) is in use.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	_, err := s.exec(ctx, `
		INSERT INTO users (id, upn, upn_key, display_name, account_enabled, employee_id, created)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		u.ID, u.UPN, upnKey(u.UPN), u.DisplayName, u.AccountEnabled, u.EmployeeID, timeArg(u.Created))
	return err
}

// GetUser returns the user with that id.
func (s *Store) GetUser(ctx context.Context, id string) (store.User, error) {
	if !textOK(id) {
		return store.User{}, store.ErrNotFound
	}
	var u store.User
	err := s.read(ctx, func(ctx context.Context, q querier) error {
		var err error
		u, err = getUser(ctx, q, id)
		return err
	})
	return u, err
}

// GetUserByUPN returns the user with that UPN, compared case-insensitively.
func (s *Store) GetUserByUPN(ctx context.Context, upn string) (store.User, error) {
	if !textOK(upnKey(upn)) {
		return store.User{}, store.ErrNotFound
	}
	var u store.User
	err := s.read(ctx, func(ctx context.Context, q querier) error {
		var err error
		u, err = scanUser(q.QueryRow(ctx, getUserByUPNSQL, upnKey(upn)))
		return err
	})
	return u, err
}

// ListUsers returns up to limit users with ID > after, ordered by ID. A
// limit of zero or less means no limit.
func (s *Store) ListUsers(ctx context.Context, after string, limit int) ([]store.User, error) {
	from, ok := cursor(after)
	if !ok {
		return []store.User{}, nil
	}
	var users []store.User
	err := s.read(ctx, func(ctx context.Context, q querier) error {
		var err error
		users, err = scanUsers(q.Query(ctx,
			`SELECT `+userColumns+` FROM users WHERE id >= $1 ORDER BY id LIMIT $2`, from, sqlLimit(limit)))
		return err
	})
	return users, err
}

// ListUsersByEmployeeID returns up to limit users with that employee id and
// ID > after, ordered by ID; an empty employeeID (or one no text column
// can hold) finds nobody. A limit of zero or less means no limit.
func (s *Store) ListUsersByEmployeeID(ctx context.Context, employeeID, after string, limit int) ([]store.User, error) {
	from, ok := cursor(after)
	if employeeID == "" || !textOK(employeeID) || !ok {
		return []store.User{}, nil
	}
	var users []store.User
	err := s.read(ctx, func(ctx context.Context, q querier) error {
		var err error
		users, err = scanUsers(q.Query(ctx,
			`SELECT `+userColumns+` FROM users WHERE employee_id = $1 AND id >= $2 ORDER BY id LIMIT $3`,
			employeeID, from, sqlLimit(limit)))
		return err
	})
	return users, err
}

// UpdateUser applies fn to the stored user in one transaction, the user's
// row locked meanwhile, and stores the result; fn cannot change the ID.
// store.ErrConflict when the new UPN is another user's.
func (s *Store) UpdateUser(ctx context.Context, id string, fn func(*store.User) error) (store.User, error) {
	if !textOK(id) {
		return store.User{}, store.ErrNotFound
	}
	var u store.User
	err := s.writeTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var err error
		u, err = scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return err
		}
		if err := fn(&u); err != nil {
			return fnError{err}
		}
		// RETURNING reads back what is stored: the ID fn may have changed is not.
		u, err = scanUser(tx.QueryRow(ctx, `
			UPDATE users SET upn = $2, upn_key = $3, display_name = $4, account_enabled = $5, employee_id = $6, created = $7
			WHERE id = $1
			RETURNING `+userColumns,
			id, u.UPN, upnKey(u.UPN), u.DisplayName, u.AccountEnabled, u.EmployeeID, timeArg(u.Created)))
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
	if !textOK(id) {
		return store.ErrNotFound
	}
	return s.writeTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		// The method, its codes, the memberships and the roles over units go
		// by ON DELETE CASCADE; tenant-wide role assignments have no foreign
		// key (a principal need not be a user).
		if _, err := tx.Exec(ctx, `DELETE FROM role_assignments WHERE principal_id = $1`, id); err != nil {
			return err
		}
		return exactlyOne(tx.Exec(ctx, `DELETE FROM users WHERE id = $1`, id))
	})
}

const groupColumns = `id, display_name, description, mail_nickname, created`

func scanGroup(row pgx.Row) (store.Group, error) {
	var g store.Group
	var created dbTime
	if err := row.Scan(&g.ID, &g.DisplayName, &g.Description, &g.MailNickname, &created); err != nil {
		return store.Group{}, err
	}
	g.Created = created.t
	return g, nil
}

// CreateGroup stores a new group: store.ErrConflict when the id is in use.
func (s *Store) CreateGroup(ctx context.Context, g store.Group) error {
	_, err := s.exec(ctx, `
		INSERT INTO groups (id, display_name, description, mail_nickname, created)
		VALUES ($1, $2, $3, $4, $5)`,
		g.ID, g.DisplayName, g.Description, g.MailNickname, timeArg(g.Created))
	return err
}

// GetGroup returns the group with that id.
func (s *Store) GetGroup(ctx context.Context, id string) (store.Group, error) {
	if !textOK(id) {
		return store.Group{}, store.ErrNotFound
	}
	var g store.Group
	err := s.read(ctx, func(ctx context.Context, q querier) error {
		var err error
		g, err = scanGroup(q.QueryRow(ctx, `SELECT `+groupColumns+` FROM groups WHERE id = $1`, id))
		return err
	})
	return g, err
}

// ListGroups returns up to limit groups with ID > after, ordered by ID. A
// limit of zero or less means no limit.
func (s *Store) ListGroups(ctx context.Context, after string, limit int) ([]store.Group, error) {
	groups := []store.Group{}
	from, ok := cursor(after)
	if !ok {
		return groups, nil
	}
	err := s.read(ctx, func(ctx context.Context, q querier) error {
		rows, err := q.Query(ctx,
			`SELECT `+groupColumns+` FROM groups WHERE id >= $1 ORDER BY id LIMIT $2`, from, sqlLimit(limit))
		if err != nil {
			return err
		}
		groups, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Group, error) { return scanGroup(row) })
		if groups == nil {
			groups = []store.Group{}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return groups, nil
}

// DeleteGroup deletes the group and its memberships.
func (s *Store) DeleteGroup(ctx context.Context, id string) error {
	if !textOK(id) {
		return store.ErrNotFound
	}
	return exactlyOne(s.exec(ctx, `DELETE FROM groups WHERE id = $1`, id))
}

// AddGroupMember makes the user a member of the group: store.ErrNotFound
// when the group or user is missing, store.ErrConflict when the user is
// already a member.
func (s *Store) AddGroupMember(ctx context.Context, groupID, userID string) error {
	if !textOK(groupID, userID) {
		return store.ErrNotFound
	}
	_, err := s.exec(ctx, `INSERT INTO group_members (group_id, user_id) VALUES ($1, $2)`, groupID, userID)
	return err
}

// RemoveGroupMember removes the user from the group: store.ErrNotFound when
// the user is not a member.
func (s *Store) RemoveGroupMember(ctx context.Context, groupID, userID string) error {
	if !textOK(groupID, userID) {
		return store.ErrNotFound
	}
	return exactlyOne(s.exec(ctx,
		`DELETE FROM group_members WHERE group_id = $1 AND user_id = $2`, groupID, userID))
}

// ListGroupMembers returns up to limit members of the group with ID > after,
// ordered by ID: store.ErrNotFound when the group is missing. A limit of zero
// or less means no limit.
func (s *Store) ListGroupMembers(ctx context.Context, groupID, after string, limit int) ([]store.User, error) {
	if !textOK(groupID) {
		return nil, store.ErrNotFound
	}
	from, ok := cursor(after)
	var users []store.User
	err := s.readTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if err := exists(ctx, tx, `SELECT 1 FROM groups WHERE id = $1`, groupID); err != nil {
			return err
		}
		if !ok {
			users = []store.User{}
			return nil
		}
		var err error
		users, err = scanUsers(tx.Query(ctx, `
			SELECT u.id, u.upn, u.display_name, u.account_enabled, u.employee_id, u.created
			FROM group_members m JOIN users u ON u.id = m.user_id
			WHERE m.group_id = $1 AND m.user_id >= $2
			ORDER BY m.user_id LIMIT $3`,
			groupID, from, sqlLimit(limit)))
		return err
	})
	if err != nil {
		return nil, err
	}
	return users, nil
}

// UserGroupIDs returns the ids of the groups the user is a member of, in
// order: store.ErrNotFound when the user is missing.
func (s *Store) UserGroupIDs(ctx context.Context, userID string) ([]string, error) {
	if !textOK(userID) {
		return nil, store.ErrNotFound
	}
	var ids []string
	err := s.readTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if err := exists(ctx, tx, `SELECT 1 FROM users WHERE id = $1`, userID); err != nil {
			return err
		}
		rows, err := tx.Query(ctx,
			`SELECT group_id FROM group_members WHERE user_id = $1 ORDER BY group_id`, userID)
		if err != nil {
			return err
		}
		ids, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		return nil, err
	}
	if ids == nil {
		ids = []string{}
	}
	return ids, nil
}

// exists returns pgx.ErrNoRows (store.ErrNotFound once mapped) when query, a
// SELECT 1, finds no row.
func exists(ctx context.Context, q querier, query string, args ...any) error {
	var one int
	return q.QueryRow(ctx, query, args...).Scan(&one)
}

// CreateRoleAssignment stores a role assignment, a tenant-wide one in
// role_assignments and one over a unit in unit_role_assignments (which an
// older qrpin does not read): store.ErrConflict when the id is in use in
// either table or the principal already holds the role over that scope,
// store.ErrNotFound when a scoped one's unit or user is missing. A
// transaction lock on the id keeps two creates of one id, one in each
// table, from both finding it free. The foreign keys' checks lock the
// unit's and the user's rows FOR KEY SHARE until the insert commits: a
// concurrent DeleteUnit (or DeleteUser) either deleted the row first (the
// check, after waiting for it, finds none) or waits for this commit and
// then deletes the new assignment with the row (ON DELETE CASCADE).
func (s *Store) CreateRoleAssignment(ctx context.Context, a store.RoleAssignment) error {
	if !textOK(a.UnitID) {
		return store.ErrNotFound
	}
	insert, args := insertRoleAssignment, []any{a.ID, a.PrincipalID, a.RoleDefinitionID}
	if a.UnitID != "" {
		insert, args = insertUnitRoleAssignment, append(args, a.UnitID)
	}
	return s.writeTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		// The lock is held until the transaction ends; the check after it
		// sees what a create that held it before committed (READ
		// COMMITTED: each statement reads a fresh snapshot).
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('qrpin role assignment ' || $1, 0))`, a.ID); err != nil {
			return err
		}
		var inUse bool
		err := tx.QueryRow(ctx, `
			SELECT EXISTS (SELECT 1 FROM role_assignments WHERE id = $1)
			    OR EXISTS (SELECT 1 FROM unit_role_assignments WHERE id = $1)`, a.ID).Scan(&inUse)
		if err != nil {
			return err
		}
		if inUse {
			return fmt.Errorf("%w: role assignment id %q is in use", store.ErrConflict, a.ID)
		}
		_, err = tx.Exec(ctx, insert, args...)
		return err
	})
}

const (
	insertRoleAssignment = `
		INSERT INTO role_assignments (id, principal_id, role_definition_id) VALUES ($1, $2, $3)`
	insertUnitRoleAssignment = `
		INSERT INTO unit_role_assignments (id, principal_id, role_definition_id, unit_id) VALUES ($1, $2, $3, $4)`
)

// ListRoleAssignments lists a principal's role assignments, or every one
// when principalID is "", ordered by ID.
func (s *Store) ListRoleAssignments(ctx context.Context, principalID string) ([]store.RoleAssignment, error) {
	if !textOK(principalID) {
		return []store.RoleAssignment{}, nil
	}
	var list []store.RoleAssignment
	err := s.read(ctx, func(ctx context.Context, q querier) error {
		// Two statements rather than "$1 = '' OR principal_id = $1", so
		// that the planner can use the index on principal_id.
		query, args := allRoleAssignments, []any{}
		if principalID != "" {
			query, args = principalRolesSQL, []any{principalID}
		}
		rows, err := q.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.RoleAssignment, error) {
			var a store.RoleAssignment
			err := row.Scan(&a.ID, &a.PrincipalID, &a.RoleDefinitionID, &a.UnitID)
			return a, err
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	if list == nil {
		list = []store.RoleAssignment{}
	}
	return list, nil
}

// DeleteRoleAssignment deletes the role assignment with that id.
func (s *Store) DeleteRoleAssignment(ctx context.Context, id string) error {
	if !textOK(id) {
		return store.ErrNotFound
	}
	return exactlyOne(s.exec(ctx, `
		WITH t AS (DELETE FROM role_assignments WHERE id = $1 RETURNING 1),
		     u AS (DELETE FROM unit_role_assignments WHERE id = $1 RETURNING 1)
		SELECT 1 FROM t UNION ALL SELECT 1 FROM u`, id))
}
