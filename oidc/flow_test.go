package oidc

import (
	"context"
	"slices"
	"testing"

	"golang.org/x/oauth2"

	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/store"
)

var (
	webApp = store.AppSignIn{WebRedirectURIs: []string{"https://timesheets.contoso.com/auth/callback"},
		WebLogoutURL: "https://timesheets.contoso.com/signed-out"}
	spaApp    = store.AppSignIn{SPARedirectURIs: []string{"https://ward.contoso.com/"}}
	nativeApp = store.AppSignIn{PublicRedirectURIs: []string{"http://127.0.0.1/callback", "com.contoso.scanner://auth"},
		FallbackPublicClient: true}
)

// TestServer is the oidcc-server module: a confidential client signs a
// worker in with the authorization code flow and PKCE through x/oauth2,
// verifies the ID token with go-oidc from discovery, and its Graph access
// token passes qrpin's own verifier.
func TestServer(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			e := newEnvOn(t, backend)
			a := e.newApp("Timesheets", webApp)
			ctx := context.Background()
			code, verifier, cfg := e.signIn(a, webApp.WebRedirectURIs[0], oauth2.SetAuthURLParam("nonce", "n-0S6_WzA2Mj"))
			tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			raw, _ := tok.Extra("id_token").(string)
			idt, err := e.idVerifier(a).Verify(ctx, raw)
			if err != nil {
				t.Fatalf("go-oidc Verify: %v", err)
			}
			var claims struct {
				Sub, OID, TID, Name, Nonce, Ver, Azp string
				PreferredUsername                    string   `json:"preferred_username"`
				AuthTime                             int64    `json:"auth_time"`
				AMR                                  []string `json:"amr"`
			}
			if err := idt.Claims(&claims); err != nil {
				t.Fatal(err)
			}
			if claims.Nonce != "n-0S6_WzA2Mj" || claims.OID != e.user.ID || claims.TID != testTenant || claims.Ver != "2.0" ||
				claims.Azp != a.AppID || claims.PreferredUsername != e.user.UPN || claims.Name != e.user.DisplayName ||
				claims.AuthTime != e.clock.Now().Unix() || !slices.Equal(claims.AMR, []string{"pin", "qr"}) {
				t.Errorf("ID token claims %+v", claims)
			}
			if len(claims.Sub) != 43 || claims.Sub == e.user.ID || claims.Sub != e.p.pairwise(a.AppID, e.user.ID) {
				t.Errorf("sub %q: want the pairwise subject (43 characters)", claims.Sub)
			}
			if idt.Audience[0] != a.AppID || len(idt.Audience) != 1 {
				t.Errorf("aud %v, want [%s]", idt.Audience, a.AppID)
			}
			p, err := e.graphTokens().Verify(tok.AccessToken)
			if err != nil {
				t.Fatalf("Graph rejects the access token: %v", err)
			}
			want := auth.Principal{Kind: auth.Delegated, ObjectID: e.user.ID, AppID: a.AppID, TenantID: testTenant,
				UPN: e.user.UPN, Scopes: []string{"User.Read", "openid", "profile"}, AuthTime: e.clock.Now().Truncate(1e9)}
			if p.Kind != want.Kind || p.ObjectID != want.ObjectID || p.AppID != want.AppID || p.UPN != want.UPN ||
				!slices.Equal(p.Scopes, want.Scopes) || p.DirectoryRoles != nil || !p.AuthTime.Equal(want.AuthTime) {
				t.Errorf("Graph principal %+v, want %+v", p, want)
			}
			if tok.RefreshToken == "" {
				t.Error("no refresh token with offline_access")
			}
		})
	}
}
