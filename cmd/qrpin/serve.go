package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/graph"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/pin"
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
			return serve(ctx, c, lock, rateLimit, nil)
		},
	}
	c.flags(cmd.Flags())
	fs := cmd.Flags()
	fs.IntVar(&lock.Threshold, "lockout-threshold", envInt("lockout-threshold", lock.Threshold), "consecutive wrong PINs before the PIN locks (QRPIN_LOCKOUT_THRESHOLD)")
	fs.DurationVar(&lock.BaseDuration, "lockout-duration", envDuration("lockout-duration", lock.BaseDuration), "first lock; doubles with each further wrong PIN (QRPIN_LOCKOUT_DURATION)")
	fs.DurationVar(&lock.MaxDuration, "lockout-max", envDuration("lockout-max", lock.MaxDuration), "longest lock (QRPIN_LOCKOUT_MAX)")
	fs.IntVar(&lock.DisableAfter, "lockout-disable-after", envInt("lockout-disable-after", lock.DisableAfter), "consecutive wrong PINs that disable the PIN until an admin resets it (QRPIN_LOCKOUT_DISABLE_AFTER)")
	fs.IntVar(&rateLimit, "rate-limit", envInt("rate-limit", 3500), "Graph API requests per client address per 10 seconds; beyond it 429 (QRPIN_RATE_LIMIT)")
	return cmd
}

// serve runs the server until ctx ends; ready, when not nil, is told the
// address once the server listens.
func serve(ctx context.Context, c common, lock method.LockoutPolicy, rateLimit int, ready func(net.Addr)) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	d, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer d.store.Close()
	hasher, err := pin.NewHasher(d.pepper, pin.DefaultParams)
	if err != nil {
		return err
	}
	base := c.baseURL()
	api := &graph.Server{
		Admin: &admin.Service{
			Store:    d.store,
			PINs:     hasher,
			Pepper:   d.pepper,
			TenantID: d.tenantID,
			Lockout:  lock,
		},
		Tokens:    d.tokens(base),
		Log:       log,
		PublicURL: c.publicURL,
		RateLimit: rateLimit,
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           api.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	fmt.Printf("qrpin listening on http://%s (tenant %s, data %s)\n", ln.Addr(), d.tenantID, c.data)
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
