package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// PruneLogs deletes the log entries older than before, batch rows a
// statement.
func (s *Store) PruneLogs(ctx context.Context, before time.Time, batch int) (int, error) {
	signIns, err := s.prune(ctx, `DELETE FROM signin_logs WHERE id IN
		(SELECT id FROM signin_logs WHERE created < ? LIMIT ?)`, before.UnixMicro(), batch)
	if err != nil {
		return signIns, err
	}
	audits, err := s.prune(ctx, `DELETE FROM directory_audits WHERE id IN
		(SELECT id FROM directory_audits WHERE time < ? LIMIT ?)`, before.UnixMicro(), batch)
	return signIns + audits, err
}

// ThrottleFailures returns the failures of key's window open at now.
func (s *Store) ThrottleFailures(ctx context.Context, key string, now time.Time) (int, time.Time, error) {
	var n int
	var end int64
	err := s.r.QueryRowContext(ctx, `SELECT failures, window_end FROM throttle WHERE bucket = ? AND window_end > ?`,
		key, now.UnixMicro()).Scan(&n, &end)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, dbErr(err)
	}
	return n, time.UnixMicro(end).UTC(), nil
}

// AddThrottleFailure counts a failure of key at now in one statement.
func (s *Store) AddThrottleFailure(ctx context.Context, key string, now, end time.Time) (int, time.Time, error) {
	var n int
	var e int64
	err := s.w.QueryRowContext(ctx, `INSERT INTO throttle (bucket, window_end, failures) VALUES (?1, ?2, 1)
		ON CONFLICT (bucket) DO UPDATE SET
			failures   = CASE WHEN window_end > ?3 THEN failures + 1 ELSE 1 END,
			window_end = CASE WHEN window_end > ?3 THEN window_end ELSE excluded.window_end END
		RETURNING failures, window_end`, key, end.UnixMicro(), now.UnixMicro()).Scan(&n, &e)
	if err != nil {
		return 0, time.Time{}, dbErr(err)
	}
	return n, time.UnixMicro(e).UTC(), nil
}

// PruneOIDC deletes the authorization requests, refresh tokens and
// single sign-on sessions expired at now, batch rows a statement.
func (s *Store) PruneOIDC(ctx context.Context, now time.Time, batch int) (int, error) {
	requests, err := s.prune(ctx, `DELETE FROM oidc_auth_requests WHERE id IN
		(SELECT id FROM oidc_auth_requests WHERE expires <= ? LIMIT ?)`, now.UnixMicro(), batch)
	if err != nil {
		return requests, err
	}
	tokens, err := s.prune(ctx, `DELETE FROM oidc_refresh_tokens WHERE id IN
		(SELECT id FROM oidc_refresh_tokens WHERE expires <= ? LIMIT ?)`, now.UnixMicro(), batch)
	if err != nil {
		return requests + tokens, err
	}
	sessions, err := s.prune(ctx, `DELETE FROM oidc_sso_sessions WHERE id IN
		(SELECT id FROM oidc_sso_sessions WHERE expires <= ? LIMIT ?)`, now.UnixMicro(), batch)
	return requests + tokens + sessions, err
}

// PruneStaffSessions deletes the staff page sessions expired at now,
// batch rows a statement.
func (s *Store) PruneStaffSessions(ctx context.Context, now time.Time, batch int) (int, error) {
	return s.prune(ctx, `DELETE FROM staff_sessions WHERE id IN
		(SELECT id FROM staff_sessions WHERE expires <= ? LIMIT ?)`, now.UnixMicro(), batch)
}

// PruneThrottle deletes the windows ended at now, batch rows a statement.
func (s *Store) PruneThrottle(ctx context.Context, now time.Time, batch int) (int, error) {
	return s.prune(ctx, `DELETE FROM throttle WHERE bucket IN
		(SELECT bucket FROM throttle WHERE window_end <= ? LIMIT ?)`, now.UnixMicro(), batch)
}

// prune runs query, a DELETE of at most batch rows (its second argument)
// older than before (its first), until it deletes fewer than batch, each
// statement on its own so that other writers get in between; with batch <=
// 0, once without a limit. It returns the rows deleted.
func (s *Store) prune(ctx context.Context, query string, before int64, batch int) (int, error) {
	total := 0
	for {
		res, err := s.w.ExecContext(ctx, query, before, sqlLimit(batch))
		if err != nil {
			return total, dbErr(err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, dbErr(err)
		}
		total += int(n)
		if batch <= 0 || n < int64(batch) {
			return total, nil
		}
	}
}
