package graph_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/store"
)

// TestOwnTokenAttacks sends forged, misdirected and stale versions of
// qrpin's own tokens through the HTTP API: each is 401
// InvalidAuthenticationToken with a WWW-Authenticate Bearer challenge. The
// clock skew tolerated on exp, nbf and iat is auth.DefaultSkew (2 minutes).
func TestOwnTokenAttacks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	extTestKeys(t)
	ana := e.user("ana@contoso.com", auth.GlobalAdministrator)
	off := e.user("off@contoso.com", auth.GlobalAdministrator)
	gone := e.user("gone@contoso.com", auth.GlobalAdministrator)
	kid, priv, err := e.tokens.Keys.SigningKey()
	if err != nil {
		t.Fatal(err)
	}
	now := e.clock.Now()
	skew := auth.DefaultSkew
	// claims is a valid delegated token of u, signed in just now.
	claims := func(u store.User, edit func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{
			"iss": e.tokens.Issuer, "aud": auth.GraphAudiences[0], "sub": u.ID, "oid": u.ID, "tid": e.tenant,
			"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(), "auth_time": now.Unix(),
			"ver": "2.0", "scp": "User.ReadWrite.All", "idtyp": "user", "wids": []string{auth.GlobalAdministrator},
		}
		if edit != nil {
			edit(c)
		}
		return c
	}
	ours := func(edit func(jwt.MapClaims)) string {
		return extSign(t, jwt.SigningMethodRS256, priv, kid, claims(ana, edit))
	}

	// The genuine token and tokens just within the skew work.
	for name, tok := range map[string]string{
		"genuine":                ours(nil),
		"expired within skew":    ours(func(c jwt.MapClaims) { c["exp"] = now.Add(-skew + time.Second).Unix() }),
		"not yet valid, in skew": ours(func(c jwt.MapClaims) { c["nbf"] = now.Add(skew - time.Second).Unix() }),
		"Graph's app id as aud":  ours(func(c jwt.MapClaims) { c["aud"] = auth.GraphAudiences[1] }),
	} {
		if r := e.do("GET", "/v1.0/users", tok, ""); r.status != http.StatusOK {
			t.Errorf("%s: %d %s, want 200", name, r.status, r.body)
		}
	}

	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: extMust(x509.MarshalPKIXPublicKey(&priv.PublicKey))})
	pubDER := extMust(x509.MarshalPKIXPublicKey(&priv.PublicKey))
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims(ana, nil)).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	noneWithKID := func() string {
		tok := jwt.NewWithClaims(jwt.SigningMethodNone, claims(ana, nil))
		tok.Header["kid"] = kid
		s, err := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}()
	for name, tok := range map[string]string{
		"alg none":                            none,
		"alg none with our kid":               noneWithKID,
		"HS256 keyed with the PEM public key": extSign(t, jwt.SigningMethodHS256, pubPEM, kid, claims(ana, nil)),
		"HS256 keyed with the DER public key": extSign(t, jwt.SigningMethodHS256, pubDER, kid, claims(ana, nil)),
		"RS512 with our key":                  extSign(t, jwt.SigningMethodRS512, priv, kid, claims(ana, nil)),
		"PS256 with our key":                  extSign(t, jwt.SigningMethodPS256, priv, kid, claims(ana, nil)),
		"foreign key and kid":                 extSign(t, jwt.SigningMethodRS256, extRSA[0], "foreign-kid", claims(ana, nil)),
		"foreign key, our kid":                extSign(t, jwt.SigningMethodRS256, extRSA[0], kid, claims(ana, nil)),
		"no kid":                              extSign(t, jwt.SigningMethodRS256, priv, "", claims(ana, nil)),
		"wrong issuer":                        ours(func(c jwt.MapClaims) { c["iss"] = "https://login.microsoftonline.com/" + e.tenant + "/v2.0" }),
		"other tenant's issuer":               ours(func(c jwt.MapClaims) { c["iss"] = auth.Issuer(e.srv.URL, uuid.NewString()) }),
		"wrong audience":                      ours(func(c jwt.MapClaims) { c["aud"] = "api://someone-else" }),
		"no audience":                         ours(func(c jwt.MapClaims) { delete(c, "aud") }),
		"expired beyond the skew":             ours(func(c jwt.MapClaims) { c["exp"] = now.Add(-skew - time.Second).Unix() }),
		"no exp":                              ours(func(c jwt.MapClaims) { delete(c, "exp") }),
		"not yet valid beyond the skew":       ours(func(c jwt.MapClaims) { c["nbf"] = now.Add(skew + time.Second).Unix() }),
		"issued in the future":                ours(func(c jwt.MapClaims) { c["iat"] = now.Add(skew + time.Second).Unix() }),
		"tampered wids":                       extTamper(t, extSign(t, jwt.SigningMethodRS256, priv, kid, claims(off, func(c jwt.MapClaims) { c["wids"] = nil })), func(c map[string]any) { c["oid"] = ana.ID }),
		"disabled user":                       extSign(t, jwt.SigningMethodRS256, priv, kid, claims(off, nil)),
		"deleted user":                        extSign(t, jwt.SigningMethodRS256, priv, kid, claims(gone, nil)),
		"unknown user":                        ours(func(c jwt.MapClaims) { c["oid"], c["sub"] = uuid.NewString(), "x" }),
		"not a JWT":                           "not-a-jwt",
		"two parts":                           "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0",
	} {
		if name == "disabled user" {
			if _, err := e.store.UpdateUser(context.Background(), off.ID, func(u *store.User) error { u.AccountEnabled = false; return nil }); err != nil {
				t.Fatal(err)
			}
		}
		if name == "deleted user" {
			if err := e.store.DeleteUser(context.Background(), gone.ID); err != nil && err != store.ErrNotFound {
				t.Fatal(err)
			}
		}
		extUnauthorized(t, name, e.do("GET", "/v1.0/users", tok, ""))
	}

	// Time moves past a genuine token's exp plus the skew.
	tok := ours(nil)
	e.clock.Advance(time.Hour + skew - time.Second)
	expect(t, e.do("GET", "/v1.0/users", tok, ""), http.StatusOK, "")
	e.clock.Advance(time.Second) // now = exp + skew: refused
	extUnauthorized(t, "expired by the clock", e.do("GET", "/v1.0/users", tok, ""))
}
