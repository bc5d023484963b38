package signin

import (
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/store"
)

func (s *Service) tokenTTL() time.Duration {
	if s.TokenTTL > 0 {
		return s.TokenTTL
	}
	return DefaultTokenTTL
}

// mint issues a signed-in user's access token (delegated, for the Graph
// API: Scopes, the user's directory roles as wids, auth_time now) and, when
// idToken asks for one, an ID token (for the sign-in page's application).
func (s *Service) mint(u store.User, wids []string, now time.Time, idToken bool) (TokenSet, error) {
	ttl := s.tokenTTL()
	access, err := s.Tokens.Mint(auth.Principal{
		Kind:           auth.Delegated,
		ObjectID:       u.ID,
		AppID:          AppID,
		TenantID:       s.TenantID,
		UPN:            u.UPN,
		Scopes:         Scopes,
		DirectoryRoles: wids,
		AuthTime:       now,
	}, ttl)
	if err != nil {
		return TokenSet{}, err
	}
	ts := TokenSet{AccessToken: access, ExpiresIn: int(ttl / time.Second), Scope: strings.Join(Scopes, " ")}
	if !idToken {
		return ts, nil
	}
	kid, key, err := s.Tokens.Keys.SigningKey()
	if err != nil {
		return TokenSet{}, err
	}
	c := jwt.MapClaims{
		"iss":                s.Tokens.Issuer,
		"aud":                AppID,
		"sub":                u.ID,
		"oid":                u.ID,
		"tid":                s.TenantID,
		"iat":                now.Unix(),
		"nbf":                now.Unix(),
		"exp":                now.Add(ttl).Unix(),
		"auth_time":          now.Unix(),
		"jti":                uuid.NewString(),
		"name":               u.DisplayName,
		"preferred_username": u.UPN,
		"amr":                []string{"qrpin"},
		"ver":                "2.0",
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	tok.Header["kid"] = kid
	if ts.IDToken, err = tok.SignedString(key); err != nil {
		return TokenSet{}, fmt.Errorf("signin: sign ID token: %w", err)
	}
	return ts, nil
}
