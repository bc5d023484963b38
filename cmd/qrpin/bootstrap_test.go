package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/internal/syncbuf"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/pinflow"
	"github.com/qrpin/qrpin/store"
)

// Ports freeAddr hands out: below Linux's ephemeral range (32768 and up),
// where the kernel picks the ports of outgoing connections and of
// Listen(":0").
const (
	portBase = 20000
	portSpan = 12000
)

// lastPort is the offset of the last port freeAddr handed out; it starts
// at a place of its own for each test process.
var lastPort = sync.OnceValue(func() *atomic.Int64 {
	var n atomic.Int64
	n.Store(int64(os.Getpid()*97) % portSpan)
	return &n
})

// freeAddr returns a loopback address whose port is free, for a server a
// test starts (and perhaps restarts) on a known address. The port is one
// this process has not handed out before, and below the ephemeral range,
// so that no outgoing connection (an HTTP client's, a database pool's) can
// take it before the server listens: a port from Listen(":0"), closed at
// once, now and then was ("bind: address already in use").
func freeAddr(t *testing.T) string {
	t.Helper()
	for range portSpan {
		addr := fmt.Sprintf("127.0.0.1:%d", portBase+lastPort().Add(1)%portSpan)
		ln, err := net.Listen("tcp", addr)
		if err != nil { // another process has it
			continue
		}
		ln.Close()
		return addr
	}
	t.Fatal("no free loopback port")
	return ""
}

// retryListen is net.Listen, tried again for up to five seconds while the
// address is in use. A test that restarts a server on its address can
// find the old listener still open: a child process that another test
// forks at that moment holds a copy of every descriptor until it execs.
func retryListen(network, address string) (net.Listener, error) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		ln, err := net.Listen(network, address)
		if err == nil || !errors.Is(err, syscall.EADDRINUSE) || time.Now().After(deadline) {
			return ln, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runServe starts `serve` with c until the test ends (or stop is called),
// and returns what it printed.
func runServe(t *testing.T, c common) (out *syncbuf.Buffer, stop func()) {
	t.Helper()
	return runServeRate(t, c, 1000)
}

// runServeRate is runServe with a Graph API rate limit of rateLimit
// requests per client address per 10 seconds.
func runServeRate(t *testing.T, c common, rateLimit int) (out *syncbuf.Buffer, stop func()) {
	t.Helper()
	out = &syncbuf.Buffer{}
	c.out = out
	c.listen = retryListen
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- serve(ctx, c, method.DefaultLockout, rateLimit, func(net.Addr) { close(ready) }) }()
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
	t.Parallel()
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
	apps = slices.DeleteFunc(apps, func(a store.Application) bool { return a.AppID == admin.StaffAppID }) // serve's own
	if err != nil || len(apps) != 1 || apps[0].DisplayName != admin.BootstrapAppName || apps[0].AppID != creds.ClientID ||
		len(apps[0].Grants) != len(auth.AppRoles) {
		t.Fatalf("applications after two starts: %v %v", apps, err)
	}
}

// Processes that start together on one database create one bootstrap
// application between them, and only one reports it.
func TestBootstrapRace(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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

// The environment of TestBootstrapCrashChild: the step of the bootstrap to
// die at and the data directory.
const (
	crashStepEnv = "QRPIN_TEST_BOOTSTRAP_CRASH"
	crashDataEnv = "QRPIN_TEST_BOOTSTRAP_DATA"
	crashAddrEnv = "QRPIN_TEST_BOOTSTRAP_ADDR"
)

// TestBootstrapCrashChild is not a test: TestBootstrapCrashSafe runs this
// test binary with crashStepEnv set to run it, a `serve` of the data
// directory and address in crashDataEnv and crashAddrEnv that kills itself
// (SIGKILL, as kill -9) when the bootstrap reaches that step.
func TestBootstrapCrashChild(t *testing.T) {
	at := os.Getenv(crashStepEnv)
	if at == "" {
		t.Skip("run by TestBootstrapCrashSafe only")
	}
	bootstrapStep = func(step string) {
		if step == at {
			p, _ := os.FindProcess(os.Getpid())
			p.Kill()
			select {} // until the kernel ends the process
		}
	}
	c := common{data: os.Getenv(crashDataEnv), addr: os.Getenv(crashAddrEnv), out: os.Stdout}
	ctx, cancel := context.WithCancel(context.Background())
	if err := serve(ctx, c, method.DefaultLockout, 1000, func(net.Addr) { cancel() }); err != nil {
		t.Fatal(err)
	}
	t.Fatalf("the bootstrap never reached %q", at)
}

// crashStart runs a start of `serve` as c in a process that is killed when
// the bootstrap reaches step, and returns what it printed.
func crashStart(t *testing.T, c common, step string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestBootstrapCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashStepEnv+"="+step, crashDataEnv+"="+c.data, crashAddrEnv+"="+c.addr)
	dieWithTest(cmd)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != -1 { // -1: ended by a signal
		t.Fatalf("the start to kill at %q: %v, want it killed\n%s", step, err, out)
	}
	return string(out)
}

