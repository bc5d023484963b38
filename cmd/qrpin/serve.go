package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/datadir"
	"github.com/qrpin/qrpin/graph"
	"github.com/qrpin/qrpin/home"
	"github.com/qrpin/qrpin/internal/clientaddr"
	"github.com/qrpin/qrpin/issuer"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/pin"
	"github.com/qrpin/qrpin/pinflow"
	"github.com/qrpin/qrpin/staff"
	"github.com/qrpin/qrpin/telemetry"
)

func serveCmd() *cobra.Command {
	var c common
	lock := method.DefaultLockout
	var rateLimit int
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the qrpin server (embedded SQLite in the data directory by default)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			c.out = cmd.OutOrStdout()
			return serve(ctx, c, lock, rateLimit, nil)
		},
	}
	c.flags(cmd.Flags())
	fs := cmd.Flags()
	fs.Lookup("addr").Usage = "address (host:port) to listen on; the public URL derives from it when --public-url is not given (QRPIN_ADDR)"
	fs.IntVar(&lock.Threshold, "lockout-threshold", envInt("lockout-threshold", lock.Threshold), "consecutive wrong PINs before the PIN locks (QRPIN_LOCKOUT_THRESHOLD)")
	fs.DurationVar(&lock.BaseDuration, "lockout-duration", envDuration("lockout-duration", lock.BaseDuration), "first lock; doubles with each further wrong PIN (QRPIN_LOCKOUT_DURATION)")
	fs.DurationVar(&lock.MaxDuration, "lockout-max", envDuration("lockout-max", lock.MaxDuration), "longest lock (QRPIN_LOCKOUT_MAX)")
	fs.IntVar(&lock.DisableAfter, "lockout-disable-after", envInt("lockout-disable-after", lock.DisableAfter), "consecutive wrong PINs that disable the PIN until an admin resets it (QRPIN_LOCKOUT_DISABLE_AFTER)")
	fs.IntVar(&rateLimit, "rate-limit", envInt("rate-limit", 3500), "Graph API requests per client address per 10 seconds; beyond it 429 (QRPIN_RATE_LIMIT)")
	fs.DurationVar(&c.appCheckTTL, "app-check-ttl", envDuration("app-check-ttl", admin.DefaultAppCheckTTL),
		"how long an application token's application, once found, is trusted to exist: deleting it on another server "+
			"takes effect here within this time, on this server at once; 0 checks the database on every request (QRPIN_APP_CHECK_TTL)")
	fs.StringSliceVar(&c.proxies, "trusted-proxies", strings.Split(env("trusted-proxies", ""), ","),
		"reverse proxies (CIDR prefixes or addresses, comma-separated) whose X-Forwarded-For or Forwarded header names the client; "+
			"from any other peer those headers are ignored (QRPIN_TRUSTED_PROXIES; default none)")
	c.trusted.flags(fs)
	c.tls.flags(fs)
	c.token.flags(fs)
	c.signin.flags(fs)
	c.oidc.flags(fs)
	c.staff.flags(fs)
	c.prune.flags(fs)
	c.ops.flags(fs)
	return cmd
}

