package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/internal/syncbuf"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/pinflow"
)

// freeAddr returns a loopback address with a free port.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// runServe starts `serve` with c until the test ends (or stop is called),
// and returns what it printed.
func runServe(t *testing.T, c common) (out *syncbuf.Buffer, stop func()) {
	t.Helper()
	out = &syncbuf.Buffer{}
	c.out = out
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- serve(ctx, c, method.DefaultLockout, 1000, func(net.Addr) { close(ready) }) }()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("serve: %v", err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return out, stop
}

// readBootstrap reads the bootstrap credentials file, checking its mode.
func readBootstrap(t *testing.T, dataDir string) bootstrapCredentials {
	t.Helper()
	path := filepath.Join(dataDir, BootstrapFile)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s has mode %v, want 0600", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var creds bootstrapCredentials
	if err := json.Unmarshal(b, &creds); err != nil {
		t.Fatal(err)
	}
	return creds
}

// getToken asks the token endpoint for a Graph token with the credentials.
func getToken(t *testing.T, client *http.Client, creds bootstrapCredentials) string {
	t.Helper()
	res, err := client.PostForm(creds.TokenEndpoint, url.Values{
		"grant_type": {"client_credentials"}, "client_id": {creds.ClientID},
		"client_secret": {creds.ClientSecret}, "scope": {creds.Scope},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("token endpoint: %d %v %v", res.StatusCode, body, err)
	}
	tok, _ := body["access_token"].(string)
	return tok
}

// graphCall sends a Graph request with a bearer token and returns the
// status and the decoded body.
func graphCall(t *testing.T, client *http.Client, token, verb, url, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(verb, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var m map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s %s: %d %s", verb, url, res.StatusCode, b)
		}
	}
	return res.StatusCode, m
}

// The first start creates the bootstrap application, prints its
// credentials and a working curl pair once, and writes them to a 0600
// file; later starts print neither.
func TestBootstrapFirstStartOnly(t *testing.T) {
	c := common{data: filepath.Join(t.TempDir(), "data"), addr: freeAddr(t)}
	out, stop := runServe(t, c)
	creds := readBootstrap(t, c.data)
	printed := out.String()
	for _, want := range []string{creds.ClientID, creds.ClientSecret, creds.TokenEndpoint, filepath.Join(c.data, BootstrapFile),
		"curl -s " + creds.TokenEndpoint, "http://" + c.addr + "/v1.0/users"} {
		if !strings.Contains(printed, want) {
			t.Fatalf("the first start does not print %q:\n%s", want, printed)
		}
	}
	if creds.TenantID == "" || creds.TokenEndpoint != "http://"+c.addr+"/"+creds.TenantID+"/oauth2/v2.0/token" ||
		creds.Scope != "https://graph.microsoft.com/.default" || len(creds.ClientSecret) != admin.SecretLength {
		t.Fatalf("bootstrap file: %+v", creds)
	}

	// The printed curl pair works as printed.
	if _, err := exec.LookPath("curl"); err != nil {
		t.Log("curl is not installed: the printed commands are checked by hand below only")
	} else {
		script := printed[strings.Index(printed, "TOKEN=$("):]
		script = script[:strings.Index(script, "Bearer $TOKEN\"")+len("Bearer $TOKEN\"")]
		got, err := exec.Command("sh", "-c", script).CombinedOutput()
		if err != nil || !strings.Contains(string(got), `"value":[]`) {
			t.Fatalf("the printed curl pair: %v\n%s\n%s", err, script, got)
		}
	}
	// And by hand: the bootstrap application may do everything.
	tok := getToken(t, http.DefaultClient, creds)
	for _, path := range []string{"/v1.0/users", "/v1.0/groups", "/v1.0/applications", "/v1.0/servicePrincipals",
		"/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/qrCodePin"} {
		if st, m := graphCall(t, http.DefaultClient, tok, "GET", "http://"+c.addr+path, ""); st != http.StatusOK {
			t.Fatalf("GET %s with the bootstrap token: %d %v", path, st, m)
		}
	}
	stop()

	before, _ := os.ReadFile(filepath.Join(c.data, BootstrapFile))
	out, stop = runServe(t, c)
	stop()
	if s := out.String(); strings.Contains(s, "client secret") || strings.Contains(s, creds.ClientSecret) || strings.Contains(s, "curl") {
		t.Fatalf("a later start prints credentials:\n%s", s)
	}
	after, _ := os.ReadFile(filepath.Join(c.data, BootstrapFile))
	if !bytes.Equal(before, after) {
		t.Fatal("a later start rewrote the bootstrap file")
	}
	d, err := c.open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer d.store.Close()
	apps, err := d.store.ListApplications(context.Background(), "", 0)
	if err != nil || len(apps) != 1 || apps[0].DisplayName != admin.BootstrapAppName || apps[0].AppID != creds.ClientID ||
		len(apps[0].Grants) != len(auth.AppRoles) {
		t.Fatalf("applications after two starts: %v %v", apps, err)
	}
}

