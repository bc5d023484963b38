package issuer

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/httprate"
	"github.com/google/uuid"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/internal/clientaddr"
	"github.com/qrpin/qrpin/internal/httperr"
	"github.com/qrpin/qrpin/telemetry"
)

// TokenPath is the token endpoint, below the server root.
const TokenPath = "/{tenant}/oauth2/v2.0/token"

// Token endpoint defaults.
const (
	DefaultTokenTTL   = time.Hour
	DefaultRateWindow = time.Minute
	maxTokenBody      = 64 << 10
)

// graphResource is Microsoft Graph's resource URI: a client asks for a
// token for it with the scope "https://graph.microsoft.com/.default".
const graphResource = "https://graph.microsoft.com"

// Clients checks an application's client credentials: the one thing the
// token endpoint asks of the management service (*admin.Service). It
// returns the application's principal, or admin.ErrUnknownClient,
// admin.ErrInvalidSecret or admin.ErrExpiredSecret (the endpoint answers
// each with Entra's invalid_client error), or another error, which the
// endpoint classifies like every edge (httperr).
type Clients interface {
	ClientCredentials(ctx context.Context, clientID, secret string) (auth.Principal, error)
}

// TokenEndpoint is Entra's v2.0 token endpoint for the client credentials
// grant: an application presents its client id and secret (form fields,
// or HTTP Basic) and gets an access token for Microsoft Graph, that is for
// qrpin's Graph API, whose roles are the permissions granted to it. Errors
// are OAuth 2.0 error responses in Entra's shape, with its AADSTS codes.
type TokenEndpoint struct {
	Admin    Clients
	Tokens   *auth.Tokens
	TenantID string
	// BaseURL is the server's public URL: "{BaseURL}/.default" is accepted
	// as a scope, beside Microsoft Graph's.
	BaseURL string
	// TTL is the access tokens' lifetime (DefaultTokenTTL when 0).
	TTL time.Duration
	// ClientLimit and AddrLimit are how many requests one client id, and
	// one client address, may make per RateWindow (DefaultRateWindow when
	// 0) before they get 429; 0 means no limit.
	ClientLimit, AddrLimit int
	RateWindow             time.Duration
	Log                    *slog.Logger
	// Now is the clock of error timestamps; nil means time.Now. (Token
	// lifetimes follow Tokens.Now, secret validity Admin.Now.)
	Now func() time.Time

	once                 sync.Once
	clientRate, addrRate *httprate.RateLimiter
}

// Register adds the token endpoint to mux, for every method: any but POST
// is answered with Entra's invalid_request error.
func (t *TokenEndpoint) Register(mux *http.ServeMux) {
	mux.Handle(TokenPath, t)
}

// oauthError is an OAuth 2.0 error, with Entra's AADSTS code and message.
type oauthError struct {
	status  int
	code    string // error: invalid_request, invalid_client, ...
	aadsts  int
	message string
	retry   time.Duration // Retry-After, for 429 and 503
}

func failure(status int, code string, aadsts int, format string, args ...any) *oauthError {
	return &oauthError{status: status, code: code, aadsts: aadsts, message: fmt.Sprintf(format, args...)}
}

func invalidRequest(aadsts int, format string, args ...any) *oauthError {
	return failure(http.StatusBadRequest, "invalid_request", aadsts, format, args...)
}

func missing(param string) *oauthError {
	return invalidRequest(900144, "The request body must contain the following parameter: '%s'.", param)
}

// tokenResponse is the successful answer.
type tokenResponse struct {
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	ExtExpiresIn int    `json:"ext_expires_in"`
	AccessToken  string `json:"access_token"`
}

// ServeHTTP answers one token request.
func (t *TokenEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t.once.Do(t.init)
	trace := telemetry.RequestID(r.Context()) // the request's id, when the server gave it one
	if trace == "" {
		trace = uuid.NewString()
	}
	corr := r.Header.Get("client-request-id")
	if _, err := uuid.Parse(corr); err != nil {
		corr = trace
	}
	w.Header().Set("x-ms-request-id", trace)
	w.Header().Set("client-request-id", corr)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")

	telemetry.TokenGrant(r.Context(), telemetry.GrantOther) // until serve knows it is client_credentials
	clientID, resp, err := t.serve(w, r)
	status, result := http.StatusOK, telemetry.ResultSuccess
	if err != nil {
		status, result = t.writeError(w, r, err, trace, corr)
	} else {
		writeTokenJSON(w, http.StatusOK, resp)
	}
	telemetry.TokenResult(r.Context(), result)
	if id, exact := canonicalClientID(clientID); exact {
		clientID = id
	} else if clientID != "" {
		clientID = "(not a GUID)" // perhaps a secret sent in the wrong field: never logged
	}
	t.log().Info("token request", "status", status, "client_id", clientID, "trace_id", trace, "correlation_id", corr)
}

