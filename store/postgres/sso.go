package postgres

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
	if !textOK(id) {
		return store.SSOSession{}, store.ErrNotFound
	}
	var ss store.SSOSession
	err := s.read(ctx, func(ctx context.Context, q querier) error {
		var err error
		ss, err = ssoSessions.scan(q.QueryRow(ctx, `SELECT data FROM oidc_sso_sessions WHERE id = $1`, id))
		return err
	})
	return ss, err
}

// UpdateSSOSession applies fn to the stored session in one transaction.
func (s *Store) UpdateSSOSession(ctx context.Context, id string, fn func(*store.SSOSession) error) (store.SSOSession, error) {
	return ssoSessions.update(ctx, s, id, fn)
}

// TakeSSOSession deletes and returns the session with that id, in one
// statement, so that exactly one caller gets it.
func (s *Store) TakeSSOSession(ctx context.Context, id string) (store.SSOSession, error) {
	if !textOK(id) {
		return store.SSOSession{}, store.ErrNotFound
	}
	var ss store.SSOSession
	err := s.write1(ctx, func(ctx context.Context, q querier) error {
		var err error
		ss, err = ssoSessions.scan(q.QueryRow(ctx, `DELETE FROM oidc_sso_sessions WHERE id = $1 RETURNING data`, id))
		return err
	})
	return ss, err
}
