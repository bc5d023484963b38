package staff_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/oidc"
	"github.com/qrpin/qrpin/qr"
	"github.com/qrpin/qrpin/staff"
	"github.com/qrpin/qrpin/store"
)

// TestAnonymousRedirectedToSignIn: without a session every page and
// every form answers a redirect to sign in, and nothing else; but sign
// out, which goes on to the provider's logout (its single sign-on
// session, if any, ends).
func TestAnonymousRedirectedToSignIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.team()
	n := len(e.audits())
	b := e.browser()
	for _, path := range []string{"", "?q=ann", "/users/" + e.worker.ID} {
		res, body := b.get(e.url(path))
		if res.StatusCode != http.StatusSeeOther || location(t, res).Path != "/"+tenant+"/staff/login" {
			t.Errorf("GET %s: %d %s, want 303 to /staff/login", path, res.StatusCode, res.Header.Get("Location"))
		}
		if strings.Contains(body, e.worker.DisplayName) {
			t.Errorf("GET %s shows a team member to an anonymous caller", path)
		}
	}
	res, _ := b.do("POST", e.url("/signout"), url.Values{"csrf": {"x"}})
	if res.StatusCode != http.StatusSeeOther || location(t, res).Path != "/"+tenant+"/oauth2/v2.0/logout" {
		t.Errorf("POST /signout: %d %s, want 303 to the provider's logout", res.StatusCode, res.Header.Get("Location"))
	}
	for _, path := range []string{"/users/" + e.worker.ID + "/reset-pin", "/users/" + e.worker.ID + "/unlock",
		"/users/" + e.worker.ID + "/temporary-code", "/users/" + e.worker.ID + "/new-badge"} {
		res, _ := b.do("POST", e.url(path), url.Values{"csrf": {"x"}, "hours": {"8"}})
		if res.StatusCode != http.StatusSeeOther || location(t, res).Path != "/"+tenant+"/staff/login" {
			t.Errorf("POST %s: %d %s, want 303 to /staff/login", path, res.StatusCode, res.Header.Get("Location"))
		}
	}
	res, _ = b.get(e.base + "/00000000-0000-0000-0000-000000000000/staff")
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("another tenant's page: %d, want 404", res.StatusCode)
	}
	if got := e.auditsAfter(n); len(got) != 0 {
		t.Errorf("anonymous requests were audited: %+v", got)
	}
}

// TestSignIn: the page is a relying party of the provider (code flow,
// PKCE S256, state, nonce, the staff application); the callback makes a
// stored session with a short, HttpOnly, SameSite=Lax cookie, and returns
// to the page asked for.
func TestSignIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.team()
	b := e.browser()
	res, _ := b.get(e.url("/login?return=" + url.QueryEscape("/"+tenant+"/staff?q=ann")))
	auth := location(t, res)
	q := auth.Query()
	if res.StatusCode != http.StatusSeeOther || auth.Path != "/"+tenant+"/oauth2/v2.0/authorize" || q.Get("client_id") != admin.StaffAppID ||
		q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" ||
		q.Get("state") == "" || q.Get("nonce") == "" || q.Get("redirect_uri") != staff.CallbackURL(e.base, tenant) {
		t.Fatalf("login: %d, authorize URL %s", res.StatusCode, auth)
	}
	var login *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "qrpin-staff-login" {
			login = c
		}
	}
	if login == nil || !login.HttpOnly || login.SameSite != http.SameSiteLaxMode || login.Path != "/" ||
		strings.Contains(login.Value, q.Get("code_challenge")) {
		t.Fatalf("login cookie %+v", login)
	}
	res, _ = b.get(auth.String())
	id := location(t, res).Query().Get("authRequest")
	next, err := e.p.Complete(context.Background(), id, e.manager.User, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	res, _ = b.get(next)
	cb := location(t, res)

	// Another browser cannot use the code: its state is not its own.
	other := e.browser()
	if res, _ := other.get(cb.String()); res.StatusCode != http.StatusBadRequest {
		t.Errorf("callback in another browser: %d, want 400", res.StatusCode)
	}
	res, _ = b.get(cb.String())
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/"+tenant+"/staff?q=ann" {
		t.Fatalf("callback: %d to %s", res.StatusCode, res.Header.Get("Location"))
	}
	var sess *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "qrpin-staff" {
			sess = c
		}
	}
	if sess == nil || !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode || sess.Path != "/" || sess.Secure ||
		sess.MaxAge != int(staff.DefaultLifetime/time.Second) {
		t.Fatalf("session cookie %+v", sess)
	}
	if _, err := e.st.UpdateStaffSession(context.Background(), hashOf(sess.Value), func(s *store.StaffSession) error {
		if s.UserID != e.manager.ID || !s.Expires.Equal(e.clock.Now().Add(staff.DefaultLifetime)) {
			t.Errorf("stored session %+v", s)
		}
		return nil
	}); err != nil {
		t.Fatalf("the session is not stored by the hash of its cookie: %v", err)
	}
	res, body := b.get(e.url("?q=ann"))
	if res.StatusCode != http.StatusOK || !strings.Contains(body, e.manager.UPN) || !strings.Contains(body, e.worker.DisplayName) {
		t.Fatalf("home after sign-in: %d %s", res.StatusCode, body)
	}
	// The state is used once.
	if res, _ := b.get(cb.String()); res.StatusCode != http.StatusBadRequest {
		t.Errorf("callback replayed: %d, want 400", res.StatusCode)
	}
}

