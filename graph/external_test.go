package graph_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/graph"
	"github.com/qrpin/qrpin/pinflow"
	"github.com/qrpin/qrpin/store"
)

// extIdP is a second OpenID provider, started inside the test: it serves
// its discovery document and JWKS and mints tokens with its own keys.
type extIdP struct {
	srv       *httptest.Server
	mu        sync.Mutex
	keys      map[string]any // kid -> private key (*rsa.PrivateKey or *ecdsa.PrivateKey), published
	withdrawn map[string]any // keys no longer published
	down      atomic.Bool    // answer 503 to everything
	jwksHits  atomic.Int32
	discovery atomic.Int32
}

// Keys are slow to generate: the tests share these.
var (
	extKeysOnce sync.Once
	extRSA      [3]*rsa.PrivateKey
	extEC       *ecdsa.PrivateKey
)

func extTestKeys(t *testing.T) {
	extKeysOnce.Do(func() {
		for i := range extRSA {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			extRSA[i] = k
		}
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		extEC = k
	})
}

func newExtIdP(t *testing.T) *extIdP {
	t.Helper()
	extTestKeys(t)
	p := &extIdP{keys: map[string]any{"rsa-1": extRSA[0], "ec-1": extEC}, withdrawn: map[string]any{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		p.discovery.Add(1)
		json.NewEncoder(w).Encode(map[string]any{"issuer": p.srv.URL, "jwks_uri": p.srv.URL + "/keys"})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		p.jwksHits.Add(1)
		p.mu.Lock()
		defer p.mu.Unlock()
		set := jose.JSONWebKeySet{}
		for kid, k := range p.keys {
			var pub any
			alg := "RS256"
			switch k := k.(type) {
			case *rsa.PrivateKey:
				pub = &k.PublicKey
			case *ecdsa.PrivateKey:
				pub, alg = &k.PublicKey, "ES256"
			}
			set.Keys = append(set.Keys, jose.JSONWebKey{Key: pub, KeyID: kid, Algorithm: alg, Use: "sig"})
		}
		json.NewEncoder(w).Encode(set)
	})
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// withdraw removes a key from the provider's JWKS (it can still sign).
func (p *extIdP) withdraw(kid string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.withdrawn[kid] = p.keys[kid]
	delete(p.keys, kid)
}

// publish adds a key to the provider's JWKS.
func (p *extIdP) publish(kid string, key any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys[kid] = key
}

const extAudience = "api://qrpin"

// claims returns valid claims of a token for upn, issued at now.
func (p *extIdP) claims(upn string, now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"iss": p.srv.URL, "aud": extAudience, "sub": "ext-" + upn, "upn": upn, "oid": uuid.NewString(),
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(), "azp": "ext-client",
	}
}

// sign signs claims with the published key kid (its algorithm follows
// from the key type).
func (p *extIdP) sign(t *testing.T, kid string, c jwt.MapClaims) string {
	t.Helper()
	p.mu.Lock()
	key, ok := p.keys[kid]
	if !ok {
		key = p.withdrawn[kid]
	}
	p.mu.Unlock()
	var m jwt.SigningMethod = jwt.SigningMethodRS256
	if _, ok := key.(*ecdsa.PrivateKey); ok {
		m = jwt.SigningMethodES256
	}
	return extSign(t, m, key, kid, c)
}

