package oidc

import (
	"context"
	"encoding/base64"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
)

// token posts a token request, with HTTP Basic client authentication
// when secret is set.
func (e *env) token(form url.Values, clientID, secret string) (*http.Response, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.tenantURL("/oauth2/v2.0/token"), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if secret != "" {
		req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	}
	res, err := e.http.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return res, readJSON(e.t, res)
}

func codeForm(code, verifier, redirectURI, clientID string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
		"redirect_uri": {redirectURI}, "client_id": {clientID}}
}

func wantOAuthError(t *testing.T, res *http.Response, v map[string]any, status int, code string) {
	t.Helper()
	if res.StatusCode != status || v["error"] != code {
		t.Fatalf("status %d %v, want %d %s", res.StatusCode, v, status, code)
	}
	if _, ok := v["access_token"]; ok {
		t.Fatal("an error answer holds a token")
	}
}

// TestCodeExchange is the token endpoint's part of the conformance
// modules and the bad input: every refusal is the RFC's error, and writes
// nothing (except a replayed code, which revokes what it gave).
func TestCodeExchange(t *testing.T) {
	t.Parallel()
	web := webApp.WebRedirectURIs[0]
	spa := spaApp.SPARedirectURIs[0]
	tests := []struct {
		name   string
		spa    bool
		before func(e *env, a app) // between the sign-in and the exchange
		change func(e *env, a app, f url.Values) (clientID, secret string)
		status int
		want   string
	}{
		{name: "oidcc-server (confidential, Basic)", status: 200},
		{name: "oidcc-server (public spa, PKCE)", spa: true, status: 200},
		{name: "client id in upper case", change: func(e *env, a app, f url.Values) (string, string) {
			f.Set("client_id", strings.ToUpper(a.AppID))
			return strings.ToUpper(a.AppID), a.secret
		}, status: 200},
		{name: "client_secret_post", change: func(e *env, a app, f url.Values) (string, string) {
			f.Set("client_secret", a.secret)
			return a.AppID, ""
		}, status: 200},
		{name: "wrong verifier", change: func(e *env, a app, f url.Values) (string, string) {
			f.Set("code_verifier", oauth2.GenerateVerifier())
			return a.AppID, a.secret
		}, status: 400, want: "invalid_grant"},
		{name: "missing verifier", spa: true, change: func(e *env, a app, f url.Values) (string, string) {
			f.Del("code_verifier")
			return a.AppID, ""
		}, status: 400, want: "invalid_request"},
		{name: "code from another client", change: func(e *env, a app, f url.Values) (string, string) {
			other := e.newApp("Other", webApp)
			f.Set("client_id", other.AppID)
			return other.AppID, other.secret
		}, status: 400, want: "invalid_grant"},
		{name: "expired code", before: func(e *env, a app) { e.clock.Advance(DefaultCodeTTL) }, status: 400, want: "invalid_grant"},
		{name: "redirect_uri differs at exchange", change: func(e *env, a app, f url.Values) (string, string) {
			f.Set("redirect_uri", web+"/")
			return a.AppID, a.secret
		}, status: 400, want: "invalid_grant"},
		{name: "redirect_uri missing at exchange", change: func(e *env, a app, f url.Values) (string, string) {
			f.Del("redirect_uri")
			return a.AppID, a.secret
		}, status: 400, want: "invalid_grant"},
		{name: "redirect URI unregistered since", before: func(e *env, a app) {
			if _, err := e.st.UpdateApplication(context.Background(), a.ID, func(x *store.Application) error {
				x.SignIn.WebRedirectURIs = []string{"https://timesheets.contoso.com/new"}
				return nil
			}); err != nil {
				e.t.Fatal(err)
			}
		}, status: 400, want: "invalid_grant"},
		{name: "wrong client secret", change: func(e *env, a app, f url.Values) (string, string) {
			return a.AppID, "not-the-secret"
		}, status: 401, want: "invalid_client"},
		{name: "confidential client without its secret", change: func(e *env, a app, f url.Values) (string, string) {
			return a.AppID, ""
		}, status: 401, want: "invalid_client"},
		{name: "public client with a secret", spa: true, change: func(e *env, a app, f url.Values) (string, string) {
			f.Set("client_secret", "anything")
			return a.AppID, ""
		}, status: 401, want: "invalid_client"},
		{name: "unknown code", change: func(e *env, a app, f url.Values) (string, string) {
			f.Set("code", "not-a-code")
			return a.AppID, a.secret
		}, status: 400, want: "invalid_grant"},
		{name: "user disabled since", before: func(e *env, a app) {
			if _, err := e.st.UpdateUser(context.Background(), e.user.ID, func(u *store.User) error { u.AccountEnabled = false; return nil }); err != nil {
				e.t.Fatal(err)
			}
		}, status: 400, want: "invalid_grant"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			a, uri := e.newApp("Timesheets", webApp), web
			if tc.spa {
				a, uri = e.newApp("Ward portal", spaApp), spa
			}
			code, verifier, _ := e.signIn(a, uri)
			if tc.before != nil {
				tc.before(e, a)
			}
			f := codeForm(code, verifier, uri, a.AppID)
			clientID, secret := a.AppID, a.secret
			if tc.change != nil {
				clientID, secret = tc.change(e, a, f)
			}
			stored, _ := e.st.GetAuthRequestByCode(context.Background(), hashSecret(code))
			writes := e.st.writes.Load()
			res, v := e.token(f, clientID, secret)
			if tc.want == "" {
				if res.StatusCode != 200 || v["access_token"] == nil || v["id_token"] == nil || v["refresh_token"] == nil ||
					v["token_type"] != "Bearer" || v["expires_in"] != float64(3600) {
					t.Fatalf("status %d %v", res.StatusCode, v)
				}
				if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
					t.Errorf("Cache-Control %q", cc)
				}
				return
			}
			wantOAuthError(t, res, v, tc.status, tc.want)
			if n := e.st.writes.Load() - writes; n != 0 {
				t.Errorf("a refused exchange wrote %d records", n)
			}
			if got, err := e.st.GetAuthRequestByCode(context.Background(), hashSecret(code)); err != nil || !reflect.DeepEqual(got, stored) {
				t.Errorf("the code's request after the refusal: %+v (%v), was %+v", got, err, stored)
			}
			// The code still works for its own client, unless it expired
			// or its user or registration changed: a refusal burns nothing.
			if tc.before == nil && tc.name != "unknown code" {
				if res, v := e.token(codeForm(code, verifier, uri, a.AppID), a.AppID, a.secret); res.StatusCode != 200 {
					t.Errorf("after the refusal, the right exchange: %d %v", res.StatusCode, v)
				}
			}
		})
	}
}

