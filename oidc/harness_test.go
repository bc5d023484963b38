package oidc

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/google/uuid"
	"golang.org/x/oauth2"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/internal/fakeclock"
	"github.com/qrpin/qrpin/internal/testkeys"
	"github.com/qrpin/qrpin/issuer"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/pin"
	"github.com/qrpin/qrpin/pinflow"
	"github.com/qrpin/qrpin/store"
	"github.com/qrpin/qrpin/store/postgres"
	"github.com/qrpin/qrpin/store/postgres/pgtest"
	"github.com/qrpin/qrpin/store/sqlite/sqlitetest"
)

const testTenant = "8d6f7c1e-2b3a-4c5d-9e8f-0a1b2c3d4e5f"

// writes counts the store writes of the provider's records, so that tests
// can show that a refused request wrote nothing.
type countingStore struct {
	store.Store
	writes atomic.Int64
}

func (s *countingStore) CreateAuthRequest(ctx context.Context, r store.AuthRequest) error {
	s.writes.Add(1)
	return s.Store.CreateAuthRequest(ctx, r)
}

func (s *countingStore) UpdateAuthRequest(ctx context.Context, id string, fn func(*store.AuthRequest) error) (store.AuthRequest, error) {
	s.writes.Add(1)
	return s.Store.UpdateAuthRequest(ctx, id, fn)
}

func (s *countingStore) RedeemAuthRequest(ctx context.Context, id string, rt *store.RefreshToken) error {
	s.writes.Add(1)
	return s.Store.RedeemAuthRequest(ctx, id, rt)
}

func (s *countingStore) CreateRefreshToken(ctx context.Context, t store.RefreshToken) error {
	s.writes.Add(1)
	return s.Store.CreateRefreshToken(ctx, t)
}

func (s *countingStore) RotateRefreshToken(ctx context.Context, id string, next store.RefreshToken) error {
	s.writes.Add(1)
	return s.Store.RotateRefreshToken(ctx, id, next)
}

func (s *countingStore) DeleteRefreshFamily(ctx context.Context, family string) error {
	s.writes.Add(1)
	return s.Store.DeleteRefreshFamily(ctx, family)
}

// env is a provider on a real store, served by httptest with issuer's
// discovery and token endpoint beside it, as cmd/qrpin mounts them.
type env struct {
	t      testing.TB
	st     *countingStore
	clock  *fakeclock.Clock
	keys   *auth.KeySet
	admin  *admin.Service
	p      *Provider
	srv    *httptest.Server
	mux    *http.ServeMux
	hasher *pin.Hasher // the sign-in page's (withSignInPage)
	pepper []byte
	base   string
	http   *http.Client // follows no redirect
	user   store.User
}

