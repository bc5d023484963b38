package oidc

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
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
