package oidc

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	zop "github.com/zitadel/oidc/v3/pkg/op"

	"github.com/qrpin/qrpin/redirect"
	"github.com/qrpin/qrpin/store"
)

// hashSecret is how codes and tokens are kept: their SHA-256, in hex.
// They are random (128 bits or more), so no slow hash is needed.
func hashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// errNotRouted answers the op.Storage methods that only op's own handlers
// call (token introspection, revocation, op's token and userinfo
// handlers, JWT profile grants), which qrpin does not route.
var errNotRouted = zoidc.ErrRequestNotSupported().WithDescription("qrpin does not serve this endpoint")

// storage is op's view of the store: the part of op.Storage that the op
// functions qrpin calls use (clients, authorization requests and their
// codes, signing keys, the claims of tokens).
type storage struct {
	p *Provider
}

var (
	_ zop.Storage                        = (*storage)(nil)
	_ zop.CanGetPrivateClaimsFromRequest = (*storage)(nil)
)

// platform is which of an application's redirect URI lists a request's
// redirect URI is in; it decides whether the client is confidential.
type platform int

const (
	platformNone   platform = iota
	platformWeb             // web.redirectUris: confidential, with a client secret
	platformSPA             // spa.redirectUris: public, PKCE
	platformPublic          // publicClient.redirectUris: public, PKCE
)

// platformOf returns the list a redirect URI matches (web first).
func platformOf(si store.AppSignIn, uri string) platform {
	switch {
	case redirect.Match(si.WebRedirectURIs, uri):
		return platformWeb
	case redirect.Match(si.SPARedirectURIs, uri):
		return platformSPA
	case redirect.Match(si.PublicRedirectURIs, uri):
		return platformPublic
	}
	return platformNone
}

// client is an application as op sees it, for one platform.
type client struct {
	app      store.Application
	platform platform
	loginURL func(id string) string
	idTTL    time.Duration
}

func (c *client) GetID() string { return c.app.AppID }
func (c *client) RedirectURIs() []string {
	si := c.app.SignIn
	return slices.Concat(si.WebRedirectURIs, si.SPARedirectURIs, si.PublicRedirectURIs)
}

// PostLogoutRedirectURIs are the redirect URIs and web.logoutUrl.
func (c *client) PostLogoutRedirectURIs() []string {
	uris := c.RedirectURIs()
	if c.app.SignIn.WebLogoutURL != "" {
		uris = append(uris, c.app.SignIn.WebLogoutURL)
	}
	return uris
}

func (c *client) ApplicationType() zop.ApplicationType {
	switch c.platform {
	case platformSPA:
		return zop.ApplicationTypeUserAgent
	case platformPublic:
		return zop.ApplicationTypeNative
	}
	return zop.ApplicationTypeWeb
}

func (c *client) AuthMethod() zoidc.AuthMethod {
	if c.platform == platformWeb {
		return zoidc.AuthMethodBasic
	}
	return zoidc.AuthMethodNone
}

func (c *client) ResponseTypes() []zoidc.ResponseType {
	return []zoidc.ResponseType{zoidc.ResponseTypeCode}
}
func (c *client) GrantTypes() []zoidc.GrantType {
	g := []zoidc.GrantType{zoidc.GrantTypeCode, zoidc.GrantTypeRefreshToken}
	if c.app.SignIn.FallbackPublicClient {
		g = append(g, zoidc.GrantTypeDeviceCode)
	}
	return g
}
func (c *client) LoginURL(id string) string            { return c.loginURL(id) }
func (c *client) AccessTokenType() zop.AccessTokenType { return zop.AccessTokenTypeJWT }
func (c *client) IDTokenLifetime() time.Duration       { return c.idTTL }
func (c *client) DevMode() bool                        { return false }
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) IsScopeAllowed(string) bool { return true } // scopes are checked by resourceOf
// IDTokenUserinfoClaimsAssertion: the profile claims go in the ID token,
// as Entra puts them.
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *client) ClockSkew() time.Duration             { return 0 }

