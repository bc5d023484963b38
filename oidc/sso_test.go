package oidc

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"

	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/signin"
	"github.com/qrpin/qrpin/store"
)

const ssoLifetime = time.Hour

// withSSO turns single sign-on sessions on.
func withSSO(c *Config) { c.SSOSessionLifetime = ssoLifetime }

// browser is one browser: a cookie jar, no redirect followed.
type browser struct {
	e *env
	c *http.Client
}

func (e *env) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &browser{e: e, c: &http.Client{Jar: jar, Transport: e.http.Transport, CheckRedirect: e.http.CheckRedirect}}
}

func (b *browser) get(rawURL string) *http.Response {
	b.e.t.Helper()
	res, err := b.c.Get(rawURL)
	if err != nil {
		b.e.t.Fatal(err)
	}
	res.Body.Close()
	return res
}

// cookie returns the session cookie the jar sends to the provider.
func (b *browser) cookie() string {
	u, _ := url.Parse(b.e.tenantURL("/oauth2/v2.0/authorize"))
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == SSOCookie {
			return c.Value
		}
	}
	return ""
}

func (b *browser) setCookie(value string) {
	u, _ := url.Parse(b.e.tenantURL("/oauth2/"))
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: SSOCookie, Value: value, Path: "/" + testTenant + "/oauth2/"}})
}

// ssoSetCookies returns the response's Set-Cookie headers but those of
// authorization requests' binding cookies (bindingCookiePrefix).
func ssoSetCookies(res *http.Response) []string {
	var out []string
	for _, sc := range res.Header.Values("Set-Cookie") {
		if !strings.HasPrefix(sc, bindingCookiePrefix) {
			out = append(out, sc)
		}
	}
	return out
}

// flow is one application's authorization request with PKCE.
type flow struct {
	cfg      *oauth2.Config
	verifier string
}

func (e *env) flowFor(a app) flow {
	return flow{cfg: e.oauth2(a, a.SignIn.WebRedirectURIs[0]), verifier: oauth2.GenerateVerifier()}
}

func (f flow) url(opts ...oauth2.AuthCodeOption) string {
	return f.cfg.AuthCodeURL("st-s", append(opts, oauth2.S256ChallengeOption(f.verifier))...)
}

// authorize makes the request in the browser and returns the request id
// when it shows the sign-in page, or the code when it went back to the
// application.
func (b *browser) authorize(f flow, opts ...oauth2.AuthCodeOption) (page, code string, res *http.Response) {
	b.e.t.Helper()
	res = b.get(f.url(opts...))
	loc, err := url.Parse(res.Header.Get("Location"))
	switch {
	case res.StatusCode != http.StatusFound || err != nil:
		b.e.t.Fatalf("authorize: %d %q", res.StatusCode, res.Header.Get("Location"))
	case strings.HasPrefix(loc.String(), b.e.tenantURL("/signin?authRequest=")):
		return loc.Query().Get("authRequest"), "", res
	case strings.HasPrefix(loc.String(), f.cfg.RedirectURL+"?") && loc.Query().Get("state") == "st-s" && loc.Query().Get("code") != "":
		return "", loc.Query().Get("code"), res
	}
	b.e.t.Fatalf("authorize went to %s", loc)
	return "", "", nil
}

