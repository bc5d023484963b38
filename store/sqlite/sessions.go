package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
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

// decode decodes a row's data column.
func (t sessionTable[T]) decode(data string) (T, error) {
	var rec T
	if err := json.Unmarshal([]byte(data), &rec); err != nil {
		return rec, fmt.Errorf("sqlite: decode %s: %w", t.what, err)
	}
	return rec, nil
}

// get reads the session id through q.
func (t sessionTable[T]) get(ctx context.Context, q querier, id string) (T, error) {
	var data string
	if err := q.QueryRowContext(ctx, `SELECT data FROM `+t.table+` WHERE id = ?`, id).Scan(&data); err != nil {
		var zero T
		return zero, dbErr(err)
	}
	return t.decode(data)
}

// create stores rec under id and deletes the sessions expired at created,
// in one transaction.
func (t sessionTable[T]) create(ctx context.Context, s *Store, id string, created time.Time, rec T) error {
	userID, expires := t.keys(&rec, id)
	data, err := encodeRecord(rec)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx querier) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+t.table+` WHERE expires <= ?`, created.UnixMicro()); err != nil {
			return dbErr(err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO `+t.table+` (id, user_id, expires, data) VALUES (?, ?, ?, ?)`,
			id, userID, expires.UnixMicro(), data)
		return dbErr(err)
	})
}

// update applies fn to the stored session id in one transaction, keeping
// its id.
func (t sessionTable[T]) update(ctx context.Context, s *Store, id string, fn func(*T) error) (T, error) {
	var rec T
	err := s.write(ctx, func(tx querier) error {
		var err error
		if rec, err = t.get(ctx, tx, id); err != nil {
			return err
		}
		if err := fn(&rec); err != nil {
			return err
		}
		userID, expires := t.keys(&rec, id)
		data, err := encodeRecord(rec)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE `+t.table+` SET user_id = ?, expires = ?, data = ? WHERE id = ?`,
			userID, expires.UnixMicro(), data, id)
		return dbErr(err)
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return rec, nil
}
