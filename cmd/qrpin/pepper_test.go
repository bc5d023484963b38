package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qrpin/qrpin/datadir"
)

// TestPepperCheck opens a data directory, then opens it again with another
// pepper file: the second open refuses with a clear message, and works
// again once the right pepper is back. The database keeps a check value,
// never the pepper.
func TestPepperCheck(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c := common{data: filepath.Join(t.TempDir(), "data")}
	d, err := c.open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	check, err := d.store.Setting(ctx, pepperCheckKey, "")
	if err != nil || check != pepperCheck(d.pepper) || check == "" {
		t.Fatalf("pepper check stored: %q, %v; want %q", check, err, pepperCheck(d.pepper))
	}
	for _, form := range [][]byte{d.pepper, []byte(hex.EncodeToString(d.pepper)), []byte(base64.StdEncoding.EncodeToString(d.pepper)), []byte(base64.RawStdEncoding.EncodeToString(d.pepper))} {
		if strings.Contains(check, string(form)) {
			t.Fatalf("the pepper check %q holds the pepper", check)
		}
	}
	pepper := d.pepper
	d.store.Close()

	path := filepath.Join(c.data, datadir.PepperFile)
	if err := os.WriteFile(path, bytes.Repeat([]byte{'x'}, datadir.PepperLen), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err = c.open(ctx)
	if err == nil {
		d.store.Close()
		t.Fatal("open with another pepper succeeded")
	}
	if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, "not the one this database was initialized with") ||
		strings.Contains(msg, string(pepper)) || strings.Contains(msg, "xxxx") {
		t.Fatalf("open with another pepper: %v", err)
	}

	if err := os.WriteFile(path, pepper, 0o600); err != nil {
		t.Fatal(err)
	}
	d, err = c.open(ctx)
	if err != nil {
		t.Fatalf("open with the pepper back: %v", err)
	}
	d.store.Close()
}