// signIn signs u in on the page (Complete, as the page's PIN step does)
// and follows the callback, which sets the session cookie; it returns
// the callback's answer and the code.
func (b *browser) signIn(f flow, u store.User, opts ...oauth2.AuthCodeOption) (*http.Response, string) {
	b.e.t.Helper()
	id, code, _ := b.authorize(f, opts...)
	if code != "" {
		b.e.t.Fatal("authorize completed without the sign-in page")
	}
	next, err := b.e.p.Complete(context.Background(), id, u, b.e.clock.Now())
	if err != nil {
		b.e.t.Fatalf("Complete: %v", err)
	}
	res := b.get(next)
	loc, _ := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusFound || loc == nil || loc.Query().Get("code") == "" {
		b.e.t.Fatalf("callback: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	return res, loc.Query().Get("code")
}

// idClaims exchanges the code and returns the ID token's claims.
func (f flow) idClaims(t *testing.T, e *env, a app, code string) map[string]any {
	t.Helper()
	c, _ := f.tokens(t, e, a, code)
	return c
}

// tokens exchanges the code and returns the ID token's claims and the
// token response.
func (f flow) tokens(t *testing.T, e *env, a app, code string) (map[string]any, *oauth2.Token) {
	t.Helper()
	tok, err := f.cfg.Exchange(context.Background(), code, oauth2.VerifierOption(f.verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	return verifyID(t, e, a, tok), tok
}

func verifyID(t *testing.T, e *env, a app, tok *oauth2.Token) map[string]any {
	t.Helper()
	prov, err := gooidc.NewProvider(context.Background(), e.p.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	idt, err := prov.Verifier(&gooidc.Config{ClientID: a.AppID, Now: e.clock.Now}).Verify(context.Background(), tok.Extra("id_token").(string))
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	var c map[string]any
	if err := idt.Claims(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSSORefreshAndDiscovery: a refreshed ID token keeps the session's
// sid; discovery says back-channel logout with sid is supported.
func TestSSORefreshAndDiscovery(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, "sqlite", withSSO)
	a := e.newApp("Timesheets", webApp)
	b := e.browser()
	f := e.flowFor(a)
	_, code := b.signIn(f, e.user)
	first, tok := f.tokens(t, e, a, code)
	e.clock.Advance(time.Minute)
	tok.Expiry = time.Now().Add(-time.Hour) // make x/oauth2 refresh
	next, err := f.cfg.TokenSource(context.Background(), tok).Token()
	if err != nil || next.RefreshToken == tok.RefreshToken {
		t.Fatalf("refresh: %v", err)
	}
	if c := verifyID(t, e, a, next); c["sid"] == nil || c["sid"] != first["sid"] {
		t.Errorf("refreshed ID token's sid %v, want %v", c["sid"], first["sid"])
	}
	res, err := http.Get(e.p.Issuer() + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	if err := jsonDecode(res, &d); err != nil {
		t.Fatal(err)
	}
	if d["backchannel_logout_supported"] != true || d["backchannel_logout_session_supported"] != true {
		t.Errorf("discovery: backchannel_logout_supported %v, backchannel_logout_session_supported %v",
			d["backchannel_logout_supported"], d["backchannel_logout_session_supported"])
	}
	if _, ok := d["frontchannel_logout_supported"]; ok {
		t.Errorf("discovery says frontchannel_logout_supported %v", d["frontchannel_logout_supported"])
	}
}

// TestSSODefaultOff: by default no session: the callback sets no cookie,
// a second authorize in the same browser shows the sign-in page again,
// prompt=none is login_required, and the ID token has no sid.
func TestSSODefaultOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newApp("Timesheets", webApp)
	b := e.browser()
	f := e.flowFor(a)
	res, code := b.signIn(f, e.user)
	if sc := ssoSetCookies(res); len(sc) != 0 || b.cookie() != "" {
		t.Fatalf("the callback set cookies %q with sessions off", sc)
	}
	if c := f.idClaims(t, e, a, code); c["sid"] != nil {
		t.Errorf("ID token sid %v with sessions off", c["sid"])
	}
	if page, _, _ := b.authorize(e.flowFor(a)); page == "" {
		t.Fatal("a second authorize did not ask for the badge")
	}
	res = b.get(e.flowFor(a).url(oauth2.SetAuthURLParam("prompt", "none")))
	if loc, _ := url.Parse(res.Header.Get("Location")); loc == nil || loc.Query().Get("error") != "login_required" {
		t.Fatalf("prompt=none: %q", res.Header.Get("Location"))
	}
}

// TestSSOOffClearsCookie: with sessions off, a session cookie the browser
// still holds (left from when they were on, or planted) is cleared by the
// next authorize, which still shows the page: a shared device keeps none.
func TestSSOOffClearsCookie(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newApp("Timesheets", webApp)
	for _, value := range []string{"ABCDEFGHIJKLMNOPQRSTUVWXYZ", "garbage"} {
		b := e.browser()
		b.setCookie(value)
		page, _, res := b.authorize(e.flowFor(a))
		if page == "" {
			t.Fatalf("%q: authorize did not show the page", value)
		}
		var cleared bool
		for _, c := range res.Cookies() {
			cleared = cleared || (c.Name == SSOCookie && c.Value == "" && c.MaxAge < 0 && c.Path == "/"+testTenant+"/oauth2/")
		}
		if !cleared || b.cookie() != "" {
			t.Errorf("%q: Set-Cookie %q, cookie left %q; want the session cookie cleared", value, res.Header.Values("Set-Cookie"), b.cookie())
		}
	}
}

// TestSSOSession: with sessions on, the callback sets the cookie (exact
// attributes), the store keeps only its hash, and a second authorize in
// the browser returns a code without the page, for the same user and
// auth_time, with the session's sid (pairwise per application).
func TestSSOSession(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			e := newEnvWith(t, backend, withSSO)
			a := e.newApp("Timesheets", webApp)
			other := e.newApp("Rota", store.AppSignIn{WebRedirectURIs: []string{"https://rota.contoso.com/cb"}})
			b := e.browser()
			f := e.flowFor(a)
			signedIn := e.clock.Now()
			res, code := b.signIn(f, e.user)
			handle := b.cookie()
			want := "qrpin_sso=" + handle + "; Path=/" + testTenant + "/oauth2/; Max-Age=3600; HttpOnly; SameSite=Lax"
			if sc := ssoSetCookies(res); len(sc) != 1 || sc[0] != want || len(handle) != 26 {
				t.Fatalf("Set-Cookie %q, want [%q]", sc, want)
			}
			first := f.idClaims(t, e, a, code)
			sid, _ := first["sid"].(string)
			if len(sid) != 24 {
				t.Fatalf("first ID token's sid %v", first["sid"])
			}
			sess, err := e.st.GetSSOSession(context.Background(), hashSecret(handle))
			if err != nil || sess.UserID != e.user.ID || !sess.AuthTime.Equal(signedIn) ||
				!sess.Expires.Equal(signedIn.Add(ssoLifetime)) || len(sess.ClientIDs) != 1 || sess.ClientIDs[0] != a.AppID {
				t.Fatalf("stored session %+v, %v", sess, err)
			}

			e.clock.Advance(10 * time.Minute)
			f2 := e.flowFor(a)
			_, code2, res := b.authorize(f2, oauth2.SetAuthURLParam("nonce", "n-2"))
			if sc := res.Header.Values("Set-Cookie"); len(sc) != 0 {
				t.Errorf("a reused session set cookies %q", sc)
			}
			second := f2.idClaims(t, e, a, code2)
			if second["sid"] != sid || second["sub"] != first["sub"] || second["auth_time"] != first["auth_time"] ||
				second["nonce"] != "n-2" || second["oid"] != e.user.ID {
				t.Errorf("second ID token %v, first %v", second, first)
			}
			fo := e.flowFor(other)
			_, code3, _ := b.authorize(fo)
			third := fo.idClaims(t, e, other, code3)
			if s, _ := third["sid"].(string); s == sid || len(s) != 24 || third["sub"] != e.p.pairwise(other.AppID, e.user.ID) {
				t.Errorf("another application's ID token: sid %v (first application's %s), sub %v", third["sid"], sid, third["sub"])
			}
			sess, _ = e.st.GetSSOSession(context.Background(), hashSecret(handle))
			if len(sess.ClientIDs) != 2 || sess.ClientIDs[1] != other.AppID {
				t.Errorf("session's applications %v", sess.ClientIDs)
			}

			// Another browser has no session.
			if page, _, _ := e.browser().authorize(e.flowFor(a)); page == "" {
				t.Error("another browser was signed in")
			}
			if backend == "sqlite" {
				dump := sqliteDump(t, e)
				if strings.Contains(dump, handle) || !strings.Contains(dump, hashSecret(handle)) {
					t.Errorf("the database holds the handle (%v) or not its hash (%v)",
						strings.Contains(dump, handle), !strings.Contains(dump, hashSecret(handle)))
				}
			}
		})
	}
}

// sqliteDump is the SQLite database's files, as bytes: what a copy of the
// data directory would show.
func sqliteDump(t *testing.T, e *env) string {
	t.Helper()
	path, ok := dbPaths.Load(e.st.Store)
	if !ok {
		t.Fatal("no database file")
	}
	var all []byte
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(path.(string) + suffix)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return string(all)
}

// TestSSOCookieAtCallback: through the real sign-in page, the cookie is
// set by the provider's callback (a top-level navigation), not by the
// page's PIN call; the sign-in the session then completes has its own
// sign-in log entry (step ssoSession), beside the page's.
func TestSSOCookieAtCallback(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, "sqlite", func(c *Config) { withSSO(c); c.Record = signin.RecordTo(c.Store, nil) })
	e.withSignInPage()
	payload := e.badge()
	a := e.newApp("Timesheets", webApp)
	b := e.browser()
	id, _, _ := b.authorize(e.flowFor(a))
	post := func(path string, v any) (*http.Response, map[string]any) {
		res, out := (&env{t: t, http: b.c}).postJSON(e.tenantURL(path), v)
		return res, out
	}
	res, out := post("/signin/qr", signin.QRRequest{QRCode: payload, AuthRequest: id})
	if res.StatusCode != 200 {
		t.Fatalf("qr: %d %v", res.StatusCode, out)
	}
	res, out = post("/signin/pin", signin.PINRequest{Transaction: out["transaction"].(string), PIN: goodPIN})
	if res.StatusCode != 200 || out["next"] != "redirect" || len(res.Header.Values("Set-Cookie")) != 0 || b.cookie() != "" {
		t.Fatalf("pin: %d %v, Set-Cookie %q", res.StatusCode, out, res.Header.Values("Set-Cookie"))
	}
	res = b.get(out["location"].(string))
	if res.StatusCode != http.StatusFound || b.cookie() == "" {
		t.Fatalf("callback: %d, no session cookie", res.StatusCode)
	}
	e.clock.Advance(time.Minute)
	if _, code, _ := b.authorize(e.flowFor(a)); code == "" {
		t.Fatal("no code from the session")
	}
	logs, err := e.st.ListSignInLogs(context.Background(), store.AuditFilter{}, 0)
	if err != nil || len(logs) != 2 {
		t.Fatalf("sign-in logs %+v, %v", logs, err)
	}
	if l := logs[0]; l.Step != StepSession || l.UserID != e.user.ID || l.UPN != e.user.UPN || l.AppID != a.AppID ||
		l.AppName != "Timesheets" || l.Resource != "Microsoft Graph" || l.Flow != FlowAuthorizationCode || l.ErrorCode != 0 ||
		!l.Created.Equal(e.clock.Now()) || l.IPAddress != "127.0.0.1" {
		t.Errorf("the session's sign-in log entry %+v", l)
	}
	if l := logs[1]; l.Step == StepSession || l.AppID != a.AppID {
		t.Errorf("the page's sign-in log entry %+v", l)
	}
}

// TestSSOSecureCookie: served over https, the cookie is Secure.
func TestSSOSecureCookie(t *testing.T) {
	t.Parallel()
	e := newEnvServer(t, "sqlite", true, withSSO)
	a := e.newApp("Timesheets", webApp)
	b := e.browser()
	res, _ := b.signIn(e.flowFor(a), e.user)
	want := regexp.MustCompile(`^qrpin_sso=[A-Z2-7]{26}; Path=/` + testTenant + `/oauth2/; Max-Age=3600; HttpOnly; Secure; SameSite=Lax$`)
	if sc := ssoSetCookies(res); len(sc) != 1 || !want.MatchString(sc[0]) {
		t.Fatalf("Set-Cookie %q", sc)
	}
}

// TestSSORequestAsksForSignIn: with a session, requests that ask for a
// sign-in show the page: prompt=login, select_account, max_age=0 or older
// than the sign-in, a login_hint naming another user; a max_age the
// session is within and the user's own login_hint do not.
func TestSSORequestAsksForSignIn(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, "sqlite", withSSO)
	a := e.newApp("Timesheets", webApp)
	e.newUser("other@contoso.com")
	b := e.browser()
	b.signIn(e.flowFor(a), e.user)
	e.clock.Advance(10 * time.Minute)
	for _, tc := range []struct {
		name   string
		params map[string]string
		page   bool
	}{
		{"no parameter", nil, false},
		{"prompt=login", map[string]string{"prompt": "login"}, true},
		{"prompt=select_account", map[string]string{"prompt": "select_account"}, true},
		{"max_age=0", map[string]string{"max_age": "0"}, true},
		{"max_age older than the sign-in", map[string]string{"max_age": "599"}, true},
		{"max_age the sign-in is within", map[string]string{"max_age": "601"}, false},
		{"login_hint of another user", map[string]string{"login_hint": "other@contoso.com"}, true},
		{"login_hint of an unknown user", map[string]string{"login_hint": "nobody@contoso.com"}, true},
		{"the user's own login_hint, in another case", map[string]string{"login_hint": "WORKER@contoso.com"}, false},
	} {
		var opts []oauth2.AuthCodeOption
		for k, v := range tc.params {
			opts = append(opts, oauth2.SetAuthURLParam(k, v))
		}
		page, code, _ := b.authorize(e.flowFor(a), opts...)
		if (page != "") != tc.page || (code != "") == tc.page {
			t.Errorf("%s: page %v, code %v; want the page %v", tc.name, page != "", code != "", tc.page)
		}
	}
	// prompt=login signs in again: the session continues with the new auth_time.
	e.clock.Advance(time.Minute)
	f := e.flowFor(a)
	_, code := b.signIn(f, e.user, oauth2.SetAuthURLParam("prompt", "login"))
	if c := f.idClaims(t, e, a, code); c["auth_time"] != float64(e.clock.Now().Unix()) {
		t.Errorf("auth_time %v after prompt=login, want %d", c["auth_time"], e.clock.Now().Unix())
	}
	if page, _, _ := b.authorize(e.flowFor(a), oauth2.SetAuthURLParam("max_age", "1")); page != "" {
		t.Error("max_age=1 right after a new sign-in showed the page")
	}
}

// TestSSOPromptNone: prompt=none succeeds with a session and is
// login_required without one, as an error back to the application.
func TestSSOPromptNone(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, "sqlite", withSSO)
	a := e.newApp("Timesheets", webApp)
	b := e.browser()
	none := oauth2.SetAuthURLParam("prompt", "none")
	res := b.get(e.flowFor(a).url(none))
	loc, _ := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusFound || loc == nil || loc.Query().Get("error") != "login_required" ||
		loc.Query().Get("state") != "st-s" || !strings.HasPrefix(loc.String(), webApp.WebRedirectURIs[0]+"?") {
		t.Fatalf("prompt=none without a session: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	b.signIn(e.flowFor(a), e.user)
	if _, code, _ := b.authorize(e.flowFor(a), none); code == "" {
		t.Fatal("prompt=none with a session gave no code")
	}
	res = b.get(e.flowFor(a).url(none, oauth2.SetAuthURLParam("prompt", "none login")))
	if loc, _ := url.Parse(res.Header.Get("Location")); loc == nil || loc.Query().Get("error") != "invalid_request" {
		t.Errorf("prompt=none login: %q", res.Header.Get("Location"))
	}
}

// TestSSOSessionEnds: a session no longer signs in once it expired, the
// user was disabled or their PIN reset (as refresh tokens lapse); the
// page is shown, the cookie cleared, and a session whose user may no
// longer sign in is deleted.
func TestSSOSessionEnds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		end     func(e *env)
		deleted bool
	}{
		{"expired", func(e *env) { e.clock.Advance(ssoLifetime) }, false},
		{"user disabled", func(e *env) {
			if _, err := e.st.UpdateUser(context.Background(), e.user.ID, func(u *store.User) error { u.AccountEnabled = false; return nil }); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"PIN reset", func(e *env) {
			e.clock.Advance(time.Second)
			if _, err := e.st.UpdateMethod(context.Background(), e.user.ID, func(m *method.Method) error { m.PIN.Updated = e.clock.Now(); return nil }); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"method deleted", func(e *env) {
			if err := e.st.DeleteMethod(context.Background(), e.user.ID); err != nil {
				t.Fatal(err)
			}
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnvWith(t, "sqlite", withSSO)
			a := e.newApp("Timesheets", webApp)
			b := e.browser()
			b.signIn(e.flowFor(a), e.user)
			handle := b.cookie()
			e.clock.Advance(time.Minute)
			if _, code, _ := b.authorize(e.flowFor(a)); code == "" {
				t.Fatal("the session did not sign in before it ended")
			}
			tc.end(e)
			page, _, res := b.authorize(e.flowFor(a))
			if page == "" {
				t.Fatal("an ended session signed in")
			}
			if sc := res.Header.Get("Set-Cookie"); !strings.HasPrefix(sc, "qrpin_sso=; Path=/"+testTenant+"/oauth2/; Max-Age=0") || b.cookie() != "" {
				t.Errorf("cookie not cleared: Set-Cookie %q", sc)
			}
			_, err := e.st.GetSSOSession(context.Background(), hashSecret(handle))
			if tc.deleted != (err != nil) {
				t.Errorf("session after it ended: %v (deleted: want %v)", err, tc.deleted)
			}
		})
	}
}

// TestSSOBadCookie: a garbage or unknown cookie is ignored (the page is
// shown, the cookie cleared), at authorize and at logout; never a 500.
func TestSSOBadCookie(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, "sqlite", withSSO)
	a := e.newApp("Timesheets", webApp)
	for _, v := range []string{"garbage", strings.Repeat("A", 26), "%00%ff", strings.Repeat("Z", 4000), hashSecret("x")} {
		b := e.browser()
		b.setCookie(v)
		if page, _, _ := b.authorize(e.flowFor(a)); page == "" {
			t.Errorf("cookie %.20q: no page", v)
		}
		b.setCookie(v)
		res := b.get(e.tenantURL("/oauth2/v2.0/logout"))
		if res.StatusCode != http.StatusOK || b.cookie() != "" {
			t.Errorf("logout with cookie %.20q: %d, cookie left %q", v, res.StatusCode, b.cookie())
		}
	}
}

// receiver is an application's back-channel logout endpoint.
type receiver struct {
	mu     sync.Mutex
	tokens map[string][]string // by path
	url    string
}

func newReceiver(t *testing.T, handle func(w http.ResponseWriter, r *http.Request)) *receiver {
	rc := &receiver{tokens: map[string][]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			http.Error(w, "not a form", http.StatusBadRequest)
			return
		}
		r.ParseForm()
		rc.mu.Lock()
		rc.tokens[r.URL.Path] = append(rc.tokens[r.URL.Path], r.PostForm.Get("logout_token"))
		rc.mu.Unlock()
		if handle != nil {
			handle(w, r)
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	rc.url = srv.URL
	return rc
}

func jsonDecode(res *http.Response, v any) error {
	defer res.Body.Close()
	return json.NewDecoder(res.Body).Decode(v)
}

func (rc *receiver) got(path string) []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.tokens[path]...)
}

