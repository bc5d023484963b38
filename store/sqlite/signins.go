package sqlite

import (
	"context"
	"time"

	"github.com/qrpin/qrpin/store"
)

// CreateSignIn stores a sign-in transaction and deletes expired ones.
func (s *Store) CreateSignIn(ctx context.Context, si store.SignIn) error {
	return s.write(ctx, func(tx querier) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM signins WHERE expires <= ?`, si.Created.UnixMicro()); err != nil {
			return dbErr(err)
		}
		_, err := tx.ExecContext(ctx,
			`INSERT INTO signins (id, user_id, code_id, stage, pin_ref, auth_request, created, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			si.ID, si.UserID, si.CodeID, si.Stage, si.PINRef, si.AuthRequest, si.Created.UnixMicro(), si.Expires.UnixMicro())
		return dbErr(err)
	})
}

// TakeSignIn deletes and returns a sign-in transaction that has not
// expired. An expired one is deleted all the same.
func (s *Store) TakeSignIn(ctx context.Context, id string, now time.Time) (store.SignIn, error) {
	si := store.SignIn{ID: id}
	var created, expires int64
	err := s.w.QueryRowContext(ctx, // one statement: it deletes at its first step
		`DELETE FROM signins WHERE id = ? RETURNING user_id, code_id, stage, pin_ref, auth_request, created, expires`, id).
		Scan(&si.UserID, &si.CodeID, &si.Stage, &si.PINRef, &si.AuthRequest, &created, &expires)
	if err != nil {
		return store.SignIn{}, dbErr(err)
	}
	si.Created, si.Expires = time.UnixMicro(created).UTC(), time.UnixMicro(expires).UTC()
	if !now.Before(si.Expires) {
		return store.SignIn{}, store.ErrNotFound
	}
	return si, nil
}
