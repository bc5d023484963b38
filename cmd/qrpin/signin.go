package main

import (
	"log/slog"
	"net/http"

	"github.com/spf13/pflag"

	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/pinflow"
	"github.com/qrpin/qrpin/signin"
)

// signinFlags are serve's sign-in settings.
type signinFlags struct {
	throttle int // incorrect QR codes and bad handles per client address per minute
}

func (f *signinFlags) flags(fs *pflag.FlagSet) {
	fs.IntVar(&f.throttle, "signin-throttle", envInt("signin-throttle", 20), "incorrect QR codes and unknown or expired sign-in transactions per client address per minute before sign-in answers 429; valid badges are never refused (QRPIN_SIGNIN_THROTTLE; 0: no limit)")
}

// registerSignIn adds the sign-in API and page at /{tenant}/signin to mux,
// on cfg, the configuration the management service has too.
func (c *common) registerSignIn(mux *http.ServeMux, cfg pinflow.Config, tokens *auth.Tokens, log *slog.Logger) *signin.Service {
	s := &signin.Service{
		Config:   cfg,
		Tokens:   tokens,
		Throttle: signin.Throttle{Limit: c.signin.throttle},
		Record:   signin.RecordTo(cfg.Store, log),
	}
	h := &signin.Handler{Service: s, Log: log}
	h.Register(mux)
	h.RegisterPage(mux)
	return s
}
