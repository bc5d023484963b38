// Package datadir manages qrpin's data directory: it creates the directory
// and keeps the server-side pepper in a file there, outside the database.
package datadir

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// PepperFile is the name of the pepper file inside the data directory.
const PepperFile = "pepper"

// PepperLen is the length of a new pepper in bytes.
const PepperLen = 32

// Ensure creates dir (0700) if it does not exist.
func Ensure(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	return nil
}

// Pepper returns the pepper kept in dir, creating a new random one (mode
// 0600) on first use. The pepper keys PIN hashes and QR code verifiers: a
// copy of the database without it is useless to an attacker, and losing it
// makes every PIN and QR code unusable.
func Pepper(dir string) ([]byte, error) {
	path := filepath.Join(dir, PepperFile)
	b, err := os.ReadFile(path)
	if err == nil {
		if len(b) < PepperLen {
			return nil, fmt.Errorf("pepper file %s is too short (%d bytes, want %d)", path, len(b), PepperLen)
		}
		return b, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read pepper: %w", err)
	}
	if err := Ensure(dir); err != nil {
		return nil, err
	}
	b = make([]byte, PepperLen)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	// Write a temporary file, then link it into place: the link fails if
	// another process published a pepper first, and nobody ever reads a
	// half-written file.
	tmp, err := os.CreateTemp(dir, ".pepper-*")
	if err != nil {
		return nil, fmt.Errorf("create pepper: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("write pepper: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("write pepper: %w", err)
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return Pepper(dir)
	} else if err != nil {
		return nil, fmt.Errorf("create pepper: %w", err)
	}
	return b, nil
}
