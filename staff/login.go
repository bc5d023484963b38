package staff

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/store"
)

// loginCookie holds a sign-in in progress: the state, nonce and PKCE
// verifier of the authorization request, and the page to return to. It is
// MACed, so that the browser can keep it but not change it.
const loginCookie = "qrpin-staff-login"

// loginTTL is how long a sign-in in progress may take (the provider's own
// request lives as long).
const loginTTL = 10 * time.Minute

type pending struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Return   string `json:"r"`
	Expires  int64  `json:"e"`
}

func (h *Handler) seal(p pending) string {
	b, _ := json.Marshal(p) // plain strings and an int
	m := hmac.New(sha256.New, h.derive("login cookie"))
	m.Write(b)
	return base64.RawURLEncoding.EncodeToString(b) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (h *Handler) unseal(v string) (pending, bool) {
	body, mac, ok := strings.Cut(v, ".")
	b, err1 := base64.RawURLEncoding.DecodeString(body)
	sum, err2 := base64.RawURLEncoding.DecodeString(mac)
	if !ok || err1 != nil || err2 != nil {
		return pending{}, false
	}
	m := hmac.New(sha256.New, h.derive("login cookie"))
	m.Write(b)
	var p pending
	if !hmac.Equal(sum, m.Sum(nil)) || json.Unmarshal(b, &p) != nil || h.now().Unix() >= p.Expires {
		return pending{}, false
	}
	return p, true
}

func (h *Handler) oauth() *oauth2.Config {
	tenant := h.Service.TenantID
	return &oauth2.Config{
		ClientID: admin.StaffAppID,
		Endpoint: oauth2.Endpoint{
			AuthURL: h.publicBase() + "/" + tenant + "/oauth2/v2.0/authorize",
			// Served in process by h.Token: the host is never dialled.
			TokenURL:  "http://in-process/" + tenant + "/oauth2/v2.0/token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
		RedirectURL: CallbackURL(h.PublicURL, tenant),
		Scopes:      []string{"openid", "profile"},
	}
}

// maxReturn bounds a return path (it is kept in the login cookie).
const maxReturn = 1024

// safeReturn keeps a return path only when it is one of the page's own: a
// path on this server (no scheme, host or backslash), clean (no dot
// segment or empty one, which a redirect would resolve to another path),
// below the page's base, and at most maxReturn bytes. Anything else
// returns to the page's home.
func (h *Handler) safeReturn(v string) string {
	u, err := url.Parse(v)
	if len(v) > maxReturn || err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || strings.Contains(v, "\\") ||
		u.Path != path.Clean(u.Path) || (u.Path != h.base() && !strings.HasPrefix(u.Path, h.base()+"/")) {
		return h.base()
	}
	return u.RequestURI()
}

// login (GET /staff/login) starts a sign-in through the OpenID provider:
// the authorization code flow with PKCE (S256), state and nonce, and a
// max_age of the idle timeout: a single sign-on session (when the provider
// keeps them) may sign the manager in only within the idle timeout of
// their sign-in with badge and PIN, so that a session that ended (idle,
// past its lifetime, always at least that old) is never resumed on a
// shared device without the badge. With
// fresh=1 (a sensitive action after a sign-in older than
// auth.RecentSignIn) it asks the provider for a new sign-in with the badge
// and PIN (prompt=login, max_age=0) of the manager signed in
// (login_hint), so that the check passes the sign-in page's lockout and
// rate limits like any sign-in.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := pending{State: rand.Text(), Nonce: rand.Text(), Verifier: oauth2.GenerateVerifier(),
		Return: h.safeReturn(q.Get("return")), Expires: h.now().Add(loginTTL).Unix()}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(p.Verifier), oauth2.SetAuthURLParam("nonce", p.Nonce)}
	if q.Get("fresh") != "1" {
		opts = append(opts, oauth2.SetAuthURLParam("max_age", strconv.Itoa(int(h.idle()/time.Second))))
	} else {
		opts = append(opts, oauth2.SetAuthURLParam("prompt", "login"), oauth2.SetAuthURLParam("max_age", "0"))
		if c, err := r.Cookie(h.cookieName(sessionCookie)); err == nil && handleOK(c.Value) {
			if s, err := h.Service.Store.UpdateStaffSession(r.Context(), hashHandle(c.Value),
				func(*store.StaffSession) error { return nil }); err == nil {
				if u, err := h.Service.Store.GetUser(r.Context(), s.UserID); err == nil {
					opts = append(opts, oauth2.SetAuthURLParam("login_hint", u.UPN))
				}
			}
		}
	}
	http.SetCookie(w, h.cookie(loginCookie, h.seal(p), int(loginTTL/time.Second)))
	http.Redirect(w, r, h.oauth().AuthCodeURL(p.State, opts...), http.StatusSeeOther)
}

