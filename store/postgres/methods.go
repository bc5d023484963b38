package postgres

import (
	"bytes"
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
)

// kinds are the code slots of a method, in the order they are written.
var kinds = []method.Kind{method.Standard, method.Temporary}

const methodColumns = `m.id, m.user_id, m.created,
	m.pin_hash, m.pin_length, m.pin_force_change, m.pin_created, m.pin_updated,
	m.lockout_failures, m.lockout_locked_until, m.lockout_disabled`

const codeColumns = `c.id, c.kind, c.start, c.expire, c.created, c.last_used, c.verifier`

// methodRow holds a method row as scanned.
type methodRow struct {
	m                                          method.Method
	created, pinCreated, pinUpdated, lockedUtl dbTime
}

func (r *methodRow) dest() []any {
	m := &r.m
	return []any{&m.ID, &m.UserID, &r.created,
		&m.PIN.Hash, &m.PIN.Length, &m.PIN.ForceChange, &r.pinCreated, &r.pinUpdated,
		&m.Lockout.Failures, &r.lockedUtl, &m.Lockout.Disabled}
}

func (r *methodRow) method() method.Method {
	m := r.m
	m.Created = r.created.t
	m.PIN.Created = r.pinCreated.t
	m.PIN.Updated = r.pinUpdated.t
	m.Lockout.LockedUntil = r.lockedUtl.t
	return m
}

// codeRow holds a qr_codes row as scanned; every column may be NULL, as the
// row comes from an outer join.
type codeRow struct {
	id, kind                         pgtype.Text
	start, expire, created, lastUsed dbTime
	verifier                         []byte
}

func (r *codeRow) dest() []any {
	return []any{&r.id, &r.kind, &r.start, &r.expire, &r.created, &r.lastUsed, &r.verifier}
}

// addTo puts the code into m, in the slot its kind names.
func (r *codeRow) addTo(m *method.Method) {
	if !r.id.Valid {
		return
	}
	c := &method.QRCode{
		ID:       r.id.String,
		Kind:     method.Kind(r.kind.String),
		Start:    r.start.t,
		Expire:   r.expire.t,
		Created:  r.created.t,
		LastUsed: r.lastUsed.t,
		Verifier: r.verifier,
	}
	m.SetCode(c.Kind, c)
}

// Queries that read a method with its codes in one statement (one
// snapshot), by user id and by code id.
const (
	methodSelect = `SELECT ` + methodColumns + `, ` + codeColumns + `
		FROM methods m LEFT JOIN qr_codes c ON c.user_id = m.user_id
		WHERE `
	getMethodSQL       = methodSelect + `m.user_id = $1`
	getMethodByCodeSQL = methodSelect + `m.user_id = (SELECT user_id FROM qr_codes WHERE id = $1)`
	// getUserWithMethodSQL reads a user (userColumns, of u) with their
	// method and its codes: no row when either is missing.
	getUserWithMethodSQL = `SELECT u.id, u.upn, u.display_name, u.account_enabled, u.employee_id, u.created, ` +
		methodColumns + `, ` + codeColumns + `
		FROM users u JOIN methods m ON m.user_id = u.id LEFT JOIN qr_codes c ON c.user_id = m.user_id
		WHERE u.id = $1`
)

// Statements of UpdateMethod: lock the method row, read its codes, write it.
const (
	lockMethodSQL   = `SELECT ` + methodColumns + ` FROM methods m WHERE m.user_id = $1 FOR UPDATE`
	methodCodesSQL  = `SELECT ` + codeColumns + ` FROM qr_codes c WHERE c.user_id = $1`
	updateMethodSQL = `UPDATE methods SET created = $2,
			pin_hash = $3, pin_length = $4, pin_force_change = $5, pin_created = $6, pin_updated = $7,
			lockout_failures = $8, lockout_locked_until = $9, lockout_disabled = $10
		WHERE user_id = $1`
)

// loadMethod reads a method with its codes with query, getMethodSQL or
// getMethodByCodeSQL.
func loadMethod(ctx context.Context, q querier, query string, arg string) (method.Method, error) {
	return loadMethodAfter(ctx, q, query, arg, nil)
}

