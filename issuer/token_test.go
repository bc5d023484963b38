package issuer_test

import (
	"bytes"
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

	"github.com/google/uuid"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/internal/fakeclock"
	"github.com/qrpin/qrpin/internal/syncbuf"
	"github.com/qrpin/qrpin/internal/testkeys"
	"github.com/qrpin/qrpin/issuer"
	"github.com/qrpin/qrpin/pinflow"
	"github.com/qrpin/qrpin/store"
	"github.com/qrpin/qrpin/store/sqlite/sqlitetest"
)

// tokenEnv is a token endpoint on a fresh store, with a test clock, one
// application granted two permissions and its secret.
type tokenEnv struct {
	t      *testing.T
	srv    *httptest.Server
	store  store.Store
	svc    *admin.Service
	tokens *auth.Tokens
	clock  *clock
	logs   *syncbuf.Buffer
	app    store.Application
	secret string
	keyID  string
}

func newTokenEnv(t *testing.T, configure func(*issuer.TokenEndpoint)) *tokenEnv {
	t.Helper()
	dir := t.TempDir()
	st := sqlitetest.Open(t, filepath.Join(dir, "qrpin.db"))
	keys := testkeys.KeySet(t)
	e := &tokenEnv{t: t, store: st, clock: fakeclock.New(start), logs: &syncbuf.Buffer{}}
	e.svc = &admin.Service{Config: pinflow.Config{Store: st, Pepper: bytes.Repeat([]byte{9}, 32), TenantID: tenant, Now: e.clock.Now}}
	e.srv = httptest.NewUnstartedServer(nil)
	base := "http://" + e.srv.Listener.Addr().String()
	e.tokens = &auth.Tokens{Keys: keys, Issuer: auth.Issuer(base, tenant), Audiences: append(slices.Clone(auth.GraphAudiences), base), Now: e.clock.Now}
	te := &issuer.TokenEndpoint{Admin: e.svc, Tokens: e.tokens, TenantID: tenant, BaseURL: base,
		Log: slog.New(slog.NewTextHandler(e.logs, nil)), Now: e.clock.Now}
	if configure != nil {
		configure(te)
	}
	mux := http.NewServeMux()
	te.Register(mux)
	e.srv.Config.Handler = mux
	e.srv.Start()
	t.Cleanup(e.srv.Close)

	e.app, e.secret, e.keyID = e.newApp("ci", "User.ReadWrite.All", "UserAuthMethod-QR.ReadWrite.All")
	return e
}

// newApp registers an application with a secret and the permissions.
func (e *tokenEnv) newApp(name string, perms ...string) (store.Application, string, string) {
	e.t.Helper()
	ctx, local := context.Background(), admin.Local(tenant)
	a, err := e.svc.CreateApplication(ctx, local, name)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, p := range perms {
		r, _ := auth.AppRoleByValue(p)
		if _, err := e.svc.GrantAppRole(ctx, local, admin.SPRef{ID: a.ServicePrincipalID}, false,
			admin.GrantInput{PrincipalID: a.ServicePrincipalID, ResourceID: admin.GraphServicePrincipalID, AppRoleID: r.ID}); err != nil {
			e.t.Fatal(err)
		}
	}
	pw, err := e.svc.AddPassword(ctx, local, admin.AppRef{ID: a.ID}, admin.PasswordInput{})
	if err != nil {
		e.t.Fatal(err)
	}
	return a, pw.Secret, pw.KeyID
}

// form is a valid client credentials request of the env's application.
func (e *tokenEnv) form() url.Values {
	return url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {e.app.AppID},
		"client_secret": {e.secret},
		"scope":         {"https://graph.microsoft.com/.default"},
	}
}

type tokenResp struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// post sends a token request: body as it is, with the given content type
// and extra headers, to the tenant's endpoint (or path when not "").
func (e *tokenEnv) post(path, contentType, body string, header http.Header) tokenResp {
	e.t.Helper()
	if path == "" {
		path = "/" + tenant + "/oauth2/v2.0/token"
	}
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	return e.do(req)
}

func (e *tokenEnv) do(req *http.Request) tokenResp {
	e.t.Helper()
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	r := tokenResp{status: res.StatusCode, header: res.Header, raw: raw}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		e.t.Fatalf("status %d, body is not a JSON object: %s", res.StatusCode, raw)
	}
	return r
}

