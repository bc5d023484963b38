package auth

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/internal/fakeclock"
)

// refused fails the test unless err is the 401 whose message holds want.
func refused(t *testing.T, err error, want, what string) {
	t.Helper()
	if e, ok := apperr.As(err); !ok || e.Kind != apperr.Unauthenticated || !strings.Contains(e.Message, want) {
		t.Errorf("%s: %v, want a 401 saying %q", what, err, want)
	}
}

// TestVerifiedTokenRemembered: a token verified once is accepted again
// without being parsed (here: after the issuer changed, which a parse would
// refuse), with the same principal, whose lists the caller cannot change
// for the next request.
func TestVerifiedTokenRemembered(t *testing.T) {
	t.Parallel()
	tokens := newTokens()
	tok, err := tokens.Mint(Principal{Kind: Application, ObjectID: "sp", AppID: "app", TenantID: testTenant,
		Roles: []string{"A", "B"}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	first, err := tokens.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if n := tokens.cache.len(); n != 1 {
		t.Fatalf("%d tokens remembered after one verification, want 1", n)
	}
	first.Roles = append(first.Roles, "C")
	first.Roles[0] = "changed"

	tokens.Issuer = "https://elsewhere.example/" + testTenant + "/v2.0"
	again, err := tokens.Verify(tok)
	if err != nil {
		t.Fatalf("a remembered token was checked again: %v", err)
	}
	want := Principal{Kind: Application, ObjectID: "sp", AppID: "app", TenantID: testTenant, Roles: []string{"A", "B"}}
	if !reflect.DeepEqual(again, want) {
		t.Errorf("remembered principal %+v, want %+v", again, want)
	}

	// Another token is checked in full: the changed issuer refuses it.
	other, _ := newTokens().Mint(Principal{Kind: Application, ObjectID: "sp", TenantID: testTenant}, time.Hour)
	_, err = tokens.Verify(other)
	refused(t, err, "Invalid issuer", "a token never verified, against another issuer")
}

// TestVerifiedTokenExpires: a remembered token is refused once its exp
// (plus the skew) has passed, and before its nbf (minus the skew) when the
// clock goes back.
func TestVerifiedTokenExpires(t *testing.T) {
	t.Parallel()
	c := fakeclock.New(testNow)
	tokens := &Tokens{Keys: testKeys, Issuer: testIssuer, Now: c.Now}
	kid, priv, _ := testKeys.SigningKey()
	tok := sign(t, jwt.SigningMethodRS256, priv, kid, validClaims()) // exp in an hour
	if _, err := tokens.Verify(tok); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Hour + DefaultSkew - time.Second)
	if _, err := tokens.Verify(tok); err != nil {
		t.Errorf("within the skew after exp: %v", err)
	}
	c.Advance(time.Second)
	_, err := tokens.Verify(tok)
	refused(t, err, "expired", "at exp plus the skew")

	c.Set(testNow)
	if _, err := tokens.Verify(tok); err != nil {
		t.Fatal(err)
	}
	c.Set(testNow.Add(-DefaultSkew - time.Second))
	_, err = tokens.Verify(tok)
	refused(t, err, "not yet valid", "before nbf minus the skew")
}

// TestVerifiedTokenKeyChanges: when the key directory changes, remembered
// tokens are checked again: a token of a key deleted from the directory is
// refused as soon as the key set has read the directory, and a token of a
// superseded key stops being accepted KeyRetention after the rotation, as
// without the cache.
func TestVerifiedTokenKeyChanges(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := fakeclock.New(testNow)
	ks := openAt(t, dir, c)
	tokens := &Tokens{Keys: ks, Issuer: testIssuer, Now: c.Now}
	oldTok := longToken(t, ks, c.Now())
	if _, err := tokens.Verify(oldTok); err != nil {
		t.Fatal(err)
	}

	// Rotation: the old key's token is still good, and remembered again.
	c.Advance(time.Minute)
	if _, err := NewKeyAt(dir, c.Now()); err != nil {
		t.Fatal(err)
	}
	ks.PublicKeys() // reads the directory
	if _, err := tokens.Verify(oldTok); err != nil {
		t.Fatalf("old key's token right after the rotation: %v", err)
	}
	newTok := longToken(t, ks, c.Now())
	if _, err := tokens.Verify(newTok); err != nil {
		t.Fatal(err)
	}
	if n := tokens.cache.len(); n != 2 {
		t.Fatalf("%d tokens remembered, want 2", n)
	}
	c.Advance(KeyRetention + time.Second)
	_, err := tokens.Verify(oldTok)
	refused(t, err, "kid", "old key's token after the retention")
	if _, err := tokens.Verify(newTok); err != nil {
		t.Errorf("new key's token after the retention: %v", err)
	}

	// The key is deleted (say it leaked) and a new one added.
	files, _ := filepath.Glob(filepath.Join(dir, "*.pem"))
	for _, f := range files {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := NewKeyAt(dir, c.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := tokens.Verify(newTok); err != nil {
		t.Errorf("before the key set reads the directory: %v", err)
	}
	c.Advance(KeyReloadInterval)
	ks.PublicKeys()
	_, err = tokens.Verify(newTok)
	refused(t, err, "kid", "a token of a deleted key")
}

// TestVerifiedTokensBounded: the cache holds at most VerifiedTokens tokens
// (the newest among them), and none when it is negative.
func TestVerifiedTokensBounded(t *testing.T) {
	t.Parallel()
	kid, priv, _ := testKeys.SigningKey()
	var toks []string
	for i := range 25 {
		toks = append(toks, sign(t, jwt.SigningMethodRS256, priv, kid, with(func(c jwt.MapClaims) { c["oid"] = fmt.Sprint(i) })))
	}
	for _, tc := range []struct{ max, want int }{{10, 10}, {1, 1}, {-1, 0}} {
		tokens := newTokens()
		tokens.VerifiedTokens = tc.max
		for _, tok := range toks {
			if _, err := tokens.Verify(tok); err != nil {
				t.Fatal(err)
			}
			if n := tokens.cache.len(); n > tc.want {
				t.Fatalf("VerifiedTokens %d: %d tokens remembered", tc.max, n)
			}
		}
		if tc.want > 0 {
			tokens.Issuer = "changed" // a remembered token is not parsed again
			if _, err := tokens.Verify(toks[len(toks)-1]); err != nil {
				t.Errorf("VerifiedTokens %d: the last token verified is not remembered: %v", tc.max, err)
			}
		}
	}
}
