package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/qrpin/qrpin/datadir"
	"github.com/qrpin/qrpin/store"
	"github.com/qrpin/qrpin/store/postgres"
	"github.com/qrpin/qrpin/store/sqlite"
)

// dbFlags selects the database: SQLite in the data directory, or a
// PostgreSQL database that several qrpin processes share.
type dbFlags struct {
	url  string
	pool postgres.Options
}

func (f *dbFlags) flags(fs *pflag.FlagSet) {
	fs.StringVar(&f.url, "db", env("db", ""), "database: empty for SQLite in the data directory, or a PostgreSQL URL "+
		"(postgres://user:password@host:5432/dbname?sslmode=require) that several qrpin processes can share (QRPIN_DB)")
	f.poolFlags(fs)
}

// poolFlags are the PostgreSQL connection pool's limits and timeouts.
func (f *dbFlags) poolFlags(fs *pflag.FlagSet) {
	fs.Int32Var(&f.pool.MaxConns, "db-max-conns", int32(envInt("db-max-conns", 10)),
		"PostgreSQL: most connections this process opens (QRPIN_DB_MAX_CONNS)")
	fs.Int32Var(&f.pool.MinConns, "db-min-conns", int32(envInt("db-min-conns", 0)),
		"PostgreSQL: connections kept open while idle (QRPIN_DB_MIN_CONNS)")
	fs.DurationVar(&f.pool.ConnectTimeout, "db-connect-timeout", envDuration("db-connect-timeout", 5*time.Second),
		"PostgreSQL: bound on opening one connection (QRPIN_DB_CONNECT_TIMEOUT)")
	fs.DurationVar(&f.pool.MaxConnLifetime, "db-max-conn-lifetime", envDuration("db-max-conn-lifetime", time.Hour),
		"PostgreSQL: connections older than this are replaced (QRPIN_DB_MAX_CONN_LIFETIME)")
	fs.DurationVar(&f.pool.MaxConnIdleTime, "db-max-conn-idle", envDuration("db-max-conn-idle", 30*time.Minute),
		"PostgreSQL: idle connections are closed after this (QRPIN_DB_MAX_CONN_IDLE)")
	fs.DurationVar(&f.pool.OpTimeout, "db-timeout", envDuration("db-timeout", 10*time.Second),
		"PostgreSQL: bound on each database operation, waiting for a connection included; "+
			"a request that runs out of it answers 503 (QRPIN_DB_TIMEOUT)")
}

// isPostgres reports whether dsn is a PostgreSQL URL.
func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// describe names the database the flags select, for the startup line:
// SQLite and its file, or PostgreSQL and its URL with every secret in it
// (the password, in the user part or as a parameter) replaced by xxxxx.
func (f *dbFlags) describe(dataDir string) string {
	if f.url == "" {
		return "SQLite " + filepath.Join(dataDir, "qrpin.db")
	}
	return "PostgreSQL " + redactDSN(f.url)
}

// redactDSN returns a PostgreSQL URL without its secrets; one that does not
// parse as a URL is not shown at all.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(a URL that does not parse)"
	}
	q := u.Query()
	for k := range q {
		if strings.Contains(strings.ToLower(k), "password") { // password, sslpassword
			q.Set(k, "xxxxx")
		}
	}
	if len(q) > 0 {
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// openStore opens the database the flags select. Errors never quote the
// URL, which may hold a password.
func (f *dbFlags) openStore(ctx context.Context, dataDir string) (store.Store, error) {
	switch {
	case f.url == "":
		return sqlite.Open(filepath.Join(dataDir, "qrpin.db"))
	case isPostgres(f.url):
		return postgres.Open(ctx, f.url, f.pool)
	}
	return nil, errors.New("--db: want a postgres:// or postgresql:// URL, or nothing for SQLite in the data directory")
}

// pepperCheckKey is the setting that holds pepperCheck of the pepper the
// database was initialized with.
const pepperCheckKey = "pepper_check"

// pepperCheck is a value that tells peppers apart without revealing them:
// HMAC-SHA256 keyed with the pepper, of a fixed label.
func pepperCheck(pepper []byte) string {
	mac := hmac.New(sha256.New, pepper)
	mac.Write([]byte("qrpin-pepper-check-v1"))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// checkPepper makes sure pepper is the one the database was initialized
// with (recording it on first use): a process with another pepper could
// verify no PIN or badge, and the PINs it set no other process could.
func checkPepper(ctx context.Context, st store.Store, pepper []byte, dataDir string) error {
	want := pepperCheck(pepper)
	got, err := st.Setting(ctx, pepperCheckKey, want)
	if err != nil {
		return fmt.Errorf("pepper check: %w", err)
	}
	if !hmac.Equal([]byte(got), []byte(want)) {
		return fmt.Errorf("the pepper in %s is not the one this database was initialized with: "+
			"every qrpin process on a database must use the same pepper file and keys directory "+
			"(copy them from the data directory of the first process)", filepath.Join(dataDir, datadir.PepperFile))
	}
	return nil
}
