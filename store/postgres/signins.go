package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/qrpin/qrpin/store"
)

// CreateSignIn stores a sign-in transaction and deletes the ones expired at
// its Created time: store.ErrConflict when its id is in use,
// store.ErrNotFound when its user is missing.
func (s *Store) CreateSignIn(ctx context.Context, si store.SignIn) error {
	if !textOK(si.UserID) {
		return store.ErrNotFound // no such user
	}
	return s.writeTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM signins WHERE expires <= $1`, si.Created); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `
			INSERT INTO signins (id, user_id, code_id, stage, pin_ref, auth_request, created, expires)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			si.ID, si.UserID, si.CodeID, si.Stage, si.PINRef, si.AuthRequest, si.Created, si.Expires)
		return err
	})
}

// TakeSignIn deletes and returns a sign-in transaction that has not expired
// at now, in one statement, so that exactly one caller gets it. An expired
// one is deleted all the same.
func (s *Store) TakeSignIn(ctx context.Context, id string, now time.Time) (store.SignIn, error) {
	if !textOK(id) {
		return store.SignIn{}, store.ErrNotFound
	}
	si := store.SignIn{ID: id}
	err := s.write1(ctx, func(ctx context.Context, q querier) error {
		return q.QueryRow(ctx, `
			DELETE FROM signins WHERE id = $1
			RETURNING user_id, code_id, stage, pin_ref, auth_request, created, expires`, id).
			Scan(&si.UserID, &si.CodeID, &si.Stage, &si.PINRef, &si.AuthRequest, &si.Created, &si.Expires)
	})
	if err != nil {
		return store.SignIn{}, err
	}
	si.Created, si.Expires = si.Created.UTC(), si.Expires.UTC()
	if !now.Before(si.Expires) {
		return store.SignIn{}, store.ErrNotFound
	}
	return si, nil
}
