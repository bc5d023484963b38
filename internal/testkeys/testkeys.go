// Package testkeys gives tests a signing-key directory without generating
// an RSA key for each of them: one key is made per test binary and copied
// into each test's own directory. A 2048-bit key takes tens to hundreds of
// milliseconds to generate, which made key generation a third of the CPU
// of the Graph API tests.
package testkeys

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/qrpin/qrpin/auth"
)

// files are the key directory's files, by name, made once.
var files = sync.OnceValues(func() (map[string][]byte, error) {
	dir, err := os.MkdirTemp("", "qrpin-testkeys-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if _, err := auth.NewKey(dir); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out[e.Name()] = b
	}
	return out, nil
})

// Dir returns a new directory, removed when t ends, that holds the test
// binary's one signing key, for auth.LoadOrCreateKeys or auth.OpenKeys.
// Tests that rotate or delete keys change only their own copy.
func Dir(t testing.TB) string {
	t.Helper()
	fs, err := files()
	if err != nil {
		t.Fatalf("testkeys: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "keys")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, b := range fs {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// KeySet returns the keys of a new Dir.
func KeySet(t testing.TB) *auth.KeySet {
	t.Helper()
	keys, err := auth.LoadOrCreateKeys(Dir(t))
	if err != nil {
		t.Fatal(err)
	}
	return keys
}
