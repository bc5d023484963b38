package auth

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/qrpin/qrpin/apperr"
)

var (
	testUser = Principal{
		Kind:           Delegated,
		ObjectID:       "0f6c8bd1-7a51-4d59-b2b4-0d6a8d2f1e01",
		AppID:          "14d82eec-204b-4c2f-b7e8-296a70dab67e",
		TenantID:       testTenant,
		UPN:            "ana@contoso.example",
		Scopes:         []string{"UserAuthMethod-QR.ReadWrite.All", "User.Read"},
		DirectoryRoles: []string{AuthenticationAdministrator, GlobalReader},
		AuthTime:       testNow.Add(-3 * time.Minute),
	}
	testApp = Principal{
		Kind:     Application,
		ObjectID: "5e2f9a0c-3d1b-4e8f-9a7c-6b5d4c3b2a10",
		AppID:    "c0ffee00-1111-4222-8333-444455556666",
		TenantID: testTenant,
		Roles:    []string{"UserAuthMethod-QR.ReadWrite.All", "User.Read.All"},
	}
)

func TestIssuer(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"https://qrpin.example", "https://qrpin.example/t1/v2.0"},
		{"https://qrpin.example/", "https://qrpin.example/t1/v2.0"},
		{"https://qrpin.example/base//", "https://qrpin.example/base/t1/v2.0"},
	} {
		if got := Issuer(tc.url, "t1"); got != tc.want {
			t.Errorf("Issuer(%q) = %q, want %q", tc.url, got, tc.want)
		}
	}
}

// payload decodes a token's claims without verifying it.
func payload(t *testing.T, tok string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, claims
}

func TestMintVerifyRoundTrip(t *testing.T) {
	tokens := newTokens()
	kid, _, _ := testKeys.SigningKey()
	for _, tc := range []struct {
		name string
		p    Principal
		ttl  time.Duration
		want map[string]any // claims that must be present with these values
		not  []string       // claims that must be absent
	}{
		{"delegated", testUser, time.Hour, map[string]any{
			"scp": "UserAuthMethod-QR.ReadWrite.All User.Read", "upn": testUser.UPN,
			"preferred_username": testUser.UPN, "idtyp": "user", "appid": testUser.AppID, "azp": testUser.AppID,
			"auth_time": float64(testUser.AuthTime.Unix()), "wids": []any{AuthenticationAdministrator, GlobalReader},
		}, []string{"roles"}},
		{"delegated without scopes", Principal{Kind: Delegated, ObjectID: "u2", TenantID: testTenant}, time.Minute,
			map[string]any{"scp": "", "idtyp": "user"}, []string{"roles", "wids", "auth_time", "upn", "appid"}},
		{"application", testApp, 10 * time.Minute, map[string]any{
			"roles": []any{"UserAuthMethod-QR.ReadWrite.All", "User.Read.All"}, "idtyp": "app", "azp": testApp.AppID,
		}, []string{"scp", "wids", "auth_time", "upn"}},
		{"application without roles", Principal{Kind: Application, ObjectID: "sp2", TenantID: testTenant}, time.Minute,
			map[string]any{"idtyp": "app"}, []string{"scp", "roles"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := tokens.Mint(tc.p, tc.ttl)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tokens.Verify(tok)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.p) {
				t.Errorf("Verify(Mint(p)) =\n%+v\nwant\n%+v", got, tc.p)
			}

			h, c := payload(t, tok)
			if h["alg"] != "RS256" || h["kid"] != kid {
				t.Errorf("header = %v, want alg RS256, kid %s", h, kid)
			}
			common := map[string]any{
				"iss": testIssuer, "aud": GraphAudiences[0], "sub": tc.p.ObjectID, "oid": tc.p.ObjectID,
				"tid": testTenant, "ver": "2.0", "iat": float64(testNow.Unix()), "nbf": float64(testNow.Unix()),
				"exp": float64(testNow.Add(tc.ttl).Unix()),
			}
			for k, v := range tc.want {
				common[k] = v
			}
			for k, v := range common {
				if !reflect.DeepEqual(c[k], v) {
					t.Errorf("claim %s = %#v, want %#v", k, c[k], v)
				}
			}
			for _, k := range tc.not {
				if _, ok := c[k]; ok {
					t.Errorf("claim %s present, want absent", k)
				}
			}
			if jti, _ := c["jti"].(string); len(jti) != 36 {
				t.Errorf("jti = %v, want a UUID", c["jti"])
			}
		})
	}
}

