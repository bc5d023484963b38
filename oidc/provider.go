// Package oidc is qrpin's OpenID Provider for relying applications: the
// authorization code flow with PKCE, refresh tokens and the device code
// flow, at Entra's v2.0 paths under /{tenant}, for the applications an
// admin registered (their redirect URIs). Its login page is the sign-in
// page (package signin), which sees it through Pending and Complete.
//
// It is built on github.com/zitadel/oidc/v3's op package, through its
// Storage interface: op parses the requests, redirects with codes and
// errors in every response mode, checks PKCE and signs the tokens;
// qrpin's store keeps every record (so several processes share them), and
// this package routes op's pieces at Entra's paths instead of op's router
// (whose default CORS allows any origin with credentials).
package oidc

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/httprate"
	zop "github.com/zitadel/oidc/v3/pkg/op"

	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/signin"
	"github.com/qrpin/qrpin/store"
)

// Paths the provider serves, below the server root ({tenant} is the
// tenant id, compared case-insensitively).
const (
	AuthorizePath  = "/{tenant}/oauth2/v2.0/authorize"
	CallbackPath   = "/{tenant}/oauth2/v2.0/authorize/callback"
	TokenPath      = "/{tenant}/oauth2/v2.0/token"
	LogoutPath     = "/{tenant}/oauth2/v2.0/logout"
	DeviceCodePath = "/{tenant}/oauth2/v2.0/devicecode"
	DeviceAuthPath = "/{tenant}/oauth2/v2.0/deviceauth"
	UserinfoPath   = "/oidc/userinfo"
	SignInPath     = "/{tenant}/signin" // the sign-in page (package signin)
)

// Defaults.
const (
	DefaultRequestTTL      = 10 * time.Minute    // to sign in, from authorize
	DefaultCodeTTL         = 5 * time.Minute     // an authorization code, from its issue
	DefaultDeviceTTL       = 15 * time.Minute    // a device code (Entra's)
	DefaultTokenTTL        = time.Hour           // access and ID tokens
	DefaultRefreshLifetime = 90 * 24 * time.Hour // a refresh token family, absolutely (Entra's)
	DefaultRefreshIdle     = 14 * 24 * time.Hour // a refresh token unused
	DefaultRateLimit       = 60                  // authorize and devicecode requests per address per minute
	DefaultRateWindow      = time.Minute
	maxBody                = 64 << 10
)

// Clients checks an application's client secret: *admin.Service's
// ClientCredentials, which the client credentials grant uses too. It
// fails with admin.ErrUnknownClient, admin.ErrInvalidSecret,
// admin.ErrExpiredSecret or a store error.
type Clients interface {
	ClientCredentials(ctx context.Context, clientID, secret string) (auth.Principal, error)
	// ApplicationCredentials is ClientCredentials for an application just
	// read from the store.
	ApplicationCredentials(app store.Application, secret string) (auth.Principal, error)
}

// Config is what a Provider is built from.
type Config struct {
	Store     store.Store
	Clients   Clients
	Keys      *auth.KeySet
	PublicURL string // the server's public URL: the issuer is auth.Issuer(PublicURL, TenantID)
	TenantID  string
	// Pepper is the server's secret: the pairwise subjects and op's
	// encryption key derive from it, under their own labels.
	Pepper []byte
	// ClientCredentials answers the token endpoint's other grants
	// (client_credentials, and every grant this package does not serve):
	// issuer.TokenEndpoint.
	ClientCredentials http.Handler
	// Lifetimes; zero means the Default*.
	RequestTTL, CodeTTL, DeviceTTL, TokenTTL time.Duration
	RefreshLifetime, RefreshIdle             time.Duration
	// RateLimit is how many authorize and device code requests one client
	// address may make per RateWindow (DefaultRateLimit, DefaultRateWindow
	// when 0); negative means no limit.
	RateLimit  int
	RateWindow time.Duration
	// TokenRateLimit is how many token requests of the grants the
	// provider serves one client address may make per RateWindow; 0 means
	// no limit. (Other grants have Config.ClientCredentials's limits.)
	TokenRateLimit int
	// SSOSessionLifetime is how long a single sign-on session lasts from
	// the sign-in that began it (at most MaxSSOSessionLifetime); 0, the
	// default, keeps none: every authorization request shows the sign-in
	// page (shared devices).
	SSOSessionLifetime time.Duration
	// BackchannelTimeout bounds a sign-out's back-channel logout
	// notifications, all together (DefaultBackchannelTimeout when 0).
	BackchannelTimeout time.Duration
	// BackchannelClient sends them; nil means one that follows no redirect.
	BackchannelClient *http.Client
	// Record writes the sign-in log entry of a sign-in that a single
	// sign-on session completed (the sign-in page writes the others):
	// signin.RecordTo, as the sign-in page's. nil writes none.
	Record func(context.Context, signin.Event)
	Log    *slog.Logger
	// Now is the clock of every record's times; nil means time.Now.
	Now func() time.Time
}

