package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"time"

	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
)

// kinds are the code slots of a method, in the order they are written.
var kinds = []method.Kind{method.Standard, method.Temporary}

// methodSelect reads a method with its codes in one statement (a row per
// code, or one row with NULL code columns), so that it needs no
// transaction of its own to see one snapshot; the condition follows.
const methodSelect = `SELECT ` + methodCodeColumns + `
		FROM methods m LEFT JOIN qr_codes c ON c.user_id = m.user_id
		WHERE `

// methodCodeColumns are the columns of a method (m) and a code (c), as
// selectMethod scans them.
const methodCodeColumns = `m.id, m.user_id, m.created,
			m.pin_hash, m.pin_length, m.pin_force_change, m.pin_created, m.pin_updated,
			m.lockout_failures, m.lockout_locked_until, m.lockout_disabled,
			c.id, c.kind, c.start, c.expire, c.created, c.last_used, c.verifier`

// userWithMethodSelect reads a user (userColumns, of u) with their method
// and its codes: no row when either is missing.
const userWithMethodSelect = `SELECT u.id, u.upn, u.display_name, u.account_enabled, u.employee_id, u.created, ` +
	methodCodeColumns + `
		FROM users u JOIN methods m ON m.user_id = u.id LEFT JOIN qr_codes c ON c.user_id = m.user_id
		WHERE u.id = ?`

// loadMethod reads the user's method and its codes.
func loadMethod(ctx context.Context, q querier, userID string) (method.Method, error) {
	return selectMethod(ctx, q, methodSelect+`m.user_id = ?`, userID, nil)
}

// selectMethod reads the method that query (methodSelect and a condition on
// m, the methods row, with one argument; or userWithMethodSelect) selects,
// with its codes. The columns before the method's, the same in every row,
// are scanned into lead.
func selectMethod(ctx context.Context, q querier, query, arg string, lead []any) (method.Method, error) {
	rows, err := q.QueryContext(ctx, query, arg)
	if err != nil {
		return method.Method{}, dbErr(err)
	}
	defer rows.Close()
	var m method.Method
	found := false
	for rows.Next() {
		var created, pinCreated, pinUpdated, lockedUntil sql.NullInt64
		var codeID, kind sql.NullString
		var start, expire, codeCreated, lastUsed sql.NullInt64
		var verifier []byte
		var mm method.Method
		if err := rows.Scan(append(lead[:len(lead):len(lead)],
			&mm.ID, &mm.UserID, &created,
			&mm.PIN.Hash, &mm.PIN.Length, &mm.PIN.ForceChange, &pinCreated, &pinUpdated,
			&mm.Lockout.Failures, &lockedUntil, &mm.Lockout.Disabled,
			&codeID, &kind, &start, &expire, &codeCreated, &lastUsed, &verifier)...); err != nil {
			return method.Method{}, dbErr(err)
		}
		if !found {
			m, found = mm, true
			m.Created = fromMicros(created)
			m.PIN.Created = fromMicros(pinCreated)
			m.PIN.Updated = fromMicros(pinUpdated)
			m.Lockout.LockedUntil = fromMicros(lockedUntil)
		}
		if !codeID.Valid {
			continue
		}
		c := method.QRCode{ID: codeID.String, Kind: method.Kind(kind.String), Verifier: verifier,
			Start: fromMicros(start), Expire: fromMicros(expire), Created: fromMicros(codeCreated), LastUsed: fromMicros(lastUsed)}
		m.SetCode(c.Kind, &c)
	}
	if err := rows.Err(); err != nil {
		return method.Method{}, dbErr(err)
	}
	if !found {
		return method.Method{}, store.ErrNotFound
	}
	return m, nil
}

// writeMethodRow updates the method row of m.UserID from m.
func writeMethodRow(ctx context.Context, tx querier, m method.Method) error {
	_, err := tx.ExecContext(ctx, `
		UPDATE methods SET created = ?,
			pin_hash = ?, pin_length = ?, pin_force_change = ?, pin_created = ?, pin_updated = ?,
			lockout_failures = ?, lockout_locked_until = ?, lockout_disabled = ?
		WHERE user_id = ?`,
		micros(m.Created),
		m.PIN.Hash, m.PIN.Length, m.PIN.ForceChange, micros(m.PIN.Created), micros(m.PIN.Updated),
		m.Lockout.Failures, micros(m.Lockout.LockedUntil), m.Lockout.Disabled,
		m.UserID)
	return dbErr(err)
}

// insertCode stores c as the user's code of the given kind. The kind column
// is the slot the code is in.
func insertCode(ctx context.Context, tx querier, userID string, kind method.Kind, c *method.QRCode) error {
	verifier := c.Verifier
	if verifier == nil {
		verifier = []byte{}
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO qr_codes (id, user_id, kind, start, expire, created, last_used, verifier)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, userID, string(kind), micros(c.Start), micros(c.Expire), micros(c.Created), micros(c.LastUsed), verifier)
	return dbErr(err)
}

// updateCode rewrites the user's code of the given kind, which keeps its id,
// from c.
func updateCode(ctx context.Context, tx querier, userID string, kind method.Kind, c *method.QRCode) error {
	verifier := c.Verifier
	if verifier == nil {
		verifier = []byte{}
	}
	return exactlyOne(tx.ExecContext(ctx, `
		UPDATE qr_codes SET start = ?, expire = ?, created = ?, last_used = ?, verifier = ?
		WHERE id = ? AND user_id = ? AND kind = ?`,
		micros(c.Start), micros(c.Expire), micros(c.Created), micros(c.LastUsed), verifier, c.ID, userID, string(kind)))
}

