package oidc

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	zop "github.com/zitadel/oidc/v3/pkg/op"

	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/store"
)

// pairwise returns the user's subject for an application, as Entra's
// pairwise sub: an HMAC-SHA256 of the application and user ids under a key
// derived from the pepper, base64url (43 characters). One user has another
// sub in every application; one application always sees the same sub.
func (p *Provider) pairwise(appID, userID string) string {
	if userID == "" {
		return ""
	}
	m := hmac.New(sha256.New, p.subKey)
	m.Write([]byte(strings.ToLower(appID) + "\x00" + userID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (p *Provider) requestOf(ar store.AuthRequest) *request {
	return &request{AuthRequest: ar, sub: p.pairwise(ar.ClientID, ar.UserID)}
}

// Graph's delegated scopes an application may ask for; ".default" gives
// them all.
var graphScopes = []string{"User.Read", "UserAuthMethod-QR.ReadWrite"}

// OpenID Connect's own scopes.
var oidcScopes = []string{"openid", "profile", "email", "offline_access"}

const graphAppID = "00000003-0000-0000-c000-000000000000"

// resource is what an access token is for.
type resource struct {
	aud  string   // its aud claim
	name string   // its display name (sign-in logs)
	scp  []string // its scp claim
}

func invalidScope(format string, args ...any) *zoidc.Error {
	return zoidc.ErrInvalidScope().WithDescription(format, args...)
}

// resourceOf returns the resource the scopes ask a token for: Microsoft
// Graph (its scopes by name, "https://graph.microsoft.com/...", or only
// OpenID Connect's scopes, for which Entra gives a Graph token too), or
// the application itself ("{client id}/.default", "api://{client id}/...").
// A scope naming anything else, or two resources, is invalid_scope.
func resourceOf(app store.Application, scopes []string) (resource, error) {
	var graph, own []string
	var isGraph, isOwn bool
	for _, s := range scopes {
		if slices.Contains(oidcScopes, strings.ToLower(s)) {
			continue
		}
		prefix, name := "", s
		if i := strings.LastIndex(s, "/"); i >= 0 {
			prefix, name = s[:i], s[i+1:]
		}
		switch {
		case prefix == "" || strings.EqualFold(prefix, "https://graph.microsoft.com") || strings.EqualFold(prefix, graphAppID):
			isGraph = true
			if name == ".default" && prefix != "" {
				graph = append(graph, graphScopes...)
				continue
			}
			i := slices.IndexFunc(graphScopes, func(g string) bool { return strings.EqualFold(g, name) })
			if i < 0 {
				return resource{}, invalidScope("The scope '%s' is not one qrpin offers: Microsoft Graph's %s, OpenID Connect's %s, or the application's own ({client id}/.default).",
					clip(s), strings.Join(graphScopes, ", "), strings.Join(oidcScopes, ", "))
			}
			graph = append(graph, graphScopes[i])
		case strings.EqualFold(prefix, app.AppID) || strings.EqualFold(prefix, "api://"+app.AppID):
			isOwn = true
			if name != ".default" && name != "" {
				own = append(own, name)
			}
		default:
			return resource{}, invalidScope("The scope '%s' names a resource qrpin does not know.", clip(s))
		}
	}
	if isGraph && isOwn {
		return resource{}, invalidScope("The scopes name two resources (Microsoft Graph and the application): a token is for one.")
	}
	if isOwn {
		slices.Sort(own)
		return resource{aud: app.AppID, name: app.DisplayName, scp: slices.Compact(own)}, nil
	}
	if !isGraph {
		graph = []string{"User.Read"}
	}
	// Entra's Graph tokens name the OpenID Connect scopes granted too.
	for _, s := range scopes {
		if l := strings.ToLower(s); slices.Contains(oidcScopes, l) && l != "offline_access" {
			graph = append(graph, l)
		}
	}
	slices.Sort(graph)
	return resource{aud: auth.GraphAudiences[0], name: "Microsoft Graph", scp: slices.Compact(graph)}, nil
}

// grant is what a token response is issued for: a signed-in user, an
// application, the scopes granted. It is op's token request (through
// accessRequest).
type grant struct {
	p        *Provider
	user     store.User
	clientID string
	scopes   []string
	authTime time.Time
	nonce    string
	res      resource
	session  string // the single sign-on session's id (store.SSOSession.ID); "" for none
	// clientInfo: the token request asked for client_info (client_info=1).
	clientInfo bool
}

func (g *grant) GetScopes() []string   { return g.scopes }
func (g *grant) GetSubject() string    { return g.p.pairwise(g.clientID, g.user.ID) }
func (g *grant) GetAudience() []string { return []string{g.clientID} }

// idToken signs the grant's ID token (RS256, the KeySet's signing key and
// kid). It is built here rather than by op's CreateIDToken because op
// writes aud as an array, and MSAL reads an ID token's aud as a string
// (Entra's shape): MSAL's token responses would not parse. Its claims are
// OpenID Connect's (iss, sub: pairwise, aud, exp, iat, nbf, auth_time,
// nonce, amr, azp, at_hash, c_hash with op's ClaimHash) and Entra's (oid,
// tid, ver; name and preferred_username with the profile scope).
func (g *grant) idToken(accessToken, code string) (string, error) {
	kid, key, err := g.p.cfg.Keys.SigningKey()
	if err != nil {
		return "", err
	}
	now := g.p.now()
	c := jwt.MapClaims{
		"iss": g.p.issuer, "sub": g.GetSubject(), "aud": g.clientID, "azp": g.clientID,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(g.p.cfg.TokenTTL).Unix(),
		"auth_time": g.authTime.Unix(), "amr": amr,
		"oid": g.user.ID, "tid": g.p.cfg.TenantID, "ver": "2.0",
	}
	if g.nonce != "" {
		c["nonce"] = g.nonce
	}
	if g.session != "" {
		c["sid"] = g.p.sid(g.session, g.clientID)
	}
	if slices.Contains(g.scopes, "profile") {
		c["name"], c["preferred_username"] = g.user.DisplayName, g.user.UPN
	}
	for claim, v := range map[string]string{"at_hash": accessToken, "c_hash": code} {
		if v == "" {
			continue
		}
		if c[claim], err = zoidc.ClaimHash(v, jose.RS256); err != nil {
			return "", err
		}
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	tok.Header["kid"] = kid
	return tok.SignedString(key)
}

// accessRequest is op's access token request for a grant: its audience is
// the resource's, not the application's.
type accessRequest struct{ *grant }

func (a *accessRequest) GetAudience() []string { return []string{a.res.aud} }

// claims are the access token's claims beside op's registered ones: those
// auth.Tokens.Verify reads (oid, tid, scp, azp, appid, idtyp), and Entra's
// upn, preferred_username, name, auth_time, amr and ver. No wids: an
// application never acts as an admin.
func (a *accessRequest) claims() map[string]any {
	return map[string]any{
		"oid":                a.user.ID,
		"tid":                a.p.cfg.TenantID,
		"scp":                strings.Join(a.res.scp, " "),
		"azp":                a.clientID,
		"appid":              a.clientID,
		"idtyp":              "user",
		"ver":                "2.0",
		"upn":                a.user.UPN,
		"preferred_username": a.user.UPN,
		"name":               a.user.DisplayName,
		"auth_time":          a.authTime.Unix(),
		"amr":                amr,
	}
}

// family says which refresh token family a token response continues.
type family struct {
	id           string              // the authorization request that began it
	confidential bool                // the client authenticated with a secret
	prev         *store.RefreshToken // the token being rotated; nil for a new family
	// redeem: the response redeems the request id (a code or device code
	// exchange), in the transaction that stores the family's first
	// refresh token, so that exactly one exchange wins and the loser's
	// revocation of the family (codeReused) cannot come before the
	// winner's token is stored.
	redeem bool
}

// errRefreshReused: a rotated refresh token was presented again.
var errRefreshReused = errors.New("oidc: refresh token reused")

// tokenResponse is a token response of a user grant: OAuth's, with
// Entra's client_info when the request asked for it.
type tokenResponse struct {
	*zoidc.AccessTokenResponse
	// ClientInfo is base64url JSON {"uid": oid, "utid": tid}: MSAL keys
	// its accounts on it (home account id "{oid}.{tid}", as with Entra).
	ClientInfo string `json:"client_info,omitempty"`
}

// askedClientInfo: the token request has client_info=1 (MSAL sends it
// with its code, refresh token and device code grants).
func askedClientInfo(r *http.Request) bool { return r.PostForm.Get("client_info") == "1" }

// clientInfo returns Entra's client_info for a user: base64url (without
// padding) of {"uid": oid, "utid": tid}.
func (p *Provider) clientInfo(userID string) string {
	b, _ := json.Marshal(struct {
		UID  string `json:"uid"`
		UTID string `json:"utid"`
	}{userID, p.cfg.TenantID}) // two strings always marshal
	return base64.RawURLEncoding.EncodeToString(b)
}

// issue signs the grant's tokens: an access token for its resource, an ID
// token when openid was granted, and a refresh token when offline_access
// was (a new family, or the rotation of fam.prev); client_info when asked.
// With fam.redeem it first redeems the family's request, with the new
// refresh token in the same store transaction: errRedeemed when another
// exchange did, and then no token is signed. Otherwise it signs first and
// stores the refresh token (or rotates fam.prev) last, so that a failure
// to sign leaves the presented refresh token current: the client's retry
// is not taken for a reuse, which would revoke the family. code is the
// authorization code redeemed ("" otherwise), for the ID token's c_hash.
func (p *Provider) issue(ctx context.Context, g *grant, c *client, code string, fam family) (*tokenResponse, error) {
	now := p.now()
	ttl := p.cfg.TokenTTL
	var token string // the refresh token, when one is issued
	var rt *store.RefreshToken
	if slices.Contains(g.scopes, "offline_access") || fam.prev != nil {
		token = rand.Text() + rand.Text() // 256 bits
		rt = &store.RefreshToken{ID: hashSecret(token), FamilyID: fam.id, ClientID: g.clientID, UserID: g.user.ID,
			Scopes: g.scopes, AuthTime: g.authTime, FamilyCreated: now, Created: now,
			Expires: now.Add(p.cfg.RefreshLifetime), Confidential: fam.confidential, SessionID: g.session}
		if fam.prev != nil {
			rt.Scopes, rt.FamilyCreated, rt.Expires = fam.prev.Scopes, fam.prev.FamilyCreated, fam.prev.Expires
		}
		rt.IdleExpires = now.Add(p.cfg.RefreshIdle)
		if rt.IdleExpires.After(rt.Expires) {
			rt.IdleExpires = rt.Expires
		}
	}
	if fam.redeem {
		// The redemption decides which exchange wins: before signing.
		if err := p.cfg.Store.RedeemAuthRequest(ctx, fam.id, rt); errors.Is(err, store.ErrConflict) {
			return nil, errRedeemed
		} else if err != nil {
			return nil, err
		}
	}
	at, err := zop.CreateJWT(ctx, p.issuer, &accessRequest{g}, now.Add(ttl), uuid.NewString(), c, p.storage)
	if err != nil {
		return nil, err
	}
	resp := &zoidc.AccessTokenResponse{AccessToken: at, TokenType: zoidc.BearerToken, ExpiresIn: uint64(ttl / time.Second), Scope: g.scopes,
		RefreshToken: token}
	if slices.Contains(g.scopes, "openid") {
		if resp.IDToken, err = g.idToken(at, code); err != nil {
			return nil, err
		}
	}
	switch {
	case fam.redeem: // stored above
	case fam.prev != nil:
		if err := p.cfg.Store.RotateRefreshToken(ctx, fam.prev.ID, *rt); errors.Is(err, store.ErrConflict) {
			return nil, errRefreshReused
		} else if err != nil {
			return nil, err
		}
	case rt != nil:
		if err := p.cfg.Store.CreateRefreshToken(ctx, *rt); err != nil {
			return nil, err
		}
	}
	out := &tokenResponse{AccessTokenResponse: resp}
	if g.clientInfo {
		out.ClientInfo = p.clientInfo(g.user.ID)
	}
	return out, nil
}

// clip shortens a client-supplied value for an error message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
