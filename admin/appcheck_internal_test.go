package admin

import (
	"fmt"
	"testing"
	"time"
)

// TestAppChecksBounded: the remembered checks stay within maxAppChecks,
// the expired ones going first.
func TestAppChecksBounded(t *testing.T) {
	t.Parallel()
	var c appChecks
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	fill := func(prefix string, at time.Time, n int) {
		for i := range n {
			_, _, gen := c.get(prefix+fmt.Sprint(i), at, time.Second)
			c.put(prefix+fmt.Sprint(i), "app", at, time.Second, gen)
			if len(c.m) > maxAppChecks {
				t.Fatalf("%d checks remembered", len(c.m))
			}
		}
	}
	fill("a", now, maxAppChecks)
	if len(c.m) != maxAppChecks {
		t.Fatalf("%d checks remembered, want %d", len(c.m), maxAppChecks)
	}
	// Full: the expired ones go first.
	fill("b", now.Add(time.Second), 1)
	if len(c.m) != 1 {
		t.Errorf("%d checks remembered after one past the TTL of all others, want 1", len(c.m))
	}
	// Full of fresh ones: they all go.
	fill("c", now.Add(time.Second), maxAppChecks+10)
	if _, ok, _ := c.get("c"+fmt.Sprint(maxAppChecks+9), now.Add(time.Second), time.Second); !ok {
		t.Error("the last check is not remembered")
	}
}

// TestAppChecksForgetWins: a check read from the store before an
// application was forgotten (deleted here) is not remembered after it.
func TestAppChecksForgetWins(t *testing.T) {
	t.Parallel()
	var c appChecks
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	_, ok, gen := c.get("sp", now, time.Second)
	if ok {
		t.Fatal("an empty cache remembers")
	}
	c.forget("sp") // the deletion runs between the store read and put
	c.put("sp", "app", now, time.Second, gen)
	if _, ok, _ := c.get("sp", now, time.Second); ok {
		t.Error("a check that predates the deletion is remembered")
	}
}