// TestCodeExchangeBecamePublic: a code a confidential client asked for
// without PKCE (a web redirect URI) is not redeemed without its secret
// once that redirect URI is registered as a public client's (spa or
// publicClient) instead: a public client's code needs PKCE, whenever it
// was asked for. With the secret it is refused too (a public client sends
// none); nothing is written.
func TestCodeExchangeBecamePublic(t *testing.T) {
	t.Parallel()
	uri := webApp.WebRedirectURIs[0]
	for _, kind := range []string{"spa", "publicClient"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			a := e.newApp("Timesheets", webApp)
			loc := e.finish(e.startAuthorize(e.oauth2(a, uri).AuthCodeURL("st-1")), e.user) // no PKCE: a web client may
			code := loc.Query().Get("code")
			if code == "" {
				t.Fatalf("no code in %s", loc)
			}
			if _, err := e.st.UpdateApplication(context.Background(), a.ID, func(x *store.Application) error {
				x.SignIn.WebRedirectURIs = nil
				if kind == "spa" {
					x.SignIn.SPARedirectURIs = []string{uri}
				} else {
					x.SignIn.PublicRedirectURIs = []string{uri}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			writes := e.st.writes.Load()
			f := codeForm(code, "", uri, a.AppID)
			f.Del("code_verifier")
			res, v := e.token(f, a.AppID, "")
			wantOAuthError(t, res, v, 400, "invalid_grant")
			if n := e.st.writes.Load() - writes; n != 0 {
				t.Errorf("a refused exchange wrote %d records", n)
			}
		})
	}
}

// TestCodeReuse is oidcc-codereuse: a code redeemed twice is refused the
// second time, and the refresh token the first exchange gave is revoked.
func TestCodeReuse(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			testCodeReuse(t, newEnvOn(t, backend))
		})
	}
}

