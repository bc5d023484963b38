package telemetry

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/qrpin/qrpin/internal/fakeclock"
)

// noConnector is a database/sql connector that never connects: enough for
// a pool's statistics.
type noConnector struct{}

func (noConnector) Connect(context.Context) (driver.Conn, error) {
	return nil, errors.New("no database")
}
func (noConnector) Driver() driver.Driver { return nil }

type load struct{ running, waiting int }

func (l load) Load() (int, int) { return l.running, l.waiting }

// everything returns metrics with every collector serve registers, and
// their management handler.
func everything(t *testing.T) (*Metrics, http.Handler) {
	t.Helper()
	m := NewMetrics()
	m.WatchHasher(load{2, 3})
	db := sql.OpenDB(noConnector{})
	t.Cleanup(func() { db.Close() })
	m.WatchStore(sqlStore{db})
	pool, err := pgxpool.New(context.Background(), "postgres://nobody@127.0.0.1:1/none?connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	m.WatchStore(pgxStore{pool})
	h := Management(m, Check{Name: "database", Run: func(context.Context) error { return nil }})
	return m, h
}

type sqlStore struct{ db *sql.DB }

func (s sqlStore) SQLPools() map[string]*sql.DB { return map[string]*sql.DB{"write": s.db} }

type pgxStore struct{ pool *pgxpool.Pool }

func (s pgxStore) PoolStat() *pgxpool.Stat { return s.pool.Stat() }

// names returns every metric name the registry exposes (a histogram's
// _bucket, _sum and _count included).
func names(t *testing.T, m *Metrics) map[string]bool {
	t.Helper()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, f := range fams {
		out[f.GetName()] = true
		if f.GetType() == dto.MetricType_HISTOGRAM {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				out[f.GetName()+s] = true
			}
		}
	}
	return out
}

// TestDeployFilesNameRealMetrics: every metric the sample Grafana
// dashboard and the Prometheus alert rules name exists in the registry,
// and the rules hold the alerts the README promises.
func TestDeployFilesNameRealMetrics(t *testing.T) {
	t.Parallel()
	m, _ := everything(t)
	m.ObserveHTTP(nil, "GET", 200, time.Millisecond) // the route vectors export series once used
	m.ObserveGraph(nil, "GET", 200, time.Millisecond)
	have := names(t, m)
	metricName := regexp.MustCompile(`\b(?:qrpin|go|process)_[a-z0-9_]+\b`)
	for _, file := range []string{"../deploy/grafana-dashboard.json", "../deploy/prometheus-alerts.yml"} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(file, ".json") {
			var v map[string]any
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
		}
		found := metricName.FindAllString(string(b), -1)
		if len(found) < 10 {
			t.Fatalf("%s names only %d metrics", file, len(found))
		}
		for _, n := range found {
			if !have[n] {
				t.Errorf("%s names %s, which qrpin does not export", file, n)
			}
		}
	}
	rules, _ := os.ReadFile("../deploy/prometheus-alerts.yml")
	for _, a := range []string{"QrpinHighSignInFailureRate", "QrpinHashQueueSaturated", "QrpinDatabaseUnavailable", "QrpinUpgradeUnfinished"} {
		if !strings.Contains(string(rules), "alert: "+a+"\n") {
			t.Errorf("the alert rules lack %s", a)
		}
	}
}

// TestMetricsOfARequest: a request's reported events move their counters
// once; label values outside the fixed sets count as "other".
func TestMetricsOfARequest(t *testing.T) {
	t.Parallel()
	m := NewMetrics()
	ctx, req := WithRequest(context.Background(), "rid-1")
	req.SetRoute("/{tenant}/signin/pin")
	SignIn(ctx, StagePIN, ResultInvalidPIN)
	Lockout(ctx, false)
	Lockout(ctx, true)
	m.ObserveHTTP(req, "POST", 429, time.Millisecond)

	ctx, req = WithRequest(context.Background(), "rid-2")
	TokenGrant(ctx, "password") // a grant qrpin knows nothing of
	TokenResult(ctx, "made up")
	m.ObserveHTTP(req, "BREW", 999, time.Millisecond)

	m.ObserveGraph(nil, "GET", 200, time.Millisecond) // no Request: unmatched
	for _, tc := range []struct {
		got  float64
		want float64
		what string
	}{
		{testutil.ToFloat64(m.signin[[2]string{StagePIN, ResultInvalidPIN}]), 1, "invalid_pin"},
		{testutil.ToFloat64(m.lockouts[0]), 1, "timed lockouts"},
		{testutil.ToFloat64(m.lockouts[1]), 1, "disabled lockouts"},
		{testutil.ToFloat64(m.http.WithLabelValues("/{tenant}/signin/pin", "POST", "429")), 1, "http 429"},
		{testutil.ToFloat64(m.token[[2]string{GrantOther, ResultOther}]), 1, "token other/other"},
		{testutil.ToFloat64(m.http.WithLabelValues("unmatched", "other", "other")), 1, "unknown method and status"},
		{testutil.ToFloat64(m.graph.WithLabelValues("unmatched", "GET", "200")), 1, "graph unmatched"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %v, want %v", tc.what, tc.got, tc.want)
		}
	}
}