// sameCode reports whether a and b would be stored alike.
func sameCode(a, b *method.QRCode) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.ID == b.ID &&
		micros(a.Start) == micros(b.Start) &&
		micros(a.Expire) == micros(b.Expire) &&
		micros(a.Created) == micros(b.Created) &&
		micros(a.LastUsed) == micros(b.LastUsed) &&
		bytes.Equal(a.Verifier, b.Verifier)
}

// CreateMethod stores a new method for m.UserID with its codes:
// store.ErrNotFound when the user is missing, store.ErrConflict when the
// user has a method or an id (the method's or a code's) is in use.
func (s *Store) CreateMethod(ctx context.Context, m method.Method) error {
	return s.write(ctx, func(tx querier) error {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO methods (id, user_id, created,
				pin_hash, pin_length, pin_force_change, pin_created, pin_updated,
				lockout_failures, lockout_locked_until, lockout_disabled)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			m.ID, m.UserID, micros(m.Created),
			m.PIN.Hash, m.PIN.Length, m.PIN.ForceChange, micros(m.PIN.Created), micros(m.PIN.Updated),
			m.Lockout.Failures, micros(m.Lockout.LockedUntil), m.Lockout.Disabled); err != nil {
			return dbErr(err)
		}
		for _, k := range kinds {
			if c := m.Code(k); c != nil {
				if err := insertCode(ctx, tx, m.UserID, k, c); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// GetMethod returns the user's method.
func (s *Store) GetMethod(ctx context.Context, userID string) (method.Method, error) {
	return loadMethod(ctx, s.r, userID)
}

// GetMethodByCode returns the method holding the QR code with that id.
func (s *Store) GetMethodByCode(ctx context.Context, codeID string) (method.Method, error) {
	return selectMethod(ctx, s.r, methodSelect+`m.user_id = (SELECT user_id FROM qr_codes WHERE id = ?)`, codeID, nil)
}

// GetUserWithMethod returns the user with that id and their method, in one
// statement: store.ErrNotFound when either is missing.
func (s *Store) GetUserWithMethod(ctx context.Context, userID string) (store.User, method.Method, error) {
	var u userRow
	m, err := selectMethod(ctx, s.r, userWithMethodSelect, userID, u.dest())
	if err != nil {
		return store.User{}, method.Method{}, err
	}
	return u.user(), m, nil
}

// UpdateMethod applies fn to the user's method in one transaction and stores
// the result: the method row, and the codes as fn left them (a nil code is
// deleted, a new or changed one written). fn cannot change ID or UserID.
// An error from fn is returned unchanged and nothing is written.
func (s *Store) UpdateMethod(ctx context.Context, userID string, fn func(*method.Method) error) (method.Method, error) {
	var m method.Method
	err := s.write(ctx, func(tx querier) error {
		old, err := loadMethod(ctx, tx, userID)
		if err != nil {
			return err
		}
		m = old.Clone()
		if err := fn(&m); err != nil {
			return err
		}
		m.ID, m.UserID = old.ID, old.UserID
		if err := writeMethodRow(ctx, tx, m); err != nil {
			return err
		}
		// A code changed in place (the same id in the same slot: a sign-in
		// sets its LastUsed) is updated. Delete every other changed code
		// before inserting any, so a code id may move from one kind to the
		// other.
		var changed []method.Kind
		for _, k := range kinds {
			o, c := old.Code(k), m.Code(k)
			switch {
			case sameCode(o, c):
			case o != nil && c != nil && o.ID == c.ID:
				if err := updateCode(ctx, tx, userID, k, c); err != nil {
					return err
				}
			default:
				changed = append(changed, k)
			}
		}
		for _, k := range changed {
			if _, err := tx.ExecContext(ctx,
				`DELETE FROM qr_codes WHERE user_id = ? AND kind = ?`, userID, string(k)); err != nil {
				return dbErr(err)
			}
		}
		for _, k := range changed {
			if c := m.Code(k); c != nil {
				if err := insertCode(ctx, tx, userID, k, c); err != nil {
					return err
				}
			}
		}
		m = asStored(m)
		return nil
	})
	if err != nil {
		return method.Method{}, err
	}
	return m, nil
}

// asStored returns m as reading it back would (a copy): times in UTC to the
// microsecond, a code's Kind its slot's, an empty verifier nil. UpdateMethod
// returns it instead of reading the method again.
func asStored(m method.Method) method.Method {
	m = m.Clone()
	m.Created = storedTime(m.Created)
	m.PIN.Created, m.PIN.Updated = storedTime(m.PIN.Created), storedTime(m.PIN.Updated)
	m.Lockout.LockedUntil = storedTime(m.Lockout.LockedUntil)
	for _, k := range kinds {
		c := m.Code(k)
		if c == nil {
			continue
		}
		c.Kind = k
		c.Start, c.Expire, c.Created, c.LastUsed = storedTime(c.Start), storedTime(c.Expire), storedTime(c.Created), storedTime(c.LastUsed)
		if len(c.Verifier) == 0 {
			c.Verifier = nil
		}
	}
	return m
}

// storedTime is t as stored and read back (micros, then fromMicros).
func storedTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.UnixMicro(t.UnixMicro()).UTC()
}

// DeleteMethod deletes the user's method and its codes.
func (s *Store) DeleteMethod(ctx context.Context, userID string) error {
	return exactlyOne(s.w.ExecContext(ctx, `DELETE FROM methods WHERE user_id = ?`, userID))
}