func testCodeReuse(t *testing.T, e *env) {
	a := e.newApp("Timesheets", webApp)
	uri := webApp.WebRedirectURIs[0]
	code, verifier, _ := e.signIn(a, uri)
	res, first := e.token(codeForm(code, verifier, uri, a.AppID), a.AppID, a.secret)
	if res.StatusCode != 200 {
		t.Fatalf("first exchange: %d %v", res.StatusCode, first)
	}
	res, v := e.token(codeForm(code, verifier, uri, a.AppID), a.AppID, a.secret)
	wantOAuthError(t, res, v, 400, "invalid_grant")
	res, v = e.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first["refresh_token"].(string)},
		"client_id": {a.AppID}}, a.AppID, a.secret)
	wantOAuthError(t, res, v, 400, "invalid_grant")
}

// TestCodeReuseConcurrent: of exchanges of one code at once, exactly one
// gets tokens, the others invalid_grant, and the refresh token the winner
// got is revoked by them, however they interleave: the redemption and the
// family's first token are stored in one transaction, so no loser's
// revocation can come before the winner's token.
func TestCodeReuseConcurrent(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			e := newEnvOn(t, backend)
			a := e.newApp("Timesheets", webApp)
			uri := webApp.WebRedirectURIs[0]
			code, verifier, _ := e.signIn(a, uri)
			const n = 8
			type answer struct {
				status int
				v      map[string]any
			}
			answers := make([]answer, n)
			var wg sync.WaitGroup
			for i := range answers {
				wg.Go(func() {
					res, v := e.token(codeForm(code, verifier, uri, a.AppID), a.AppID, a.secret)
					answers[i] = answer{res.StatusCode, v}
				})
			}
			wg.Wait()
			var won map[string]any
			for _, ans := range answers {
				switch {
				case ans.status == 200 && won == nil:
					won = ans.v
				case ans.status != 400 || ans.v["error"] != "invalid_grant":
					t.Fatalf("an exchange: %d %v (one 200, the others invalid_grant)", ans.status, ans.v)
				}
			}
			if won == nil {
				t.Fatal("no exchange got tokens")
			}
			res, v := e.token(refreshForm(won["refresh_token"].(string), a.AppID), a.AppID, a.secret)
			wantOAuthError(t, res, v, 400, "invalid_grant")
		})
	}
}

func refreshForm(token, clientID string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}, "client_id": {clientID}}
}

// TestRefreshToken is oidcc-refresh-token: each refresh rotates the token;
// a rotated token presented again revokes the family of a public client
// and is refused for a confidential one.
func TestRefreshToken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		backend      string
		confidential bool
	}{{"sqlite", false}, {"sqlite", true}, {"postgres", false}, {"postgres", true}} {
		confidential := tc.confidential
		name := tc.backend + "/" + map[bool]string{false: "public", true: "confidential"}[confidential]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnvOn(t, tc.backend)
			a, uri := e.newApp("Ward portal", spaApp), spaApp.SPARedirectURIs[0]
			if confidential {
				a, uri = e.newApp("Timesheets", webApp), webApp.WebRedirectURIs[0]
			}
			code, verifier, _ := e.signIn(a, uri)
			_, v := e.token(codeForm(code, verifier, uri, a.AppID), a.AppID, a.secret)
			rt1, _ := v["refresh_token"].(string)
			e.clock.Advance(time.Hour)
			res, v := e.token(refreshForm(rt1, a.AppID), a.AppID, a.secret)
			rt2, _ := v["refresh_token"].(string)
			if res.StatusCode != 200 || rt2 == "" || rt2 == rt1 || v["id_token"] == nil {
				t.Fatalf("refresh: %d %v", res.StatusCode, v)
			}
			if _, err := e.graphTokens().Verify(v["access_token"].(string)); err != nil {
				t.Errorf("the refreshed access token: %v", err)
			}
			// A refresh may narrow the scopes, not widen them.
			res, v = e.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt2}, "client_id": {a.AppID},
				"scope": {"openid UserAuthMethod-QR.ReadWrite"}}, a.AppID, a.secret)
			wantOAuthError(t, res, v, 400, "invalid_scope")

			writes := e.st.writes.Load()
			res, v = e.token(refreshForm(rt1, a.AppID), a.AppID, a.secret) // reused
			wantOAuthError(t, res, v, 400, "invalid_grant")
			if n := e.st.writes.Load() - writes; n != map[bool]int64{false: 1, true: 0}[confidential] {
				t.Errorf("the reuse wrote %d records, want 1 (the revocation) for a public client, none for a confidential one", n)
			}
			res, v = e.token(refreshForm(rt2, a.AppID), a.AppID, a.secret)
			if confidential {
				if res.StatusCode != 200 {
					t.Errorf("the newest token after a confidential client's reuse: %d %v", res.StatusCode, v)
				}
			} else {
				wantOAuthError(t, res, v, 400, "invalid_grant") // the family is revoked
			}
		})
	}
}

