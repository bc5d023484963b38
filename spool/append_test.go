package spool

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// faultyFile lets a test fill the disk mid-write or fail an fsync.
type faultyFile struct {
	file
	mu      sync.Mutex
	budget  int // bytes WriteAt may still write; negative means no limit
	syncErr error
	syncs   int
	inSync  chan struct{} // if set, Sync signals it and waits for release
	release chan struct{}
}

func (f *faultyFile) WriteAt(p []byte, off int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.budget < 0 || len(p) <= f.budget {
		if f.budget >= 0 {
			f.budget -= len(p)
		}
		return f.file.WriteAt(p, off)
	}
	n, err := f.file.WriteAt(p[:f.budget], off)
	f.budget = 0
	if err == nil {
		err = &fs.PathError{Op: "write", Path: "spool", Err: syscall.ENOSPC}
	}
	return n, err
}

func (f *faultyFile) Sync() error {
	f.mu.Lock()
	f.syncs++
	err := f.syncErr
	inSync, release := f.inSync, f.release
	f.mu.Unlock()
	if inSync != nil {
		inSync <- struct{}{}
		<-release
	}
	if err != nil {
		return err
	}
	return f.file.Sync()
}

func (f *faultyFile) set(budget int, syncErr error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.budget, f.syncErr = budget, syncErr
}

// inject puts a faultyFile under s; call it before the Appends it affects.
func inject(s *Spool) *faultyFile {
	s.mu.Lock()
	defer s.mu.Unlock()
	ff := &faultyFile{file: s.f, budget: -1}
	s.f = ff
	return ff
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestRecoverEveryOffset cuts the file at every byte of its last record,
// as a crash mid-write would, and checks that Open keeps every earlier
// entry, cuts the torn bytes off, and appends after them.
func TestRecoverEveryOffset(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	id := newIdentity(t)
	k := Identities(id)
	path := filepath.Join(dir, "run.spool")
	s := mustCreate(t, path, k)
	hdr := s.size
	mustAppend(t, s, entry(0), entry(1))
	whole := s.size
	// A small last record keeps the number of cuts (each an Open with an
	// fsync) down; its size does not change what is tested.
	small := Entry{UserID: "u", Action: ActionRenewed, Written: time.Unix(0, 0).UTC()}
	mustAppend(t, s, small)
	full := s.size
	mustClose(t, s)
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(orig)) != full {
		t.Fatalf("file is %d bytes, Spool counted %d", len(orig), full)
	}
	want := []Entry{entry(0), entry(1)}

	check := func(t *testing.T, name string, b []byte, want []Entry, wantSize int64, appendAfter bool) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := Open(p, tenant, k)
		if err != nil {
			t.Fatalf("%s: Open: %v", name, err)
		}
		sameEntries(t, s.Entries(), want)
		if got := s.Recovered(); got != int64(len(b))-wantSize {
			t.Errorf("%s: Recovered = %d, want %d", name, got, int64(len(b))-wantSize)
		}
		if got := fileSize(t, p); got != wantSize {
			t.Errorf("%s: file is %d bytes after Open, want %d", name, got, wantSize)
		}
		if appendAfter {
			mustAppend(t, s, entry(9))
			mustClose(t, s)
			s = mustOpen(t, p, k)
			sameEntries(t, s.Entries(), append(want[:len(want):len(want)], entry(9)))
		}
		mustClose(t, s)
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	const shards = 4
	for shard := range shards {
		t.Run(fmt.Sprint("cuts", shard), func(t *testing.T) {
			t.Parallel()
			for cut := whole + int64(shard); cut < full; cut += shards {
				check(t, fmt.Sprintf("cut%d.spool", cut), orig[:cut], want, whole, cut%32 == 0 || cut == whole+1 || cut == full-1)
			}
		})
	}
	t.Run("other damage", func(t *testing.T) {
		t.Parallel()
		// Cut inside the first record: only the header is left.
		for _, cut := range []int64{hdr + 1, hdr + 4, hdr + 50} {
			check(t, fmt.Sprintf("first%d.spool", cut), orig[:cut], nil, hdr, true)
		}
		// The last record has its full length but wrong bytes (a partly
		// persisted page), or the file was extended with zeros.
		last := bytes.Clone(orig)
		last[full-20] ^= 0x80
		check(t, "lastbad.spool", last, want, whole, true)
		check(t, "zeros.spool", append(bytes.Clone(orig), make([]byte, 4096)...), append(want, small), full, true)
		check(t, "zerolen.spool", append(bytes.Clone(orig), 0, 0, 0, 0), append(want, small), full, false)
	})
}

