package postgres

import (
	"context"

	"github.com/qrpin/qrpin/store"
)

// Count counts users, groups and methods in one statement (one snapshot).
func (s *Store) Count(ctx context.Context) (store.Counts, error) {
	var c store.Counts
	err := s.read(ctx, func(ctx context.Context, q querier) error {
		return q.QueryRow(ctx, `SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM groups), (SELECT count(*) FROM methods)`).
			Scan(&c.Users, &c.Groups, &c.Methods)
	})
	return c, err
}

// CountGroupMembers counts a group's members; store.ErrNotFound when the
// group is missing.
func (s *Store) CountGroupMembers(ctx context.Context, groupID string) (int, error) {
	if !textOK(groupID) {
		return 0, store.ErrNotFound
	}
	var groups, members int
	err := s.read(ctx, func(ctx context.Context, q querier) error {
		return q.QueryRow(ctx, `SELECT (SELECT count(*) FROM groups WHERE id = $1), (SELECT count(*) FROM group_members WHERE group_id = $1)`,
			groupID).Scan(&groups, &members)
	})
	if err != nil {
		return 0, err
	}
	if groups == 0 {
		return 0, store.ErrNotFound
	}
	return members, nil
}
