package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/qrpin/qrpin/store"
)

// The OpenID provider's records keep their fields as JSON in a data
// column; the columns beside it are what lookups, uniqueness and pruning
// need. Empty code hashes and user codes are NULL, so they are not unique
// values.

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func encodeRecord(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("postgres: encode record: %w", err)
	}
	return string(b), nil
}

// CreateAuthRequest stores an authorization request and deletes the ones
// expired at its Created time.
func (s *Store) CreateAuthRequest(ctx context.Context, r store.AuthRequest) error {
	data, err := encodeRecord(r)
	if err != nil {
		return err
	}
	if !textOK(r.ID, r.CodeHash, r.UserCode) {
		return fmt.Errorf("postgres: authorization request keys must be UTF-8 text")
	}
	return s.writeTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM oidc_auth_requests WHERE expires <= $1`, r.Created); err != nil {
			return err
		}
		_, err := tx.Exec(ctx,
			`INSERT INTO oidc_auth_requests (id, code_hash, user_code, expires, data) VALUES ($1, $2, $3, $4, $5)`,
			r.ID, nullable(r.CodeHash), nullable(r.UserCode), r.Expires, data)
		return err
	})
}

func scanAuthRequest(row pgx.Row) (store.AuthRequest, error) {
	var data string
	if err := row.Scan(&data); err != nil {
		return store.AuthRequest{}, err
	}
	var r store.AuthRequest
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		return store.AuthRequest{}, fmt.Errorf("postgres: decode authorization request: %w", err)
	}
	return r, nil
}

func (s *Store) getAuthRequest(ctx context.Context, where, arg string) (store.AuthRequest, error) {
	if arg == "" || !textOK(arg) {
		return store.AuthRequest{}, store.ErrNotFound
	}
	var r store.AuthRequest
	err := s.read(ctx, func(ctx context.Context, q querier) error {
		var err error
		r, err = scanAuthRequest(q.QueryRow(ctx, `SELECT data FROM oidc_auth_requests WHERE `+where, arg))
		return err
	})
	return r, err
}

// GetAuthRequest returns the authorization request with that id.
func (s *Store) GetAuthRequest(ctx context.Context, id string) (store.AuthRequest, error) {
	return s.getAuthRequest(ctx, `id = $1`, id)
}

// GetAuthRequestByCode returns the authorization request whose code has
// that hash.
func (s *Store) GetAuthRequestByCode(ctx context.Context, codeHash string) (store.AuthRequest, error) {
	return s.getAuthRequest(ctx, `code_hash = $1`, codeHash)
}

// GetAuthRequestByUserCode returns the device request with that user code.
func (s *Store) GetAuthRequestByUserCode(ctx context.Context, userCode string) (store.AuthRequest, error) {
	return s.getAuthRequest(ctx, `user_code = $1`, userCode)
}

// UpdateAuthRequest applies fn to the stored request in one transaction.
func (s *Store) UpdateAuthRequest(ctx context.Context, id string, fn func(*store.AuthRequest) error) (store.AuthRequest, error) {
	if !textOK(id) {
		return store.AuthRequest{}, store.ErrNotFound
	}
	var r store.AuthRequest
	err := s.writeTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var err error
		r, err = scanAuthRequest(tx.QueryRow(ctx, `SELECT data FROM oidc_auth_requests WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return err
		}
		if err := fn(&r); err != nil {
			return fnError{err}
		}
		r.ID = id
		if !textOK(r.CodeHash, r.UserCode) {
			return fnError{fmt.Errorf("postgres: authorization request keys must be UTF-8 text")}
		}
		data, err := encodeRecord(r)
		if err != nil {
			return fnError{err}
		}
		_, err = tx.Exec(ctx, `UPDATE oidc_auth_requests SET code_hash = $2, user_code = $3, expires = $4, data = $5 WHERE id = $1`,
			id, nullable(r.CodeHash), nullable(r.UserCode), r.Expires, data)
		return err
	})
	if err != nil {
		return store.AuthRequest{}, err
	}
	return r, nil
}

