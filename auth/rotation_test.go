package auth

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/internal/fakeclock"
)

// openAt opens dir as a KeySet on clock c, failing the test on error.
func openAt(t *testing.T, dir string, c *fakeclock.Clock) *KeySet {
	t.Helper()
	ks, err := OpenKeys(dir, KeyOptions{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

func signingKID(t *testing.T, ks *KeySet) string {
	t.Helper()
	kid, _, err := ks.SigningKey()
	if err != nil {
		t.Fatal(err)
	}
	return kid
}

// longToken signs, with ks's signing key, a valid token that expires in
// 48 hours: longer than any key's retention, so only the key can make it
// fail.
func longToken(t *testing.T, ks *KeySet, now time.Time) string {
	t.Helper()
	kid, priv, err := ks.SigningKey()
	if err != nil {
		t.Fatal(err)
	}
	return sign(t, jwt.SigningMethodRS256, priv, kid, with(func(c jwt.MapClaims) {
		c["iat"], c["nbf"], c["exp"] = now.Unix(), now.Unix(), now.Add(48*time.Hour).Unix()
	}))
}

func verifyAt(ks *KeySet, c *fakeclock.Clock, tok string) error {
	tk := &Tokens{Keys: ks, Issuer: testIssuer, Now: c.Now}
	_, err := tk.Verify(tok)
	return err
}

// TestKeyRotationLive: a running process (a KeySet opened before the
// rotation) verifies tokens of the new key once it has read the directory
// again, starts signing with it within SigningKeyCheckInterval, and stops
// accepting the old key KeyRetention after it was superseded.
func TestKeyRotationLive(t *testing.T) {
	dir := t.TempDir()
	c := fakeclock.New(testNow)
	running := openAt(t, dir, c)
	kidOld := signingKID(t, running)
	oldTok := longToken(t, running, c.Now())

	// `qrpin keys rotate`, a minute later, in another process.
	c.Advance(time.Minute)
	rotated := c.Now()
	kidNew, err := NewKeyAt(dir, rotated)
	if err != nil {
		t.Fatal(err)
	}
	other := openAt(t, dir, c)
	if got := signingKID(t, other); got != kidNew {
		t.Fatalf("a process started after the rotation signs with %s, want the new key %s", got, kidNew)
	}
	newTok := longToken(t, other, c.Now())

	// The running process read its directory a minute ago: the new kid is
	// unknown, so it reads the directory again and accepts the token.
	if err := verifyAt(running, c, newTok); err != nil {
		t.Fatalf("running process refuses a token of the new key: %v", err)
	}
	if err := verifyAt(running, c, oldTok); err != nil {
		t.Errorf("old key's token fails right after the rotation: %v", err)
	}
	if got := signingKID(t, running); got != kidNew {
		t.Errorf("running process signs with %s after reloading, want %s", got, kidNew)
	}
	if pubs := running.PublicKeys(); len(pubs) != 2 || pubs[0].KID != kidOld || pubs[1].KID != kidNew {
		t.Errorf("public keys %v, want [%s %s]", pubs, kidOld, kidNew)
	}

	// The old key verifies up to KeyRetention after the rotation, not after.
	c.Advance(KeyRetention)
	if err := verifyAt(running, c, oldTok); err != nil {
		t.Errorf("old key's token fails at the end of the retention: %v", err)
	}
	if n := len(running.PublicKeys()); n != 2 {
		t.Errorf("%d public keys at the end of the retention, want 2", n)
	}
	c.Advance(time.Second)
	err = verifyAt(running, c, oldTok)
	if e, ok := apperr.As(err); !ok || e.Kind != apperr.Unauthenticated || !strings.Contains(e.Message, "kid") {
		t.Errorf("old key's token after the retention: %v, want 401 naming the unknown key", err)
	}
	if pubs := running.PublicKeys(); len(pubs) != 1 || pubs[0].KID != kidNew {
		t.Errorf("public keys after the retention %v, want only %s", pubs, kidNew)
	}
	if err := verifyAt(running, c, newTok); err != nil {
		t.Errorf("new key's token fails: %v", err)
	}
}

// TestKeyReloadRateLimit: unknown key ids read the directory at most once
// per KeyReloadInterval, and signing looks for a newer key at most once
// per SigningKeyCheckInterval.
func TestKeyReloadRateLimit(t *testing.T) {
	dir := t.TempDir()
	c := fakeclock.New(testNow)
	running := openAt(t, dir, c)
	kidOld := signingKID(t, running)

	kidNew, err := NewKeyAt(dir, c.Now().Add(time.Nanosecond)) // sorts after the first key
	if err != nil {
		t.Fatal(err)
	}
	newTok := longToken(t, openAt(t, dir, c), c.Now())

	// Just loaded: neither an unknown kid nor signing reads the directory.
	c.Advance(KeyReloadInterval - time.Nanosecond)
	if err := verifyAt(running, c, newTok); err == nil {
		t.Error("the directory was read again within KeyReloadInterval of the last read")
	}
	if got := signingKID(t, running); got != kidOld {
		t.Errorf("signs with %s within SigningKeyCheckInterval, want the old key %s", got, kidOld)
	}
	c.Advance(time.Nanosecond)
	if got := signingKID(t, running); got != kidOld {
		t.Errorf("signs with %s within SigningKeyCheckInterval, want the old key %s", got, kidOld)
	}
	c.Advance(SigningKeyCheckInterval - KeyReloadInterval - time.Nanosecond)
	if got := signingKID(t, running); got != kidOld {
		t.Errorf("signs with %s just before SigningKeyCheckInterval, want the old key %s", got, kidOld)
	}
	c.Advance(time.Nanosecond)
	if got := signingKID(t, running); got != kidNew {
		t.Errorf("signs with %s after SigningKeyCheckInterval, want the new key %s", got, kidNew)
	}

	// Random kids do not read the directory more than once per interval.
	reads := 0
	before := running.lastLoad
	for range 100 {
		_, _ = running.publicKey("no-such-kid")
		if running.lastLoad != before {
			reads++
			before = running.lastLoad
		}
	}
	if reads != 0 {
		t.Errorf("%d directory reads for 100 unknown kids within the interval, want 0", reads)
	}
	c.Advance(KeyReloadInterval)
	for range 100 {
		_, _ = running.publicKey("no-such-kid")
		if running.lastLoad != before {
			reads++
			before = running.lastLoad
		}
	}
	if reads != 1 {
		t.Errorf("%d directory reads for 100 unknown kids after the interval, want 1", reads)
	}
}

// TestPruneKeys: keys superseded more than KeyRetention ago are deleted,
// the signing key never is, and ListKeys describes them.
func TestPruneKeys(t *testing.T) {
	dir := t.TempDir()
	t0 := testNow
	var kids []string
	for i := range 3 {
		kid, err := NewKeyAt(dir, t0.Add(time.Duration(i)*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		kids = append(kids, kid)
	}
	infos, err := ListKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 3 {
		t.Fatalf("ListKeys: %d keys, want 3", len(infos))
	}
	for i, info := range infos {
		if info.KID != kids[i] || !info.Created.Equal(t0.Add(time.Duration(i)*time.Hour)) {
			t.Errorf("key %d: %s created %v, want %s created %v", i, info.KID, info.Created, kids[i], t0.Add(time.Duration(i)*time.Hour))
		}
		if info.Signing() != (i == 2) {
			t.Errorf("key %d: Signing() = %v", i, info.Signing())
		}
	}
	if want := t0.Add(time.Hour + KeyRetention); !infos[0].Expires().Equal(want) {
		t.Errorf("first key expires %v, want %v", infos[0].Expires(), want)
	}

	// Nothing has expired yet.
	if pruned, err := PruneKeys(dir, t0.Add(time.Hour+KeyRetention)); err != nil || len(pruned) != 0 {
		t.Fatalf("PruneKeys before any expiry: %v %v", pruned, err)
	}
	// The first key has, the second not yet.
	pruned, err := PruneKeys(dir, t0.Add(time.Hour+KeyRetention+time.Second))
	if err != nil || len(pruned) != 1 || pruned[0].KID != kids[0] {
		t.Fatalf("PruneKeys: %v %v, want the first key", pruned, err)
	}
	if _, err := os.Stat(pruned[0].File); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pruned key file still there: %v", err)
	}
	// Much later, every key but the signing one.
	pruned, err = PruneKeys(dir, t0.Add(1000*time.Hour))
	if err != nil || len(pruned) != 1 || pruned[0].KID != kids[1] {
		t.Fatalf("PruneKeys: %v %v, want the second key", pruned, err)
	}
	infos, err = ListKeys(dir)
	if err != nil || len(infos) != 1 || infos[0].KID != kids[2] || !infos[0].Signing() {
		t.Errorf("after pruning: %v %v, want only the signing key", infos, err)
	}
}

// TestKeyCreatedFromModTime: a hand-added key's date is its file's
// modification time.
func TestKeyCreatedFromModTime(t *testing.T) {
	dir := t.TempDir()
	if _, err := NewKeyAt(dir, testNow); err != nil {
		t.Fatal(err)
	}
	old := pemFiles(t, dir)[0]
	added := filepath.Join(dir, "zz-added.pem")
	data, err := os.ReadFile(old)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(old); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(added, data, 0o600); err != nil {
		t.Fatal(err)
	}
	mtime := testNow.Add(5 * time.Hour)
	if err := os.Chtimes(added, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	infos, err := ListKeys(dir)
	if err != nil || len(infos) != 1 || !infos[0].Created.Equal(mtime) {
		t.Fatalf("ListKeys: %v %v, want one key created %v", infos, err, mtime)
	}
}

// TestKeyReloadFailureKeepsKeys: a broken file added to the directory
// leaves the loaded keys in use.
func TestKeyReloadFailureKeepsKeys(t *testing.T) {
	dir := t.TempDir()
	c := fakeclock.New(testNow)
	var logs strings.Builder
	ks, err := OpenKeys(dir, KeyOptions{Now: c.Now, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	kid := signingKID(t, ks)
	const secret = "not-a-key-c2VjcmV0"
	if err := os.WriteFile(filepath.Join(dir, "zz-broken.pem"), []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	c.Advance(SigningKeyCheckInterval)
	if got := signingKID(t, ks); got != kid {
		t.Errorf("signs with %q after a failed reload, want %q", got, kid)
	}
	if n := len(ks.PublicKeys()); n != 1 {
		t.Errorf("%d public keys after a failed reload, want 1", n)
	}
	if !strings.Contains(logs.String(), "zz-broken.pem") || strings.Contains(logs.String(), secret) {
		t.Errorf("log %q should name the broken file and not repeat its content", logs.String())
	}
}

// TestKeySetConcurrentRotation runs signing, verification and JWKS reads
// while keys are added, for the race detector.
func TestKeySetConcurrentRotation(t *testing.T) {
	dir := t.TempDir()
	c := fakeclock.New(testNow)
	ks := openAt(t, dir, c)
	tk := &Tokens{Keys: ks, Issuer: testIssuer, Now: c.Now}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 20 {
				tok, err := tk.Mint(testUser, time.Hour)
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := tk.Verify(tok); err != nil {
					t.Error(err)
				}
				_ = ks.PublicKeys()
				c.Advance(SigningKeyCheckInterval)
			}
		})
	}
	for range 2 {
		if _, err := NewKeyAt(dir, c.Now()); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
}