// openStore returns a fresh store of the named backend ("sqlite" or
// "postgres"; PostgreSQL when QRPIN_TEST_POSTGRES is set, else skipped, or
// failed under CI=true: pgtest.Unavailable).
func openStore(t testing.TB, backend string) store.Store {
	t.Helper()
	if backend == "postgres" {
		st, err := postgres.Open(context.Background(), pgtest.DSN(t), postgres.Options{MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	path := filepath.Join(t.TempDir(), "qrpin.db")
	st := sqlitetest.Open(t, path)
	dbPaths.Store(st, path)
	return st
}

// dbPaths maps each SQLite store openStore opened to its database file,
// for tests that search what it holds.
var dbPaths sync.Map

func newEnv(t testing.TB) *env { return newEnvOn(t, "sqlite") }

func newEnvOn(t testing.TB, backend string) *env { return newEnvWith(t, backend, nil) }

// newEnvWith is newEnvOn with the provider's Config adjusted by tweak.
func newEnvWith(t testing.TB, backend string, tweak func(*Config)) *env {
	return newEnvServer(t, backend, false, tweak)
}

// newEnvServer is newEnvWith served over TLS when useTLS (httptest's
// certificate; e.http trusts it).
func newEnvServer(t testing.TB, backend string, useTLS bool, tweak func(*Config)) *env {
	t.Helper()
	e := &env{t: t, st: &countingStore{Store: openStore(t, backend)}, keys: testkeys.KeySet(t),
		clock: fakeclock.New(time.Now().UTC().Truncate(time.Microsecond))}
	pepper := bytes.Repeat([]byte{9}, 32)
	e.admin = &admin.Service{Config: pinflow.Config{Store: e.st, Pepper: pepper, TenantID: testTenant, Now: e.clock.Now}}
	mux := http.NewServeMux()
	e.mux, e.pepper = mux, pepper
	jar, err := cookiejar.New(nil) // the binding cookies of authorization requests, as a browser keeps them
	if err != nil {
		t.Fatal(err)
	}
	e.http = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if useTLS {
		e.srv = httptest.NewTLSServer(mux)
		e.http.Transport = e.srv.Client().Transport
	} else {
		e.srv = httptest.NewServer(mux)
	}
	t.Cleanup(e.srv.Close)
	e.base = e.srv.URL
	(&issuer.Discovery{BaseURL: e.base, TenantID: testTenant, Keys: e.keys}).Register(mux)
	tokens := &auth.Tokens{Keys: e.keys, Issuer: auth.Issuer(e.base, testTenant), Now: e.clock.Now}
	cc := &issuer.TokenEndpoint{Admin: e.admin, Tokens: tokens, TenantID: testTenant, BaseURL: e.base}
	cfg := Config{Store: e.st, Clients: e.admin, Keys: e.keys, PublicURL: e.base, TenantID: testTenant,
		Pepper: pepper, ClientCredentials: cc, Now: e.clock.Now, RateLimit: -1}
	if tweak != nil {
		tweak(&cfg)
	}
	e.p, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.p.Register(mux)
	e.user = e.newUser("worker@contoso.com")
	return e
}

// newUser stores an enabled user with a QR code + PIN method set up an
// hour ago.
func (e *env) newUser(upn string) store.User {
	e.t.Helper()
	ctx := context.Background()
	then := e.clock.Now().Add(-time.Hour)
	u := store.User{ID: uuid.NewString(), UPN: upn, DisplayName: "Worker " + upn[:3], AccountEnabled: true, Created: then}
	if err := e.st.CreateUser(ctx, u); err != nil {
		e.t.Fatal(err)
	}
	m := method.Method{ID: uuid.NewString(), UserID: u.ID, Created: then,
		PIN: method.PIN{Hash: "not-checked-here", Length: 6, Created: then, Updated: then}}
	if err := e.st.CreateMethod(ctx, m); err != nil {
		e.t.Fatal(err)
	}
	return u
}

// app is a registered application, with its secret when it has one.
type app struct {
	store.Application
	secret string
}

// newApp stores an application with the given sign-in registration; a
// web application gets a client secret.
func (e *env) newApp(name string, si store.AppSignIn) app {
	e.t.Helper()
	ctx := context.Background()
	a := store.Application{ID: uuid.NewString(), AppID: uuid.NewString(), ServicePrincipalID: uuid.NewString(),
		DisplayName: name, Created: e.clock.Now(), SignIn: si}
	if err := e.st.CreateApplication(ctx, a); err != nil {
		e.t.Fatal(err)
	}
	out := app{Application: a}
	if len(si.WebRedirectURIs) > 0 {
		caller := auth.Principal{Kind: auth.Application, ObjectID: uuid.NewString(), AppID: uuid.NewString(),
			TenantID: testTenant, Roles: []string{"Application.ReadWrite.All"}}
		pw, err := e.admin.AddPassword(ctx, caller, admin.AppRef{ID: a.ID}, admin.PasswordInput{DisplayName: "test"})
		if err != nil {
			e.t.Fatal(err)
		}
		out.secret = pw.Secret
	}
	return out
}

func (e *env) tenantURL(path string) string { return e.base + "/" + testTenant + path }

// oauth2 returns x/oauth2's configuration of a for redirectURI.
func (e *env) oauth2(a app, redirectURI string, scopes ...string) *oauth2.Config {
	if scopes == nil {
		scopes = []string{"openid", "profile", "offline_access"}
	}
	return &oauth2.Config{ClientID: a.AppID, ClientSecret: a.secret, RedirectURL: redirectURI, Scopes: scopes,
		Endpoint: oauth2.Endpoint{AuthURL: e.tenantURL("/oauth2/v2.0/authorize"), TokenURL: e.tenantURL("/oauth2/v2.0/token"),
			AuthStyle: oauth2.AuthStyleInHeader}}
}

func (e *env) get(rawURL string) *http.Response {
	e.t.Helper()
	res, err := e.http.Get(rawURL)
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

func (e *env) postForm(rawURL string, form url.Values) (*http.Response, map[string]any) {
	e.t.Helper()
	res, err := e.http.PostForm(rawURL, form)
	if err != nil {
		e.t.Fatal(err)
	}
	return res, readJSON(e.t, res)
}

func readJSON(t testing.TB, res *http.Response) map[string]any {
	t.Helper()
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("status %d, body not JSON: %q", res.StatusCode, b)
	}
	return v
}

func body(res *http.Response) string {
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// startAuthorize makes the authorization request and returns the request
// id the sign-in page gets.
func (e *env) startAuthorize(authURL string) string {
	e.t.Helper()
	res := e.get(authURL)
	res.Body.Close()
	loc, err := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), e.tenantURL("/signin?authRequest=")) {
		e.t.Fatalf("authorize: status %d, Location %q; want 302 to the sign-in page", res.StatusCode, res.Header.Get("Location"))
	}
	return loc.Query().Get("authRequest")
}

// finish completes the request for u, as the sign-in page does after the
// badge and PIN, follows the callback and returns the redirect to the
// application.
func (e *env) finish(id string, u store.User) *url.URL {
	e.t.Helper()
	next, err := e.p.Complete(context.Background(), id, u, e.clock.Now())
	if err != nil {
		e.t.Fatalf("Complete: %v", err)
	}
	res := e.get(next)
	res.Body.Close()
	loc, err := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusFound || err != nil {
		e.t.Fatalf("callback: status %d, Location %q", res.StatusCode, res.Header.Get("Location"))
	}
	return loc
}

// signIn runs authorize, the sign-in and the callback with x/oauth2 and
// PKCE, and returns the code, its verifier and the configuration.
func (e *env) signIn(a app, redirectURI string, opts ...oauth2.AuthCodeOption) (code, verifier string, cfg *oauth2.Config) {
	e.t.Helper()
	cfg = e.oauth2(a, redirectURI)
	verifier = oauth2.GenerateVerifier()
	loc := e.finish(e.startAuthorize(cfg.AuthCodeURL("st-1", append(opts, oauth2.S256ChallengeOption(verifier))...)), e.user)
	if got := loc.Query().Get("state"); got != "st-1" {
		e.t.Fatalf("state %q, want st-1 (redirect %s)", got, loc)
	}
	code = loc.Query().Get("code")
	if code == "" {
		e.t.Fatalf("no code in %s", loc)
	}
	return code, verifier, cfg
}

// idVerifier is go-oidc's verifier of a's ID tokens, from discovery.
func (e *env) idVerifier(a app) *gooidc.IDTokenVerifier {
	e.t.Helper()
	prov, err := gooidc.NewProvider(context.Background(), e.p.Issuer())
	if err != nil {
		e.t.Fatalf("go-oidc discovery: %v", err)
	}
	return prov.Verifier(&gooidc.Config{ClientID: a.AppID})
}

// graphTokens is qrpin's Graph API's verifier.
func (e *env) graphTokens() *auth.Tokens {
	return &auth.Tokens{Keys: e.keys, Issuer: e.p.Issuer(), Now: e.clock.Now}
}