func (e *tokenEnv) request(f url.Values) tokenResp {
	e.t.Helper()
	return e.post("", "application/x-www-form-urlencoded", f.Encode(), nil)
}

// expectError checks an OAuth error in Entra's shape.
func (e *tokenEnv) expectError(r tokenResp, status int, code string, aadsts int) {
	e.t.Helper()
	if r.status != status || r.body["error"] != code {
		e.t.Fatalf("got %d %v, want %d %s: %s", r.status, r.body["error"], status, code, r.raw)
	}
	desc, _ := r.body["error_description"].(string)
	prefix := "AADSTS" + strconv.Itoa(aadsts) + ": "
	codes, _ := r.body["error_codes"].([]any)
	if !strings.HasPrefix(desc, prefix) || len(codes) != 1 || codes[0] != float64(aadsts) {
		e.t.Fatalf("error_description %q / error_codes %v, want AADSTS%d: %s", desc, codes, aadsts, r.raw)
	}
	for _, k := range []string{"timestamp", "trace_id", "correlation_id"} {
		if s, _ := r.body[k].(string); s == "" {
			e.t.Fatalf("no %s: %s", k, r.raw)
		}
	}
	if _, err := uuid.Parse(r.body["trace_id"].(string)); err != nil {
		e.t.Fatalf("trace_id is not a GUID: %s", r.raw)
	}
	if !strings.Contains(desc, "Trace ID: "+r.body["trace_id"].(string)) {
		e.t.Fatalf("error_description does not end with Entra's trace: %q", desc)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		e.t.Fatalf("Content-Type %q", ct)
	}
	if e.secret != "" && bytes.Contains(r.raw, []byte(e.secret)) {
		e.t.Fatalf("the secret is echoed: %s", r.raw)
	}
}

// expectToken checks a successful answer and returns the verified caller.
func (e *tokenEnv) expectToken(r tokenResp) auth.Principal {
	e.t.Helper()
	if r.status != http.StatusOK || r.body["token_type"] != "Bearer" || r.body["expires_in"] != float64(3600) ||
		r.body["ext_expires_in"] != float64(3600) {
		e.t.Fatalf("token response %d: %s", r.status, r.raw)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		e.t.Fatalf("Cache-Control %q, want no-store", cc)
	}
	tok, _ := r.body["access_token"].(string)
	p, err := e.tokens.Verify(tok)
	if err != nil {
		e.t.Fatalf("the access token does not verify: %v", err)
	}
	return p
}

func TestTokenClientCredentials(t *testing.T) {
	e := newTokenEnv(t, nil)
	p := e.expectToken(e.request(e.form()))
	want := auth.Principal{Kind: auth.Application, ObjectID: e.app.ServicePrincipalID, AppID: e.app.AppID, TenantID: tenant,
		Roles: []string{"User.ReadWrite.All", "UserAuthMethod-QR.ReadWrite.All"}}
	if p.Kind != want.Kind || p.ObjectID != want.ObjectID || p.AppID != want.AppID || p.TenantID != want.TenantID ||
		!slices.Equal(p.Roles, want.Roles) {
		t.Fatalf("token names %+v, want %+v", p, want)
	}
	// The claims as Entra's: appid and azp are the client id, oid the
	// service principal, aud Microsoft Graph, valid one hour.
	r := e.request(e.form())
	claims := decodeClaims(t, r.body["access_token"].(string))
	for k, v := range map[string]any{"appid": e.app.AppID, "azp": e.app.AppID, "oid": e.app.ServicePrincipalID,
		"sub": e.app.ServicePrincipalID, "tid": tenant, "aud": "https://graph.microsoft.com", "idtyp": "app",
		"iat": float64(start.Unix()), "exp": float64(start.Add(time.Hour).Unix())} {
		if claims[k] != v {
			t.Errorf("claim %s = %v, want %v", k, claims[k], v)
		}
	}
	if _, ok := claims["scp"]; ok {
		t.Error("an application token has an scp claim")
	}

	// Other accepted forms: HTTP Basic (parts form-encoded), Graph's appId
	// scope, this server's own, OIDC scopes that libraries add, the
	// tenant id in capitals.
	basic := e.form()
	basic.Del("client_id")
	basic.Del("client_secret")
	hdr := http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString(
		[]byte(url.QueryEscape(e.app.AppID)+":"+url.QueryEscape(e.secret)))}}
	e.expectToken(e.post("", "application/x-www-form-urlencoded", basic.Encode(), hdr))
	for scope, aud := range map[string]string{
		auth.GraphAppID + "/.default":                                        auth.GraphAppID,
		e.srv.URL + "/.default":                                              e.srv.URL,
		"https://graph.microsoft.com//.default":                              "https://graph.microsoft.com",
		"openid https://graph.microsoft.com/.default profile offline_access": "https://graph.microsoft.com",
	} {
		f := e.form()
		f.Set("scope", scope)
		r := e.request(f)
		e.expectToken(r)
		if got := decodeClaims(t, r.body["access_token"].(string))["aud"]; got != aud {
			t.Errorf("scope %q: aud %v, want %s", scope, got, aud)
		}
	}
	r = e.post("/"+strings.ToUpper(tenant)+"/oauth2/v2.0/token", "application/x-www-form-urlencoded; charset=utf-8", e.form().Encode(), nil)
	e.expectToken(r)

	// An application granted nothing gets a token without roles.
	bare, secret, _ := e.newApp("bare")
	f := e.form()
	f.Set("client_id", bare.AppID)
	f.Set("client_secret", secret)
	if p := e.expectToken(e.request(f)); len(p.Roles) != 0 {
		t.Fatalf("roles of an application granted nothing: %v", p.Roles)
	}
	if strings.Contains(e.logs.String(), e.secret) || strings.Contains(e.logs.String(), secret) {
		t.Fatal("a client secret is in the log")
	}
}

func decodeClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// Every refusal is an OAuth error in Entra's shape, never a 500, and never
// repeats the secret.
func TestTokenErrors(t *testing.T) {
	e := newTokenEnv(t, nil)
	const formType = "application/x-www-form-urlencoded"
	with := func(mod func(url.Values)) string {
		f := e.form()
		mod(f)
		return f.Encode()
	}
	basicOf := func(id, secret string) http.Header {
		return http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))}}
	}
	for _, tc := range []struct {
		name        string
		path, ctype string
		body        string
		header      http.Header
		status      int
		code        string
		aadsts      int
	}{
		{"unknown tenant", "/" + uuid.NewString() + "/oauth2/v2.0/token", formType, e.form().Encode(), nil, 400, "invalid_request", 90002},
		{"common tenant", "/common/oauth2/v2.0/token", formType, e.form().Encode(), nil, 400, "invalid_request", 50059},
		{"organizations tenant", "/organizations/oauth2/v2.0/token", formType, e.form().Encode(), nil, 400, "invalid_request", 50059},
		{"JSON body", "", "application/json", `{"grant_type":"client_credentials"}`, nil, 400, "invalid_request", 900144},
		{"no content type", "", "", e.form().Encode(), nil, 400, "invalid_request", 900144},
		{"malformed form", "", formType, "grant_type=client_credentials&client_id=%zz", nil, 400, "invalid_request", 900144},
		{"body too large", "", formType, "scope=" + strings.Repeat("a", 70<<10), nil, 400, "invalid_request", 90015},
		{"no grant_type", "", formType, with(func(f url.Values) { f.Del("grant_type") }), nil, 400, "invalid_request", 900144},
		{"password grant", "", formType, with(func(f url.Values) { f.Set("grant_type", "password") }), nil, 400, "unsupported_grant_type", 70003},
		{"authorization_code grant", "", formType, with(func(f url.Values) { f.Set("grant_type", "authorization_code") }), nil, 400, "unsupported_grant_type", 70003},
		{"grant_type twice", "", formType, with(func(f url.Values) { f.Add("grant_type", "client_credentials") }), nil, 400, "invalid_request", 9000411},
		{"client_secret twice", "", formType, with(func(f url.Values) { f.Add("client_secret", "x") }), nil, 400, "invalid_request", 9000411},
		{"no client_id", "", formType, with(func(f url.Values) { f.Del("client_id") }), nil, 400, "invalid_request", 900144},
		{"no client_secret", "", formType, with(func(f url.Values) { f.Del("client_secret") }), nil, 401, "invalid_client", 7000218},
		{"empty client_secret", "", formType, with(func(f url.Values) { f.Set("client_secret", "") }), nil, 401, "invalid_client", 7000218},
		{"client_assertion", "", formType, with(func(f url.Values) { f.Del("client_secret"); f.Set("client_assertion", "x.y.z") }), nil, 400, "invalid_request", 900144},
		{"unknown client", "", formType, with(func(f url.Values) { f.Set("client_id", uuid.NewString()) }), nil, 401, "invalid_client", 700016},
		{"client id that is no GUID", "", formType, with(func(f url.Values) { f.Set("client_id", "admin-script") }), nil, 401, "invalid_client", 700016},
		{"wrong secret", "", formType, with(func(f url.Values) { f.Set("client_secret", offByOne(e.secret)) }), nil, 401, "invalid_client", 7000215},
		{"secret of another case", "", formType, with(func(f url.Values) { f.Set("client_secret", strings.ToUpper(e.secret)) }), nil, 401, "invalid_client", 7000215},
		{"Microsoft Graph as client", "", formType, with(func(f url.Values) { f.Set("client_id", auth.GraphAppID) }), nil, 400, "unauthorized_client", 700016},
		{"no scope", "", formType, with(func(f url.Values) { f.Del("scope") }), nil, 400, "invalid_request", 900144},
		{"only OIDC scopes", "", formType, with(func(f url.Values) { f.Set("scope", "openid profile") }), nil, 400, "invalid_request", 900144},
		{"delegated scope", "", formType, with(func(f url.Values) { f.Set("scope", "User.Read.All") }), nil, 400, "invalid_scope", 1002012},
		{"resource without .default", "", formType, with(func(f url.Values) { f.Set("scope", "https://graph.microsoft.com") }), nil, 400, "invalid_scope", 1002012},
		{"two resources", "", formType, with(func(f url.Values) {
			f.Set("scope", "https://graph.microsoft.com/.default https://example.com/.default")
		}), nil, 400, "invalid_scope", 70011},
		{"unknown resource", "", formType, with(func(f url.Values) { f.Set("scope", "https://management.azure.com/.default") }), nil, 400, "invalid_resource", 500011},
		{"Basic and client_secret", "", formType, e.form().Encode(), basicOf(e.app.AppID, e.secret), 400, "invalid_request", 900144},
		{"Basic with another client_id", "", formType, with(func(f url.Values) { f.Del("client_secret"); f.Set("client_id", uuid.NewString()) }), basicOf(e.app.AppID, e.secret), 400, "invalid_request", 900144},
		{"Basic not base64", "", formType, with(func(f url.Values) { f.Del("client_secret") }), http.Header{"Authorization": {"Basic !!!"}}, 401, "invalid_client", 7000218},
		{"Basic without colon", "", formType, with(func(f url.Values) { f.Del("client_secret") }), http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(e.app.AppID))}}, 401, "invalid_client", 7000218},
		{"Basic wrong secret", "", formType, with(func(f url.Values) { f.Del("client_secret"); f.Del("client_id") }), basicOf(e.app.AppID, "wrong"), 401, "invalid_client", 7000215},
		{"Bearer header", "", formType, e.form().Encode(), http.Header{"Authorization": {"Bearer x"}}, 400, "invalid_request", 900144},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.post(tc.path, tc.ctype, tc.body, tc.header)
			e.expectError(r, tc.status, tc.code, tc.aadsts)
			if tc.status == http.StatusUnauthorized && tc.header != nil && r.header.Get("WWW-Authenticate") == "" {
				t.Fatal("a 401 to a Basic request has no WWW-Authenticate header")
			}
		})
	}

	// Other verbs: Entra's invalid_request.
	for _, verb := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		req, _ := http.NewRequest(verb, e.srv.URL+"/"+tenant+"/oauth2/v2.0/token", nil)
		e.expectError(e.do(req), 400, "invalid_request", 900561)
	}
	// The correlation id echoes the client's client-request-id.
	corr := uuid.NewString()
	r := e.post("", formType, with(func(f url.Values) { f.Set("client_secret", "wrong") }), http.Header{"Client-Request-Id": {corr}})
	if r.body["correlation_id"] != corr || r.header.Get("client-request-id") != corr {
		t.Fatalf("correlation id %v, want %s", r.body["correlation_id"], corr)
	}
	if strings.Contains(e.logs.String(), e.secret) {
		t.Fatal("the secret is in the log")
	}
}

