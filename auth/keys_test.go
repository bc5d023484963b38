package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// pemFiles lists the key files in dir.
func pemFiles(t *testing.T, dir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.pem"))
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func tokensFor(ks *KeySet) *Tokens {
	tk := newTokens()
	tk.Keys = ks
	return tk
}

func TestLoadOrCreateKeys(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "keys")

	// First start: the directory and one key are created, private to us.
	ks1, err := LoadOrCreateKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m := mode(t, dir); m != 0o700 {
		t.Errorf("key directory mode %o, want 700", m)
	}
	files := pemFiles(t, dir)
	if len(files) != 1 {
		t.Fatalf("key files %v, want one", files)
	}
	if m := mode(t, files[0]); m != 0o600 {
		t.Errorf("key file mode %o, want 600", m)
	}
	kid1, priv1, err := ks1.SigningKey()
	if err != nil {
		t.Fatal(err)
	}
	if priv1.N.BitLen() != KeyBits {
		t.Errorf("key of %d bits, want %d", priv1.N.BitLen(), KeyBits)
	}
	if want, _ := keyID(&priv1.PublicKey); kid1 != want || len(kid1) != 22 {
		t.Errorf("kid %q, want %q (22 characters)", kid1, want)
	}
	if !strings.Contains(filepath.Base(files[0]), kid1) {
		t.Errorf("file name %s does not carry the kid %s", files[0], kid1)
	}
	old, err := tokensFor(ks1).Mint(testUser, time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	// Restart: the same key, nothing new written.
	ks2, err := LoadOrCreateKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	if kid2, _, _ := ks2.SigningKey(); kid2 != kid1 {
		t.Errorf("reloaded kid %q, want %q", kid2, kid1)
	}
	if n := len(pemFiles(t, dir)); n != 1 {
		t.Errorf("%d key files after reload, want 1", n)
	}
	if _, err := tokensFor(ks2).Verify(old); err != nil {
		t.Errorf("token from before the restart fails: %v", err)
	}

	// Rotation: a new key signs, the old one still verifies.
	kidNew, err := NewKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	ks3, err := LoadOrCreateKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	if kid, _, _ := ks3.SigningKey(); kid != kidNew || kidNew == kid1 {
		t.Errorf("signing kid %q, want the new key %q (old %q)", kid, kidNew, kid1)
	}
	pubs := ks3.PublicKeys()
	if len(pubs) != 2 || pubs[0].KID != kid1 || pubs[1].KID != kidNew {
		t.Errorf("public keys %v, want [%s %s]", pubs, kid1, kidNew)
	}
	for _, f := range pemFiles(t, dir) {
		if m := mode(t, f); m != 0o600 {
			t.Errorf("%s mode %o, want 600", f, m)
		}
	}
	if _, err := tokensFor(ks3).Verify(old); err != nil {
		t.Errorf("token signed by the old key fails after rotation: %v", err)
	}
	fresh, err := tokensFor(ks3).Mint(testUser, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := payload(t, fresh); h["kid"] != kidNew {
		t.Errorf("new token kid %v, want %s", h["kid"], kidNew)
	}
	if _, err := tokensFor(ks3).Verify(fresh); err != nil {
		t.Errorf("new token fails: %v", err)
	}
	// How a KeySet loaded before the rotation picks up the new key is
	// TestKeyRotationLive's subject (it needs a test clock).
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("directory holds %d entries, want the 2 keys (no temporary files left)", len(entries))
	}
}

// writePEM writes a PEM block to dir/name.
func writePEM(t *testing.T, dir, name, typ string, der []byte) {
	t.Helper()
	data := pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLoadHandAddedKey(t *testing.T) {
	dir := t.TempDir()
	if _, err := NewKey(dir); err != nil {
		t.Fatal(err)
	}
	// A PKCS#1 key, as `openssl genrsa -traditional` writes it, named to sort last.
	priv, err := rsa.GenerateKey(rand.Reader, 3072)
	if err != nil {
		t.Fatal(err)
	}
	// It is a symbolic link, as in a mounted secret.
	secrets := t.TempDir()
	writePEM(t, secrets, "added", "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(priv))
	if err := os.Symlink(filepath.Join(secrets, "added"), filepath.Join(dir, "zz-added.pem")); err != nil {
		t.Fatal(err)
	}
	// Files that are not keys are ignored.
	for name, content := range map[string]string{"README": "not a key", ".hidden.pem": "not a key", "key.pem.bak": "x"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub.pem"), 0o700); err != nil {
		t.Fatal(err)
	}

	ks, err := LoadOrCreateKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ks.PublicKeys()); n != 2 {
		t.Fatalf("%d keys loaded, want 2", n)
	}
	kid, signer, _ := ks.SigningKey()
	if signer.N.Cmp(priv.N) != 0 {
		t.Error("the key whose name sorts last does not sign")
	}
	// A token signed by the added key verifies with the loaded set.
	tok := sign(t, jwt.SigningMethodRS256, priv, kid, validClaims())
	if _, err := tokensFor(ks).Verify(tok); err != nil {
		t.Errorf("token signed by the hand-added key fails: %v", err)
	}
}

func TestLoadKeysDuplicate(t *testing.T) {
	dir := t.TempDir()
	if _, err := NewKey(dir); err != nil {
		t.Fatal(err)
	}
	src := pemFiles(t, dir)[0]
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "copy.pem"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	ks, err := LoadOrCreateKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ks.PublicKeys()); n != 1 {
		t.Errorf("the same key in two files loads as %d keys, want 1", n)
	}
}

func TestLoadKeysErrors(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	smallDER, _ := x509.MarshalPKCS8PrivateKey(small)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ec)
	pubDER, _ := x509.MarshalPKIXPublicKey(&small.PublicKey)
	const secret = "c2VjcmV0LWtleS1tYXRlcmlhbA"

	for _, tc := range []struct {
		name  string
		write func(dir string)
	}{
		{"not PEM", func(dir string) {
			_ = os.WriteFile(filepath.Join(dir, "bad.pem"), []byte(secret), 0o600)
		}},
		{"corrupt PKCS#8", func(dir string) { writePEM(t, dir, "bad.pem", "PRIVATE KEY", []byte(secret)) }},
		{"corrupt PKCS#1", func(dir string) { writePEM(t, dir, "bad.pem", "RSA PRIVATE KEY", []byte(secret)) }},
		{"RSA-1024", func(dir string) { writePEM(t, dir, "small.pem", "PRIVATE KEY", smallDER) }},
		{"EC key", func(dir string) { writePEM(t, dir, "ec.pem", "PRIVATE KEY", ecDER) }},
		{"public key", func(dir string) { writePEM(t, dir, "pub.pem", "PUBLIC KEY", pubDER) }},
		{"unreadable directory", func(dir string) {
			_ = os.WriteFile(filepath.Join(dir, "file"), nil, 0o600)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.write(dir)
			target := dir
			if tc.name == "unreadable directory" {
				target = filepath.Join(dir, "file", "keys") // a path through a file
			}
			ks, err := LoadOrCreateKeys(target)
			if err == nil {
				t.Fatalf("loaded %d keys", len(ks.PublicKeys()))
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q repeats the file content", err)
			}
		})
	}
}

func TestKeySetNil(t *testing.T) {
	var ks *KeySet
	if _, _, err := ks.SigningKey(); err == nil {
		t.Error("a nil KeySet has a signing key")
	}
	if ks.PublicKeys() != nil {
		t.Error("a nil KeySet has public keys")
	}
}
