package oidc

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	zop "github.com/zitadel/oidc/v3/pkg/op"

	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/signin"
	"github.com/qrpin/qrpin/store"
)

// Bounds on what an anonymous authorize request may make the store keep.
const (
	maxState     = 2048
	maxNonce     = 1024
	maxLoginHint = 256
	maxScopes    = 20
	maxScopeLen  = 256
)

// Flows of store.AuthRequest.
const (
	flowCode   = "code"
	flowDevice = "device"
)

// Response modes the authorize endpoint offers.
var responseModes = []string{"query", "fragment", "form_post"}

// authorizeParams are the authorization request's parameters the provider
// reads; none may be sent twice (RFC 6749, section 3.1), since which one
// counts would be the parser's choice.
var authorizeParams = []string{"client_id", "redirect_uri", "response_type", "response_mode", "scope", "state",
	"nonce", "code_challenge", "code_challenge_method", "login_hint", "prompt", "max_age", "request"}

// repeated returns the first of names that form holds more than once
// (query and body together), or "".
func repeated(form url.Values, names ...string) string {
	for _, n := range names {
		if len(form[n]) > 1 {
			return n
		}
	}
	return ""
}

// shownClientID is how an error names a client id that names no
// application: quoted when it is a GUID, else only "sent" (a client id that
// is no GUID is not repeated: perhaps a secret, or a lure).
func shownClientID(id string) string {
	if _, err := uuid.Parse(id); err == nil && len(id) == 36 {
		return "'" + id + "'"
	}
	return "sent"
}

func errRepeated(name string) error {
	return zoidc.ErrInvalidRequest().WithDescription("The parameter '%s' is repeated: each parameter may appear once.", name)
}

// checkClient checks what must hold before the redirect URI can receive
// anything: a known application, and a redirect URI registered for it
// (exactly, or a loopback one on any port; redirect.Match). Its errors are
// answered on a page, never by a redirect.
func (p *Provider) checkClient(ctx context.Context, ar *zoidc.AuthRequest) (store.Application, platform, error) {
	switch {
	case ar.ClientID == "":
		return store.Application{}, 0, zoidc.ErrInvalidRequest().WithDescription("The request must contain the client_id parameter.")
	case ar.RedirectURI == "":
		return store.Application{}, 0, zoidc.ErrInvalidRequest().WithDescription("The request must contain the redirect_uri parameter.")
	}
	app, err := p.cfg.Store.GetApplicationByAppID(ctx, strings.ToLower(ar.ClientID))
	if errors.Is(err, store.ErrNotFound) || (err == nil && !strings.EqualFold(app.AppID, ar.ClientID)) {
		return store.Application{}, 0, zoidc.ErrInvalidClient().WithDescription(
			"AADSTS700016: Application with the identifier %s was not found in the directory '%s'.", shownClientID(ar.ClientID), p.cfg.TenantID)
	}
	if err != nil {
		return store.Application{}, 0, err
	}
	pl := platformOf(app.SignIn, ar.RedirectURI)
	if pl == platformNone {
		return store.Application{}, 0, zoidc.ErrInvalidRequest().WithDescription(
			"AADSTS50011: The redirect URI specified in the request does not match the redirect URIs configured for the application '%s'.", app.AppID)
	}
	return app, pl, nil
}