// TestSSOLogout: logout ends the session everywhere (row deleted, cookie
// cleared; the next authorize shows the page) and POSTs a logout_token to
// each application the session served that registered a back-channel
// logout URI: signed with a key of the JWKS, every claim checked. An
// application without a URI, and one the session did not serve, get
// nothing.
func TestSSOLogout(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			e := newEnvWith(t, backend, withSSO)
			rc := newReceiver(t, nil)
			a := e.newApp("Timesheets", store.AppSignIn{WebRedirectURIs: webApp.WebRedirectURIs, BackchannelLogoutURL: rc.url + "/a"})
			noURI := e.newApp("Rota", store.AppSignIn{WebRedirectURIs: []string{"https://rota.contoso.com/cb"}})
			e.newApp("Ward", store.AppSignIn{WebRedirectURIs: []string{"https://ward.contoso.com/cb"}, BackchannelLogoutURL: rc.url + "/c"}) // not served
			b := e.browser()
			fa := e.flowFor(a)
			_, code := b.signIn(fa, e.user)
			idc := fa.idClaims(t, e, a, code)
			if _, code, _ := b.authorize(e.flowFor(noURI)); code == "" {
				t.Fatal("no code for the second application")
			}
			handle := b.cookie()

			res := b.get(e.tenantURL("/oauth2/v2.0/logout"))
			if res.StatusCode != http.StatusOK {
				t.Fatalf("logout: %d", res.StatusCode)
			}
			if sc := res.Header.Get("Set-Cookie"); !strings.HasPrefix(sc, "qrpin_sso=; Path=/"+testTenant+"/oauth2/; Max-Age=0") || b.cookie() != "" {
				t.Errorf("logout's Set-Cookie %q", sc)
			}
			if _, err := e.st.GetSSOSession(context.Background(), hashSecret(handle)); err != store.ErrNotFound {
				t.Errorf("session after logout: %v", err)
			}
			if page, _, _ := b.authorize(e.flowFor(a)); page == "" {
				t.Error("signed in after logout")
			}
			b.setCookie(handle) // an old copy of the cookie signs nobody in
			if page, _, _ := b.authorize(e.flowFor(a)); page == "" {
				t.Error("an old copy of the cookie signed in after logout")
			}

			got := rc.got("/a")
			if len(got) != 1 || len(rc.got("/c")) != 0 || len(rc.tokens) != 1 {
				t.Fatalf("notifications %v", rc.tokens)
			}
			claims, header := verifyLogoutToken(t, e, got[0])
			now := e.clock.Now().Unix()
			if claims["iss"] != e.p.Issuer() || claims["aud"] != a.AppID || claims["sub"] != idc["sub"] || claims["sid"] != idc["sid"] ||
				claims["iat"] != float64(now) || claims["exp"] != float64(now+120) || claims["nonce"] != nil ||
				len(claims["jti"].(string)) != 36 || len(claims) != 8 || header["typ"] != "logout+jwt" {
				t.Errorf("logout_token claims %v, header %v", claims, header)
			}
			ev, _ := claims["events"].(map[string]any)
			if inner, ok := ev[BackchannelLogoutEvent].(map[string]any); len(ev) != 1 || !ok || len(inner) != 0 {
				t.Errorf("events %v", claims["events"])
			}

			// A second logout has nothing to end and notifies nobody.
			b.setCookie(handle)
			if res := b.get(e.tenantURL("/oauth2/v2.0/logout")); res.StatusCode != http.StatusOK || len(rc.got("/a")) != 1 {
				t.Errorf("second logout: %d, notifications %d", res.StatusCode, len(rc.got("/a")))
			}
		})
	}
}