// TestSearch: the team is searched by name, UPN and employee id; people
// outside the unit never show; a long search is refused; a user with no
// role over anybody is told they manage nobody.
func TestSearch(t *testing.T) {
	t.Parallel()
	e, b := signedInManager(t)
	for _, q := range []string{"Ann", "ann.lee@", "E200"} {
		res, body := b.get(e.url("?q=" + url.QueryEscape(q)))
		if res.StatusCode != http.StatusOK || !strings.Contains(body, `href="/`+tenant+`/staff/users/`+e.worker.ID+`"`) ||
			!strings.Contains(body, "1 person matches.") {
			t.Errorf("search %q: %d, worker not found: %s", q, res.StatusCode, body)
		}
	}
	_, body := b.get(e.url("?q="))
	if strings.Contains(body, e.outsider.DisplayName) || strings.Contains(body, e.nb.DisplayName) || !strings.Contains(body, e.worker.DisplayName) {
		t.Errorf("the whole team: %s", body)
	}
	if _, body := b.get(e.url("?q=Otto")); strings.Contains(body, e.outsider.ID) || !strings.Contains(body, "Nobody in your team matches.") {
		t.Errorf("a search for the outsider: %s", body)
	}
	res, _ := b.get(e.url("?q=" + strings.Repeat("a", 101)))
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("a search too long: %d, want 400", res.StatusCode)
	}
	nb := e.browser()
	nb.signIn(e.nb, "")
	res, body = nb.get(e.url(""))
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "You manage nobody") || strings.Contains(body, e.worker.DisplayName) {
		t.Errorf("a user who manages nobody: %d %s", res.StatusCode, body)
	}
}

