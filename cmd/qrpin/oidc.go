package main

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/pflag"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/issuer"
	"github.com/qrpin/qrpin/oidc"
	"github.com/qrpin/qrpin/signin"
)

// oidcFlags are serve's OpenID provider settings.
type oidcFlags struct {
	refreshLifetime time.Duration // a refresh token family's absolute lifetime
	refreshIdle     time.Duration // a refresh token's lifetime unused
	rateLimit       int           // authorize and device code requests per client address per minute
	ssoLifetime     time.Duration // single sign-on sessions' lifetime; 0: none
}

func (f *oidcFlags) flags(fs *pflag.FlagSet) {
	fs.DurationVar(&f.refreshLifetime, "refresh-token-lifetime", envDuration("refresh-token-lifetime", oidc.DefaultRefreshLifetime),
		"how long an application's sign-in lasts at most, refreshed or not: its refresh tokens expire then (QRPIN_REFRESH_TOKEN_LIFETIME; 0: the default)")
	fs.DurationVar(&f.refreshIdle, "refresh-token-idle", envDuration("refresh-token-idle", oidc.DefaultRefreshIdle),
		"how long an application's refresh token lasts unused; each use gives a new one (QRPIN_REFRESH_TOKEN_IDLE; 0: the default)")
	fs.IntVar(&f.rateLimit, "authorize-rate-limit", envInt("authorize-rate-limit", oidc.DefaultRateLimit),
		"authorization and device code requests per client address per minute; beyond it 429 (QRPIN_AUTHORIZE_RATE_LIMIT; 0: no limit)")
	fs.DurationVar(&f.ssoLifetime, "sso-session-lifetime", envDuration("sso-session-lifetime", 0),
		"single-user devices only: how long a worker who signed in to one application is signed in to the others without their badge, in that browser "+
			"(at most 12h; QRPIN_SSO_SESSION_LIFETIME; 0, the default: no session, every sign-in asks for the badge, as shared devices need)")
}

// check refuses settings that cannot work.
func (f *oidcFlags) check() error {
	switch {
	case f.refreshLifetime < 0 || f.refreshIdle < 0:
		return errors.New("--refresh-token-lifetime and --refresh-token-idle must not be negative (0: the default)")
	case f.rateLimit < 0:
		return errors.New("--authorize-rate-limit must not be negative")
	case f.ssoLifetime < 0 || f.ssoLifetime > oidc.MaxSSOSessionLifetime:
		return fmt.Errorf("--sso-session-lifetime must be between 0 (no session) and %v", oidc.MaxSSOSessionLifetime)
	}
	return nil
}

// provider returns the OpenID provider of the server at base; other
// token requests than its own go to clientCredentials.
func (f *oidcFlags) provider(d *deps, svc *admin.Service, clientCredentials *issuer.TokenEndpoint, base string, log *slog.Logger) (*oidc.Provider, error) {
	limit := f.rateLimit
	if limit == 0 {
		limit = -1 // no limit
	}
	return oidc.New(oidc.Config{
		Store:              d.store,
		Clients:            svc,
		Keys:               d.keys,
		PublicURL:          base,
		TenantID:           d.tenantID,
		Pepper:             d.pepper,
		ClientCredentials:  clientCredentials,
		RefreshLifetime:    f.refreshLifetime,
		RefreshIdle:        f.refreshIdle,
		RateLimit:          limit,
		SSOSessionLifetime: f.ssoLifetime,
		Record:             signin.RecordTo(d.store, log),
		TokenRateLimit:     clientCredentials.AddrLimit, // --token-rate-limit-addr, for every grant
		Log:                log,
	})
}
