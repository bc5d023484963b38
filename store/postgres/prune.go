package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// PruneLogs deletes the log entries older than before, batch rows a
// statement.
func (s *Store) PruneLogs(ctx context.Context, before time.Time, batch int) (int, error) {
	signIns, err := s.prune(ctx, `DELETE FROM signin_logs WHERE id IN
		(SELECT id FROM signin_logs WHERE created < $1 LIMIT $2)`, before, batch)
	if err != nil {
		return signIns, err
	}
	audits, err := s.prune(ctx, `DELETE FROM directory_audits WHERE id IN
		(SELECT id FROM directory_audits WHERE time < $1 LIMIT $2)`, before, batch)
	return signIns + audits, err
}

// ThrottleFailures returns the failures of key's window open at now.
func (s *Store) ThrottleFailures(ctx context.Context, key string, now time.Time) (int, time.Time, error) {
	var n int
	var end time.Time
	err := s.read(ctx, func(ctx context.Context, q querier) error {
		err := q.QueryRow(ctx, `SELECT failures, window_end FROM throttle WHERE bucket = $1 AND window_end > $2`,
			key, now).Scan(&n, &end)
		if errors.Is(err, pgx.ErrNoRows) {
			n, end = 0, time.Time{}
			return nil
		}
		return err
	})
	if err != nil || n == 0 {
		return 0, time.Time{}, err
	}
	return n, end.UTC(), nil
}

// AddThrottleFailure counts a failure of key at now in one statement, which
// PostgreSQL runs atomically (ON CONFLICT DO UPDATE locks the row).
func (s *Store) AddThrottleFailure(ctx context.Context, key string, now, end time.Time) (int, time.Time, error) {
	var n int
	var e time.Time
	err := s.write1(ctx, func(ctx context.Context, q querier) error {
		return q.QueryRow(ctx, `
			INSERT INTO throttle AS t (bucket, window_end, failures) VALUES ($1, $2, 1)
			ON CONFLICT (bucket) DO UPDATE SET
				failures   = CASE WHEN t.window_end > $3 THEN t.failures + 1 ELSE 1 END,
				window_end = CASE WHEN t.window_end > $3 THEN t.window_end ELSE EXCLUDED.window_end END
			RETURNING failures, window_end`, key, end, now).Scan(&n, &e)
	})
	if err != nil {
		return 0, time.Time{}, err
	}
	return n, e.UTC(), nil
}

// PruneOIDC deletes the authorization requests, refresh tokens and
// single sign-on sessions expired at now, batch rows a statement.
func (s *Store) PruneOIDC(ctx context.Context, now time.Time, batch int) (int, error) {
	requests, err := s.prune(ctx, `DELETE FROM oidc_auth_requests WHERE id IN
		(SELECT id FROM oidc_auth_requests WHERE expires <= $1 LIMIT $2)`, now, batch)
	if err != nil {
		return requests, err
	}
	tokens, err := s.prune(ctx, `DELETE FROM oidc_refresh_tokens WHERE id IN
		(SELECT id FROM oidc_refresh_tokens WHERE expires <= $1 LIMIT $2)`, now, batch)
	if err != nil {
		return requests + tokens, err
	}
	sessions, err := s.prune(ctx, `DELETE FROM oidc_sso_sessions WHERE id IN
		(SELECT id FROM oidc_sso_sessions WHERE expires <= $1 LIMIT $2)`, now, batch)
	return requests + tokens + sessions, err
}

// PruneStaffSessions deletes the staff page sessions expired at now,
// batch rows a statement.
func (s *Store) PruneStaffSessions(ctx context.Context, now time.Time, batch int) (int, error) {
	return s.prune(ctx, `DELETE FROM staff_sessions WHERE id IN
		(SELECT id FROM staff_sessions WHERE expires <= $1 LIMIT $2)`, now, batch)
}

// PruneThrottle deletes the windows ended at now, batch rows a statement.
func (s *Store) PruneThrottle(ctx context.Context, now time.Time, batch int) (int, error) {
	return s.prune(ctx, `DELETE FROM throttle WHERE bucket IN
		(SELECT bucket FROM throttle WHERE window_end <= $1 LIMIT $2)`, now, batch)
}

// prune runs query, a DELETE of at most batch rows ($2) older than before
// ($1), until it deletes fewer than batch, each statement a transaction of
// its own so that no lock is held long; with batch <= 0, once without a
// limit. It returns the rows deleted.
func (s *Store) prune(ctx context.Context, query string, before time.Time, batch int) (int, error) {
	total := 0
	for {
		tag, err := s.exec(ctx, query, before, sqlLimit(batch))
		if err != nil {
			return total, err
		}
		n := int(tag.RowsAffected())
		total += n
		if batch <= 0 || n < batch {
			return total, nil
		}
	}
}