// TestMemberStatus: a member's page shows the badge's expiry and last
// use and the PIN's lock; a user outside the unit is 403.
func TestMemberStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.team()
	until := e.clock.Now().Add(20 * time.Minute)
	used := e.clock.Now().Add(-2 * time.Hour)
	if _, err := e.st.UpdateMethod(context.Background(), e.worker.ID, func(m *method.Method) error {
		m.Lockout.LockedUntil, m.Lockout.Failures = until, 5
		m.Standard.LastUsed = used
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.signIn(e.manager, "")
	res, body := b.get(e.url("/users/" + e.worker.ID))
	exp := e.method(e.worker).Standard.Expire
	for _, want := range []string{"Yes, expires " + exp.UTC().Format("2 Jan 2006"), used.UTC().Format("2 Jan 2006 15:04 UTC"),
		"Locked until " + until.UTC().Format("2 Jan 2006 15:04 UTC"), `id="unlock"`} {
		if !strings.Contains(body, want) {
			t.Errorf("member page lacks %q: %s", want, body)
		}
	}
	if res.StatusCode != http.StatusOK || res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("member page: %d, Cache-Control %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	res, body = b.get(e.url("/users/" + e.outsider.ID))
	if res.StatusCode != http.StatusForbidden || strings.Contains(body, e.outsider.DisplayName) {
		t.Errorf("outsider's page: %d %s", res.StatusCode, body)
	}
}

var bigPIN = regexp.MustCompile(`id="new-pin"[^>]*>([0-9]+)<`)

// TestResetPIN: the reset shows the new PIN once (no-store), which is the
// stored PIN (temporary); it is audited with the manager as initiator,
// and never logged.
func TestResetPIN(t *testing.T) {
	t.Parallel()
	e, b := signedInManager(t)
	b.get(e.url("/users/" + e.worker.ID))
	res, body := b.post("/users/"+e.worker.ID+"/reset-pin", nil)
	m := bigPIN.FindStringSubmatch(body)
	if res.StatusCode != http.StatusOK || m == nil || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("reset: %d, Cache-Control %q: %s", res.StatusCode, res.Header.Get("Cache-Control"), body)
	}
	stored := e.method(e.worker)
	if ok, _ := e.hasher.Verify(m[1], stored.PIN.Hash); !ok || !stored.PIN.ForceChange {
		t.Errorf("the PIN shown is not the stored temporary PIN (force change %v)", stored.PIN.ForceChange)
	}
	a := e.audits()
	if len(a) == 0 || a[0].Activity != "Reset QR code PIN" || a[0].Result != "success" || a[0].InitiatorID != e.manager.ID ||
		a[0].InitiatorAppID != admin.StaffAppID || a[0].Targets[0].ID != e.worker.ID || a[0].InitiatorAddress != "127.0.0.1" {
		t.Errorf("audit %+v", a)
	}
	if strings.Contains(e.logs.String(), m[1]) || strings.Contains(e.logs.String(), e.manager.PIN) {
		t.Error("a PIN is in the logs")
	}
	if strings.Contains(res.Request.URL.String(), m[1]) {
		t.Error("the PIN is in a URL")
	}
}

// TestUnlock: a locked PIN is unlocked (the PIN kept), audited.
func TestUnlock(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.team()
	if _, err := e.st.UpdateMethod(context.Background(), e.worker.ID, func(m *method.Method) error {
		m.Lockout.LockedUntil, m.Lockout.Failures = e.clock.Now().Add(time.Hour), 5
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	before := e.method(e.worker)
	b := e.browser()
	b.signIn(e.manager, "")
	b.get(e.url("/users/" + e.worker.ID))
	res, body := b.post("/users/"+e.worker.ID+"/unlock", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "The PIN of Ann Lee is unlocked.") || !strings.Contains(body, `id="pin-state">OK<`) {
		t.Fatalf("unlock: %d %s", res.StatusCode, body)
	}
	after := e.method(e.worker)
	if after.Lockout != (method.Lockout{}) || after.PIN.Hash != before.PIN.Hash {
		t.Errorf("after unlock: lockout %+v, PIN changed %v", after.Lockout, after.PIN.Hash != before.PIN.Hash)
	}
	if a := e.audits(); len(a) == 0 || a[0].Activity != "Unlock QR code PIN" || a[0].InitiatorID != e.manager.ID {
		t.Errorf("audit %+v", a)
	}
}

// TestFormsRefused: a form without the session's token, with another
// session's, or sent cross-origin changes nothing.
func TestFormsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.team()
	b, other := e.browser(), e.browser()
	b.signIn(e.manager, "")
	other.signIn(e.manager, "")
	before := e.method(e.worker)
	n := len(e.audits())
	path := "/users/" + e.worker.ID + "/reset-pin"
	for name, form := range map[string]url.Values{
		"no token": {"csrf": {""}}, "a wrong token": {"csrf": {"AAAA"}}, "another session's token": {"csrf": {other.csrf()}},
	} {
		if form.Get("csrf") == "" {
			form = url.Values{}
			res, _ := b.do("POST", e.url(path), form)
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("%s: %d, want 403", name, res.StatusCode)
			}
			continue
		}
		if res, _ := b.post(path, form); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, res.StatusCode)
		}
	}
	req, _ := http.NewRequest("POST", e.url(path), strings.NewReader(url.Values{"csrf": {b.csrf()}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin: %d, want 403", res.StatusCode)
	}
	if after := e.method(e.worker); after.PIN.Hash != before.PIN.Hash {
		t.Error("a refused form reset the PIN")
	}
	if a := e.auditsAfter(n); len(a) != 0 {
		t.Errorf("refused forms were audited as changes: %+v", a)
	}
}

// TestOutsideUnit: a crafted page or form for a user outside the
// manager's unit is 403, changes nothing, and is audited as a failure
// naming the manager (a page asked for again within a minute once).
func TestOutsideUnit(t *testing.T) {
	t.Parallel()
	e, b := signedInManager(t)
	before := e.method(e.outsider)
	n := len(e.audits())
	for range 2 {
		res, body := b.get(e.url("/users/" + e.outsider.ID))
		if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "not in your team") || strings.Contains(body, e.outsider.UPN) {
			t.Errorf("the outsider's page: %d %s", res.StatusCode, body)
		}
	}
	for _, action := range []string{"reset-pin", "unlock", "temporary-code", "new-badge"} {
		res, body := b.post("/users/"+e.outsider.ID+"/"+action, url.Values{"hours": {"8"}})
		if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "not in your team") {
			t.Errorf("%s on the outsider: %d %s", action, res.StatusCode, body)
		}
	}
	after := e.method(e.outsider)
	if after.PIN.Hash != before.PIN.Hash || after.Standard.ID != before.Standard.ID || after.Temporary != nil {
		t.Error("a refused action changed the outsider's method")
	}
	a := e.auditsAfter(n)
	if len(a) != 5 {
		t.Fatalf("audits %+v, want the page's refusal and the 4 forms'", a)
	}
	if a[4].Activity != "Get QR code method" {
		t.Errorf("the first audit is %q, want the page's refusal", a[4].Activity)
	}
	for _, x := range a {
		if x.Result != "failure" || x.InitiatorID != e.manager.ID || len(x.Targets) != 1 || x.Targets[0].ID != e.outsider.ID {
			t.Errorf("audit %+v", x)
		}
	}
}

