package sqlite

import (
	"context"
	"database/sql"
	"io/fs"

	"github.com/pressly/goose/v3"
)

// SchemaVersion returns the migration version the database is at (read
// through a read connection) and the newest embedded migration's.
func (s *Store) SchemaVersion(ctx context.Context) (current, want int64, err error) {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return 0, 0, err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, s.r.db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return 0, 0, err
	}
	// Not p.Close: it would close the pool.
	current, want, err = p.GetVersions(ctx)
	return current, want, dbErr(err)
}

// SQLPools returns the store's connection pools, for their statistics:
// "write" (one connection) and "read".
func (s *Store) SQLPools() map[string]*sql.DB {
	return map[string]*sql.DB{"write": s.w.db, "read": s.r.db}
}
