package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"crypto/x509"
)

func TestDevCertificate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	cert, path, err := devCertificate(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, devCertFile) {
		t.Fatalf("certificate path %s", path)
	}
	leaf := cert.Leaf
	key, ok := leaf.PublicKey.(*ecdsa.PublicKey)
	if !ok || key.Curve != elliptic.P256() {
		t.Fatalf("key %T, want ECDSA P-256", leaf.PublicKey)
	}
	for _, host := range []string{"localhost", "127.0.0.1", "::1"} {
		if err := leaf.VerifyHostname(host); err != nil {
			t.Errorf("not valid for %s: %v", host, err)
		}
	}
	if err := leaf.VerifyHostname("example.com"); err == nil {
		t.Error("valid for example.com")
	}
	if !leaf.NotAfter.Equal(now.Add(devCertLifetime)) || len(leaf.ExtKeyUsage) != 1 || leaf.ExtKeyUsage[0] != x509.ExtKeyUsageServerAuth {
		t.Errorf("validity %v, usage %v", leaf.NotAfter, leaf.ExtKeyUsage)
	}
	// The certificate verifies against itself, as clients told to trust the file do.
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost", CurrentTime: now}); err != nil {
		t.Fatalf("the certificate does not verify as its own root: %v", err)
	}
	for file, mode := range map[string]os.FileMode{devKeyFile: 0o600, devCertFile: 0o644} {
		fi, err := os.Stat(filepath.Join(dir, file))
		if err != nil || fi.Mode().Perm() != mode {
			t.Fatalf("%s: %v %v, want mode %v", file, fi.Mode(), err, mode)
		}
	}

	// Created once: a later start uses the same.
	first, _ := os.ReadFile(path)
	again, _, err := devCertificate(dir, now.Add(300*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if second, _ := os.ReadFile(path); !bytes.Equal(first, second) || !bytes.Equal(again.Certificate[0], cert.Certificate[0]) {
		t.Fatal("the development certificate was replaced before it expires")
	}
	// Replaced when it is about to expire.
	renewed, _, err := devCertificate(dir, now.Add(devCertLifetime-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(renewed.Certificate[0], cert.Certificate[0]) {
		t.Fatal("an expiring development certificate was kept")
	}
	// A broken pair is replaced too.
	if err := os.WriteFile(filepath.Join(dir, devKeyFile), []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := devCertificate(dir, now); err != nil {
		t.Fatalf("a broken key file: %v", err)
	}
}

func TestTLSFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, f := range []tlsFlags{
		{selfSigned: true, cert: "c.pem", key: "k.pem"},
		{cert: "c.pem"},
		{key: "k.pem"},
		{cert: filepath.Join(dir, "missing.pem"), key: filepath.Join(dir, "missing-key.pem")},
	} {
		if _, _, err := f.config(dir); err == nil {
			t.Errorf("%+v: no error", f)
		}
	}
	if cfg, _, err := (&tlsFlags{}).config(dir); cfg != nil || err != nil {
		t.Errorf("no TLS: %v %v", cfg, err)
	}
	// A certificate and key given as files.
	if _, _, err := devCertificate(dir, time.Now()); err != nil {
		t.Fatal(err)
	}
	f := tlsFlags{cert: filepath.Join(dir, devCertFile), key: filepath.Join(dir, devKeyFile)}
	if cfg, ca, err := f.config(dir); err != nil || cfg == nil || len(cfg.Certificates) != 1 || ca != "" {
		t.Fatalf("--tls-cert/--tls-key: %v %q %v", cfg, ca, err)
	}
	if f.scheme() != "https" || (&tlsFlags{}).scheme() != "http" {
		t.Fatal("scheme")
	}
}

// `serve --tls-self-signed` serves HTTPS with the development certificate:
// a client that trusts it gets a token and calls the API; one that does
// not is refused.
func TestServeTLSSelfSigned(t *testing.T) {
	t.Parallel()
	c := common{data: filepath.Join(t.TempDir(), "data"), addr: freeAddr(t)}
	c.tls.selfSigned = true
	out, _ := runServe(t, c)
	certFile := filepath.Join(c.data, devCertFile)
	printed := out.String()
	if !strings.Contains(printed, "listening on https://"+c.addr) || !strings.Contains(printed, "--cacert "+certFile) {
		t.Fatalf("serve does not say https and the certificate:\n%s", printed)
	}
	creds := readBootstrap(t, c.data)
	if !strings.HasPrefix(creds.TokenEndpoint, "https://"+c.addr+"/") || creds.CACertificate != certFile {
		t.Fatalf("bootstrap credentials: %+v", creds)
	}
	client := trustingClient(t, certFile)
	tok := getToken(t, client, creds)
	if st, m := graphCall(t, client, tok, "GET", creds.GraphURL+"/users", ""); st != http.StatusOK {
		t.Fatalf("GET /users over HTTPS: %d %v", st, m)
	}
	_, err := http.Get(creds.GraphURL + "/users")
	var uae x509.UnknownAuthorityError
	if err == nil || !errors.As(err, &uae) {
		t.Fatalf("a client that does not trust the certificate: %v", err)
	}
	// Plain HTTP is not served.
	conn, err := net.Dial("tcp", c.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("GET /v1.0/users HTTP/1.1\r\nHost: x\r\n\r\n"))
	buf := make([]byte, 64)
	n, _ := conn.Read(buf)
	if strings.HasPrefix(string(buf[:n]), "HTTP/1.1 200") {
		t.Fatal("plain HTTP answered 200")
	}
}