// serve runs the server until ctx ends; ready, when not nil, is told the
// address once the server listens.
func serve(ctx context.Context, c common, lock method.LockoutPolicy, rateLimit int, ready func(net.Addr)) error {
	logOut := c.ops.logOut
	if logOut == nil {
		logOut = os.Stderr
	}
	log, err := c.ops.logger(logOut)
	if err != nil {
		return err
	}
	if err := c.prune.check(); err != nil {
		return err
	}
	if err := c.signin.check(); err != nil {
		return err
	}
	if err := c.oidc.check(); err != nil {
		return err
	}
	if err := c.staff.check(); err != nil {
		return err
	}
	proxies, err := clientaddr.ParsePrefixes(c.proxies)
	if err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	d, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer d.store.Close()
	params := pin.DefaultParams
	if c.hashParams != nil {
		params = *c.hashParams
	}
	hasher, err := pin.NewHasher(d.pepper, params)
	if err != nil {
		return err
	}
	pin.ReserveHeap(params) // the working set of the hasher just made
	metrics := telemetry.NewMetrics()
	metrics.WatchHasher(hasher)
	metrics.WatchStore(d.store)
	base := c.baseURL()
	// One configuration for the management and sign-in services.
	cfg := pinflow.Config{
		Store:    d.store,
		PINs:     hasher,
		Pepper:   d.pepper,
		TenantID: d.tenantID,
		Lockout:  lock,
	}
	svc := &admin.Service{Config: cfg, AppCheckTTL: c.appCheckTTL}
	api := &graph.Server{
		Admin:     svc,
		Tokens:    d.tokens(base),
		Log:       log,
		PublicURL: c.publicURL,
		RateLimit: rateLimit,
		Metrics:   metrics,
	}
	if api.External, err = c.trusted.external(ctx, log); err != nil {
		return err
	}
	identity := http.NewServeMux() // the identity endpoints, beside the Graph API
	(&issuer.Discovery{BaseURL: base, TenantID: d.tenantID, Keys: d.keys}).Register(identity)
	(&home.Handler{BaseURL: base, TenantID: d.tenantID}).Register(identity) // GET /: where everything is
	provider, err := c.oidc.provider(d, svc, c.tokenEndpoint(d, svc, base, log), base, log)
	if err != nil {
		return err
	}
	provider.Register(identity) // with the token endpoint, whose client credentials grant stays issuer's
	c.registerSignIn(identity, cfg, api.Tokens, provider, log)
	tlsConfig, caCert, err := c.tls.config(c.data)
	if err != nil {
		return err
	}
	if err := c.bootstrap(ctx, d, svc, base, caCert); err != nil {
		return err
	}
	// The staff page's application, once the bootstrap is done (which
	// finishes an interrupted first start only while no other application
	// exists).
	if _, err := svc.EnsureStaffApplication(ctx, staff.CallbackURL(base, d.tenantID), staff.SignedOutURL(base, d.tenantID)); err != nil {
		return err
	}
	(&staff.Handler{Service: svc, Keys: d.keys, PublicURL: base, Token: identity, Log: log,
		IdleTimeout: c.staff.idle, Lifetime: c.staff.lifetime}).Register(identity)
	listen := net.Listen
	if c.listen != nil {
		listen = c.listen
	}
	ln, err := listen("tcp", c.addr)
	if err != nil {
		return err
	}
	if tlsConfig != nil {
		ln = tls.NewListener(ln, tlsConfig)
	}
	// Once the address is ours: the commands that mint tokens or print URLs
	// (token, apps) use this server's URL from now on.
	if err := datadir.RecordPublicURL(c.data, base); err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{
		Handler: (&clientaddr.Resolver{Trusted: proxies}).Handler(routes(api.Handler(),
			(&telemetry.Access{Log: log, Metrics: metrics}).Handler(identity))),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(c.stdout(), "qrpin listening on %s://%s (tenant %s, data %s, database %s)\n",
		c.tls.scheme(), ln.Addr(), d.tenantID, c.data, c.db.describe(c.data))
	fmt.Fprintf(c.stdout(), "sign-in page: %s/%s/signin\n", base, d.tenantID)
	if caCert != "" {
		fmt.Fprintf(c.stdout(), "TLS with the self-signed development certificate %s: clients trust it (curl --cacert %s)\n", caCert, shellQuote(caCert))
	}
	pruneCtx, stopPruning := context.WithCancel(ctx)
	pruned := make(chan struct{})
	ticker := time.NewTicker(pruneEvery)
	defer func() { stopPruning(); ticker.Stop(); <-pruned }() // before the store closes
	go func() {
		defer close(pruned)
		(&pruner{store: d.store, retention: c.prune.retention, now: time.Now, log: log}).run(pruneCtx, ticker.C)
	}()
	if addr := c.ops.management(); addr != "" {
		mln, stopManagement, err := serveManagement(addr, telemetry.Management(metrics, readiness(d.store, d.keys, log)...), log)
		if err != nil {
			ln.Close()
			return err
		}
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			stopManagement(ctx)
		}()
		fmt.Fprintf(c.stdout(), "management listener (metrics, health) on http://%s\n", mln)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if ready != nil {
		ready(ln.Addr())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// routes sends /v1.0 and /beta (any casing, spec D1) to the Graph API and
// everything else to other, where the identity endpoints register.
func routes(graphAPI, other http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		if strings.EqualFold(first, "v1.0") || strings.EqualFold(first, "beta") {
			graphAPI.ServeHTTP(w, r)
			return
		}
		other.ServeHTTP(w, r)
	})
}