// canonicalClientID returns the one form of a client id that the rate
// limit counts, the lookup uses and the log records: the GUID in lower
// case. exact reports whether id is that GUID as Entra takes it, its 36
// characters in any case; padded with white space, in braces, as a URN or
// without its hyphens it is not exact, and is refused as an unknown
// application, as Entra refuses a client id that is no application's
// identifier. The canonical form of such a variant (empty when id holds
// no GUID at all) still counts against the GUID's limit.
func canonicalClientID(id string) (canonical string, exact bool) {
	u, err := uuid.Parse(strings.TrimSpace(id))
	if err != nil {
		return "", false
	}
	canonical = u.String()
	return canonical, len(id) == len(canonical) && strings.EqualFold(id, canonical)
}

func (t *TokenEndpoint) init() {
	window := t.RateWindow
	if window <= 0 {
		window = DefaultRateWindow
	}
	if t.ClientLimit > 0 {
		t.clientRate = httprate.NewRateLimiter(t.ClientLimit, window)
	}
	if t.AddrLimit > 0 {
		t.addrRate = httprate.NewRateLimiter(t.AddrLimit, window)
	}
}

// serve checks the request and issues the token; it returns the client id
// (for the log) and the response, or the error to answer.
func (t *TokenEndpoint) serve(w http.ResponseWriter, r *http.Request) (string, tokenResponse, error) {
	if err := t.limit(w, r, t.addrRate, "addr", func() (string, error) { return clientaddr.Bucket(clientaddr.Of(r)), nil }); err != nil {
		return "", tokenResponse{}, err
	}
	if r.Method != http.MethodPost {
		return "", tokenResponse{}, invalidRequest(900561, "The endpoint only accepts POST requests. Received a %s request.", r.Method)
	}
	if tenant := r.PathValue("tenant"); !strings.EqualFold(tenant, t.TenantID) {
		return "", tokenResponse{}, unknownTenant(tenant)
	}
	form, err := readForm(r)
	if err != nil {
		return "", tokenResponse{}, err
	}
	grant, err := single(form, "grant_type")
	if err != nil {
		return "", tokenResponse{}, err
	}
	switch grant {
	case "":
		return "", tokenResponse{}, missing("grant_type")
	case "client_credentials":
		telemetry.TokenGrant(r.Context(), telemetry.GrantClientCredentials)
	default:
		return "", tokenResponse{}, failure(http.StatusBadRequest, "unsupported_grant_type", 70003,
			"The app requested an unsupported grant type '%s'. qrpin's token endpoint supports client_credentials.", clip(grant))
	}
	clientID, secret, err := clientAuth(r, form)
	if err != nil {
		return clientID, tokenResponse{}, err
	}
	id, exact := canonicalClientID(clientID)
	if err := t.limit(w, r, t.clientRate, "client", func() (string, error) { return id, nil }); err != nil {
		return clientID, tokenResponse{}, err
	}
	aud, err := t.audience(form)
	if err != nil {
		return clientID, tokenResponse{}, err
	}
	switch {
	case !exact: // not echoed: perhaps a secret in the wrong field
		return clientID, tokenResponse{}, failure(http.StatusUnauthorized, "invalid_client", 700016,
			"Application with the identifier sent, which is not a GUID, was not found in the directory '%s'.", t.TenantID)
	case id == auth.GraphAppID:
		return clientID, tokenResponse{}, failure(http.StatusBadRequest, "unauthorized_client", 700016,
			"Application '%s' (Microsoft Graph) is a resource: it cannot sign in as a client.", auth.GraphAppID)
	}
	p, err := t.Admin.ClientCredentials(r.Context(), id, secret)
	if err != nil {
		return clientID, tokenResponse{}, t.clientError(err, id)
	}
	ttl := t.TTL
	if ttl <= 0 {
		ttl = DefaultTokenTTL
	}
	tok, err := t.Tokens.MintFor(p, aud, ttl)
	if err != nil {
		return clientID, tokenResponse{}, err
	}
	secs := int(ttl / time.Second)
	return clientID, tokenResponse{TokenType: "Bearer", ExpiresIn: secs, ExtExpiresIn: secs, AccessToken: tok}, nil
}

