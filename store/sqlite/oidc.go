package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/qrpin/qrpin/store"
)

// The OpenID provider's records keep their fields as JSON in a data
// column; the columns beside it are what lookups, uniqueness and pruning
// need. Empty code hashes and user codes are NULL, so they are not unique
// values.

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func encodeRecord(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("sqlite: encode record: %w", err)
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
	return s.write(ctx, func(tx querier) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM oidc_auth_requests WHERE expires <= ?`, r.Created.UnixMicro()); err != nil {
			return dbErr(err)
		}
		_, err := tx.ExecContext(ctx,
			`INSERT INTO oidc_auth_requests (id, code_hash, user_code, expires, data) VALUES (?, ?, ?, ?, ?)`,
			r.ID, nullable(r.CodeHash), nullable(r.UserCode), r.Expires.UnixMicro(), data)
		return dbErr(err)
	})
}

func getAuthRequest(ctx context.Context, q querier, where string, arg string) (store.AuthRequest, error) {
	var data string
	if err := q.QueryRowContext(ctx, `SELECT data FROM oidc_auth_requests WHERE `+where, arg).Scan(&data); err != nil {
		return store.AuthRequest{}, dbErr(err)
	}
	var r store.AuthRequest
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		return store.AuthRequest{}, fmt.Errorf("sqlite: decode authorization request: %w", err)
	}
	return r, nil
}

// GetAuthRequest returns the authorization request with that id.
func (s *Store) GetAuthRequest(ctx context.Context, id string) (store.AuthRequest, error) {
	return getAuthRequest(ctx, s.r, `id = ?`, id)
}

// GetAuthRequestByCode returns the authorization request whose code has
// that hash.
func (s *Store) GetAuthRequestByCode(ctx context.Context, codeHash string) (store.AuthRequest, error) {
	if codeHash == "" {
		return store.AuthRequest{}, store.ErrNotFound
	}
	return getAuthRequest(ctx, s.r, `code_hash = ?`, codeHash)
}

// GetAuthRequestByUserCode returns the device request with that user code.
func (s *Store) GetAuthRequestByUserCode(ctx context.Context, userCode string) (store.AuthRequest, error) {
	if userCode == "" {
		return store.AuthRequest{}, store.ErrNotFound
	}
	return getAuthRequest(ctx, s.r, `user_code = ?`, userCode)
}

// UpdateAuthRequest applies fn to the stored request in one transaction.
func (s *Store) UpdateAuthRequest(ctx context.Context, id string, fn func(*store.AuthRequest) error) (store.AuthRequest, error) {
	var r store.AuthRequest
	err := s.write(ctx, func(tx querier) error {
		var err error
		if r, err = getAuthRequest(ctx, tx, `id = ?`, id); err != nil {
			return err
		}
		if err := fn(&r); err != nil {
			return err
		}
		r.ID = id
		data, err := encodeRecord(r)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE oidc_auth_requests SET code_hash = ?, user_code = ?, expires = ?, data = ? WHERE id = ?`,
			nullable(r.CodeHash), nullable(r.UserCode), r.Expires.UnixMicro(), data, id)
		return dbErr(err)
	})
	if err != nil {
		return store.AuthRequest{}, err
	}
	return r, nil
}

// RedeemAuthRequest marks the request redeemed and stores rt (when not
// nil), in one transaction.
func (s *Store) RedeemAuthRequest(ctx context.Context, id string, rt *store.RefreshToken) error {
	return s.write(ctx, func(tx querier) error {
		r, err := getAuthRequest(ctx, tx, `id = ?`, id)
		if err != nil {
			return err
		}
		if r.Redeemed {
			return store.ErrConflict
		}
		r.Redeemed = true
		data, err := encodeRecord(r)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE oidc_auth_requests SET data = ? WHERE id = ?`, data, id); err != nil {
			return dbErr(err)
		}
		if rt == nil {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM oidc_refresh_tokens WHERE expires <= ?`, rt.Created.UnixMicro()); err != nil {
			return dbErr(err)
		}
		return insertRefreshToken(ctx, tx, *rt)
	})
}

// pruneAt is when a refresh token may be deleted: the earlier of its
// absolute and idle expiries.
func pruneAt(t store.RefreshToken) int64 {
	if t.IdleExpires.Before(t.Expires) {
		return t.IdleExpires.UnixMicro()
	}
	return t.Expires.UnixMicro()
}

func insertRefreshToken(ctx context.Context, tx querier, t store.RefreshToken) error {
	t.Rotated = false // the column says
	data, err := encodeRecord(t)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx,
		`INSERT INTO oidc_refresh_tokens (id, family_id, rotated, expires, data) VALUES (?, ?, 0, ?, ?)`,
		t.ID, t.FamilyID, pruneAt(t), data)
	return dbErr(err)
}

// CreateRefreshToken stores a refresh token and deletes the ones expired
// at its Created time.
func (s *Store) CreateRefreshToken(ctx context.Context, t store.RefreshToken) error {
	return s.write(ctx, func(tx querier) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM oidc_refresh_tokens WHERE expires <= ?`, t.Created.UnixMicro()); err != nil {
			return dbErr(err)
		}
		return insertRefreshToken(ctx, tx, t)
	})
}

// GetRefreshToken returns the refresh token with that id (hash).
func (s *Store) GetRefreshToken(ctx context.Context, id string) (store.RefreshToken, error) {
	var data string
	var rotated bool
	if err := s.r.QueryRowContext(ctx, `SELECT rotated, data FROM oidc_refresh_tokens WHERE id = ?`, id).Scan(&rotated, &data); err != nil {
		return store.RefreshToken{}, dbErr(err)
	}
	var t store.RefreshToken
	if err := json.Unmarshal([]byte(data), &t); err != nil {
		return store.RefreshToken{}, fmt.Errorf("sqlite: decode refresh token: %w", err)
	}
	t.Rotated = rotated
	return t, nil
}

// RotateRefreshToken marks id rotated and stores next, in one transaction.
func (s *Store) RotateRefreshToken(ctx context.Context, id string, next store.RefreshToken) error {
	return s.write(ctx, func(tx querier) error {
		var rotated bool
		if err := tx.QueryRowContext(ctx, `SELECT rotated FROM oidc_refresh_tokens WHERE id = ?`, id).Scan(&rotated); err != nil {
			return dbErr(err)
		}
		if rotated {
			return store.ErrConflict
		}
		if _, err := tx.ExecContext(ctx, `UPDATE oidc_refresh_tokens SET rotated = 1 WHERE id = ?`, id); err != nil {
			return dbErr(err)
		}
		return insertRefreshToken(ctx, tx, next)
	})
}

// DeleteRefreshFamily deletes every refresh token of the family.
func (s *Store) DeleteRefreshFamily(ctx context.Context, familyID string) error {
	return s.write(ctx, func(tx querier) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM oidc_refresh_tokens WHERE family_id = ?`, familyID)
		return dbErr(err)
	})
}
