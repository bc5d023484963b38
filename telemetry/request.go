// Package telemetry is qrpin's instrumentation: Prometheus metrics (its own
// registry), the per-request record that request logs and metrics are made
// from, and the management listener's endpoints (/metrics, /livez, /readyz).
//
// Packages that handle requests report events through the request's
// context with one call per event site (SignIn, TokenGrant and
// TokenResult, Lockout, Request.SetRoute): the call does nothing when the
// context carries no Request, so tests and other callers need no setup.
// The edge that started the Request (Access for the
// identity endpoints, graph for its API) writes the one log line and records
// the metrics when the request ends. No label value is taken from user
// input: every value is checked against a fixed set, or comes from the
// server's own routes.
package telemetry

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// Request is what one request's handlers tell its log line and metrics.
// Its methods are safe on a nil *Request (they do nothing). A Request
// belongs to one request and is not safe for concurrent use.
type Request struct {
	// ID is the request's id: its request-id header, the innerError of
	// its error bodies and its log line.
	ID string
	// Route is the template of the route that served the request (set
	// by the router), "" when none matched.
	Route string

	stage, signinResult string
	grant, tokenResult  string
	lockouts            [2]int // timed, disabled
}

type requestKey struct{}

// WithRequest returns ctx carrying a new Request with the given id.
func WithRequest(ctx context.Context, id string) (context.Context, *Request) {
	req := &Request{ID: id}
	return context.WithValue(ctx, requestKey{}, req), req
}

// From returns the Request ctx carries, or nil.
func From(ctx context.Context) *Request {
	req, _ := ctx.Value(requestKey{}).(*Request)
	return req
}

// RequestID returns the id of the Request ctx carries, "" when none.
func RequestID(ctx context.Context) string {
	if req := From(ctx); req != nil {
		return req.ID
	}
	return ""
}

// SetRoute records the template of the route serving the request.
func (r *Request) SetRoute(route string) {
	if r != nil {
		r.Route = route
	}
}

// Sign-in stages (the label stage of qrpin_signin_attempts_total).
const (
	StageQR     = "qr"
	StagePIN    = "pin"
	StageNewPIN = "new_pin"
)

// Sign-in results (the label result of qrpin_signin_attempts_total).
const (
	ResultSuccess            = "success"
	ResultIncorrectQR        = "incorrect_qr"
	ResultInvalidPIN         = "invalid_pin"
	ResultLocked             = "locked"
	ResultDisabled           = "disabled"
	ResultInvalidTransaction = "invalid_transaction"
	ResultPINRule            = "pin_rule"
	ResultThrottled          = "throttled"
	ResultInvalidRequest     = "invalid_request"
	ResultUnavailable        = "unavailable"
	ResultError              = "error"
	// ResultOther is what any value outside the fixed sets is counted as.
	ResultOther = "other"
)

var (
	stages        = []string{StageQR, StagePIN, StageNewPIN}
	signinResults = []string{ResultSuccess, ResultIncorrectQR, ResultInvalidPIN, ResultLocked, ResultDisabled,
		ResultInvalidTransaction, ResultPINRule, ResultThrottled, ResultInvalidRequest, ResultUnavailable, ResultError, ResultOther}
)

// SignIn records that the request was the sign-in step stage with result
// (one of the Stage and Result constants; any other value counts as
// "other").
func SignIn(ctx context.Context, stage, result string) {
	if r := From(ctx); r != nil {
		r.stage, r.signinResult = stage, result
	}
}

// Token grants (the label grant of qrpin_token_requests_total).
const (
	GrantClientCredentials = "client_credentials"
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantDeviceCode        = "device_code"
	GrantOther             = "other" // missing or unsupported
)

var (
	grants = []string{GrantClientCredentials, GrantAuthorizationCode, GrantRefreshToken, GrantDeviceCode, GrantOther}
	// tokenResults are success and OAuth 2.0's error codes (RFC 6749,
	// 8628), the ones qrpin's token endpoints answer.
	tokenResults = []string{ResultSuccess, "invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
		"unsupported_grant_type", "invalid_scope", "authorization_pending", "slow_down", "expired_token", "access_denied",
		"temporarily_unavailable", "server_error", ResultOther}
)

// TokenGrant records that the request was a token request of grant (a
// Grant constant).
func TokenGrant(ctx context.Context, grant string) {
	if r := From(ctx); r != nil {
		r.grant = grant
	}
}

// TokenResult records a token request's result: "success" or the OAuth
// error code answered. It counts once TokenGrant named the grant.
func TokenResult(ctx context.Context, result string) {
	if r := From(ctx); r != nil {
		r.tokenResult = result
	}
}

// Lockout records that a wrong PIN in this request locked the PIN
// (disabled: until an administrator resets it; else for a while).
func Lockout(ctx context.Context, disabled bool) {
	if r := From(ctx); r != nil {
		if disabled {
			r.lockouts[1]++
		} else {
			r.lockouts[0]++
		}
	}
}

// LogRequest writes a request's one log line: method, route template
// (never the raw path, which holds user names and ids), status, duration,
// request id and client address, then attrs. Nothing is built when log
// does not write Info lines.
func LogRequest(log *slog.Logger, req *Request, method string, status int, d time.Duration, client string, attrs ...slog.Attr) {
	if log == nil || !log.Enabled(context.Background(), slog.LevelInfo) {
		return
	}
	route := "unmatched"
	id := ""
	if req != nil {
		id = req.ID
		if req.Route != "" {
			route = req.Route
		}
	}
	var buf [12]slog.Attr // room for every attribute of the line, without allocating
	a := append(buf[:0], slog.String("method", Method(method)), slog.String("route", route), slog.Int("status", status),
		slog.Duration("duration", d.Round(time.Microsecond)), slog.String("request-id", id), slog.String("client", client))
	a = append(a, attrs...)
	if req != nil && req.stage != "" {
		a = append(a, slog.String("stage", oneOf(req.stage, stages)), slog.String("result", oneOf(req.signinResult, signinResults)))
	}
	if req != nil && req.grant != "" {
		a = append(a, slog.String("grant", oneOf(req.grant, grants)), slog.String("result", oneOf(req.tokenResult, tokenResults)))
	}
	log.LogAttrs(context.Background(), slog.LevelInfo, "request", a...)
}

// Method returns the HTTP method as a label value: one of the standard
// methods, or "other" (a client may send any token as a method).
func Method(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return ResultOther
}

// oneOf returns v when set holds it, else "other".
func oneOf(v string, set []string) string {
	for _, s := range set {
		if s == v {
			return v
		}
	}
	return ResultOther
}
