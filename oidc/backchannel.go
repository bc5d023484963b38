package oidc

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/qrpin/qrpin/store"
)

// OpenID Connect Back-Channel Logout 1.0: when a single sign-on session
// ends, every application it signed the user in to that registered a
// back-channel logout URI (store.AppSignIn.BackchannelLogoutURL) gets a
// logout_token POSTed to it.

// Back-channel logout's bounds.
const (
	// DefaultBackchannelTimeout bounds the notifications of one sign-out,
	// all together: the sign-out answer waits no longer.
	DefaultBackchannelTimeout = 3 * time.Second
	backchannelConcurrency    = 4
	logoutTokenTTL            = 2 * time.Minute
)

// BackchannelLogoutEvent is the logout_token's event (its events claim).
const BackchannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout"

// logoutToken signs the logout_token for an application: signed as ID
// tokens are (RS256, the KeySet's key and kid), typed logout+jwt, with
// iss, aud (the client id), iat, exp, jti, sub (the application's pairwise
// subject), sid and the back-channel logout event; never a nonce.
func (p *Provider) logoutToken(sess store.SSOSession, clientID string) (string, error) {
	kid, key, err := p.cfg.Keys.SigningKey()
	if err != nil {
		return "", err
	}
	now := p.now()
	c := jwt.MapClaims{
		"iss": p.issuer, "aud": clientID, "iat": now.Unix(), "exp": now.Add(logoutTokenTTL).Unix(), "jti": uuid.NewString(),
		"sub": p.pairwise(clientID, sess.UserID), "sid": p.sid(sess.ID, clientID),
		"events": map[string]any{BackchannelLogoutEvent: map[string]any{}},
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	tok.Header["kid"] = kid
	tok.Header["typ"] = "logout+jwt"
	return tok.SignedString(key)
}

// endSession ends the session with that id (the row deleted) and notifies
// the applications it served. When wait, it returns once they answered or
// Config.BackchannelTimeout passed; otherwise at once (the notifications
// go on, bounded by the same timeout). A session already ended is no
// error.
func (p *Provider) endSession(ctx context.Context, id string, wait bool) error {
	sess, err := p.cfg.Store.TakeSSOSession(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	// The notifications outlive the request that ended the session, not
	// the timeout.
	nctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.cfg.BackchannelTimeout)
	done := make(chan struct{})
	go func() {
		defer cancel()
		defer close(done)
		p.notify(nctx, sess)
	}()
	if wait {
		select {
		case <-done:
		case <-nctx.Done():
		}
	}
	return nil
}

// notify POSTs a logout_token to every application of the session with a
// back-channel logout URI, at most backchannelConcurrency at a time.
// Failures are logged (the application and why, never the token).
func (p *Provider) notify(ctx context.Context, sess store.SSOSession) {
	sem := make(chan struct{}, backchannelConcurrency)
	var wg sync.WaitGroup
	for _, clientID := range sess.ClientIDs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			p.log().Warn("oidc: back-channel logout not sent: timed out", "client_id", clientID)
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := p.notifyOne(ctx, sess, clientID); err != nil {
				p.log().Warn("oidc: back-channel logout failed", "client_id", clientID, "err", err.Error())
			}
		})
	}
	wg.Wait()
}

// errBackchannelStatus: the application answered neither 200 nor 204.
type errBackchannelStatus int

func (e errBackchannelStatus) Error() string {
	return "the application answered " + http.StatusText(int(e))
}

func (p *Provider) notifyOne(ctx context.Context, sess store.SSOSession, clientID string) error {
	app, err := p.cfg.Store.GetApplicationByAppID(ctx, clientID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted since
	}
	if err != nil {
		return err
	}
	uri := app.SignIn.BackchannelLogoutURL
	if uri == "" {
		return nil
	}
	token, err := p.logoutToken(sess, app.AppID)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, uri, strings.NewReader(url.Values{"logout_token": {token}}.Encode()))
	if err != nil {
		return errors.New("the back-channel logout URI is not a URL")
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := p.backchannelClient().Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URI is the application's; the error says why
		}
		return err
	}
	io.Copy(io.Discard, io.LimitReader(res.Body, 4<<10))
	res.Body.Close()
	if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusNoContent {
		return errBackchannelStatus(res.StatusCode)
	}
	return nil
}

// defaultBackchannelClient follows no redirect: the registered URI is the
// one notified.
var defaultBackchannelClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (p *Provider) backchannelClient() *http.Client {
	if p.cfg.BackchannelClient != nil {
		return p.cfg.BackchannelClient
	}
	return defaultBackchannelClient
}
