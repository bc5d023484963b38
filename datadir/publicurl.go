package datadir

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// PublicURLFile is the name of the file, inside the data directory, where
// `qrpin serve` records the public URL it serves at (the base of its token
// issuer), so that the commands that mint tokens or print the server's URLs
// use the running server's URL whatever address it was started on.
const PublicURLFile = "public-url"

// RecordPublicURL records u as the public URL of the server on dir. The
// file is replaced whole (a temporary file renamed into place): a reader
// sees the old URL or the new one, never part of one.
func RecordPublicURL(dir, u string) error {
	if err := checkPublicURL(u); err != nil {
		return err
	}
	path := filepath.Join(dir, PublicURLFile)
	if old, err := os.ReadFile(path); err == nil && strings.TrimSpace(string(old)) == u {
		return nil // already recorded
	}
	tmp, err := os.CreateTemp(dir, ".public-url-*")
	if err != nil {
		return fmt.Errorf("record public URL: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(u + "\n"); err != nil {
		tmp.Close()
		return fmt.Errorf("record public URL: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("record public URL: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("record public URL: %w", err)
	}
	return nil
}

// PublicURL returns the public URL recorded in dir, or "" when none is
// (no server has started on it since qrpin began recording it).
func PublicURL(dir string) (string, error) {
	path := filepath.Join(dir, PublicURLFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the recorded public URL: %w", err)
	}
	u := strings.TrimSpace(string(b))
	if err := checkPublicURL(u); err != nil {
		return "", fmt.Errorf("%s: %w (delete the file, or start qrpin serve, which records it)", path, err)
	}
	return u, nil
}

// checkPublicURL accepts an absolute http or https URL with a host and
// without a trailing slash, query or fragment.
func checkPublicURL(u string) error {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" ||
		strings.HasSuffix(u, "/") || p.RawQuery != "" || p.Fragment != "" || p.User != nil {
		return fmt.Errorf("public URL %q is not an http or https URL without a trailing slash, query, fragment or user", u)
	}
	return nil
}