// clientFor returns the application as a client of the given platform.
func (p *Provider) clientFor(app store.Application, pl platform) *client {
	return &client{app: app, platform: pl, idTTL: p.cfg.TokenTTL, loginURL: func(id string) string {
		return p.tenant + "/signin?authRequest=" + id
	}}
}

// request is an authorization request as op sees it.
type request struct {
	store.AuthRequest
	sub string // the pairwise subject, once signed in
}

func (r *request) GetID() string          { return r.ID }
func (r *request) GetACR() string         { return "" }
func (r *request) GetAMR() []string       { return amr }
func (r *request) GetAudience() []string  { return []string{r.ClientID} }
func (r *request) GetAuthTime() time.Time { return r.AuthTime }
func (r *request) GetClientID() string    { return r.ClientID }
func (r *request) GetCodeChallenge() *zoidc.CodeChallenge {
	if r.CodeChallenge == "" {
		return nil
	}
	return &zoidc.CodeChallenge{Challenge: r.CodeChallenge, Method: zoidc.CodeChallengeMethodS256}
}
func (r *request) GetNonce() string                    { return r.Nonce }
func (r *request) GetRedirectURI() string              { return r.RedirectURI }
func (r *request) GetResponseType() zoidc.ResponseType { return zoidc.ResponseTypeCode }
func (r *request) GetResponseMode() zoidc.ResponseMode { return zoidc.ResponseMode(r.ResponseMode) }
func (r *request) GetScopes() []string                 { return r.Scopes }
func (r *request) GetState() string                    { return r.State }
func (r *request) GetSubject() string                  { return r.sub }
func (r *request) Done() bool                          { return r.UserID != "" }

// amr is the authentication methods of every sign-in (RFC 8176): "pin",
// the registered value for a PIN, and "qr", qrpin's own for the badge.
var amr = []string{"pin", "qr"}

// GetClientByClientID returns the application with that client id, as a
// confidential (web) client when it has web redirect URIs.
func (s *storage) GetClientByClientID(ctx context.Context, clientID string) (zop.Client, error) {
	app, err := s.p.cfg.Store.GetApplicationByAppID(ctx, strings.ToLower(clientID)) // GUIDs, in any case
	if errors.Is(err, store.ErrNotFound) {
		return nil, zoidc.ErrInvalidClient().WithDescription("unknown client")
	}
	if err != nil {
		return nil, err
	}
	pl := platformSPA
	if len(app.SignIn.WebRedirectURIs) > 0 {
		pl = platformWeb
	}
	return s.p.clientFor(app, pl), nil
}

// CreateAuthRequest is not called: the authorize endpoint stores its
// requests itself (Provider.serveAuthorize).
func (s *storage) CreateAuthRequest(context.Context, *zoidc.AuthRequest, string) (zop.AuthRequest, error) {
	return nil, errNotRouted
}

// AuthRequestByID returns a stored, unexpired request.
func (s *storage) AuthRequestByID(ctx context.Context, id string) (zop.AuthRequest, error) {
	ar, err := s.p.cfg.Store.GetAuthRequest(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !s.p.now().Before(ar.Expires)) {
		return nil, zoidc.ErrInvalidRequest().WithDescription("unknown or expired authorization request")
	}
	if err != nil {
		return nil, err
	}
	return s.p.requestOf(ar), nil
}

// AuthRequestByCode returns the request whose code this is.
func (s *storage) AuthRequestByCode(ctx context.Context, code string) (zop.AuthRequest, error) {
	ar, err := s.p.cfg.Store.GetAuthRequestByCode(ctx, hashSecret(code))
	if err != nil {
		return nil, err
	}
	return s.p.requestOf(ar), nil
}