// RedeemAuthRequest marks the request redeemed and stores rt (when not
// nil), in one transaction.
func (s *Store) RedeemAuthRequest(ctx context.Context, id string, rt *store.RefreshToken) error {
	if !textOK(id) {
		return store.ErrNotFound
	}
	return s.writeTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		r, err := scanAuthRequest(tx.QueryRow(ctx, `SELECT data FROM oidc_auth_requests WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return err
		}
		if r.Redeemed {
			return fnError{store.ErrConflict}
		}
		r.Redeemed = true
		data, err := encodeRecord(r)
		if err != nil {
			return fnError{err}
		}
		if _, err := tx.Exec(ctx, `UPDATE oidc_auth_requests SET data = $2 WHERE id = $1`, id, data); err != nil {
			return err
		}
		if rt == nil {
			return nil
		}
		if _, err := tx.Exec(ctx, `DELETE FROM oidc_refresh_tokens WHERE expires <= $1`, rt.Created); err != nil {
			return err
		}
		return insertRefreshToken(ctx, tx, *rt)
	})
}

func insertRefreshToken(ctx context.Context, tx pgx.Tx, t store.RefreshToken) error {
	if !textOK(t.ID, t.FamilyID) {
		return fnError{fmt.Errorf("postgres: refresh token keys must be UTF-8 text")}
	}
	t.Rotated = false // the column says
	data, err := encodeRecord(t)
	if err != nil {
		return fnError{err}
	}
	prune := t.Expires
	if t.IdleExpires.Before(prune) {
		prune = t.IdleExpires
	}
	_, err = tx.Exec(ctx,
		`INSERT INTO oidc_refresh_tokens (id, family_id, rotated, expires, data) VALUES ($1, $2, false, $3, $4)`,
		t.ID, t.FamilyID, prune, data)
	return err
}

// CreateRefreshToken stores a refresh token and deletes the ones expired
// at its Created time.
func (s *Store) CreateRefreshToken(ctx context.Context, t store.RefreshToken) error {
	return s.writeTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM oidc_refresh_tokens WHERE expires <= $1`, t.Created); err != nil {
			return err
		}
		return insertRefreshToken(ctx, tx, t)
	})
}

// GetRefreshToken returns the refresh token with that id (hash).
func (s *Store) GetRefreshToken(ctx context.Context, id string) (store.RefreshToken, error) {
	if !textOK(id) {
		return store.RefreshToken{}, store.ErrNotFound
	}
	var t store.RefreshToken
	err := s.read(ctx, func(ctx context.Context, q querier) error {
		var data string
		var rotated bool
		if err := q.QueryRow(ctx, `SELECT rotated, data FROM oidc_refresh_tokens WHERE id = $1`, id).Scan(&rotated, &data); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(data), &t); err != nil {
			return fmt.Errorf("postgres: decode refresh token: %w", err)
		}
		t.Rotated = rotated
		return nil
	})
	return t, err
}

// RotateRefreshToken marks id rotated and stores next, in one transaction.
func (s *Store) RotateRefreshToken(ctx context.Context, id string, next store.RefreshToken) error {
	if !textOK(id) {
		return store.ErrNotFound
	}
	return s.writeTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var rotated bool
		if err := tx.QueryRow(ctx, `SELECT rotated FROM oidc_refresh_tokens WHERE id = $1 FOR UPDATE`, id).Scan(&rotated); err != nil {
			return err
		}
		if rotated {
			return fnError{store.ErrConflict}
		}
		if _, err := tx.Exec(ctx, `UPDATE oidc_refresh_tokens SET rotated = true WHERE id = $1`, id); err != nil {
			return err
		}
		return insertRefreshToken(ctx, tx, next)
	})
}

// DeleteRefreshFamily deletes every refresh token of the family.
func (s *Store) DeleteRefreshFamily(ctx context.Context, familyID string) error {
	if !textOK(familyID) {
		return nil
	}
	_, err := s.exec(ctx, `DELETE FROM oidc_refresh_tokens WHERE family_id = $1`, familyID)
	return err
}
