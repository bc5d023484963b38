package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/qrpin/qrpin/store"
)

// A session table (oidc_sso_sessions, staff_sessions) keeps a session's
// fields as JSON in a data column, beside the id, the user and the expiry
// its statements need. A sessionTable names one; its table is a constant,
// never input.
type sessionTable[T any] struct {
	table string // oidc_sso_sessions or staff_sessions
	what  string // what a row is, for errors
	// keys sets the record's id to id and returns its user and expiry,
	// the columns kept beside the JSON.
	keys func(rec *T, id string) (userID string, expires time.Time)
}

// scan decodes a row of one data column.
func (t sessionTable[T]) scan(row pgx.Row) (T, error) {
	var rec T
	var data string
	if err := row.Scan(&data); err != nil {
		return rec, err
	}
	if err := json.Unmarshal([]byte(data), &rec); err != nil {
		return rec, fmt.Errorf("postgres: decode %s: %w", t.what, err)
	}
	return rec, nil
}

func (t sessionTable[T]) badKeys() error {
	return fmt.Errorf("postgres: %s keys must be UTF-8 text", t.what)
}

// create stores rec under id and deletes the sessions expired at created,
// in one transaction.
func (t sessionTable[T]) create(ctx context.Context, s *Store, id string, created time.Time, rec T) error {
	userID, expires := t.keys(&rec, id)
	if !textOK(id, userID) {
		return t.badKeys()
	}
	data, err := encodeRecord(rec)
	if err != nil {
		return err
	}
	return s.writeTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM `+t.table+` WHERE expires <= $1`, created); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO `+t.table+` (id, user_id, expires, data) VALUES ($1, $2, $3, $4)`,
			id, userID, expires, data)
		return err
	})
}

// update applies fn to the stored session id in one transaction (the row
// locked), keeping its id.
func (t sessionTable[T]) update(ctx context.Context, s *Store, id string, fn func(*T) error) (T, error) {
	var rec T
	if !textOK(id) {
		return rec, store.ErrNotFound
	}
	err := s.writeTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var err error
		rec, err = t.scan(tx.QueryRow(ctx, `SELECT data FROM `+t.table+` WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return err
		}
		if err := fn(&rec); err != nil {
			return fnError{err}
		}
		userID, expires := t.keys(&rec, id)
		if !textOK(userID) {
			return fnError{t.badKeys()}
		}
		data, err := encodeRecord(rec)
		if err != nil {
			return fnError{err}
		}
		_, err = tx.Exec(ctx, `UPDATE `+t.table+` SET user_id = $2, expires = $3, data = $4 WHERE id = $1`,
			id, userID, expires, data)
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return rec, nil
}
