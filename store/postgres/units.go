package postgres

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/qrpin/qrpin/store"
)

const unitColumns = `id, display_name, description, visibility, created`

func scanUnit(row pgx.Row) (store.AdministrativeUnit, error) {
	var u store.AdministrativeUnit
	var created dbTime
	if err := row.Scan(&u.ID, &u.DisplayName, &u.Description, &u.Visibility, &created); err != nil {
		return store.AdministrativeUnit{}, err
	}
	u.Created = created.t
	return u, nil
}

// CreateUnit stores a new administrative unit: store.ErrConflict when the
// id is in use.
func (s *Store) CreateUnit(ctx context.Context, u store.AdministrativeUnit) error {
	_, err := s.exec(ctx, `
		INSERT INTO administrative_units (id, display_name, description, visibility, created)
		VALUES ($1, $2, $3, $4, $5)`,
		u.ID, u.DisplayName, u.Description, u.Visibility, timeArg(u.Created))
	return err
}

// GetUnit returns the administrative unit with that id.
func (s *Store) GetUnit(ctx context.Context, id string) (store.AdministrativeUnit, error) {
	if !textOK(id) {
		return store.AdministrativeUnit{}, store.ErrNotFound
	}
	var u store.AdministrativeUnit
	err := s.read(ctx, func(ctx context.Context, q querier) error {
		var err error
		u, err = scanUnit(q.QueryRow(ctx, `SELECT `+unitColumns+` FROM administrative_units WHERE id = $1`, id))
		return err
	})
	return u, err
}

