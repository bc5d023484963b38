package telemetry

import (
	"database/sql"
	"runtime"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are qrpin's Prometheus metrics, in a registry of their own
// (never the global one), with the Go runtime and process collectors and
// qrpin_build_info. A nil *Metrics records nothing.
type Metrics struct {
	reg *prometheus.Registry

	signin    map[[2]string]prometheus.Counter // by stage and result
	signinDur map[string]prometheus.Observer   // by stage
	token     map[[2]string]prometheus.Counter // by grant and result
	lockouts  [2]prometheus.Counter            // timed, disabled
	graph     *prometheus.CounterVec           // route, method, code
	graphDur  *prometheus.HistogramVec         // route, method
	http      *prometheus.CounterVec           // route, method, code
	httpDur   *prometheus.HistogramVec         // route, method
	statuses  [600]string                      // status codes as label values
}

// Version is qrpin's version as qrpin_build_info reports it: the main
// module's version from the build information ("(devel)" in a source
// build).
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// revision is the VCS revision the binary was built from, "" when unknown.
func revision() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			return s.Value
		}
	}
	return ""
}

// durationBuckets are the histograms' buckets, in seconds: a sign-in step
// with its Argon2id hash takes tens of milliseconds when the hasher is
// free, seconds when many wait for it.
var durationBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// NewMetrics returns qrpin's metrics in a new registry.
func NewMetrics() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "qrpin_build_info", Help: "Always 1; the labels name the qrpin build.",
		ConstLabels: prometheus.Labels{"version": Version(), "revision": revision(), "goversion": runtime.Version()},
	})
	build.Set(1)
	signin := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "qrpin_signin_attempts_total", Help: "Sign-in steps answered, by stage (qr, pin, new_pin) and result.",
	}, []string{"stage", "result"})
	signinDur := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "qrpin_signin_duration_seconds", Help: "Time to answer a sign-in step, by stage.", Buckets: durationBuckets,
	}, []string{"stage"})
	token := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "qrpin_token_requests_total", Help: "Token endpoint requests, by grant and result (success or the OAuth error code).",
	}, []string{"grant", "result"})
	lockouts := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "qrpin_pin_lockouts_total", Help: "Wrong PINs that locked a PIN, by kind: timed (locked for a while) or disabled (until an administrator resets it).",
	}, []string{"kind"})
	m.graph = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "qrpin_graph_requests_total", Help: "Graph API requests (batch members included), by route template, method and status code.",
	}, []string{"route", "method", "code"})
	m.graphDur = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "qrpin_graph_request_duration_seconds", Help: "Time to answer a Graph API request, by route template and method.", Buckets: durationBuckets,
	}, []string{"route", "method"})
	m.http = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "qrpin_http_requests_total", Help: "Requests to the identity endpoints (sign-in, OpenID provider, token, discovery), by route template, method and status code.",
	}, []string{"route", "method", "code"})
	m.httpDur = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "qrpin_http_request_duration_seconds", Help: "Time to answer a request to the identity endpoints, by route template and method.", Buckets: durationBuckets,
	}, []string{"route", "method"})
	m.reg.MustRegister(build, signin, signinDur, token, lockouts, m.graph, m.graphDur, m.http, m.httpDur)

	// Every label value of the fixed sets is resolved once: a request
	// looks its counter up, and each series is exported from the start
	// (at 0), so rate() sees the first event.
	m.signin = map[[2]string]prometheus.Counter{}
	m.signinDur = map[string]prometheus.Observer{}
	for _, s := range stages {
		m.signinDur[s] = signinDur.WithLabelValues(s)
		for _, r := range signinResults {
			m.signin[[2]string{s, r}] = signin.WithLabelValues(s, r)
		}
	}
	m.token = map[[2]string]prometheus.Counter{}
	for _, g := range grants {
		for _, r := range tokenResults {
			m.token[[2]string{g, r}] = token.WithLabelValues(g, r)
		}
	}
	m.lockouts = [2]prometheus.Counter{lockouts.WithLabelValues("timed"), lockouts.WithLabelValues("disabled")}
	for i := range m.statuses {
		m.statuses[i] = strconv.Itoa(i)
	}
	return m
}