// TestRefreshSigningFails: a refresh whose tokens cannot be signed (no
// signing key) fails and stores nothing, so the refresh token stays
// current: the client's retry, once signing works again, gets tokens and
// is not taken for the reuse of a rotated token (which would revoke the
// family of a public client).
func TestRefreshSigningFails(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			e := newEnvOn(t, backend)
			a, uri := e.newApp("Ward portal", spaApp), spaApp.SPARedirectURIs[0] // public: a reuse revokes the family
			code, verifier, _ := e.signIn(a, uri)
			_, v := e.token(codeForm(code, verifier, uri, a.AppID), a.AppID, a.secret)
			rt1, _ := v["refresh_token"].(string)
			if rt1 == "" {
				t.Fatalf("no refresh token: %v", v)
			}
			keys := e.p.cfg.Keys
			e.p.cfg.Keys = &auth.KeySet{} // signs nothing (between requests: no request reads it now)
			writes := e.st.writes.Load()
			res, v := e.token(refreshForm(rt1, a.AppID), a.AppID, a.secret)
			if res.StatusCode < 500 || v["access_token"] != nil || v["refresh_token"] != nil {
				t.Fatalf("a refresh with no signing key: %d %v; want a server error and no token", res.StatusCode, v)
			}
			if n := e.st.writes.Load() - writes; n != 0 {
				t.Errorf("a refresh that could not sign wrote %d records", n)
			}
			e.p.cfg.Keys = keys
			res, v = e.token(refreshForm(rt1, a.AppID), a.AppID, a.secret)
			rt2, _ := v["refresh_token"].(string)
			if res.StatusCode != 200 || rt2 == "" || v["access_token"] == nil || v["id_token"] == nil {
				t.Fatalf("the retry once signing works: %d %v; want tokens", res.StatusCode, v)
			}
			if res, v = e.token(refreshForm(rt2, a.AppID), a.AppID, a.secret); res.StatusCode != 200 {
				t.Fatalf("the rotated token after the retry: %d %v; want tokens (the family is not revoked)", res.StatusCode, v)
			}
		})
	}
}

