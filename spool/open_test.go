package spool

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"filippo.io/age"
)

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	const pass = "correct horse battery"
	id, other := newIdentity(t), newIdentity(t)

	passPath := filepath.Join(dir, "pass.spool")
	s := mustCreate(t, passPath, fastPassphrase(pass))
	mustAppend(t, s, entry(0))
	mustClose(t, s)
	rcptPath := filepath.Join(dir, "rcpt.spool")
	s = mustCreate(t, rcptPath, Recipients(id.Recipient()))
	mustAppend(t, s, entry(0))
	mustClose(t, s)

	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	passBytes, err := os.ReadFile(passPath)
	if err != nil {
		t.Fatal(err)
	}
	newer := bytes.Clone(passBytes)
	newer[len(magic)] = version + 1
	v0 := bytes.Clone(passBytes)
	v0[len(magic)] = 0
	badMode := bytes.Clone(passBytes)
	badMode[len(magic)+1] = 9

	tests := []struct {
		name     string
		path     string
		tenant   string
		key      Key
		kind     error
		contains []string
	}{
		{"wrong passphrase", passPath, tenant, Passphrase("wrong horse battery"), ErrWrongKey,
			[]string{"cannot be decrypted with this passphrase", passPath}},
		{"wrong identity", rcptPath, tenant, Identities(other), ErrWrongKey,
			[]string{"cannot be decrypted with this identity"}},
		{"identity for passphrase spool", passPath, tenant, Identities(id), ErrWrongKey,
			[]string{"encrypted with a passphrase"}},
		{"passphrase for recipients spool", rcptPath, tenant, Passphrase(pass), ErrWrongKey,
			[]string{"encrypted to age recipients"}},
		{"other tenant", passPath, "99999999-8888-7777-6666-555555555555", Passphrase(pass), ErrTenant,
			[]string{tenant, "99999999-8888-7777-6666-555555555555"}},
		{"not a spool", write("text.spool", []byte("displayName,userPrincipalName\nAda,ada@contoso.example\n")),
			tenant, Passphrase(pass), ErrNotSpool, []string{"is not a qrpin spool file"}},
		{"empty file", write("empty.spool", nil), tenant, Passphrase(pass), ErrNotSpool, nil},
		{"magic only", write("magic.spool", magic), tenant, Passphrase(pass), ErrNotSpool, nil},
		{"newer version", write("newer.spool", newer), tenant, Passphrase(pass), ErrVersion,
			[]string{"version 2", "newer qrpin"}},
		{"version 0", write("v0.spool", v0), tenant, Passphrase(pass), ErrCorrupt, nil},
		{"unknown mode", write("mode.spool", badMode), tenant, Passphrase(pass), ErrCorrupt, nil},
		{"header cut short", write("short.spool", passBytes[:len(magic)+6]), tenant, Passphrase(pass), ErrCorrupt,
			[]string{"header cut short"}},
		{"directory", dir, tenant, Passphrase(pass), ErrNotSpool, nil},
		{"missing", filepath.Join(dir, "missing.spool"), tenant, Passphrase(pass), fs.ErrNotExist, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Open locks the file: subtests running at once on one spool
			// would find it in use, so each opens a copy of its own.
			path := tt.path
			if path == passPath || path == rcptPath {
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				path = filepath.Join(t.TempDir(), filepath.Base(path))
				if err := os.WriteFile(path, b, 0o600); err != nil {
					t.Fatal(err)
				}
				tt.contains = slices.Clone(tt.contains)
				for i, c := range tt.contains {
					if c == passPath {
						tt.contains[i] = path
					}
				}
			}
			s, err := Open(path, tt.tenant, tt.key)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !errors.Is(err, tt.kind) {
				t.Fatalf("Open: %v, want %v", err, tt.kind)
			}
			for _, c := range tt.contains {
				if !strings.Contains(err.Error(), c) {
					t.Errorf("error %q does not contain %q", err, c)
				}
			}
			for _, secret := range []string{pass, "wrong horse", id.String(), other.String(), entry(0).PIN, entry(0).Payload} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q contains a secret", err)
				}
			}
		})
	}
}

