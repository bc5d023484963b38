//go:build unix

package spool

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestCloseReleasesSharedLock: a child process forked while a spool is
// open holds a copy of its descriptor until it execs (TestKilled's children
// run beside the other tests); Close must release the lock even so. A
// duplicate descriptor stands in for the child's copy.
func TestCloseReleasesSharedLock(t *testing.T) {
	t.Parallel()
	path := filepath.Join(tempDir(t), "run.spool")
	id := newIdentity(t)
	s := mustCreate(t, path, Identities(id))
	dup, err := syscall.Dup(int(s.f.(*os.File).Fd()))
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(dup)
	mustClose(t, s)
	mustClose(t, mustOpen(t, path, Identities(id)))
}
