package admin

import (
	"context"
	"strings"

	"github.com/qrpin/qrpin/auth"
)

// CountUsers returns how many users the directory holds (Graph's $count).
func (s *Service) CountUsers(ctx context.Context, p auth.Principal) (int, error) {
	if err := auth.Authorize(p, auth.ReadUsers, auth.Target{}, s.Time()); err != nil {
		return 0, err
	}
	c, err := s.Store.Count(ctx)
	return c.Users, err
}

// CountGroups returns how many groups the directory holds.
func (s *Service) CountGroups(ctx context.Context, p auth.Principal) (int, error) {
	if err := auth.Authorize(p, auth.ReadGroups, auth.Target{}, s.Time()); err != nil {
		return 0, err
	}
	c, err := s.Store.Count(ctx)
	return c.Groups, err
}

// CountMembers returns how many members a group has.
func (s *Service) CountMembers(ctx context.Context, p auth.Principal, groupID string) (int, error) {
	if err := auth.Authorize(p, auth.ReadGroups, auth.Target{}, s.Time()); err != nil {
		return 0, err
	}
	n, err := s.Store.CountGroupMembers(ctx, strings.ToLower(groupID))
	return n, resourceErr(err, groupID)
}