// verifyLogoutToken checks the token's signature with the provider's
// JWKS (fetched as an application would) and returns its claims and
// header.
func verifyLogoutToken(t *testing.T, e *env, raw string) (map[string]any, map[string]any) {
	t.Helper()
	res, err := http.Get(e.tenantURL("/discovery/v2.0/keys"))
	if err != nil {
		t.Fatal(err)
	}
	var set jose.JSONWebKeySet
	if err := jsonDecode(res, &set); err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Parse(raw, func(tok *jwt.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		keys := set.Key(kid)
		if len(keys) != 1 {
			t.Fatalf("kid %q is not in the JWKS", kid)
		}
		return keys[0].Key, nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(e.clock.Now))
	if err != nil {
		t.Fatalf("logout_token does not verify: %v", err)
	}
	return tok.Claims.(jwt.MapClaims), tok.Header
}

// TestSSOLogoutSlowReceiver: a receiver that does not answer does not
// hold the logout answer past the bound (BackchannelTimeout): logout
// answers while the receiver, which got the token, still waits, and the
// notification is abandoned.
func TestSSOLogoutSlowReceiver(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	arrived := make(chan struct{})
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		select {
		case <-r.Context().Done(): // the provider gave up
		case <-release:
		}
	})
	defer close(release)
	e := newEnvWith(t, "sqlite", func(c *Config) { withSSO(c); c.BackchannelTimeout = 2 * time.Second })
	a := e.newApp("Timesheets", store.AppSignIn{WebRedirectURIs: webApp.WebRedirectURIs, BackchannelLogoutURL: rc.url + "/slow"})
	b := e.browser()
	b.signIn(e.flowFor(a), e.user)
	res := b.get(e.tenantURL("/oauth2/v2.0/logout")) // would not return if logout waited for the receiver
	if res.StatusCode != http.StatusOK || b.cookie() != "" {
		t.Fatalf("logout: %d", res.StatusCode)
	}
	select {
	case <-arrived:
	default:
		t.Fatal("logout answered before the receiver got its notification")
	}
	if len(rc.got("/slow")) != 1 {
		t.Fatal("the receiver got no token")
	}
}

