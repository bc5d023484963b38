package postgres

import (
	"context"
	"time"

	"github.com/qrpin/qrpin/store"
)

// staffSessions is the staff page's sessions' table.
var staffSessions = sessionTable[store.StaffSession]{table: "staff_sessions", what: "staff session",
	keys: func(ss *store.StaffSession, id string) (string, time.Time) { ss.ID = id; return ss.UserID, ss.Expires }}

// CreateStaffSession stores a session and deletes the ones expired at its
// Created time.
func (s *Store) CreateStaffSession(ctx context.Context, ss store.StaffSession) error {
	return staffSessions.create(ctx, s, ss.ID, ss.Created, ss)
}

// UpdateStaffSession applies fn to the stored session in one transaction.
func (s *Store) UpdateStaffSession(ctx context.Context, id string, fn func(*store.StaffSession) error) (store.StaffSession, error) {
	return staffSessions.update(ctx, s, id, fn)
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