// TestRefreshRevoked: a refresh is refused (invalid_grant, nothing
// written) once the user is disabled or deleted, their method deleted or
// re-created, or their PIN reset or changed after the sign-in; and when
// the token is expired, idle or absolutely, or another client's.
func TestRefreshRevoked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name   string
		change func(e *env)
		client func(e *env, a app) app
	}{
		{"user disabled", func(e *env) {
			e.st.UpdateUser(ctx, e.user.ID, func(u *store.User) error { u.AccountEnabled = false; return nil })
		}, nil},
		{"user deleted", func(e *env) { e.st.DeleteUser(ctx, e.user.ID) }, nil},
		{"method deleted", func(e *env) { e.st.DeleteMethod(ctx, e.user.ID) }, nil},
		{"method re-created", func(e *env) {
			e.st.DeleteMethod(ctx, e.user.ID)
			now := e.clock.Now()
			e.st.CreateMethod(ctx, method.Method{ID: "m2", UserID: e.user.ID, Created: now, PIN: method.PIN{Hash: "x", Length: 6, Created: now, Updated: now}})
		}, nil},
		{"PIN reset", func(e *env) {
			e.st.UpdateMethod(ctx, e.user.ID, func(m *method.Method) error {
				now := e.clock.Now()
				m.PIN = method.PIN{Hash: "y", Length: 6, ForceChange: true, Created: now, Updated: now}
				return nil
			})
		}, nil},
		{"PIN changed", func(e *env) {
			e.st.UpdateMethod(ctx, e.user.ID, func(m *method.Method) error { m.PIN.Updated = e.clock.Now(); return nil })
		}, nil},
		{"idle expiry", func(e *env) { e.clock.Advance(DefaultRefreshIdle) }, nil},
		{"another client", nil, func(e *env, a app) app { return e.newApp("Other", spaApp) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			a, uri := e.newApp("Ward portal", spaApp), spaApp.SPARedirectURIs[0]
			code, verifier, _ := e.signIn(a, uri)
			_, v := e.token(codeForm(code, verifier, uri, a.AppID), a.AppID, "")
			rt, _ := v["refresh_token"].(string)
			e.clock.Advance(time.Minute)
			client := a
			if tc.change != nil {
				tc.change(e)
			}
			if tc.client != nil {
				client = tc.client(e, a)
			}
			writes := e.st.writes.Load()
			res, v := e.token(refreshForm(rt, client.AppID), client.AppID, "")
			wantOAuthError(t, res, v, 400, "invalid_grant")
			if n := e.st.writes.Load() - writes; n != 0 {
				t.Errorf("a refused refresh wrote %d records", n)
			}
		})
	}
}

// TestApplicationToken: scopes naming the application itself give an
// access token for it (aud = its client id), not Graph's.
func TestApplicationToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newApp("Timesheets", webApp)
	uri := webApp.WebRedirectURIs[0]
	cfg := e.oauth2(a, uri, "openid", "api://"+a.AppID+"/Timesheets.Write")
	verifier := oauth2.GenerateVerifier()
	loc := e.finish(e.startAuthorize(cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier))), e.user)
	tok, err := cfg.Exchange(context.Background(), loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	own := &auth.Tokens{Keys: e.keys, Issuer: e.p.Issuer(), Audiences: []string{a.AppID}, Now: e.clock.Now}
	p, err := own.Verify(tok.AccessToken)
	if err != nil || p.Kind != auth.Delegated || len(p.Scopes) != 1 || p.Scopes[0] != "Timesheets.Write" || p.ObjectID != e.user.ID {
		t.Errorf("the application's token: %+v, %v", p, err)
	}
	if _, err := e.graphTokens().Verify(tok.AccessToken); err == nil {
		t.Error("Graph accepts a token for the application")
	}
	if tok.RefreshToken != "" {
		t.Error("a refresh token without offline_access")
	}
}

// TestOtherGrantsGoToIssuer: client_credentials and unknown grants are
// answered by issuer's token endpoint (Entra's error shape).
func TestOtherGrantsGoToIssuer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newApp("Timesheets", webApp)
	res, v := e.token(url.Values{"grant_type": {"client_credentials"}, "scope": {"https://graph.microsoft.com/.default"}}, a.AppID, a.secret)
	if res.StatusCode != 200 || v["access_token"] == nil {
		t.Fatalf("client_credentials: %d %v", res.StatusCode, v)
	}
	res, v = e.token(url.Values{"grant_type": {"password"}}, "", "")
	if res.StatusCode != 400 || v["error"] != "unsupported_grant_type" || v["error_codes"] == nil {
		t.Errorf("password grant: %d %v", res.StatusCode, v)
	}
}

