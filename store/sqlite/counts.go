package sqlite

import (
	"context"

	"github.com/qrpin/qrpin/store"
)

// Count counts users, groups and methods in one statement (one snapshot).
func (s *Store) Count(ctx context.Context) (store.Counts, error) {
	var c store.Counts
	err := s.r.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM groups), (SELECT count(*) FROM methods)`).
		Scan(&c.Users, &c.Groups, &c.Methods)
	return c, dbErr(err)
}

// CountGroupMembers counts a group's members; store.ErrNotFound when the
// group is missing.
func (s *Store) CountGroupMembers(ctx context.Context, groupID string) (int, error) {
	var groups, members int
	err := s.r.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM groups WHERE id = ?), (SELECT count(*) FROM group_members WHERE group_id = ?)`,
		groupID, groupID).Scan(&groups, &members)
	if err != nil {
		return 0, dbErr(err)
	}
	if groups == 0 {
		return 0, store.ErrNotFound
	}
	return members, nil
}