// limit applies one rate limiter, keyed by what key returns.
func (t *TokenEndpoint) limit(w http.ResponseWriter, r *http.Request, rl *httprate.RateLimiter, kind string, key func() (string, error)) error {
	if rl == nil {
		return nil
	}
	k, err := key()
	if err != nil || k == "" {
		return nil
	}
	if !rl.OnLimit(w, r, kind+":"+k) {
		return nil
	}
	window := t.RateWindow
	if window <= 0 {
		window = DefaultRateWindow
	}
	e := failure(http.StatusTooManyRequests, "temporarily_unavailable", 90055,
		"There are too many incoming requests from this %s. Retry after the Retry-After header's seconds.",
		map[string]string{"addr": "address", "client": "client"}[kind])
	e.retry = window
	return e
}

// unknownTenant answers a token request for another tenant. Entra needs a
// tenant (its id) for the client credentials grant: "common" and
// "organizations" name none.
func unknownTenant(tenant string) *oauthError {
	switch strings.ToLower(tenant) {
	case "common", "organizations", "consumers":
		return invalidRequest(50059, "No tenant-identifying information found in either the request or implied by any provided credentials: "+
			"the client credentials grant needs the tenant id in the path, not '%s'.", tenant)
	}
	return invalidRequest(90002, "Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", clip(tenant))
}

// readForm reads the form-encoded body.
func readForm(r *http.Request) (url.Values, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, invalidRequest(900144, "The request body must be form-encoded (Content-Type: application/x-www-form-urlencoded) "+
			"and contain the following parameter: 'grant_type'.")
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxTokenBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, invalidRequest(90015, "The request body is larger than %d bytes.", maxTokenBody)
	}
	if err != nil {
		return nil, invalidRequest(900144, "The request body could not be read.")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, invalidRequest(900144, "The request body is not valid form encoding.")
	}
	return form, nil
}

// single returns the one value of a form parameter ("" when absent); a
// parameter sent twice is an error (RFC 6749, section 3.2).
func single(form url.Values, name string) (string, error) {
	switch vs := form[name]; len(vs) {
	case 0:
		return "", nil
	case 1:
		return vs[0], nil
	}
	return "", invalidRequest(9000411, "The request is not properly formatted. The parameter '%s' is duplicated.", name)
}

// clientAuth returns the client id and secret, from HTTP Basic
// authentication (whose parts are form-encoded, RFC 6749 section 2.3.1) or
// the form, never both.
func clientAuth(r *http.Request, form url.Values) (clientID, secret string, err error) {
	formID, err := single(form, "client_id")
	if err != nil {
		return "", "", err
	}
	formSecret, err := single(form, "client_secret")
	if err != nil {
		return formID, "", err
	}
	if _, ok := form["client_assertion"]; ok {
		return formID, "", invalidRequest(900144, "qrpin accepts client secrets only: client_assertion (certificate credentials) is not supported.")
	}
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, value, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Basic") {
			return formID, "", invalidRequest(900144, "The Authorization header of a token request must use the Basic scheme.")
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(value))
		id, sec, ok := strings.Cut(string(raw), ":")
		if err == nil && ok {
			id, err = url.QueryUnescape(id)
			if err == nil {
				sec, err = url.QueryUnescape(sec)
			}
		}
		switch {
		case err != nil || !ok:
			return formID, "", failure(http.StatusUnauthorized, "invalid_client", 7000218,
				"The Authorization header holds no valid Basic credentials (client id and secret).")
		case formSecret != "":
			return id, "", invalidRequest(900144, "The client must authenticate with one method only: the Authorization header or client_secret, not both.")
		case formID != "" && formID != id:
			return id, "", invalidRequest(900144, "The client_id of the body differs from the one of the Authorization header.")
		}
		clientID, secret = id, sec
	} else {
		clientID, secret = formID, formSecret
	}
	switch {
	case clientID == "":
		return "", "", missing("client_id")
	case secret == "":
		return clientID, "", failure(http.StatusUnauthorized, "invalid_client", 7000218,
			"The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
	}
	return clientID, secret, nil
}