// bootstrapState returns the bootstrap application and the settings.
func bootstrapState(t *testing.T, c common) (store.Application, map[string]string) {
	t.Helper()
	d, err := c.open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer d.store.Close()
	settings, err := d.store.ListSettings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	apps, err := d.store.ListApplications(context.Background(), "", 0)
	apps = slices.DeleteFunc(apps, func(a store.Application) bool { return a.AppID == admin.StaffAppID }) // serve's own
	if err != nil || len(apps) != 1 || apps[0].ID != settings[bootstrapAppSetting] {
		t.Fatalf("applications %v (%v), want the bootstrap one only (%s)", apps, err, settings[bootstrapAppSetting])
	}
	return apps[0], settings
}

// A first start killed anywhere in the bootstrap leaves no operator locked
// out: the next start finishes it, with the credentials in the file and
// printed (unless they were printed already), and one working secret.
func TestBootstrapCrashSafe(t *testing.T) {
	t.Parallel()
	for _, crashes := range [][]string{
		{"issued"},    // the database marked bootstrapped, no file: the defect
		{"written"},   // the file durable, not recorded
		{"committed"}, // recorded, not printed
		{"issued", "issued"},
		{"issued", "written"},
		{"written", "committed"}, // the file kept, recorded, then a crash again
	} {
		t.Run(strings.Join(crashes, ","), func(t *testing.T) {
			t.Parallel()
			c := common{data: filepath.Join(t.TempDir(), "data"), addr: freeAddr(t)}
			for _, step := range crashes {
				if out := crashStart(t, c, step); strings.Contains(out, "client secret") {
					t.Fatalf("a start killed at %q printed the credentials before they were recorded:\n%s", step, out)
				}
			}
			if crashes[0] == "issued" && len(crashes) == 1 {
				if _, err := os.Stat(filepath.Join(c.data, BootstrapFile)); !errors.Is(err, os.ErrNotExist) {
					t.Fatalf("after the crash, the bootstrap file: %v, want none", err)
				}
				if _, settings := bootstrapState(t, c); settings[bootstrapFileSetting] != "" {
					t.Fatalf("after the crash, the file is recorded: %v", settings)
				}
			}

			out, stop := runServe(t, c)
			stop()
			creds := readBootstrap(t, c.data)
			last := crashes[len(crashes)-1]
			if printed := strings.Contains(out.String(), "client secret: "+creds.ClientSecret); printed != (last != "committed") {
				t.Fatalf("the start after the crashes printed the file's credentials: %v, want %v:\n%s", printed, last != "committed", out)
			}
			app, settings := bootstrapState(t, c)
			if len(app.Passwords) != 1 || app.Passwords[0].KeyID != creds.SecretID || settings[bootstrapFileSetting] != creds.SecretID {
				t.Fatalf("secrets %+v, recorded %q; want the file's one only, %s", app.Passwords, settings[bootstrapFileSetting], creds.SecretID)
			}
			out, stop = runServe(t, c)
			tok := getToken(t, http.DefaultClient, creds)
			if st, m := graphCall(t, http.DefaultClient, tok, "GET", "http://"+c.addr+"/v1.0/users", ""); st != http.StatusOK {
				t.Fatalf("GET /v1.0/users with the recovered credentials: %d %v", st, m)
			}
			stop()
			if strings.Contains(out.String(), "client secret") {
				t.Fatalf("a later start prints credentials again:\n%s", out)
			}
			if again := readBootstrap(t, c.data); again != creds {
				t.Fatalf("a later start rewrote the file: %+v, was %+v", again, creds)
			}
		})
	}
}

