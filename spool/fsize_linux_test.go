package spool

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"filippo.io/age"
)

// TestFileSizeLimit fills the "disk" for real: a child process appends
// under RLIMIT_FSIZE, so the kernel cuts a write short and then fails it
// (EFBIG, as a full disk fails with ENOSPC). The spool must keep only
// whole records, exactly those whose Append returned nil.
func TestFileSizeLimit(t *testing.T) {
	if os.Getenv("SPOOL_FSIZE_CHILD") != "" {
		fsizeChild()
		return
	}
	t.Parallel()
	id := newIdentity(t)
	path := filepath.Join(tempDir(t), "run.spool")
	s := mustCreate(t, path, Identities(id))
	mustAppend(t, s, entry(0))
	start := s.size
	mustAppend(t, s, entry(1))
	rec := s.size - start
	limit := s.size + 2*rec + rec/2 // room for two and a half more records
	mustClose(t, s)

	cmd := exec.Command(os.Args[0], "-test.run=^TestFileSizeLimit$", "-test.count=1")
	cmd.Env = append(os.Environ(), "SPOOL_FSIZE_CHILD="+path, "SPOOL_FSIZE_LIMIT="+fmt.Sprint(limit), "SPOOL_FSIZE_ID="+id.String())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var acked int
	var appendErr string
	for _, line := range strings.Split(string(out), "\n") {
		if n, ok := strings.CutPrefix(line, "acked "); ok {
			fmt.Sscan(n, &acked)
		}
		if e, ok := strings.CutPrefix(line, "error "); ok {
			appendErr = e
		}
	}
	if acked != 2 {
		t.Errorf("%d Appends succeeded under the limit, want 2", acked)
	}
	if !strings.Contains(appendErr, "file too large") {
		t.Fatalf("child's Append error %q, want EFBIG; output:\n%s", appendErr, out)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() > limit {
		t.Fatalf("file size %v over the limit %d: %v", fi.Size(), limit, err)
	}
	s = mustOpen(t, path, Identities(id))
	defer mustClose(t, s)
	if s.Recovered() != 0 {
		t.Errorf("Recovered = %d: the failed Append left part of a record", s.Recovered())
	}
	want := []Entry{entry(0), entry(1)}
	for i := range acked {
		want = append(want, entry(100+i))
	}
	sameEntries(t, s.Entries(), want)
}

// fsizeChild is the child process of TestFileSizeLimit.
func fsizeChild() {
	path := os.Getenv("SPOOL_FSIZE_CHILD")
	var limit uint64
	fmt.Sscan(os.Getenv("SPOOL_FSIZE_LIMIT"), &limit)
	id, err := age.ParseX25519Identity(os.Getenv("SPOOL_FSIZE_ID"))
	if err != nil {
		fmt.Println("error", err)
		return
	}
	s, err := Open(path, tenant, Identities(id))
	if err != nil {
		fmt.Println("error", err)
		return
	}
	defer s.Close()
	signal.Ignore(syscall.SIGXFSZ)
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &rl); err != nil {
		fmt.Println("error", err)
		return
	}
	rl.Cur = limit
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &rl); err != nil {
		fmt.Println("error", err)
		return
	}
	for i := range 100 {
		if err := s.Append(entry(100 + i)); err != nil {
			if !errors.Is(err, syscall.EFBIG) {
				fmt.Println("unexpected", err)
			}
			fmt.Println("acked", i)
			fmt.Println("error", err)
			return
		}
	}
	fmt.Println("error none after 100 appends")
}
