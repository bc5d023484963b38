package admin

import (
	"context"
	"errors"
	"strings"

	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/store"
)

// AuthenticateExternal maps a verified token of a trusted external issuer
// to the local user its claim names (by object id for "oid", else by
// userPrincipalName, case-insensitively; auth.External.Verify lets only
// printable ASCII through, so the store's case folding cannot map a
// look-alike onto another user) and returns that user as a
// delegated caller. The user must exist and be enabled. Their directory
// roles are their role assignments now, since an external token carries
// no wids; the scopes are the trusted issuer's configured ones.
func (s *Service) AuthenticateExternal(ctx context.Context, id auth.ExternalIdentity) (auth.Principal, error) {
	var u store.User
	var err error
	if id.Claim == auth.ClaimObjectID {
		u, err = s.Store.GetUser(ctx, strings.ToLower(id.Value))
	} else {
		u, err = s.Store.GetUserByUPN(ctx, id.Value)
	}
	if errors.Is(err, store.ErrNotFound) || err == nil && !u.AccountEnabled {
		return auth.Principal{}, apperr.New(apperr.Unauthenticated, "InvalidAuthenticationToken",
			"The user named by the access token does not exist in this directory or is disabled.")
	}
	if err != nil {
		return auth.Principal{}, err
	}
	roles, _, err := s.roles(ctx, u.ID)
	if err != nil {
		return auth.Principal{}, err
	}
	return auth.Principal{
		Kind:           auth.Delegated,
		ObjectID:       u.ID,
		AppID:          id.AppID,
		TenantID:       s.TenantID,
		UPN:            u.UPN,
		Scopes:         id.Scopes,
		DirectoryRoles: roles,
		AuthTime:       id.AuthTime,
	}, nil
}