// SaveAuthCode keeps the hash of the request's code: one code per
// request, valid for CodeTTL.
func (s *storage) SaveAuthCode(ctx context.Context, id, code string) error {
	now := s.p.now()
	_, err := s.p.cfg.Store.UpdateAuthRequest(ctx, id, func(ar *store.AuthRequest) error {
		if ar.CodeHash != "" || ar.UserID == "" || !now.Before(ar.Expires) {
			return zoidc.ErrInvalidRequest().WithDescription("this authorization request has no code to give")
		}
		ar.CodeHash = hashSecret(code)
		ar.Expires = now.Add(s.p.cfg.CodeTTL)
		return nil
	})
	return err
}

// DeleteAuthRequest is not called: a redeemed request stays as a
// tombstone (Provider.redeem).
func (s *storage) DeleteAuthRequest(context.Context, string) error { return errNotRouted }

func (s *storage) CreateAccessToken(context.Context, zop.TokenRequest) (string, time.Time, error) {
	return "", time.Time{}, errNotRouted
}

func (s *storage) CreateAccessAndRefreshTokens(context.Context, zop.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errNotRouted
}

func (s *storage) TokenRequestByRefreshToken(context.Context, string) (zop.RefreshTokenRequest, error) {
	return nil, errNotRouted
}

// TerminateSession is not called: the logout endpoint ends sessions itself
// (Provider.signOut).
func (s *storage) TerminateSession(context.Context, string, string) error { return nil }

func (s *storage) RevokeToken(context.Context, string, string, string) *zoidc.Error {
	return errNotRouted
}

func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", errNotRouted
}

// signingKey is the KeySet's signing key as op wants it.
type signingKey struct {
	kid string
	key any
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.kid }

// publicKey is a verification key as op wants it.
type publicKey struct {
	kid string
	key any
}

func (k publicKey) ID() string                         { return k.kid }
func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return k.key }

// SigningKey is the KeySet's: op signs with the key issuer's JWKS
// publishes.
func (s *storage) SigningKey(context.Context) (zop.SigningKey, error) {
	kid, priv, err := s.p.cfg.Keys.SigningKey()
	if err != nil {
		return nil, err
	}
	return signingKey{kid: kid, key: priv}, nil
}

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

// KeySet returns the keys that verify (for id_token_hint).
func (s *storage) KeySet(context.Context) ([]zop.Key, error) {
	var keys []zop.Key
	for _, k := range s.p.cfg.Keys.PublicKeys() {
		keys = append(keys, publicKey{kid: k.KID, key: k.Key})
	}
	return keys, nil
}

// AuthorizeClientIDSecret checks a client secret (admin's check).
func (s *storage) AuthorizeClientIDSecret(ctx context.Context, clientID, secret string) error {
	_, err := s.p.cfg.Clients.ClientCredentials(ctx, clientID, secret)
	return err
}

// SetUserinfoFromScopes adds nothing: SetUserinfoFromRequest does.
func (s *storage) SetUserinfoFromScopes(context.Context, *zoidc.UserInfo, string, string, []string) error {
	return nil
}

func (s *storage) SetUserinfoFromToken(context.Context, *zoidc.UserInfo, string, string, string) error {
	return errNotRouted
}

func (s *storage) SetIntrospectionFromToken(context.Context, *zoidc.IntrospectionResponse, string, string, string) error {
	return errNotRouted
}

// GetPrivateClaimsFromScopes is not called: GetPrivateClaimsFromRequest is.
func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, errNotRouted
}

func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errNotRouted
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errNotRouted
}

// Health reports whether the store answers.
func (s *storage) Health(ctx context.Context) error {
	_, err := s.p.cfg.Store.GetPolicy(ctx)
	return err
}

// GetPrivateClaimsFromRequest returns the access token's claims beside
// op's (iss, sub, aud, exp, iat, nbf, jti, client_id).
func (s *storage) GetPrivateClaimsFromRequest(_ context.Context, r zop.TokenRequest, _ []string) (map[string]any, error) {
	g, ok := r.(*accessRequest)
	if !ok {
		return nil, errNotRouted
	}
	return g.claims(), nil
}