func TestKeyErrors(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	id := newIdentity(t)
	path := filepath.Join(dir, "r.spool")
	mustClose(t, mustCreate(t, path, Recipients(id.Recipient())))

	if _, err := Open(path, tenant, Recipients(id.Recipient())); err == nil || !strings.Contains(err.Error(), "needs the identity") {
		t.Errorf("Open with recipients only: %v", err)
	}
	for name, k := range map[string]Key{"zero": {}, "empty passphrase": Passphrase("")} {
		if _, err := Create(filepath.Join(dir, "k.spool"), tenant, k); err == nil {
			t.Errorf("Create with %s key succeeded", name)
		}
		if _, err := Open(path, tenant, k); err == nil {
			t.Errorf("Open with %s key succeeded", name)
		}
	}
	sr, err := age.NewScryptRecipient("p")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Create(filepath.Join(dir, "s.spool"), tenant, Recipients(sr)); err == nil {
		t.Error("Create with an scrypt recipient succeeded")
	}
	if _, err := Create(filepath.Join(dir, "w.spool"), tenant, Passphrase("p").WithScryptWorkFactor(23)); err == nil {
		t.Error("Create with work factor 23 succeeded")
	}
	for _, tn := range []string{"", strings.Repeat("t", maxTenant+1)} {
		if _, err := Create(filepath.Join(dir, "t.spool"), tn, Identities(id)); err == nil {
			t.Errorf("Create with tenant of %d bytes succeeded", len(tn))
		}
		if _, err := Open(path, tn, Identities(id)); err == nil {
			t.Errorf("Open with tenant of %d bytes succeeded", len(tn))
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "k.spool")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a failed Create left a file: %v", err)
	}
}

func TestCreateExisting(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	id := newIdentity(t)
	path := filepath.Join(dir, "run.spool")
	s := mustCreate(t, path, Identities(id))
	mustAppend(t, s, entry(0))
	mustClose(t, s)
	before, _ := os.ReadFile(path)

	if _, err := Create(path, tenant, Identities(id)); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Create over a spool: %v, want fs.ErrExist", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("Create over a spool changed it")
	}
	if _, err := Create(filepath.Join(dir, "no", "such", "dir.spool"), tenant, Identities(id)); err == nil {
		t.Error("Create in a missing directory succeeded")
	}
	names, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 1 || names[0].Name() != "run.spool" {
		t.Errorf("directory holds %v, want only run.spool (no temporary files)", names)
	}
}

func TestFileMode(t *testing.T) {
	t.Parallel()
	path := filepath.Join(tempDir(t), "run.spool")
	id := newIdentity(t)
	mustClose(t, mustCreate(t, path, Identities(id)))
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	for _, m := range []os.FileMode{0o644, 0o640, 0o604, 0o660} {
		if err := os.Chmod(path, m); err != nil {
			t.Fatal(err)
		}
		_, err := Open(path, tenant, Identities(id))
		if !errors.Is(err, ErrPermissions) || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("Open with mode %v: %v, want ErrPermissions", m, err)
		}
	}
	if err := os.Chmod(path, 0o400); err != nil {
		t.Fatal(err)
	}
	// Read-only for the owner: Open needs to append, so it fails, but not
	// with ErrPermissions (root may open it anyway).
	if s, err := Open(path, tenant, Identities(id)); err == nil {
		mustClose(t, s)
	} else if errors.Is(err, ErrPermissions) {
		t.Errorf("Open of a 0400 spool: %v", err)
	}
}

func TestInUse(t *testing.T) {
	t.Parallel()
	path := filepath.Join(tempDir(t), "run.spool")
	id := newIdentity(t)
	s := mustCreate(t, path, Identities(id))
	if _, err := Open(path, tenant, Identities(id)); !errors.Is(err, ErrInUse) {
		t.Fatalf("Open while created: %v, want ErrInUse", err)
	}
	mustClose(t, s)
	s = mustOpen(t, path, Identities(id))
	if _, err := Open(path, tenant, Identities(id)); !errors.Is(err, ErrInUse) {
		t.Fatalf("Open while open: %v, want ErrInUse", err)
	}
	mustClose(t, s)
	mustClose(t, mustOpen(t, path, Identities(id)))
}

