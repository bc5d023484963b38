package oidc

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/signin"
	"github.com/qrpin/qrpin/store"
)

// accessToken signs the worker in to a and returns the token response.
func (e *env) tokens(a app, uri string) *oauth2.Token {
	e.t.Helper()
	code, verifier, cfg := e.signIn(a, uri)
	tok, err := cfg.Exchange(context.Background(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// TestUserinfo is oidcc-userinfo-get, -post-header and -post-body: the
// user of a Graph access token, with the application's pairwise sub;
// anything else is a bearer token error.
func TestUserinfo(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newApp("Timesheets", webApp)
	tok := e.tokens(a, webApp.WebRedirectURIs[0])
	ui := e.base + UserinfoPath
	get := func(token string) *http.Request {
		r, _ := http.NewRequest(http.MethodGet, ui, nil)
		r.Header.Set("Authorization", "Bearer "+token)
		return r
	}
	postHeader := func(token string) *http.Request {
		r, _ := http.NewRequest(http.MethodPost, ui, nil)
		r.Header.Set("Authorization", "Bearer "+token)
		return r
	}
	postBody := func(token string) *http.Request {
		r, _ := http.NewRequest(http.MethodPost, ui, strings.NewReader(url.Values{"access_token": {token}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	}
	appTok := func() string {
		cfg := e.oauth2(a, webApp.WebRedirectURIs[0], "openid", a.AppID+"/.default")
		v := oauth2.GenerateVerifier()
		loc := e.finish(e.startAuthorize(cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(v))), e.user)
		t2, err := cfg.Exchange(context.Background(), loc.Query().Get("code"), oauth2.VerifierOption(v))
		if err != nil {
			t.Fatal(err)
		}
		return t2.AccessToken
	}()
	tests := []struct {
		name   string
		req    *http.Request
		status int
	}{
		{"oidcc-userinfo-get", get(tok.AccessToken), 200},
		{"oidcc-userinfo-post-header", postHeader(tok.AccessToken), 200},
		{"oidcc-userinfo-post-body", postBody(tok.AccessToken), 200},
		{"ID token instead of the access token", get(tok.Extra("id_token").(string)), 401},
		{"the application's own token (not Graph's)", get(appTok), 401},
		{"tampered token", get(tok.AccessToken[:len(tok.AccessToken)-4] + "AAAA"), 401},
		{"no token", func() *http.Request { r, _ := http.NewRequest(http.MethodGet, ui, nil); return r }(), 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := e.http.Do(tc.req)
			if err != nil {
				t.Fatal(err)
			}
			v := readJSON(t, res)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d %v, want %d", res.StatusCode, v, tc.status)
			}
			if tc.status != 200 {
				if !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("WWW-Authenticate %q", res.Header.Get("WWW-Authenticate"))
				}
				return
			}
			want := map[string]any{"sub": e.p.pairwise(a.AppID, e.user.ID), "oid": e.user.ID, "tid": testTenant,
				"name": e.user.DisplayName, "preferred_username": e.user.UPN}
			if len(v) != len(want) {
				t.Errorf("userinfo %v, want %v", v, want)
			}
			for k, w := range want {
				if v[k] != w {
					t.Errorf("userinfo %s = %v, want %v", k, v[k], w)
				}
			}
		})
	}
}

// TestPairwiseSubject: one user has another sub in each application.
func TestPairwiseSubject(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := e.newApp("A", webApp), e.newApp("B", webApp)
	sa, sb := e.p.pairwise(a.AppID, e.user.ID), e.p.pairwise(b.AppID, e.user.ID)
	if sa == sb || len(sa) != 43 || sa != e.p.pairwise(strings.ToUpper(a.AppID), e.user.ID) {
		t.Errorf("subjects %q and %q", sa, sb)
	}
}

// TestFormPost is oidcc-response-mode-form-post end to end: the code
// comes back in an auto-submitting form to the redirect URI.
func TestFormPost(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newApp("Timesheets", webApp)
	cfg := e.oauth2(a, webApp.WebRedirectURIs[0])
	id := e.startAuthorize(cfg.AuthCodeURL("st-9", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()),
		oauth2.SetAuthURLParam("response_mode", "form_post")))
	next, err := e.p.Complete(context.Background(), id, e.user, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	res := e.get(next)
	page := body(res)
	if res.StatusCode != 200 || !strings.Contains(page, `action="`+webApp.WebRedirectURIs[0]+`"`) ||
		!strings.Contains(page, `name="code"`) || !strings.Contains(page, `value="st-9"`) {
		t.Errorf("status %d, page %s", res.StatusCode, page)
	}
}

// TestPendingComplete: the sign-in page's view of a request.
func TestPendingComplete(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	a := e.newApp("Timesheets", webApp)
	cfg := e.oauth2(a, webApp.WebRedirectURIs[0])
	ch := oauth2.S256ChallengeOption(oauth2.GenerateVerifier())

	id := e.startAuthorize(cfg.AuthCodeURL("s", ch, oauth2.SetAuthURLParam("login_hint", "WORKER@contoso.com")))
	pd, err := e.p.Pending(ctx, id)
	if err != nil || pd != (signin.Pending{AppName: "Timesheets", UserID: e.user.ID, UPN: e.user.UPN, AppID: a.AppID,
		Resource: "Microsoft Graph", Flow: FlowAuthorizationCode}) {
		t.Fatalf("Pending: %+v, %v", pd, err)
	}
	other := e.newUser("other@contoso.com")
	if _, err := e.p.Complete(ctx, id, other, e.clock.Now()); !isKind(err, apperr.Forbidden) {
		t.Errorf("Complete for another user than the hint's: %v", err)
	}
	// A disabled user, or none (a zero User), completes no request; the
	// request still waits, unchanged.
	before, err := e.st.GetAuthRequest(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	noHint := e.startAuthorize(cfg.AuthCodeURL("s", ch))
	disabled, err := e.st.UpdateUser(ctx, other.ID, func(u *store.User) error { u.AccountEnabled = false; return nil })
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		what, request string
		user          store.User
	}{
		{"a disabled user", noHint, disabled},
		{"no user", noHint, store.User{AccountEnabled: true}},
		{"a disabled user, another than the hint's", id, disabled},
	} {
		if _, err := e.p.Complete(ctx, tc.request, tc.user, e.clock.Now()); !isKind(err, apperr.Forbidden) {
			t.Errorf("Complete for %s: %v, want Forbidden", tc.what, err)
		}
	}
	if after, err := e.st.GetAuthRequest(ctx, id); err != nil || !reflect.DeepEqual(after, before) {
		t.Errorf("request after refused Completes: %+v, %v; want %+v", after, err, before)
	}
	if ar, err := e.st.GetAuthRequest(ctx, noHint); err != nil || ar.UserID != "" || ar.Redeemed {
		t.Errorf("request without a hint after refused Completes: %+v, %v", ar, err)
	}
	next, err := e.p.Complete(ctx, id, e.user, e.clock.Now())
	if err != nil || next != e.tenantURL("/oauth2/v2.0/authorize/callback?id="+id) {
		t.Fatalf("Complete: %q, %v", next, err)
	}
	for _, what := range []string{"Pending", "Complete"} {
		var err error
		if what == "Pending" {
			_, err = e.p.Pending(ctx, id)
		} else {
			_, err = e.p.Complete(ctx, id, e.user, e.clock.Now())
		}
		if !isKind(err, apperr.NotFound) {
			t.Errorf("%s of a completed request: %v, want NotFound", what, err)
		}
	}
	// The callback gives one code, once.
	res := e.get(next)
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("callback: %d", res.StatusCode)
	}
	res = e.get(next)
	if page := body(res); res.StatusCode != 400 || res.Header.Get("Location") != "" {
		t.Errorf("second callback: %d %q %s", res.StatusCode, res.Header.Get("Location"), page)
	}

	// A hint naming no user: the request shows, no badge matches.
	id = e.startAuthorize(cfg.AuthCodeURL("s", ch, oauth2.SetAuthURLParam("login_hint", "nobody@contoso.com")))
	if pd, err := e.p.Pending(ctx, id); err != nil || pd != (signin.Pending{AppName: "Timesheets", UPN: "nobody@contoso.com",
		AppID: a.AppID, Resource: "Microsoft Graph", Flow: FlowAuthorizationCode}) {
		t.Errorf("Pending with an unknown hint: %+v, %v", pd, err)
	}
	if _, err := e.p.Complete(ctx, id, e.user, e.clock.Now()); !isKind(err, apperr.Forbidden) {
		t.Errorf("Complete with an unknown hint: %v", err)
	}
	// An expired or unknown request; a callback before the sign-in.
	id = e.startAuthorize(cfg.AuthCodeURL("s", ch))
	res = e.get(e.tenantURL("/oauth2/v2.0/authorize/callback?id=" + id))
	res.Body.Close()
	if loc, _ := url.Parse(res.Header.Get("Location")); res.StatusCode != 302 || loc.Query().Get("error") != "interaction_required" {
		t.Errorf("callback before the sign-in: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	// That request is over: no sign-in completes it (polling the callback
	// cannot wait for one).
	if _, err := e.p.Complete(ctx, id, e.user, e.clock.Now()); !isKind(err, apperr.NotFound) {
		t.Errorf("Complete after a callback before the sign-in: %v, want NotFound", err)
	}
	e.clock.Advance(DefaultRequestTTL)
	for _, rid := range []string{id, "unknown"} {
		if _, err := e.p.Pending(ctx, rid); !isKind(err, apperr.NotFound) {
			t.Errorf("Pending(%s): %v, want NotFound", rid, err)
		}
	}
}

// TestPendingNamesTheRequestsApplication: the sign-in page's steps show
// the application and resource as they were when the request was made,
// kept with the request (no application read); a request stored without
// them (by an earlier version) is described from the application.
func TestPendingNamesTheRequestsApplication(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	a := e.newApp("Timesheets", webApp)
	cfg := e.oauth2(a, webApp.WebRedirectURIs[0])
	id := e.startAuthorize(cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	if ar, err := e.st.GetAuthRequest(ctx, id); err != nil || ar.AppName != "Timesheets" || ar.Resource != "Microsoft Graph" {
		t.Fatalf("stored request: %+v, %v", ar, err)
	}
	if _, err := e.st.UpdateApplication(ctx, a.ID, func(x *store.Application) error { x.DisplayName = "Rota"; return nil }); err != nil {
		t.Fatal(err)
	}
	want := signin.Pending{AppID: a.AppID, AppName: "Timesheets", Resource: "Microsoft Graph", Flow: FlowAuthorizationCode}
	if pd, err := e.p.Pending(ctx, id); err != nil || pd != want {
		t.Fatalf("Pending after a rename: %+v, %v; want %+v", pd, err, want)
	}
	if _, err := e.st.UpdateAuthRequest(ctx, id, func(ar *store.AuthRequest) error {
		ar.AppName, ar.Resource = "", ""
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want.AppName = "Rota"
	if pd, err := e.p.Pending(ctx, id); err != nil || pd != want {
		t.Fatalf("Pending of a request without its application's name: %+v, %v; want %+v", pd, err, want)
	}
	if err := e.st.DeleteApplication(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.Pending(ctx, id); !isKind(err, apperr.NotFound) {
		t.Fatalf("Pending of a request without its application's name, the application deleted: %v, want NotFound", err)
	}
}

func isKind(err error, k apperr.Kind) bool {
	ae, ok := apperr.As(err)
	return ok && ae.Kind == k
}

// TestLogout: RP-initiated logout goes back only to a registered URI.
func TestLogout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newApp("Timesheets", webApp)
	tok := e.tokens(a, webApp.WebRedirectURIs[0])
	idToken := tok.Extra("id_token").(string)
	tests := []struct {
		name string
		q    url.Values
		want string // the Location; "" for the signed-out page
	}{
		{"web.logoutUrl with client_id and state", url.Values{"client_id": {a.AppID}, "post_logout_redirect_uri": {webApp.WebLogoutURL}, "state": {"x"}},
			webApp.WebLogoutURL + "?state=x"},
		{"a redirect URI with id_token_hint", url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {webApp.WebRedirectURIs[0]}},
			webApp.WebRedirectURIs[0]},
		{"an unregistered URI", url.Values{"client_id": {a.AppID}, "post_logout_redirect_uri": {"https://evil.example/"}}, ""},
		{"a near miss", url.Values{"client_id": {a.AppID}, "post_logout_redirect_uri": {webApp.WebLogoutURL + "/"}}, ""},
		{"no client named", url.Values{"post_logout_redirect_uri": {webApp.WebLogoutURL}}, ""},
		{"nothing", url.Values{}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e.get(e.tenantURL("/oauth2/v2.0/logout?" + tc.q.Encode()))
			page := body(res)
			if tc.want != "" {
				if res.StatusCode != http.StatusFound || res.Header.Get("Location") != tc.want {
					t.Errorf("status %d Location %q, want %s", res.StatusCode, res.Header.Get("Location"), tc.want)
				}
				return
			}
			if res.StatusCode != 200 || res.Header.Get("Location") != "" || !strings.Contains(page, "signed out") {
				t.Errorf("status %d Location %q: %s", res.StatusCode, res.Header.Get("Location"), page)
			}
		})
	}
}

// TestDeviceCode: the device code flow, for fallback public clients only:
// pending until the worker signs in at the verification page, then the
// tokens, once.
func TestDeviceCode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	kiosk := e.newApp("Kiosk", nativeApp)
	web := e.newApp("Timesheets", webApp)

	res, v := e.postForm(e.tenantURL("/oauth2/v2.0/devicecode"), url.Values{"client_id": {web.AppID}, "scope": {"openid"}})
	wantOAuthError(t, res, v, 400, "unauthorized_client")
	res, v = e.postForm(e.tenantURL("/oauth2/v2.0/devicecode"), url.Values{"client_id": {kiosk.AppID}, "scope": {"openid profile offline_access"}})
	if res.StatusCode != 200 || v["device_code"] == nil || v["interval"] != float64(5) || v["expires_in"] != float64(900) ||
		v["verification_uri"] != e.tenantURL("/oauth2/v2.0/deviceauth") {
		t.Fatalf("devicecode: %d %v", res.StatusCode, v)
	}
	deviceCode, userCode := v["device_code"].(string), v["user_code"].(string)
	if v["verification_uri_complete"] != e.tenantURL("/oauth2/v2.0/deviceauth?user_code="+userCode) {
		t.Errorf("verification_uri_complete %v", v["verification_uri_complete"])
	}
	poll := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {deviceCode}, "client_id": {kiosk.AppID}}
	res, v = e.postForm(e.tenantURL("/oauth2/v2.0/token"), poll)
	wantOAuthError(t, res, v, 400, "authorization_pending")
	other := poll
	other = url.Values{"grant_type": poll["grant_type"], "device_code": poll["device_code"], "client_id": {web.AppID}}
	res, v = e.postForm(e.tenantURL("/oauth2/v2.0/token"), other)
	wantOAuthError(t, res, v, 400, "invalid_grant")

	// The worker types the code (lower case, without its dash).
	res, err := e.http.PostForm(e.tenantURL("/oauth2/v2.0/deviceauth"), url.Values{"user_code": {"wrong-code"}})
	if err != nil {
		t.Fatal(err)
	}
	if page := body(res); res.StatusCode != 400 || !strings.Contains(page, "unknown or expired") {
		t.Errorf("a wrong user code: %d %s", res.StatusCode, page)
	}
	res, err = e.http.PostForm(e.tenantURL("/oauth2/v2.0/deviceauth"), url.Values{"user_code": {strings.ToLower(strings.ReplaceAll(userCode, "-", ""))}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, _ := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusSeeOther || loc.Path != "/"+testTenant+"/signin" {
		t.Fatalf("user code: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	id := loc.Query().Get("authRequest")
	if pd, err := e.p.Pending(ctx, id); err != nil || pd.AppName != "Kiosk" || pd.Flow != FlowDeviceCode || pd.Resource != "Microsoft Graph" {
		t.Fatalf("Pending: %+v %v", pd, err)
	}
	next, err := e.p.Complete(ctx, id, e.user, e.clock.Now())
	if err != nil || next != e.tenantURL("/oauth2/v2.0/deviceauth?done=1") {
		t.Fatalf("Complete: %q %v", next, err)
	}
	res, v = e.postForm(e.tenantURL("/oauth2/v2.0/token"), poll)
	if res.StatusCode != 200 || v["access_token"] == nil || v["id_token"] == nil || v["refresh_token"] == nil {
		t.Fatalf("tokens: %d %v", res.StatusCode, v)
	}
	if _, err := e.graphTokens().Verify(v["access_token"].(string)); err != nil {
		t.Error(err)
	}
	res, v = e.postForm(e.tenantURL("/oauth2/v2.0/token"), poll)
	wantOAuthError(t, res, v, 400, "invalid_grant")
}

// TestDeviceCodeClientID: the device code endpoint takes a client id in
// any case, as authorize does (the device then polls with it), and an
// unknown client id that is no GUID is not repeated in the error.
func TestDeviceCodeClientID(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	kiosk := e.newApp("Kiosk", nativeApp)
	unknown := "00000000-0000-4000-8000-00000000abcd"
	for _, tc := range []struct {
		name, clientID string
		status         int
		errType        string
		inDescription  string // "" when the description must not hold the client id
	}{
		{"as registered", kiosk.AppID, 200, "", ""},
		{"upper case", strings.ToUpper(kiosk.AppID), 200, "", ""},
		{"unknown GUID", unknown, 401, "invalid_client", unknown},
		{"unknown, no GUID", "s3cret-Value-not-a-guid", 401, "invalid_client", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, v := e.postForm(e.tenantURL("/oauth2/v2.0/devicecode"), url.Values{"client_id": {tc.clientID}, "scope": {"openid"}})
			if tc.status == 200 {
				if res.StatusCode != 200 || v["device_code"] == nil {
					t.Fatalf("devicecode: %d %v", res.StatusCode, v)
				}
				poll := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"},
					"device_code": {v["device_code"].(string)}, "client_id": {tc.clientID}}
				res, v = e.postForm(e.tenantURL("/oauth2/v2.0/token"), poll)
				wantOAuthError(t, res, v, 400, "authorization_pending")
				return
			}
			wantOAuthError(t, res, v, tc.status, tc.errType)
			desc, _ := v["error_description"].(string)
			if tc.inDescription != "" && !strings.Contains(desc, tc.inDescription) {
				t.Errorf("error_description %q does not name %q", desc, tc.inDescription)
			}
			if tc.inDescription == "" && strings.Contains(strings.ToLower(desc), strings.ToLower(tc.clientID)) {
				t.Errorf("error_description %q repeats the client id", desc)
			}
		})
	}
}

// TestDeviceCodeExpires: an unanswered device code expires.
func TestDeviceCodeExpires(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	kiosk := e.newApp("Kiosk", nativeApp)
	_, v := e.postForm(e.tenantURL("/oauth2/v2.0/devicecode"), url.Values{"client_id": {kiosk.AppID}, "scope": {"openid"}})
	e.clock.Advance(DefaultDeviceTTL)
	res, v := e.postForm(e.tenantURL("/oauth2/v2.0/token"), url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"},
		"device_code": {v["device_code"].(string)}, "client_id": {kiosk.AppID}})
	wantOAuthError(t, res, v, 400, "expired_token")
}

// TestStoreUnavailable: a store that cannot be reached is 503
// temporarily_unavailable at the token endpoint, never a 500.
func TestStoreUnavailable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newApp("Timesheets", webApp)
	uri := webApp.WebRedirectURIs[0]
	code, verifier, _ := e.signIn(a, uri)
	e.st.Store = downStore{e.st.Store}
	res, v := e.token(codeForm(code, verifier, uri, a.AppID), a.AppID, a.secret)
	if res.StatusCode != http.StatusServiceUnavailable || v["error"] != "temporarily_unavailable" || res.Header.Get("Retry-After") != "5" {
		t.Errorf("status %d %v", res.StatusCode, v)
	}
	res, v = e.token(refreshForm("any", a.AppID), a.AppID, "")
	if res.StatusCode != http.StatusServiceUnavailable || v["error"] != "temporarily_unavailable" {
		t.Errorf("refresh: status %d %v", res.StatusCode, v)
	}
}

// downStore is a store whose provider records cannot be read.
type downStore struct{ store.Store }

func (downStore) GetAuthRequestByCode(context.Context, string) (store.AuthRequest, error) {
	return store.AuthRequest{}, store.ErrUnavailable
}

func (downStore) GetRefreshToken(context.Context, string) (store.RefreshToken, error) {
	return store.RefreshToken{}, store.ErrUnavailable
}

// TestRateLimits: anonymous callers get 429 past the per-address limits
// of authorize and device code requests, and of the provider's grants at
// the token endpoint.
func TestRateLimits(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, "sqlite", func(c *Config) { c.RateLimit, c.TokenRateLimit = 2, 2 })
	a := e.newApp("Kiosk", nativeApp)
	authorize := e.tenantURL("/oauth2/v2.0/authorize?client_id=" + a.AppID + "&response_type=code&scope=openid&redirect_uri=" +
		url.QueryEscape("http://127.0.0.1/callback") + "&code_challenge=" + oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier()) +
		"&code_challenge_method=S256")
	for i := range 3 {
		res := e.get(authorize)
		res.Body.Close()
		if want := map[bool]int{true: 302, false: 429}[i < 2]; res.StatusCode != want {
			t.Errorf("authorize %d: %d, want %d", i+1, res.StatusCode, want)
		}
	}
	res, v := e.postForm(e.tenantURL("/oauth2/v2.0/devicecode"), url.Values{"client_id": {a.AppID}, "scope": {"openid"}})
	wantOAuthError(t, res, v, 429, "temporarily_unavailable") // the same limit as authorize
	for i := range 3 {
		res, v := e.postForm(e.tenantURL("/oauth2/v2.0/token"), refreshForm("x", a.AppID))
		if want := map[bool]int{true: 400, false: 429}[i < 2]; res.StatusCode != want || res.StatusCode == 429 && res.Header.Get("Retry-After") == "" {
			t.Errorf("token %d: %d %v, want %d", i+1, res.StatusCode, v, want)
		}
	}
}