func TestMintJTIUnique(t *testing.T) {
	tokens := newTokens()
	a, _ := tokens.Mint(testApp, time.Hour)
	b, _ := tokens.Mint(testApp, time.Hour)
	if a == b {
		t.Error("two tokens minted at the same instant are identical (jti not unique)")
	}
}

func TestMintErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tokens *Tokens
		p      Principal
		ttl    time.Duration
	}{
		{"no keys", &Tokens{Issuer: testIssuer}, testApp, time.Hour},
		{"no issuer", &Tokens{Keys: testKeys}, testApp, time.Hour},
		{"zero ttl", newTokens(), testApp, 0},
		{"negative ttl", newTokens(), testApp, -time.Second},
		{"ttl over the maximum", newTokens(), testApp, MaxTokenLifetime + time.Second},
		{"no kind", newTokens(), Principal{ObjectID: "x", TenantID: "t"}, time.Hour},
		{"no object id", newTokens(), Principal{Kind: Application, TenantID: "t"}, time.Hour},
		{"no tenant", newTokens(), Principal{Kind: Application, ObjectID: "x"}, time.Hour},
		{"scope with a space", newTokens(), Principal{Kind: Delegated, ObjectID: "x", TenantID: "t", Scopes: []string{"A B"}}, time.Hour},
		{"empty scope", newTokens(), Principal{Kind: Delegated, ObjectID: "x", TenantID: "t", Scopes: []string{""}}, time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tok, err := tc.tokens.Mint(tc.p, tc.ttl); err == nil {
				t.Errorf("Mint succeeded: %s", tok)
			}
		})
	}
}

// validClaims are the claims of a good delegated token at testNow.
func validClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"iss": testIssuer, "aud": GraphAudiences[0], "sub": "u1", "oid": "u1", "tid": testTenant,
		"iat": testNow.Unix(), "nbf": testNow.Unix(), "exp": testNow.Add(time.Hour).Unix(),
		"ver": "2.0", "scp": "User.Read", "idtyp": "user",
	}
}

