package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
)

// counts is what a pool's cache holds and has done.
type counts struct{ cached, prepared, unprepared int }

func (p *pool) counts() counts {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return counts{len(p.stmts), p.prepared, p.unprepared}
}

// TestStatementsPreparedOnce runs each operation once, which prepares its
// statements, and then 200 times more: every later run uses the prepared
// statements (none runs unprepared, none is prepared again) and the caches
// do not grow. The operations cover both pools, inside and outside a
// transaction, and an error mapped from a prepared statement.
func TestStatementsPreparedOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		op   func(ctx context.Context, s *Store, i int) error
	}{
		{"GetMethod (read transaction)", func(ctx context.Context, s *Store, _ int) error {
			m, err := s.GetMethod(ctx, "u1")
			if err == nil && m.Standard == nil {
				err = errors.New("method without its code")
			}
			return err
		}},
		{"GetUser (read pool)", func(ctx context.Context, s *Store, _ int) error {
			u, err := s.GetUser(ctx, "u1")
			if err == nil && u.UPN != "a@b" {
				err = fmt.Errorf("user %+v", u)
			}
			return err
		}},
		{"UpdateMethod (write transaction)", func(ctx context.Context, s *Store, i int) error {
			m, err := s.UpdateMethod(ctx, "u1", func(m *method.Method) error { m.Lockout.Failures++; return nil })
			if err == nil && m.Lockout.Failures != i+1 {
				err = fmt.Errorf("failures %d, want %d", m.Lockout.Failures, i+1)
			}
			return err
		}},
		{"AddSignInLog (write pool)", func(ctx context.Context, s *Store, i int) error {
			return s.AddSignInLog(ctx, store.SignInLog{ID: fmt.Sprintf("%06d", i), Created: t0, UPN: "a@b"})
		}},
		{"CreateUser conflict (write pool)", func(ctx context.Context, s *Store, _ int) error {
			if err := s.CreateUser(ctx, store.User{ID: "u1", UPN: "other@b"}); !errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("CreateUser of an existing id: %v, want %v", err, store.ErrConflict)
			}
			return nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			s := open(t, filepath.Join(t.TempDir(), "qrpin.db"))
			w0, r0 := s.w.counts(), s.r.counts()
			must(t, s.CreateUser(ctx, store.User{ID: "u1", UPN: "a@b"}))
			must(t, s.CreateMethod(ctx, testMethod("u1")))
			must(t, tc.op(ctx, s, 0))
			w1, r1 := s.w.counts(), s.r.counts()
			if w1.prepared+r1.prepared-w0.prepared-r0.prepared < 3 {
				t.Fatalf("setup and a first run prepared too few statements: write pool %+v, read pool %+v", w1, r1)
			}
			const runs = 200
			for i := 1; i <= runs; i++ {
				must(t, tc.op(ctx, s, i))
			}
			if w, r := s.w.counts(), s.r.counts(); w != w1 || r != r1 {
				t.Errorf("after %d more runs: write pool %+v, read pool %+v; want %+v, %+v", runs, w, r, w1, r1)
			}
		})
	}
}

// TestCloseClosesStatements checks that Close closes every cached
// statement of both pools and leaves the caches empty.
func TestCloseClosesStatements(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := Open(filepath.Join(t.TempDir(), "qrpin.db"))
	must(t, err)
	must(t, s.CreateUser(ctx, store.User{ID: "u1", UPN: "a@b"}))
	must(t, s.CreateMethod(ctx, testMethod("u1")))
	_, err = s.GetMethod(ctx, "u1")
	must(t, err)
	_, err = s.UpdateMethod(ctx, "u1", func(*method.Method) error { return nil })
	must(t, err)

	type cached struct{ pool, query string }
	stmts := map[cached]func() error{}
	for name, p := range map[string]*pool{"write": s.w, "read": s.r} {
		for q, st := range p.stmts {
			stmts[cached{name, q}] = func() error { _, err := st.ExecContext(ctx); return err }
		}
		if len(p.stmts) == 0 {
			t.Fatalf("%s pool cached no statement", name)
		}
	}
	must(t, s.Close())
	for c, run := range stmts {
		if err := run(); err == nil || err.Error() != "sql: statement is closed" {
			t.Errorf("%s pool, %q after Close: %v, want sql: statement is closed", c.pool, c.query, err)
		}
	}
	for name, p := range map[string]*pool{"write": s.w, "read": s.r} {
		if n := p.counts().cached; n != 0 {
			t.Errorf("%s pool keeps %d statements after Close", name, n)
		}
	}
	if _, err := s.GetMethod(ctx, "u1"); err == nil {
		t.Error("GetMethod after Close succeeded")
	}
}

// TestStatementCacheBound runs more distinct statements than the cache
// holds: the cache stops at maxStmts, and the statements past it still run
// (unprepared) with the right results.
func TestStatementCacheBound(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := open(t, filepath.Join(t.TempDir(), "qrpin.db"))
	for i := range maxStmts + 10 {
		var n int
		must(t, s.r.QueryRowContext(ctx, fmt.Sprintf("SELECT %d + ?", i), 1).Scan(&n))
		if n != i+1 {
			t.Fatalf("statement %d returned %d, want %d", i, n, i+1)
		}
	}
	if c := s.r.counts(); c.cached != maxStmts || c.unprepared != 10 {
		t.Errorf("read pool %+v; want %d cached and 10 unprepared runs", c, maxStmts)
	}
}

// TestColdCacheConcurrency starts many reads and writes at once on a store
// whose caches are empty: a transaction that finds no prepared statement
// must not wait for a connection to prepare one while it holds its own
// (the write pool has one connection, the read pool a few).
func TestColdCacheConcurrency(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := open(t, filepath.Join(t.TempDir(), "qrpin.db"))
	must(t, s.CreateUser(ctx, store.User{ID: "u1", UPN: "a@b"}))
	must(t, s.CreateMethod(ctx, testMethod("u1")))
	if c := s.r.counts(); c.cached != 0 {
		t.Fatalf("read pool caches %d statements before the test", c.cached)
	}

	const n = 32
	start := make(chan struct{})
	errs := make(chan error, 2*n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			<-start
			_, err := s.GetMethod(ctx, "u1")
			errs <- err
		})
		wg.Go(func() {
			<-start
			_, err := s.UpdateMethod(ctx, "u1", func(m *method.Method) error { m.Lockout.Failures++; return nil })
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	m, err := s.GetMethod(ctx, "u1")
	must(t, err)
	if m.Lockout.Failures != n {
		t.Errorf("failures %d, want %d", m.Lockout.Failures, n)
	}
}
