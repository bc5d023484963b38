package oidc

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/qrpin/qrpin/store"
)

// errorOf returns the OAuth error a redirect to the application carries,
// in its query or fragment, and the state.
func errorOf(t *testing.T, loc *url.URL) (code, state string) {
	t.Helper()
	q := loc.Query()
	if q.Get("error") == "" && loc.Fragment != "" {
		q, _ = url.ParseQuery(loc.Fragment)
	}
	return q.Get("error"), q.Get("state")
}

// TestAuthorizeRequests is the authorize endpoint's part of the OpenID
// Connect Basic OP conformance modules that apply, and the bad
// input: each request either goes to the sign-in page, or back to the
// application's verified redirect URI with the OAuth error, or (when the
// redirect URI is not verified) to an error page with no redirect at all.
// No refused request writes anything.
func TestAuthorizeRequests(t *testing.T) {
	t.Parallel()
	const (
		web    = "https://timesheets.contoso.com/auth/callback"
		native = "http://127.0.0.1/callback"
	)
	type outcome int
	const (
		signInPage outcome = iota // 302 to the sign-in page, a request stored
		redirected                // 302 to the redirect URI with error=want
		errorPage                 // 400 page, no Location
	)
	challenge := oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())
	tests := []struct {
		name   string
		app    string // "web", "spa" or "native"
		change func(q url.Values)
		out    outcome
		want   string // the error, for redirected and errorPage
	}{
		{"oidcc-server", "web", func(url.Values) {}, signInPage, ""},
		{"oidcc-ensure-request-without-nonce-succeeds-for-code-flow", "web", func(q url.Values) { q.Del("nonce") }, signInPage, ""},
		{"oidcc-prompt-login", "web", func(q url.Values) { q.Set("prompt", "login") }, signInPage, ""},
		{"oidcc-max-age-1", "web", func(q url.Values) { q.Set("max_age", "1") }, signInPage, ""},
		{"oidcc-response-mode-form-post", "web", func(q url.Values) { q.Set("response_mode", "form_post") }, signInPage, ""},
		{"oidcc-ensure-request-with-login-hint", "web", func(q url.Values) { q.Set("login_hint", "worker@contoso.com") }, signInPage, ""},
		{"web client without PKCE (honoured, not required)", "web", func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") }, signInPage, ""},
		{"loopback redirect URI on any port (RFC 8252)", "native", func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:53111/callback") }, signInPage, ""},
		{"custom scheme redirect URI", "native", func(q url.Values) { q.Set("redirect_uri", "com.contoso.scanner://auth") }, signInPage, ""},
		{"the application's own scope", "web", func(q url.Values) { q.Set("scope", "openid {client}/.default") }, signInPage, ""},

		{"oidcc-response-type-missing", "web", func(q url.Values) { q.Del("response_type") }, redirected, "invalid_request"},
		{"response_type token (implicit) not offered", "web", func(q url.Values) { q.Set("response_type", "token") }, redirected, "unsupported_response_type"},
		{"response_type code id_token (hybrid) not offered", "web", func(q url.Values) { q.Set("response_type", "code id_token") }, redirected, "unsupported_response_type"},
		{"response_mode not offered", "web", func(q url.Values) { q.Set("response_mode", "web_message") }, redirected, "invalid_request"},
		{"oidcc-prompt-none-not-logged-in", "web", func(q url.Values) { q.Set("prompt", "none") }, redirected, "login_required"},
		{"prompt none with another prompt", "web", func(q url.Values) { q.Set("prompt", "none login") }, redirected, "invalid_request"},
		{"public client without PKCE (spa)", "spa", func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") }, redirected, "invalid_request"},
		{"public client without PKCE (native)", "native", func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") }, redirected, "invalid_request"},
		{"PKCE downgraded to plain", "spa", func(q url.Values) {
			q.Set("code_challenge_method", "plain")
			q.Set("code_challenge", strings.Repeat("a", 43))
		}, redirected, "invalid_request"},
		{"PKCE challenge without method (plain by default)", "web", func(q url.Values) { q.Del("code_challenge_method") }, redirected, "invalid_request"},
		{"PKCE method without challenge", "web", func(q url.Values) { q.Del("code_challenge") }, redirected, "invalid_request"},
		{"PKCE challenge not a SHA-256", "web", func(q url.Values) { q.Set("code_challenge", "short") }, redirected, "invalid_request"},
		{"OAuth 2.0 without openid (as Entra)", "web", func(q url.Values) { q.Set("scope", "User.Read") }, signInPage, ""},
		{"no scope", "web", func(q url.Values) { q.Del("scope") }, redirected, "invalid_request"},
		{"scope of an unknown Graph permission", "web", func(q url.Values) { q.Set("scope", "openid Mail.Send") }, redirected, "invalid_scope"},
		{"scope of another resource", "web", func(q url.Values) { q.Set("scope", "openid https://evil.example/.default") }, redirected, "invalid_scope"},
		{"scopes of two resources", "web", func(q url.Values) { q.Set("scope", "openid User.Read {client}/.default") }, redirected, "invalid_scope"},
		{"request object", "web", func(q url.Values) { q.Set("request", "eyJhbGciOiJub25lIn0.e30.") }, redirected, "request_not_supported"},
		{"state too long", "web", func(q url.Values) { q.Set("state", strings.Repeat("s", maxState+1)) }, redirected, "invalid_request"},
		{"nonce too long", "web", func(q url.Values) { q.Set("nonce", strings.Repeat("n", maxNonce+1)) }, redirected, "invalid_request"},
		{"login_hint too long", "web", func(q url.Values) { q.Set("login_hint", strings.Repeat("h", maxLoginHint+1)+"@contoso.com") }, redirected, "invalid_request"},
		{"too many scopes", "web", func(q url.Values) { q.Set("scope", "openid"+strings.Repeat(" User.Read", maxScopes)) }, redirected, "invalid_scope"},
		// Open redirects through the other parameters: a URL in state or
		// login_hint is data, carried or shown, never followed.
		{"state holding a URL", "web", func(q url.Values) { q.Set("state", "https://evil.example/next?x=1") }, signInPage, ""},
		{"state holding a URL, with an error", "web", func(q url.Values) {
			q.Set("state", "https://evil.example/next?x=1")
			q.Set("prompt", "none")
		}, redirected, "login_required"},
		{"login_hint holding a URL", "web", func(q url.Values) { q.Set("login_hint", "https://evil.example/") }, signInPage, ""},
		{"login_hint with markup and controls", "web", func(q url.Values) { q.Set("login_hint", "<script>x</script>\r\nLocation: https://evil.example") }, signInPage, ""},
		{"scope twice", "web", func(q url.Values) { q["scope"] = []string{"openid", "User.Read"} }, redirected, "invalid_request"},
		{"code_challenge twice (a downgrade attempt)", "spa", func(q url.Values) { q["code_challenge"] = []string{q.Get("code_challenge"), ""} }, redirected, "invalid_request"},
		{"response_mode form_post, with an error", "web", func(q url.Values) {
			q.Set("response_mode", "form_post")
			q.Set("response_type", "token")
		}, redirected, "unsupported_response_type"},

		{"oidcc-ensure-registered-redirect-uri", "web", func(q url.Values) { q.Set("redirect_uri", "https://evil.example/auth/callback") }, errorPage, "invalid_request"},
		{"oidcc-ensure-redirect-uri-in-authorization-request", "web", func(q url.Values) { q.Del("redirect_uri") }, errorPage, "invalid_request"},
		{"redirect URI with a trailing slash", "web", func(q url.Values) { q.Set("redirect_uri", web+"/") }, errorPage, "invalid_request"},
		{"redirect URI in other case", "web", func(q url.Values) { q.Set("redirect_uri", "https://timesheets.contoso.com/Auth/Callback") }, errorPage, "invalid_request"},
		{"redirect URI host in other case", "web", func(q url.Values) { q.Set("redirect_uri", "https://TIMESHEETS.contoso.com/auth/callback") }, errorPage, "invalid_request"},
		{"redirect URI with an extra path", "web", func(q url.Values) { q.Set("redirect_uri", web+"/more") }, errorPage, "invalid_request"},
		{"redirect URI with a query", "web", func(q url.Values) { q.Set("redirect_uri", web+"?next=https://evil.example") }, errorPage, "invalid_request"},
		{"redirect URI on another port outside loopback", "web", func(q url.Values) { q.Set("redirect_uri", "https://timesheets.contoso.com:8443/auth/callback") }, errorPage, "invalid_request"},
		{"redirect URI with userinfo", "web", func(q url.Values) { q.Set("redirect_uri", "https://evil.example@timesheets.contoso.com/auth/callback") }, errorPage, "invalid_request"},
		{"redirect URI with an @ in its path", "web", func(q url.Values) { q.Set("redirect_uri", web+"@evil.example") }, errorPage, "invalid_request"},
		{"redirect URI over http", "web", func(q url.Values) { q.Set("redirect_uri", "http://timesheets.contoso.com/auth/callback") }, errorPage, "invalid_request"},
		{"redirect URI with a fragment", "web", func(q url.Values) { q.Set("redirect_uri", web+"#https://evil.example") }, errorPage, "invalid_request"},
		{"redirect URI with dot segments", "web", func(q url.Values) { q.Set("redirect_uri", "https://timesheets.contoso.com/auth/x/../callback") }, errorPage, "invalid_request"},
		{"redirect URI percent-encoded", "web", func(q url.Values) { q.Set("redirect_uri", "https://timesheets.contoso.com/auth%2Fcallback") }, errorPage, "invalid_request"},
		{"redirect URI with the default port spelled", "web", func(q url.Values) { q.Set("redirect_uri", "https://timesheets.contoso.com:443/auth/callback") }, errorPage, "invalid_request"},
		{"redirect URI with a registered host as a prefix", "web", func(q url.Values) { q.Set("redirect_uri", "https://timesheets.contoso.com.evil.example/auth/callback") }, errorPage, "invalid_request"},
		{"redirect URI relative", "web", func(q url.Values) { q.Set("redirect_uri", "/auth/callback") }, errorPage, "invalid_request"},
		{"redirect URI scheme-relative", "web", func(q url.Values) { q.Set("redirect_uri", "//evil.example/auth/callback") }, errorPage, "invalid_request"},
		{"redirect URI javascript:", "web", func(q url.Values) {
			q.Set("redirect_uri", "javascript:alert(1)//https://timesheets.contoso.com/auth/callback")
		}, errorPage, "invalid_request"},
		{"redirect URI twice (the registered one first)", "web", func(q url.Values) { q["redirect_uri"] = []string{web, "https://evil.example/"} }, errorPage, "invalid_request"},
		{"redirect URI twice (the registered one last)", "web", func(q url.Values) { q["redirect_uri"] = []string{"https://evil.example/", web} }, errorPage, "invalid_request"},
		{"client_id twice", "web", func(q url.Values) { q["client_id"] = []string{q.Get("client_id"), q.Get("client_id")} }, errorPage, "invalid_request"},
		{"redirect URI unregistered, with form_post", "web", func(q url.Values) {
			q.Set("redirect_uri", "https://evil.example/")
			q.Set("response_mode", "form_post")
		}, errorPage, "invalid_request"},
		{"loopback redirect URI with userinfo", "native", func(q url.Values) { q.Set("redirect_uri", "http://evil.example@127.0.0.1:53111/callback") }, errorPage, "invalid_request"},
		{"loopback redirect URI on a lookalike host", "native", func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1.evil.example:53111/callback") }, errorPage, "invalid_request"},
		{"loopback redirect URI on a non-numeric port", "native", func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:evil.example/callback") }, errorPage, "invalid_request"},
		{"loopback redirect URI with another path", "native", func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:53111/other") }, errorPage, "invalid_request"},
		{"loopback redirect URI on another loopback host", "native", func(q url.Values) { q.Set("redirect_uri", "http://localhost:53111/callback") }, errorPage, "invalid_request"},
		{"another application's redirect URI", "spa", func(q url.Values) { q.Set("redirect_uri", web) }, errorPage, "invalid_request"},
		{"unknown client", "web", func(q url.Values) { q.Set("client_id", "11111111-2222-3333-4444-555555555555") }, errorPage, "invalid_client"},
		{"client id not a GUID, with an open redirect", "web", func(q url.Values) { q.Set("client_id", "https://evil.example") }, errorPage, "invalid_client"},
		{"missing client_id", "web", func(q url.Values) { q.Del("client_id") }, errorPage, "invalid_request"},
		// An error that would have gone back does not, when the redirect URI is not verified.
		{"bad response_type and unregistered redirect URI", "web", func(q url.Values) {
			q.Set("response_type", "token")
			q.Set("redirect_uri", "https://evil.example/")
		}, errorPage, "invalid_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			apps := map[string]app{"web": e.newApp("Timesheets", webApp), "spa": e.newApp("Ward portal", spaApp),
				"native": e.newApp("Scanner", nativeApp)}
			a := apps[tc.app]
			redirectURI := map[string]string{"web": web, "spa": spaApp.SPARedirectURIs[0], "native": native}[tc.app]
			q := url.Values{"client_id": {a.AppID}, "redirect_uri": {redirectURI}, "response_type": {"code"},
				"scope": {"openid profile"}, "state": {"st-1"}, "nonce": {"n-1"},
				"code_challenge": {challenge}, "code_challenge_method": {"S256"}}
			tc.change(q)
			if s := q.Get("scope"); strings.Contains(s, "{client}") {
				q.Set("scope", strings.ReplaceAll(s, "{client}", a.AppID))
			}
			requested := q.Get("redirect_uri")
			res := e.get(e.tenantURL("/oauth2/v2.0/authorize?" + q.Encode()))
			page := body(res)
			loc := res.Header.Get("Location")
			switch tc.out {
			case signInPage:
				if res.StatusCode != http.StatusFound || !strings.HasPrefix(loc, e.tenantURL("/signin?authRequest=")) {
					t.Fatalf("status %d, Location %q; want 302 to the sign-in page (%s)", res.StatusCode, loc, page)
				}
				if n := e.st.writes.Load(); n != 1 {
					t.Errorf("%d writes, want 1 (the request)", n)
				}
				// The store holds the request as asked; a URL in state or
				// login_hint is in it, not in the redirect.
				u, _ := url.Parse(loc)
				got, err := e.st.GetAuthRequest(context.Background(), u.Query().Get("authRequest"))
				if err != nil || got.ClientID != a.AppID || got.RedirectURI != requested || got.State != q.Get("state") ||
					got.Nonce != q.Get("nonce") || got.LoginHint != q.Get("login_hint") || got.CodeChallenge != q.Get("code_challenge") ||
					strings.Join(got.Scopes, " ") != q.Get("scope") || got.UserID != "" || got.CodeHash != "" {
					t.Errorf("stored request %+v (%v), want the request's parameters", got, err)
				}
				if strings.Contains(loc, "evil.example") {
					t.Errorf("the redirect to the sign-in page carries a client's URL: %s", loc)
				}
				return
			case redirected:
				u, err := url.Parse(loc)
				if res.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(loc, requested) {
					t.Fatalf("status %d, Location %q; want 302 to %s", res.StatusCode, loc, requested)
				}
				if code, state := errorOf(t, u); code != tc.want || state != q.Get("state") {
					t.Errorf("error %q state %q, want %q and the request's state (%s)", code, state, tc.want, loc)
				}
			case errorPage:
				if res.StatusCode != http.StatusBadRequest || loc != "" {
					t.Fatalf("status %d, Location %q; want 400 and no redirect", res.StatusCode, loc)
				}
				if !strings.Contains(page, "<code>"+tc.want+"</code>") || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
					t.Errorf("page lacks %s: %s", tc.want, page)
				}
				if strings.Contains(page, "evil.example") {
					t.Errorf("the page repeats the unverified URI: %s", page)
				}
			}
			if n := e.st.writes.Load(); n != 0 {
				t.Errorf("a refused request wrote %d records", n)
			}
			// Read from the store: it holds no record of the provider
			// (pruning everything finds none).
			if n, err := e.st.PruneOIDC(context.Background(), e.clock.Now().Add(365*24*time.Hour), 0); n != 0 || err != nil {
				t.Errorf("the store holds %d records of the provider after a refused request (%v)", n, err)
			}
		})
	}
}

// TestAuthorizeUnknownTenant: another tenant's authorize endpoint is
// Entra's AADSTS90002 error, and the request goes nowhere.
func TestAuthorizeUnknownTenant(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newApp("Timesheets", webApp)
	res := e.get(e.base + "/contoso.onmicrosoft.com/oauth2/v2.0/authorize?client_id=" + a.AppID +
		"&response_type=code&scope=openid&redirect_uri=" + url.QueryEscape(webApp.WebRedirectURIs[0]))
	v := readJSON(t, res)
	if res.StatusCode != http.StatusBadRequest || v["error"] != "invalid_tenant" || res.Header.Get("Location") != "" {
		t.Errorf("status %d, %v", res.StatusCode, v)
	}
}

// TestTokenRequests is the token endpoint's part of the bad input
// beside TestCodeExchange, TestCodeReuse (oidcc-codereuse) and
// TestRefreshToken (oidcc-refresh-token): an unknown client is
// invalid_client at every grant and at the device code endpoint (RFC
// 6749, section 5.2), and PKCE cannot be downgraded at the exchange (a
// verifier for a code asked without a challenge, none for one asked with
// it). Each answer is JSON, never a redirect; it writes nothing, the
// records read from the store are as they were, and the grant still works
// for its own client afterwards.
func TestTokenRequests(t *testing.T) {
	t.Parallel()
	const unknown = "11111111-2222-3333-4444-555555555555"
	type grant struct {
		path     string     // below the tenant
		form     url.Values // the request as its client makes it
		clientID string
		secret   string
		hashes   []string // of the code or device code and refresh token it names
	}
	web, spa := webApp.WebRedirectURIs[0], spaApp.SPARedirectURIs[0]
	grants := map[string]func(e *env) grant{
		"code": func(e *env) grant {
			a := e.newApp("Ward portal", spaApp)
			code, verifier, _ := e.signIn(a, spa)
			return grant{"/oauth2/v2.0/token", codeForm(code, verifier, spa, a.AppID), a.AppID, "", []string{hashSecret(code)}}
		},
		"code without PKCE": func(e *env) grant {
			a := e.newApp("Timesheets", webApp)
			loc := e.finish(e.startAuthorize(e.oauth2(a, web).AuthCodeURL("st-1")), e.user)
			code := loc.Query().Get("code")
			f := codeForm(code, "", web, a.AppID)
			f.Del("code_verifier")
			return grant{"/oauth2/v2.0/token", f, a.AppID, a.secret, []string{hashSecret(code)}}
		},
		"code of a confidential client with PKCE": func(e *env) grant {
			a := e.newApp("Timesheets", webApp)
			code, verifier, _ := e.signIn(a, web)
			return grant{"/oauth2/v2.0/token", codeForm(code, verifier, web, a.AppID), a.AppID, a.secret, []string{hashSecret(code)}}
		},
		"refresh": func(e *env) grant {
			a := e.newApp("Ward portal", spaApp)
			code, verifier, _ := e.signIn(a, spa)
			_, v := e.token(codeForm(code, verifier, spa, a.AppID), a.AppID, "")
			rt, _ := v["refresh_token"].(string)
			return grant{"/oauth2/v2.0/token", refreshForm(rt, a.AppID), a.AppID, "", []string{hashSecret(rt)}}
		},
		"devicecode": func(e *env) grant {
			kiosk := e.newApp("Kiosk", nativeApp)
			return grant{"/oauth2/v2.0/devicecode", url.Values{"client_id": {kiosk.AppID}, "scope": {"openid"}}, kiosk.AppID, "", nil}
		},
		"device_code": func(e *env) grant {
			kiosk := e.newApp("Kiosk", nativeApp)
			_, v := e.postForm(e.tenantURL("/oauth2/v2.0/devicecode"), url.Values{"client_id": {kiosk.AppID}, "scope": {"openid"}})
			dc, _ := v["device_code"].(string)
			if _, err := e.p.Complete(context.Background(), hashSecret(dc), e.user, e.clock.Now()); err != nil {
				e.t.Fatal(err)
			}
			return grant{"/oauth2/v2.0/token", url.Values{"grant_type": {grantDevice}, "device_code": {dc}, "client_id": {kiosk.AppID}},
				kiosk.AppID, "", []string{hashSecret(dc)}}
		},
	}
	unknownClient := func(f url.Values) (string, string) { f.Set("client_id", unknown); return unknown, "" }
	tests := []struct {
		name   string
		grant  string
		change func(f url.Values) (clientID, secret string)
		status int
		want   string
	}{
		{"unknown client redeeming a code", "code", unknownClient, 401, "invalid_client"},
		{"unknown client with a secret redeeming a code", "code", func(f url.Values) (string, string) {
			f.Set("client_id", unknown)
			return unknown, "some-secret"
		}, 401, "invalid_client"},
		{"unknown client refreshing", "refresh", unknownClient, 401, "invalid_client"},
		{"unknown client asking a device code", "devicecode", unknownClient, 401, "invalid_client"},
		{"unknown client redeeming a device code", "device_code", unknownClient, 401, "invalid_client"},
		{"PKCE downgrade: a verifier for a code asked without a challenge", "code without PKCE", func(f url.Values) (string, string) {
			f.Set("code_verifier", oauth2.GenerateVerifier())
			return "", ""
		}, 400, "invalid_request"},
		{"PKCE downgrade: no verifier for a code asked with a challenge", "code of a confidential client with PKCE", func(f url.Values) (string, string) {
			f.Del("code_verifier")
			return "", ""
		}, 400, "invalid_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e := newEnv(t)
			g := grants[tc.grant](e)
			read := func() []any { // the records the grant names, as stored
				var out []any
				for _, h := range g.hashes {
					ar, errA := e.st.GetAuthRequest(ctx, h)
					if ar.ID == "" {
						ar, errA = e.st.GetAuthRequestByCode(ctx, h)
					}
					rt, errT := e.st.GetRefreshToken(ctx, h)
					out = append(out, ar, errA, rt, errT)
				}
				return out
			}
			before, writes := read(), e.st.writes.Load()
			f := url.Values{}
			for k, v := range g.form {
				f[k] = slices.Clone(v)
			}
			clientID, secret := tc.change(f)
			if clientID == "" {
				clientID, secret = g.clientID, g.secret
			}
			req, _ := http.NewRequest(http.MethodPost, e.tenantURL(g.path), strings.NewReader(f.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if secret != "" {
				req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
			}
			res, err := e.http.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			v := readJSON(t, res)
			wantOAuthError(t, res, v, tc.status, tc.want)
			if loc := res.Header.Get("Location"); loc != "" {
				t.Errorf("a refused token request redirects to %s", loc)
			}
			if n := e.st.writes.Load() - writes; n != 0 {
				t.Errorf("a refused request wrote %d records", n)
			}
			if after := read(); !reflect.DeepEqual(after, before) {
				t.Errorf("the stored records changed:\n%+v\nwere\n%+v", after, before)
			}
			// Nothing was burned: the grant works for its own client.
			res, v = e.postForm(e.tenantURL(g.path), g.form)
			if g.secret != "" {
				res, v = e.token(g.form, g.clientID, g.secret)
			}
			if res.StatusCode != 200 {
				t.Errorf("after the refusal, the right request: %d %v", res.StatusCode, v)
			}
		})
	}
}

// TestLogoutRedirects is the RP-initiated logout conformance modules'
// part (oidcc-rp-initiated-logout-*) of the open redirects: the
// browser goes back only to the registered URI of the application the
// request names (client_id or a valid id_token_hint), with state as data;
// anything else ends on a page of qrpin's, with no redirect and without
// the URI asked.
func TestLogoutRedirects(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, other := e.newApp("Timesheets", webApp), e.newApp("Ward portal", spaApp)
	tok := e.tokens(a, webApp.WebRedirectURIs[0])
	idToken := tok.Extra("id_token").(string)
	otherTok := e.tokens(other, spaApp.SPARedirectURIs[0])
	logoutURL := webApp.WebLogoutURL // https://timesheets.contoso.com/signed-out
	const signedOut = "signed out"   // the signed-out page, 200
	tests := []struct {
		name string
		q    url.Values
		want string // the Location; signedOut; or the error of a 400 page
	}{
		{"oidcc-rp-initiated-logout", url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {logoutURL}, "state": {"x"}}, logoutURL + "?state=x"},
		{"oidcc-rp-initiated-logout-no-id-token-hint", url.Values{"client_id": {a.AppID}, "post_logout_redirect_uri": {logoutURL}}, logoutURL},
		{"oidcc-rp-initiated-logout-no-post-logout-redirect-uri", url.Values{"id_token_hint": {idToken}}, signedOut},
		{"oidcc-rp-initiated-logout-bad-post-logout-redirect-uri", url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {"https://evil.example/"}}, signedOut},
		{"oidcc-rp-initiated-logout-modified-id-token-hint", url.Values{"id_token_hint": {idToken[:len(idToken)-4] + "AAAA"}, "post_logout_redirect_uri": {logoutURL}}, "invalid_request"},
		{"id_token_hint of another application than client_id", url.Values{"id_token_hint": {otherTok.Extra("id_token").(string)},
			"client_id": {a.AppID}, "post_logout_redirect_uri": {logoutURL}}, "invalid_request"},
		{"another application's URI", url.Values{"client_id": {other.AppID}, "post_logout_redirect_uri": {logoutURL}}, signedOut},
		{"unknown client", url.Values{"client_id": {"11111111-2222-3333-4444-555555555555"}, "post_logout_redirect_uri": {logoutURL}}, "invalid_client"},
		{"client_id in upper case", url.Values{"client_id": {strings.ToUpper(a.AppID)}, "post_logout_redirect_uri": {logoutURL}}, logoutURL},
		{"state holding a URL", url.Values{"client_id": {a.AppID}, "post_logout_redirect_uri": {logoutURL}, "state": {"https://evil.example/"}},
			logoutURL + "?state=https%3A%2F%2Fevil.example%2F"},
		{"near miss: other case", url.Values{"client_id": {a.AppID}, "post_logout_redirect_uri": {"https://timesheets.contoso.com/Signed-Out"}}, signedOut},
		{"near miss: extra path", url.Values{"client_id": {a.AppID}, "post_logout_redirect_uri": {logoutURL + "/more"}}, signedOut},
		{"near miss: a query", url.Values{"client_id": {a.AppID}, "post_logout_redirect_uri": {logoutURL + "?next=https://evil.example"}}, signedOut},
		{"near miss: userinfo", url.Values{"client_id": {a.AppID}, "post_logout_redirect_uri": {"https://evil.example@timesheets.contoso.com/signed-out"}}, signedOut},
		{"near miss: another port", url.Values{"client_id": {a.AppID}, "post_logout_redirect_uri": {"https://timesheets.contoso.com:8443/signed-out"}}, signedOut},
		{"near miss: a fragment", url.Values{"client_id": {a.AppID}, "post_logout_redirect_uri": {logoutURL + "#https://evil.example"}}, signedOut},
		{"near miss: scheme-relative", url.Values{"client_id": {a.AppID}, "post_logout_redirect_uri": {"//evil.example/signed-out"}}, signedOut},
		{"javascript:", url.Values{"client_id": {a.AppID}, "post_logout_redirect_uri": {"javascript:alert(1)//" + logoutURL}}, signedOut},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e.get(e.tenantURL("/oauth2/v2.0/logout?" + tc.q.Encode()))
			page := body(res)
			loc := res.Header.Get("Location")
			if strings.HasPrefix(tc.want, "https://") {
				if res.StatusCode != http.StatusFound || loc != tc.want {
					t.Errorf("status %d, Location %q; want 302 to %s", res.StatusCode, loc, tc.want)
				}
				return
			}
			status := http.StatusBadRequest
			if tc.want == signedOut {
				status = http.StatusOK
			}
			if res.StatusCode != status || loc != "" {
				t.Fatalf("status %d, Location %q; want %d and no redirect", res.StatusCode, loc, status)
			}
			if tc.want == signedOut && !strings.Contains(page, signedOut) {
				t.Errorf("not the signed-out page: %s", page)
			}
			if tc.want != signedOut && !strings.Contains(page, "<code>"+tc.want+"</code>") {
				t.Errorf("page lacks %s: %s", tc.want, page)
			}
			if strings.Contains(page, "evil.example") {
				t.Errorf("the page repeats the unverified URI: %s", page)
			}
		})
	}
}