// TestCORS: a single-page application's browser may read the token
// endpoint's and userinfo's answers from any origin, never with
// credentials (op's own default allows any origin with credentials).
func TestCORS(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newApp("Ward portal", spaApp)
	code, verifier, _ := e.signIn(a, spaApp.SPARedirectURIs[0])
	req, _ := http.NewRequest(http.MethodPost, e.tenantURL("/oauth2/v2.0/token"),
		strings.NewReader(codeForm(code, verifier, spaApp.SPARedirectURIs[0], a.AppID).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://ward.contoso.com")
	res, err := e.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	v := readJSON(t, res)
	if res.StatusCode != 200 || res.Header.Get("Access-Control-Allow-Origin") != "*" || res.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("token: %d %v %v", res.StatusCode, res.Header, v)
	}
	req, _ = http.NewRequest(http.MethodOptions, e.base+UserinfoPath, nil)
	req.Header.Set("Origin", "https://ward.contoso.com")
	req.Header.Set("Access-Control-Request-Method", "GET")
	req.Header.Set("Access-Control-Request-Headers", "authorization")
	res, err = e.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 204 || res.Header.Get("Access-Control-Allow-Origin") != "*" || res.Header.Get("Access-Control-Allow-Credentials") != "" ||
		!strings.Contains(res.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("userinfo preflight: %d %v", res.StatusCode, res.Header)
	}
	// The authorize endpoint is navigated to, never fetched: no CORS.
	res = e.get(e.tenantURL("/oauth2/v2.0/authorize?client_id=" + a.AppID))
	res.Body.Close()
	if res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("authorize allows origins: %v", res.Header)
	}
}

