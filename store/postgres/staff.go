package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/qrpin/qrpin/store"
)

// The staff page's sessions keep their fields as JSON in a data column,
// as the single sign-on sessions do.

func scanStaffSession(row pgx.Row) (store.StaffSession, error) {
	var data string
	if err := row.Scan(&data); err != nil {
		return store.StaffSession{}, err
	}
	var ss store.StaffSession
	if err := json.Unmarshal([]byte(data), &ss); err != nil {
		return store.StaffSession{}, fmt.Errorf("postgres: decode staff session: %w", err)
	}
	return ss, nil
}

// CreateStaffSession stores a session and deletes the ones expired at its
// Created time.
func (s *Store) CreateStaffSession(ctx context.Context, ss store.StaffSession) error {
	if !textOK(ss.ID, ss.UserID) {
		return fmt.Errorf("postgres: staff session keys must be UTF-8 text")
	}
	data, err := encodeRecord(ss)
	if err != nil {
		return err
	}
	return s.writeTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM staff_sessions WHERE expires <= $1`, ss.Created); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO staff_sessions (id, user_id, expires, data) VALUES ($1, $2, $3, $4)`,
			ss.ID, ss.UserID, ss.Expires, data)
		return err
	})
}

// UpdateStaffSession applies fn to the stored session in one transaction.
func (s *Store) UpdateStaffSession(ctx context.Context, id string, fn func(*store.StaffSession) error) (store.StaffSession, error) {
	if !textOK(id) {
		return store.StaffSession{}, store.ErrNotFound
	}
	var ss store.StaffSession
	err := s.writeTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var err error
		ss, err = scanStaffSession(tx.QueryRow(ctx, `SELECT data FROM staff_sessions WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return err
		}
		if err := fn(&ss); err != nil {
			return fnError{err}
		}
		ss.ID = id
		if !textOK(ss.UserID) {
			return fnError{fmt.Errorf("postgres: staff session keys must be UTF-8 text")}
		}
		data, err := encodeRecord(ss)
		if err != nil {
			return fnError{err}
		}
		_, err = tx.Exec(ctx, `UPDATE staff_sessions SET user_id = $2, expires = $3, data = $4 WHERE id = $1`,
			id, ss.UserID, ss.Expires, data)
		return err
	})
	if err != nil {
		return store.StaffSession{}, err
	}
	return ss, nil
}

// DeleteStaffSession deletes the session with that id.
func (s *Store) DeleteStaffSession(ctx context.Context, id string) error {
	if !textOK(id) {
		return nil
	}
	return s.write1(ctx, func(ctx context.Context, q querier) error {
		_, err := q.Exec(ctx, `DELETE FROM staff_sessions WHERE id = $1`, id)
		return err
	})
}
