package compat

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// TestDiscoveryAndJWKS does what a resource server does with the token
// azidentity got from qrpin: read the tenant's OpenID discovery document,
// fetch jwks_uri, and verify the token's signature and claims with
// go-jose. (azidentity/MSAL itself reads the discovery document to find
// the token endpoint.)
func TestDiscoveryAndJWKS(t *testing.T) {
	s := startServer(t)
	tk, err := s.appCredential(t, s.creds.ClientSecret).GetToken(ctxT(t), policy.TokenRequestOptions{Scopes: []string{graphScope}})
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: s.transport(), Timeout: time.Minute}
	getJSON := func(url string, into any) {
		t.Helper()
		req, _ := http.NewRequestWithContext(context.Background(), "GET", url, nil)
		res, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", url, res.StatusCode)
		}
		if err := json.NewDecoder(res.Body).Decode(into); err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
	}
	var disc struct {
		Issuer        string `json:"issuer"`
		TokenEndpoint string `json:"token_endpoint"`
		JWKSURI       string `json:"jwks_uri"`
	}
	getJSON(s.url+"/"+s.creds.TenantID+"/v2.0/.well-known/openid-configuration", &disc)
	if disc.Issuer != s.url+"/"+s.creds.TenantID+"/v2.0" || disc.TokenEndpoint != s.creds.TokenEndpoint || !strings.HasPrefix(disc.JWKSURI, s.url+"/") {
		t.Fatalf("discovery: %+v", disc)
	}
	var jwks jose.JSONWebKeySet
	getJSON(disc.JWKSURI, &jwks)
	tok, err := jwt.ParseSigned(tk.Token, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	if len(tok.Headers) != 1 || len(jwks.Key(tok.Headers[0].KeyID)) != 1 {
		t.Fatalf("the token's kid %q is not in the JWKS (%d keys)", tok.Headers[0].KeyID, len(jwks.Keys))
	}
	var claims jwt.Claims
	var extra struct {
		Roles []string `json:"roles"`
		TID   string   `json:"tid"`
	}
	if err := tok.Claims(jwks.Key(tok.Headers[0].KeyID)[0].Key, &claims, &extra); err != nil {
		t.Fatalf("the token does not verify with the JWKS key: %v", err)
	}
	if err := claims.ValidateWithLeeway(jwt.Expected{Issuer: disc.Issuer, Time: time.Now()}, time.Minute); err != nil {
		t.Fatalf("claims: %v", err)
	}
	if extra.TID != s.creds.TenantID || len(extra.Roles) == 0 {
		t.Fatalf("tid %q roles %v", extra.TID, extra.Roles)
	}
}
