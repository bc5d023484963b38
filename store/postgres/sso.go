package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/qrpin/qrpin/store"
)

// The OpenID provider's single sign-on sessions keep their fields as JSON
// in a data column, as its other records do.

func scanSSOSession(row pgx.Row) (store.SSOSession, error) {
	var data string
	if err := row.Scan(&data); err != nil {
		return store.SSOSession{}, err
	}
	var s store.SSOSession
	if err := json.Unmarshal([]byte(data), &s); err != nil {
		return store.SSOSession{}, fmt.Errorf("postgres: decode single sign-on session: %w", err)
	}
	return s, nil
}

// CreateSSOSession stores a session and deletes the ones expired at its
// Created time.
func (s *Store) CreateSSOSession(ctx context.Context, ss store.SSOSession) error {
	if !textOK(ss.ID, ss.UserID) {
		return fmt.Errorf("postgres: single sign-on session keys must be UTF-8 text")
	}
	data, err := encodeRecord(ss)
	if err != nil {
		return err
	}
	return s.writeTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM oidc_sso_sessions WHERE expires <= $1`, ss.Created); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO oidc_sso_sessions (id, user_id, expires, data) VALUES ($1, $2, $3, $4)`,
			ss.ID, ss.UserID, ss.Expires, data)
		return err
	})
}

// GetSSOSession returns the session with that id (hash).
func (s *Store) GetSSOSession(ctx context.Context, id string) (store.SSOSession, error) {
	if !textOK(id) {
		return store.SSOSession{}, store.ErrNotFound
	}
	var ss store.SSOSession
	err := s.read(ctx, func(ctx context.Context, q querier) error {
		var err error
		ss, err = scanSSOSession(q.QueryRow(ctx, `SELECT data FROM oidc_sso_sessions WHERE id = $1`, id))
		return err
	})
	return ss, err
}

// UpdateSSOSession applies fn to the stored session in one transaction.
func (s *Store) UpdateSSOSession(ctx context.Context, id string, fn func(*store.SSOSession) error) (store.SSOSession, error) {
	if !textOK(id) {
		return store.SSOSession{}, store.ErrNotFound
	}
	var ss store.SSOSession
	err := s.writeTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var err error
		ss, err = scanSSOSession(tx.QueryRow(ctx, `SELECT data FROM oidc_sso_sessions WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return err
		}
		if err := fn(&ss); err != nil {
			return fnError{err}
		}
		ss.ID = id
		if !textOK(ss.UserID) {
			return fnError{fmt.Errorf("postgres: single sign-on session keys must be UTF-8 text")}
		}
		data, err := encodeRecord(ss)
		if err != nil {
			return fnError{err}
		}
		_, err = tx.Exec(ctx, `UPDATE oidc_sso_sessions SET user_id = $2, expires = $3, data = $4 WHERE id = $1`,
			id, ss.UserID, ss.Expires, data)
		return err
	})
	if err != nil {
		return store.SSOSession{}, err
	}
	return ss, nil
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
		ss, err = scanSSOSession(q.QueryRow(ctx, `DELETE FROM oidc_sso_sessions WHERE id = $1 RETURNING data`, id))
		return err
	})
	return ss, err
}
