// Package badgeapp is a small web application that signs its users in with
// their qrpin badge (QR code + PIN): OpenID Connect's authorization code
// flow with PKCE, through golang.org/x/oauth2 and
// github.com/coreos/go-oidc/v3, exactly as it would against Microsoft
// Entra. Command badgeapp (cmd/badgeapp) runs it.
package badgeapp

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Config is what the application needs to know about its registration in
// qrpin.
type Config struct {
	// Issuer is qrpin's issuer: {qrpin's public URL}/{tenant id}/v2.0.
	Issuer       string
	ClientID     string
	ClientSecret string // "" for a public client (PKCE only)
	// RedirectURL is this application's callback, registered in qrpin
	// (ending in /callback); its scheme, host and port are where the
	// application is served.
	RedirectURL string
	// HTTPClient reaches qrpin (nil: http.DefaultClient).
	HTTPClient *http.Client
}

// Limits of what the application keeps in memory: sign-ins under way and
// signed-in sessions, each for a bounded time.
const (
	loginTTL    = 10 * time.Minute
	sessionTTL  = 8 * time.Hour
	maxPending  = 10000
	maxSessions = 10000
)

// App is the web application: its handler serves /, /login, /callback
// and /logout.
type App struct {
	cfg      Config
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
	logout   string // the provider's end_session_endpoint, "" when it has none

	mu       sync.Mutex
	pending  map[string]login    // by state
	sessions map[string]*session // by session cookie
}

type login struct {
	nonce, verifier string
	expires         time.Time
}

type session struct {
	Name, Username, Subject string
	IDToken                 string
	expires                 time.Time
}

// New discovers the provider at cfg.Issuer and returns the application.
func New(ctx context.Context, cfg Config) (*App, error) {
	if cfg.HTTPClient != nil {
		ctx = oidc.ClientContext(ctx, cfg.HTTPClient)
	}
	provider, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("badgeapp: discover %s: %w", cfg.Issuer, err)
	}
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := provider.Claims(&meta); err != nil {
		return nil, fmt.Errorf("badgeapp: read discovery document: %w", err)
	}
	return &App{
		cfg: cfg,
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			Endpoint:     provider.Endpoint(),
			RedirectURL:  cfg.RedirectURL,
			Scopes:       []string{oidc.ScopeOpenID, "profile"},
		},
		verifier: provider.Verifier(&oidc.Config{ClientID: cfg.ClientID}),
		logout:   meta.EndSession,
		pending:  map[string]login{},
		sessions: map[string]*session{},
	}, nil
}

// Handler returns the application's routes.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("GET /login", a.login)
	mux.HandleFunc("GET /callback", a.callback)
	mux.HandleFunc("POST /logout", a.signOut)
	return mux
}

