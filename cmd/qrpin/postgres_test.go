package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/datadir"
	"github.com/qrpin/qrpin/internal/syncbuf"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/pin"
	"github.com/qrpin/qrpin/store"
	"github.com/qrpin/qrpin/store/postgres"
	"github.com/qrpin/qrpin/store/postgres/pgtest"
)

// buildQrpin builds the qrpin command into a temporary directory (with
// -race when this test binary has it) and returns its path.
func buildQrpin(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "qrpin")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, ".")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// server is a `qrpin serve` process.
type server struct {
	url    string
	stderr *syncbuf.Buffer
}

var listening = regexp.MustCompile(`^qrpin listening on (http://\S+)`)

// startServer starts `qrpin serve` with args and waits until it says it
// listens; it is stopped (SIGINT, as Ctrl-C) when the test ends.
func startServer(t *testing.T, bin string, args ...string) *server {
	t.Helper()
	s := &server{stderr: &syncbuf.Buffer{}}
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--management-addr", "127.0.0.1:0"}, args...)...)
	dieWithTest(cmd)
	cmd.Stderr = s.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	exited := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				ready <- m[1]
			}
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("qrpin serve did not shut down cleanly: %v\n%s", err, s.stderr)
			}
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Errorf("qrpin serve did not stop within 30s of SIGINT\n%s", s.stderr)
		}
	})
	select {
	case s.url = <-ready:
	case err := <-exited:
		t.Fatalf("qrpin serve exited before listening: %v\n%s", err, s.stderr)
	case <-time.After(2 * time.Minute):
		t.Fatalf("qrpin serve did not say it listens within 2 minutes\n%s", s.stderr)
	}
	return s
}

// reply is an HTTP response, read whole.
type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (r reply) errCode() string {
	e, _ := r.body["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func (r reply) str(keys ...string) string {
	var v any = r.body
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	s, _ := v.(string)
	return s
}

var client = &http.Client{Timeout: time.Minute}

func call(t *testing.T, token, verb, url, body string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(verb, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", verb, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := reply{status: res.StatusCode, header: res.Header, raw: string(b)}
	json.Unmarshal(b, &r.body)
	return r
}

// raceCalls sends n requests at once, spread over the servers, and returns
// the replies by index.
func raceCalls(t *testing.T, n int, servers []*server, send func(i int, s *server) reply) []reply {
	t.Helper()
	replies := make([]reply, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			replies[i] = send(i, servers[i%len(servers)])
		})
	}
	close(start)
	wg.Wait()
	return replies
}

// tally counts replies by "status code".
func tally(replies []reply) map[string]int {
	m := map[string]int{}
	for _, r := range replies {
		m[fmt.Sprintf("%d %s", r.status, r.errCode())]++
	}
	return m
}