// checkRequest checks the rest of an authorization request, whose
// redirect URI is verified: its errors go back to the application.
func (p *Provider) checkRequest(ar *zoidc.AuthRequest, app store.Application, pl platform) error {
	switch {
	case ar.RequestParam != "":
		return zoidc.ErrRequestNotSupported().WithDescription("Request objects (the request parameter) are not supported.")
	case ar.ResponseType == "":
		return zoidc.ErrInvalidRequest().WithDescription("The request must contain the response_type parameter.")
	case ar.ResponseType != zoidc.ResponseTypeCode:
		return &zoidc.Error{ErrorType: "unsupported_response_type", Description: "qrpin offers the response type 'code' only."}
	case ar.ResponseMode != "" && !slices.Contains(responseModes, string(ar.ResponseMode)):
		return zoidc.ErrInvalidRequest().WithDescription("The response_mode '%s' is not offered: use query, fragment or form_post.", clip(string(ar.ResponseMode)))
	case len(ar.State) > maxState || len(ar.Nonce) > maxNonce || len(ar.LoginHint) > maxLoginHint:
		return zoidc.ErrInvalidRequest().WithDescription("state, nonce or login_hint is too long.")
	case len(ar.Scopes) > maxScopes || slices.ContainsFunc(ar.Scopes, func(s string) bool { return len(s) > maxScopeLen }):
		return invalidScope("Too many scopes, or a scope too long.")
	case len(ar.Scopes) == 0:
		return zoidc.ErrInvalidRequest().WithDescription("AADSTS900144: The request must contain the following parameter: 'scope'.")
	}
	if _, err := resourceOf(app, ar.Scopes); err != nil {
		return err
	}
	if err := checkPKCE(ar, pl); err != nil {
		return err
	}
	for _, pr := range ar.Prompt {
		if pr == zoidc.PromptNone && len(ar.Prompt) > 1 {
			return zoidc.ErrInvalidRequest().WithDescription("prompt=none cannot be combined with another prompt.")
		}
	}
	return nil
}

// checkPKCE: S256 only (plain is refused, and a challenge without a
// method is plain); required for public clients (spa, publicClient).
func checkPKCE(ar *zoidc.AuthRequest, pl platform) error {
	if ar.CodeChallenge == "" {
		if ar.CodeChallengeMethod != "" {
			return zoidc.ErrInvalidRequest().WithDescription("code_challenge_method without code_challenge.")
		}
		if pl != platformWeb {
			return zoidc.ErrInvalidRequest().WithDescription("AADSTS9002325: Proof Key for Code Exchange is required for public clients (spa and publicClient redirect URIs): send code_challenge with code_challenge_method=S256.")
		}
		return nil
	}
	if ar.CodeChallengeMethod != zoidc.CodeChallengeMethodS256 {
		return zoidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256 (plain is not accepted).")
	}
	if len(ar.CodeChallenge) != 43 || strings.Trim(ar.CodeChallenge, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		return zoidc.ErrInvalidRequest().WithDescription("code_challenge must be the base64url SHA-256 of the verifier (43 characters).")
	}
	return nil
}

// serveAuthorize answers GET and POST /{tenant}/oauth2/v2.0/authorize:
// it checks the request, stores it and sends the browser to the sign-in
// page, which calls Complete.
func (p *Provider) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	ar, err := zop.ParseAuthorizeRequest(r, p.op.Decoder())
	if err != nil {
		p.writeErrorPage(w, err)
		return
	}
	if name := repeated(r.Form, "client_id", "redirect_uri"); name != "" { // no redirect URI is verified
		p.writeErrorPage(w, errRepeated(name))
		return
	}
	app, pl, err := p.checkClient(r.Context(), ar)
	if err != nil {
		p.writeErrorPage(w, err)
		return
	}
	if name := repeated(r.Form, authorizeParams...); name != "" {
		p.redirectError(w, r, ar, errRepeated(name))
		return
	}
	if err := p.checkRequest(ar, app, pl); err != nil {
		p.redirectError(w, r, ar, err)
		return
	}
	// A single sign-on session (when they are on) may sign the user in
	// without the page; prompt=none asks for nothing else.
	sess, user, reuse, err := p.sessionFor(r.Context(), w, r, ar)
	if err != nil {
		p.redirectError(w, r, ar, err)
		return
	}
	if !reuse && slices.Contains(ar.Prompt, zoidc.PromptNone) {
		p.redirectError(w, r, ar, zoidc.ErrLoginRequired().WithDescription("The user must sign in with their badge: prompt=none cannot be satisfied."))
		return
	}
	now := p.now()
	res, _ := resourceOf(app, ar.Scopes) // checked by checkRequest
	stored := store.AuthRequest{ID: rand.Text(), Flow: flowCode, ClientID: app.AppID, AppName: app.DisplayName, Resource: res.name,
		RedirectURI: ar.RedirectURI,
		Scopes:      ar.Scopes, State: ar.State, Nonce: ar.Nonce, ResponseMode: string(ar.ResponseMode),
		CodeChallenge: ar.CodeChallenge, LoginHint: ar.LoginHint, Created: now, Expires: now.Add(p.cfg.RequestTTL)}
	if reuse {
		stored.UserID, stored.AuthTime, stored.SessionID = sess.UserID, sess.AuthTime, sess.ID
	}
	if err := p.cfg.Store.CreateAuthRequest(r.Context(), stored); err != nil {
		p.redirectError(w, r, ar, err)
		return
	}
	if reuse {
		err := p.served(r.Context(), sess.ID, app.AppID)
		if errors.Is(err, store.ErrNotFound) { // signed out meanwhile
			err = zoidc.ErrLoginRequired().WithDescription("The session ended: sign in with the badge again.")
		}
		if err != nil {
			p.redirectError(w, r, ar, err)
			return
		}
		p.recordSessionSignIn(r, now, user, app, stored.Scopes)
		zop.AuthResponseCode(w, r, p.requestOf(stored), p.op) // the code, in the request's response mode
		return
	}
	p.setBinding(w, stored.ID, int(p.cfg.RequestTTL/time.Second))
	http.Redirect(w, r, p.clientFor(app, pl).LoginURL(stored.ID), http.StatusFound)
}

