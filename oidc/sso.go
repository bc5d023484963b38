package oidc

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/qrpin/qrpin/internal/clientaddr"
	"github.com/qrpin/qrpin/signin"
	"github.com/qrpin/qrpin/store"
)

// Single sign-on sessions are off by default (Config.SSOSessionLifetime
// 0): every authorization request shows the sign-in page, so that the next
// worker on a shared device never inherits the last one's session. When
// on, for single-user devices, a completed sign-in starts a session: a
// random handle in a cookie (HttpOnly, Secure over https, SameSite=Lax,
// Path limited to the provider's /{tenant}/oauth2/ paths), of which the
// store keeps only the hash. A later authorization request in that browser
// completes without the page while the session lasts, the user is still
// enabled and their method and PIN unchanged since they signed in, and the
// request asks for nothing else (prompt=login or select_account, a max_age
// older than the sign-in, a login_hint naming another user).

// MaxSSOSessionLifetime bounds Config.SSOSessionLifetime.
const MaxSSOSessionLifetime = 12 * time.Hour

// SSOCookie is the name of the single sign-on session's cookie.
const SSOCookie = "qrpin_sso"

// maxSessionClients bounds the applications a session remembers (for
// back-channel logout); later ones are signed in but not remembered.
const maxSessionClients = 64

// ssoOn reports whether the provider keeps single sign-on sessions.
func (p *Provider) ssoOn() bool { return p.cfg.SSOSessionLifetime > 0 }

// sid is the session's sid claim for an application: pairwise, as sub is,
// so that applications cannot correlate their users by sid, and derived
// from the stored id (itself a hash), never the cookie's handle.
func (p *Provider) sid(sessionID, clientID string) string {
	m := hmac.New(sha256.New, p.sidKey)
	m.Write([]byte(strings.ToLower(clientID) + "\x00" + sessionID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// cookiePath is the path of the provider's endpoints under the tenant,
// as the browser sees them (the public URL's path included).
func (p *Provider) cookiePath() string {
	u, err := url.Parse(p.tenant)
	if err != nil { // checked by New
		return "/"
	}
	return u.Path + "/oauth2/"
}

func (p *Provider) sessionCookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: SSOCookie, Value: value, Path: p.cookiePath(), MaxAge: maxAge,
		HttpOnly: true, Secure: strings.HasPrefix(p.base, "https:"), SameSite: http.SameSiteLaxMode}
}

func (p *Provider) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, p.sessionCookie("", -1))
}

// sessionHandle returns the handle of the request's session cookie, or ""
// when it has none or one that is no handle qrpin makes (rand.Text: 26
// base32 characters), which is ignored.
func sessionHandle(r *http.Request) (handle string, present bool) {
	c, err := r.Cookie(SSOCookie)
	if err != nil {
		return "", false
	}
	v := c.Value
	if len(v) != 26 || strings.Trim(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
		return "", true
	}
	return v, true
}

// usable reports whether err, from signedInUser or methodUnchanged, says
// the session's user may no longer sign in (rather than that the store
// failed).
func usable(err error) (bool, error) {
	var oe *zoidc.Error
	if errors.As(err, &oe) && oe.ErrorType == zoidc.InvalidGrant {
		return false, nil
	}
	return err == nil, err
}

// liveSession returns the session of the request's cookie when it may
// still sign its user in: not expired, the user enabled, their method and
// PIN unchanged since the session's sign-in (the checks refresh tokens
// get). A session whose user may no longer sign in is ended. found is
// false, with a nil error, when there is no such session.
func (p *Provider) liveSession(ctx context.Context, r *http.Request) (sess store.SSOSession, u store.User, handle string, found bool, err error) {
	handle, _ = sessionHandle(r)
	if handle == "" {
		return store.SSOSession{}, store.User{}, "", false, nil
	}
	sess, err = p.cfg.Store.GetSSOSession(ctx, hashSecret(handle))
	if errors.Is(err, store.ErrNotFound) || (err == nil && !p.now().Before(sess.Expires)) {
		return store.SSOSession{}, store.User{}, "", false, nil
	}
	if err != nil {
		return store.SSOSession{}, store.User{}, "", false, err
	}
	u, err = p.signedInUser(ctx, sess.UserID)
	if err == nil {
		err = p.methodUnchanged(ctx, sess.UserID, sess.AuthTime)
	}
	if ok, err := usable(err); err != nil || !ok {
		if err == nil { // the user may no longer sign in: the session ends
			_, err = p.cfg.Store.TakeSSOSession(ctx, sess.ID)
			if errors.Is(err, store.ErrNotFound) {
				err = nil
			}
		}
		return store.SSOSession{}, store.User{}, "", false, err
	}
	return sess, u, handle, true, nil
}

