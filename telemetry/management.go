package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
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

func (w Warning) Error() string { return string(w) }

// CheckTimeout bounds each readiness check.
const CheckTimeout = 3 * time.Second

// Management is the management listener's handler: /metrics (the
// Prometheus text format), /livez (200 while the process serves) and
// /readyz (200 when every check passes, else 503 naming the failures). It
// is never served on the public listener.
func Management(m *Metrics, checks ...Check) http.Handler {
	mux := http.NewServeMux()
	up := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "qrpin_ready", Help: "1 when the last readiness check (/readyz, or this scrape) passed, else 0.",
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
	// run returns the failed checks' lines and the warnings' lines.
	run := func(ctx context.Context) (failed, warned []string) {
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
		return failed, warned
	}
	if m != nil {
		metrics := promhttp.HandlerFor(m.Registry(), promhttp.HandlerOpts{Registry: m.Registry()})
		mux.Handle("GET /metrics", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			run(r.Context()) // qrpin_ready is current in every scrape
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
		failed, warned := run(r.Context())
		if len(failed) > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
		} else {
			fmt.Fprintln(w, "ok")
		}
		for _, line := range append(failed, warned...) {
			fmt.Fprintln(w, line)
		}
	})
	return mux
}