// sign signs claims with method and key, setting the kid header unless kid is nil.
func sign(t *testing.T, method jwt.SigningMethod, key any, kid any, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, c)
	if kid != nil {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// with returns validClaims changed by edit.
func with(edit func(jwt.MapClaims)) jwt.MapClaims {
	c := validClaims()
	edit(c)
	return c
}

func TestVerifyRejects(t *testing.T) {
	tokens := newTokens()
	kid, priv, _ := testKeys.SigningKey()
	otherKID, otherPriv, _ := otherKeys.SigningKey()
	pubDER, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	good := sign(t, jwt.SigningMethodRS256, priv, kid, validClaims())
	if _, err := tokens.Verify(good); err != nil {
		t.Fatalf("the unmodified token fails: %v", err)
	}
	parts := strings.Split(good, ".")
	evil := with(func(c jwt.MapClaims) { c["oid"] = "someone-else" })
	evilPayload, _ := json.Marshal(evil)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(evilPayload) + "." + parts[2]

	const (
		alg     = "only RS256"
		badKey  = "signing key (kid)"
		badSig  = "Invalid signature."
		timing  = "Access token has expired or is not yet valid."
		iss     = "Invalid issuer."
		aud     = "Invalid audience."
		claim   = "required claim"
		garbled = "not a well-formed JWT"
	)
	rs := func(c jwt.MapClaims) string { return sign(t, jwt.SigningMethodRS256, priv, kid, c) }
	for _, tc := range []struct {
		name, token, want string
	}{
		{"alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, kid, validClaims()), alg},
		{"alg none without kid", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, nil, validClaims()), alg},
		{"HS256 keyed with the public key PEM", sign(t, jwt.SigningMethodHS256, pubPEM, kid, validClaims()), alg},
		{"HS256 keyed with the public key DER", sign(t, jwt.SigningMethodHS256, pubDER, kid, validClaims()), alg},
		{"RS512 with our key", sign(t, jwt.SigningMethodRS512, priv, kid, validClaims()), alg},
		{"PS256 with our key", sign(t, jwt.SigningMethodPS256, priv, kid, validClaims()), alg},
		{"unknown kid", sign(t, jwt.SigningMethodRS256, priv, "no-such-key", validClaims()), badKey},
		{"no kid", sign(t, jwt.SigningMethodRS256, priv, nil, validClaims()), badKey},
		{"kid not a string", sign(t, jwt.SigningMethodRS256, priv, 42, validClaims()), badKey},
		{"another key set's key and kid", sign(t, jwt.SigningMethodRS256, otherPriv, otherKID, validClaims()), badKey},
		{"another key set's key under our kid", sign(t, jwt.SigningMethodRS256, otherPriv, kid, validClaims()), badSig},
		{"payload changed after signing", tampered, badSig},
		{"signature stripped", parts[0] + "." + parts[1] + ".", badSig},
		{"wrong issuer", rs(with(func(c jwt.MapClaims) { c["iss"] = "https://evil.example/" + testTenant + "/v2.0" })), iss},
		{"issuer with trailing slash", rs(with(func(c jwt.MapClaims) { c["iss"] = testIssuer + "/" })), iss},
		{"no issuer", rs(with(func(c jwt.MapClaims) { delete(c, "iss") })), claim},
		{"wrong audience", rs(with(func(c jwt.MapClaims) { c["aud"] = "https://management.azure.com" })), aud},
		{"wrong audiences list", rs(with(func(c jwt.MapClaims) { c["aud"] = []string{"a", "b"} })), aud},
		{"no audience", rs(with(func(c jwt.MapClaims) { delete(c, "aud") })), claim},
		{"expired beyond skew", rs(with(func(c jwt.MapClaims) { c["exp"] = testNow.Add(-2*time.Minute - time.Second).Unix() })), timing},
		{"long expired", rs(with(func(c jwt.MapClaims) { c["exp"] = testNow.Add(-24 * time.Hour).Unix() })), timing},
		{"nbf beyond skew", rs(with(func(c jwt.MapClaims) { c["nbf"] = testNow.Add(2*time.Minute + time.Second).Unix() })), timing},
		{"iat beyond skew", rs(with(func(c jwt.MapClaims) { c["iat"] = testNow.Add(3 * time.Minute).Unix() })), timing},
		{"no exp", rs(with(func(c jwt.MapClaims) { delete(c, "exp") })), claim},
		{"no oid", rs(with(func(c jwt.MapClaims) { delete(c, "oid") })), claim},
		{"empty oid", rs(with(func(c jwt.MapClaims) { c["oid"] = "" })), claim},
		{"no tid", rs(with(func(c jwt.MapClaims) { delete(c, "tid") })), claim},
		{"idtyp app with scp", rs(with(func(c jwt.MapClaims) { c["idtyp"] = "app" })), claim},
		{"idtyp user without scp", rs(with(func(c jwt.MapClaims) { delete(c, "scp") })), claim},
		{"oid not a string", rs(with(func(c jwt.MapClaims) { c["oid"] = 7 })), garbled},
		{"empty", "", "Access token is empty."},
		{"garbage", "not a token", garbled},
		{"three garbage parts", "a.b.c", garbled},
		{"Bearer prefix left on", "Bearer " + good, garbled},
		{"too long", strings.Repeat("a", maxTokenLen+1), garbled},
		{"long but well-formed", rs(with(func(c jwt.MapClaims) { c["pad"] = strings.Repeat("x", maxTokenLen) })), garbled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tokens.Verify(tc.token)
			if err == nil {
				t.Fatalf("accepted: %+v", p)
			}
			if !reflect.DeepEqual(p, Principal{}) {
				t.Errorf("principal returned with the error: %+v", p)
			}
			e, ok := apperr.As(err)
			if !ok {
				t.Fatalf("error %T %v, want *apperr.Error", err, err)
			}
			if e.Kind != apperr.Unauthenticated || e.Code != "InvalidAuthenticationToken" {
				t.Errorf("error = kind %d code %q, want Unauthenticated InvalidAuthenticationToken", e.Kind, e.Code)
			}
			if !strings.Contains(e.Message, tc.want) {
				t.Errorf("message %q does not say %q", e.Message, tc.want)
			}
			for _, part := range strings.Split(tc.token, ".") {
				if len(part) >= 8 && strings.Contains(e.Error(), part) {
					t.Errorf("error %q echoes the token", e.Error())
				}
			}
		})
	}
}

