package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/graph"
	"github.com/qrpin/qrpin/internal/fakeclock"
	"github.com/qrpin/qrpin/internal/syncbuf"
	"github.com/qrpin/qrpin/internal/testkeys"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/pin"
	"github.com/qrpin/qrpin/pinflow"
	"github.com/qrpin/qrpin/store"
	"github.com/qrpin/qrpin/telemetry"
)

// clock is the tests' settable clock.
type clock = fakeclock.Clock

// env is a running Graph API on a fresh SQLite store, with a test clock
// and a token minter.
type env struct {
	t       testing.TB
	srv     *httptest.Server
	store   store.Store
	dbPath  string
	clock   *clock
	tokens  *auth.Tokens
	hasher  *pin.Hasher
	pepper  []byte
	tenant  string
	logs    *syncbuf.Buffer
	lockout method.LockoutPolicy
	metrics *telemetry.Metrics // the API's
}

// testStart is the test clock's starting time.
var testStart = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// cheapParams are Argon2id parameters small enough for the many PIN hashes
// of the API tests. The production cost is proven where it is chosen: by
// pin's TestHashVerifyDefaultParams and cmd/qrpin's TestServeHashesAtDefaultParams
// (the server's own), and by BenchmarkResetPIN here.
var cheapParams = pin.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvParams(t, cheapParams)
}

// newEnvParams is newEnv hashing PINs at the given Argon2id parameters.
func newEnvParams(t testing.TB, params pin.Params) *env {
	t.Helper()
	return newEnvWith(t, params, nil)
}

// newEnvWith is newEnvParams whose API sees the store through wrap (nil:
// as it is); e.store stays the store itself, for setting up and checking.
func newEnvWith(t testing.TB, params pin.Params, wrap func(store.Store) store.Store) *env {
	t.Helper()
	return newEnvOpts(t, envOptions{params: params, wrap: wrap})
}

// envOptions are what newEnvOpts sets up differently from newEnv.
type envOptions struct {
	params      pin.Params
	wrap        func(store.Store) store.Store // see newEnvWith
	appCheckTTL time.Duration                 // admin.Service.AppCheckTTL (0: every request reads the application)
}

// newEnvOpts is newEnv set up as o says.
func newEnvOpts(t testing.TB, o envOptions) *env {
	t.Helper()
	params, wrap := o.params, o.wrap
	dir := t.TempDir()
	st := openTestStore(t, filepath.Join(dir, "qrpin.db"))
	keys := testkeys.KeySet(t)
	pepper := bytes.Repeat([]byte{7}, 32)
	hasher, err := pin.NewHasher(pepper, params)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, store: st, dbPath: filepath.Join(dir, "qrpin.db"), clock: fakeclock.New(testStart),
		hasher: hasher, pepper: pepper, tenant: uuid.NewString(), logs: &syncbuf.Buffer{}, lockout: method.DefaultLockout,
		metrics: telemetry.NewMetrics()}
	e.srv = httptest.NewUnstartedServer(nil)
	base := "http://" + e.srv.Listener.Addr().String()
	e.tokens = &auth.Tokens{Keys: keys, Issuer: auth.Issuer(base, e.tenant), Audiences: auth.GraphAudiences, Now: e.clock.Now}
	apiStore := store.Store(st)
	if wrap != nil {
		apiStore = wrap(st)
	}
	api := &graph.Server{
		Admin: &admin.Service{Config: pinflow.Config{Store: apiStore, PINs: hasher, Pepper: pepper, TenantID: e.tenant,
			Lockout: e.lockout, Now: e.clock.Now}, AppCheckTTL: o.appCheckTTL},
		Tokens:  e.tokens,
		Log:     slog.New(slog.NewTextHandler(e.logs, nil)),
		Now:     e.clock.Now,
		Metrics: e.metrics,
	}
	e.srv.Config.Handler = api.Handler()
	e.srv.Start()
	t.Cleanup(e.srv.Close)
	return e
}

// appToken mints an application token with the given app permissions.
// The application is stored (with no secret or grant): the API refuses
// tokens of applications that do not exist.
func (e *env) appToken(roles ...string) string {
	a := store.Application{ID: uuid.NewString(), AppID: uuid.NewString(), ServicePrincipalID: uuid.NewString(),
		DisplayName: "test app", Created: e.clock.Now()}
	if err := e.store.CreateApplication(context.Background(), a); err != nil {
		e.t.Fatal(err)
	}
	return e.mint(auth.Principal{Kind: auth.Application, ObjectID: a.ServicePrincipalID, AppID: a.AppID, TenantID: e.tenant, Roles: roles})
}

// userToken mints a delegated token for u with the given scopes; the
// user's directory roles become wids; signed in just now.
func (e *env) userToken(u store.User, scopes ...string) string {
	as, err := e.store.ListRoleAssignments(context.Background(), u.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	p := auth.Principal{Kind: auth.Delegated, ObjectID: u.ID, AppID: uuid.NewString(), TenantID: e.tenant, UPN: u.UPN,
		Scopes: scopes, AuthTime: e.clock.Now()}
	for _, a := range as {
		if a.UnitID == "" { // wids carry tenant-wide roles only
			p.DirectoryRoles = append(p.DirectoryRoles, a.RoleDefinitionID)
		}
	}
	return e.mint(p)
}

func (e *env) mint(p auth.Principal) string {
	tok, err := e.tokens.Mint(p, time.Hour)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// admin returns a token of an application that may do everything.
func (e *env) admin() string {
	return e.appToken("UserAuthMethod-QR.ReadWrite.All", "User.ReadWrite.All", "Group.ReadWrite.All",
		"Policy.ReadWrite.AuthenticationMethod")
}

// user creates a user in the store; roles are role template ids.
func (e *env) user(upn string, roles ...string) store.User {
	e.t.Helper()
	u := store.User{ID: uuid.NewString(), UPN: upn, DisplayName: strings.Split(upn, "@")[0], AccountEnabled: true, Created: e.clock.Now()}
	if err := e.store.CreateUser(context.Background(), u); err != nil {
		e.t.Fatal(err)
	}
	for _, r := range roles {
		if err := e.store.CreateRoleAssignment(context.Background(), store.RoleAssignment{ID: uuid.NewString(), PrincipalID: u.ID, RoleDefinitionID: r}); err != nil {
			e.t.Fatal(err)
		}
	}
	return u
}

// resp is an HTTP response, read whole.
type resp struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a generic map (failing the test if it is not an object).
func (r resp) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

// errCode returns error.code of an OData error body.
func (r resp) errCode(t testing.TB) string {
	t.Helper()
	m := r.json(t)
	e, ok := m["error"].(map[string]any)
	if !ok {
		t.Fatalf("no error envelope: %s", r.body)
	}
	code, _ := e["code"].(string)
	return code
}

// do sends a request; body "" sends none; a JSON body gets
// Content-Type: application/json.
func (e *env) do(verb, path, token, body string) resp {
	e.t.Helper()
	return e.doWith(verb, path, token, body, nil)
}

func (e *env) doWith(verb, path, token, body string, header http.Header) resp {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(verb, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

// expect fails the test unless r has the status (and, for errors, the code).
func expect(t testing.TB, r resp, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if code != "" {
		if got := r.errCode(t); got != code {
			t.Fatalf("error code %q, want %q: %s", got, code, r.body)
		}
	}
}