// TestUserCodeThrottle: wrong user codes from one address are throttled:
// after 10, the page answers 429 (even for a right code) until the
// window ends.
func TestUserCodeThrottle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	kiosk := e.newApp("Kiosk", nativeApp)
	_, v := e.postForm(e.tenantURL("/oauth2/v2.0/devicecode"), url.Values{"client_id": {kiosk.AppID}, "scope": {"openid"}})
	right := v["user_code"].(string)
	try := func(code string) int {
		res, err := e.http.PostForm(e.tenantURL("/oauth2/v2.0/deviceauth"), url.Values{"user_code": {code}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for i := range 10 {
		if st := try("BBBB-BBB" + string(rune('B'+i))); st != 400 {
			t.Fatalf("wrong code %d: %d, want 400", i+1, st)
		}
	}
	if st := try("BBBB-CCCC"); st != 429 {
		t.Errorf("the 11th wrong code: %d, want 429", st)
	}
	if st := try(right); st != 429 {
		t.Errorf("a right code while throttled: %d, want 429", st)
	}
	e.clock.Advance(15 * time.Minute) // the window ends (and the device code with it: a new one)
	_, v = e.postForm(e.tenantURL("/oauth2/v2.0/devicecode"), url.Values{"client_id": {kiosk.AppID}, "scope": {"openid"}})
	if st := try(v["user_code"].(string)); st != http.StatusSeeOther {
		t.Errorf("a right code after the window: %d, want 303", st)
	}
}

// TestPagesNotFramed: every HTML page the provider writes itself (the
// error page, the signed-out page, the device verification page in each of
// its states) forbids framing (clickjacking) and loads nothing.
func TestPagesNotFramed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	post := func(u string, form url.Values) *http.Response {
		res, err := e.http.PostForm(u, form)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	for _, tc := range []struct {
		name string
		res  func() *http.Response
	}{
		{"error page", func() *http.Response {
			return e.get(e.tenantURL("/oauth2/v2.0/authorize?client_id=11111111-2222-3333-4444-555555555555&redirect_uri=https://a.example/cb"))
		}},
		{"signed-out page", func() *http.Response { return e.get(e.tenantURL("/oauth2/v2.0/logout")) }},
		{"device page", func() *http.Response { return e.get(e.tenantURL("/oauth2/v2.0/deviceauth")) }},
		{"device page, done", func() *http.Response { return e.get(e.tenantURL("/oauth2/v2.0/deviceauth?done=1")) }},
		{"device page, wrong code", func() *http.Response {
			return post(e.tenantURL("/oauth2/v2.0/deviceauth"), url.Values{"user_code": {"WRONG-CODE"}})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.res()
			res.Body.Close()
			csp := res.Header.Get("Content-Security-Policy")
			if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") || !strings.Contains(csp, "frame-ancestors 'none'") ||
				!strings.Contains(csp, "default-src 'none'") || res.Header.Get("X-Frame-Options") != "DENY" ||
				res.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%d %s: Content-Security-Policy %q, X-Frame-Options %q, X-Content-Type-Options %q", res.StatusCode,
					res.Header.Get("Content-Type"), csp, res.Header.Get("X-Frame-Options"), res.Header.Get("X-Content-Type-Options"))
			}
		})
	}
}