// qrpinCmd runs a qrpin command and returns its standard output.
func qrpinCmd(t *testing.T, bin string, args ...string) string {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	dieWithTest(cmd)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("qrpin %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// TestTwoServersOneDatabase runs two `qrpin serve` processes on one fresh
// PostgreSQL database, sharing the data directory's pepper and keys, and
// races requests across them: the guarantees of one process hold for two.
// A third process with another pepper refuses to start.
func TestTwoServersOneDatabase(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	bin := buildQrpin(t)
	data := filepath.Join(t.TempDir(), "data")
	const public = "https://qrpin.example" // both behind one address, as behind a load balancer
	flags := []string{"--data", data, "--db", dsn, "--public-url", public, "--db-max-conns", "8"}

	// The first command initializes the data directory (pepper, keys) and
	// the database (schema, tenant id, pepper check).
	created := qrpinCmd(t, bin, append([]string{"apps", "create", "--name", "racer", "--grant",
		"User.ReadWrite.All,UserAuthMethod-QR.ReadWrite.All"}, flags...)...)
	m := regexp.MustCompile(`client id:\s+(\S+)`).FindStringSubmatch(created)
	if m == nil {
		t.Fatalf("qrpin apps create printed no client id:\n%s", created)
	}
	token := qrpinCmd(t, bin, append([]string{"token", "--app", m[1]}, flags...)...)
	const throttle = 7 // incorrect QR codes per address per minute
	serveFlags := append([]string{"--signin-throttle", fmt.Sprint(throttle)}, flags...)
	servers := []*server{startServer(t, bin, serveFlags...), startServer(t, bin, serveFlags...)}
	a := servers[0]

	st, err := postgres.Open(t.Context(), dsn, postgres.Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pepper, err := datadir.Pepper(data)
	if err != nil {
		t.Fatal(err)
	}
	hasher, err := pin.NewHasher(pepper, pin.DefaultParams)
	if err != nil {
		t.Fatal(err)
	}

	r := call(t, token, "POST", a.url+"/v1.0/users", `{"userPrincipalName": "ana@contoso.com", "displayName": "Ana"}`)
	if r.status != 201 {
		t.Fatalf("create user: %d %s", r.status, r.raw)
	}
	userID := r.str("id")
	mpath := "/v1.0/users/" + userID + "/authentication/qrCodePinMethod"
	const racers = 8

	t.Run("create method", func(t *testing.T) {
		replies := raceCalls(t, racers, servers, func(i int, s *server) reply {
			return call(t, token, "PUT", s.url+mpath, `{"standardQRCode": {}, "pin": {"code": "48150392"}}`)
		})
		if got := tally(replies); got["201 "] != 1 || got["400 tooManyQRCodePinMethod"] != racers-1 {
			t.Fatalf("racing creates of one method: %v; want one 201 and %d 400 tooManyQRCodePinMethod", got, racers-1)
		}
		m, err := st.GetMethod(t.Context(), userID)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range replies {
			if r.status == 201 && (r.str("id") != m.ID || r.str("standardQRCode", "id") != m.Standard.ID) {
				t.Fatalf("the stored method %s is not the one created: %s", m.ID, r.raw)
			}
		}
	})

	t.Run("reset PIN", func(t *testing.T) {
		replies := raceCalls(t, racers, servers, func(i int, s *server) reply {
			return call(t, token, "PATCH", s.url+mpath+"/pin", `{"@odata.type": "#microsoft.graph.qrPin", "code": "00000000"}`)
		})
		if got := tally(replies); got["201 "] != racers {
			t.Fatalf("racing PIN resets: %v; want %d 201", got, racers)
		}
		m, err := st.GetMethod(t.Context(), userID)
		if err != nil {
			t.Fatal(err)
		}
		var valid []string
		for _, r := range replies {
			code := r.str("code")
			ok, err := hasher.Verify(code, m.PIN.Hash)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				valid = append(valid, code)
			}
		}
		if len(valid) != 1 {
			t.Fatalf("after %d racing resets, %d of the PINs answered are valid (%v), want exactly 1", racers, len(valid), valid)
		}
		// One more reset, after the race: its PIN, the last answered, is
		// the valid one.
		last := call(t, token, "PATCH", servers[1].url+mpath+"/pin", `{}`)
		m, err = st.GetMethod(t.Context(), userID)
		if err != nil {
			t.Fatal(err)
		}
		for _, code := range []string{valid[0], last.str("code")} {
			ok, _ := hasher.Verify(code, m.PIN.Hash)
			if ok != (code == last.str("code")) {
				t.Fatalf("after the last reset, PIN %s valid: %v", code, ok)
			}
		}
	})

	t.Run("temporary code", func(t *testing.T) {
		now := time.Now().UTC().Truncate(time.Second)
		body := fmt.Sprintf(`{"startDateTime": %q, "expireDateTime": %q}`,
			now.Format(time.RFC3339), now.Add(2*time.Hour).Format(time.RFC3339))
		replies := raceCalls(t, racers, servers, func(i int, s *server) reply {
			return call(t, token, "PATCH", s.url+mpath+"/temporaryQRCode", body)
		})
		if got := tally(replies); got["201 "] != 1 || got["400 ActiveQRCodeExisted"] != racers-1 {
			t.Fatalf("racing temporary code creates: %v; want one 201 and %d 400 ActiveQRCodeExisted", got, racers-1)
		}
		wantStoredCode(t, st, userID, method.Temporary, replies)
	})

	t.Run("standard code", func(t *testing.T) {
		if r := call(t, token, "DELETE", a.url+mpath+"/standardQRCode", ""); r.status != 204 {
			t.Fatalf("delete the standard code: %d %s", r.status, r.raw)
		}
		replies := raceCalls(t, racers, servers, func(i int, s *server) reply {
			return call(t, token, "PATCH", s.url+mpath+"/standardQRCode", `{}`)
		})
		// A loser that read the method before the winner wrote it meets the
		// live code in its update (ActiveQRCodeExisted); one that read it
		// after is asked for the expiry a change of the live code needs.
		got := tally(replies)
		if got["201 "] != 1 || got["400 ActiveQRCodeExisted"]+got["400 BadRequest"] != racers-1 {
			t.Fatalf("racing standard code creates: %v; want one 201 and %d 400", got, racers-1)
		}
		wantStoredCode(t, st, userID, method.Standard, replies)
	})

	t.Run("lockout", func(t *testing.T) {
		// Ana changes her PIN with wrong current PINs, at once on both
		// servers: exactly the threshold's worth are checked and counted,
		// the rest meet the lock.
		anaToken := qrpinCmd(t, bin, append([]string{"token", "--user", "ana@contoso.com", "--scopes", "UserAuthMethod-QR.ReadWrite"}, flags...)...)
		const tries = 3 * 5 // the default threshold is 5
		replies := raceCalls(t, tries, servers, func(i int, s *server) reply {
			return call(t, anaToken, "POST", s.url+"/v1.0/me/authentication/qrCodePinMethod/pin/updatePin",
				fmt.Sprintf(`{"currentPin": "1111%04d", "newPin": "27182818"}`, i))
		})
		threshold := method.DefaultLockout.Threshold
		if got := tally(replies); got["400 incorrectPin"] != threshold || got["429 pinLocked"] != tries-threshold {
			t.Fatalf("racing wrong PINs: %v; want %d 400 incorrectPin and %d 429 pinLocked", got, threshold, tries-threshold)
		}
		m, err := st.GetMethod(t.Context(), userID)
		if err != nil {
			t.Fatal(err)
		}
		if m.Lockout.Failures != threshold || m.Lockout.LockedUntil.IsZero() {
			t.Fatalf("lockout after racing wrong PINs: %+v; want %d failures and a lock", m.Lockout, threshold)
		}
	})

	t.Run("sign-in throttle", func(t *testing.T) {
		// Incorrect QR codes from one address, at once on both servers:
		// the limit holds for the two together, not for each, and the
		// throttled ones write no sign-in log entry.
		settings, err := st.ListSettings(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		const tries = 3 * throttle
		replies := raceCalls(t, tries, servers, func(i int, s *server) reply {
			return call(t, "", "POST", s.url+"/"+settings["tenant_id"]+"/signin/qr", fmt.Sprintf(`{"qrCode": "QP1.junk%d"}`, i))
		})
		if got := tally(replies); got["400 incorrectQRCode"] != throttle || got["429 TooManyRequests"] != tries-throttle {
			t.Fatalf("racing incorrect QR codes: %v; want %d 400 incorrectQRCode and %d 429 TooManyRequests", got, throttle, tries-throttle)
		}
		for _, r := range replies {
			if r.status == http.StatusTooManyRequests && r.header.Get("Retry-After") == "" {
				t.Fatalf("429 without Retry-After: %v %s", r.header, r.raw)
			}
		}
		logs, err := st.ListSignInLogs(t.Context(), store.AuditFilter{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(logs) != throttle {
			t.Fatalf("%d sign-in log entries, want %d (one per incorrect QR code below the limit)", len(logs), throttle)
		}
	})

	t.Run("another pepper", func(t *testing.T) {
		// A data directory of its own: another pepper. The process must
		// exit with the reason, not listen (if it does, it is stopped).
		other := filepath.Join(t.TempDir(), "other")
		var out syncbuf.Buffer
		cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--management-addr", "127.0.0.1:0", "--data", other, "--db", dsn)
		dieWithTest(cmd)
		cmd.Stderr = &out
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				fmt.Fprintln(&out, sc.Text())
				if listening.MatchString(sc.Text()) {
					cmd.Process.Kill()
				}
			}
			exited <- cmd.Wait()
		}()
		select {
		case err = <-exited:
		case <-time.After(2 * time.Minute):
			cmd.Process.Kill()
			<-exited
			t.Fatalf("serve with another pepper neither listened nor exited within 2 minutes:\n%s", out.String())
		}
		if err == nil || !strings.Contains(out.String(), "is not the one this database was initialized with") ||
			strings.Contains(out.String(), "qrpin listening") {
			t.Fatalf("serve with another pepper: %v\n%s", err, out.String())
		}
	})
}

// wantStoredCode checks that the store holds the code of kind that the one
// 201 reply created.
func wantStoredCode(t *testing.T, st store.Store, userID string, kind method.Kind, replies []reply) {
	t.Helper()
	m, err := st.GetMethod(t.Context(), userID)
	if err != nil {
		t.Fatal(err)
	}
	c := m.Code(kind)
	for _, r := range replies {
		if r.status == 201 && (c == nil || r.str("id") != c.ID || r.body["image"] == nil) {
			t.Fatalf("the stored %s %+v is not the one created: %s", kind, c, r.raw)
		}
	}
}

// TestPostgresOutage stops a private PostgreSQL under a running server:
// requests answer 503 serviceNotAvailable with Retry-After, never 500, and
// the server recovers by itself once the database is back.
func TestPostgresOutage(t *testing.T) {
	t.Parallel()
	cluster := pgtest.NewCluster(t)
	addr := freeAddr(t)
	c := common{data: filepath.Join(t.TempDir(), "data"), addr: addr,
		db:          dbFlags{url: cluster.DSN(), pool: postgres.Options{MaxConns: 4, ConnectTimeout: 5 * time.Second, OpTimeout: 20 * time.Second}},
		appCheckTTL: admin.DefaultAppCheckTTL} // as serve's default: an outage within it still fails the read

	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, c, method.DefaultLockout, 10000, func(a net.Addr) { ready <- a }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}
	d, err := c.open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	app := store.Application{ID: uuid.NewString(), AppID: uuid.NewString(), ServicePrincipalID: uuid.NewString(), DisplayName: "outage"}
	if err := d.store.CreateApplication(ctx, app); err != nil {
		t.Fatal(err)
	}
	token, err := d.tokens(c.baseURL()).Mint(auth.Principal{Kind: auth.Application, ObjectID: app.ServicePrincipalID,
		AppID: app.AppID, TenantID: d.tenantID, Roles: []string{"User.ReadWrite.All", "UserAuthMethod-QR.ReadWrite.All"}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	d.store.Close()

	base := "http://" + addr + "/v1.0"
	r := call(t, token, "POST", base+"/users", `{"userPrincipalName": "ana@contoso.com", "displayName": "Ana"}`)
	if r.status != 201 {
		t.Fatalf("create user: %d %s", r.status, r.raw)
	}
	byID := base + "/users/" + r.str("id") + "/authentication/qrCodePinMethod" // one statement for an application
	mpath := base + "/users/ana@contoso.com/authentication/qrCodePinMethod"
	if r := call(t, token, "PUT", mpath, `{"standardQRCode": {}}`); r.status != 201 {
		t.Fatalf("create method: %d %s", r.status, r.raw)
	}
	if r := call(t, token, "GET", byID, ""); r.status != 200 {
		t.Fatalf("read method: %d %s", r.status, r.raw)
	}

	cluster.Stop()
	for _, req := range []struct{ verb, url, body string }{
		{"GET", byID, ""},
		{"GET", mpath, ""},
		{"GET", base + "/users", ""},
		{"PATCH", mpath + "/pin", `{}`},
		{"POST", base + "/users", `{"userPrincipalName": "bo@contoso.com", "displayName": "Bo"}`},
	} {
		r := call(t, token, req.verb, req.url, req.body)
		if r.status != http.StatusServiceUnavailable || r.errCode() != "serviceNotAvailable" || r.header.Get("Retry-After") == "" {
			t.Fatalf("%s %s with the database down: %d %v %s; want 503 serviceNotAvailable with Retry-After",
				req.verb, req.url, r.status, r.header, r.raw)
		}
	}

	cluster.Start()
	// The server needs no restart: its pool replaces the broken
	// connections. Ask until it answers, a bounded number of times.
	const attempts = 20
	var got []string
	for i := 1; ; i++ {
		r := call(t, token, "GET", mpath, "")
		got = append(got, fmt.Sprint(r.status))
		if r.status == 200 {
			t.Logf("answered after the database came back: %v", got)
			break
		}
		if r.status != http.StatusServiceUnavailable || i == attempts {
			t.Fatalf("after the database came back: %v, last %s", got, r.raw)
		}
	}
	if r := call(t, token, "PATCH", mpath+"/pin", `{}`); r.status != 201 {
		t.Fatalf("reset PIN after the database came back: %d %s", r.status, r.raw)
	}
}
