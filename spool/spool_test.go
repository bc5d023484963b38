package spool

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"filippo.io/age"
)

const tenant = "11111111-2222-3333-4444-555555555555"

// fastPassphrase is a passphrase Key at a cheap scrypt cost; one test
// covers age's default cost.
func fastPassphrase(p string) Key { return Passphrase(p).WithScryptWorkFactor(10) }

// tempDir returns a new directory for a test's spools: in memory
// (/dev/shm) where there is one, since fsync on a disk shared with other
// jobs can take tenths of a second and no test can observe a power loss
// anyway; otherwise t.TempDir(). The benchmarks use the disk.
func tempDir(t *testing.T) string {
	t.Helper()
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if dir, err := os.MkdirTemp("/dev/shm", "qrpin-spool-test-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(dir) })
			return dir
		}
	}
	return t.TempDir()
}

func newIdentity(t testing.TB) *age.X25519Identity {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// entry returns a distinct entry whose PIN and payload appear nowhere else.
func entry(i int) Entry {
	return Entry{
		Row:         i + 2,
		UserID:      fmt.Sprintf("user-%04d", i),
		UPN:         fmt.Sprintf("worker%04d@contoso.example", i),
		DisplayName: fmt.Sprintf("Worker Number%04d", i),
		EmployeeID:  fmt.Sprintf("E%06d", i),
		Site:        "Warehouse 7",
		CodeID:      fmt.Sprintf("code-%04d", i),
		Payload:     fmt.Sprintf("QRPAYLOAD%04dQRPAYLOADZZ", i),
		Expires:     time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC),
		PIN:         fmt.Sprintf("%08d", 40000000+i*7919),
		Control:     fmt.Sprintf("C-%05d", i),
		Action:      ActionCreated,
		Written:     time.Date(2026, 12, 1, 13, 0, i, 0, time.UTC),
	}
}

func mustCreate(t testing.TB, path string, k Key) *Spool {
	t.Helper()
	s, err := Create(path, tenant, k)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return s
}

func mustOpen(t testing.TB, path string, k Key) *Spool {
	t.Helper()
	s, err := Open(path, tenant, k)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func mustAppend(t testing.TB, s *Spool, es ...Entry) {
	t.Helper()
	for _, e := range es {
		if err := s.Append(e); err != nil {
			t.Fatalf("Append(%s): %v", e.UserID, err)
		}
	}
}

func mustClose(t testing.TB, s *Spool) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// sameEntries fails unless got and want hold equal entries in order
// (times compared with Equal: a reread time has another Location).
func sameEntries(t testing.TB, got, want []Entry) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d entries, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if !g.Expires.Equal(w.Expires) || !g.Written.Equal(w.Written) {
			t.Fatalf("entry %d: times %v %v, want %v %v", i, g.Expires, g.Written, w.Expires, w.Written)
		}
		g.Expires, g.Written, w.Expires, w.Written = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if g != w {
			t.Fatalf("entry %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	id := newIdentity(t)
	keys := []struct {
		name         string
		create, open Key
	}{
		{"passphrase", fastPassphrase("correct horse battery"), Passphrase("correct horse battery")},
		{"recipients", Recipients(id.Recipient()), Identities(id)},
		{"identities", Identities(id), Identities(id)},
	}
	for _, k := range keys {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(tempDir(t), "run.spool")
			s := mustCreate(t, path, k.create)
			var want []Entry
			for i := range 5 {
				e := entry(i)
				e.Action = []string{ActionCreated, ActionReissued, ActionRenewed}[i%3]
				if e.Action == ActionRenewed {
					e.PIN = ""
				}
				want = append(want, e)
			}
			mustAppend(t, s, want...)
			sameEntries(t, s.Entries(), want)
			mustClose(t, s)

			s = mustOpen(t, path, k.open)
			sameEntries(t, s.Entries(), want)
			if s.Recovered() != 0 {
				t.Errorf("Recovered = %d, want 0", s.Recovered())
			}
			if s.TenantID() != tenant || s.Path() != path {
				t.Errorf("TenantID, Path = %q, %q", s.TenantID(), s.Path())
			}
			// Appending after Open continues the sequence.
			mustAppend(t, s, entry(5))
			want = append(want, entry(5))
			mustClose(t, s)
			s = mustOpen(t, path, k.open)
			sameEntries(t, s.Entries(), want)
			mustClose(t, s)
		})
	}
}