// callback (GET /staff/callback) finishes a sign-in: the state must be
// the browser's own, the code is redeemed in process with the PKCE
// verifier, the ID token verified (issuer, audience, signature, expiry,
// nonce). The manager then has a new session (any older one of the
// browser ends) and returns to the page they asked for.
func (h *Handler) callback(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(h.cookieName(loginCookie))
	var p pending
	ok := err == nil
	if ok {
		p, ok = h.unseal(c.Value)
	}
	q := r.URL.Query()
	if !ok || subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(p.State)) != 1 {
		h.problem(w, r, http.StatusBadRequest, "This sign-in is not the one this browser started, or it took too long. Sign in again.")
		return
	}
	http.SetCookie(w, h.cookie(loginCookie, "", -1))
	if e := q.Get("error"); e != "" {
		h.problem(w, r, http.StatusBadRequest, "The sign-in did not complete. Sign in again.")
		return
	}
	userID, authTime, err := h.redeem(r, q.Get("code"), p)
	if err != nil {
		h.log().Info("staff: sign-in refused", "err", err.Error())
		h.problem(w, r, http.StatusBadRequest, "The sign-in could not be completed. Sign in again.")
		return
	}
	if old, err := r.Cookie(h.cookieName(sessionCookie)); err == nil && handleOK(old.Value) {
		h.end(w, r, hashHandle(old.Value))
	}
	if err := h.newSession(w, r, userID, authTime); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, p.Return, http.StatusSeeOther)
}

// redeem exchanges the code and returns the manager's user id and the time
// of their sign-in with badge and PIN.
func (h *Handler) redeem(r *http.Request, code string, p pending) (string, time.Time, error) {
	if code == "" {
		return "", time.Time{}, errors.New("no code")
	}
	ctx := context.WithValue(r.Context(), oauth2.HTTPClient, &http.Client{Transport: inProcess{h: h.Token, remoteAddr: r.RemoteAddr}})
	tok, err := h.oauth().Exchange(ctx, code, oauth2.VerifierOption(p.Verifier))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("code exchange: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	var keys []crypto.PublicKey
	for _, k := range h.Keys.PublicKeys() {
		keys = append(keys, k.Key)
	}
	v := gooidc.NewVerifier(auth.Issuer(h.PublicURL, h.Service.TenantID), &gooidc.StaticKeySet{PublicKeys: keys},
		&gooidc.Config{ClientID: admin.StaffAppID, Now: h.now})
	idt, err := v.Verify(ctx, raw)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("ID token: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(p.Nonce)) != 1 {
		return "", time.Time{}, errors.New("ID token: nonce differs")
	}
	var claims struct {
		OID      string `json:"oid"`
		AuthTime int64  `json:"auth_time"`
	}
	if err := idt.Claims(&claims); err != nil || claims.OID == "" || claims.AuthTime == 0 {
		return "", time.Time{}, errors.New("ID token: no oid or auth_time")
	}
	return claims.OID, time.Unix(claims.AuthTime, 0).UTC(), nil
}

// signOut (POST /staff/signout) ends the session here and sends the
// browser to the provider's logout (RP-initiated logout), which ends its
// single sign-on session, if any, and sends the browser back to the
// signed-out page: the next worker on a shared device signs in afresh.
// It needs the session's cookie and form token, not a live session: a
// session that ended while its page was shown (idle) still signs out at
// the provider, instead of being sent to sign in, which a single sign-on
// session would answer with the manager's sign-in. Without a session
// cookie, there is nothing to end here, and the provider's logout follows
// all the same.
func (h *Handler) signOut(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(h.cookieName(sessionCookie)); err == nil && handleOK(c.Value) {
		if !h.csrfOK(r, c.Value) {
			h.problem(w, r, http.StatusForbidden, "The form has expired. Reload the page and try again.")
			return
		}
		h.end(w, r, hashHandle(c.Value))
	}
	q := url.Values{"client_id": {admin.StaffAppID}, "post_logout_redirect_uri": {SignedOutURL(h.PublicURL, h.Service.TenantID)}}
	http.Redirect(w, r, h.publicBase()+"/"+h.Service.TenantID+"/oauth2/v2.0/logout?"+q.Encode(), http.StatusSeeOther)
}
