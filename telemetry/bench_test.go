package telemetry

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's CPU time so far, user and system, every thread
// (the collector's included).
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loop runs b.Loop over f and reports the CPU time per op (cpu-ns/op),
// which, unlike ns/op, a loaded machine does not inflate with waiting.
func loop(b *testing.B, f func()) {
	b.ReportAllocs()
	start := cpuTime(b)
	n := 0
	for b.Loop() {
		f()
		n++
	}
	b.ReportMetric(float64(cpuTime(b)-start)/float64(n), "cpu-ns/op")
}

// BenchmarkObserve is what a finished request costs the metrics: a
// Graph request (route, method, status, duration), and a sign-in step's
// request with its stage and result.
func BenchmarkObserve(b *testing.B) {
	m := NewMetrics()
	b.Run("graph", func(b *testing.B) {
		req := &Request{ID: "x", Route: "/{version}/users/{user}/authentication/qrCodePinMethod"}
		loop(b, func() { m.ObserveGraph(req, "GET", 200, time.Millisecond) })
	})
	b.Run("signin", func(b *testing.B) {
		req := &Request{ID: "x", Route: "/{tenant}/signin/pin", stage: StagePIN, signinResult: ResultInvalidPIN}
		loop(b, func() { m.ObserveHTTP(req, "POST", 400, time.Millisecond) })
	})
}

// BenchmarkAccess compares a ServeMux answering a trivial route bare and
// behind Access (request id, status recorder, metrics, a log line to a
// discarding JSON handler), side by side in one run.
func BenchmarkAccess(b *testing.B) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{tenant}/signin/pin", func(w http.ResponseWriter, r *http.Request) {
		SignIn(r.Context(), StagePIN, ResultSuccess)
		w.WriteHeader(http.StatusOK)
	})
	instrumented := (&Access{Log: slog.New(slog.NewJSONHandler(io.Discard, nil)), Metrics: NewMetrics()}).Handler(mux)
	for _, tc := range []struct {
		name string
		h    http.Handler
	}{{"bare", mux}, {"instrumented", instrumented}} {
		b.Run(tc.name, func(b *testing.B) {
			r := httptest.NewRequest("POST", "/contoso/signin/pin", nil).WithContext(context.Background())
			loop(b, func() { tc.h.ServeHTTP(httptest.NewRecorder(), r) })
		})
	}
}