// TestNilSafe: without a Request in the context, or without Metrics,
// every hook does nothing.
func TestNilSafe(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	SignIn(ctx, StageQR, ResultSuccess)
	TokenGrant(ctx, GrantClientCredentials)
	TokenResult(ctx, ResultSuccess)
	Lockout(ctx, true)
	From(ctx).SetRoute("/x")
	if RequestID(ctx) != "" {
		t.Fatal("a request id without a Request")
	}
	var m *Metrics
	m.ObserveHTTP(nil, "GET", 200, 0)
	m.ObserveGraph(nil, "GET", 200, 0)
	m.WatchHasher(load{})
	m.WatchStore(nil)
	LogRequest(nil, nil, "GET", 200, 0, "")
}

// TestAccess: the access middleware gives each request an id (header and
// context), names the route by the mux pattern, and writes one log line.
func TestAccess(t *testing.T) {
	t.Parallel()
	var logs strings.Builder
	m := NewMetrics()
	mux := http.NewServeMux()
	var seen string
	mux.HandleFunc("GET /{tenant}/things/{id}", func(w http.ResponseWriter, r *http.Request) {
		seen = RequestID(r.Context())
		w.WriteHeader(http.StatusTeapot)
	})
	srv := httptest.NewServer((&Access{Log: newTextLog(&logs), Metrics: m}).Handler(mux))
	defer srv.Close()
	res, err := http.Get(srv.URL + "/contoso/things/secret-id-42")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if rid := res.Header.Get("request-id"); rid == "" || rid != seen {
		t.Fatalf("request-id header %q, handler saw %q", rid, seen)
	}
	line := logs.String()
	for _, want := range []string{"msg=request", "method=GET", "route=/{tenant}/things/{id}", "status=418", "request-id=" + seen, "client=127.0.0.1"} {
		if !strings.Contains(line, want) {
			t.Errorf("log line lacks %q: %s", want, line)
		}
	}
	if strings.Contains(line, "secret-id-42") || strings.Contains(line, "contoso") {
		t.Errorf("log line holds the raw path: %s", line)
	}
	if n := testutil.ToFloat64(m.http.WithLabelValues("/{tenant}/things/{id}", "GET", "418")); n != 1 {
		t.Errorf("counter %v, want 1", n)
	}
}