// TestTampered: changes other than a torn tail are reported, not repaired.
func TestTampered(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	id := newIdentity(t)
	path := filepath.Join(dir, "run.spool")
	s := mustCreate(t, path, Identities(id))
	hdrLen := s.size
	var ends []int64
	for i := range 3 {
		mustAppend(t, s, entry(i))
		ends = append(ends, s.size)
	}
	mustClose(t, s)
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rec := func(i int) []byte {
		start := hdrLen
		if i > 0 {
			start = ends[i-1]
		}
		return orig[start:ends[i]]
	}
	body := func(rs ...int) []byte {
		b := bytes.Clone(orig[:hdrLen])
		for _, i := range rs {
			b = append(b, rec(i)...)
		}
		return b
	}
	flipped := bytes.Clone(orig)
	flipped[hdrLen+40] ^= 1
	otherTenant := bytes.Clone(orig)
	copy(otherTenant[len(magic)+4:], "9")
	badLen := append(bytes.Clone(orig), 0xff, 0xff, 0xff, 0xff, 1)

	tests := []struct {
		name   string
		b      []byte
		tenant string
	}{
		{"first record flipped", flipped, tenant},
		{"records swapped", body(1, 0, 2), tenant},
		{"record repeated", body(0, 0, 1, 2), tenant},
		{"record dropped", body(0, 2), tenant},
		{"record from another spool first", append(bytes.Clone(orig[:hdrLen]), otherSpoolRecord(t, dir)...), tenant},
		{"clear tenant changed", otherTenant, "9" + tenant[1:]},
		{"garbage length after records", badLen, tenant},
	}
	for i, tt := range tests {
		p := filepath.Join(dir, "t"+string(rune('a'+i))+".spool")
		if err := os.WriteFile(p, tt.b, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := Open(p, tt.tenant, Identities(id))
		if tt.name == "record from another spool first" {
			// The foreign record is the last one: it reads as torn.
			if err != nil || len(s.Entries()) != 0 {
				t.Errorf("%s: %v", tt.name, err)
			}
			if s != nil {
				mustClose(t, s)
			}
			continue
		}
		if !errors.Is(err, ErrCorrupt) {
			if s != nil {
				s.Close()
			}
			t.Errorf("%s: Open: %v, want ErrCorrupt", tt.name, err)
		}
		if got, _ := os.ReadFile(p); !bytes.Equal(got, tt.b) {
			t.Errorf("%s: Open changed a damaged spool", tt.name)
		}
	}
}

// otherSpoolRecord returns one framed record of a different spool.
func otherSpoolRecord(t *testing.T, dir string) []byte {
	t.Helper()
	path := filepath.Join(dir, "other.spool")
	s := mustCreate(t, path, Identities(newIdentity(t)))
	start := s.size
	mustAppend(t, s, entry(0))
	mustClose(t, s)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b[start:]
}

func TestKeyFiles(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	id := newIdentity(t)
	idPath := filepath.Join(dir, "key.txt")
	rcptPath := filepath.Join(dir, "key.pub")
	if err := os.WriteFile(idPath, []byte("# created: today\n# public key: "+id.Recipient().String()+"\n"+id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rcptPath, []byte("# operator\n"+id.Recipient().String()+"\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rk, err := RecipientsFile(rcptPath)
	if err != nil {
		t.Fatal(err)
	}
	ik, err := IdentityFile(idPath)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "run.spool")
	s := mustCreate(t, path, rk)
	mustAppend(t, s, entry(0))
	mustClose(t, s)
	s = mustOpen(t, path, ik)
	sameEntries(t, s.Entries(), []Entry{entry(0)})
	mustClose(t, s)

	// A malformed identity file: the error names the file, not its content.
	bad := strings.Replace(id.String(), "AGE-SECRET-KEY-1", "AGE-SECRET-KEY-X", 1)
	badPath := filepath.Join(dir, "bad.txt")
	if err := os.WriteFile(badPath, []byte(bad+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = IdentityFile(badPath)
	if err == nil || strings.Contains(err.Error(), bad[20:]) || !strings.Contains(err.Error(), badPath) {
		t.Errorf("IdentityFile of a malformed file: %v", err)
	}
	if _, err := RecipientsFile(idPath); err == nil {
		t.Error("RecipientsFile of an identity file succeeded")
	}
	if _, err := RecipientsFile(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("RecipientsFile of a missing file: %v", err)
	}
	if _, err := IdentityFile(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("IdentityFile of a missing file: %v", err)
	}
}

func TestHybridRecipient(t *testing.T) {
	t.Parallel()
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(tempDir(t), "pq.spool")
	s := mustCreate(t, path, Identities(id))
	mustAppend(t, s, entry(0))
	mustClose(t, s)
	s = mustOpen(t, path, Identities(id))
	sameEntries(t, s.Entries(), []Entry{entry(0)})
	mustClose(t, s)
}

// TestDefaultPassphraseCost covers age's default scrypt cost once.
func TestDefaultPassphraseCost(t *testing.T) {
	if testing.Short() || raceEnabled {
		// Two scrypt runs at 2^18 take about 2 s, but 40 s under the race
		// detector; the race detector adds nothing to this test.
		t.Skip("default scrypt cost is too slow under -race or -short")
	}
	t.Parallel()
	path := filepath.Join(tempDir(t), "run.spool")
	s := mustCreate(t, path, Passphrase("correct horse battery"))
	mustAppend(t, s, entry(0))
	mustClose(t, s)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("-> scrypt ")) || !bytes.Contains(b, []byte(" 18\n")) {
		t.Error("the key block is not an scrypt stanza at work factor 18")
	}
	s = mustOpen(t, path, Passphrase("correct horse battery"))
	sameEntries(t, s.Entries(), []Entry{entry(0)})
	mustClose(t, s)
}