func TestDiskFull(t *testing.T) {
	t.Parallel()
	id := newIdentity(t)
	rec, err := sealRecord(id.Recipient(), 2, entry(2))
	if err != nil {
		t.Fatal(err)
	}
	for _, budget := range []int{0, 1, 3, 4, 5, 100, len(rec) / 2, len(rec) - 1} {
		t.Run(fmt.Sprint(budget), func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(tempDir(t), "run.spool")
			s := mustCreate(t, path, Identities(id))
			mustAppend(t, s, entry(0), entry(1))
			before := fileSize(t, path)
			ff := inject(s)
			ff.set(budget, nil)

			err := s.Append(entry(2))
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("Append on a full disk: %v, want ENOSPC", err)
			}
			for _, secret := range []string{entry(2).PIN, entry(2).Payload} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q contains a secret", err)
				}
			}
			if got := fileSize(t, path); got != before {
				t.Errorf("file is %d bytes after the failed Append, want %d", got, before)
			}
			sameEntries(t, s.Entries(), []Entry{entry(0), entry(1)})

			// Space is freed: the spool goes on, with no gap.
			ff.set(-1, nil)
			mustAppend(t, s, entry(3))
			mustClose(t, s)
			s = mustOpen(t, path, Identities(id))
			sameEntries(t, s.Entries(), []Entry{entry(0), entry(1), entry(3)})
			if s.Recovered() != 0 {
				t.Errorf("Recovered = %d, want 0", s.Recovered())
			}
			mustClose(t, s)
		})
	}
}

