package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
)

// loadPolicy reads the stored policy, or method.DefaultPolicy when none is.
func loadPolicy(ctx context.Context, q querier) (method.Policy, error) {
	var p method.Policy
	var include, exclude string
	err := q.QueryRowContext(ctx, `
		SELECT state, pin_length, standard_lifetime_days, include_targets, exclude_targets
		FROM policy WHERE id = 1`).Scan(&p.State, &p.PINLength, &p.StandardLifetimeDays, &include, &exclude)
	if errors.Is(err, sql.ErrNoRows) {
		return method.DefaultPolicy(), nil
	}
	if err != nil {
		return method.Policy{}, dbErr(err)
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
	return loadPolicy(ctx, s.r)
}

// UpdatePolicy applies fn to the policy in one transaction and stores the
// result. An error from fn is returned unchanged and nothing is written.
func (s *Store) UpdatePolicy(ctx context.Context, fn func(*method.Policy) error) (method.Policy, error) {
	var p method.Policy
	err := s.write(ctx, func(tx querier) error {
		var err error
		if p, err = loadPolicy(ctx, tx); err != nil {
			return err
		}
		if err := fn(&p); err != nil {
			return err
		}
		include, err := store.EncodeTargets(p.Include)
		if err != nil {
			return err
		}
		exclude, err := store.EncodeTargets(p.Exclude)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO policy (id, state, pin_length, standard_lifetime_days, include_targets, exclude_targets)
			VALUES (1, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET
				state = excluded.state,
				pin_length = excluded.pin_length,
				standard_lifetime_days = excluded.standard_lifetime_days,
				include_targets = excluded.include_targets,
				exclude_targets = excluded.exclude_targets`,
			p.State, p.PINLength, p.StandardLifetimeDays, include, exclude); err != nil {
			return dbErr(err)
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
	_, err := s.w.ExecContext(ctx, `DELETE FROM policy`)
	return dbErr(err)
}

// Setting returns the value stored under key, storing value first when the
// key is not set, so every process sharing the database agrees on the
// first value.
func (s *Store) Setting(ctx context.Context, key, value string) (string, error) {
	var v string
	err := s.write(ctx, func(tx querier) error {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`, key, value); err != nil {
			return dbErr(err)
		}
		return dbErr(tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v))
	})
	if err != nil {
		return "", err
	}
	return v, nil
}

// ListSettings returns every stored setting.
func (s *Store) ListSettings(ctx context.Context) (map[string]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT key, value FROM settings`)
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	settings := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, dbErr(err)
		}
		settings[k] = v
	}
	return settings, dbErr(rows.Err())
}
