// Package pgtest gives tests PostgreSQL databases: a fresh schema of the
// database QRPIN_TEST_POSTGRES names for each test, and private throwaway
// clusters for tests that stop and start the server.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Env is the environment variable that holds the DSN of the database the
// PostgreSQL tests use, for example
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable. The tests create
// their own schemas in it and drop them when they end.
const Env = "QRPIN_TEST_POSTGRES"

// SkipMessage says how to enable the PostgreSQL tests.
const SkipMessage = Env + " is not set: set it to a PostgreSQL DSN, for example " +
	"QRPIN_TEST_POSTGRES='postgres://postgres@127.0.0.1:5432/test?sslmode=disable', " +
	"to run the PostgreSQL tests (each test works in a fresh schema it drops when done)"

// BaseDSN returns QRPIN_TEST_POSTGRES, skipping the test when it is unset.
func BaseDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(Env)
	if dsn == "" {
		t.Skip(SkipMessage)
	}
	return dsn
}

// DSN returns a DSN for a fresh, empty schema in the QRPIN_TEST_POSTGRES
// database (its connections have the schema as search_path), and drops the
// schema with everything in it when the test ends. It skips the test when
// QRPIN_TEST_POSTGRES is unset.
func DSN(t testing.TB) string {
	t.Helper()
	return SchemaDSN(t, BaseDSN(t))
}

// SchemaDSN creates a fresh schema in the database base names and returns a
// DSN whose connections use it; the schema is dropped when the test ends.
func SchemaDSN(t testing.TB, base string) string {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	schema := "qrpin_test_" + hex.EncodeToString(b)
	Exec(t, base, `CREATE SCHEMA `+schema)
	t.Cleanup(func() { Exec(t, base, `DROP SCHEMA `+schema+` CASCADE`) })
	dsn, err := WithParam(base, "search_path", schema)
	if err == nil {
		// Tests need no durability across a crash of the server: not
		// waiting for the WAL flush at each commit makes them faster and
		// changes nothing they can see.
		dsn, err = WithParam(dsn, "synchronous_commit", "off")
	}
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

// WithParam returns dsn (a URL or key=value connection string) with one
// more parameter.
func WithParam(dsn, key, value string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("pgtest: %s is not a valid URL", Env)
		}
		q := u.Query()
		q.Set(key, value)
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	return dsn + " " + key + "=" + value, nil
}

// Exec runs statements on a connection of its own to dsn, failing the test
// on an error.
func Exec(t testing.TB, dsn string, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("pgtest: %s: %v", sql, err)
	}
}
