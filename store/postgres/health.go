package postgres

import (
	"context"
	"io/fs"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
)

// SchemaVersion returns the migration version the database is at and the
// newest embedded migration's.
func (s *Store) SchemaVersion(ctx context.Context) (current, want int64, err error) {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return 0, 0, err
	}
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close() // closes the adapter, not the pool
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return 0, 0, err
	}
	current, want, err = p.GetVersions(ctx)
	return current, want, mapErr(ctx, err)
}

// PoolStat returns the connection pool's statistics.
func (s *Store) PoolStat() *pgxpool.Stat { return s.pool.Stat() }
