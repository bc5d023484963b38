package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/qrpin/qrpin/store"
)

// The staff page's sessions keep their fields as JSON in a data column,
// as the single sign-on sessions do.

func getStaffSession(ctx context.Context, q querier, id string) (store.StaffSession, error) {
	var data string
	if err := q.QueryRowContext(ctx, `SELECT data FROM staff_sessions WHERE id = ?`, id).Scan(&data); err != nil {
		return store.StaffSession{}, dbErr(err)
	}
	var ss store.StaffSession
	if err := json.Unmarshal([]byte(data), &ss); err != nil {
		return store.StaffSession{}, fmt.Errorf("sqlite: decode staff session: %w", err)
	}
	return ss, nil
}

// CreateStaffSession stores a session and deletes the ones expired at its
// Created time.
func (s *Store) CreateStaffSession(ctx context.Context, ss store.StaffSession) error {
	data, err := encodeRecord(ss)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx querier) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM staff_sessions WHERE expires <= ?`, ss.Created.UnixMicro()); err != nil {
			return dbErr(err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO staff_sessions (id, user_id, expires, data) VALUES (?, ?, ?, ?)`,
			ss.ID, ss.UserID, ss.Expires.UnixMicro(), data)
		return dbErr(err)
	})
}

// UpdateStaffSession applies fn to the stored session in one transaction.
func (s *Store) UpdateStaffSession(ctx context.Context, id string, fn func(*store.StaffSession) error) (store.StaffSession, error) {
	var ss store.StaffSession
	err := s.write(ctx, func(tx querier) error {
		var err error
		if ss, err = getStaffSession(ctx, tx, id); err != nil {
			return err
		}
		if err := fn(&ss); err != nil {
			return err
		}
		ss.ID = id
		data, err := encodeRecord(ss)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE staff_sessions SET user_id = ?, expires = ?, data = ? WHERE id = ?`,
			ss.UserID, ss.Expires.UnixMicro(), data, id)
		return dbErr(err)
	})
	if err != nil {
		return store.StaffSession{}, err
	}
	return ss, nil
}

// DeleteStaffSession deletes the session with that id.
func (s *Store) DeleteStaffSession(ctx context.Context, id string) error {
	return s.write(ctx, func(tx querier) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM staff_sessions WHERE id = ?`, id)
		return dbErr(err)
	})
}
