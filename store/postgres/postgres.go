// Package postgres is the store.Store backend for deployments that outgrow
// one machine: several qrpin processes share one PostgreSQL database, with
// the guarantees of the embedded store (one method per user, one code of
// each kind, exact lockout counts).
//
// It talks to PostgreSQL through pgx's own API and a pgxpool connection
// pool: COPY (for bulk loads), PostgreSQL's error codes and native types
// come without database/sql's indirection. Only the migrations go through
// database/sql (pgx's stdlib adapter on the same pool), because goose needs
// a *sql.DB.
//
// Every read-modify-write (UpdateUser, UpdateMethod, UpdatePolicy) runs in
// one READ COMMITTED transaction that first locks what it reads (SELECT ...
// FOR UPDATE, or a table lock for the single policy row), so concurrent
// updates in any process queue behind each other and each sees the one
// before. A transaction that fails with a serialization failure (40001) or
// a deadlock (40P01), or on a connection that broke before COMMIT was sent,
// is run again, update function and all, a bounded number of times. What
// still fails is reported as the store's errors: unique violations are
// store.ErrConflict, foreign key violations store.ErrNotFound, and an
// unreachable database (or one that did not answer within Options.OpTimeout)
// store.ErrUnavailable.
//
// The schema lives in the connection's current schema (the first of its
// search_path, public by default) and is brought up to date with goose from
// the SQL files embedded from migrations/ each time a Store is opened; an
// advisory lock keeps processes that start together from migrating at once.
// Ids are text COLLATE "C", so ordering by id is byte order, as in SQLite,
// and times are timestamptz (microseconds), returned in UTC.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/qrpin/qrpin/store"
)

var _ store.Store = (*Store)(nil)

//go:embed migrations/*.sql
var migrations embed.FS

// maxAttempts bounds how often one store call runs its transaction.
const maxAttempts = 5

// Options tunes the connection pool. Zero values keep pgxpool's defaults,
// or what the connection string sets (pool_max_conns, connect_timeout, ...).
type Options struct {
	MaxConns        int32         // most open connections
	MinConns        int32         // connections kept open while idle
	ConnectTimeout  time.Duration // bound on opening one connection
	MaxConnLifetime time.Duration // a connection older than this is closed once idle
	MaxConnIdleTime time.Duration // an idle connection is closed after this
	// OpTimeout bounds each store call, waiting for a connection included;
	// a call that runs out of it returns store.ErrUnavailable. 0 means no
	// bound beyond the caller's context.
	OpTimeout time.Duration
}

// Store is a store.Store on a PostgreSQL database. It is safe for
// concurrent use, by several processes too.
type Store struct {
	pool      *pgxpool.Pool
	opTimeout time.Duration
}

// Open connects to the PostgreSQL database dsn names (a postgres:// URL or
// a key=value connection string), brings its schema up to date and returns
// a Store on it. Errors never quote dsn's password.
func Open(ctx context.Context, dsn string, o Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors redact the password, on a best-effort basis
		// only: say no more than that the string is malformed.
		return nil, errors.New("postgres: cannot parse the connection string")
	}
	if o.MaxConns > 0 {
		cfg.MaxConns = o.MaxConns
	}
	if o.MinConns > 0 {
		cfg.MinConns = min(o.MinConns, cfg.MaxConns)
	}
	if o.ConnectTimeout > 0 {
		cfg.ConnConfig.ConnectTimeout = o.ConnectTimeout
	}
	if o.MaxConnLifetime > 0 {
		cfg.MaxConnLifetime = o.MaxConnLifetime
	}
	if o.MaxConnIdleTime > 0 {
		cfg.MaxConnIdleTime = o.MaxConnIdleTime
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &Store{pool: pool, opTimeout: o.OpTimeout}
	if err := s.migrate(ctx, cfg.ConnConfig); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: migrate: %w", mapErr(ctx, err))
	}
	return s, nil
}