// TestSessionEnds: a session ends when idle, at its lifetime, and on sign
// out (here and at the provider); each time the next request is sent to
// sign in and the stored session is gone.
func TestSessionEnds(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.team()
	ended := func(b *browser, what string) {
		t.Helper()
		res, _ := b.get(e.url(""))
		if res.StatusCode != http.StatusSeeOther || location(t, res).Path != "/"+tenant+"/staff/login" {
			t.Errorf("%s: %d %s, want 303 to sign in", what, res.StatusCode, res.Header.Get("Location"))
		}
	}
	handle := func(b *browser) string {
		for _, c := range b.jar.Cookies(mustURL(e.base)) {
			if c.Name == "qrpin-staff" {
				return c.Value
			}
		}
		t.Fatal("no session cookie")
		return ""
	}
	gone := func(h, what string) {
		t.Helper()
		if _, err := e.st.UpdateStaffSession(context.Background(), hashOf(h), func(*store.StaffSession) error { return nil }); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: the stored session is still there (%v)", what, err)
		}
	}
	idle := e.browser()
	idle.signIn(e.manager, "")
	idleHandle := handle(idle)
	e.clock.Advance(staff.DefaultIdleTimeout - time.Second)
	if res, _ := idle.get(e.url("")); res.StatusCode != http.StatusOK {
		t.Fatalf("within the idle timeout: %d", res.StatusCode)
	}
	e.clock.Advance(staff.DefaultIdleTimeout)
	ended(idle, "idle")
	gone(idleHandle, "idle")

	old := e.browser()
	old.signIn(e.manager, "")
	oldHandle := handle(old)
	for end := e.clock.Now().Add(staff.DefaultLifetime); e.clock.Now().Add(5 * time.Minute).Before(end); {
		e.clock.Advance(5 * time.Minute)
		if res, _ := old.get(e.url("")); res.StatusCode != http.StatusOK {
			t.Fatalf("a session in use before its lifetime: %d", res.StatusCode)
		}
	}
	e.clock.Advance(5 * time.Minute)
	ended(old, "past its lifetime")
	gone(oldHandle, "past its lifetime")

	out := e.browser()
	out.signIn(e.manager, "")
	outHandle := handle(out)
	out.get(e.url(""))
	res, _ := out.post("/signout", nil)
	lo := location(t, res)
	if res.StatusCode != http.StatusSeeOther || lo.Path != "/"+tenant+"/oauth2/v2.0/logout" || lo.Query().Get("client_id") != admin.StaffAppID ||
		lo.Query().Get("post_logout_redirect_uri") != staff.SignedOutURL(e.base, tenant) {
		t.Fatalf("sign out: %d to %s", res.StatusCode, lo)
	}
	res, _ = out.get(lo.String())
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != staff.SignedOutURL(e.base, tenant) {
		t.Fatalf("provider logout: %d to %s", res.StatusCode, res.Header.Get("Location"))
	}
	res, body := out.get(res.Header.Get("Location"))
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "You are signed out") {
		t.Errorf("signed-out page: %d", res.StatusCode)
	}
	ended(out, "signed out")
	gone(outHandle, "signed out")
}

// TestSecureCookies: served at an https public URL, the page's cookies
// are __Host- prefixed and Secure, and its redirects name that URL.
func TestSecureCookies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h := *e.staff
	h.PublicURL = "https://staff.example"
	mux := http.NewServeMux()
	h.Register(mux)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/"+tenant+"/staff/login", nil))
	res := rec.Result()
	cs := res.Cookies()
	if len(cs) != 1 || cs[0].Name != "__Host-qrpin-staff-login" || !cs[0].Secure || !cs[0].HttpOnly || cs[0].Path != "/" || cs[0].Domain != "" {
		t.Errorf("cookies %+v", cs)
	}
	if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "https://staff.example/"+tenant+"/oauth2/v2.0/authorize?") ||
		!strings.Contains(loc, url.QueryEscape("https://staff.example/"+tenant+"/staff/callback")) {
		t.Errorf("Location %s", loc)
	}
	// A stored session is the page's under the prefixed name only.
	e.team()
	handle, now := strings.Repeat("A", 26), e.clock.Now()
	if err := e.st.CreateStaffSession(context.Background(), store.StaffSession{ID: hashOf(handle), UserID: e.manager.ID,
		AuthTime: now, Created: now, LastSeen: now, Expires: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]int{"qrpin-staff": http.StatusSeeOther, "__Host-qrpin-staff": http.StatusOK} {
		req := httptest.NewRequest("GET", "/"+tenant+"/staff", nil)
		req.AddCookie(&http.Cookie{Name: name, Value: handle})
		rec = httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("the session as cookie %s over https: %d, want %d", name, rec.Code, want)
		}
	}
}

