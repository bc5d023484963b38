package loadbench

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// fixedWork makes each of its n calls once, whatever the clients.
func TestFixedWork(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	seen := map[int]int{}
	s, err := fixedWork(context.Background(), 0, 4, 10, func(_ context.Context, i int) error {
		mu.Lock()
		seen[i]++
		mu.Unlock()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.count != 10 || len(s.latencies) != 10 || len(seen) != 10 || s.cpuKnown {
		t.Errorf("count %d, latencies %d, calls %v, CPU known %v", s.count, len(s.latencies), seen, s.cpuKnown)
	}
	for i, n := range seen {
		if i < 0 || i >= 10 || n != 1 {
			t.Errorf("call %d made %d times", i, n)
		}
	}
}

// The first error stops every client and is the loop's.
func TestClosedLoopError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	_, err := closedLoop(context.Background(), 0, 3, time.Hour, func(_ context.Context, w int) error {
		if w == 1 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want boom", err)
	}
}

// A cancelled context (Ctrl-C) stops the loop with its error.
func TestClosedLoopCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	_, err := closedLoop(ctx, 0, 2, time.Hour, func(context.Context, int) error {
		once.Do(cancel)
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
