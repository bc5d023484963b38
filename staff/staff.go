// Package staff is the My Staff page at /{tenant}/staff: frontline
// managers, signed in with their own badge and PIN through qrpin's OpenID
// provider, look after the QR code + PIN method of their team (search,
// status, PIN reset and unlock, temporary codes, new badges).
//
// The page is a relying party of the provider (the authorization code
// flow with PKCE, state and nonce) through the first-party application
// admin.StaffAppID; it redeems the code in process, through the provider's
// own token endpoint handler, so no request leaves the server. Every
// action is one call of admin.Service with the manager as a delegated
// caller (admin.StaffPrincipal): the service, not the page, decides whom
// a manager may manage, and audits each change (and each refused one).
//
// Sessions are kept in the store (so that several processes share them
// and a sign-out ends them everywhere): short (IdleTimeout, Lifetime), in
// an HttpOnly cookie (__Host-qrpin-staff over https, Secure), SameSite=Lax.
// State-changing requests pass http.CrossOriginProtection and carry a
// per-session form token.
package staff

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/internal/clientaddr"
	"github.com/qrpin/qrpin/store"
)

// Defaults of a manager's session.
const (
	DefaultIdleTimeout = 10 * time.Minute // unused this long, a session ends
	DefaultLifetime    = time.Hour        // a session ends this long after its sign-in, used or not
)

// Limits on what a request may send.
const (
	maxBody   = 16 << 10 // a form
	maxQuery  = 100      // a search, in bytes
	maxUserID = 256      // a user key in a path
)

// Handler serves the staff page. Its fields must not change once Register
// has run.
type Handler struct {
	// Service is the management service: every action is one call of it.
	// Its Store keeps the sessions, its clock is the page's.
	Service *admin.Service
	// Keys verify the provider's ID tokens.
	Keys *auth.KeySet
	// PublicURL is the server's public URL (the provider's issuer and the
	// redirect URIs derive from it).
	PublicURL string
	// Token serves the provider's token endpoint in process (the server's
	// handler with the provider registered): the authorization code is
	// redeemed through it, never over the network.
	Token http.Handler
	// IdleTimeout and Lifetime bound a session (DefaultIdleTimeout,
	// DefaultLifetime when zero).
	IdleTimeout, Lifetime time.Duration
	// Log receives the errors that are bugs; nil means slog.Default().
	Log *slog.Logger
}

// Paths below the server root.
const (
	Path         = "/{tenant}/staff"
	CallbackPath = "/{tenant}/staff/callback"
	SignedOut    = "/{tenant}/staff/signed-out"
)

// CallbackURL returns the redirect URI of the staff page's application for
// a server at publicURL: {publicURL}/{tenant}/staff/callback.
func CallbackURL(publicURL, tenantID string) string {
	return strings.TrimRight(publicURL, "/") + "/" + tenantID + "/staff/callback"
}

// SignedOutURL returns where the provider sends a browser back after a
// sign-out from the staff page: {publicURL}/{tenant}/staff/signed-out.
func SignedOutURL(publicURL, tenantID string) string {
	return strings.TrimRight(publicURL, "/") + "/" + tenantID + "/staff/signed-out"
}

// Register adds the staff page's routes to mux. Every POST passes
// http.CrossOriginProtection.
func (h *Handler) Register(mux *http.ServeMux) {
	cop := http.NewCrossOriginProtection()
	post := func(pattern string, fn http.HandlerFunc) {
		mux.Handle("POST "+pattern, cop.Handler(h.tenantOnly(h.bounded(fn))))
	}
	get := func(pattern string, fn http.HandlerFunc) { mux.Handle("GET "+pattern, h.tenantOnly(fn)) }
	get(Path, h.home)
	get(Path+"/login", h.login)
	get(CallbackPath, h.callback)
	get(SignedOut, h.signedOut)
	get(Path+"/assets/{name}", h.asset)
	get(Path+"/users/{id}", h.user)
	post(Path+"/signout", h.signOut)
	post(Path+"/users/{id}/reset-pin", h.resetPIN)
	post(Path+"/users/{id}/unlock", h.unlock)
	post(Path+"/users/{id}/temporary-code", h.temporaryCode)
	post(Path+"/users/{id}/new-badge", h.newBadge)
}

func (h *Handler) log() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}

func (h *Handler) now() time.Time { return h.Service.Time() }

func (h *Handler) idle() time.Duration {
	if h.IdleTimeout > 0 {
		return h.IdleTimeout
	}
	return DefaultIdleTimeout
}

func (h *Handler) lifetime() time.Duration {
	if h.Lifetime > 0 {
		return h.Lifetime
	}
	return DefaultLifetime
}

// base is the page's path: /{tenant}/staff.
func (h *Handler) base() string { return "/" + h.Service.TenantID + "/staff" }

// publicBase is the public URL without its trailing slash.
func (h *Handler) publicBase() string { return strings.TrimRight(h.PublicURL, "/") }

func (h *Handler) secure() bool { return strings.HasPrefix(h.PublicURL, "https:") }

// tenantOnly answers another tenant's path with 404, and sets the headers
// of every answer: the strict CSP (no inline script, nothing from
// elsewhere) and no caching (pages show team members, PINs and codes).
func (h *Handler) tenantOnly(fn http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !strings.EqualFold(r.PathValue("tenant"), h.Service.TenantID) {
			http.NotFound(w, r)
			return
		}
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cache-Control", "no-store")
		fn(w, r.WithContext(admin.WithClientAddress(r.Context(), clientaddr.Of(r))))
	}
}