// TestManagement: /metrics exposes the registry, /readyz names the failed
// checks with 503.
func TestManagement(t *testing.T) {
	t.Parallel()
	_, mh := everything(t)
	var fail atomic.Bool
	clock := fakeclock.New(time.Now())
	h := management(NewMetrics(), clock.Now, []Check{{Name: "database", Run: func(context.Context) error {
		if fail.Load() {
			return errors.New("down")
		}
		return nil
	}}})
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, tc := range []struct {
		fail   bool
		status int
		body   string
	}{{true, 503, "database: down\n"}, {false, 200, "ok\n"}} {
		fail.Store(tc.fail)
		clock.Advance(ReadyCacheTTL) // the last result is stale
		res, err := http.Get(srv.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.status || string(b) != tc.body {
			t.Errorf("/readyz: %d %q, want %d %q", res.StatusCode, b, tc.status, tc.body)
		}
	}
	msrv := httptest.NewServer(mh)
	defer msrv.Close()
	res, err := http.Get(msrv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{"qrpin_pin_hashes_in_flight 2", "qrpin_pin_hashes_waiting 3", `go_sql_max_open_connections{db_name="write"}`, "qrpin_db_pool_max_connections", "qrpin_build_info{"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestReadyCache: probes and scrapes at once make one run of the checks
// (those arriving while it runs wait for it), and so do those within
// ReadyCacheTTL after it, which get its result; the next one after that
// runs the checks again.
func TestReadyCache(t *testing.T) {
	t.Parallel()
	clock := fakeclock.New(time.Now())
	var runs, entered atomic.Int64
	release := make(chan struct{})
	const n = 16
	h := management(NewMetrics(), clock.Now, []Check{{Name: "database", Run: func(context.Context) error {
		runs.Add(1)
		<-release
		return errors.New("down")
	}}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if entered.Add(1) == n {
			close(release) // every probe is in: the run may finish
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	get := func(path string) (int, string) {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Error(err)
			return 0, ""
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			path := "/readyz"
			if i%4 == 0 {
				path = "/metrics"
			}
			if st, body := get(path); path == "/readyz" && (st != 503 || body != "database: down\n") {
				t.Errorf("/readyz: %d %q", st, body)
			}
		})
	}
	wg.Wait()
	if got := runs.Load(); got != 1 {
		t.Fatalf("%d probes and scrapes at once ran the checks %d times, want 1", n, got)
	}
	clock.Advance(ReadyCacheTTL - time.Millisecond)
	if st, _ := get("/readyz"); st != 503 || runs.Load() != 1 {
		t.Fatalf("a probe within ReadyCacheTTL: %d, %d runs; want 503 from the last run", st, runs.Load())
	}
	if _, body := get("/metrics"); runs.Load() != 1 || !strings.Contains(body, "\nqrpin_readiness_check_failures_total{check=\"database\"} 1\n") {
		t.Errorf("a scrape within ReadyCacheTTL: %d runs, want 1; /metrics:\n%s", runs.Load(), body)
	}
	clock.Advance(time.Millisecond)
	if st, _ := get("/readyz"); st != 503 || runs.Load() != 2 {
		t.Fatalf("a probe ReadyCacheTTL after the run: %d, %d runs; want a second run", st, runs.Load())
	}
}

func newTextLog(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

// TestLogRequestLine pins the request log line, field by field and in
// order: the fixed fields, the caller's attributes, then a sign-in step's
// stage and result or a token request's grant and result (values outside
// the fixed sets as "other").
func TestLogRequestLine(t *testing.T) {
	t.Parallel()
	noTime := &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(groups) == 0 {
			return slog.Attr{}
		}
		return a
	}}
	for _, tc := range []struct {
		name string
		req  *Request
		want string
	}{
		{"graph", &Request{ID: "rid-1", Route: "/{version}/users/{user}"},
			`level=INFO msg=request method=GET route=/{version}/users/{user} status=404 duration=1.235ms request-id=rid-1 client=192.0.2.1 client-request-id=crid-1 batch-id=7`},
		{"unmatched", nil,
			`level=INFO msg=request method=other route=unmatched status=404 duration=1.235ms request-id="" client=192.0.2.1 client-request-id=crid-1 batch-id=7`},
		{"signin", &Request{ID: "rid-2", Route: "/{tenant}/signin/pin", stage: StagePIN, signinResult: "made-up"},
			`level=INFO msg=request method=GET route=/{tenant}/signin/pin status=404 duration=1.235ms request-id=rid-2 client=192.0.2.1 client-request-id=crid-1 batch-id=7 stage=pin result=other`},
		{"token", &Request{ID: "rid-3", Route: "/{tenant}/oauth2/v2.0/token", grant: GrantClientCredentials, tokenResult: "invalid_client"},
			`level=INFO msg=request method=GET route=/{tenant}/oauth2/v2.0/token status=404 duration=1.235ms request-id=rid-3 client=192.0.2.1 client-request-id=crid-1 batch-id=7 grant=client_credentials result=invalid_client`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var b strings.Builder
			method := "GET"
			if tc.req == nil {
				method = "BREW"
			}
			LogRequest(slog.New(slog.NewTextHandler(&b, noTime)), tc.req, method, 404, 1234567*time.Nanosecond, "192.0.2.1",
				slog.String("client-request-id", "crid-1"), slog.Int("batch-id", 7))
			if got := strings.TrimSuffix(b.String(), "\n"); got != tc.want {
				t.Errorf("line\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// TestLogRequestQuiet: a logger that does not write Info lines gets
// nothing from LogRequest, and the call allocates nothing. (Not parallel:
// AllocsPerRun counts the whole process's allocations.)
func TestLogRequestQuiet(t *testing.T) {
	var b strings.Builder
	quiet := slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{Level: slog.LevelWarn}))
	req := &Request{ID: "rid", Route: "/x"}
	if n := testing.AllocsPerRun(10, func() {
		LogRequest(quiet, req, "GET", 200, time.Millisecond, "192.0.2.1", slog.String("client-request-id", "c"))
	}); n != 0 || b.Len() != 0 {
		t.Errorf("a Warn logger: %v allocations, wrote %q", n, b.String())
	}
}