// Processes that start together on one database create one bootstrap
// application between them, and only one reports it.
func TestBootstrapRace(t *testing.T) {
	c := common{data: filepath.Join(t.TempDir(), "data")}
	const n = 6
	svcs := make([]*admin.Service, n)
	for i := range svcs {
		d, err := c.open(context.Background()) // a Store each, as separate processes have
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.store.Close() })
		svcs[i] = &admin.Service{Config: pinflow.Config{Store: d.store, Pepper: d.pepper, TenantID: d.tenantID}}
	}
	results := make([]bool, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			_, results[i], errs[i] = svcs[i].Bootstrap(context.Background())
		})
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	created := 0
	for _, r := range results {
		if r {
			created++
		}
	}
	apps, err := svcs[0].Store.ListApplications(context.Background(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if created != 1 || len(apps) != 1 {
		t.Fatalf("%d processes report creating, %d applications stored; want 1 and 1", created, len(apps))
	}
	// Once done, never again, even after the application is deleted.
	if err := svcs[0].Store.DeleteApplication(context.Background(), apps[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, again, err := svcs[1].Bootstrap(context.Background()); again || err != nil {
		t.Fatalf("Bootstrap after the first: %v %v", again, err)
	}
}

func TestTenantFlag(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	want := uuid.NewString()
	c := common{data: dir, tenant: strings.ToUpper(want)}
	d, err := c.open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	d.store.Close()
	if d.tenantID != want {
		t.Fatalf("tenant %s, want %s", d.tenantID, want)
	}
	for _, tenant := range []string{"", want} { // later: none or the same
		c.tenant = tenant
		d, err := c.open(context.Background())
		if err != nil || d.tenantID != want {
			t.Fatalf("--tenant %q later: %v %v", tenant, d, err)
		}
		d.store.Close()
	}
	for _, tenant := range []string{uuid.NewString(), "contoso"} {
		c.tenant = tenant
		if d, err := c.open(context.Background()); err == nil {
			d.store.Close()
			t.Fatalf("--tenant %q accepted for tenant %s", tenant, want)
		}
	}
}

// `qrpin token --app` mints for an existing application only: by default
// with the permissions granted to it.
func TestTokenCommandApp(t *testing.T) {
	c := common{data: filepath.Join(t.TempDir(), "data"), addr: freeAddr(t)}
	d, err := c.open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer d.store.Close()
	svc := &admin.Service{Config: pinflow.Config{Store: d.store, Pepper: d.pepper, TenantID: d.tenantID}}
	b, _, err := svc.Bootstrap(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p, err := principal(context.Background(), d, "", b.App.AppID, "", "")
	if err != nil || p.ObjectID != b.App.ServicePrincipalID || p.AppID != b.App.AppID || len(p.Roles) != len(auth.AppRoles) {
		t.Fatalf("principal for the bootstrap app: %+v %v", p, err)
	}
	p, err = principal(context.Background(), d, "", strings.ToUpper(b.App.AppID), "", "User.Read.All")
	if err != nil || len(p.Roles) != 1 || p.Roles[0] != "User.Read.All" {
		t.Fatalf("principal with --roles: %+v %v", p, err)
	}
	for _, app := range []string{"admin-script", uuid.NewString()} {
		if _, err := principal(context.Background(), d, "", app, "", ""); err == nil {
			t.Fatalf("--app %s: no error for an application that does not exist", app)
		}
	}
}

// trustingClient returns an HTTPS client that trusts the PEM certificate.
func trustingClient(t *testing.T, certFile string) *http.Client {
	t.Helper()
	pemBytes, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("%s holds no certificate", certFile)
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
}