// A secret is valid from its start to its end; removing it or deleting the
// application stops it at once.
func TestTokenSecretLifecycle(t *testing.T) {
	e := newTokenEnv(t, nil)
	ctx, local := context.Background(), admin.Local(tenant)
	e.expectToken(e.request(e.form()))

	// A second secret, valid from tomorrow for one day.
	pw, err := e.svc.AddPassword(ctx, local, admin.AppRef{ID: e.app.ID}, admin.PasswordInput{
		Start: start.Add(24 * time.Hour), End: start.Add(48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	second := e.form()
	second.Set("client_secret", pw.Secret)
	e.expectError(e.request(second), 401, "invalid_client", 7000222) // not yet valid
	e.clock.Advance(24 * time.Hour)
	e.expectToken(e.request(second))
	e.clock.Advance(24 * time.Hour)
	e.expectError(e.request(second), 401, "invalid_client", 7000222) // expired
	e.expectToken(e.request(e.form()))                               // the first still works

	if err := e.svc.RemovePassword(ctx, local, admin.AppRef{ID: e.app.ID}, e.keyID); err != nil {
		t.Fatal(err)
	}
	e.expectError(e.request(e.form()), 401, "invalid_client", 7000215)

	other, secret, _ := e.newApp("other", "User.Read.All")
	f := e.form()
	f.Set("client_id", other.AppID)
	f.Set("client_secret", secret)
	e.expectToken(e.request(f))
	if err := e.svc.DeleteApplication(ctx, local, admin.AppRef{ID: other.ID}); err != nil {
		t.Fatal(err)
	}
	e.expectError(e.request(f), 401, "invalid_client", 700016)
}

func TestTokenRateLimits(t *testing.T) {
	t.Run("per client", func(t *testing.T) {
		e := newTokenEnv(t, func(te *issuer.TokenEndpoint) { te.ClientLimit, te.RateWindow = 2, time.Hour })
		e.expectToken(e.request(e.form()))
		bad := e.form()
		bad.Set("client_secret", "wrong") // failures count too
		e.expectError(e.request(bad), 401, "invalid_client", 7000215)
		r := e.request(e.form())
		e.expectError(r, http.StatusTooManyRequests, "temporarily_unavailable", 90055)
		if r.header.Get("Retry-After") != "3600" {
			t.Fatalf("Retry-After %q, want 3600", r.header.Get("Retry-After"))
		}
		// Client ids compare case-insensitively; another client is not limited.
		up := e.form()
		up.Set("client_id", strings.ToUpper(e.app.AppID))
		e.expectError(e.request(up), http.StatusTooManyRequests, "temporarily_unavailable", 90055)
		other, secret, _ := e.newApp("other")
		f := e.form()
		f.Set("client_id", other.AppID)
		f.Set("client_secret", secret)
		e.expectToken(e.request(f))
	})
	t.Run("per address", func(t *testing.T) {
		e := newTokenEnv(t, func(te *issuer.TokenEndpoint) { te.AddrLimit, te.RateWindow = 3, time.Hour })
		for range 3 {
			e.expectToken(e.request(e.form()))
		}
		r := e.request(e.form())
		e.expectError(r, http.StatusTooManyRequests, "temporarily_unavailable", 90055)
		if r.header.Get("Retry-After") != "3600" {
			t.Fatalf("Retry-After %q, want 3600", r.header.Get("Retry-After"))
		}
		// Even requests that would fail early are limited.
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/"+tenant+"/oauth2/v2.0/token", nil)
		e.expectError(e.do(req), http.StatusTooManyRequests, "temporarily_unavailable", 90055)
	})
}

// paddedVariants are forms of a client id that are not its 36 characters:
// white space around it, braces, a URN, no hyphens.
func paddedVariants(id string) map[string]string {
	return map[string]string{
		"leading space":   " " + id,
		"trailing tab":    id + "\t",
		"newlines":        "\n" + id + "\r\n",
		"spaces, capital": "  " + strings.ToUpper(id) + " ",
		"braces":          "{" + id + "}",
		"URN":             "urn:uuid:" + id,
		"no hyphens":      strings.ReplaceAll(id, "-", ""),
	}
}

// A client id in any form but its 36 characters is no application's
// identifier: refused as Entra refuses an unknown one, whether in the form
// or in HTTP Basic, even with the right secret.
func TestTokenPaddedClientIDRefused(t *testing.T) {
	e := newTokenEnv(t, nil)
	for name, id := range paddedVariants(e.app.AppID) {
		t.Run(name, func(t *testing.T) {
			f := e.form()
			f.Set("client_id", id)
			e.expectError(e.request(f), 401, "invalid_client", 700016)
			f.Del("client_id")
			f.Del("client_secret")
			basic := http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString(
				[]byte(url.QueryEscape(id)+":"+url.QueryEscape(e.secret)))}}
			e.expectError(e.post("", "application/x-www-form-urlencoded", f.Encode(), basic), 401, "invalid_client", 700016)
		})
	}
	// The id itself still works, in any case.
	up := e.form()
	up.Set("client_id", strings.ToUpper(e.app.AppID))
	e.expectToken(e.request(up))
}

// Padded forms of a client id count against its limit: they do not buy
// more attempts at its secret.
func TestTokenPaddedClientIDSharesTheLimit(t *testing.T) {
	e := newTokenEnv(t, func(te *issuer.TokenEndpoint) { te.ClientLimit, te.RateWindow = 2, time.Hour })
	e.expectToken(e.request(e.form()))
	e.expectToken(e.request(e.form()))
	for name, id := range paddedVariants(e.app.AppID) {
		f := e.form()
		f.Set("client_id", id)
		f.Set("client_secret", offByOne(e.secret))
		r := e.request(f)
		if r.status != http.StatusTooManyRequests {
			t.Errorf("%s: %d, want 429 (the limit of %s is spent): %s", name, r.status, e.app.AppID, r.raw)
		}
	}
}

// The token endpoint logs a client id only when it is a GUID as Entra
// takes it, in its canonical form: a client_id that looks like a secret
// (perhaps a secret in the wrong field) never reaches the log, in any form,
// nor the answer.
func TestTokenLogNeverHoldsSecretLikeClientID(t *testing.T) {
	e := newTokenEnv(t, nil)
	hex32 := strings.ReplaceAll(uuid.NewString(), "-", "") // 32 hex digits, as many secrets are
	dashed := hex32[:8] + "-" + hex32[8:12] + "-" + hex32[12:16] + "-" + hex32[16:20] + "-" + hex32[20:]
	for _, id := range []string{e.secret, " " + e.secret, hex32, strings.ToUpper(hex32), "{" + hex32 + "}",
		"urn:uuid:" + hex32, " " + dashed + "\n", "sk_live_" + hex32} {
		f := e.form()
		f.Set("client_id", id)
		form := e.request(f)
		f.Del("client_id")
		f.Del("client_secret")
		basic := http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":x"))}}
		for _, r := range []tokenResp{form, e.post("", "application/x-www-form-urlencoded", f.Encode(), basic)} {
			e.expectError(r, 401, "invalid_client", 700016)
			for _, secret := range []string{strings.TrimSpace(id), hex32, dashed} {
				if strings.Contains(strings.ToLower(string(r.raw)), strings.ToLower(secret)) {
					t.Fatalf("the answer to client_id %q echoes %q: %s", id, secret, r.raw)
				}
			}
		}
	}
	logs := strings.ToLower(e.logs.String())
	for _, secret := range []string{e.secret, hex32, dashed} {
		if strings.Contains(logs, strings.ToLower(secret)) {
			t.Fatalf("the log holds the secret-like client_id %q:\n%s", secret, logs)
		}
	}
	if n := strings.Count(logs, `client_id="(not a guid)"`); n != 16 {
		t.Fatalf("%d token requests logged with client_id=\"(not a GUID)\", want 16:\n%s", n, logs)
	}
	// A client id that is one is logged, as the GUID in lower case.
	f := e.form()
	f.Set("client_id", strings.ToUpper(e.app.AppID))
	e.expectToken(e.request(f))
	if !strings.Contains(e.logs.String(), "client_id="+e.app.AppID+" ") {
		t.Fatalf("the log does not name the client %s:\n%s", e.app.AppID, e.logs)
	}
}

// offByOne returns secret with its last character changed (to "x", or to
// "y" when it is "x" already), so that it never equals secret.
func offByOne(secret string) string {
	last := "x"
	if strings.HasSuffix(secret, last) {
		last = "y"
	}
	return secret[:len(secret)-1] + last
}