// sessionFor returns the browser's session when it may complete the
// authorization request without the sign-in page: sessions are on, the
// session is live (liveSession), and the request does not ask for a
// sign-in (prompt=login or select_account), is not older than its max_age
// allows, and names no other user (login_hint).
func (p *Provider) sessionFor(ctx context.Context, w http.ResponseWriter, r *http.Request, ar *zoidc.AuthRequest) (store.SSOSession, store.User, bool, error) {
	if !p.ssoOn() {
		// A cookie left from when sessions were on (or planted) is of no
		// use: the shared device keeps none.
		if _, present := sessionHandle(r); present {
			p.clearSessionCookie(w)
		}
		return store.SSOSession{}, store.User{}, false, nil
	}
	sess, u, _, found, err := p.liveSession(ctx, r)
	switch {
	case err != nil:
		return store.SSOSession{}, store.User{}, false, err
	case !found:
		if _, present := sessionHandle(r); present {
			p.clearSessionCookie(w)
		}
		return store.SSOSession{}, store.User{}, false, nil
	case slices.Contains(ar.Prompt, zoidc.PromptLogin) || slices.Contains(ar.Prompt, zoidc.PromptSelectAccount),
		ar.MaxAge != nil && (*ar.MaxAge == 0 || p.now().Sub(sess.AuthTime) > time.Duration(*ar.MaxAge)*time.Second),
		ar.LoginHint != "" && !strings.EqualFold(ar.LoginHint, u.UPN): // UPNs compare case-insensitively
		return store.SSOSession{}, store.User{}, false, nil
	}
	return sess, u, true, nil
}

// served records that the session signed its user in to the application.
func (p *Provider) served(ctx context.Context, sessionID, clientID string) error {
	_, err := p.cfg.Store.UpdateSSOSession(ctx, sessionID, func(s *store.SSOSession) error {
		addClient(s, clientID)
		return nil
	})
	return err
}

// addClient adds clientID to the applications the session served (for
// back-channel logout), at most maxSessionClients of them.
func addClient(s *store.SSOSession, clientID string) {
	if !slices.Contains(s.ClientIDs, clientID) && len(s.ClientIDs) < maxSessionClients {
		s.ClientIDs = append(s.ClientIDs, clientID)
	}
}

// startSession runs at the authorize callback, a top-level navigation on
// the provider's origin, once the worker signed in on the page: when
// sessions are on it starts the browser's session (or renews it, when the
// browser's live session is the same user's) and records it on the
// request (ar.SessionID), so that the ID token carries its sid. A live
// session of another user in the browser is ended (signed out).
func (p *Provider) startSession(w http.ResponseWriter, r *http.Request, ar *store.AuthRequest) error {
	if !p.ssoOn() || ar.Flow != flowCode || ar.SessionID != "" {
		return nil
	}
	ctx := r.Context()
	now := p.now()
	expires := now.Add(p.cfg.SSOSessionLifetime)
	old, _, handle, found, err := p.liveSession(ctx, r)
	if err != nil {
		return err
	}
	var sessionID string
	if found && old.UserID == ar.UserID {
		sessionID = old.ID
		_, err = p.cfg.Store.UpdateSSOSession(ctx, old.ID, func(s *store.SSOSession) error {
			s.AuthTime, s.Expires = ar.AuthTime, expires
			addClient(s, ar.ClientID)
			return nil
		})
	} else {
		if found { // another worker's session: signed out
			if err := p.endSession(ctx, old.ID, false); err != nil {
				return err
			}
		}
		handle = rand.Text()
		sessionID = hashSecret(handle)
		err = p.cfg.Store.CreateSSOSession(ctx, store.SSOSession{ID: sessionID, UserID: ar.UserID, AuthTime: ar.AuthTime,
			Created: now, Expires: expires, ClientIDs: []string{ar.ClientID}})
	}
	if err != nil {
		return err
	}
	updated, err := p.cfg.Store.UpdateAuthRequest(ctx, ar.ID, func(a *store.AuthRequest) error {
		if a.CodeHash != "" || a.Redeemed {
			return errNoRequest()
		}
		a.SessionID = sessionID
		return nil
	})
	if err != nil {
		return err
	}
	*ar = updated
	http.SetCookie(w, p.sessionCookie(handle, int(p.cfg.SSOSessionLifetime/time.Second)))
	return nil
}