// loadMethodAfter is loadMethod for a query whose rows start with the
// columns lead scans into (the same in every row).
func loadMethodAfter(ctx context.Context, q querier, query string, arg string, lead []any) (method.Method, error) {
	rows, err := q.Query(ctx, query, arg)
	if err != nil {
		return method.Method{}, err
	}
	defer rows.Close()
	var m method.Method
	found := false
	// Every row sets every destination (NULL too), so one set serves them all.
	var mr methodRow
	var cr codeRow
	dest := slices.Concat(lead, mr.dest(), cr.dest())
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return method.Method{}, err
		}
		if !found {
			m, found = mr.method(), true
		}
		cr.addTo(&m)
	}
	if err := rows.Err(); err != nil {
		return method.Method{}, err
	}
	if !found {
		return method.Method{}, store.ErrNotFound
	}
	return m, nil
}

// lockMethod reads the user's method with its row locked FOR UPDATE until
// the transaction ends, then its codes. The codes are read by a statement of
// their own, after the lock is held: in READ COMMITTED it sees what the
// transaction that held the lock before committed.
func lockMethod(ctx context.Context, tx pgx.Tx, userID string) (method.Method, error) {
	var mr methodRow
	err := tx.QueryRow(ctx, lockMethodSQL, userID).Scan(mr.dest()...)
	if err != nil {
		return method.Method{}, err
	}
	m := mr.method()
	rows, err := tx.Query(ctx, methodCodesSQL, userID)
	if err != nil {
		return method.Method{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var cr codeRow
		if err := rows.Scan(cr.dest()...); err != nil {
			return method.Method{}, err
		}
		cr.addTo(&m)
	}
	return m, rows.Err()
}

// insertCode stores c as the user's code of the given kind. The kind column
// is the slot the code is in.
func insertCode(ctx context.Context, tx pgx.Tx, userID string, kind method.Kind, c *method.QRCode) error {
	verifier := c.Verifier
	if verifier == nil {
		verifier = []byte{}
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO qr_codes (id, user_id, kind, start, expire, created, last_used, verifier)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		c.ID, userID, string(kind), timeArg(c.Start), timeArg(c.Expire), timeArg(c.Created), timeArg(c.LastUsed), verifier)
	return err
}

// updateCode stores c, which keeps its id, as the user's code of the given
// kind.
func updateCode(ctx context.Context, tx pgx.Tx, userID string, kind method.Kind, c *method.QRCode) error {
	verifier := c.Verifier
	if verifier == nil {
		verifier = []byte{}
	}
	_, err := tx.Exec(ctx, `
		UPDATE qr_codes SET start = $3, expire = $4, created = $5, last_used = $6, verifier = $7
		WHERE user_id = $1 AND kind = $2`,
		userID, string(kind), timeArg(c.Start), timeArg(c.Expire), timeArg(c.Created), timeArg(c.LastUsed), verifier)
	return err
}

// sameCode reports whether a and b would be stored alike.
func sameCode(a, b *method.QRCode) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.ID == b.ID &&
		sameTime(a.Start, b.Start) &&
		sameTime(a.Expire, b.Expire) &&
		sameTime(a.Created, b.Created) &&
		sameTime(a.LastUsed, b.LastUsed) &&
		bytes.Equal(a.Verifier, b.Verifier)
}

// sameTime reports whether a and b are stored alike (to the microsecond).
func sameTime(a, b time.Time) bool {
	if a.IsZero() || b.IsZero() {
		return a.IsZero() == b.IsZero()
	}
	return a.UnixMicro() == b.UnixMicro()
}

