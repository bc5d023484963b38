//go:build unix

package spool

import (
	"errors"
	"os"
	"syscall"
)

// lock takes an exclusive advisory lock on f, without waiting, so that two
// processes never append to one spool at once. Closing f releases it.
func lock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return ErrInUse
			}
			return err
		}
	}
}

// syncDir makes a new directory entry in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// tooOpen reports whether a spool's permission bits let group or others
// at it.
func tooOpen(fi os.FileInfo) bool { return fi.Mode().Perm()&0o077 != 0 }