// bounded caps a form's body.
func (h *Handler) bounded(fn http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		if err := r.ParseForm(); err != nil {
			h.problem(w, r, http.StatusBadRequest, "The form could not be read.")
			return
		}
		fn(w, r)
	}
}

// derive returns a key derived from the server's pepper under a label.
func (h *Handler) derive(label string) []byte {
	m := hmac.New(sha256.New, h.Service.Pepper)
	m.Write([]byte("qrpin staff " + label + " v1"))
	return m.Sum(nil)
}

// cookieName is the session cookie's: __Host- prefixed when the page is
// served over https (browsers accept the prefix only on Secure cookies).
func (h *Handler) cookieName(name string) string {
	if h.secure() {
		return "__Host-" + name
	}
	return name
}

func (h *Handler) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: h.cookieName(name), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: h.secure(), SameSite: http.SameSiteLaxMode}
}

const sessionCookie = "qrpin-staff"

// session is a manager's signed-in session, as a request sees it.
type session struct {
	store.StaffSession
	handle string         // the cookie's value
	p      auth.Principal // the manager, as the service sees them now
}

// errEnded: the session is past its idle timeout or its lifetime.
var errEnded = errors.New("staff: session ended")

func hashHandle(handle string) string {
	s := sha256.Sum256([]byte(handle))
	return hex.EncodeToString(s[:])
}

// handleOK reports whether a cookie value is one newSession makes
// (rand.Text: 26 base32 characters).
func handleOK(v string) bool {
	if len(v) != 26 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; !(c >= 'A' && c <= 'Z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// current returns the request's session, used now, or false when there is
// none (no cookie, unknown, idle too long, too old, its manager disabled
// or deleted): then the session is ended and the browser sent to sign in
// (the answer is written). Any other failure is answered too.
func (h *Handler) current(w http.ResponseWriter, r *http.Request) (session, bool) {
	c, err := r.Cookie(h.cookieName(sessionCookie))
	if err != nil || !handleOK(c.Value) {
		h.toSignIn(w, r, false)
		return session{}, false
	}
	now := h.now()
	id := hashHandle(c.Value)
	ss, err := h.Service.Store.UpdateStaffSession(r.Context(), id, func(s *store.StaffSession) error {
		if !now.Before(s.Expires) || !now.Before(s.LastSeen.Add(h.idle())) {
			return errEnded
		}
		s.LastSeen = now
		return nil
	})
	if errors.Is(err, errEnded) {
		err = h.Service.Store.DeleteStaffSession(r.Context(), id)
	}
	if errors.Is(err, store.ErrNotFound) {
		http.SetCookie(w, h.cookie(sessionCookie, "", -1))
		h.toSignIn(w, r, false)
		return session{}, false
	}
	if err != nil {
		h.fail(w, r, err)
		return session{}, false
	}
	p, err := h.Service.StaffPrincipal(r.Context(), ss.UserID, ss.AuthTime)
	if err != nil {
		if ae, ok := apperr.As(err); ok && ae.Code == "InvalidAuthenticationToken" {
			h.end(w, r, id)
			h.toSignIn(w, r, false)
			return session{}, false
		}
		h.fail(w, r, err)
		return session{}, false
	}
	return session{StaffSession: ss, handle: c.Value, p: p}, true
}

// end deletes a session and the browser's cookie.
func (h *Handler) end(w http.ResponseWriter, r *http.Request, id string) {
	if err := h.Service.Store.DeleteStaffSession(context.WithoutCancel(r.Context()), id); err != nil {
		h.log().Warn("staff: cannot delete a session", "err", err.Error())
	}
	http.SetCookie(w, h.cookie(sessionCookie, "", -1))
}

// newSession stores a session for a manager just signed in and sets its
// cookie.
func (h *Handler) newSession(w http.ResponseWriter, r *http.Request, userID string, authTime time.Time) error {
	handle := rand.Text()
	now := h.now()
	expires := authTime.Add(h.lifetime())
	if expires.After(now.Add(h.lifetime())) {
		expires = now.Add(h.lifetime())
	}
	err := h.Service.Store.CreateStaffSession(r.Context(), store.StaffSession{ID: hashHandle(handle), UserID: userID,
		AuthTime: authTime, Created: now, LastSeen: now, Expires: expires})
	if err != nil {
		return err
	}
	http.SetCookie(w, h.cookie(sessionCookie, handle, int(h.lifetime()/time.Second)))
	return nil
}

// csrf is the form token of a session's handle: an HMAC of it, so that it
// is bound to the session and needs no storage.
func (h *Handler) csrf(handle string) string {
	m := hmac.New(sha256.New, h.derive("form token"))
	m.Write([]byte(handle))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// csrfOK checks the form token of a POST against a session's handle
// (constant time).
func (h *Handler) csrfOK(r *http.Request, handle string) bool {
	got := r.PostForm.Get("csrf")
	return subtle.ConstantTimeCompare([]byte(got), []byte(h.csrf(handle))) == 1
}

// toSignIn sends the browser to sign in (GET /staff/login), returning
// afterwards to the page asked for when it was a page of the staff site.
// fresh asks the provider for a new sign-in with the badge and PIN.
func (h *Handler) toSignIn(w http.ResponseWriter, r *http.Request, fresh bool) {
	q := url.Values{}
	if r.Method == http.MethodGet && r.URL.Path != h.base()+"/login" {
		q.Set("return", r.URL.RequestURI())
	}
	if fresh {
		q.Set("fresh", "1")
		if r.Method == http.MethodPost && r.PathValue("id") != "" {
			q.Set("return", h.base()+"/users/"+url.PathEscape(r.PathValue("id")))
		}
	}
	target := h.base() + "/login"
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}
