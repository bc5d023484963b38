package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"

	"github.com/qrpin/qrpin/store"
)

const unitColumns = `id, display_name, description, visibility, created`

func scanUnit(row scanner) (store.AdministrativeUnit, error) {
	var u store.AdministrativeUnit
	var created sql.NullInt64
	if err := row.Scan(&u.ID, &u.DisplayName, &u.Description, &u.Visibility, &created); err != nil {
		return store.AdministrativeUnit{}, dbErr(err)
	}
	u.Created = fromMicros(created)
	return u, nil
}

func getUnit(ctx context.Context, q querier, id string) (store.AdministrativeUnit, error) {
	return scanUnit(q.QueryRowContext(ctx, `SELECT `+unitColumns+` FROM administrative_units WHERE id = ?`, id))
}

// CreateUnit stores a new administrative unit: store.ErrConflict when the
// id is in use.
func (s *Store) CreateUnit(ctx context.Context, u store.AdministrativeUnit) error {
	_, err := s.w.ExecContext(ctx, `
		INSERT INTO administrative_units (id, display_name, description, visibility, created)
		VALUES (?, ?, ?, ?, ?)`,
		u.ID, u.DisplayName, u.Description, u.Visibility, micros(u.Created))
	return dbErr(err)
}

// GetUnit returns the administrative unit with that id.
func (s *Store) GetUnit(ctx context.Context, id string) (store.AdministrativeUnit, error) {
	return getUnit(ctx, s.r, id)
}

// ListUnits returns up to limit units with ID > after, ordered by ID. A
// limit of zero or less means no limit.
func (s *Store) ListUnits(ctx context.Context, after string, limit int) ([]store.AdministrativeUnit, error) {
	rows, err := s.r.QueryContext(ctx,
		`SELECT `+unitColumns+` FROM administrative_units WHERE id > ? ORDER BY id LIMIT ?`, after, sqlLimit(limit))
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	units := []store.AdministrativeUnit{}
	for rows.Next() {
		u, err := scanUnit(rows)
		if err != nil {
			return nil, err
		}
		units = append(units, u)
	}
	return units, dbErr(rows.Err())
}

// UpdateUnit applies fn to the stored unit in one transaction and stores
// the result; fn cannot change the ID.
func (s *Store) UpdateUnit(ctx context.Context, id string, fn func(*store.AdministrativeUnit) error) (store.AdministrativeUnit, error) {
	var u store.AdministrativeUnit
	err := s.write(ctx, func(tx querier) error {
		var err error
		if u, err = getUnit(ctx, tx, id); err != nil {
			return err
		}
		if err := fn(&u); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE administrative_units SET display_name = ?, description = ?, visibility = ?, created = ?
			WHERE id = ?`,
			u.DisplayName, u.Description, u.Visibility, micros(u.Created), id); err != nil {
			return dbErr(err)
		}
		u, err = getUnit(ctx, tx, id)
		return err
	})
	if err != nil {
		return store.AdministrativeUnit{}, err
	}
	return u, nil
}

// DeleteUnit deletes the unit with its memberships and the role
// assignments scoped to it (ON DELETE CASCADE, in the delete's statement).
func (s *Store) DeleteUnit(ctx context.Context, id string) error {
	return exactlyOne(s.w.ExecContext(ctx, `DELETE FROM administrative_units WHERE id = ?`, id))
}

// AddUnitMember adds the user or group memberID to the unit:
// store.ErrNotFound when the unit or the member is missing,
// store.ErrConflict when it is a member already.
func (s *Store) AddUnitMember(ctx context.Context, unitID, memberID string) error {
	return s.write(ctx, func(tx querier) error {
		if err := exists(ctx, tx, `SELECT 1 FROM administrative_units WHERE id = ?`, unitID); err != nil {
			return err
		}
		insert := `INSERT INTO unit_users (unit_id, user_id) VALUES (?, ?)`
		if err := exists(ctx, tx, `SELECT 1 FROM users WHERE id = ?`, memberID); err != nil {
			if err := exists(ctx, tx, `SELECT 1 FROM groups WHERE id = ?`, memberID); err != nil {
				return err
			}
			insert = `INSERT INTO unit_groups (unit_id, group_id) VALUES (?, ?)`
		}
		_, err := tx.ExecContext(ctx, insert, unitID, memberID)
		return dbErr(err)
	})
}

// RemoveUnitMember removes the user or group memberID from the unit:
// store.ErrNotFound when it is not a member.
func (s *Store) RemoveUnitMember(ctx context.Context, unitID, memberID string) error {
	return s.write(ctx, func(tx querier) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM unit_users WHERE unit_id = ? AND user_id = ?`, unitID, memberID)
		if err != nil {
			return dbErr(err)
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return dbErr(err)
		}
		return exactlyOne(tx.ExecContext(ctx, `DELETE FROM unit_groups WHERE unit_id = ? AND group_id = ?`, unitID, memberID))
	})
}

