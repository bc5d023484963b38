// Package graph serves qrpin's Microsoft Graph-compatible management API
// (spec/graph-qrpin.md): routing under /v1.0 and /beta, bearer
// authentication, OData JSON shapes and the OData error envelope. Handlers
// are thin: decode, call one admin.Service function, encode.
package graph

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/httprate"
	"github.com/google/uuid"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/internal/clientaddr"
	"github.com/qrpin/qrpin/telemetry"
)

// DefaultMaxBody is the largest request body accepted, in bytes.
const DefaultMaxBody = 64 << 10

// Server is the Graph API HTTP handler.
type Server struct {
	Admin  Management
	Tokens *auth.Tokens
	Log    *slog.Logger
	// PublicURL is the server's base URL as clients see it (for
	// @odata.context and nextLink); when empty it is taken from the request.
	PublicURL string
	// MaxBody limits request bodies (DefaultMaxBody when 0).
	MaxBody int64
	// Now is the clock for error dates (time.Now when nil).
	Now func() time.Time
	// RateLimit is how many requests one client address may make per
	// RateWindow before it gets 429 (0: no limit).
	RateLimit int
	// External, when set, verifies the tokens of trusted external issuers
	// (chosen by the token's iss); Tokens verifies every other token.
	External *auth.External
	// Metrics, when set, counts the requests by route template, method
	// and status, with their durations.
	Metrics *telemetry.Metrics

	routes  router
	limiter *httprate.RateLimiter
}

// RateWindow is the window RateLimit counts requests in.
const RateWindow = 10 * time.Second

// handlerFunc handles one route: it returns the status and the body to
// encode (nil for none), or an error for the envelope.
type handlerFunc func(c *call) (int, any, error)

// call is one request on its way through a handler.
type call struct {
	r       *http.Request
	p       auth.Principal
	version string // "v1.0" or "beta", as the client wrote it
	vars    map[string]string
	base    string // scheme://host of the service
	maxBody int64
	header  http.Header // the response's headers, for a handler to add to
}

// Handler returns the HTTP handler serving /v1.0 and /beta.
func (s *Server) Handler() http.Handler {
	s.routes = router{}
	s.register()
	if s.RateLimit > 0 {
		s.limiter = httprate.NewRateLimiter(s.RateLimit, RateWindow)
	}
	return http.HandlerFunc(s.serve)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.answer(w, r, r.Header.Get("client-request-id"), nil)
}

// answer answers one request, sent alone or inside a JSON batch: its
// request-id and client-request-id (crid, when the client sent a usable
// one), the headers every answer carries, the rate limit, routing,
// authentication and the handler, or the error refused when the request is
// refused before it runs (a batch's malformed or failed-dependency
// request); and one log line, with logAttrs added.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, crid string, refused error, logAttrs ...slog.Attr) {
	start := time.Now()
	rid := uuid.NewString()
	if crid == "" || len(crid) > 100 || strings.ContainsFunc(crid, func(r rune) bool { return r < ' ' || r > '~' }) {
		crid = rid
	}
	ctx, req := telemetry.WithRequest(r.Context(), rid)
	r = r.WithContext(context.WithValue(ctx, requestIDsKey{}, requestIDs{rid, crid}))
	// Answers carry one-time secrets (PINs, badge images, client secrets)
	// and directory data for one caller: no cache may keep any of them.
	// Entra sends no-cache; no-store is stricter, and Pragma is for
	// HTTP/1.0 caches. The headers every answer carries share one array
	// (each value a slice of capacity 1, so that an Add cannot overwrite
	// its neighbour), under their canonical names.
	v := []string{rid, crid, "no-store", "no-cache"}
	h := w.Header()
	h["Request-Id"], h["Client-Request-Id"], h["Cache-Control"], h["Pragma"] = v[0:1:1], v[1:2:2], v[2:3:3], v[3:4:4]
	rw := &telemetry.StatusWriter{ResponseWriter: w}
	defer func() {
		if v := recover(); v != nil {
			s.log().Error("panic", "request-id", rid, "panic", fmt.Sprint(v))
			s.writeError(rw, rid, crid, fmt.Errorf("panic: %v", v))
		}
		d := time.Since(start)
		s.Metrics.ObserveGraph(req, r.Method, rw.Status(), d)
		var la [3]slog.Attr // the client-request-id and a batch's two, without allocating
		telemetry.LogRequest(s.log(), req, r.Method, rw.Status(), d, clientaddr.Of(r), append(append(la[:0], slog.String("client-request-id", crid)), logAttrs...)...)
	}()
	if refused != nil {
		s.writeError(rw, rid, crid, refused)
		return
	}
	if s.limiter != nil {
		if s.limiter.OnLimit(rw, r, clientaddr.Bucket(clientaddr.Of(r))) {
			e := apperr.New(apperr.Throttled, "TooManyRequests", "Please retry again later.")
			e.RetryAfter = RateWindow
			s.writeError(rw, rid, crid, e)
			return
		}
	}
	status, body, err := s.dispatch(r, rw.Header())
	if err != nil {
		s.writeError(rw, rid, crid, err)
		return
	}
	writeJSON(rw, status, body)
}