// TestCallbackRequests: the callback that gives the application its code
// after the sign-in redirects only to a redirect URI still registered; an
// unknown, expired or used request, or one whose application or redirect
// URI is gone meanwhile, ends on an error page, and no code is issued.
func TestCallbackRequests(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name   string
		change func(e *env, a app, id string) string // returns the request id to call back with
	}{
		{"unknown request", func(e *env, a app, id string) string { return "UNKNOWN" }},
		{"expired request", func(e *env, a app, id string) string { e.clock.Advance(DefaultRequestTTL); return id }},
		{"redirect URI unregistered meanwhile", func(e *env, a app, id string) string {
			if _, err := e.st.UpdateApplication(ctx, a.ID, func(x *store.Application) error {
				x.SignIn.WebRedirectURIs = []string{"https://timesheets.contoso.com/new"}
				return nil
			}); err != nil {
				e.t.Fatal(err)
			}
			return id
		}},
		{"application deleted meanwhile", func(e *env, a app, id string) string {
			if err := e.st.DeleteApplication(ctx, a.ID); err != nil {
				e.t.Fatal(err)
			}
			return id
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			a := e.newApp("Timesheets", webApp)
			cfg := e.oauth2(a, webApp.WebRedirectURIs[0])
			id := e.startAuthorize(cfg.AuthCodeURL("st-1", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
			next, err := e.p.Complete(ctx, id, e.user, e.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			id = tc.change(e, a, id)
			u, _ := url.Parse(next)
			q := u.Query()
			q.Set("id", id)
			u.RawQuery = q.Encode()
			res := e.get(u.String())
			page := body(res)
			if res.StatusCode != http.StatusBadRequest || res.Header.Get("Location") != "" ||
				!strings.Contains(page, "<code>invalid_request</code>") {
				t.Fatalf("status %d, Location %q; want 400 invalid_request and no redirect: %s", res.StatusCode, res.Header.Get("Location"), page)
			}
			if ar, err := e.st.GetAuthRequest(ctx, id); err == nil && ar.CodeHash != "" {
				t.Errorf("a refused callback issued a code: %+v", ar)
			}
		})
	}
}
