package staff_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/internal/fakeclock"
	"github.com/qrpin/qrpin/internal/syncbuf"
	"github.com/qrpin/qrpin/internal/testkeys"
	"github.com/qrpin/qrpin/issuer"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/oidc"
	"github.com/qrpin/qrpin/pin"
	"github.com/qrpin/qrpin/pinflow"
	"github.com/qrpin/qrpin/staff"
	"github.com/qrpin/qrpin/store"
	"github.com/qrpin/qrpin/store/postgres"
	"github.com/qrpin/qrpin/store/postgres/pgtest"
	"github.com/qrpin/qrpin/store/sqlite/sqlitetest"
)

const tenant = "5b0c3a2e-8d41-4f6a-9b7c-1e2d3f4a5b6c"

var cheapParams = pin.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// env is a server as cmd/qrpin mounts it: the OpenID provider, the token
// endpoint, discovery and the staff page on one mux, on a real store.
type env struct {
	t      testing.TB
	st     store.Store
	clock  *fakeclock.Clock
	keys   *auth.KeySet
	svc    *admin.Service
	hasher *pin.Hasher
	p      *oidc.Provider
	mux    *http.ServeMux
	srv    *httptest.Server
	base   string
	logs   *syncbuf.Buffer // every log line of the provider and the page
	staff  *staff.Handler

	unit                          store.AdministrativeUnit
	manager, worker, outsider, nb member
}

// member is a user with the QR code + PIN method, and its secrets.
type member struct {
	store.User
	PIN     string
	Payload string // the badge's QR code content
}

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
	return sqlitetest.Open(t, filepath.Join(t.TempDir(), "qrpin.db"))
}

func newEnv(t testing.TB) *env { return newEnvOn(t, openStore(t, "sqlite"), nil) }

// newEnvOn builds a server on st; with the clock of another env, when
// given (two processes on one database).
func newEnvOn(t testing.TB, st store.Store, clock *fakeclock.Clock, tweaks ...func(*oidc.Config)) *env {
	t.Helper()
	if clock == nil {
		clock = fakeclock.New(time.Now().UTC().Truncate(time.Second))
	}
	e := &env{t: t, st: st, clock: clock, keys: testkeys.KeySet(t), logs: &syncbuf.Buffer{}}
	pepper := bytes.Repeat([]byte{5}, 32)
	var err error
	if e.hasher, err = pin.NewHasher(pepper, cheapParams); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.svc = &admin.Service{Config: pinflow.Config{Store: st, PINs: e.hasher, Pepper: pepper, TenantID: tenant,
		Lockout: method.DefaultLockout, Now: clock.Now}}
	e.mux = http.NewServeMux()
	e.srv = httptest.NewServer(e.mux)
	t.Cleanup(e.srv.Close)
	e.base = e.srv.URL
	(&issuer.Discovery{BaseURL: e.base, TenantID: tenant, Keys: e.keys}).Register(e.mux)
	tokens := &auth.Tokens{Keys: e.keys, Issuer: auth.Issuer(e.base, tenant), Now: clock.Now}
	cc := &issuer.TokenEndpoint{Admin: e.svc, Tokens: tokens, TenantID: tenant, BaseURL: e.base}
	cfg := oidc.Config{Store: st, Clients: e.svc, Keys: e.keys, PublicURL: e.base, TenantID: tenant,
		Pepper: pepper, ClientCredentials: cc, Now: clock.Now, RateLimit: -1, Log: log}
	for _, tweak := range tweaks {
		tweak(&cfg)
	}
	e.p, err = oidc.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.p.Register(e.mux)
	if _, err := e.svc.EnsureStaffApplication(context.Background(), staff.CallbackURL(e.base, tenant), staff.SignedOutURL(e.base, tenant)); err != nil {
		t.Fatal(err)
	}
	e.staff = &staff.Handler{Service: e.svc, Keys: e.keys, PublicURL: e.base, Token: e.mux, Log: log}
	e.staff.Register(e.mux)
	return e
}

var local = admin.Local(tenant)

// team sets up a unit with a worker, a manager holding Authentication
// Administrator over it, a user outside it, and a user who manages nobody.
func (e *env) team() {
	e.t.Helper()
	ctx := context.Background()
	name := "Store 12"
	var err error
	if e.unit, err = e.svc.CreateUnit(ctx, local, admin.UnitInput{DisplayName: &name}); err != nil {
		e.t.Fatal(err)
	}
	e.manager = e.newMember("lead@contoso.com", "Lee Lead", "E100")
	e.worker = e.newMember("ann.lee@contoso.com", "Ann Lee", "E200")
	e.outsider = e.newMember("otto@contoso.com", "Otto Outside", "E300")
	e.nb = e.newMember("nobody@contoso.com", "Nora Nobody", "E400")
	for _, m := range []member{e.worker, e.manager} {
		if err := e.svc.AddUnitMember(ctx, local, e.unit.ID, m.ID); err != nil {
			e.t.Fatal(err)
		}
	}
	role, scope := auth.AuthenticationAdministrator, "/administrativeUnits/"+e.unit.ID
	if _, err := e.svc.CreateRoleAssignment(ctx, local, admin.RoleAssignmentInput{PrincipalID: &e.manager.ID,
		RoleDefinitionID: &role, DirectoryScopeID: &scope}); err != nil {
		e.t.Fatal(err)
	}
}

