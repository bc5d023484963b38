//go:build !unix

package spool

import "os"

// lock is a no-op where flock(2) does not exist.
func lock(*os.File) error { return nil }

// unlock is a no-op where flock(2) does not exist.
func unlock(file) error { return nil }

// syncDir is a no-op where directories cannot be fsynced.
func syncDir(string) error { return nil }

// tooOpen is false where Unix permission bits do not apply.
func tooOpen(os.FileInfo) bool { return false }