// An operator who deletes the bootstrap file after the first start gets no
// new credentials: the secret they kept still works, alone.
func TestBootstrapFileDeletedStaysDeleted(t *testing.T) {
	t.Parallel()
	c := common{data: filepath.Join(t.TempDir(), "data"), addr: freeAddr(t)}
	_, stop := runServe(t, c)
	stop()
	creds := readBootstrap(t, c.data)
	if err := os.Remove(filepath.Join(c.data, BootstrapFile)); err != nil {
		t.Fatal(err)
	}
	out, stop := runServe(t, c)
	getToken(t, http.DefaultClient, creds)
	stop()
	if _, err := os.Stat(filepath.Join(c.data, BootstrapFile)); !errors.Is(err, os.ErrNotExist) || strings.Contains(out.String(), "client secret") {
		t.Fatalf("a start after the file was deleted: file %v, printed:\n%s", err, out)
	}
	if app, _ := bootstrapState(t, c); len(app.Passwords) != 1 || app.Passwords[0].KeyID != creds.SecretID {
		t.Fatalf("secrets %+v, want the kept one only", app.Passwords)
	}
}

// Data directories bootstrapped by a qrpin that recorded no file: a file
// that works is kept (and recorded); without one, the credentials are
// issued again only when nothing shows the application was used.
func TestBootstrapBeforeTheFileSetting(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		file     bool // the old start's file is there
		user     bool // a user was created
		reissued bool
	}{
		{"file kept", true, false, false},
		{"file deleted, application used", false, true, false},
		{"file deleted, application unused", false, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := common{data: filepath.Join(t.TempDir(), "data"), addr: freeAddr(t)}
			d, err := c.open(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			svc := &admin.Service{Config: pinflow.Config{Store: d.store, Pepper: d.pepper, TenantID: d.tenantID}}
			b, _, err := svc.Bootstrap(context.Background()) // as the old start did, without the file setting
			if upn := "ana@contoso.com"; err == nil && tc.user {
				_, err = svc.CreateUser(context.Background(), admin.Local(d.tenantID), admin.UserInput{UPN: &upn, DisplayName: &upn})
			}
			d.store.Close()
			if err != nil {
				t.Fatal(err)
			}
			old := bootstrapCredentials{TenantID: d.tenantID, ClientID: b.App.AppID, ClientSecret: b.Secret.Secret}
			if tc.file {
				data, _ := json.Marshal(old)
				if err := os.WriteFile(filepath.Join(c.data, BootstrapFile), data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			out, stop := runServe(t, c)
			stop()
			app, settings := bootstrapState(t, c)
			if !tc.reissued {
				if strings.Contains(out.String(), "client secret") || len(app.Passwords) != 1 || app.Passwords[0].KeyID != b.Secret.KeyID {
					t.Fatalf("credentials re-issued: secrets %+v, printed:\n%s", app.Passwords, out)
				}
				if _, err := os.Stat(filepath.Join(c.data, BootstrapFile)); tc.file != (err == nil) {
					t.Fatalf("the bootstrap file: %v, want it there: %v", err, tc.file)
				}
				if tc.file && readBootstrap(t, c.data) != old {
					t.Fatal("the old file was rewritten")
				}
				if tc.file && settings[bootstrapFileSetting] != legacyFileKey {
					t.Fatalf("the kept file is not recorded: %v", settings)
				}
				return
			}
			creds := readBootstrap(t, c.data)
			if !strings.Contains(out.String(), "client secret: "+creds.ClientSecret) || creds.ClientSecret == old.ClientSecret ||
				len(app.Passwords) != 1 || app.Passwords[0].KeyID != creds.SecretID {
				t.Fatalf("re-issued %+v, secrets %+v, printed:\n%s", creds, app.Passwords, out)
			}
		})
	}
}