// newMember creates a user with the method (through the service): a
// badge and a PIN they have already changed.
func (e *env) newMember(upn, name, employeeID string) member {
	e.t.Helper()
	ctx := context.Background()
	enabled := true
	u, err := e.svc.CreateUser(ctx, local, admin.UserInput{UPN: &upn, DisplayName: &name, AccountEnabled: &enabled, EmployeeID: &employeeID})
	if err != nil {
		e.t.Fatal(err)
	}
	m, err := e.svc.CreateMethod(ctx, local, admin.UserRef{Key: u.ID}, admin.CreateMethodInput{Standard: &admin.CodeInput{}})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.st.UpdateMethod(ctx, u.ID, func(m *method.Method) error { m.PIN.ForceChange = false; return nil }); err != nil {
		e.t.Fatal(err)
	}
	return member{User: u, PIN: m.PIN, Payload: string(m.Standard.Image.RawContent)}
}

func (e *env) url(path string) string { return e.base + "/" + tenant + "/staff" + path }

// browser is a client with its own cookies that follows no redirect.
type browser struct {
	e    *env
	c    *http.Client
	jar  *cookiejar.Jar
	last string // the last page's body
}

func (e *env) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &browser{e: e, jar: jar, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// do sends a request as a browser would from the page (same origin).
func (b *browser) do(method, rawURL string, form url.Values) (*http.Response, string) {
	b.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, rawURL, body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer res.Body.Close()
	bb, _ := io.ReadAll(res.Body)
	b.last = string(bb)
	return res, b.last
}

func (b *browser) get(rawURL string) (*http.Response, string) { return b.do("GET", rawURL, nil) }

// post sends a page's form with the page's form token.
func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.e.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get("csrf") == "" {
		form.Set("csrf", b.csrf())
	}
	return b.do("POST", b.e.url(path), form)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the form token of the page last shown (loading /staff first if
// none is).
func (b *browser) csrf() string {
	b.e.t.Helper()
	m := csrfField.FindStringSubmatch(b.last)
	if m == nil {
		b.get(b.e.url(""))
		if m = csrfField.FindStringSubmatch(b.last); m == nil {
			b.e.t.Fatalf("no form token on the page: %s", b.last)
		}
	}
	return m[1]
}

func location(t testing.TB, res *http.Response) *url.URL {
	t.Helper()
	u, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return res.Request.URL.ResolveReference(u)
}

// signIn signs m in as the sign-in page would after the badge and PIN
// (the provider's Complete), following every redirect, and returns the
// authorization request's URL.
func (b *browser) signIn(m member, path string) *url.URL {
	b.e.t.Helper()
	t := b.e.t
	res, _ := b.get(b.e.url(path))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("GET %s: status %d, want 303 to sign in", path, res.StatusCode)
	}
	if path != "/login" && !strings.HasPrefix(path, "/login?") {
		res, _ = b.get(location(t, res).String())
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("login: status %d", res.StatusCode)
		}
	}
	authURL := location(t, res)
	return b.finish(authURL, m)
}

// finish runs the authorization request authURL for m to the staff page's
// callback and its redirect.
func (b *browser) finish(authURL *url.URL, m member) *url.URL {
	b.e.t.Helper()
	t := b.e.t
	res, _ := b.get(authURL.String())
	id := location(t, res).Query().Get("authRequest")
	if res.StatusCode != http.StatusFound || id == "" {
		t.Fatalf("authorize: status %d, Location %s", res.StatusCode, res.Header.Get("Location"))
	}
	next, err := b.e.p.Complete(context.Background(), id, m.User, b.e.clock.Now())
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	res, _ = b.get(next)
	cb := location(t, res)
	if res.StatusCode != http.StatusFound || !strings.HasPrefix(cb.String(), b.e.url("/callback")) {
		t.Fatalf("provider callback: status %d, Location %s", res.StatusCode, cb)
	}
	res, body := b.get(cb.String())
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("staff callback: status %d: %s", res.StatusCode, body)
	}
	return authURL
}

// auditsAfter returns the directory audits written after the first n,
// newest first.
func (e *env) auditsAfter(n int) []store.DirectoryAudit {
	e.t.Helper()
	a := e.audits()
	return a[:len(a)-n]
}

// audits returns the directory audits, newest first.
func (e *env) audits() []store.DirectoryAudit {
	e.t.Helper()
	as, err := e.st.ListDirectoryAudits(context.Background(), store.AuditFilter{}, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return as
}

func (e *env) method(u member) method.Method {
	e.t.Helper()
	m, err := e.st.GetMethod(context.Background(), u.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

// signedInManager builds a server with its team (newEnv, team) and a
// browser signed in to the page as the team's manager.
func signedInManager(t testing.TB) (*env, *browser) {
	t.Helper()
	e := newEnv(t)
	e.team()
	b := e.browser()
	b.signIn(e.manager, "")
	return e, b
}