// serveCallback answers GET .../authorize/callback?id=: once the sign-in
// page completed the request, op gives the application its code at the
// request's redirect URI, re-checked against the application's
// registration.
func (p *Provider) serveCallback(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	if p.bound(r, id) { // whatever the answer, the request is done with
		p.setBinding(w, id, -1)
	}
	ar, err := p.cfg.Store.GetAuthRequest(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (ar.Flow != flowCode || ar.CodeHash != "" || !p.now().Before(ar.Expires))) {
		err = zoidc.ErrInvalidRequest().WithDescription("This sign-in request is unknown, expired or already used. Sign in again from the application.")
	}
	if err == nil && !p.bound(r, ar.ID) {
		// The request is burnt: whoever started it in another browser
		// (a link to the sign-in page sent to a worker) gets no code either.
		err = p.burn(r.Context(), ar.ID)
		if err == nil {
			err = zoidc.ErrInvalidRequest().WithDescription("This sign-in was started in another browser. Sign in again from the application, in this browser.")
		}
	}
	if err != nil {
		p.writeErrorPage(w, err)
		return
	}
	app, err := p.cfg.Store.GetApplicationByAppID(r.Context(), ar.ClientID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && platformOf(app.SignIn, ar.RedirectURI) == platformNone) {
		err = zoidc.ErrInvalidRequest().WithDescription("The application or its redirect URI is no longer registered.")
	}
	if err != nil {
		p.writeErrorPage(w, err)
		return
	}
	if ar.UserID == "" {
		// The application gets its error: the request is over (burnt), so
		// that polling the callback cannot wait for a worker's sign-in.
		if err := p.burn(r.Context(), ar.ID); err != nil {
			p.writeErrorPage(w, err)
			return
		}
		p.redirectError(w, r, p.requestOf(ar), zoidc.ErrInteractionRequired().WithDescription("The user has not signed in."))
		return
	}
	if err := p.startSession(w, r, &ar); err != nil {
		p.redirectError(w, r, p.requestOf(ar), err)
		return
	}
	req := p.requestOf(ar)
	zop.AuthResponseCode(w, r, req, p.op) // the code (SaveAuthCode), in the request's response mode
}

// burn ends an authorization request before its code is issued: it
// expires now (the callback and SaveAuthCode refuse it).
func (p *Provider) burn(ctx context.Context, id string) error {
	now := p.now()
	_, err := p.cfg.Store.UpdateAuthRequest(ctx, id, func(a *store.AuthRequest) error {
		if a.CodeHash != "" || !now.Before(a.Expires) {
			return errNoRequest()
		}
		a.Expires, a.Redeemed = now, true
		return nil
	})
	if errors.Is(err, store.ErrNotFound) || isNoRequest(err) {
		err = nil
	}
	return err
}

// isNoRequest reports whether err is errNoRequest's.
func isNoRequest(err error) bool {
	e, ok := apperr.As(err)
	return ok && e.Code == codeNoRequest
}

// Flows as sign-in logs name them (signin.Pending.Flow).
const (
	FlowAuthorizationCode = "authorizationCode"
	FlowDeviceCode        = "deviceCode"
)

// The provider is what the sign-in page signs workers in for.
var _ signin.Authorizations = (*Provider)(nil)

