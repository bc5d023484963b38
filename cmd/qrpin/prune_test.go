package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qrpin/qrpin/internal/fakeclock"
	"github.com/qrpin/qrpin/store"
	"github.com/qrpin/qrpin/store/sqlite"
)

// TestPruner runs serve's pruner on an injected clock and ticks: at once and
// at every tick it deletes the log entries older than the retention (none
// with 0), the ended throttle windows, and the OpenID provider's expired
// authorization requests and refresh tokens and the staff page's expired
// sessions (logging how many), and it stops with its context.
func TestPruner(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	const ret = DefaultLogRetention
	for _, tc := range []struct {
		name      string
		retention time.Duration
		first     []string // entries left by the first passes, at now
		later     []string // and a day later
	}{
		{"30 days", ret, []string{"edge", "new"}, []string{"new"}},
		{"forever", 0, []string{"edge", "new", "old"}, []string{"edge", "new", "old"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			st, err := sqlite.Open(filepath.Join(t.TempDir(), "qrpin.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			for name, at := range map[string]time.Time{"old": now.Add(-ret - time.Microsecond), "edge": now.Add(-ret), "new": now.Add(-time.Hour)} {
				if err := st.AddSignInLog(ctx, store.SignInLog{ID: name, Created: at, Step: "qrCode"}); err != nil {
					t.Fatal(err)
				}
				if err := st.AddDirectoryAudit(ctx, store.DirectoryAudit{ID: name, Time: at, Result: "success"}); err != nil {
					t.Fatal(err)
				}
			}
			for key, end := range map[string]time.Time{"192.0.2.1": now, "192.0.2.2": now.Add(time.Second)} {
				if _, _, err := st.AddThrottleFailure(ctx, key, end.Add(-time.Minute), end); err != nil {
					t.Fatal(err)
				}
			}
			// The provider's records: expired at now, and an hour later.
			for id, end := range map[string]time.Time{"ended": now, "open": now.Add(time.Hour)} {
				r := store.AuthRequest{ID: id, Flow: "code", ClientID: "app", Created: now.Add(-time.Minute), Expires: end}
				if err := st.CreateAuthRequest(ctx, r); err != nil {
					t.Fatal(err)
				}
				rt := store.RefreshToken{ID: id, FamilyID: id, ClientID: "app", UserID: "u", Created: now.Add(-time.Minute),
					IdleExpires: end, Expires: end.Add(90 * 24 * time.Hour)}
				if err := st.CreateRefreshToken(ctx, rt); err != nil {
					t.Fatal(err)
				}
				ss := store.StaffSession{ID: id, UserID: "u", AuthTime: now.Add(-time.Minute), Created: now.Add(-time.Minute),
					LastSeen: now.Add(-time.Minute), Expires: end}
				if err := st.CreateStaffSession(ctx, ss); err != nil {
					t.Fatal(err)
				}
			}
			logs := new(syncBuffer)
			clock := fakeclock.New(now)
			p := &pruner{store: st, retention: tc.retention, now: clock.Now, log: slog.New(slog.NewTextHandler(logs, nil))}
			runCtx, stop := context.WithCancel(ctx)
			tick := make(chan time.Time)
			done := make(chan struct{})
			go func() { defer close(done); p.run(runCtx, tick) }()
			defer func() { stop(); <-done }()

			// run takes a tick only between passes: once it has taken one,
			// the passes before it are done (and one more at the same time
			// changes nothing).
			tick <- time.Time{}
			wantEntries(t, st, tc.first)
			wantOIDCRecords(t, st, "open")
			if n, _, _ := st.ThrottleFailures(ctx, "192.0.2.2", now); n != 1 {
				t.Fatalf("the open throttle window holds %d failures, want 1", n)
			}
			if n, _ := st.PruneThrottle(ctx, now, 0); n != 0 {
				t.Fatalf("%d ended throttle windows left after pruning, want 0", n)
			}

			clock.Advance(24 * time.Hour)
			tick <- time.Time{}
			tick <- time.Time{} // the pass after the first tick may have read the old time
			wantEntries(t, st, tc.later)
			wantOIDCRecords(t, st)
			stop()
			<-done
			if got, want := strings.Count(logs.String(), `msg="pruned expired authorization requests, refresh tokens and single sign-on sessions" records=2`), 2; got != want {
				t.Fatalf("the pruner logged %d counts of 2 pruned provider records, want %d:\n%s", got, want, logs)
			}
			if got, want := strings.Count(logs.String(), `msg="pruned expired staff page sessions" sessions=1`), 2; got != want {
				t.Fatalf("the pruner logged %d counts of 1 pruned staff page session, want %d:\n%s", got, want, logs)
			}
			if n, _ := st.PruneThrottle(ctx, clock.Now(), 0); n != 0 {
				t.Fatalf("%d ended throttle windows left after pruning, want 0", n)
			}
		})
	}
}

// wantOIDCRecords checks that the authorization requests, the refresh
// tokens and the staff page sessions left of those TestPruner made ("ended", "open") are ids.
func wantOIDCRecords(t *testing.T, st store.Store, ids ...string) {
	t.Helper()
	for _, id := range []string{"ended", "open"} {
		_, errR := st.GetAuthRequest(t.Context(), id)
		_, errT := st.GetRefreshToken(t.Context(), id)
		_, errS := st.UpdateStaffSession(t.Context(), id, func(*store.StaffSession) error { return nil })
		for what, err := range map[string]error{"authorization request": errR, "refresh token": errT, "staff page session": errS} {
			switch {
			case slices.Contains(ids, id) && err != nil:
				t.Fatalf("%s %q: %v, want it kept", what, id, err)
			case !slices.Contains(ids, id) && !errors.Is(err, store.ErrNotFound):
				t.Fatalf("%s %q: %v, want it pruned (%v)", what, id, err, store.ErrNotFound)
			}
		}
	}
}

// syncBuffer is a buffer the pruner's goroutine writes its log to while
// the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// wantEntries checks the ids of the sign-in logs and of the directory
// audits, sorted.
func wantEntries(t *testing.T, st store.Store, want []string) {
	t.Helper()
	signIns, err := st.ListSignInLogs(t.Context(), store.AuditFilter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	audits, err := st.ListDirectoryAudits(t.Context(), store.AuditFilter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var s, a []string
	for _, e := range signIns {
		s = append(s, e.ID)
	}
	for _, e := range audits {
		a = append(a, e.ID)
	}
	slices.Sort(s)
	slices.Sort(a)
	if !slices.Equal(s, want) || !slices.Equal(a, want) {
		t.Fatalf("sign-in logs %v and directory audits %v, want %v for both", s, a, want)
	}
}

// TestLogRetentionFlag: --log-retention defaults to QRPIN_LOG_RETENTION,
// else 30 days; 0 keeps the logs forever, and check refuses a negative
// retention (serve checks it first).
func TestLogRetentionFlag(t *testing.T) {
	for _, tc := range []struct {
		env  string
		args []string
		want time.Duration
		ok   bool
	}{
		{"", nil, 30 * 24 * time.Hour, true},
		{"24h", nil, 24 * time.Hour, true},
		{"24h", []string{"--log-retention", "0"}, 0, true},
		{"", []string{"--log-retention=-1h"}, -time.Hour, false},
	} {
		t.Setenv("QRPIN_LOG_RETENTION", tc.env)
		cmd := serveCmd()
		if err := cmd.ParseFlags(tc.args); err != nil {
			t.Fatal(err)
		}
		got, err := cmd.Flags().GetDuration("log-retention")
		if err != nil || got != tc.want {
			t.Fatalf("env %q, args %q: --log-retention %v (%v), want %v", tc.env, tc.args, got, err, tc.want)
		}
		f := pruneFlags{retention: got}
		if err := f.check(); (err == nil) != tc.ok {
			t.Fatalf("--log-retention %v: check says %v", got, err)
		}
	}
}