// TestSignOutEndsSSO: with the provider's single sign-on sessions on, a
// sign-in to the page starts one (a second authorization needs no badge);
// signing out of the page ends it, so the next person signs in afresh. A
// fresh sign-in for a sensitive action skips the session too.
func TestSignOutEndsSSO(t *testing.T) {
	t.Parallel()
	e := newEnvOn(t, openStore(t, "sqlite"), nil, func(c *oidc.Config) { c.SSOSessionLifetime = time.Hour })
	e.team()
	b := e.browser()
	b.signIn(e.manager, "")
	toSignInPage := func(path string) bool {
		t.Helper()
		res, _ := b.get(e.url(path))
		res, _ = b.get(location(t, res).String())
		if res.StatusCode != http.StatusFound {
			t.Fatalf("authorize: %d", res.StatusCode)
		}
		return location(t, res).Path == "/"+tenant+"/signin"
	}
	if toSignInPage("/login") {
		t.Fatal("with a single sign-on session, authorize showed the sign-in page")
	}
	if !toSignInPage("/login?fresh=1") {
		t.Error("a fresh sign-in was answered by the single sign-on session")
	}
	b.get(e.url(""))
	res, _ := b.post("/signout", nil)
	b.get(location(t, res).String())
	if !toSignInPage("/login") {
		t.Error("after signing out, authorize did not show the sign-in page")
	}
}

// TestRecentSignIn: a sensitive action after a sign-in older than
// auth.RecentSignIn sends the manager to sign in again with badge and PIN
// (prompt=login, max_age=0, login_hint), changing nothing; after that the
// action goes through. Unlocking needs no fresh sign-in.
func TestRecentSignIn(t *testing.T) {
	t.Parallel()
	e, b := signedInManager(t)
	for range 3 {
		e.clock.Advance(4 * time.Minute)
		b.get(e.url("/users/" + e.worker.ID))
	}
	before := e.method(e.worker)
	for _, action := range []string{"reset-pin", "temporary-code", "new-badge"} {
		res, _ := b.post("/users/"+e.worker.ID+"/"+action, url.Values{"hours": {"8"}})
		loc := location(t, res)
		if res.StatusCode != http.StatusSeeOther || loc.Path != "/"+tenant+"/staff/login" || loc.Query().Get("fresh") != "1" ||
			loc.Query().Get("return") != "/"+tenant+"/staff/users/"+e.worker.ID {
			t.Fatalf("%s after 12 minutes: %d to %s", action, res.StatusCode, loc)
		}
	}
	if after := e.method(e.worker); after.PIN.Hash != before.PIN.Hash || after.Temporary != nil || after.Standard.ID != before.Standard.ID {
		t.Fatal("an action needing a fresh sign-in changed the method")
	}
	if res, _ := b.post("/users/"+e.worker.ID+"/unlock", nil); res.StatusCode != http.StatusOK {
		t.Errorf("unlock after 12 minutes: %d, want 200", res.StatusCode)
	}
	authURL := b.signIn(e.manager, "/login?fresh=1&return="+url.QueryEscape("/"+tenant+"/staff/users/"+e.worker.ID))
	q := authURL.Query()
	if q.Get("prompt") != "login" || q.Get("max_age") != "0" || q.Get("login_hint") != e.manager.UPN {
		t.Errorf("fresh sign-in request %s", authURL)
	}
	b.get(e.url("/users/" + e.worker.ID))
	if res, _ := b.post("/users/"+e.worker.ID+"/reset-pin", nil); res.StatusCode != http.StatusOK {
		t.Errorf("reset after a fresh sign-in: %d", res.StatusCode)
	}
}

var qrImage = regexp.MustCompile(`id="qr" class="qr" src="data:image/png;base64,([^"]+)"`)

