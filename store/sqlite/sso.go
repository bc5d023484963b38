package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/qrpin/qrpin/store"
)

// The OpenID provider's single sign-on sessions keep their fields as JSON
// in a data column, as its other records do.

func decodeSSOSession(data string) (store.SSOSession, error) {
	var s store.SSOSession
	if err := json.Unmarshal([]byte(data), &s); err != nil {
		return store.SSOSession{}, fmt.Errorf("sqlite: decode single sign-on session: %w", err)
	}
	return s, nil
}

// CreateSSOSession stores a session and deletes the ones expired at its
// Created time.
func (s *Store) CreateSSOSession(ctx context.Context, ss store.SSOSession) error {
	data, err := encodeRecord(ss)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx querier) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM oidc_sso_sessions WHERE expires <= ?`, ss.Created.UnixMicro()); err != nil {
			return dbErr(err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO oidc_sso_sessions (id, user_id, expires, data) VALUES (?, ?, ?, ?)`,
			ss.ID, ss.UserID, ss.Expires.UnixMicro(), data)
		return dbErr(err)
	})
}

func getSSOSession(ctx context.Context, q querier, id string) (store.SSOSession, error) {
	var data string
	if err := q.QueryRowContext(ctx, `SELECT data FROM oidc_sso_sessions WHERE id = ?`, id).Scan(&data); err != nil {
		return store.SSOSession{}, dbErr(err)
	}
	return decodeSSOSession(data)
}

// GetSSOSession returns the session with that id (hash).
func (s *Store) GetSSOSession(ctx context.Context, id string) (store.SSOSession, error) {
	return getSSOSession(ctx, s.r, id)
}

// UpdateSSOSession applies fn to the stored session in one transaction.
func (s *Store) UpdateSSOSession(ctx context.Context, id string, fn func(*store.SSOSession) error) (store.SSOSession, error) {
	var ss store.SSOSession
	err := s.write(ctx, func(tx querier) error {
		var err error
		if ss, err = getSSOSession(ctx, tx, id); err != nil {
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
		_, err = tx.ExecContext(ctx, `UPDATE oidc_sso_sessions SET user_id = ?, expires = ?, data = ? WHERE id = ?`,
			ss.UserID, ss.Expires.UnixMicro(), data, id)
		return dbErr(err)
	})
	if err != nil {
		return store.SSOSession{}, err
	}
	return ss, nil
}

// TakeSSOSession deletes and returns the session with that id.
func (s *Store) TakeSSOSession(ctx context.Context, id string) (store.SSOSession, error) {
	var data string
	// One statement: exactly one caller gets the row.
	if err := s.w.QueryRowContext(ctx, `DELETE FROM oidc_sso_sessions WHERE id = ? RETURNING data`, id).Scan(&data); err != nil {
		return store.SSOSession{}, dbErr(err)
	}
	return decodeSSOSession(data)
}