// signOut ends the browser's session, if it has one (the row deleted, the
// cookie cleared), and notifies the applications it served by back-channel
// logout, waiting for them at most Config.BackchannelTimeout.
func (p *Provider) signOut(w http.ResponseWriter, r *http.Request) error {
	handle, present := sessionHandle(r)
	if !present {
		return nil
	}
	if handle != "" {
		if err := p.endSession(r.Context(), hashSecret(handle), true); err != nil {
			return err
		}
	}
	p.clearSessionCookie(w)
	return nil
}

// bindingCookiePrefix begins the name of an authorization request's
// binding cookie.
const bindingCookiePrefix = "qrpin_ar_"

// binding returns the name and value of the cookie that binds the
// authorization request id to the browser that made it: both from an HMAC
// of the id under a key derived from the pepper, so that only that
// browser holds them. The authorize endpoint sets it (setBinding); the
// callback gives the code only to a browser that sends it (bound): a
// callback link opened in another browser (login CSRF: an attacker's own
// sign-in, with its single sign-on session, planted in a victim's browser)
// ends on the error page. A cookie per request: two sign-ins in one
// browser do not overwrite each other's.
func (p *Provider) binding(id string) (name, value string) {
	m := hmac.New(sha256.New, p.bindKey)
	m.Write([]byte(id))
	sum := m.Sum(nil)
	return bindingCookiePrefix + base64.RawURLEncoding.EncodeToString(sum[:6]), base64.RawURLEncoding.EncodeToString(sum[6:])
}

// setBinding sets the request's binding cookie, for as long as the request
// lasts (maxAge seconds; -1 clears it).
func (p *Provider) setBinding(w http.ResponseWriter, id string, maxAge int) {
	name, value := p.binding(id)
	if maxAge < 0 {
		value = ""
	}
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: p.cookiePath(), MaxAge: maxAge,
		HttpOnly: true, Secure: strings.HasPrefix(p.base, "https:"), SameSite: http.SameSiteLaxMode})
}

// bound reports whether the request comes from the browser that made the
// authorization request id (its binding cookie), compared in constant time.
func (p *Provider) bound(r *http.Request, id string) bool {
	name, value := p.binding(id)
	c, err := r.Cookie(name)
	return err == nil && hmac.Equal([]byte(c.Value), []byte(value))
}

// StepSession is the step of a sign-in log entry for a sign-in that a
// single sign-on session completed, without badge or PIN.
const StepSession = "ssoSession"

// recordSessionSignIn writes the sign-in log entry of a sign-in a
// session completed (Config.Record), as the sign-in page does for the
// ones it completes.
func (p *Provider) recordSessionSignIn(r *http.Request, now time.Time, u store.User, app store.Application, scopes []string) {
	if p.cfg.Record == nil {
		return
	}
	res, _ := resourceOf(app, scopes) // checked by checkRequest
	p.cfg.Record(signin.WithClient(r), signin.Event{Time: now, UserID: u.ID, UPN: u.UPN, UserDisplayName: u.DisplayName,
		IPAddress: clientaddr.Of(r), Step: StepSession,
		Done: true, AppID: app.AppID, AppName: app.DisplayName, Resource: res.name, Flow: FlowAuthorizationCode})
}
