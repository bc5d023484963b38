package issuer_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"

	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/internal/fakeclock"
	"github.com/qrpin/qrpin/issuer"
)

const tenant = "5d1f3a52-9c0e-4b7a-8f21-3c4d5e6f7a8b"

var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// clock is the tests' settable clock.
type clock = fakeclock.Clock

type discoveryEnv struct {
	srv   *httptest.Server
	clock *clock
	dir   string
	keys  *auth.KeySet
}

func newDiscovery(t *testing.T) *discoveryEnv {
	t.Helper()
	e := &discoveryEnv{clock: fakeclock.New(start), dir: t.TempDir()}
	var err error
	e.keys, err = auth.OpenKeys(e.dir, auth.KeyOptions{Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewUnstartedServer(nil)
	mux := http.NewServeMux()
	(&issuer.Discovery{BaseURL: "http://" + e.srv.Listener.Addr().String() + "/", TenantID: tenant, Keys: e.keys, Now: e.clock.Now}).Register(mux)
	e.srv.Config.Handler = mux
	e.srv.Start()
	t.Cleanup(e.srv.Close)
	return e
}

// get fetches path (or an absolute URL) and decodes the JSON body.
func (e *discoveryEnv) get(t *testing.T, path string) (*http.Response, map[string]any) {
	t.Helper()
	if !strings.HasPrefix(path, "http") {
		path = e.srv.URL + path
	}
	res, err := e.srv.Client().Get(path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("GET %s: %d, body not JSON: %s", path, res.StatusCode, b)
	}
	return res, m
}

func TestDiscoveryDocument(t *testing.T) {
	e := newDiscovery(t)
	base := e.srv.URL
	// The tenant segment is matched case-insensitively, as Entra does.
	res, doc := e.get(t, "/"+strings.ToUpper(tenant)+"/v2.0/.well-known/openid-configuration")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %v", res.StatusCode, doc)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	if res.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Error("no Access-Control-Allow-Origin: *")
	}
	host := strings.TrimPrefix(base, "http://")
	for field, want := range map[string]any{
		"issuer":                                auth.Issuer(base, tenant),
		"token_endpoint":                        base + "/" + tenant + "/oauth2/v2.0/token",
		"jwks_uri":                              base + "/" + tenant + "/discovery/v2.0/keys",
		"authorization_endpoint":                base + "/" + tenant + "/oauth2/v2.0/authorize",
		"cloud_instance_name":                   host,
		"msgraph_host":                          host,
		"tenant_region_scope":                   nil,
		"request_uri_parameter_supported":       false,
		"id_token_signing_alg_values_supported": []any{"RS256"},
		"token_endpoint_auth_methods_supported": []any{"client_secret_post", "client_secret_basic"},
		// The OpenID provider's endpoints (package oidc).
		"userinfo_endpoint":                base + "/oidc/userinfo",
		"end_session_endpoint":             base + "/" + tenant + "/oauth2/v2.0/logout",
		"device_authorization_endpoint":    base + "/" + tenant + "/oauth2/v2.0/devicecode",
		"code_challenge_methods_supported": []any{"S256"},
		"grant_types_supported": []any{"authorization_code", "refresh_token", "client_credentials",
			"urn:ietf:params:oauth:grant-type:device_code"},
		"response_types_supported": []any{"code"},
		"response_modes_supported": []any{"query", "fragment", "form_post"},
		"subject_types_supported":  []any{"pairwise"},
		"scopes_supported":         []any{"openid", "profile", "email", "offline_access"},
	} {
		got, ok := doc[field]
		if !ok {
			t.Errorf("%s missing", field)
			continue
		}
		if g, _ := json.Marshal(got); string(g) != string(must(json.Marshal(want))) {
			t.Errorf("%s = %s, want %s", field, g, must(json.Marshal(want)))
		}
	}
	claims, _ := doc["claims_supported"].([]any)
	for _, c := range []string{"sub", "oid", "tid", "preferred_username", "name", "nonce", "auth_time", "amr", "ver", "azp"} {
		if !slices.Contains(claims, any(c)) {
			t.Errorf("claims_supported %v lacks %s", claims, c)
		}
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// keys fetches the JWKS and parses it with go-jose, as a relying party would.
func (e *discoveryEnv) keySet(t *testing.T) (jose.JSONWebKeySet, []map[string]any) {
	t.Helper()
	res, raw := e.get(t, "/"+tenant+"/discovery/v2.0/keys")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("JWKS status %d: %v", res.StatusCode, raw)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(must(json.Marshal(raw)), &set); err != nil {
		t.Fatalf("JWKS does not parse: %v", err)
	}
	var keys []map[string]any
	for _, k := range raw["keys"].([]any) {
		keys = append(keys, k.(map[string]any))
	}
	return set, keys
}

func TestJWKSVerifiesTokensThroughRotation(t *testing.T) {
	e := newDiscovery(t)
	tokens := &auth.Tokens{Keys: e.keys, Issuer: auth.Issuer(e.srv.URL, tenant), Now: e.clock.Now}
	mint := func() string {
		tok, err := tokens.Mint(auth.Principal{Kind: auth.Application, ObjectID: "o", TenantID: tenant}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	// verify checks tok the way a relying party would: key by kid from the JWKS.
	verify := func(set jose.JSONWebKeySet, tok string) error {
		_, err := jwt.Parse(tok, func(tk *jwt.Token) (any, error) {
			ks := set.Key(tk.Header["kid"].(string))
			if len(ks) != 1 {
				return nil, jwt.ErrTokenUnverifiable
			}
			return ks[0].Key, nil
		}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(e.clock.Now))
		return err
	}

	set, raw := e.keySet(t)
	if len(raw) != 1 {
		t.Fatalf("%d keys, want 1", len(raw))
	}
	for _, k := range raw {
		for field, want := range map[string]string{"kty": "RSA", "use": "sig", "alg": "RS256"} {
			if k[field] != want {
				t.Errorf("key %s = %v, want %s", field, k[field], want)
			}
		}
		for _, field := range []string{"kid", "n", "e"} {
			if s, _ := k[field].(string); s == "" {
				t.Errorf("key has no %s", field)
			}
		}
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
			if _, ok := k[private]; ok {
				t.Errorf("JWKS publishes the private key part %q", private)
			}
		}
	}
	oldTok := mint()
	if err := verify(set, oldTok); err != nil {
		t.Fatalf("token does not verify with the published key: %v", err)
	}

	// Rotation: the JWKS shows both keys once the directory has been read
	// again; both tokens verify.
	e.clock.Advance(time.Minute)
	if _, err := auth.NewKeyAt(e.dir, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(auth.KeyReloadInterval)
	set, raw = e.keySet(t)
	if len(raw) != 2 {
		t.Fatalf("%d keys after rotation, want 2", len(raw))
	}
	e.clock.Advance(auth.SigningKeyCheckInterval)
	newTok := mint()
	for _, tok := range []string{oldTok, newTok} {
		if err := verify(set, tok); err != nil {
			t.Errorf("token does not verify after rotation: %v", err)
		}
	}

	// After the retention only the new key is published.
	e.clock.Advance(auth.KeyRetention)
	set, raw = e.keySet(t)
	if len(raw) != 1 {
		t.Fatalf("%d keys after the retention, want 1", len(raw))
	}
	if err := verify(set, oldTok); err == nil {
		t.Error("the old key is still published after its retention")
	}
}

func TestDiscoveryUnknownTenant(t *testing.T) {
	e := newDiscovery(t)
	for _, path := range []string{
		"/common/v2.0/.well-known/openid-configuration",
		"/00000000-0000-0000-0000-000000000000/v2.0/.well-known/openid-configuration",
		"/00000000-0000-0000-0000-000000000000/discovery/v2.0/keys",
		"/" + strings.Repeat("x", 500) + "/discovery/v2.0/keys",
	} {
		res, body := e.get(t, path)
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("%.60s: status %d, want 400", path, res.StatusCode)
		}
		desc, _ := body["error_description"].(string)
		if body["error"] != "invalid_tenant" || !strings.HasPrefix(desc, "AADSTS90002: Tenant '") ||
			string(must(json.Marshal(body["error_codes"]))) != "[90002]" {
			t.Errorf("%.60s: body %v, want Entra's AADSTS90002 error", path, body)
		}
		if len(desc) > 400 {
			t.Errorf("error_description of %d bytes: the tenant segment is not shortened", len(desc))
		}
		if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control %q on an error", cc)
		}
	}
	// Other verbs are not served.
	res, err := e.srv.Client().Post(e.srv.URL+"/"+tenant+"/discovery/v2.0/keys", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST keys: %d, want 405", res.StatusCode)
	}
}