// TestSSOConfig: the lifetime is bounded.
func TestSSOConfig(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cfg := e.p.cfg
	cfg.SSOSessionLifetime = MaxSSOSessionLifetime
	if _, err := New(cfg); err != nil {
		t.Errorf("lifetime %v refused: %v", MaxSSOSessionLifetime, err)
	}
	for _, d := range []time.Duration{-time.Second, MaxSSOSessionLifetime + time.Second} {
		cfg.SSOSessionLifetime = d
		if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "single sign-on") {
			t.Errorf("lifetime %v: %v", d, err)
		}
	}
}

// TestCallbackBoundToBrowser: the callback gives the code (and, with
// sessions on, the session cookie) only to the browser that made the
// authorization request. A callback link opened in another browser, or
// with a forged binding cookie, ends on the error page without a code or a
// session (login CSRF), and burns the request: the browser that made it
// gets no code either (a link to the sign-in page sent to a worker, whose
// sign-in the sender would collect). In its own browser the request
// completes, and leaves no binding cookie.
func TestCallbackBoundToBrowser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, sso := range []bool{false, true} {
		t.Run(map[bool]string{false: "sessions off", true: "sessions on"}[sso], func(t *testing.T) {
			t.Parallel()
			var tweak func(*Config)
			if sso {
				tweak = withSSO
			}
			e := newEnvWith(t, "sqlite", tweak)
			a := e.newApp("Timesheets", webApp)
			u, _ := url.Parse(e.tenantURL("/oauth2/"))
			// start makes a request in b and completes it, as the page does.
			start := func(b *browser) (id, next string) {
				id, _, _ = b.authorize(e.flowFor(a))
				next, err := e.p.Complete(ctx, id, e.user, e.clock.Now())
				if err != nil {
					t.Fatal(err)
				}
				return id, next
			}
			refused := func(who string, b *browser, id, next string) {
				t.Helper()
				res, err := b.c.Get(next)
				if err != nil {
					t.Fatal(err)
				}
				page := body(res)
				if res.StatusCode != http.StatusBadRequest || res.Header.Get("Location") != "" || !strings.Contains(page, "<code>invalid_request</code>") ||
					len(ssoSetCookies(res)) != 0 || b.cookie() != "" {
					t.Errorf("%s: %d, Location %q, Set-Cookie %q: %s", who, res.StatusCode, res.Header.Get("Location"), res.Header.Values("Set-Cookie"), page)
				}
				if ar, err := e.st.GetAuthRequest(ctx, id); err != nil || ar.CodeHash != "" {
					t.Errorf("%s: the request after the refused callback %+v, %v", who, ar, err)
				}
			}

			own := e.browser()
			id, next := start(own)
			first := id
			refused("another browser", e.browser(), id, next)
			refused("its own browser, after another's callback", own, id, next)

			id, next = start(own)
			name, value := e.p.binding(id)
			forged := e.browser()
			off := "A" // the last character, other than the real one
			if strings.HasSuffix(value, off) {
				off = "B"
			}
			forged.c.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value[:len(value)-1] + off, Path: "/" + testTenant + "/oauth2/"}})
			refused("a forged binding cookie", forged, id, next)

			last, next := start(own)
			res := own.get(next)
			if loc, _ := url.Parse(res.Header.Get("Location")); res.StatusCode != http.StatusFound || loc == nil || loc.Query().Get("code") == "" {
				t.Fatalf("own browser: %d %q", res.StatusCode, res.Header.Get("Location"))
			}
			if sso && own.cookie() == "" {
				t.Error("own browser: no session cookie")
			}
			for _, rid := range []string{first, last} { // called back: refused, or the code
				name, _ := e.p.binding(rid)
				for _, c := range own.c.Jar.Cookies(u) {
					if c.Name == name {
						t.Errorf("own browser keeps the binding cookie %s of a request it called back", c.Name)
					}
				}
			}
		})
	}
}