// Registry returns the registry the metrics are in.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// code returns status as a label value.
func (m *Metrics) code(status int) string {
	if status < 0 || status >= len(m.statuses) {
		return ResultOther
	}
	return m.statuses[status]
}

// ObserveHTTP records a finished request to the identity endpoints (req
// may be nil): its route, method, status and duration, and what its
// handlers reported through SignIn, Token and Lockout.
func (m *Metrics) ObserveHTTP(req *Request, method string, status int, d time.Duration) {
	if m == nil {
		return
	}
	route := routeOf(req)
	method = Method(method)
	m.http.WithLabelValues(route, method, m.code(status)).Inc()
	m.httpDur.WithLabelValues(route, method).Observe(d.Seconds())
	m.events(req, d)
}

// ObserveGraph records a finished Graph API request (req may be nil), as
// ObserveHTTP does for the identity endpoints.
func (m *Metrics) ObserveGraph(req *Request, method string, status int, d time.Duration) {
	if m == nil {
		return
	}
	route := routeOf(req)
	method = Method(method)
	m.graph.WithLabelValues(route, method, m.code(status)).Inc()
	m.graphDur.WithLabelValues(route, method).Observe(d.Seconds())
	m.events(req, d)
}

// events records what a request's handlers reported.
func (m *Metrics) events(req *Request, d time.Duration) {
	if req == nil {
		return
	}
	if req.stage != "" {
		stage := oneOf(req.stage, stages)
		if stage == ResultOther {
			stage = StageQR // not reached: the stages are the package's constants
		}
		m.signin[[2]string{stage, oneOf(req.signinResult, signinResults)}].Inc()
		m.signinDur[stage].Observe(d.Seconds())
	}
	if req.grant != "" {
		m.token[[2]string{oneOf(req.grant, grants), oneOf(req.tokenResult, tokenResults)}].Inc()
	}
	m.lockouts[0].Add(float64(req.lockouts[0]))
	m.lockouts[1].Add(float64(req.lockouts[1]))
}

func routeOf(req *Request) string {
	if req == nil || req.Route == "" {
		return "unmatched"
	}
	return req.Route
}

// HashLoad is what the PIN hasher tells about its work (*pin.Hasher).
type HashLoad interface {
	// Load returns how many Argon2id computations run and how many wait
	// for a turn.
	Load() (running, waiting int)
}

// WatchHasher exports h's load as qrpin_pin_hashes_in_flight and
// qrpin_pin_hashes_waiting, read at each scrape.
func (m *Metrics) WatchHasher(h HashLoad) {
	if m == nil {
		return
	}
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "qrpin_pin_hashes_in_flight", Help: "Argon2id PIN hashes computing now.",
		}, func() float64 { n, _ := h.Load(); return float64(n) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "qrpin_pin_hashes_waiting", Help: "Argon2id PIN hashes waiting for a turn (all turns busy: sign-ins queue).",
		}, func() float64 { _, n := h.Load(); return float64(n) }),
	)
}

// SQLPools is a store on database/sql pools (the SQLite store).
type SQLPools interface {
	// SQLPools returns the store's pools by name.
	SQLPools() map[string]*sql.DB
}

// PgxPool is a store on a pgx pool (the PostgreSQL store).
type PgxPool interface {
	// PoolStat returns the pool's statistics.
	PoolStat() *pgxpool.Stat
}

// WatchStore exports the connection pool statistics of st when it has
// pools to tell about (SQLPools: the go_sql_* metrics of Prometheus'
// DBStats collector, by db_name; PgxPool: qrpin_db_pool_*).
func (m *Metrics) WatchStore(st any) {
	if m == nil {
		return
	}
	if p, ok := st.(SQLPools); ok {
		for name, db := range p.SQLPools() {
			m.reg.MustRegister(collectors.NewDBStatsCollector(db, name))
		}
	}
	if p, ok := st.(PgxPool); ok {
		m.reg.MustRegister(newPgxCollector(p))
	}
}

// MustRegister registers more collectors in the metrics' registry.
func (m *Metrics) MustRegister(cs ...prometheus.Collector) {
	if m != nil {
		m.reg.MustRegister(cs...)
	}
}