// audience checks the scope parameter and returns the token's audience:
// the one resource it names with "/.default". OpenID Connect's scopes
// (openid, profile, offline_access), which identity libraries add, are
// ignored, as Entra does for this grant.
func (t *TokenEndpoint) audience(form url.Values) (string, error) {
	scope, err := single(form, "scope")
	if err != nil {
		return "", err
	}
	var resources []string
	for _, s := range strings.Fields(scope) {
		switch strings.ToLower(s) {
		case "openid", "profile", "offline_access", "email":
			continue
		}
		resources = append(resources, s)
	}
	switch {
	case len(resources) == 0:
		return "", missing("scope")
	case len(resources) > 1:
		return "", failure(http.StatusBadRequest, "invalid_scope", 70011,
			"The provided value for the input parameter 'scope' is not valid: the client credentials grant takes one resource's /.default scope, not %d scopes.", len(resources))
	}
	resource, ok := strings.CutSuffix(resources[0], "/.default")
	if !ok {
		return "", failure(http.StatusBadRequest, "invalid_scope", 1002012,
			"The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).",
			clip(resources[0]))
	}
	resource = strings.TrimSuffix(resource, "/")
	switch {
	case strings.EqualFold(resource, graphResource):
		return graphResource, nil
	case strings.EqualFold(resource, auth.GraphAppID):
		return auth.GraphAppID, nil
	case t.BaseURL != "" && strings.EqualFold(resource, strings.TrimRight(t.BaseURL, "/")):
		return strings.TrimRight(t.BaseURL, "/"), nil
	}
	return "", failure(http.StatusBadRequest, "invalid_resource", 500011,
		"The resource principal named %s was not found in the tenant named %s. qrpin issues tokens for Microsoft Graph (%s/.default) and for itself (%s/.default).",
		clip(resource), t.TenantID, graphResource, strings.TrimRight(t.BaseURL, "/"))
}

// clientError turns a refused client into its OAuth error.
func (t *TokenEndpoint) clientError(err error, clientID string) error {
	switch {
	case errors.Is(err, admin.ErrUnknownClient):
		return failure(http.StatusUnauthorized, "invalid_client", 700016,
			"Application with identifier '%s' was not found in the directory '%s'.", clip(clientID), t.TenantID)
	case errors.Is(err, admin.ErrInvalidSecret):
		return failure(http.StatusUnauthorized, "invalid_client", 7000215,
			"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", clip(clientID))
	case errors.Is(err, admin.ErrExpiredSecret):
		return failure(http.StatusUnauthorized, "invalid_client", 7000222,
			"The provided client secret keys for app '%s' are expired or not yet valid.", clip(clientID))
	}
	return err
}

// writeError answers err and returns the status. An OAuth error has its
// own status (RFC 6749 section 5.2); any other error is classified by
// httperr, whose table gives the status. Errors it cannot classify are
// bugs: logged, 500 server_error.
func (t *TokenEndpoint) writeError(w http.ResponseWriter, r *http.Request, err error, trace, corr string) (status int, code string) {
	var e *oauthError
	if !errors.As(err, &e) {
		e = t.classify(err, trace)
	}
	now := time.Now
	if t.Now != nil {
		now = t.Now
	}
	ts := now().UTC().Format("2006-01-02 15:04:05Z")
	if e.retry > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.retry+time.Second-1)/time.Second)))
	}
	if e.status == http.StatusUnauthorized && strings.HasPrefix(strings.ToLower(r.Header.Get("Authorization")), "basic") {
		w.Header().Set("WWW-Authenticate", `Basic realm="qrpin"`)
	}
	writeTokenJSON(w, e.status, discoveryError{
		Error: e.code,
		Description: fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s",
			e.aadsts, e.message, trace, corr, ts),
		Codes:         []int{e.aadsts},
		Timestamp:     ts,
		TraceID:       trace,
		CorrelationID: corr,
		URI:           "https://login.microsoftonline.com/error?code=" + strconv.Itoa(e.aadsts),
	})
	return e.status, e.code
}

// classify turns an error that is not an OAuth error into one: a transient
// failure (a store down, a throttle) is temporarily_unavailable, as Entra
// answers it, with the client-facing error's Retry-After; another
// client-facing error is invalid_request with its message; a bug is
// logged and answered server_error.
func (t *TokenEndpoint) classify(err error, trace string) *oauthError {
	ae, status, ok := httperr.Classify(err)
	switch {
	case !ok:
		t.log().Error("token endpoint: internal error", "trace_id", trace, "error", err.Error())
		return failure(http.StatusInternalServerError, "server_error", 90033, "An internal error occurred.")
	case status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests:
		e := failure(status, "temporarily_unavailable", 90033, "A transient error has occurred. Please try again.")
		e.retry = ae.RetryAfter
		return e
	}
	return failure(status, "invalid_request", 9002313, "%s", ae.Message)
}

func (e *oauthError) Error() string {
	return fmt.Sprintf("%s: AADSTS%d: %s", e.code, e.aadsts, e.message)
}

// writeTokenJSON writes v as the token endpoint's JSON answer.
func writeTokenJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // our own types always marshal
		panic(fmt.Sprintf("issuer: encode response: %v", err))
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

// clip shortens a client-supplied value for an error message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

func (t *TokenEndpoint) log() *slog.Logger {
	if t.Log == nil {
		return slog.Default()
	}
	return t.Log
}
