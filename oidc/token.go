package oidc

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	httphelper "github.com/zitadel/oidc/v3/pkg/http"
	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	zop "github.com/zitadel/oidc/v3/pkg/op"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/store"
	"github.com/qrpin/qrpin/telemetry"
)

// Grants the provider serves at the token endpoint.
const (
	grantCode    = "authorization_code"
	grantRefresh = "refresh_token"
	grantDevice  = "urn:ietf:params:oauth:grant-type:device_code"
	// grantDeviceShort is the name Entra takes too, and MSAL sends.
	grantDeviceShort = "device_code"
)

// serveToken answers POST /{tenant}/oauth2/v2.0/token: it reads the body
// (at most 64 KiB), and sends the authorization_code, refresh_token and
// device_code grants to op's pieces, everything else (client_credentials,
// unknown grants, other methods, other tenants) to
// Config.ClientCredentials with the body as it was.
func (p *Provider) serveToken(w http.ResponseWriter, r *http.Request) {
	grant := ""
	if r.Method == http.MethodPost && r.Body != nil {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		r.Body.Close()
		if err != nil {
			p.writeTokenError(w, zoidc.ErrInvalidRequest().WithDescription("The request body could not be read."))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if len(body) <= maxBody && isForm(r) {
			if form, err := url.ParseQuery(string(body)); err == nil && len(form["grant_type"]) == 1 {
				grant = form.Get("grant_type")
			}
		}
	}
	switch grant {
	case grantCode, grantRefresh, grantDevice, grantDeviceShort:
		telemetry.TokenGrant(r.Context(), grantLabels[grant])
	default:
		if p.cfg.ClientCredentials == nil {
			telemetry.TokenGrant(r.Context(), telemetry.GrantOther)
			telemetry.TokenResult(r.Context(), p.writeTokenError(w, zoidc.ErrUnsupportedGrantType().WithDescription("Unsupported grant type.")))
			return
		}
		p.cfg.ClientCredentials.ServeHTTP(w, r)
		return
	}
	// Single-page applications (spa redirect URIs) redeem codes and
	// refresh tokens from the browser: any origin may read the answer, as
	// for discovery. No credentials: the endpoint takes no cookie, only
	// what the request carries.
	w.Header().Set("Access-Control-Allow-Origin", "*")
	if p.overLimit(w, r, p.tokenRate) {
		telemetry.TokenResult(r.Context(), "temporarily_unavailable")
		return
	}
	p.tenantOnly(func(w http.ResponseWriter, r *http.Request) {
		var resp *tokenResponse
		// Parsed here: op's parsers parse a copy of the request, whose
		// form this package would not see.
		err := r.ParseForm()
		if err != nil {
			telemetry.TokenResult(r.Context(), p.writeTokenError(w, zoidc.ErrInvalidRequest().WithDescription("The request body is not a valid form.")))
			return
		}
		switch grant {
		case grantCode:
			resp, err = p.exchangeCode(r)
		case grantRefresh:
			resp, err = p.refresh(r)
		case grantDevice, grantDeviceShort:
			resp, err = p.exchangeDeviceCode(r)
		}
		if err != nil {
			telemetry.TokenResult(r.Context(), p.writeTokenError(w, err))
			return
		}
		telemetry.TokenResult(r.Context(), telemetry.ResultSuccess)
		w.Header().Set("Pragma", "no-cache")
		httphelper.MarshalJSON(w, resp)
	})(w, r)
}

// grantLabels are the telemetry names of the grants served here.
var grantLabels = map[string]string{
	grantCode:        telemetry.GrantAuthorizationCode,
	grantRefresh:     telemetry.GrantRefreshToken,
	grantDevice:      telemetry.GrantDeviceCode,
	grantDeviceShort: telemetry.GrantDeviceCode,
}

func isForm(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	return ct == "application/x-www-form-urlencoded" || strings.HasPrefix(ct, "application/x-www-form-urlencoded;")
}

func invalidGrant(format string, args ...any) *zoidc.Error {
	return zoidc.ErrInvalidGrant().WithDescription(format, args...)
}

// errPublicWithSecret refuses a public client's request that carries a
// client secret (or any client authentication).
func errPublicWithSecret() error {
	return zoidc.ErrInvalidClient().WithDescription("AADSTS700025: Client is public so neither 'client_assertion' nor 'client_secret' should be presented.")
}

// authenticates reports whether a request (its form parsed) carries client
// authentication: a client_secret field or an Authorization header.
func authenticates(r *http.Request) bool {
	return r.PostForm.Get("client_secret") != "" || r.Header.Get("Authorization") != ""
}

// authenticate checks the client of a token request: a confidential
// client (web platform) must send its secret, a public client must not.
// app is the client's application, as the caller has just read it; nil
// when no application has the request's client id.
func (p *Provider) authenticate(secret string, confidential bool, app *store.Application) error {
	switch {
	case confidential && secret == "":
		return zoidc.ErrInvalidClient().WithDescription("AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
	case !confidential && secret != "":
		return errPublicWithSecret()
	case !confidential:
		return nil
	}
	if app == nil {
		return zoidc.ErrInvalidClient().WithDescription("AADSTS7000215: Invalid client secret provided.")
	}
	_, err := p.cfg.Clients.ApplicationCredentials(*app, secret)
	switch {
	case errors.Is(err, admin.ErrUnknownClient), errors.Is(err, admin.ErrInvalidSecret):
		return zoidc.ErrInvalidClient().WithDescription("AADSTS7000215: Invalid client secret provided.")
	case errors.Is(err, admin.ErrExpiredSecret):
		return zoidc.ErrInvalidClient().WithDescription("AADSTS7000222: The provided client secret keys are expired or not yet valid.")
	}
	return err
}

// refuseUnknown answers a token request that is refused with err
// (invalid_grant): with invalid_client instead when its client_id names
// no application (RFC 6749, section 5.2). It is asked only once a grant is
// refused, so that a granted request reads no more.
func (p *Provider) refuseUnknown(ctx context.Context, clientID string, err error) error {
	_, lerr := p.cfg.Store.GetApplicationByAppID(ctx, strings.ToLower(clientID))
	switch {
	case errors.Is(lerr, store.ErrNotFound):
		return zoidc.ErrInvalidClient().WithDescription("AADSTS700016: The application was not found in the directory.")
	case lerr != nil:
		return lerr
	}
	return err
}

// signedInUser returns the user a grant is for, when they may still sign
// in: an unknown or disabled user is invalid_grant.
func (p *Provider) signedInUser(ctx context.Context, userID string) (store.User, error) {
	u, err := p.cfg.Store.GetUser(ctx, userID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !u.AccountEnabled) {
		return store.User{}, invalidGrant("AADSTS50057: The user account is disabled or deleted.")
	}
	return u, err
}

// errRedeemed: the code's request was redeemed meanwhile (issue, for a
// family that redeems its request).
var errRedeemed = errors.New("oidc: authorization code redeemed")

// codeReused answers an authorization code redeemed before (a replay, or
// an exchange that lost the race): it revokes the refresh tokens the code
// gave (its request's family, id).
func (p *Provider) codeReused(ctx context.Context, id string) error {
	if err := p.cfg.Store.DeleteRefreshFamily(ctx, id); err != nil {
		return err
	}
	return invalidGrant("AADSTS54005: The authorization code was already redeemed; the tokens it gave are revoked.")
}

// exchangeCode redeems an authorization code (RFC 6749, 4.1.3; PKCE,
// RFC 7636): the code's request must be for this client and redirect URI
// (still registered), the client authenticated as its platform requires,
// the verifier match. Nothing is written unless the code is redeemed,
// except for a replayed code: that revokes the refresh tokens it gave.
func (p *Provider) exchangeCode(r *http.Request) (*tokenResponse, error) {
	ctx := r.Context()
	req, err := zop.ParseAccessTokenRequest(r, p.op.Decoder())
	if err != nil {
		return nil, err
	}
	switch {
	case req.Code == "":
		return nil, zoidc.ErrInvalidRequest().WithDescription("The request body must contain the following parameter: 'code'.")
	case req.ClientID == "":
		return nil, zoidc.ErrInvalidRequest().WithDescription("The request body must contain the following parameter: 'client_id'.")
	}
	ar, err := p.cfg.Store.GetAuthRequestByCode(ctx, hashSecret(req.Code))
	if errors.Is(err, store.ErrNotFound) {
		return nil, p.refuseUnknown(ctx, req.ClientID, invalidGrant("AADSTS70008: The authorization code is unknown or expired."))
	}
	if err != nil {
		return nil, err
	}
	if ar.Redeemed {
		return nil, p.codeReused(ctx, ar.ID)
	}
	switch {
	case ar.Flow != flowCode || !p.now().Before(ar.Expires):
		return nil, invalidGrant("AADSTS70008: The authorization code is unknown or expired.")
	case !strings.EqualFold(req.ClientID, ar.ClientID): // client ids are GUIDs, in any case as Entra takes them
		return nil, p.refuseUnknown(ctx, req.ClientID, invalidGrant("AADSTS70000: The authorization code was issued to another client."))
	case req.RedirectURI != ar.RedirectURI:
		return nil, invalidGrant("AADSTS70000: redirect_uri differs from the authorization request's.")
	}
	app, err := p.cfg.Store.GetApplicationByAppID(ctx, ar.ClientID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, zoidc.ErrInvalidClient().WithDescription("AADSTS700016: The application was not found in the directory.")
	}
	if err != nil {
		return nil, err
	}
	pl := platformOf(app.SignIn, ar.RedirectURI)
	if pl == platformNone {
		return nil, invalidGrant("AADSTS50011: The redirect URI is no longer registered for the application.")
	}
	if pl != platformWeb && ar.CodeChallenge == "" {
		// Asked for by a confidential client without PKCE; its redirect
		// URI is a public client's since: neither secret nor verifier
		// would bind the code to its client.
		return nil, invalidGrant("AADSTS9002325: The redirect URI is a public client's since the code was issued without Proof Key for Code Exchange: sign in again.")
	}
	if err := p.authenticate(req.ClientSecret, pl == platformWeb, &app); err != nil {
		return nil, err
	}
	request := p.requestOf(ar)
	if err := zop.AuthorizeCodeChallenge(req.CodeVerifier, request.GetCodeChallenge()); err != nil {
		return nil, err
	}
	u, err := p.signedInUser(ctx, ar.UserID)
	if err != nil {
		return nil, err
	}
	scopes := withOIDCScopes(ar.Scopes, strings.Fields(r.PostForm.Get("scope")))
	res, err := resourceOf(app, scopes)
	if err != nil {
		return nil, err
	}
	g := &grant{p: p, user: u, clientID: app.AppID, scopes: scopes, authTime: ar.AuthTime, nonce: ar.Nonce, res: res,
		session: ar.SessionID, clientInfo: askedClientInfo(r)}
	resp, err := p.issue(ctx, g, p.clientFor(app, pl), req.Code, family{id: ar.ID, confidential: pl == platformWeb, redeem: true})
	if errors.Is(err, errRedeemed) { // another exchange of the code won
		return nil, p.codeReused(ctx, ar.ID)
	}
	return resp, err
}

// withOIDCScopes returns the scopes an authorization granted, with the
// OpenID Connect scopes (openid, profile, email, offline_access) that the
// code exchange asks for added: Entra does so, and MSAL relies on it (its
// authorization URL carries the application's scopes only, its token
// request adds OpenID Connect's). They name only the user the access
// token names already; a resource's scopes are never added.
func withOIDCScopes(granted, asked []string) []string {
	out := slices.Clone(granted)
	for _, s := range asked {
		if slices.Contains(oidcScopes, s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// refresh redeems a refresh token (RFC 6749, section 6) and rotates it.
// A rotated token presented again was stolen or replayed: for a public
// client its whole family is revoked; a confidential client's is refused
// (its secret is proof enough that the family is not in other hands). The
// grant lapses when the user is disabled or deleted, their method deleted
// or re-created, or their PIN reset or changed after they signed in.
func (p *Provider) refresh(r *http.Request) (*tokenResponse, error) {
	ctx := r.Context()
	req, err := zop.ParseRefreshTokenRequest(r, p.op.Decoder())
	if err != nil {
		return nil, err
	}
	switch {
	case req.RefreshToken == "":
		return nil, zoidc.ErrInvalidRequest().WithDescription("The request body must contain the following parameter: 'refresh_token'.")
	case req.ClientID == "":
		return nil, zoidc.ErrInvalidRequest().WithDescription("The request body must contain the following parameter: 'client_id'.")
	}
	rt, err := p.cfg.Store.GetRefreshToken(ctx, hashSecret(req.RefreshToken))
	if errors.Is(err, store.ErrNotFound) || (err == nil && !strings.EqualFold(rt.ClientID, req.ClientID)) {
		return nil, p.refuseUnknown(ctx, req.ClientID, invalidGrant("AADSTS9002313: The refresh token is unknown, revoked or was issued to another client."))
	}
	if err != nil {
		return nil, err
	}
	// Read once: the client's secret is checked against it, and the
	// grant's resource and client are its.
	var client *store.Application // nil: the application was deleted
	app, err := p.cfg.Store.GetApplicationByAppID(ctx, rt.ClientID)
	switch {
	case err == nil:
		client = &app
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	if err := p.authenticate(req.ClientSecret, rt.Confidential, client); err != nil {
		return nil, err
	}
	if rt.Rotated {
		return nil, p.refreshReused(ctx, rt)
	}
	now := p.now()
	if !now.Before(rt.Expires) || !now.Before(rt.IdleExpires) {
		return nil, invalidGrant("AADSTS700082: The refresh token has expired.")
	}
	if client == nil {
		return nil, invalidGrant("AADSTS700016: The application was not found in the directory.")
	}
	u, err := p.signedInUser(ctx, rt.UserID)
	if err != nil {
		return nil, err
	}
	if err := p.methodUnchanged(ctx, rt.UserID, rt.AuthTime); err != nil {
		return nil, err
	}
	scopes := rt.Scopes
	if len(req.Scopes) > 0 {
		for _, s := range req.Scopes {
			if !slices.Contains(rt.Scopes, s) {
				return nil, invalidScope("The scope '%s' was not granted to this refresh token.", clip(s))
			}
		}
		scopes = req.Scopes
	}
	res, err := resourceOf(app, scopes)
	if err != nil {
		return nil, err
	}
	pl := platformSPA
	if rt.Confidential {
		pl = platformWeb
	}
	g := &grant{p: p, user: u, clientID: app.AppID, scopes: scopes, authTime: rt.AuthTime, res: res,
		session: rt.SessionID, clientInfo: askedClientInfo(r)}
	resp, err := p.issue(ctx, g, p.clientFor(app, pl), "", family{id: rt.FamilyID, confidential: rt.Confidential, prev: &rt})
	if errors.Is(err, errRefreshReused) {
		return nil, p.refreshReused(ctx, rt)
	}
	return resp, err
}

// refreshReused answers a rotated refresh token presented again.
func (p *Provider) refreshReused(ctx context.Context, rt store.RefreshToken) error {
	if !rt.Confidential {
		if err := p.cfg.Store.DeleteRefreshFamily(ctx, rt.FamilyID); err != nil {
			return err
		}
		return invalidGrant("AADSTS50196: The refresh token was already used; every token of its sign-in is revoked.")
	}
	return invalidGrant("AADSTS50196: The refresh token was already used.")
}

// methodUnchanged refuses a refresh (or the reuse of a single sign-on
// session) when the user's QR code + PIN method is gone, was created after
// the sign-in at authTime, or its PIN was set (reset or changed) after it.
func (p *Provider) methodUnchanged(ctx context.Context, userID string, authTime time.Time) error {
	m, err := p.cfg.Store.GetMethod(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return invalidGrant("AADSTS50173: The user's QR code + PIN method was deleted: sign in again.")
	}
	if err != nil {
		return err
	}
	if m.ChangedSince(authTime) {
		return invalidGrant("AADSTS50173: The user's PIN or method changed after they signed in: sign in again.")
	}
	return nil
}
