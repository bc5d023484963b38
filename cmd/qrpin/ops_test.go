package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/internal/syncbuf"
	"github.com/qrpin/qrpin/store"
	"github.com/qrpin/qrpin/store/postgres"
	"github.com/qrpin/qrpin/store/postgres/pgtest"
	"github.com/qrpin/qrpin/telemetry"
)

// scrape returns the management listener's /metrics as a map from each
// series as exposed (name{labels}, the labels in their sorted order) to
// its value, and the body.
func scrape(t *testing.T, mgmt string) (map[string]float64, string) {
	t.Helper()
	res, err := http.Get(mgmt + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("/metrics: %d %s", res.StatusCode, b)
	}
	series := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("/metrics line %q: %v", line, err)
		}
		series[line[:i]] = v
	}
	return series, string(b)
}

// get returns the status and body of a GET.
func get(t *testing.T, u string) (int, string) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestOpsSession runs a scripted session against serve (sign-ins of each
// outcome, Graph calls, tokens) and checks that each counter on the
// management listener moved by exactly what the session did; that the
// public listener serves none of the management endpoints; that the
// request ids of the answers are the log lines'; and that no UPN, user
// id, PIN, secret or token is in any metric or log line.
func TestOpsSession(t *testing.T) {
	t.Parallel()
	logs := &syncbuf.Buffer{}
	c := common{data: filepath.Join(t.TempDir(), "data"), addr: freeAddr(t), hashParams: &cheapHash}
	c.ops = opsFlags{managementAddr: freeAddr(t), logFormat: "json", logLevel: "info", logOut: logs}
	c.signin.throttle = 4
	runServe(t, c)
	mgmt := "http://" + c.ops.managementAddr
	base := "http://" + c.addr
	creds := readBootstrap(t, c.data)
	signin := base + "/" + creds.TenantID + "/signin/"

	// Health, and nothing of the management listener on the public one.
	if st, body := get(t, mgmt+"/livez"); st != 200 {
		t.Fatalf("/livez: %d %s", st, body)
	}
	if st, body := get(t, mgmt+"/readyz"); st != 200 || strings.TrimSpace(body) != "ok" {
		t.Fatalf("/readyz: %d %s", st, body)
	}
	if err := healthcheck(context.Background(), io.Discard, c.ops.managementAddr, false, 5*time.Second); err != nil {
		t.Fatalf("healthcheck: %v", err)
	}
	for _, p := range []string{"/metrics", "/livez", "/readyz"} {
		if st, body := get(t, base+p); st != 404 || strings.Contains(body, "qrpin_") || strings.Contains(body, "ok") {
			t.Fatalf("public listener %s: %d %s; want 404", p, st, body)
		}
	}
	before, _ := scrape(t, mgmt)

	// Tokens: one issued, one refused.
	token := getToken(t, http.DefaultClient, creds)
	res, err := http.PostForm(creds.TokenEndpoint, url.Values{"grant_type": {"client_credentials"}, "client_id": {creds.ClientID},
		"client_secret": {"not-the-secret"}, "scope": {creds.Scope}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Fatalf("token with a wrong secret: %d", res.StatusCode)
	}

	// Graph: two users with the method; the policy enabled.
	pins := map[string]string{"ana.ops@contoso.com": "48150392", "bo.ops@contoso.com": "29384756"}
	badges := map[string]string{}
	var userIDs []string
	for _, upn := range []string{"ana.ops@contoso.com", "bo.ops@contoso.com"} {
		st, m := graphCall(t, http.DefaultClient, token, "POST", base+"/v1.0/users", `{"userPrincipalName": "`+upn+`", "displayName": "Ops Tester"}`)
		if st != 201 {
			t.Fatalf("create user: %d %v", st, m)
		}
		userIDs = append(userIDs, m["id"].(string))
		st, m = graphCall(t, http.DefaultClient, token, "PUT", base+"/v1.0/users/"+upn+"/authentication/qrCodePinMethod", `{"standardQRCode": {}, "pin": {"code": "`+pins[upn]+`"}}`)
		if st != 201 {
			t.Fatalf("create method: %d %v", st, m)
		}
		raw, err := base64.StdEncoding.DecodeString(m["standardQRCode"].(map[string]any)["image"].(map[string]any)["rawContent"].(string))
		if err != nil {
			t.Fatal(err)
		}
		badges[upn] = string(raw)
	}
	if st, m := graphCall(t, http.DefaultClient, token, "PATCH", base+"/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/qrCodePin", `{"@odata.type": "#microsoft.graph.qrCodePinAuthenticationMethodConfiguration", "state": "enabled"}`); st != 200 {
		t.Fatalf("enable policy: %d %v", st, m)
	}
	if st, _ := graphCall(t, http.DefaultClient, token, "GET", base+"/v1.0/users/"+userIDs[0], ""); st != 200 {
		t.Fatalf("get user: %d", st)
	}
	if st, _ := graphCall(t, http.DefaultClient, token, "GET", base+"/v1.0/users/nobody@contoso.com", ""); st != 404 {
		t.Fatalf("get unknown user: %d", st)
	}
	if st, _ := graphCall(t, http.DefaultClient, token, "GET", base+"/v1.0/no/such/route", ""); st != 400 {
		t.Fatalf("unknown route: %d", st)
	}

	step := func(path string, body map[string]string, wantStatus int, wantCode string) map[string]any {
		t.Helper()
		st, m := signInCall(t, signin+path, body)
		code := ""
		if e, ok := m["error"].(map[string]any); ok {
			code, _ = e["code"].(string)
		}
		if st != wantStatus || code != wantCode {
			t.Fatalf("%s: %d %v; want %d %q", path, st, m, wantStatus, wantCode)
		}
		return m
	}
	// Ana: badge, temporary PIN, a new PIN that breaks the rules, a good one.
	m := step("qr", map[string]string{"qrCode": badges["ana.ops@contoso.com"]}, 200, "")
	m = step("pin", map[string]string{"transaction": m["transaction"].(string), "pin": pins["ana.ops@contoso.com"]}, 200, "")
	tx := m["transaction"].(string)
	step("newpin", map[string]string{"transaction": tx, "newPin": "12"}, 400, "pinTooShort")
	m = step("newpin", map[string]string{"transaction": tx, "newPin": "90817263"}, 200, "")
	userToken := m["access_token"].(string)
	// Bo: wrong PINs until the PIN locks (DefaultLockout: the 5th), then
	// the badge is refused while locked.
	m = step("qr", map[string]string{"qrCode": badges["bo.ops@contoso.com"]}, 200, "")
	tx = m["transaction"].(string)
	for range 4 {
		m = step("pin", map[string]string{"transaction": tx, "pin": "11112222"}, 400, "invalidPin")
		tx = m["transaction"].(string)
	}
	step("pin", map[string]string{"transaction": tx, "pin": "11112222"}, 429, "pinLocked")
	step("qr", map[string]string{"qrCode": badges["bo.ops@contoso.com"]}, 429, "pinLocked")
	// A used handle, then bad badges until the address is throttled
	// (--signin-throttle 4: the used handle and three bad badges count).
	step("pin", map[string]string{"transaction": tx, "pin": "11112222"}, 400, "invalidTransaction")
	for range 3 {
		step("qr", map[string]string{"qrCode": "not a badge"}, 400, "incorrectQRCode")
	}
	m = step("qr", map[string]string{"qrCode": "not a badge"}, 429, "TooManyRequests")
	// The error body names the request, as its header and log line do.
	inner, _ := m["error"].(map[string]any)["innerError"].(map[string]any)
	rid, _ := inner["request-id"].(string)
	if rid == "" || !strings.Contains(logs.String(), `"request-id":"`+rid+`"`) {
		t.Fatalf("the throttled answer's innerError %v names no request of the log:\n%s", inner, logs)
	}
	st, _ := graphCall(t, http.DefaultClient, userToken, "GET", base+"/v1.0/me/authentication/qrCodePinMethod", "")
	if st != 200 {
		t.Fatalf("GET /me: %d", st)
	}

	after, body := scrape(t, mgmt)
	for series, want := range map[string]float64{
		`qrpin_token_requests_total{grant="client_credentials",result="success"}`:                                            1,
		`qrpin_token_requests_total{grant="client_credentials",result="invalid_client"}`:                                     1,
		`qrpin_signin_attempts_total{result="success",stage="qr"}`:                                                           2,
		`qrpin_signin_attempts_total{result="success",stage="pin"}`:                                                          1,
		`qrpin_signin_attempts_total{result="pin_rule",stage="new_pin"}`:                                                     1,
		`qrpin_signin_attempts_total{result="success",stage="new_pin"}`:                                                      1,
		`qrpin_signin_attempts_total{result="invalid_pin",stage="pin"}`:                                                      4,
		`qrpin_signin_attempts_total{result="locked",stage="pin"}`:                                                           1,
		`qrpin_signin_attempts_total{result="locked",stage="qr"}`:                                                            1,
		`qrpin_signin_attempts_total{result="invalid_transaction",stage="pin"}`:                                              1,
		`qrpin_signin_attempts_total{result="incorrect_qr",stage="qr"}`:                                                      3,
		`qrpin_signin_attempts_total{result="throttled",stage="qr"}`:                                                         1,
		`qrpin_signin_duration_seconds_count{stage="qr"}`:                                                                    7,
		`qrpin_signin_duration_seconds_count{stage="pin"}`:                                                                   7,
		`qrpin_signin_duration_seconds_count{stage="new_pin"}`:                                                               2,
		`qrpin_pin_lockouts_total{kind="timed"}`:                                                                             1,
		`qrpin_pin_lockouts_total{kind="disabled"}`:                                                                          0,
		`qrpin_graph_requests_total{code="201",method="POST",route="/{version}/users"}`:                                      2,
		`qrpin_graph_requests_total{code="201",method="PUT",route="/{version}/users/{user}/authentication/qrCodePinMethod"}`: 2,
		`qrpin_graph_requests_total{code="200",method="GET",route="/{version}/users/{user}"}`:                                1,
		`qrpin_graph_requests_total{code="404",method="GET",route="/{version}/users/{user}"}`:                                1,
		`qrpin_graph_requests_total{code="400",method="GET",route="unmatched"}`:                                              1,
		`qrpin_graph_requests_total{code="200",method="GET",route="/{version}/me/authentication/qrCodePinMethod"}`:           1,
		`qrpin_graph_request_duration_seconds_count{method="POST",route="/{version}/users"}`:                                 2,
		`qrpin_http_requests_total{code="200",method="POST",route="/{tenant}/oauth2/v2.0/token"}`:                            1,
		`qrpin_http_requests_total{code="401",method="POST",route="/{tenant}/oauth2/v2.0/token"}`:                            1,
		`qrpin_http_requests_total{code="200",method="POST",route="/{tenant}/signin/qr"}`:                                    2,
		`qrpin_http_requests_total{code="429",method="POST",route="/{tenant}/signin/qr"}`:                                    2,
		`qrpin_http_requests_total{code="400",method="POST",route="/{tenant}/signin/pin"}`:                                   5,
	} {
		if got := after[series] - before[series]; got != want {
			t.Errorf("%s moved by %v, want %v", series, got, want)
		}
	}
	for _, series := range []string{
		`qrpin_pin_hashes_in_flight`, `qrpin_pin_hashes_waiting`, `qrpin_ready`, `go_goroutines`, `process_cpu_seconds_total`,
		`go_sql_open_connections{db_name="write"}`, `go_sql_open_connections{db_name="read"}`,
	} {
		if _, ok := after[series]; !ok {
			t.Errorf("/metrics lacks %s", series)
		}
	}
	if after["qrpin_ready"] != 1 {
		t.Errorf("qrpin_ready = %v, want 1", after["qrpin_ready"])
	}
	if !strings.Contains(body, "qrpin_build_info{") {
		t.Error("/metrics lacks qrpin_build_info")
	}

	// Every log line is JSON with the request's fields; none holds a UPN,
	// a user id, a PIN, a badge, a secret or a token.
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	requests := 0
	for _, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		if rec["msg"] == "request" {
			requests++
			for _, k := range []string{"method", "route", "status", "duration", "request-id", "client"} {
				if _, ok := rec[k]; !ok {
					t.Errorf("request log line lacks %s: %s", k, l)
				}
			}
		}
	}
	if requests < 30 {
		t.Errorf("%d request log lines, want one per request (at least 30)", requests)
	}
	secrets := []string{creds.ClientSecret, "not-the-secret", token, userToken, "ana.ops", "bo.ops", "90817263", "11112222"}
	secrets = append(secrets, userIDs...)
	for upn, p := range pins {
		secrets = append(secrets, upn, p, badges[upn])
	}
	for _, s := range secrets {
		for what, text := range map[string]string{"the log": logs.String(), "/metrics": body} {
			if strings.Contains(strings.ToLower(text), strings.ToLower(s)) {
				t.Errorf("%s holds %q", what, s)
			}
		}
	}
}

// TestReadyzPostgresOutage stops the PostgreSQL a server runs on: /readyz
// answers 503 naming the database (and qrpin_ready is 0) while it is down,
// and 200 again once it is back, without a restart; /livez stays 200.
func TestReadyzPostgresOutage(t *testing.T) {
	t.Parallel()
	cluster := pgtest.NewCluster(t)
	c := common{data: filepath.Join(t.TempDir(), "data"), addr: freeAddr(t), hashParams: &cheapHash,
		db: dbFlags{url: cluster.DSN(), pool: postgres.Options{MaxConns: 4, ConnectTimeout: 2 * time.Second, OpTimeout: 5 * time.Second}}}
	c.ops = opsFlags{managementAddr: freeAddr(t), logFormat: "text", logLevel: "info", logOut: io.Discard}
	runServe(t, c)
	mgmt := "http://" + c.ops.managementAddr
	if st, body := get(t, mgmt+"/readyz"); st != 200 {
		t.Fatalf("/readyz with the database up: %d %s", st, body)
	}
	if m, _ := scrape(t, mgmt); m["qrpin_ready"] != 1 || m["qrpin_db_pool_max_connections"] != 4 {
		t.Fatalf("with the database up: qrpin_ready %v, qrpin_db_pool_max_connections %v; want 1, 4", m["qrpin_ready"], m["qrpin_db_pool_max_connections"])
	}

	// readyzUntil asks /readyz until it answers want (the last result is
	// reused for telemetry.ReadyCacheTTL, and the pool replaces its broken
	// connections), within a generous deadline, and returns the body.
	readyzUntil := func(want int) string {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			st, body := get(t, mgmt+"/readyz")
			if st == want {
				return body
			}
			if (st != 200 && st != http.StatusServiceUnavailable) || time.Now().After(deadline) {
				t.Fatalf("/readyz: %d %s; want %d", st, body, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	cluster.Stop()
	if body := readyzUntil(http.StatusServiceUnavailable); !strings.Contains(body, "database: the database does not answer") {
		t.Fatalf("/readyz with the database down: %s; want 503 naming the database", body)
	}
	if st, body := get(t, mgmt+"/livez"); st != 200 {
		t.Fatalf("/livez with the database down: %d %s", st, body)
	}
	if m, _ := scrape(t, mgmt); m["qrpin_ready"] != 0 || m[`qrpin_readiness_check_failures_total{check="database"}`] < 1 {
		t.Fatalf("with the database down: qrpin_ready %v, database failures %v", m["qrpin_ready"], m[`qrpin_readiness_check_failures_total{check="database"}`])
	}
	if err := healthcheck(context.Background(), io.Discard, c.ops.managementAddr, false, 10*time.Second); err == nil {
		t.Fatal("healthcheck passed with the database down")
	}

	cluster.Start()
	readyzUntil(200)
	if err := healthcheck(context.Background(), io.Discard, c.ops.managementAddr, false, 10*time.Second); err != nil {
		t.Fatalf("healthcheck after the database came back: %v", err)
	}
}

// schemaAt is a store whose schema is at current, while the build expects
// want.
type schemaAt struct {
	store.Store
	current, want int64
}

func (s schemaAt) SchemaVersion(context.Context) (int64, int64, error) { return s.current, s.want, nil }

// TestReadinessChecks: /readyz answers 503 naming each failed check (a
// schema behind this build's migrations, no signing key), and 200 with a
// warning for a schema ahead of them (a newer qrpin migrated it during a
// rolling upgrade), which qrpin_readiness_warnings shows and the log tells
// once, not at every probe.
func TestReadinessChecks(t *testing.T) {
	t.Parallel()
	keys, err := auth.LoadOrCreateKeys(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		st      store.Store
		keys    *auth.KeySet
		status  int
		want    []string
		warning float64 // qrpin_readiness_warnings{check="database"}
	}{
		{"ready", schemaAt{current: 18, want: 18}, keys, 200, []string{"ok"}, 0},
		{"schema behind", schemaAt{current: 17, want: 18}, keys, 503, []string{"database: the database schema is at migration 17, this qrpin expects 18"}, 0},
		{"schema ahead", schemaAt{current: 19, want: 18}, keys, 200, []string{"ok", "database: warning: the database schema is at migration 19, newer than this qrpin's 18: upgrade this qrpin"}, 1},
		{"no signing key", schemaAt{current: 18, want: 18}, &auth.KeySet{}, 503, []string{"signing_keys: no signing key is loaded"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			logs := &syncbuf.Buffer{}
			log := slog.New(slog.NewTextHandler(logs, nil))
			checks := readiness(tc.st, tc.keys, log)
			srv := httptest.NewServer(telemetry.Management(telemetry.NewMetrics(), checks...))
			defer srv.Close()
			st, body := get(t, srv.URL+"/readyz")
			if got := strings.Split(strings.TrimSpace(body), "\n"); st != tc.status || !slices.Equal(got, tc.want) {
				t.Fatalf("/readyz: %d %q; want %d %q", st, got, tc.status, tc.want)
			}
			if m, _ := scrape(t, srv.URL); m[`qrpin_readiness_warnings{check="database"}`] != tc.warning {
				t.Errorf("qrpin_readiness_warnings{check=\"database\"} = %v, want %v", m[`qrpin_readiness_warnings{check="database"}`], tc.warning)
			}
			for range 3 { // more probes: still one log line
				checks[0].Run(context.Background())
			}
			if n, want := strings.Count(logs.String(), "level=WARN"), int(tc.warning); n != want {
				t.Errorf("%d warnings logged, want %d:\n%s", n, want, logs)
			}
		})
	}
}

// TestHealthcheckCommand: qrpin healthcheck fails (exit 1) when nothing
// answers at the management address, or the listener is off.
func TestHealthcheckCommand(t *testing.T) {
	t.Parallel()
	if _, err := runCmd(t, healthcheckCmd(), "--management-addr", freeAddr(t), "--timeout", "2s"); err == nil {
		t.Fatal("healthcheck passed with no server")
	}
	if _, err := runCmd(t, healthcheckCmd(), "--management-addr", "off"); err == nil || !strings.Contains(err.Error(), "off") {
		t.Fatalf("healthcheck with the listener off: %v", err)
	}
}

// TestHealthClient: the healthcheck's client uses no proxy (whatever
// HTTP_PROXY says) and has the timeout.
func TestHealthClient(t *testing.T) {
	t.Parallel()
	c := healthClient(7 * time.Second)
	tr, ok := c.Transport.(*http.Transport)
	if !ok || tr.Proxy != nil || c.Timeout != 7*time.Second {
		t.Fatalf("healthClient: transport %T (proxy set: %v), timeout %v; want an *http.Transport without a proxy, 7s", c.Transport, ok && tr.Proxy != nil, c.Timeout)
	}
}

// TestOpsFlags: the log flags are checked, and QRPIN_MANAGEMENT_ADDR sets
// the management address (empty: off).
func TestOpsFlags(t *testing.T) {
	for _, tc := range []struct {
		format, level string
		ok            bool
	}{{"text", "info", true}, {"json", "debug", true}, {"JSON", "warn", true}, {"", "", true}, {"xml", "info", false}, {"text", "loud", false}} {
		f := opsFlags{logFormat: tc.format, logLevel: tc.level}
		if _, err := f.logger(io.Discard); (err == nil) != tc.ok {
			t.Errorf("--log-format %s --log-level %s: %v", tc.format, tc.level, err)
		}
	}
	if got := serveCmd().Flags().Lookup("management-addr").DefValue; got != "127.0.0.1:9464" {
		t.Errorf("--management-addr defaults to %q", got)
	}
	t.Setenv("QRPIN_MANAGEMENT_ADDR", "")
	var f opsFlags
	cmd := serveCmd()
	f.managementFlag(pflag.NewFlagSet("x", pflag.ContinueOnError))
	if f.management() != "" || cmd.Flags().Lookup("management-addr").DefValue != "" {
		t.Errorf("QRPIN_MANAGEMENT_ADDR empty: management %q, default %q", f.management(), cmd.Flags().Lookup("management-addr").DefValue)
	}
}
