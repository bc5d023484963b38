package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/singleflight"
)

// Check is one readiness check: nil when ready, else why not (the reason
// is shown on /readyz: it must hold no secret).
type Check struct {
	Name string
	Run  func(ctx context.Context) error
}

// Warning is what a check returns when something is worth an operator's
// attention but the server can serve: /readyz still answers 200 (after
// "ok", a line "name: warning: ..."), and qrpin_readiness_warnings{check}
// is 1 while it lasts. Like a failure's reason it must hold no secret.
type Warning string

// Error returns the warning's text.
func (w Warning) Error() string { return string(w) }

// CheckTimeout bounds each readiness check.
const CheckTimeout = 3 * time.Second

// ReadyCacheTTL is how long the checks' result answers /readyz and
// /metrics after the checks finish: probes and scrapes in that time (from
// any number of load balancers and Prometheus servers) reuse it, and
// probes arriving while the checks run wait for that one run, so the
// database sees at most one check query a second however often it is
// asked.
const ReadyCacheTTL = time.Second

// Management is the management listener's handler: /metrics (the
// Prometheus text format), /livez (200 while the process serves) and
// /readyz (200 when every check passes, else 503 naming the failures). It
// is never served on the public listener. The checks run at most once per
// ReadyCacheTTL (see there).
func Management(m *Metrics, checks ...Check) http.Handler {
	return management(m, time.Now, checks)
}

// readyResult is one run of the checks: the failed checks' lines and the
// warnings' lines.
type readyResult struct{ failed, warned []string }

// readyCache runs the checks once for every caller at a time, and keeps
// the result for ReadyCacheTTL.
type readyCache struct {
	run   func(context.Context) readyResult
	now   func() time.Time
	group singleflight.Group

	mu   sync.Mutex
	last readyResult
	at   time.Time // when last was computed; zero: never
}

// result returns the checks' result: the cached one while it is fresh, else
// that of a run (the one already under way, if any). The run is not
// canceled with the caller that began it (each check has CheckTimeout).
func (c *readyCache) result(ctx context.Context) readyResult {
	c.mu.Lock()
	if !c.at.IsZero() && c.now().Sub(c.at) < ReadyCacheTTL {
		defer c.mu.Unlock()
		return c.last
	}
	c.mu.Unlock()
	v, _, _ := c.group.Do("", func() (any, error) {
		res := c.run(context.WithoutCancel(ctx))
		c.mu.Lock()
		c.last, c.at = res, c.now()
		c.mu.Unlock()
		return res, nil
	})
	return v.(readyResult)
}

// management is Management with a clock (the cache's).
func management(m *Metrics, now func() time.Time, checks []Check) http.Handler {
	mux := http.NewServeMux()
	up := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "qrpin_ready", Help: "1 when the last readiness check (run by /readyz or a scrape, at most once a second) passed, else 0.",
	})
	var failures *prometheus.CounterVec
	var warnings *prometheus.GaugeVec
	if m != nil {
		failures = prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qrpin_readiness_check_failures_total", Help: "Readiness checks that failed, by check (database: it answers at the expected schema version; signing_keys).",
		}, []string{"check"})
		warnings = prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "qrpin_readiness_warnings", Help: "1 when the last readiness check of this check passed with a warning (database: the schema is newer than this build's), else 0.",
		}, []string{"check"})
		for _, c := range checks {
			failures.WithLabelValues(c.Name)
			warnings.WithLabelValues(c.Name)
		}
		m.MustRegister(up, failures, warnings)
	}
	run := func(ctx context.Context) readyResult {
		var failed, warned []string
		for _, c := range checks {
			cctx, cancel := context.WithTimeout(ctx, CheckTimeout)
			err := c.Run(cctx)
			cancel()
			var w Warning
			isWarning := errors.As(err, &w)
			if warnings != nil {
				v := 0.0
				if isWarning {
					v = 1
				}
				warnings.WithLabelValues(c.Name).Set(v)
			}
			switch {
			case isWarning:
				warned = append(warned, c.Name+": warning: "+err.Error())
			case err != nil:
				failed = append(failed, c.Name+": "+err.Error())
				if failures != nil {
					failures.WithLabelValues(c.Name).Inc()
				}
			}
		}
		if len(failed) == 0 {
			up.Set(1)
		} else {
			up.Set(0)
		}
		return readyResult{failed, warned}
	}
	ready := &readyCache{run: run, now: now}
	if m != nil {
		metrics := promhttp.HandlerFor(m.Registry(), promhttp.HandlerOpts{Registry: m.Registry()})
		mux.Handle("GET /metrics", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ready.result(r.Context()) // qrpin_ready is at most ReadyCacheTTL old in every scrape
			metrics.ServeHTTP(w, r)
		}))
	}
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		res := ready.result(r.Context())
		if len(res.failed) > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
		} else {
			fmt.Fprintln(w, "ok")
		}
		for _, lines := range [][]string{res.failed, res.warned} { // shared with other probes: not appended to
			for _, line := range lines {
				fmt.Fprintln(w, line)
			}
		}
	})
	return mux
}