// migrate applies the embedded migrations the database lacks. A session
// advisory lock, on a connection of its own and keyed by the schema,
// serializes processes that start together; others wait for it (blocking
// in PostgreSQL, not polling).
func (s *Store) migrate(ctx context.Context, cc *pgx.ConnConfig) error {
	lockConn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return err
	}
	defer lockConn.Close(context.WithoutCancel(ctx))
	const key = `hashtextextended('qrpin migrations ' || current_schema(), 0)`
	if _, err := lockConn.Exec(ctx, `SELECT pg_advisory_lock(`+key+`)`); err != nil {
		return err
	}
	// Closing lockConn releases the lock too; unlocking first lets the
	// next process go without waiting for the connection to close.
	defer lockConn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(`+key+`)`)

	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close() // closes the adapter, not the pool
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return err
	}
	_, err = p.Up(ctx)
	return err
}

// Close closes the pool's connections.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// querier is what both *pgxpool.Pool and pgx.Tx offer, so one helper serves
// inside and outside a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// fnError carries an error of a caller's update function through a
// transaction, so that it is returned unchanged and never retried.
type fnError struct{ err error }

func (e fnError) Error() string { return e.err.Error() }

// call runs one store call: within OpTimeout, attempt is tried until it
// succeeds, fails for good or has run maxAttempts times. retry says
// whether an error may be retried; the final error is mapped to the
// store's errors.
func (s *Store) call(ctx context.Context, retry func(error) bool, attempt func(ctx context.Context) error) error {
	opCtx := ctx
	if s.opTimeout > 0 {
		var cancel context.CancelFunc
		opCtx, cancel = context.WithTimeout(ctx, s.opTimeout)
		defer cancel()
	}
	var err error
	for n := 1; ; n++ {
		err = attempt(opCtx)
		if err == nil || n == maxAttempts || opCtx.Err() != nil || !retry(err) {
			break
		}
		// A short random pause, growing with each attempt, so that
		// transactions that deadlocked do not meet again.
		pause := time.Millisecond + rand.N(time.Duration(n)*5*time.Millisecond)
		timer := time.NewTimer(pause)
		select {
		case <-opCtx.Done():
		case <-timer.C:
		}
		timer.Stop()
	}
	var fe fnError
	if errors.As(err, &fe) {
		return fe.err
	}
	if err != nil && ctx.Err() == nil && opCtx.Err() != nil {
		// Our own bound ran out, not the caller's.
		return fmt.Errorf("%w: no answer within %v: %v", store.ErrUnavailable, s.opTimeout, err)
	}
	return mapErr(ctx, err)
}

// read runs fn on the pool (each statement on its own). fn reads only, or
// writes nothing that running it twice would change (Setting's INSERT ...
// ON CONFLICT DO NOTHING), so it is safe to repeat: any connection failure
// is retried.
func (s *Store) read(ctx context.Context, fn func(ctx context.Context, q querier) error) error {
	return s.call(ctx, func(err error) bool { return connFailed(err) || transient(err) },
		func(ctx context.Context) error { return fn(ctx, s.pool) })
}

// exec runs one statement that writes, outside an explicit transaction
// (PostgreSQL runs it in one). It is retried only when it certainly did not
// reach the server (no connection, or nothing sent), or PostgreSQL rolled it
// back for a transient reason.
func (s *Store) exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	var tag pgconn.CommandTag
	err := s.write1(ctx, func(ctx context.Context, q querier) error {
		var err error
		tag, err = q.Exec(ctx, sql, args...)
		return err
	})
	return tag, err
}

// write1 runs fn, one statement that writes (and may return rows), on the
// pool, retried as exec's statement is.
func (s *Store) write1(ctx context.Context, fn func(ctx context.Context, q querier) error) error {
	return s.call(ctx, func(err error) bool { return notSent(err) || transient(err) },
		func(ctx context.Context) error { return fn(ctx, s.pool) })
}

// inTx runs fn in one transaction and commits it when fn returns nil. The
// whole transaction, fn included, is run again after a serialization
// failure or deadlock, or when the connection failed before COMMIT was sent
// (after that, whether it committed is unknown, so it is not retried). An
// error fn returns wrapped in fnError comes back unchanged.
func (s *Store) inTx(ctx context.Context, opts pgx.TxOptions, fn func(ctx context.Context, tx pgx.Tx) error) error {
	var committing bool
	return s.call(ctx,
		func(err error) bool {
			return transient(err) || (connFailed(err) && (!committing || opts.AccessMode == pgx.ReadOnly))
		},
		func(ctx context.Context) error {
			committing = false
			tx, err := s.pool.BeginTx(ctx, opts)
			if err != nil {
				return err
			}
			defer tx.Rollback(ctx) // after Commit, a no-op
			if err := fn(ctx, tx); err != nil {
				return err
			}
			committing = true
			return tx.Commit(ctx)
		})
}

// readTx runs fn, which reads only, in one read-only REPEATABLE READ
// transaction, so its statements see one snapshot.
func (s *Store) readTx(ctx context.Context, fn func(ctx context.Context, tx pgx.Tx) error) error {
	return s.inTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}

// writeTx runs fn in one READ COMMITTED read-write transaction; fn locks
// the rows it reads before it changes them.
func (s *Store) writeTx(ctx context.Context, fn func(ctx context.Context, tx pgx.Tx) error) error {
	return s.inTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, fn)
}

// notSent reports whether err certainly came before anything was sent to
// the server: no connection could be made, or pgx says so.
func notSent(err error) bool {
	var ce *pgconn.ConnectError
	return errors.As(err, &ce) || pgconn.SafeToRetry(err)
}

// SQLSTATE codes the store handles.
const (
	uniqueViolation      = "23505"
	foreignKeyViolation  = "23503"
	serializationFailure = "40001"
	deadlockDetected     = "40P01"
)

// transient reports whether PostgreSQL rolled the statement or transaction
// back for a reason that running it again may not meet.
func transient(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == serializationFailure || pe.Code == deadlockDetected)
}

// connFailed reports whether err means the database could not be reached or
// the connection broke: no connection, a closed or reset one, or the server
// shutting down, starting up or out of connections.
func connFailed(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "08") || // connection exception
			strings.HasPrefix(pe.Code, "53") || // insufficient resources: too many connections, ...
			strings.HasPrefix(pe.Code, "57P") // admin or crash shutdown, cannot connect now
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) ||
		errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// mapErr maps a database error to the store's errors: no row is
// store.ErrNotFound, a uniqueness violation store.ErrConflict, a missing
// foreign key row store.ErrNotFound, an unreachable database (or transient
// failures that outlasted the retries) store.ErrUnavailable. An update
// function's error is returned unchanged; when ctx has ended, its error is
// returned. Other errors are returned as they are.
func mapErr(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var fe fnError
	if errors.As(err, &fe) {
		return fe.err
	}
	if ctx.Err() != nil {
		return fmt.Errorf("postgres: %w", context.Cause(ctx))
	}
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrUnavailable) {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case uniqueViolation:
			return fmt.Errorf("%w: %v", store.ErrConflict, err)
		case foreignKeyViolation:
			return fmt.Errorf("%w: %v", store.ErrNotFound, err)
		}
	}
	if transient(err) || connFailed(err) {
		return fmt.Errorf("%w: %v", store.ErrUnavailable, err)
	}
	return fmt.Errorf("postgres: %w", err)
}

// textOK reports whether PostgreSQL can hold every one of ss as text:
// valid UTF-8 without NUL. SQLite holds any bytes, so a key that is not OK
// names no row PostgreSQL could have stored: lookups by it find nothing
// (store.ErrNotFound), as they would in SQLite, rather than fail.
func textOK(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			return false
		}
	}
	return true
}

// after turns a paging cursor (any bytes, as "ID > after" compares them)
// into the smallest string PostgreSQL can hold that sorts after it in byte
// order, so that "id >= cursor" selects exactly the stored ids > after.
// ok is false when no such string exists (no stored id sorts after it).
func cursor(after string) (c string, ok bool) {
	// The smallest holdable string > after keeps the longest possible
	// prefix of after, then the smallest byte that is greater than after's
	// next byte (or any byte, past its end) and still begins holdable text,
	// then the smallest completion of the character it starts.
	for j := len(after); j >= 0; j-- {
		prefix := after[:j]
		if !holdablePrefix(prefix) {
			continue
		}
		lo := 1 // never NUL
		if j < len(after) {
			lo = int(after[j]) + 1
		}
		for b := lo; b <= 0xff; b++ {
			if p := prefix + string([]byte{byte(b)}); holdablePrefix(p) {
				return complete(p), true
			}
		}
	}
	return "", false
}

// holdablePrefix reports whether p begins some string PostgreSQL can hold:
// valid UTF-8 without NUL, but for an unfinished last character.
func holdablePrefix(p string) bool {
	for p != "" {
		r, size := utf8.DecodeRuneInString(p)
		if r == utf8.RuneError && size <= 1 {
			// Invalid, or the valid beginning of a character (FullRune is
			// false only then).
			return !utf8.FullRuneInString(p)
		}
		if r == 0 {
			return false
		}
		p = p[size:]
	}
	return true
}

// complete finishes p's unfinished last character with the smallest
// continuation bytes.
func complete(p string) string {
	for !utf8.ValidString(p) {
		for b := 0x80; b <= 0xbf; b++ {
			if q := p + string([]byte{byte(b)}); holdablePrefix(q) {
				p = q
				break
			}
		}
	}
	return p
}

// exactlyOne returns store.ErrNotFound when a write changed no row.
func exactlyOne(tag pgconn.CommandTag, err error) error {
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

// sqlLimit turns a list limit into a LIMIT parameter: NULL (no limit) for
// zero or less.
func sqlLimit(limit int) *int {
	if limit <= 0 {
		return nil
	}
	return &limit
}

// timeArg is t as stored: NULL for the zero time.
func timeArg(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// dbTime scans a timestamptz column: NULL is the zero time (the inverse
// of timeArg), any other value is in UTC, and an infinite one, which qrpin
// never stores, is an error. Scanning into it costs pgx one small plan, where
// a *time.Time costs several allocations for each column of each query.
type dbTime struct{ t time.Time }

var _ pgtype.TimestamptzScanner = (*dbTime)(nil)

// ScanTimestamptz implements pgtype.TimestamptzScanner.
func (d *dbTime) ScanTimestamptz(v pgtype.Timestamptz) error {
	switch {
	case !v.Valid:
		d.t = time.Time{}
	case v.InfinityModifier != pgtype.Finite:
		return fmt.Errorf("postgres: cannot scan an infinite timestamptz into a time")
	default:
		d.t = v.Time.UTC()
	}
	return nil
}