var page = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Timesheets</title></head>
<body>
<h1>Timesheets</h1>
{{if .Session}}
<p id="who">Signed in as <strong>{{.Session.Name}}</strong> ({{.Session.Username}})</p>
<form method="post" action="/logout"><button id="signout" type="submit">Sign out</button></form>
{{else}}
{{if .Error}}<p id="error" role="alert">{{.Error}}</p>{{end}}
<p><a id="signin" href="/login">Sign in with your badge</a></p>
{{end}}
</body></html>
`))

func (a *App) render(w http.ResponseWriter, status int, s *session, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	page.Execute(w, struct {
		Session *session
		Error   string
	}{s, msg})
}

func (a *App) home(w http.ResponseWriter, r *http.Request) {
	a.render(w, http.StatusOK, a.current(r), "")
}

func (a *App) login(w http.ResponseWriter, r *http.Request) {
	state, nonce := random(), random()
	verifier := oauth2.GenerateVerifier()
	now := time.Now()
	a.mu.Lock()
	prune(a.pending, now, func(l login) time.Time { return l.expires })
	full := len(a.pending) >= maxPending
	if !full {
		a.pending[state] = login{nonce: nonce, verifier: verifier, expires: now.Add(loginTTL)}
	}
	a.mu.Unlock()
	if full {
		a.render(w, http.StatusServiceUnavailable, nil, "Too many sign-ins under way; try again in a minute.")
		return
	}
	// The state is also bound to this browser, so that a callback started
	// elsewhere (login CSRF) is refused.
	http.SetCookie(w, a.cookie("badgeapp_state", state, loginTTL))
	http.Redirect(w, r, a.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusFound)
}

func (a *App) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	state := q.Get("state")
	c, err := r.Cookie("badgeapp_state")
	if state == "" || err != nil || c.Value != state {
		a.render(w, http.StatusBadRequest, nil, "This sign-in was not started here; sign in again.")
		return
	}
	http.SetCookie(w, a.cookie("badgeapp_state", "", -1))
	a.mu.Lock()
	l, ok := a.pending[state]
	delete(a.pending, state)
	a.mu.Unlock()
	if !ok || time.Now().After(l.expires) {
		a.render(w, http.StatusBadRequest, nil, "This sign-in expired; sign in again.")
		return
	}
	if e := q.Get("error"); e != "" {
		a.render(w, http.StatusUnauthorized, nil, "Sign-in failed: "+e+" "+q.Get("error_description"))
		return
	}
	ctx := r.Context()
	if a.cfg.HTTPClient != nil {
		ctx = context.WithValue(ctx, oauth2.HTTPClient, a.cfg.HTTPClient)
	}
	tok, err := a.oauth.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(l.verifier))
	if err != nil {
		a.render(w, http.StatusBadGateway, nil, "The code exchange failed: "+err.Error())
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	id, err := a.verifier.Verify(ctx, raw)
	if err != nil {
		a.render(w, http.StatusBadGateway, nil, "The ID token is not valid: "+err.Error())
		return
	}
	if id.Nonce != l.nonce {
		a.render(w, http.StatusBadGateway, nil, "The ID token answers another sign-in.")
		return
	}
	var claims struct {
		Name     string `json:"name"`
		Username string `json:"preferred_username"`
	}
	if err := id.Claims(&claims); err != nil {
		a.render(w, http.StatusBadGateway, nil, "The ID token's claims cannot be read.")
		return
	}
	sid, now := random(), time.Now()
	a.mu.Lock()
	prune(a.sessions, now, func(s *session) time.Time { return s.expires })
	full := len(a.sessions) >= maxSessions
	if !full {
		a.sessions[sid] = &session{Name: claims.Name, Username: claims.Username, Subject: id.Subject, IDToken: raw, expires: now.Add(sessionTTL)}
	}
	a.mu.Unlock()
	if full {
		a.render(w, http.StatusServiceUnavailable, nil, "Too many people are signed in.")
		return
	}
	http.SetCookie(w, a.cookie("badgeapp_session", sid, sessionTTL))
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// signOut ends the application's session and, when the provider offers
// it, sends the browser to its logout endpoint (RP-initiated logout),
// which returns it to the application's home page.
func (a *App) signOut(w http.ResponseWriter, r *http.Request) {
	s := a.current(r)
	if c, err := r.Cookie("badgeapp_session"); err == nil {
		a.mu.Lock()
		delete(a.sessions, c.Value)
		a.mu.Unlock()
	}
	http.SetCookie(w, a.cookie("badgeapp_session", "", -1))
	if s == nil || a.logout == "" {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	home, err := url.Parse(a.cfg.RedirectURL)
	if err != nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	home.Path, home.RawQuery = "/", ""
	v := url.Values{
		"id_token_hint":            {s.IDToken},
		"post_logout_redirect_uri": {home.String()},
		"client_id":                {a.cfg.ClientID},
	}
	http.Redirect(w, r, a.logout+"?"+v.Encode(), http.StatusSeeOther)
}

func (a *App) current(r *http.Request) *session {
	c, err := r.Cookie("badgeapp_session")
	if err != nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.sessions[c.Value]
	if s == nil || time.Now().After(s.expires) {
		return nil
	}
	return s
}

// cookie returns the application's cookie name, lasting ttl; a negative
// ttl deletes it (Max-Age=0).
func (a *App) cookie(name, value string, ttl time.Duration) *http.Cookie {
	u, _ := url.Parse(a.cfg.RedirectURL)
	maxAge := int(ttl / time.Second)
	if ttl < 0 {
		maxAge = -1
	}
	return &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: u != nil && u.Scheme == "https", SameSite: http.SameSiteLaxMode,
	}
}

func prune[V any](m map[string]V, now time.Time, expires func(V) time.Time) {
	for k, v := range m {
		if now.After(expires(v)) {
			delete(m, k)
		}
	}
}

func random() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(errors.New("badgeapp: no randomness"))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