// ListUnitMembers returns up to limit members (users and groups) of the
// unit with ID > after, ordered by ID: store.ErrNotFound when the unit is
// missing. A limit of zero or less means no limit.
func (s *Store) ListUnitMembers(ctx context.Context, unitID, after string, limit int) ([]store.UnitMember, error) {
	members := []store.UnitMember{}
	err := s.read(ctx, func(tx querier) error {
		if err := exists(ctx, tx, `SELECT 1 FROM administrative_units WHERE id = ?`, unitID); err != nil {
			return err
		}
		// One ordered union: a user's row carries its columns, a group's
		// its own; kind tells them apart.
		rows, err := tx.QueryContext(ctx, `
			SELECT 'user', u.id, u.upn, u.display_name, u.account_enabled, u.employee_id, u.created, '', ''
			FROM unit_users m JOIN users u ON u.id = m.user_id
			WHERE m.unit_id = ? AND u.id > ?
			UNION ALL
			SELECT 'group', g.id, '', g.display_name, 0, '', g.created, g.description, g.mail_nickname
			FROM unit_groups m JOIN groups g ON g.id = m.group_id
			WHERE m.unit_id = ? AND g.id > ?
			ORDER BY 2 LIMIT ?`,
			unitID, after, unitID, after, sqlLimit(limit))
		if err != nil {
			return dbErr(err)
		}
		defer rows.Close()
		for rows.Next() {
			var kind, id, upn, name, employeeID, description, nickname string
			var enabled bool
			var created sql.NullInt64
			if err := rows.Scan(&kind, &id, &upn, &name, &enabled, &employeeID, &created, &description, &nickname); err != nil {
				return dbErr(err)
			}
			if kind == "user" {
				members = append(members, store.UnitMember{User: &store.User{ID: id, UPN: upn, DisplayName: name,
					AccountEnabled: enabled, EmployeeID: employeeID, Created: fromMicros(created)}})
			} else {
				members = append(members, store.UnitMember{Group: &store.Group{ID: id, DisplayName: name,
					Description: description, MailNickname: nickname, Created: fromMicros(created)}})
			}
		}
		return dbErr(rows.Err())
	})
	if err != nil {
		return nil, err
	}
	return members, nil
}

// UserUnitIDs returns the ids of the units the user is a direct member of,
// sorted.
func (s *Store) UserUnitIDs(ctx context.Context, userID string) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT unit_id FROM unit_users WHERE user_id = ? ORDER BY unit_id`, userID)
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	ids := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, dbErr(err)
		}
		ids = append(ids, id)
	}
	return ids, dbErr(rows.Err())
}

// SearchUsers returns up to limit users that q selects with ID > after,
// ordered by ID. SQLite's LIKE folds ASCII letters only, as the
// PostgreSQL backend's search does.
func (s *Store) SearchUsers(ctx context.Context, q store.UserSearch, after string, limit int) ([]store.User, error) {
	units := "[]"
	if q.Scoped {
		if len(q.UnitIDs) == 0 {
			return []store.User{}, nil
		}
		b, err := json.Marshal(q.UnitIDs)
		if err != nil {
			return nil, err
		}
		units = string(b)
	}
	n, nKey := len([]rune(q.Prefix)), len([]rune(upnKey(q.Prefix)))
	return scanUsers(s.r.QueryContext(ctx, `
		SELECT `+userColumns+` FROM users
		WHERE id > ?
		AND (? = '' OR display_name LIKE ? ESCAPE '\' OR substr(upn_key, 1, ?) = ? OR substr(employee_id, 1, ?) = ?)
		AND (NOT ? OR id IN (SELECT user_id FROM unit_users WHERE unit_id IN (SELECT value FROM json_each(?))))
		ORDER BY id LIMIT ?`,
		after, q.Prefix, likePrefix(q.Prefix), nKey, upnKey(q.Prefix), n, q.Prefix, q.Scoped, units, sqlLimit(limit)))
}

// likePrefix is a LIKE pattern (escape character \) matching strings that
// begin with p.
func likePrefix(p string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(p) + "%"
}
