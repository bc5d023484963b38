package telemetry

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/qrpin/qrpin/internal/clientaddr"
)

// Access instruments the identity endpoints (everything on the public
// listener but the Graph API, which does the same for itself): each
// request gets an id (its request-id header, and the Request its handlers
// read it from) and, when it ends, one log line and its metrics. The route
// is the ServeMux pattern that served it.
type Access struct {
	Log     *slog.Logger // nil: no log lines
	Metrics *Metrics     // nil: no metrics
}

// Handler wraps next, a *http.ServeMux or a handler that passes the
// request it gets to one.
func (a *Access) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ctx, req := WithRequest(r.Context(), uuid.NewString())
		w.Header().Set("request-id", req.ID)
		sw := &StatusWriter{ResponseWriter: w}
		r = r.WithContext(ctx)
		next.ServeHTTP(sw, r)
		// ServeMux sets the pattern on the request it was given.
		if r.Pattern != "" && req.Route == "" {
			_, path, found := strings.Cut(r.Pattern, " ")
			if !found {
				path = r.Pattern
			}
			req.Route = path
		}
		d := time.Since(start)
		a.Metrics.ObserveHTTP(req, r.Method, sw.Status(), d)
		LogRequest(a.Log, req, r.Method, sw.Status(), d, clientaddr.Of(r))
	})
}

// StatusWriter remembers the status a handler wrote, for the log line and
// the metrics.
type StatusWriter struct {
	http.ResponseWriter
	status int
}

// WriteHeader records code and sends it.
func (w *StatusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write sends b; a write before WriteHeader is a 200.
func (w *StatusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Status returns the status written: 200 when the handler wrote nothing.
func (w *StatusWriter) Status() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (w *StatusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
