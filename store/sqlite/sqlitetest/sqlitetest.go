// Package sqlitetest opens fresh SQLite stores for tests quickly: the
// migrations run once per test binary, into a template database that each
// test's store starts as a copy of. Migrating a new database costs tens to
// hundreds of milliseconds under the race detector, and the API tests open
// hundreds.
package sqlitetest

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/qrpin/qrpin/store/sqlite"
)

// template is an empty, migrated database file, made once.
var template = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "qrpin-sqlitetest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "template.db")
	st, err := sqlite.Open(path)
	if err != nil {
		return nil, err
	}
	if err := st.Close(); err != nil { // closing checkpoints the WAL into the file
		return nil, err
	}
	return os.ReadFile(path)
})

// Open opens a new, empty store at path (which must not exist yet), closed
// when t ends.
func Open(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	b, err := template()
	if err != nil {
		t.Fatalf("sqlitetest: template database: %v", err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
