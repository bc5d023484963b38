package datadir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPublicURL: nothing is recorded at first; a recorded URL reads back,
// a new one replaces it; URLs that are not one are refused and nothing is
// written; a damaged file is an error naming it.
func TestPublicURL(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if u, err := PublicURL(dir); u != "" || err != nil {
		t.Fatalf("before any record: %q, %v", u, err)
	}
	for _, u := range []string{"http://localhost:8080", "https://qrpin.example.com/idp"} {
		if err := RecordPublicURL(dir, u); err != nil {
			t.Fatal(err)
		}
		if got, err := PublicURL(dir); got != u || err != nil {
			t.Fatalf("after recording %q: %q, %v", u, got, err)
		}
	}
	for _, bad := range []string{"", "localhost:8080", "ftp://x", "https://x/", "https://x?a=b", "https://x#f", "https://u:p@x", "https://"} {
		if err := RecordPublicURL(dir, bad); err == nil {
			t.Errorf("RecordPublicURL(%q) succeeded", bad)
		}
	}
	if got, _ := PublicURL(dir); got != "https://qrpin.example.com/idp" {
		t.Fatalf("after refusals: %q", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}
	if err := os.WriteFile(filepath.Join(dir, PublicURLFile), []byte("qrpin.example.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := PublicURL(dir); err == nil || !strings.Contains(err.Error(), PublicURLFile) {
		t.Fatalf("a damaged file: %v", err)
	}
}