// TestTemporaryCode: a temporary code of the hours asked is stored and
// shown once as a QR image whose payload is the code; bad hours are 400.
func TestTemporaryCode(t *testing.T) {
	t.Parallel()
	e, b := signedInManager(t)
	for _, h := range []string{"", "0", "13", "x"} {
		if res, _ := b.post("/users/"+e.worker.ID+"/temporary-code", url.Values{"hours": {h}}); res.StatusCode != http.StatusBadRequest {
			t.Errorf("hours %q: %d, want 400", h, res.StatusCode)
		}
	}
	res, body := b.post("/users/"+e.worker.ID+"/temporary-code", url.Values{"hours": {"4"}})
	if res.StatusCode != http.StatusOK || res.Header.Get("Cache-Control") != "no-store" || qrImage.FindStringSubmatch(body) == nil {
		t.Fatalf("temporary code: %d %s", res.StatusCode, body)
	}
	p := decodePage(t, body)
	m := e.method(e.worker)
	if m.Temporary == nil || p.CodeID != m.Temporary.ID || !m.Temporary.Expire.Equal(e.clock.Now().Add(4*time.Hour)) ||
		!qr.Verify(e.svc.Pepper, p.Secret, m.Temporary.Verifier) {
		t.Fatalf("stored temporary code %+v, shown %+v", m.Temporary, p)
	}
	if strings.Contains(e.logs.String(), string(p.Secret)) {
		t.Error("the code's secret is logged")
	}
	if a := e.audits(); len(a) == 0 || a[0].Activity != "Add QR code" || a[0].InitiatorID != e.manager.ID {
		t.Errorf("audit %+v", a)
	}
}

// TestNewBadge: the lost badge is revoked, a new one stored and shown,
// with its one-badge PDF.
func TestNewBadge(t *testing.T) {
	t.Parallel()
	e, b := signedInManager(t)
	old := e.method(e.worker).Standard
	res, body := b.post("/users/"+e.worker.ID+"/new-badge", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `href="data:application/pdf;base64,JVBER`) {
		t.Fatalf("new badge: %d %s", res.StatusCode, body)
	}
	p := decodePage(t, body)
	m := e.method(e.worker)
	if m.Standard == nil || m.Standard.ID == old.ID || p.CodeID != m.Standard.ID || !qr.Verify(e.svc.Pepper, p.Secret, m.Standard.Verifier) {
		t.Fatalf("stored badge %+v (old %s), shown %+v", m.Standard, old.ID, p)
	}
	a := e.audits()
	if len(a) < 2 || a[0].Activity != "Add QR code" || a[1].Activity != "Delete QR code" {
		t.Errorf("audits %+v", a)
	}
}

// TestSecurityHeaders: every page has the strict CSP and no-store.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	e, b := signedInManager(t)
	for _, path := range []string{"", "/users/" + e.worker.ID, "/signed-out", "/login"} {
		res, _ := b.get(e.url(path))
		csp := res.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") ||
			res.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: CSP %q, Cache-Control %q", path, csp, res.Header.Get("Cache-Control"))
		}
	}
	for _, name := range []string{"staff.css", "staff.js"} {
		if res, _ := b.get(e.url("/assets/" + name)); res.StatusCode != http.StatusOK {
			t.Errorf("asset %s: %d", name, res.StatusCode)
		}
	}
	if res, _ := b.get(e.url("/assets/nope.js")); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown asset: %d", res.StatusCode)
	}
}

// TestSessionsShared: two servers on one PostgreSQL share the sessions:
// signed in through one, the manager is signed in on the other, and a
// sign-out through one ends it on both.
func TestSessionsShared(t *testing.T) {
	t.Parallel()
	st := openStore(t, "postgres")
	a := newEnvOn(t, st, nil)
	a.team()
	b := newEnvOn(t, st, a.clock)
	// Both servers have their own address; the browser takes the cookie of
	// one to the other, as behind one load balancer.
	ba := a.browser()
	ba.signIn(a.manager, "")
	var handle string
	for _, c := range ba.jar.Cookies(mustURL(a.base)) {
		if c.Name == "qrpin-staff" {
			handle = c.Value
		}
	}
	bb := b.browser()
	bb.jar.SetCookies(mustURL(b.base), []*http.Cookie{{Name: "qrpin-staff", Value: handle, Path: "/"}})
	if res, body := bb.get(b.url("")); res.StatusCode != http.StatusOK || !strings.Contains(body, a.manager.UPN) {
		t.Fatalf("the other server: %d", res.StatusCode)
	}
	ba.get(a.url(""))
	ba.post("/signout", nil)
	if res, _ := bb.get(b.url("")); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the other server after a sign-out: %d, want 303", res.StatusCode)
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// TestBounded: a form body over the page's limit and a user key too long
// are 400, and change nothing.
func TestBounded(t *testing.T) {
	t.Parallel()
	e, b := signedInManager(t)
	before := e.method(e.worker)
	res, _ := b.post("/users/"+e.worker.ID+"/reset-pin", url.Values{"csrf": {b.csrf()}, "pad": {strings.Repeat("x", 32<<10)}})
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("a form of 32 KiB: %d, want 400", res.StatusCode)
	}
	if e.method(e.worker).PIN.Hash != before.PIN.Hash {
		t.Error("the oversized form reset the PIN")
	}
	if res, _ := b.get(e.url("/users/" + strings.Repeat("a", 300))); res.StatusCode != http.StatusBadRequest {
		t.Errorf("a user key of 300 bytes: %d, want 400", res.StatusCode)
	}
}