// TestDiskFullConcurrent fills the disk while many Appends run: exactly
// the entries whose Append returned nil are stored, as whole records.
func TestDiskFullConcurrent(t *testing.T) {
	t.Parallel()
	id := newIdentity(t)
	path := filepath.Join(tempDir(t), "run.spool")
	s := mustCreate(t, path, Identities(id))
	ff := inject(s)
	ff.set(4000, nil)

	const workers, each = 4, 8
	var (
		mu sync.Mutex
		ok = map[string]bool{}
		wg sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				e := entry(w*each + i)
				err := s.Append(e)
				if err != nil && !errors.Is(err, syscall.ENOSPC) {
					t.Errorf("Append: %v", err)
				}
				mu.Lock()
				ok[e.UserID] = err == nil
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	stored := 0
	for _, v := range ok {
		if v {
			stored++
		}
	}
	if stored == 0 || stored == workers*each {
		t.Fatalf("%d of %d entries stored; the test wants the disk to fill midway", stored, workers*each)
	}
	checkSet := func(es []Entry) {
		t.Helper()
		if len(es) != stored {
			t.Errorf("%d entries, want %d", len(es), stored)
		}
		for _, e := range es {
			if !ok[e.UserID] {
				t.Errorf("entry %s stored although its Append failed", e.UserID)
			}
		}
	}
	checkSet(s.Entries())
	mustClose(t, s)
	s = mustOpen(t, path, Identities(id))
	checkSet(s.Entries())
	if s.Recovered() != 0 {
		t.Errorf("Recovered = %d, want 0: the file held a partial record", s.Recovered())
	}
	mustClose(t, s)
}

// TestSyncFailure: after a failed fsync the spool refuses further Appends
// until reopened, and a reopen finds only the entries that were synced.
func TestSyncFailure(t *testing.T) {
	t.Parallel()
	id := newIdentity(t)
	path := filepath.Join(tempDir(t), "run.spool")
	s := mustCreate(t, path, Identities(id))
	mustAppend(t, s, entry(0))
	ff := inject(s)
	ff.set(-1, syscall.EIO)
	if err := s.Append(entry(1)); !errors.Is(err, syscall.EIO) {
		t.Fatalf("Append with a failing fsync: %v, want EIO", err)
	}
	ff.set(-1, nil)
	if err := s.Append(entry(2)); !errors.Is(err, ErrFailed) || !errors.Is(err, syscall.EIO) {
		t.Fatalf("Append after a failed fsync: %v, want ErrFailed", err)
	}
	sameEntries(t, s.Entries(), []Entry{entry(0)})
	mustClose(t, s)
	s = mustOpen(t, path, Identities(id))
	sameEntries(t, s.Entries(), []Entry{entry(0)})
	mustAppend(t, s, entry(3))
	sameEntries(t, s.Entries(), []Entry{entry(0), entry(3)})
	mustClose(t, s)
}

// TestGroupCommit holds the first fsync until more Appends are waiting,
// and checks that one fsync then covers all of them.
func TestGroupCommit(t *testing.T) {
	t.Parallel()
	id := newIdentity(t)
	path := filepath.Join(tempDir(t), "run.spool")
	s := mustCreate(t, path, Identities(id))
	ff := inject(s)
	ff.inSync, ff.release = make(chan struct{}), make(chan struct{})

	const waiting = 10
	errs := make(chan error, waiting+1)
	go func() { errs <- s.Append(entry(0)) }()
	<-ff.inSync // the writer is in the first fsync
	for i := 1; i <= waiting; i++ {
		go func() { errs <- s.Append(entry(i)) }()
	}
	for {
		s.mu.Lock()
		n := 0
		if s.pending != nil {
			n = len(s.pending.entries)
		}
		s.mu.Unlock()
		if n == waiting {
			break
		}
		runtime.Gosched()
	}
	ff.release <- struct{}{} // first fsync done
	<-ff.inSync              // the second one covers the 10 waiting
	ff.release <- struct{}{}
	for range waiting + 1 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if ff.syncs != 2 {
		t.Errorf("%d fsyncs for %d Appends, want 2", ff.syncs, waiting+1)
	}
	if got := len(s.Entries()); got != waiting+1 {
		t.Errorf("%d entries, want %d", got, waiting+1)
	}
	mustClose(t, s)
}

func TestConcurrentAppend(t *testing.T) {
	t.Parallel()
	id := newIdentity(t)
	path := filepath.Join(tempDir(t), "run.spool")
	s := mustCreate(t, path, Identities(id))
	// Every entry costs X25519 operations, very slow under -race: a few
	// dozen entries are enough for the race detector to see the sharing.
	const workers, each = 8, 8
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				if err := s.Append(entry(w*each + i)); err != nil {
					t.Error(err)
				}
				_ = s.Latest() // readers run alongside writers
			}
		})
	}
	wg.Wait()
	got := s.Entries()
	seen := map[string]bool{}
	for _, e := range got {
		if seen[e.UserID] {
			t.Errorf("entry %s twice", e.UserID)
		}
		seen[e.UserID] = true
	}
	if len(seen) != workers*each {
		t.Fatalf("%d distinct entries, want %d", len(seen), workers*each)
	}
	mustClose(t, s)
	s = mustOpen(t, path, Identities(id))
	sameEntries(t, s.Entries(), got)
	mustClose(t, s)
}

func TestNoSecretsInFile(t *testing.T) {
	t.Parallel()
	const pass = "correct horse battery"
	path := filepath.Join(tempDir(t), "run.spool")
	s := mustCreate(t, path, fastPassphrase(pass))
	var es []Entry
	for i := range 8 {
		es = append(es, entry(i))
	}
	mustAppend(t, s, es...)
	mustClose(t, s)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(tenant)) {
		t.Error("the tenant id, stored in clear, is missing: is this the spool?")
	}
	secrets := []string{pass, "AGE-SECRET-KEY-", "age-secret-key-"}
	for _, e := range es {
		secrets = append(secrets, e.PIN, e.Payload, base64.StdEncoding.EncodeToString([]byte(e.Payload)), e.UPN, e.DisplayName, e.EmployeeID, e.CodeID, e.Control, e.UserID)
	}
	for _, secret := range secrets {
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("the spool file contains %q in clear", secret)
		}
	}
}

