package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/pflag"

	"github.com/qrpin/qrpin/store"
)

// Pruning: how often serve prunes, and the most rows one statement
// deletes, so that pruning never holds a lock long enough to stall a
// sign-in.
const (
	pruneEvery = time.Minute
	pruneBatch = 1000
)

// DefaultLogRetention is how long sign-in logs and directory audits are
// kept by default: 30 days, as Entra keeps them (with a P1 or P2 licence).
const DefaultLogRetention = 30 * 24 * time.Hour

// pruneFlags are serve's retention settings.
type pruneFlags struct {
	retention time.Duration // log entries older than this are deleted; 0 keeps them forever
}

func (f *pruneFlags) flags(fs *pflag.FlagSet) {
	fs.DurationVar(&f.retention, "log-retention", envDuration("log-retention", DefaultLogRetention),
		"how long sign-in logs and directory audits are kept, pruned every minute (QRPIN_LOG_RETENTION; 0: forever)")
}

func (f *pruneFlags) check() error {
	if f.retention < 0 {
		return fmt.Errorf("--log-retention %v: must not be negative (0 keeps the logs forever)", f.retention)
	}
	return nil
}

// pruner deletes what the store need not keep any longer: log entries
// older than retention (none when it is 0), ended throttle windows, and
// the OpenID provider's expired authorization requests (device requests
// included), refresh tokens and single sign-on sessions, and the staff
// page's expired sessions, which are otherwise deleted only when new ones
// are made.
type pruner struct {
	store     store.Store
	retention time.Duration
	now       func() time.Time
	log       *slog.Logger
}

// prune makes one pass.
func (p *pruner) prune(ctx context.Context) error {
	now := p.now()
	if _, err := p.store.PruneThrottle(ctx, now, pruneBatch); err != nil {
		return err
	}
	n, err := p.store.PruneOIDC(ctx, now, pruneBatch)
	if n > 0 {
		p.log.Info("pruned expired authorization requests, refresh tokens and single sign-on sessions", "records", n)
	}
	if err != nil {
		return err
	}
	n, err = p.store.PruneStaffSessions(ctx, now, pruneBatch)
	if n > 0 {
		p.log.Info("pruned expired staff page sessions", "sessions", n)
	}
	if err != nil {
		return err
	}
	if p.retention <= 0 {
		return nil
	}
	n, err = p.store.PruneLogs(ctx, now.Add(-p.retention), pruneBatch)
	if n > 0 {
		p.log.Info("pruned log entries", "entries", n, "retention", p.retention)
	}
	return err
}

// run prunes at once and then at every tick, until ctx ends. A failed pass
// is logged and the next tick tries again.
func (p *pruner) run(ctx context.Context, tick <-chan time.Time) {
	for {
		if err := p.prune(ctx); err != nil && ctx.Err() == nil {
			p.log.Warn("pruning failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
	}
}
