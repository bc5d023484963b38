// Package sqlite is the embedded store.Store backend: one SQLite database
// file, written through modernc.org/sqlite (pure Go, no C toolchain).
//
// The database runs in WAL mode with foreign keys on. A Store holds two
// connection pools on the file: a single write connection whose
// transactions begin IMMEDIATE, so writes in this process queue for it
// instead of failing with SQLITE_BUSY, and a pool of read-only connections
// that WAL lets read while a write is in progress. A busy timeout covers
// other processes writing the same file. Each pool keeps the statements run
// on it prepared on each of its connections, so SQLite parses a statement
// once per connection rather than once per call (see pool).
//
// Times are stored as INTEGER Unix microseconds (NULL for the zero time) and
// returned in UTC. The schema is applied with goose from the SQL files
// embedded from migrations/ each time a Store is opened.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/qrpin/qrpin/store"
)

var _ store.Store = (*Store)(nil)

// busyTimeout is how long a statement waits for a lock held by another
// process before it fails.
const busyTimeout = 10 * time.Second

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a store.Store kept in one SQLite database file. It is safe for
// concurrent use.
type Store struct {
	w *pool // the one write connection; BEGIN IMMEDIATE
	r *pool // read-only connections
}

// Open opens (creating if needed) the SQLite database at path, brings its
// schema up to date and returns a Store on it. path names a file; in-memory
// databases are not supported, since the Store opens the file more than once.
func Open(path string) (*Store, error) {
	if path == "" || path == ":memory:" || strings.Contains(path, "?") {
		return nil, fmt.Errorf("sqlite: unsupported database path %q", path)
	}
	ctx := context.Background()
	timeout := fmt.Sprint(busyTimeout.Milliseconds())

	// synchronous=NORMAL is WAL mode's usual level: a commit does not wait
	// for fsync (checkpoints do). The database never corrupts; a power loss
	// (not a crash of qrpin) may undo the last commits. It saves a disk
	// flush per write, which is most of a sign-in's cost beside its hash
	// (BENCHMARKS.md). Deployments that need every commit on disk use
	// PostgreSQL with synchronous_commit on.
	w, err := sql.Open("sqlite", path+"?"+url.Values{
		"_busy_timeout": {timeout},
		"_foreign_keys": {"on"},
		"_journal_mode": {"WAL"},
		"_pragma":       {"synchronous(NORMAL)"},
		"_txlock":       {"immediate"},
	}.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	// One writer: every write transaction in this process waits for this
	// connection, so they serialize here rather than in SQLite's lock.
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: migrate %s: %w", path, err)
	}

	r, err := sql.Open("sqlite", path+"?"+url.Values{
		"_busy_timeout": {timeout},
		"_foreign_keys": {"on"},
		"_query_only":   {"on"},
	}.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	if err := r.PingContext(ctx); err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return &Store{w: newPool(w), r: newPool(r)}, nil
}

// migrate applies the embedded migrations that db lacks.
func migrate(ctx context.Context, db *sql.DB) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return err
	}
	// Not p.Close: it would close db.
	_, err = p.Up(ctx)
	return err
}

// Close closes the database and the statements prepared on it.
func (s *Store) Close() error {
	return errors.Join(s.r.close(), s.w.close())
}

// querier is what both a pool and a transaction offer, so one helper serves
// inside and outside a transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// write runs fn in one write transaction and commits it when fn returns nil.
// An error from fn is returned unchanged, after rolling back.
func (s *Store) write(ctx context.Context, fn func(tx querier) error) error {
	tx, err := s.w.begin(ctx, nil)
	if err != nil {
		return dbErr(err)
	}
	defer tx.end(ctx) // rolls back: after Commit, a no-op; also when fn panics
	if err := fn(tx); err != nil {
		return err
	}
	return dbErr(tx.tx.Commit())
}

// read runs fn in one read transaction, so the reads in fn see one snapshot.
func (s *Store) read(ctx context.Context, fn func(tx querier) error) error {
	tx, err := s.r.begin(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return dbErr(err)
	}
	defer tx.end(ctx)
	return fn(tx)
}

// dbErr maps a database error to the store's errors: a uniqueness violation
// is store.ErrConflict, a missing foreign key row store.ErrNotFound, a lock
// held too long store.ErrUnavailable. Other errors are returned as they are.
func dbErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return err
	}
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return fmt.Errorf("%w: %v", store.ErrConflict, err)
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return fmt.Errorf("%w: %v", store.ErrNotFound, err)
	}
	switch e.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return fmt.Errorf("%w: %v", store.ErrUnavailable, err)
	}
	return err
}

// exactlyOne returns store.ErrNotFound when a write changed no row.
func exactlyOne(res sql.Result, err error) error {
	if err != nil {
		return dbErr(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// sqlLimit turns a list limit into SQLite's LIMIT, where -1 means none.
func sqlLimit(limit int) int {
	if limit <= 0 {
		return -1
	}
	return limit
}

// micros is t as stored: Unix microseconds, or NULL for the zero time.
func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// fromMicros is the inverse of micros, in UTC.
func fromMicros(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMicro(n.Int64).UTC()
}