func TestVerifyAccepts(t *testing.T) {
	kid, priv, _ := testKeys.SigningKey()
	rs := func(c jwt.MapClaims) string { return sign(t, jwt.SigningMethodRS256, priv, kid, c) }
	for _, tc := range []struct {
		name   string
		tokens *Tokens
		token  string
	}{
		{"expired within skew", newTokens(), rs(with(func(c jwt.MapClaims) { c["exp"] = testNow.Add(-2*time.Minute + time.Second).Unix() }))},
		{"nbf within skew", newTokens(), rs(with(func(c jwt.MapClaims) { c["nbf"] = testNow.Add(2 * time.Minute).Unix() }))},
		{"iat within skew", newTokens(), rs(with(func(c jwt.MapClaims) { c["iat"] = testNow.Add(time.Minute).Unix() }))},
		{"no nbf, no iat", newTokens(), rs(with(func(c jwt.MapClaims) { delete(c, "nbf"); delete(c, "iat") }))},
		{"second Graph audience", newTokens(), rs(with(func(c jwt.MapClaims) { c["aud"] = GraphAudiences[1] }))},
		{"audience in a list", newTokens(), rs(with(func(c jwt.MapClaims) { c["aud"] = []string{"x", GraphAudiences[0]} }))},
		{"added audience", func() *Tokens {
			tk := newTokens()
			tk.Audiences = append(append([]string(nil), GraphAudiences...), "api://qrpin")
			return tk
		}(), rs(with(func(c jwt.MapClaims) { c["aud"] = "api://qrpin" }))},
		{"no idtyp", newTokens(), rs(with(func(c jwt.MapClaims) { delete(c, "idtyp") }))},
		{"v1 appid only", newTokens(), rs(with(func(c jwt.MapClaims) { c["appid"] = "app-1" }))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.tokens.Verify(tc.token); err != nil {
				t.Errorf("refused: %v", err)
			}
		})
	}
}

func TestVerifySkew(t *testing.T) {
	tokens := newTokens()
	tokens.Skew = 10 * time.Second
	kid, priv, _ := testKeys.SigningKey()
	tok := sign(t, jwt.SigningMethodRS256, priv, kid, with(func(c jwt.MapClaims) { c["exp"] = testNow.Add(-time.Minute).Unix() }))
	if _, err := tokens.Verify(tok); err == nil {
		t.Error("a token expired a minute ago passes with a 10 second skew")
	}
	tokens.Skew = 0 // DefaultSkew
	if _, err := tokens.Verify(tok); err != nil {
		t.Errorf("a token expired a minute ago fails with the default skew: %v", err)
	}
}

func TestVerifyClaimsMapping(t *testing.T) {
	tokens := newTokens()
	kid, priv, _ := testKeys.SigningKey()
	tok := sign(t, jwt.SigningMethodRS256, priv, kid, with(func(c jwt.MapClaims) {
		c["appid"] = "v1-app"
		c["preferred_username"] = "bo@contoso.example"
		c["scp"] = "  a   B  "
		c["roles"] = []string{"User.ReadWrite.All"} // ignored on a delegated token
	}))
	p, err := tokens.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	want := Principal{Kind: Delegated, ObjectID: "u1", AppID: "v1-app", TenantID: testTenant,
		UPN: "bo@contoso.example", Scopes: []string{"a", "B"}}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("got %+v, want %+v", p, want)
	}
}

func TestVerifyMisconfigured(t *testing.T) {
	tok, err := newTokens().Mint(testApp, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for name, tokens := range map[string]*Tokens{
		"no issuer": {Keys: testKeys, Now: newTokens().Now},
		"no keys":   {Issuer: testIssuer, Now: newTokens().Now},
	} {
		if _, err := tokens.Verify(tok); err == nil {
			t.Errorf("%s: token accepted", name)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	tokens := newTokens()
	tok, err := tokens.Mint(testUser, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tokens.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMint(b *testing.B) {
	tokens := newTokens()
	for b.Loop() {
		if _, err := tokens.Mint(testUser, time.Hour); err != nil {
			b.Fatal(err)
		}
	}
}
