package compat

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// qrpinBin is the qrpin binary TestMain builds from the main module.
var qrpinBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "qrpin-compat-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	qrpinBin = filepath.Join(dir, "qrpin")
	build := exec.Command("go", "build", "-o", qrpinBin, "./cmd/qrpin")
	build.Dir = ".." // the main module, which go.mod's replace directive names too
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building qrpin:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// bootstrap is <data>/bootstrap-admin.json, written by the first start.
type bootstrap struct {
	TenantID      string `json:"tenantId"`
	ClientID      string `json:"clientId"`
	ClientSecret  string `json:"clientSecret"`
	TokenEndpoint string `json:"tokenEndpoint"`
	Scope         string `json:"scope"`
	GraphURL      string `json:"graphUrl"`
	CACertificate string `json:"caCertificate"`
}

// server is a running qrpin process.
type server struct {
	url    string // https://127.0.0.1:port
	addr   string
	data   string
	creds  bootstrap
	caFile string
	pool   *x509.CertPool
	out    *syncBuffer // stdout and stderr, for failure messages
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// freeAddr returns a loopback address with a port nobody listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServer runs `qrpin serve --tls-self-signed` on a fresh data
// directory and returns once it prints its "listening" line. The process
// is stopped (SIGTERM, then waited for) when the test ends.
func startServer(t *testing.T) *server {
	t.Helper()
	s := &server{data: filepath.Join(t.TempDir(), "data"), addr: freeAddr(t), out: &syncBuffer{}}
	s.url = "https://" + s.addr
	cmd := exec.Command(qrpinBin, "serve", "--data", s.data, "--addr", s.addr, "--tls-self-signed")
	cmd.Env = append(os.Environ(), "QRPIN_PUBLIC_URL=") // the URL derives from --addr
	cmd.Stderr = s.out
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	listening := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		seen := false
		for sc.Scan() {
			fmt.Fprintln(s.out, sc.Text())
			if !seen && strings.HasPrefix(sc.Text(), "qrpin listening on ") {
				seen = true
				close(listening)
			}
		}
		io.Copy(io.Discard, stdout)
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("qrpin output:\n%s", s.out.String())
		}
	})
	select {
	case <-listening:
	case err := <-exited:
		t.Fatalf("qrpin serve exited before listening: %v\n%s", err, s.out.String())
	case <-time.After(2 * time.Minute):
		t.Fatalf("qrpin serve did not print its listening line within 2 minutes:\n%s", s.out.String())
	}

	b, err := os.ReadFile(filepath.Join(s.data, "bootstrap-admin.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &s.creds); err != nil {
		t.Fatalf("bootstrap-admin.json: %v", err)
	}
	if s.creds.TenantID == "" || s.creds.ClientID == "" || s.creds.ClientSecret == "" {
		t.Fatalf("bootstrap-admin.json lacks credentials: %s", b)
	}
	s.caFile = filepath.Join(s.data, "tls", "localhost-cert.pem")
	pem, err := os.ReadFile(s.caFile)
	if err != nil {
		t.Fatal(err)
	}
	s.pool = x509.NewCertPool()
	if !s.pool.AppendCertsFromPEM(pem) {
		t.Fatalf("no certificate in %s", s.caFile)
	}
	return s
}

// transport trusts the server's development certificate (and nothing else).
func (s *server) transport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: s.pool, MinVersion: tls.VersionTLS12}
	return tr
}

// userToken mints a delegated token for an existing user with
// `qrpin token --user`, the documented way to get one for local
// administration (qrpin serves only the client credentials grant).
func (s *server) userToken(t *testing.T, upn string, scopes ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, qrpinBin, "token", "--data", s.data, "--addr", s.addr, "--tls-self-signed",
		"--user", upn, "--scopes", strings.Join(scopes, ","))
	cmd.Env = append(os.Environ(), "QRPIN_PUBLIC_URL=")
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("qrpin token: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("qrpin token: %v", err)
	}
	return strings.TrimSpace(string(out))
}