// CreateMethod stores a new method for m.UserID with its codes:
// store.ErrNotFound when the user is missing, store.ErrConflict when the
// user has a method or an id (the method's or a code's) is in use.
func (s *Store) CreateMethod(ctx context.Context, m method.Method) error {
	if !textOK(m.UserID) {
		return store.ErrNotFound // no such user
	}
	return s.writeTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `
			INSERT INTO methods (id, user_id, created,
				pin_hash, pin_length, pin_force_change, pin_created, pin_updated,
				lockout_failures, lockout_locked_until, lockout_disabled)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			m.ID, m.UserID, timeArg(m.Created),
			m.PIN.Hash, m.PIN.Length, m.PIN.ForceChange, timeArg(m.PIN.Created), timeArg(m.PIN.Updated),
			m.Lockout.Failures, timeArg(m.Lockout.LockedUntil), m.Lockout.Disabled); err != nil {
			return err
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
	if !textOK(userID) {
		return method.Method{}, store.ErrNotFound
	}
	var m method.Method
	err := s.read(ctx, func(ctx context.Context, q querier) error {
		var err error
		m, err = loadMethod(ctx, q, getMethodSQL, userID)
		return err
	})
	return m, err
}

// GetUserWithMethod returns the user with that id and their method, in one
// statement: store.ErrNotFound when either is missing.
func (s *Store) GetUserWithMethod(ctx context.Context, userID string) (store.User, method.Method, error) {
	if !textOK(userID) {
		return store.User{}, method.Method{}, store.ErrNotFound
	}
	var u userRow
	var m method.Method
	err := s.read(ctx, func(ctx context.Context, q querier) error {
		var err error
		m, err = loadMethodAfter(ctx, q, getUserWithMethodSQL, userID, u.dest())
		return err
	})
	if err != nil {
		return store.User{}, method.Method{}, err
	}
	return u.user(), m, nil
}

// GetMethodByCode returns the method holding the QR code with that id.
func (s *Store) GetMethodByCode(ctx context.Context, codeID string) (method.Method, error) {
	if !textOK(codeID) {
		return method.Method{}, store.ErrNotFound
	}
	var m method.Method
	err := s.read(ctx, func(ctx context.Context, q querier) error {
		var err error
		m, err = loadMethod(ctx, q, getMethodByCodeSQL, codeID)
		return err
	})
	return m, err
}

// UpdateMethod applies fn to the user's method in one transaction, the
// method's row locked meanwhile, and stores the result: the method row, and
// the codes as fn left them (a nil code is deleted, a new or changed one
// written). fn cannot change ID or UserID. An error from fn is returned
// unchanged and nothing is written.
func (s *Store) UpdateMethod(ctx context.Context, userID string, fn func(*method.Method) error) (method.Method, error) {
	if !textOK(userID) {
		return method.Method{}, store.ErrNotFound
	}
	var m method.Method
	err := s.writeTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		old, err := lockMethod(ctx, tx, userID)
		if err != nil {
			return err
		}
		m = old.Clone()
		if err := fn(&m); err != nil {
			return fnError{err}
		}
		m.ID, m.UserID = old.ID, old.UserID
		if _, err := tx.Exec(ctx, updateMethodSQL,
			userID, timeArg(m.Created),
			m.PIN.Hash, m.PIN.Length, m.PIN.ForceChange, timeArg(m.PIN.Created), timeArg(m.PIN.Updated),
			m.Lockout.Failures, timeArg(m.Lockout.LockedUntil), m.Lockout.Disabled); err != nil {
			return err
		}
		// A code that keeps its id is updated in place (a sign-in's
		// last_used); one replaced or removed is deleted, and every delete
		// comes before any insert, so a code id may move from one kind to
		// the other.
		var replaced []method.Kind
		for _, k := range kinds {
			o, c := old.Code(k), m.Code(k)
			switch {
			case sameCode(o, c):
			case o != nil && c != nil && o.ID == c.ID:
				if err := updateCode(ctx, tx, userID, k, c); err != nil {
					return err
				}
			default:
				replaced = append(replaced, k)
			}
		}
		for _, k := range replaced {
			if _, err := tx.Exec(ctx,
				`DELETE FROM qr_codes WHERE user_id = $1 AND kind = $2`, userID, string(k)); err != nil {
				return err
			}
		}
		for _, k := range replaced {
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

// DeleteMethod deletes the user's method and its codes.
func (s *Store) DeleteMethod(ctx context.Context, userID string) error {
	if !textOK(userID) {
		return store.ErrNotFound
	}
	return exactlyOne(s.exec(ctx, `DELETE FROM methods WHERE user_id = $1`, userID))
}

// asStored returns m as reading it back would (a copy): times in UTC to the
// microsecond (timestamptz's precision), a code's Kind its slot's, an empty
// verifier empty and not nil (bytea). UpdateMethod returns it instead of
// reading the method again.
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
		if c.Verifier == nil {
			c.Verifier = []byte{}
		}
	}
	return m
}

// storedTime is t as timestamptz keeps it and dbTime reads it back.
func storedTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.UnixMicro(t.UnixMicro()).UTC()
}
