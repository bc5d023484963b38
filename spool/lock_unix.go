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

// unlock releases f's lock before f is closed. Closing alone is not
// enough while another descriptor shares f's open file: a child process
// forked at that moment holds one until it execs, and the lock would
// outlive Close until then.
// Files other than *os.File (tests' stand-ins) hold no lock.
func unlock(f file) error {
	of, ok := f.(*os.File)
	if !ok {
		return nil
	}
	for {
		err := syscall.Flock(int(of.Fd()), syscall.LOCK_UN)
		if !errors.Is(err, syscall.EINTR) {
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