// Provider is the OpenID Provider. Build it with New.
type Provider struct {
	cfg     Config
	op      *zop.Provider
	storage *storage
	issuer  string
	base    string // public URL without its trailing slash
	tenant  string // base + "/" + tenant id
	subKey  []byte // pairwise subjects' HMAC key
	sidKey  []byte // sid claims' HMAC key
	bindKey []byte // authorization requests' browser binding HMAC key (binding)

	rate      *httprate.RateLimiter // nil: no limit
	tokenRate *httprate.RateLimiter // nil: no limit
	devRate   *throttle
}

// derive returns a key derived from the pepper under a label, so that no
// two uses of the pepper share a key.
func derive(pepper []byte, label string) []byte {
	m := hmac.New(sha256.New, pepper)
	m.Write([]byte("qrpin oidc " + label + " v1"))
	return m.Sum(nil)
}

// New builds the provider.
func New(cfg Config) (*Provider, error) {
	switch {
	case cfg.Store == nil || cfg.Clients == nil || cfg.Keys == nil:
		return nil, errors.New("oidc: Config needs Store, Clients and Keys")
	case cfg.TenantID == "" || cfg.PublicURL == "":
		return nil, errors.New("oidc: Config needs TenantID and PublicURL")
	case len(cfg.Pepper) < 16:
		return nil, errors.New("oidc: Config needs the server's pepper")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.RequestTTL, DefaultRequestTTL)
	def(&cfg.CodeTTL, DefaultCodeTTL)
	def(&cfg.DeviceTTL, DefaultDeviceTTL)
	def(&cfg.TokenTTL, DefaultTokenTTL)
	def(&cfg.RefreshLifetime, DefaultRefreshLifetime)
	def(&cfg.RefreshIdle, DefaultRefreshIdle)
	def(&cfg.RateWindow, DefaultRateWindow)
	def(&cfg.BackchannelTimeout, DefaultBackchannelTimeout)
	if cfg.SSOSessionLifetime < 0 || cfg.SSOSessionLifetime > MaxSSOSessionLifetime {
		return nil, fmt.Errorf("oidc: single sign-on session lifetime %v is not between 0 (off) and %v", cfg.SSOSessionLifetime, MaxSSOSessionLifetime)
	}
	if cfg.RateLimit == 0 {
		cfg.RateLimit = DefaultRateLimit
	}
	if cfg.TokenTTL > auth.MaxTokenLifetime {
		return nil, fmt.Errorf("oidc: token lifetime %v exceeds %v", cfg.TokenTTL, auth.MaxTokenLifetime)
	}
	u, err := url.Parse(cfg.PublicURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("oidc: public URL %q is not an http(s) URL", cfg.PublicURL)
	}
	p := &Provider{cfg: cfg, issuer: auth.Issuer(cfg.PublicURL, cfg.TenantID)}
	p.base = strings.TrimRight(cfg.PublicURL, "/")
	p.tenant = p.base + "/" + cfg.TenantID
	p.subKey = derive(cfg.Pepper, "pairwise subject")
	p.sidKey = derive(cfg.Pepper, "session id")
	p.bindKey = derive(cfg.Pepper, "authorization request binding")
	p.storage = &storage{p: p}
	if cfg.RateLimit > 0 {
		p.rate = httprate.NewRateLimiter(cfg.RateLimit, cfg.RateWindow)
	}
	if cfg.TokenRateLimit > 0 {
		p.tokenRate = httprate.NewRateLimiter(cfg.TokenRateLimit, cfg.RateWindow)
	}
	p.devRate = newThrottle(cfg.Store, p.now, "oidc-usercode", 10, 15*time.Minute)

	var key [32]byte
	copy(key[:], derive(cfg.Pepper, "op crypto"))
	opCfg := &zop.Config{
		CryptoKey:                key,
		DefaultLogoutRedirectURI: p.tenant + "/oauth2/v2.0/logout?signedOut=1",
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		GrantTypeRefreshToken:    true,
		SupportedScopes:          []string{"openid", "profile", "email", "offline_access"},
		DeviceAuthorization: zop.DeviceAuthorizationConfig{
			Lifetime:     cfg.DeviceTTL,
			PollInterval: devicePollInterval * time.Second,
			UserFormURL:  p.tenant + "/oauth2/v2.0/deviceauth",
			UserCode:     zop.UserCodeBase20,
		},
	}
	opts := []zop.Option{
		zop.WithCustomEndpoints(
			zop.NewEndpointWithURL("/oauth2/v2.0/authorize", p.tenant+"/oauth2/v2.0/authorize"),
			zop.NewEndpointWithURL("/oauth2/v2.0/token", p.tenant+"/oauth2/v2.0/token"),
			zop.NewEndpointWithURL(UserinfoPath, p.base+UserinfoPath),
			zop.NewEndpointWithURL("/oauth2/v2.0/revoke", p.tenant+"/oauth2/v2.0/revoke"),
			zop.NewEndpointWithURL("/oauth2/v2.0/logout", p.tenant+"/oauth2/v2.0/logout"),
			zop.NewEndpointWithURL("/discovery/v2.0/keys", p.tenant+"/discovery/v2.0/keys"),
		),
		zop.WithCustomDeviceAuthorizationEndpoint(zop.NewEndpointWithURL("/oauth2/v2.0/devicecode", p.tenant+"/oauth2/v2.0/devicecode")),
		// qrpin does not use op's router; should anything serve op's
		// handler, no origin gets credentials.
		zop.WithCORSOptions(nil),
	}
	if cfg.Log != nil {
		opts = append(opts, zop.WithLogger(cfg.Log))
	}
	if u.Scheme == "http" {
		opts = append(opts, zop.WithAllowInsecure())
	}
	p.op, err = zop.NewProvider(opCfg, p.storage, zop.StaticIssuer(p.issuer), opts...)
	if err != nil {
		return nil, fmt.Errorf("oidc: %w", err)
	}
	return p, nil
}