// TestSignOutAfterIdle: a session that ended (idle) while its page was
// shown still signs out at the provider: the browser is sent to the
// provider's logout, not to sign in, which the single sign-on session
// would have answered with the manager's sign-in. A sign-out with the
// session's cookie needs its form token.
func TestSignOutAfterIdle(t *testing.T) {
	t.Parallel()
	e := newEnvOn(t, openStore(t, "sqlite"), nil, func(c *oidc.Config) { c.SSOSessionLifetime = 2 * time.Hour })
	e.team()
	b := e.browser()
	b.signIn(e.manager, "")
	b.get(e.url(""))
	token := b.csrf()
	if res, _ := b.post("/signout", url.Values{"csrf": {"AAAA"}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("sign out with a wrong form token: %d, want 403", res.StatusCode)
	}
	if res, _ := b.get(e.url("")); res.StatusCode != http.StatusOK {
		t.Fatalf("the session after a refused sign out: %d", res.StatusCode)
	}
	e.clock.Advance(staff.DefaultIdleTimeout + time.Second)
	res, _ := b.post("/signout", url.Values{"csrf": {token}})
	lo := location(t, res)
	if res.StatusCode != http.StatusSeeOther || lo.Path != "/"+tenant+"/oauth2/v2.0/logout" {
		t.Fatalf("sign out of an idle session: %d to %s, want the provider's logout", res.StatusCode, lo)
	}
	b.get(lo.String())
	res, _ = b.get(e.url("/login"))
	res, _ = b.get(location(t, res).String())
	if res.StatusCode != http.StatusFound || location(t, res).Path != "/"+tenant+"/signin" {
		t.Errorf("after signing out, authorize answered %d to %s, want the sign-in page", res.StatusCode, res.Header.Get("Location"))
	}
}

// TestReturnOnlyToThePage: after the sign-in, the browser returns to the
// page asked for only when it is one of the staff page's own paths; any
// other return value (another site, another path of the server, a path
// that a redirect resolves elsewhere, one too long) returns to the home.
func TestReturnOnlyToThePage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.team()
	home := "/" + tenant + "/staff"
	for _, tc := range []struct{ ret, want string }{
		{home + "/users/abc?x=1", home + "/users/abc?x=1"},
		{home, home},
		{"https://evil.example/" + tenant + "/staff", home},
		{"//evil.example/" + tenant + "/staff", home},
		{"/\\evil.example/" + tenant + "/staff", home},
		{`javascript:alert(1)`, home},
		{home + "x", home},
		{"/" + tenant + "/signin", home},
		{home + "/../../evil", home},
		{home + "//evil.example", home},
		{home + "/users/" + strings.Repeat("a", 1100), home},
	} {
		b := e.browser()
		res, _ := b.get(e.url("/login?return=" + url.QueryEscape(tc.ret)))
		res, _ = b.get(location(t, res).String())
		next, err := e.p.Complete(context.Background(), location(t, res).Query().Get("authRequest"), e.manager.User, e.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		res, _ = b.get(next)
		res, _ = b.get(location(t, res).String())
		if got := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || got != tc.want {
			t.Errorf("return %q: %d to %q, want %q", tc.ret, res.StatusCode, got, tc.want)
		}
	}
}

// TestManagerChanges: the next request sees a change to the manager: with
// their role over the unit removed, the member's page is 403 and the home
// says they manage nobody; once disabled, the session ends (the next
// request is sent to sign in and the stored session is gone).
func TestManagerChanges(t *testing.T) {
	t.Parallel()
	e, b := signedInManager(t)
	if res, _ := b.get(e.url("/users/" + e.worker.ID)); res.StatusCode != http.StatusOK {
		t.Fatalf("the worker's page: %d", res.StatusCode)
	}
	as, err := e.st.ListRoleAssignments(context.Background(), e.manager.ID)
	if err != nil || len(as) != 1 {
		t.Fatalf("the manager's assignments %+v %v", as, err)
	}
	if err := e.svc.DeleteRoleAssignment(context.Background(), local, as[0].ID); err != nil {
		t.Fatal(err)
	}
	if res, body := b.get(e.url("/users/" + e.worker.ID)); res.StatusCode != http.StatusForbidden || strings.Contains(body, e.worker.UPN) {
		t.Errorf("the worker's page after the role was removed: %d", res.StatusCode)
	}
	if res, body := b.get(e.url("")); res.StatusCode != http.StatusOK || !strings.Contains(body, "You manage nobody") {
		t.Errorf("the home after the role was removed: %d %s", res.StatusCode, body)
	}

	var handle string
	for _, c := range b.jar.Cookies(mustURL(e.base)) {
		if c.Name == "qrpin-staff" {
			handle = c.Value
		}
	}
	if _, err := e.st.UpdateUser(context.Background(), e.manager.ID, func(u *store.User) error { u.AccountEnabled = false; return nil }); err != nil {
		t.Fatal(err)
	}
	res, _ := b.get(e.url(""))
	if res.StatusCode != http.StatusSeeOther || location(t, res).Path != "/"+tenant+"/staff/login" {
		t.Errorf("a disabled manager's request: %d %s, want 303 to sign in", res.StatusCode, res.Header.Get("Location"))
	}
	if _, err := e.st.UpdateStaffSession(context.Background(), hashOf(handle), func(*store.StaffSession) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a disabled manager's session is still stored (%v)", err)
	}
}

// TestManagerPINResetEndsSession: IT resetting the manager's PIN (their
// badge and PIN stolen) ends the page sessions signed in before it, as it
// ends the provider's refresh tokens: the next request is sent to sign in
// and the stored session is gone.
func TestManagerPINResetEndsSession(t *testing.T) {
	t.Parallel()
	e, b := signedInManager(t)
	if res, _ := b.get(e.url("/users/" + e.worker.ID)); res.StatusCode != http.StatusOK {
		t.Fatalf("the worker's page: %d", res.StatusCode)
	}
	var handle string
	for _, c := range b.jar.Cookies(mustURL(e.base)) {
		if c.Name == "qrpin-staff" {
			handle = c.Value
		}
	}
	e.clock.Advance(time.Minute)
	if _, err := e.svc.ResetPIN(context.Background(), local, admin.UserRef{Key: e.manager.ID}); err != nil {
		t.Fatal(err)
	}
	res, _ := b.get(e.url("/users/" + e.worker.ID))
	if res.StatusCode != http.StatusSeeOther || location(t, res).Path != "/"+tenant+"/staff/login" {
		t.Errorf("a request after the manager's PIN reset: %d %s, want 303 to sign in", res.StatusCode, res.Header.Get("Location"))
	}
	if _, err := e.st.UpdateStaffSession(context.Background(), hashOf(handle), func(*store.StaffSession) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the session is still stored after the manager's PIN reset (%v)", err)
	}
}

// TestEndedSessionNotResumedBySSO: with the provider's single sign-on
// sessions on, a sign-in right after one with the badge needs none, but
// once the page's session ended (idle), the next sign-in asks for the
// badge again: the authorization request's max_age is the idle timeout.
func TestEndedSessionNotResumedBySSO(t *testing.T) {
	t.Parallel()
	e := newEnvOn(t, openStore(t, "sqlite"), nil, func(c *oidc.Config) { c.SSOSessionLifetime = 2 * time.Hour })
	e.team()
	b := e.browser()
	authURL := b.signIn(e.manager, "")
	if got := authURL.Query().Get("max_age"); got != strconv.Itoa(int(staff.DefaultIdleTimeout/time.Second)) {
		t.Errorf("max_age %q, want the idle timeout", got)
	}
	toSignInPage := func() bool {
		t.Helper()
		res, _ := b.get(e.url("/login"))
		res, _ = b.get(location(t, res).String())
		if res.StatusCode != http.StatusFound {
			t.Fatalf("authorize: %d", res.StatusCode)
		}
		return location(t, res).Path == "/"+tenant+"/signin"
	}
	if toSignInPage() {
		t.Fatal("right after a sign-in, the single sign-on session did not sign in")
	}
	e.clock.Advance(staff.DefaultIdleTimeout + time.Second)
	if res, _ := b.get(e.url("")); res.StatusCode != http.StatusSeeOther || location(t, res).Path != "/"+tenant+"/staff/login" {
		t.Fatalf("an idle session: %d, want 303 to sign in", res.StatusCode)
	}
	if !toSignInPage() {
		t.Error("after the session ended, the single sign-on session signed the manager in without the badge")
	}
}
