package sqlite

import (
	"context"
	"time"

	"github.com/qrpin/qrpin/store"
)

// ssoSessions is the OpenID provider's single sign-on sessions' table.
var ssoSessions = sessionTable[store.SSOSession]{table: "oidc_sso_sessions", what: "single sign-on session",
	keys: func(ss *store.SSOSession, id string) (string, time.Time) { ss.ID = id; return ss.UserID, ss.Expires }}

// CreateSSOSession stores a session and deletes the ones expired at its
// Created time.
func (s *Store) CreateSSOSession(ctx context.Context, ss store.SSOSession) error {
	return ssoSessions.create(ctx, s, ss.ID, ss.Created, ss)
}

// GetSSOSession returns the session with that id (hash).
func (s *Store) GetSSOSession(ctx context.Context, id string) (store.SSOSession, error) {
	return ssoSessions.get(ctx, s.r, id)
}

// UpdateSSOSession applies fn to the stored session in one transaction.
func (s *Store) UpdateSSOSession(ctx context.Context, id string, fn func(*store.SSOSession) error) (store.SSOSession, error) {
	return ssoSessions.update(ctx, s, id, fn)
}

// TakeSSOSession deletes and returns the session with that id.
func (s *Store) TakeSSOSession(ctx context.Context, id string) (store.SSOSession, error) {
	var data string
	// One statement: exactly one caller gets the row.
	if err := s.w.QueryRowContext(ctx, `DELETE FROM oidc_sso_sessions WHERE id = ? RETURNING data`, id).Scan(&data); err != nil {
		return store.SSOSession{}, dbErr(err)
	}
	return ssoSessions.decode(data)
}