// TestClientInfo: a token request of a user grant (code, refresh token,
// device code) with client_info=1 gets Entra's client_info, base64url
// JSON {"uid": oid, "utid": tid}; without it (or with another value), none.
func TestClientInfo(t *testing.T) {
	t.Parallel()
	grants := map[string]func(e *env, f url.Values) (*http.Response, map[string]any){
		"authorization_code": func(e *env, f url.Values) (*http.Response, map[string]any) {
			a, uri := e.newApp("Ward portal", spaApp), spaApp.SPARedirectURIs[0]
			code, verifier, _ := e.signIn(a, uri)
			maps.Copy(f, codeForm(code, verifier, uri, a.AppID))
			return e.token(f, a.AppID, "")
		},
		"refresh_token": func(e *env, f url.Values) (*http.Response, map[string]any) {
			a, uri := e.newApp("Ward portal", spaApp), spaApp.SPARedirectURIs[0]
			code, verifier, _ := e.signIn(a, uri)
			_, v := e.token(codeForm(code, verifier, uri, a.AppID), a.AppID, "")
			rt, _ := v["refresh_token"].(string)
			maps.Copy(f, refreshForm(rt, a.AppID))
			return e.token(f, a.AppID, "")
		},
		"device_code": func(e *env, f url.Values) (*http.Response, map[string]any) {
			kiosk := e.newApp("Kiosk", nativeApp)
			_, v := e.postForm(e.tenantURL("/oauth2/v2.0/devicecode"), url.Values{"client_id": {kiosk.AppID}, "scope": {"openid"}})
			deviceCode, _ := v["device_code"].(string)
			ar, err := e.st.GetAuthRequest(context.Background(), hashSecret(deviceCode))
			if err != nil {
				e.t.Fatal(err)
			}
			if _, err := e.p.Complete(context.Background(), ar.ID, e.user, e.clock.Now()); err != nil {
				e.t.Fatal(err)
			}
			maps.Copy(f, url.Values{"grant_type": {"device_code"}, "device_code": {deviceCode}, "client_id": {kiosk.AppID}})
			return e.token(f, kiosk.AppID, "")
		},
	}
	for name, run := range grants {
		for _, asked := range []string{"1", "0", ""} {
			t.Run(name+"/client_info="+asked, func(t *testing.T) {
				t.Parallel()
				e := newEnv(t)
				f := url.Values{}
				if asked != "" {
					f.Set("client_info", asked)
				}
				res, v := run(e, f)
				if res.StatusCode != 200 || v["access_token"] == nil {
					t.Fatalf("status %d %v", res.StatusCode, v)
				}
				got, ok := v["client_info"]
				if asked != "1" {
					if ok {
						t.Fatalf("client_info %v, want none", got)
					}
					return
				}
				// {"uid":"{oid}","utid":"{tid}"}, base64url without padding.
				want := base64.RawURLEncoding.EncodeToString([]byte(`{"uid":"` + e.user.ID + `","utid":"` + testTenant + `"}`))
				if got != want {
					t.Fatalf("client_info %v, want %s", got, want)
				}
			})
		}
	}
}

// TestRefreshApplicationDeleted: a refresh token whose application was
// deleted is refused, without a write: a confidential client's with
// invalid_client (its secret names no application), a public client's
// with invalid_grant (AADSTS700016).
func TestRefreshApplicationDeleted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		si      store.AppSignIn
		uri     string
		confid  bool
		status  int
		errCode string
		desc    string
	}{
		{"confidential", webApp, webApp.WebRedirectURIs[0], true, 401, "invalid_client", "AADSTS7000215:"},
		{"public", spaApp, spaApp.SPARedirectURIs[0], false, 400, "invalid_grant", "AADSTS700016:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			a := e.newApp("Ward portal", tc.si)
			code, verifier, _ := e.signIn(a, tc.uri)
			secret := ""
			if tc.confid {
				secret = a.secret
			}
			_, v := e.token(codeForm(code, verifier, tc.uri, a.AppID), a.AppID, secret)
			rt, _ := v["refresh_token"].(string)
			if rt == "" {
				t.Fatalf("no refresh token: %v", v)
			}
			if err := e.st.DeleteApplication(context.Background(), a.ID); err != nil {
				t.Fatal(err)
			}
			writes := e.st.writes.Load()
			res, v := e.token(refreshForm(rt, a.AppID), a.AppID, secret)
			wantOAuthError(t, res, v, tc.status, tc.errCode)
			if d, _ := v["error_description"].(string); !strings.HasPrefix(d, tc.desc) {
				t.Errorf("error_description %q, want it to begin %q", d, tc.desc)
			}
			if n := e.st.writes.Load() - writes; n != 0 {
				t.Errorf("a refused refresh wrote %d records", n)
			}
		})
	}
}
