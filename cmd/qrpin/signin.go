package main

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/spf13/pflag"

	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/pinflow"
	"github.com/qrpin/qrpin/signin"
)

// signinFlags are serve's sign-in settings.
type signinFlags struct {
	throttle int           // incorrect QR codes and bad handles per client address per minute
	idle     time.Duration // the sign-in page's idle timeout; 0: signin.DefaultIdleTimeout
}

func (f *signinFlags) flags(fs *pflag.FlagSet) {
	fs.IntVar(&f.throttle, "signin-throttle", envInt("signin-throttle", 20), "incorrect QR codes and unknown or expired sign-in transactions per client address per minute before sign-in answers 429; valid badges are never refused (QRPIN_SIGNIN_THROTTLE; 0: no limit)")
	fs.DurationVar(&f.idle, "signin-idle-timeout", envDuration("signin-idle-timeout", signin.DefaultIdleTimeout), "time without input after which the sign-in page wipes what it holds (a signed-in screen, a half-done sign-in) and returns to the scan screen (QRPIN_SIGNIN_IDLE_TIMEOUT; 0: the default)")
}

// check refuses settings that cannot work.
func (f *signinFlags) check() error {
	if f.idle < 0 {
		return errors.New("--signin-idle-timeout must not be negative")
	}
	return nil
}

// registerSignIn adds the sign-in API and page at /{tenant}/signin to mux,
// on cfg, the configuration the management service has too; authz is the
// OpenID provider whose authorization requests workers sign in for.
func (c *common) registerSignIn(mux *http.ServeMux, cfg pinflow.Config, tokens *auth.Tokens, authz signin.Authorizations, log *slog.Logger) *signin.Service {
	s := &signin.Service{
		Config:         cfg,
		Tokens:         tokens,
		Throttle:       signin.Throttle{Limit: c.signin.throttle},
		Record:         signin.RecordTo(cfg.Store, log),
		Authorizations: authz,
	}
	h := &signin.Handler{Service: s, Log: log, IdleTimeout: c.signin.idle}
	h.Register(mux)
	h.RegisterPage(mux)
	return s
}