// requestIDs are a request's request-id and client-request-id, kept in its
// context (a batch names its own in the log lines of its requests).
type requestIDs struct{ rid, crid string }

type requestIDsKey struct{}

// dispatch routes the request, authenticates the caller and runs the handler.
func (s *Server) dispatch(r *http.Request, header http.Header) (int, any, error) {
	segs, ok := splitPath(r)
	if !ok || len(segs) < 2 {
		return 0, nil, errNoRoute(r)
	}
	version := segs[0]
	if !strings.EqualFold(version, "v1.0") && !strings.EqualFold(version, "beta") {
		return 0, nil, errNoRoute(r)
	}
	rt, vars, allowed := s.routes.match(r.Method, segs[1:])
	if rt == nil {
		if len(allowed) > 0 {
			e := apperr.New(apperr.Invalid, "Request_BadRequest", "The HTTP method '%s' is not allowed on this resource; it allows %s.", r.Method, strings.Join(allowed, ", "))
			return 0, nil, &methodNotAllowed{e, allowed}
		}
		return 0, nil, errNoRoute(r)
	}
	telemetry.From(r.Context()).SetRoute(rt.template)
	p, err := s.authenticate(r)
	if err != nil {
		return 0, nil, err
	}
	r = r.WithContext(admin.WithClientAddress(r.Context(), clientaddr.Of(r)))
	c := &call{r: r, p: p, version: strings.ToLower(version), vars: vars, base: s.base(r), maxBody: s.MaxBody, header: header}
	if c.maxBody == 0 {
		c.maxBody = DefaultMaxBody
	}
	status, body, err := rt.handle(c)
	if err != nil {
		return 0, nil, err
	}
	body, err = s.queryOptions(c, segs[1:], body)
	return status, body, err
}

func errNoRoute(r *http.Request) error {
	return apperr.New(apperr.Invalid, "BadRequest", "Resource not found for the segment '%s'.", firstUnknown(r.URL.Path))
}

func firstUnknown(path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	return segs[len(segs)-1]
}

// methodNotAllowed is a 405 with its Allow header.
type methodNotAllowed struct {
	err     *apperr.Error
	allowed []string
}

func (m *methodNotAllowed) Error() string { return m.err.Error() }

func (s *Server) authenticate(r *http.Request) (auth.Principal, error) {
	h := r.Header.Get("Authorization")
	scheme, token, _ := strings.Cut(h, " ")
	if h == "" {
		return auth.Principal{}, apperr.New(apperr.Unauthenticated, "InvalidAuthenticationToken", "Access token is empty.")
	}
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return auth.Principal{}, apperr.New(apperr.Unauthenticated, "InvalidAuthenticationToken",
			"The Authorization header must be 'Bearer' followed by an access token.")
	}
	if p, ok, err := s.authenticateExternal(r, strings.TrimSpace(token)); ok {
		return p, err
	}
	p, err := s.Tokens.Verify(strings.TrimSpace(token))
	if err != nil {
		return p, err
	}
	return s.Admin.Authenticate(r.Context(), p)
}

func (s *Server) base(r *http.Request) string {
	if s.PublicURL != "" {
		return strings.TrimSuffix(s.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// userRef returns the user the request's path names.
func (c *call) userRef() admin.UserRef {
	return admin.UserRef{Me: c.vars["me"] != "", Key: c.vars["user"]}
}

// context returns an @odata.context URL for the given metadata fragment.
func (c *call) context(fragment string, args ...any) string {
	return c.base + "/" + c.version + "/$metadata#" + fmt.Sprintf(fragment, args...)
}