// Issuer returns the issuer of the provider's tokens.
func (p *Provider) Issuer() string { return p.issuer }

func (p *Provider) now() time.Time {
	now := time.Now
	if p.cfg.Now != nil {
		now = p.cfg.Now
	}
	return now().UTC().Truncate(time.Microsecond)
}

func (p *Provider) log() *slog.Logger {
	if p.cfg.Log == nil {
		return slog.Default()
	}
	return p.cfg.Log
}

// Register adds the provider's endpoints to mux. The token endpoint is
// shared: the grants this package serves (authorization_code,
// refresh_token, device_code) come here, every other request goes to
// Config.ClientCredentials.
func (p *Provider) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+AuthorizePath, p.tenantOnly(p.limited(p.serveAuthorize)))
	mux.HandleFunc("POST "+AuthorizePath, p.tenantOnly(p.limited(p.serveAuthorize)))
	mux.HandleFunc("GET "+CallbackPath, p.tenantOnly(p.serveCallback))
	mux.Handle(TokenPath, http.HandlerFunc(p.serveToken))
	mux.HandleFunc("GET "+LogoutPath, p.tenantOnly(p.serveLogout))
	mux.HandleFunc("POST "+LogoutPath, p.tenantOnly(p.serveLogout))
	mux.HandleFunc("POST "+DeviceCodePath, p.tenantOnly(p.limited(p.serveDeviceCode)))
	mux.HandleFunc("GET "+DeviceAuthPath, p.tenantOnly(p.serveDeviceAuth))
	mux.HandleFunc("POST "+DeviceAuthPath, p.tenantOnly(p.serveDeviceAuth))
	mux.HandleFunc("GET "+UserinfoPath, p.withIssuer(p.serveUserinfo))
	mux.HandleFunc("POST "+UserinfoPath, p.withIssuer(p.serveUserinfo))
	mux.HandleFunc("OPTIONS "+UserinfoPath, preflight)
}