func TestLatest(t *testing.T) {
	t.Parallel()
	path := filepath.Join(tempDir(t), "run.spool")
	id := newIdentity(t)
	s := mustCreate(t, path, Identities(id))
	u1, u2, u3 := entry(1), entry(2), entry(3)
	u1renewed := u1
	u1renewed.Action, u1renewed.PIN, u1renewed.Payload, u1renewed.CodeID = ActionRenewed, "", "QRPAYLOAD-RENEWED-1", "code-renewed-1"
	u2reissued := u2
	u2reissued.Action, u2reissued.PIN, u2reissued.Payload = ActionReissued, "91827364", "QRPAYLOAD-REISSUED-2"
	mustAppend(t, s, u1, u2, u1renewed, u3, u2reissued)
	want := []Entry{u1renewed, u2reissued, u3}
	check := func() {
		t.Helper()
		sameEntries(t, s.Latest(), want)
		for _, w := range want {
			got, ok := s.Lookup(w.UserID)
			if !ok {
				t.Fatalf("Lookup(%s) found nothing", w.UserID)
			}
			sameEntries(t, []Entry{got}, []Entry{w})
		}
		if _, ok := s.Lookup(entry(4).UserID); ok {
			t.Error("Lookup found a user never appended")
		}
		if s.Len() != 5 {
			t.Errorf("Len = %d, want 5", s.Len())
		}
	}
	check()
	mustClose(t, s)
	s = mustOpen(t, path, Identities(id))
	check()
	sameEntries(t, s.Entries(), []Entry{u1, u2, u1renewed, u3, u2reissued})
	mustClose(t, s)

	empty := mustCreate(t, filepath.Join(tempDir(t), "empty.spool"), Identities(id))
	if got := empty.Latest(); len(got) != 0 {
		t.Errorf("Latest of an empty spool = %v", got)
	}
	mustClose(t, empty)
}

func TestAppendInvalid(t *testing.T) {
	t.Parallel()
	path := filepath.Join(tempDir(t), "run.spool")
	s := mustCreate(t, path, Identities(newIdentity(t)))
	before := fileSize(t, path)
	noUser := entry(0)
	noUser.UserID = ""
	badAction := entry(0)
	badAction.Action = "existing"
	huge := entry(0)
	huge.Payload = strings.Repeat("P", maxPlain)
	badName := entry(0)
	badName.DisplayName = "Ren\xe9e"
	for name, e := range map[string]Entry{"no user id": noUser, "bad action": badAction, "too big": huge, "latin-1 name": badName} {
		err := s.Append(e)
		if !errors.Is(err, ErrInvalidEntry) {
			t.Errorf("%s: Append: %v, want ErrInvalidEntry", name, err)
		} else if strings.Contains(err.Error(), e.PIN) || strings.Contains(err.Error(), "PPPP") {
			t.Errorf("%s: error %q contains a secret", name, err)
		}
	}
	if got := fileSize(t, path); got != before || len(s.Entries()) != 0 {
		t.Errorf("invalid entries were written: %d bytes, %d entries", got-before, len(s.Entries()))
	}
	// The sequence has no gap: a valid entry after them reads back.
	mustAppend(t, s, entry(1))
	mustClose(t, s)
}

// TestBinaryPayload: a payload that is not text (Entra's rawContent is
// bytes) comes back byte for byte.
func TestBinaryPayload(t *testing.T) {
	t.Parallel()
	path := filepath.Join(tempDir(t), "run.spool")
	id := newIdentity(t)
	s := mustCreate(t, path, Identities(id))
	e := entry(0)
	e.Payload = string([]byte{0x00, 0xff, 0xfe, 0x80, 'q', 0xc3, 0x28, 0x00})
	mustAppend(t, s, e)
	mustClose(t, s)
	s = mustOpen(t, path, Identities(id))
	sameEntries(t, s.Entries(), []Entry{e})
	mustClose(t, s)
}

func TestWrittenAndClose(t *testing.T) {
	t.Parallel()
	path := filepath.Join(tempDir(t), "run.spool")
	id := newIdentity(t)
	s := mustCreate(t, path, Identities(id))
	at := time.Date(2026, 12, 1, 14, 30, 0, 0, time.UTC)
	s.now = func() time.Time { return at }
	e := entry(0)
	e.Written = time.Time{}
	mustAppend(t, s, e)
	if got := s.Entries()[0].Written; !got.Equal(at) {
		t.Errorf("Written = %v, want %v", got, at)
	}
	mustClose(t, s)
	if err := s.Append(entry(1)); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close: %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if len(s.Entries()) != 1 || len(s.Latest()) != 1 {
		t.Error("Entries or Latest empty after Close")
	}
	s = mustOpen(t, path, Identities(id))
	if got := s.Entries()[0].Written; !got.Equal(at) {
		t.Errorf("reread Written = %v, want %v", got, at)
	}
	mustClose(t, s)
}