func extSign(t *testing.T, m jwt.SigningMethod, key any, kid string, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// extEnv is the Graph API of env e with the trusted issuer cfg, served by
// its own test server (e's store, keys and clock).
func extEnv(t *testing.T, e *env, cfg ...auth.TrustedIssuer) *env {
	t.Helper()
	x, err := auth.NewExternal(context.Background(), cfg, auth.ExternalOptions{Now: e.clock.Now,
		Log: slog.New(slog.NewTextHandler(e.logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	api := &graph.Server{
		Admin: &admin.Service{Config: pinflow.Config{Store: e.store, PINs: e.hasher, Pepper: e.pepper, TenantID: e.tenant,
			Lockout: e.lockout, Now: e.clock.Now}},
		Tokens:   e.tokens,
		External: x,
		Log:      slog.New(slog.NewTextHandler(e.logs, nil)),
		Now:      e.clock.Now,
	}
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	ee := *e
	ee.srv = srv
	return &ee
}

// extUnauthorized fails unless r is 401 InvalidAuthenticationToken with a
// WWW-Authenticate Bearer challenge.
func extUnauthorized(t *testing.T, what string, r resp) {
	t.Helper()
	if r.status != http.StatusUnauthorized || r.errCode(t) != "InvalidAuthenticationToken" {
		t.Errorf("%s: %d %s, want 401 InvalidAuthenticationToken", what, r.status, r.body)
		return
	}
	if h := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(h, "Bearer ") {
		t.Errorf("%s: WWW-Authenticate %q", what, h)
	}
}

// TestTrustedIssuer: an organization's admin calls qrpin with their own
// provider's token, mapped to a local user by UPN; the local user's
// current role assignments decide.
func TestTrustedIssuer(t *testing.T) {
	t.Parallel()
	base := newEnv(t)
	idp := newExtIdP(t)
	e := extEnv(t, base, auth.TrustedIssuer{Issuer: idp.srv.URL, Audiences: []string{extAudience}, Claim: "upn"})
	ana := e.user("ana@contoso.com", auth.GlobalReader)
	bo := e.user("bo@contoso.com")
	now := e.clock.Now()

	tok := idp.sign(t, "rsa-1", idp.claims("ANA@Contoso.com", now)) // the UPN in another case
	r := e.do("GET", "/v1.0/me", tok, "")
	expect(t, r, http.StatusOK, "")
	if id := r.json(t)["id"]; id != ana.ID {
		t.Fatalf("/me is %v, want ana %s", id, ana.ID)
	}
	expect(t, e.do("GET", "/v1.0/users/"+bo.ID, tok, ""), http.StatusOK, "")
	expect(t, e.do("GET", "/v1.0/roleManagement/directory/roleAssignments", tok, ""), http.StatusOK, "")
	// Global Reader reads but does not write.
	expect(t, e.do("POST", "/v1.0/users", tok, `{"userPrincipalName":"cy@contoso.com","displayName":"Cy"}`), http.StatusForbidden, "accessDenied")

	// The roles are the stored ones now: taking the role away takes
	// effect on the same token at once; giving one too.
	as, err := e.store.ListRoleAssignments(context.Background(), ana.ID)
	if err != nil || len(as) != 1 {
		t.Fatal(as, err)
	}
	if err := e.store.DeleteRoleAssignment(context.Background(), as[0].ID); err != nil {
		t.Fatal(err)
	}
	expect(t, e.do("GET", "/v1.0/roleManagement/directory/roleAssignments", tok, ""), http.StatusForbidden, "accessDenied")
	if err := e.store.CreateRoleAssignment(context.Background(), store.RoleAssignment{ID: uuid.NewString(), PrincipalID: ana.ID, RoleDefinitionID: auth.UserAdministrator}); err != nil {
		t.Fatal(err)
	}
	expect(t, e.do("POST", "/v1.0/users", tok, `{"userPrincipalName":"cy@contoso.com","displayName":"Cy"}`), http.StatusCreated, "")

	// An ES256 key of the same provider works too.
	expect(t, e.do("GET", "/v1.0/me", idp.sign(t, "ec-1", idp.claims("ana@contoso.com", now)), ""), http.StatusOK, "")

	// qrpin's own tokens still work beside the external ones.
	expect(t, e.do("GET", "/v1.0/users/"+bo.ID, e.admin(), ""), http.StatusOK, "")
}

// TestTrustedIssuerByObjectID maps tokens by the oid claim (the default).
func TestTrustedIssuerByObjectID(t *testing.T) {
	t.Parallel()
	base := newEnv(t)
	idp := newExtIdP(t)
	e := extEnv(t, base, auth.TrustedIssuer{Discovery: idp.srv.URL + "/.well-known/openid-configuration", Audiences: []string{"other", extAudience},
		Scopes: []string{"User.Read"}})
	ana := e.user("ana@contoso.com", auth.GlobalAdministrator)
	c := idp.claims("someone-else@contoso.com", e.clock.Now())
	c["oid"] = strings.ToUpper(ana.ID)
	tok := idp.sign(t, "rsa-1", c)
	r := e.do("GET", "/v1.0/me", tok, "")
	expect(t, r, http.StatusOK, "")
	if id := r.json(t)["id"]; id != ana.ID {
		t.Fatalf("/me is %v, want ana", id)
	}
	// Only the configured scopes: User.Read does not read other users,
	// Global Administrator or not.
	expect(t, e.do("GET", "/v1.0/users", tok, ""), http.StatusForbidden, "accessDenied")
}

// TestTrustedIssuerAttacks: every forged, misdirected or stale token is
// 401 InvalidAuthenticationToken with WWW-Authenticate. The clock skew
// tolerated is auth.DefaultSkew (2 minutes).
func TestTrustedIssuerAttacks(t *testing.T) {
	t.Parallel()
	base := newEnv(t)
	idp := newExtIdP(t)
	e := extEnv(t, base, auth.TrustedIssuer{Issuer: idp.srv.URL, Audiences: []string{extAudience}, Claim: "preferred_username"})
	ana := e.user("ana@contoso.com", auth.GlobalAdministrator)
	off := e.user("off@contoso.com", auth.GlobalAdministrator)
	if _, err := e.store.UpdateUser(context.Background(), off.ID, func(u *store.User) error { u.AccountEnabled = false; return nil }); err != nil {
		t.Fatal(err)
	}
	now := e.clock.Now()
	good := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		c := idp.claims("", now)
		delete(c, "upn")
		c["preferred_username"] = ana.UPN
		if edit != nil {
			edit(c)
		}
		return c
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: extMust(x509.MarshalPKIXPublicKey(&extRSA[0].PublicKey))})
	ourKID, ourKey, err := e.tokens.Keys.SigningKey()
	if err != nil {
		t.Fatal(err)
	}
	skew := auth.DefaultSkew

	// The good token works, and so do tokens just within the skew.
	for name, c := range map[string]jwt.MapClaims{
		"valid":                  good(nil),
		"expired within skew":    good(func(c jwt.MapClaims) { c["exp"] = now.Add(-skew + time.Second).Unix() }),
		"not yet valid, in skew": good(func(c jwt.MapClaims) { c["nbf"] = now.Add(skew - time.Second).Unix() }),
	} {
		expect(t, e.do("GET", "/v1.0/users", idp.sign(t, "rsa-1", c), ""), http.StatusOK, "")
		_ = name
	}

	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, good(nil)).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	attacks := map[string]string{
		"alg none":                        none,
		"HS256 keyed with the public key": extSign(t, jwt.SigningMethodHS256, pubPEM, "rsa-1", good(nil)),
		"HS256 keyed with the JWK's n":    extSign(t, jwt.SigningMethodHS256, extRSA[0].PublicKey.N.Bytes(), "rsa-1", good(nil)),
		"RS384":                           extSign(t, jwt.SigningMethodRS384, extRSA[0], "rsa-1", good(nil)),
		"ES256 naming an RSA key":         extSign(t, jwt.SigningMethodES256, extEC, "rsa-1", good(nil)),
		"unknown kid":                     extSign(t, jwt.SigningMethodRS256, extRSA[1], "rsa-9", good(nil)),
		"no kid":                          extSign(t, jwt.SigningMethodRS256, extRSA[0], "", good(nil)),
		"the provider's kid, another key": extSign(t, jwt.SigningMethodRS256, extRSA[1], "rsa-1", good(nil)),
		"signed with qrpin's key":         extSign(t, jwt.SigningMethodRS256, ourKey, ourKID, good(nil)),
		"wrong issuer":                    idp.sign(t, "rsa-1", good(func(c jwt.MapClaims) { c["iss"] = "https://evil.example" })),
		"issuer with a trailing slash":    idp.sign(t, "rsa-1", good(func(c jwt.MapClaims) { c["iss"] = idp.srv.URL + "/" })),
		"qrpin's issuer":                  idp.sign(t, "rsa-1", good(func(c jwt.MapClaims) { c["iss"] = e.tokens.Issuer })),
		"wrong audience":                  idp.sign(t, "rsa-1", good(func(c jwt.MapClaims) { c["aud"] = "https://graph.microsoft.com" })),
		"no audience":                     idp.sign(t, "rsa-1", good(func(c jwt.MapClaims) { delete(c, "aud") })),
		"expired beyond the skew":         idp.sign(t, "rsa-1", good(func(c jwt.MapClaims) { c["exp"] = now.Add(-skew - time.Second).Unix() })),
		"no exp":                          idp.sign(t, "rsa-1", good(func(c jwt.MapClaims) { delete(c, "exp") })),
		"not yet valid beyond the skew":   idp.sign(t, "rsa-1", good(func(c jwt.MapClaims) { c["nbf"] = now.Add(skew + time.Second).Unix() })),
		"issued in the future":            idp.sign(t, "rsa-1", good(func(c jwt.MapClaims) { c["iat"] = now.Add(skew + time.Minute).Unix() })),
		"unmapped user":                   idp.sign(t, "rsa-1", good(func(c jwt.MapClaims) { c["preferred_username"] = "nobody@contoso.com" })),
		"no mapping claim":                idp.sign(t, "rsa-1", good(func(c jwt.MapClaims) { delete(c, "preferred_username") })),
		"mapping claim not a string":      idp.sign(t, "rsa-1", good(func(c jwt.MapClaims) { c["preferred_username"] = []string{ana.UPN} })),
		"disabled user":                   idp.sign(t, "rsa-1", good(func(c jwt.MapClaims) { c["preferred_username"] = off.UPN })),
		"tampered payload":                extTamper(t, idp.sign(t, "rsa-1", good(nil)), func(c map[string]any) { c["preferred_username"] = off.UPN }),
	}
	for name, tok := range attacks {
		r := e.do("GET", "/v1.0/users", tok, "")
		extUnauthorized(t, name, r)
	}
	// Deleted user: the same token that worked stops working at once.
	tok := idp.sign(t, "rsa-1", good(nil))
	expect(t, e.do("GET", "/v1.0/users", tok, ""), http.StatusOK, "")
	if err := e.store.DeleteUser(context.Background(), ana.ID); err != nil {
		t.Fatal(err)
	}
	extUnauthorized(t, "deleted user", e.do("GET", "/v1.0/users", tok, ""))
}

// extTamper changes a signed token's payload, keeping its signature.
func extTamper(t *testing.T, tok string, edit func(map[string]any)) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	b, err := jwt.NewParser().DecodeSegment(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	edit(c)
	parts[1] = base64.RawURLEncoding.EncodeToString(extMust(json.Marshal(c)))
	return strings.Join(parts, ".")
}

func extMust(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// TestTrustedIssuerKeyRotation: a key the provider adds is fetched when a
// token names it; unknown kids fetch the keys at most once per
// auth.ExternalRefreshInterval.
func TestTrustedIssuerKeyRotation(t *testing.T) {
	t.Parallel()
	base := newEnv(t)
	idp := newExtIdP(t)
	e := extEnv(t, base, auth.TrustedIssuer{Issuer: idp.srv.URL, Audiences: []string{extAudience}, Claim: "upn"})
	ana := e.user("ana@contoso.com", auth.GlobalReader)
	if n := idp.jwksHits.Load(); n != 1 {
		t.Fatalf("%d JWKS fetches at start, want 1", n)
	}

	// Unknown kids: one fetch, then none within the interval.
	e.clock.Advance(auth.ExternalRefreshInterval)
	for range 20 {
		forged := extSign(t, jwt.SigningMethodRS256, extRSA[1], "rsa-"+uuid.NewString(), idp.claims(ana.UPN, e.clock.Now()))
		extUnauthorized(t, "unknown kid", e.do("GET", "/v1.0/me", forged, ""))
	}
	if n := idp.jwksHits.Load(); n != 2 {
		t.Fatalf("%d JWKS fetches after 20 unknown kids, want 2", n)
	}

	// The provider rotates: the new key is fetched once the interval is over.
	idp.publish("rsa-2", extRSA[2])
	tok := idp.sign(t, "rsa-2", idp.claims(ana.UPN, e.clock.Now()))
	extUnauthorized(t, "new key within the interval", e.do("GET", "/v1.0/me", tok, ""))
	e.clock.Advance(auth.ExternalRefreshInterval)
	expect(t, e.do("GET", "/v1.0/me", tok, ""), http.StatusOK, "")
	expect(t, e.do("GET", "/v1.0/me", tok, ""), http.StatusOK, "")
	if n := idp.jwksHits.Load(); n != 3 {
		t.Errorf("%d JWKS fetches, want 3", n)
	}
	if n := idp.discovery.Load(); n != 1 {
		t.Errorf("%d discovery fetches, want 1", n)
	}

	// The provider withdraws its first key: tokens it signed stop working
	// once the keys are fetched again, after auth.ExternalKeysMaxAge.
	old := idp.sign(t, "rsa-1", idp.claims(ana.UPN, e.clock.Now()))
	expect(t, e.do("GET", "/v1.0/me", old, ""), http.StatusOK, "")
	idp.withdraw("rsa-1")
	e.clock.Advance(auth.ExternalKeysMaxAge)
	extUnauthorized(t, "withdrawn key", e.do("GET", "/v1.0/me", idp.sign(t, "rsa-1", idp.claims(ana.UPN, e.clock.Now())), ""))
	expect(t, e.do("GET", "/v1.0/me", idp.sign(t, "rsa-2", idp.claims(ana.UPN, e.clock.Now())), ""), http.StatusOK, "")
}

// TestTrustedIssuerDownAtStart: qrpin starts while the provider is down,
// answers 503 for its tokens, and picks it up once it is back.
func TestTrustedIssuerDownAtStart(t *testing.T) {
	t.Parallel()
	base := newEnv(t)
	idp := newExtIdP(t)
	idp.down.Store(true)
	e := extEnv(t, base, auth.TrustedIssuer{Issuer: idp.srv.URL, Audiences: []string{extAudience}, Claim: "upn"})
	if !strings.Contains(e.logs.String(), "trusted issuer") {
		t.Errorf("the failed fetch is not logged: %s", e.logs.String())
	}
	ana := e.user("ana@contoso.com", auth.GlobalReader)
	tok := idp.sign(t, "rsa-1", idp.claims(ana.UPN, e.clock.Now()))

	r := e.do("GET", "/v1.0/me", tok, "")
	expect(t, r, http.StatusServiceUnavailable, "serviceNotAvailable")
	if r.header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	idp.down.Store(false)
	expect(t, e.do("GET", "/v1.0/me", tok, ""), http.StatusServiceUnavailable, "serviceNotAvailable") // retried at most every 10 s
	e.clock.Advance(auth.ExternalRefreshInterval)
	expect(t, e.do("GET", "/v1.0/me", tok, ""), http.StatusOK, "")
	// Down again: the keys already fetched keep working.
	idp.down.Store(true)
	e.clock.Advance(auth.ExternalKeysMaxAge)
	expect(t, e.do("GET", "/v1.0/me", idp.sign(t, "rsa-1", idp.claims(ana.UPN, e.clock.Now())), ""), http.StatusOK, "")
}

func TestTrustedIssuerConfigErrors(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]auth.TrustedIssuer{
		"nothing":                {Audiences: []string{"a"}},
		"no audience":            {Issuer: "https://idp.example"},
		"empty audience":         {Issuer: "https://idp.example", Audiences: []string{""}},
		"bad claim":              {Issuer: "https://idp.example", Audiences: []string{"a"}, Claim: "sub"},
		"unknown scope":          {Issuer: "https://idp.example", Audiences: []string{"a"}, Scopes: []string{"Everything.All"}},
		"plain http":             {Issuer: "http://idp.example", Audiences: []string{"a"}},
		"emailVerified with oid": {Issuer: "https://idp.example", Audiences: []string{"a"}, Claim: "oid", EmailVerified: "required"},
		"unknown emailVerified":  {Issuer: "https://idp.example", Audiences: []string{"a"}, Claim: "email", EmailVerified: "ignore"},
		"relative":               {Discovery: "/.well-known/openid-configuration", Audiences: []string{"a"}},
	} {
		if _, err := auth.NewExternal(context.Background(), []auth.TrustedIssuer{cfg}, auth.ExternalOptions{}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestTrustedIssuerLookAlikes: names are folded in ASCII only. An external
// upn that Unicode case folding would turn into a local user's name (the
// Kelvin sign U+212A folds to "k") or that differs from one by a dotless
// or dotted Turkish i is refused, on either backend; ASCII case still
// folds.
func TestTrustedIssuerLookAlikes(t *testing.T) {
	t.Parallel()
	base := newEnv(t)
	idp := newExtIdP(t)
	e := extEnv(t, base, auth.TrustedIssuer{Issuer: idp.srv.URL, Audiences: []string{extAudience}, Claim: "upn"})
	kate := e.user("kate@contoso.com")
	admin := e.user("admin@contoso.com", auth.GlobalAdministrator)
	now := e.clock.Now()
	for _, tc := range []struct {
		upn  string
		want string // the local user's id, "" for 401
	}{
		{"KATE@Contoso.COM", kate.ID},
		{"Admin@contoso.com", admin.ID},
		{"\u212Aate@contoso.com", ""},  // KELVIN SIGN: strings.ToLower gives "kate"
		{"adm\u0131n@contoso.com", ""}, // LATIN SMALL LETTER DOTLESS I
		{"adm\u0130n@contoso.com", ""}, // LATIN CAPITAL LETTER I WITH DOT ABOVE
		{"admin@contoso.\u212Aom", ""},
		{"admin@contoso.com\u200b", ""}, // ZERO WIDTH SPACE
	} {
		r := e.do("GET", "/v1.0/me", idp.sign(t, "rsa-1", idp.claims(tc.upn, now)), "")
		if tc.want == "" {
			extUnauthorized(t, tc.upn, r)
			continue
		}
		expect(t, r, http.StatusOK, "")
		if id := r.json(t)["id"]; id != tc.want {
			t.Errorf("%q maps to %v, want %s", tc.upn, id, tc.want)
		}
	}
}

// TestTrustedIssuerEmailVerified: a name the issuer says is not verified
// never maps to a local user. EmailVerified "required" (the default for
// claim email) needs email_verified true; "if-present" (the default for
// upn and preferred_username) refuses only a token that says otherwise.
func TestTrustedIssuerEmailVerified(t *testing.T) {
	t.Parallel()
	absent := struct{}{}
	verified := map[string]any{"true": true, `"true"`: "true", "false": false, `"false"`: "false", "absent": absent}
	for _, tc := range []struct {
		claim, mode string
		ok          []string // the email_verified values that map; the others are 401
	}{
		{"email", "", []string{"true", `"true"`}},
		{"email", auth.EmailVerifiedRequired, []string{"true", `"true"`}},
		{"email", auth.EmailVerifiedIfPresent, []string{"true", `"true"`, "absent"}},
		{"upn", "", []string{"true", `"true"`, "absent"}},
		{"preferred_username", "", []string{"true", `"true"`, "absent"}},
		{"preferred_username", auth.EmailVerifiedRequired, []string{"true", `"true"`}},
		{"oid", "", []string{"true", `"true"`, "false", `"false"`, "absent"}},
	} {
		t.Run(tc.claim+"/"+tc.mode, func(t *testing.T) {
			t.Parallel()
			base := newEnv(t)
			idp := newExtIdP(t)
			e := extEnv(t, base, auth.TrustedIssuer{Issuer: idp.srv.URL, Audiences: []string{extAudience}, Claim: tc.claim, EmailVerified: tc.mode})
			ana := e.user("ana@contoso.com")
			for name, v := range verified {
				c := idp.claims(ana.UPN, e.clock.Now())
				c["email"], c["preferred_username"], c["oid"] = ana.UPN, ana.UPN, ana.ID
				if v != absent {
					c["email_verified"] = v
				}
				r := e.do("GET", "/v1.0/me", idp.sign(t, "rsa-1", c), "")
				if !slices.Contains(tc.ok, name) {
					extUnauthorized(t, "email_verified "+name, r)
					continue
				}
				if r.status != http.StatusOK || r.json(t)["id"] != ana.ID {
					t.Errorf("email_verified %s: %d %s, want 200 for ana", name, r.status, r.body)
				}
			}
		})
	}
}

// TestTrustedIssuerAuthTime: iat does not stand in for auth_time. A token
// without auth_time is not a recent sign-in, so users cannot change their
// own method with it (403 with the claims challenge); with a fresh
// auth_time they can.
func TestTrustedIssuerAuthTime(t *testing.T) {
	t.Parallel()
	base := newEnv(t)
	idp := newExtIdP(t)
	e := extEnv(t, base, auth.TrustedIssuer{Issuer: idp.srv.URL, Audiences: []string{extAudience}, Claim: "upn"})
	ana := e.user("ana@contoso.com")
	now := e.clock.Now()
	body := `{"standardQRCode":{}}`

	noAuthTime := idp.claims(ana.UPN, now) // iat = now
	r := e.do("PUT", "/v1.0/me/authentication/qrCodePinMethod", idp.sign(t, "rsa-1", noAuthTime), body)
	expect(t, r, http.StatusForbidden, "accessDenied")
	if h := r.header.Get("WWW-Authenticate"); !strings.Contains(h, `error="insufficient_claims"`) {
		t.Errorf("no auth_time: WWW-Authenticate %q, want the claims challenge", h)
	}
	old := idp.claims(ana.UPN, now)
	old["auth_time"] = now.Add(-auth.RecentSignIn - time.Minute).Unix()
	expect(t, e.do("PUT", "/v1.0/me/authentication/qrCodePinMethod", idp.sign(t, "rsa-1", old), body), http.StatusForbidden, "accessDenied")

	fresh := idp.claims(ana.UPN, now)
	fresh["auth_time"] = now.Unix()
	expect(t, e.do("PUT", "/v1.0/me/authentication/qrCodePinMethod", idp.sign(t, "rsa-1", fresh), body), http.StatusCreated, "")
}