// ListUnits returns up to limit units with ID > after, ordered by ID. A
// limit of zero or less means no limit.
func (s *Store) ListUnits(ctx context.Context, after string, limit int) ([]store.AdministrativeUnit, error) {
	units := []store.AdministrativeUnit{}
	from, ok := cursor(after)
	if !ok {
		return units, nil
	}
	err := s.read(ctx, func(ctx context.Context, q querier) error {
		rows, err := q.Query(ctx,
			`SELECT `+unitColumns+` FROM administrative_units WHERE id >= $1 ORDER BY id LIMIT $2`, from, sqlLimit(limit))
		if err != nil {
			return err
		}
		units, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.AdministrativeUnit, error) { return scanUnit(row) })
		if units == nil {
			units = []store.AdministrativeUnit{}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return units, nil
}

// UpdateUnit applies fn to the stored unit in one transaction, its row
// locked meanwhile, and stores the result; fn cannot change the ID.
func (s *Store) UpdateUnit(ctx context.Context, id string, fn func(*store.AdministrativeUnit) error) (store.AdministrativeUnit, error) {
	if !textOK(id) {
		return store.AdministrativeUnit{}, store.ErrNotFound
	}
	var u store.AdministrativeUnit
	err := s.writeTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var err error
		u, err = scanUnit(tx.QueryRow(ctx, `SELECT `+unitColumns+` FROM administrative_units WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return err
		}
		if err := fn(&u); err != nil {
			return fnError{err}
		}
		u, err = scanUnit(tx.QueryRow(ctx, `
			UPDATE administrative_units SET display_name = $2, description = $3, visibility = $4, created = $5
			WHERE id = $1
			RETURNING `+unitColumns,
			id, u.DisplayName, u.Description, u.Visibility, timeArg(u.Created)))
		return err
	})
	if err != nil {
		return store.AdministrativeUnit{}, err
	}
	return u, nil
}

// DeleteUnit deletes the unit with its memberships and the role
// assignments scoped to it (ON DELETE CASCADE, in the delete's statement).
// Deleting the row waits for a CreateRoleAssignment whose foreign key check
// holds it (FOR KEY SHARE); the cascade then deletes its assignment.
func (s *Store) DeleteUnit(ctx context.Context, id string) error {
	if !textOK(id) {
		return store.ErrNotFound
	}
	return exactlyOne(s.exec(ctx, `DELETE FROM administrative_units WHERE id = $1`, id))
}

// AddUnitMember adds the user or group memberID to the unit:
// store.ErrNotFound when the unit or the member is missing,
// store.ErrConflict when it is a member already. A member deleted
// meanwhile fails the insert's foreign key (store.ErrNotFound).
func (s *Store) AddUnitMember(ctx context.Context, unitID, memberID string) error {
	if !textOK(unitID, memberID) {
		return store.ErrNotFound
	}
	return s.writeTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if err := exists(ctx, tx, `SELECT 1 FROM administrative_units WHERE id = $1`, unitID); err != nil {
			return err
		}
		insert := `INSERT INTO unit_users (unit_id, user_id) VALUES ($1, $2)`
		if err := exists(ctx, tx, `SELECT 1 FROM users WHERE id = $1`, memberID); err != nil {
			if err := exists(ctx, tx, `SELECT 1 FROM groups WHERE id = $1`, memberID); err != nil {
				return err
			}
			insert = `INSERT INTO unit_groups (unit_id, group_id) VALUES ($1, $2)`
		}
		_, err := tx.Exec(ctx, insert, unitID, memberID)
		return err
	})
}

// RemoveUnitMember removes the user or group memberID from the unit:
// store.ErrNotFound when it is not a member.
func (s *Store) RemoveUnitMember(ctx context.Context, unitID, memberID string) error {
	if !textOK(unitID, memberID) {
		return store.ErrNotFound
	}
	return exactlyOne(s.exec(ctx, `
		WITH u AS (DELETE FROM unit_users WHERE unit_id = $1 AND user_id = $2 RETURNING 1),
		     g AS (DELETE FROM unit_groups WHERE unit_id = $1 AND group_id = $2 RETURNING 1)
		SELECT 1 FROM u UNION ALL SELECT 1 FROM g`, unitID, memberID))
}

// ListUnitMembers returns up to limit members (users and groups) of the
// unit with ID > after, ordered by ID: store.ErrNotFound when the unit is
// missing. A limit of zero or less means no limit.
func (s *Store) ListUnitMembers(ctx context.Context, unitID, after string, limit int) ([]store.UnitMember, error) {
	if !textOK(unitID) {
		return nil, store.ErrNotFound
	}
	from, ok := cursor(after)
	members := []store.UnitMember{}
	err := s.readTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if err := exists(ctx, tx, `SELECT 1 FROM administrative_units WHERE id = $1`, unitID); err != nil {
			return err
		}
		if !ok {
			return nil
		}
		rows, err := tx.Query(ctx, `
			SELECT 'user', u.id, u.upn, u.display_name, u.account_enabled, u.employee_id, u.created, '', ''
			FROM unit_users m JOIN users u ON u.id = m.user_id
			WHERE m.unit_id = $1 AND m.user_id >= $2
			UNION ALL
			SELECT 'group', g.id, '', g.display_name, false, '', g.created, g.description, g.mail_nickname
			FROM unit_groups m JOIN groups g ON g.id = m.group_id
			WHERE m.unit_id = $1 AND m.group_id >= $2
			ORDER BY 2 LIMIT $3`,
			unitID, from, sqlLimit(limit))
		if err != nil {
			return err
		}
		members, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.UnitMember, error) {
			var kind, id, upn, name, employeeID, description, nickname string
			var enabled bool
			var created dbTime
			if err := row.Scan(&kind, &id, &upn, &name, &enabled, &employeeID, &created, &description, &nickname); err != nil {
				return store.UnitMember{}, err
			}
			if kind == "user" {
				return store.UnitMember{User: &store.User{ID: id, UPN: upn, DisplayName: name,
					AccountEnabled: enabled, EmployeeID: employeeID, Created: created.t}}, nil
			}
			return store.UnitMember{Group: &store.Group{ID: id, DisplayName: name,
				Description: description, MailNickname: nickname, Created: created.t}}, nil
		})
		if members == nil {
			members = []store.UnitMember{}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return members, nil
}

// UserUnitIDs returns the ids of the units the user is a direct member of,
// sorted.
func (s *Store) UserUnitIDs(ctx context.Context, userID string) ([]string, error) {
	ids := []string{}
	if !textOK(userID) {
		return ids, nil
	}
	err := s.read(ctx, func(ctx context.Context, q querier) error {
		rows, err := q.Query(ctx, `SELECT unit_id FROM unit_users WHERE user_id = $1 ORDER BY unit_id`, userID)
		if err != nil {
			return err
		}
		ids, err = pgx.CollectRows(rows, pgx.RowTo[string])
		if ids == nil {
			ids = []string{}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// asciiUpper and asciiLower fold ASCII letters only, as SQLite's LIKE
// does, so that both backends' searches match the same users.
const (
	asciiUpper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	asciiLower = "abcdefghijklmnopqrstuvwxyz"
)

// SearchUsers returns up to limit users that q selects with ID > after,
// ordered by ID.
func (s *Store) SearchUsers(ctx context.Context, q store.UserSearch, after string, limit int) ([]store.User, error) {
	users := []store.User{}
	from, ok := cursor(after)
	if !ok || !textOK(q.Prefix) || !textOK(q.UnitIDs...) || q.Scoped && len(q.UnitIDs) == 0 {
		return users, nil
	}
	units := q.UnitIDs
	if units == nil {
		units = []string{}
	}
	fold := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(foldASCII(q.Prefix)) + "%"
	key := upnKey(q.Prefix)
	err := s.read(ctx, func(ctx context.Context, qr querier) error {
		var err error
		users, err = scanUsers(qr.Query(ctx, `
			SELECT `+userColumns+` FROM users
			WHERE id >= $1
			AND ($2 = '' OR translate(display_name, '`+asciiUpper+`', '`+asciiLower+`') LIKE $3 ESCAPE '\'
				OR substr(upn_key, 1, length($4)) = $4 OR substr(employee_id, 1, length($2)) = $2)
			AND (NOT $5 OR id IN (SELECT user_id FROM unit_users WHERE unit_id = ANY($6)))
			ORDER BY id LIMIT $7`,
			from, q.Prefix, fold, key, q.Scoped, units, sqlLimit(limit)))
		return err
	})
	if err != nil {
		return nil, err
	}
	return users, nil
}

// foldASCII lower-cases the ASCII letters of s, and nothing else.
func foldASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}