// codeNoRequest is errNoRequest's error code (the sign-in page's too).
const codeNoRequest = "authRequestNotFound"

func errNoRequest() error {
	return apperr.New(apperr.NotFound, codeNoRequest,
		"This sign-in request is unknown, expired or already completed. Sign in again from the application.")
}

// waiting reports whether the request still waits for its sign-in at now:
// no user signed in for it, not redeemed (or burnt), not expired.
func waiting(ar *store.AuthRequest, now time.Time) bool {
	return ar.UserID == "" && !ar.Redeemed && now.Before(ar.Expires)
}

// pendingRequest returns a request still waiting for its sign-in.
func (p *Provider) pendingRequest(ctx context.Context, id string) (store.AuthRequest, error) {
	ar, err := p.cfg.Store.GetAuthRequest(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !waiting(&ar, p.now())) {
		return store.AuthRequest{}, errNoRequest()
	}
	return ar, err
}

// Pending describes the request: the application's display name and
// resource as they were when the request was made (kept with it, so that
// the sign-in page's steps read no application: the callback and the code
// exchange check the application as it is then) and, when the request
// names one (login_hint), the user it is for. An unknown, expired or
// completed request is an apperr NotFound error.
func (p *Provider) Pending(ctx context.Context, requestID string) (signin.Pending, error) {
	ar, err := p.pendingRequest(ctx, requestID)
	if err != nil {
		return signin.Pending{}, err
	}
	if ar.AppName == "" { // a request stored by an earlier version, which kept no name
		app, err := p.cfg.Store.GetApplicationByAppID(ctx, ar.ClientID)
		if errors.Is(err, store.ErrNotFound) {
			err = errNoRequest()
		}
		if err != nil {
			return signin.Pending{}, err
		}
		res, _ := resourceOf(app, ar.Scopes) // checked when the request was made
		ar.AppName, ar.Resource = app.DisplayName, res.name
	}
	flow := FlowAuthorizationCode
	if ar.Flow == flowDevice {
		flow = FlowDeviceCode
	}
	pd := signin.Pending{AppID: ar.ClientID, AppName: ar.AppName, Resource: ar.Resource, Flow: flow}
	if ar.LoginHint != "" {
		pd.UPN = ar.LoginHint
		u, err := p.cfg.Store.GetUserByUPN(ctx, ar.LoginHint)
		switch {
		case err == nil:
			pd.UserID, pd.UPN = u.ID, u.UPN
		case !errors.Is(err, store.ErrNotFound):
			return signin.Pending{}, err
		}
	}
	return pd, nil
}

// Complete records that user (as the sign-in page has just read them)
// signed in at authTime for the request and returns the URL the browser
// goes to next: the provider's callback, which redirects to the
// application with its code (for a device request, the device page, which
// says the device may go on). A request whose login_hint names another
// user, or a disabled user, is refused (apperr Forbidden). The user is not
// read again: the code exchange reads them as they are then. The sign-in
// page writes the sign-in log entry (with Pending's application, resource
// and flow).
func (p *Provider) Complete(ctx context.Context, requestID string, u store.User, authTime time.Time) (string, error) {
	now := p.now()
	// The request is checked in the transaction that completes it, in
	// this order: still waiting, for this user, the user enabled.
	ar, err := p.cfg.Store.UpdateAuthRequest(ctx, requestID, func(ar *store.AuthRequest) error {
		switch {
		case !waiting(ar, now):
			return errNoRequest()
		case u.ID != "" && ar.LoginHint != "" && !strings.EqualFold(ar.LoginHint, u.UPN): // UPNs compare case-insensitively
			return apperr.New(apperr.Forbidden, "otherUser", "This sign-in is for another worker (%s).", ar.LoginHint)
		case u.ID == "" || !u.AccountEnabled:
			return apperr.New(apperr.Forbidden, "userDisabled", "This account cannot sign in.")
		}
		ar.UserID, ar.AuthTime = u.ID, authTime.UTC().Truncate(time.Microsecond)
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		err = errNoRequest()
	}
	if err != nil {
		return "", err
	}
	if ar.Flow == flowDevice {
		return p.tenant + "/oauth2/v2.0/deviceauth?done=1", nil
	}
	return p.tenant + "/oauth2/v2.0/authorize/callback?id=" + ar.ID, nil
}
