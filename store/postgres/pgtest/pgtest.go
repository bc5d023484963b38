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

// Unavailable ends a test that cannot have the PostgreSQL it needs; why
// says what is missing and how to provide it. The test skips, or, when
// CI=true, fails: CI runs every PostgreSQL test (.ci/run provides the
// server and sets QRPIN_TEST_POSTGRES), as it runs the browser tests.
// Every PostgreSQL test that cannot run comes here.
func Unavailable(t testing.TB, why string) {
	t.Helper()
	fail, msg := skipOrFail(os.Getenv("CI") == "true", why)
	if fail {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// skipOrFail is Unavailable's rule: whether a test without PostgreSQL
// fails (in CI) rather than skips, and what it says.
func skipOrFail(ci bool, why string) (fail bool, msg string) {
	if ci {
		return true, "pgtest: " + why + "; and CI=true: the PostgreSQL tests must run, not skip, in CI (.ci/run provides PostgreSQL)"
	}
	return false, why
}

// BaseDSN returns QRPIN_TEST_POSTGRES; when it is unset the test skips, or
// fails in CI (Unavailable).
func BaseDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(Env)
	if dsn == "" {
		Unavailable(t, SkipMessage)
	}
	return dsn
}

// DSN returns a DSN for a fresh, empty schema in the QRPIN_TEST_POSTGRES
// database (its connections have the schema as search_path), and drops the
// schema with everything in it when the test ends. When QRPIN_TEST_POSTGRES
// is unset the test skips, or fails in CI (Unavailable).
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
	return schemaParams(t, base, schema)
}

// schemaParams returns base with the parameters of a test's connections
// to schema.
func schemaParams(t testing.TB, base, schema string) string {
	t.Helper()
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
