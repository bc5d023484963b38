package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
)

// loadPolicy reads the stored policy, or method.DefaultPolicy when none is.
func loadPolicy(ctx context.Context, q querier) (method.Policy, error) {
	var p method.Policy
	var include, exclude string
	err := q.QueryRow(ctx, `
		SELECT state, pin_length, standard_lifetime_days, include_targets::text, exclude_targets::text
		FROM policy WHERE id = 1`).Scan(&p.State, &p.PINLength, &p.StandardLifetimeDays, &include, &exclude)
	if errors.Is(err, pgx.ErrNoRows) {
		return method.DefaultPolicy(), nil
	}
	if err != nil {
		return method.Policy{}, err
	}
	if p.Include, err = store.DecodeTargets(include); err != nil {
		return method.Policy{}, err
	}
	if p.Exclude, err = store.DecodeTargets(exclude); err != nil {
		return method.Policy{}, err
	}
	return p, nil
}

// GetPolicy returns the tenant policy: method.DefaultPolicy until one is
// stored.
func (s *Store) GetPolicy(ctx context.Context) (method.Policy, error) {
	var p method.Policy
	err := s.read(ctx, func(ctx context.Context, q querier) error {
		var err error
		p, err = loadPolicy(ctx, q)
		return err
	})
	return p, err
}

// UpdatePolicy applies fn to the policy in one transaction and stores the
// result. An error from fn is returned unchanged and nothing is written.
//
// There may be no row to lock yet (the default policy is not stored), so
// the transaction locks the policy table instead: SHARE ROW EXCLUSIVE
// conflicts with itself and with DeletePolicy's DELETE, not with readers.
func (s *Store) UpdatePolicy(ctx context.Context, fn func(*method.Policy) error) (method.Policy, error) {
	var p method.Policy
	err := s.writeTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE policy IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		var err error
		if p, err = loadPolicy(ctx, tx); err != nil {
			return err
		}
		if err := fn(&p); err != nil {
			return fnError{err}
		}
		include, err := store.EncodeTargets(p.Include)
		if err != nil {
			return err
		}
		exclude, err := store.EncodeTargets(p.Exclude)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO policy (id, state, pin_length, standard_lifetime_days, include_targets, exclude_targets)
			VALUES (1, $1, $2, $3, $4::jsonb, $5::jsonb)
			ON CONFLICT (id) DO UPDATE SET
				state = excluded.state,
				pin_length = excluded.pin_length,
				standard_lifetime_days = excluded.standard_lifetime_days,
				include_targets = excluded.include_targets,
				exclude_targets = excluded.exclude_targets`,
			p.State, p.PINLength, p.StandardLifetimeDays, include, exclude); err != nil {
			return err
		}
		p, err = loadPolicy(ctx, tx)
		return err
	})
	if err != nil {
		return method.Policy{}, err
	}
	return p, nil
}

// DeletePolicy removes the stored policy, so GetPolicy returns
// method.DefaultPolicy again. Deleting when none is stored is not an error.
func (s *Store) DeletePolicy(ctx context.Context) error {
	_, err := s.exec(ctx, `DELETE FROM policy`)
	return err
}

// Setting returns the value stored under key, storing value first when the
// key is not set, so every process sharing the database agrees on the
// first value.
func (s *Store) Setting(ctx context.Context, key, value string) (string, error) {
	var v string
	// Two statements: when another transaction inserts the key first, the
	// INSERT waits for it and does nothing, and only a later statement's
	// snapshot sees its row. Both are safe to repeat.
	err := s.read(ctx, func(ctx context.Context, q querier) error {
		if _, err := q.Exec(ctx,
			`INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, key, value); err != nil {
			return err
		}
		return q.QueryRow(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&v)
	})
	if err != nil {
		return "", err
	}
	return v, nil
}

// ListSettings returns every stored setting.
func (s *Store) ListSettings(ctx context.Context) (map[string]string, error) {
	settings := map[string]string{}
	err := s.read(ctx, func(ctx context.Context, q querier) error {
		clear(settings)
		rows, err := q.Query(ctx, `SELECT key, value FROM settings`)
		if err != nil {
			return err
		}
		var k, v string
		_, err = pgx.ForEachRow(rows, []any{&k, &v}, func() error {
			settings[k] = v
			return nil
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return settings, nil
}
