package store

import (
	"testing"
	"time"
)

func TestNewLogIDOrder(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	prev := NewLogID(t0)
	for i := range 1000 {
		at := t0.Add(time.Duration(i/10) * time.Microsecond) // ten ids per microsecond
		id := NewLogID(at)
		if id <= prev || len(id) != 36 || id[8] != '-' || id[23] != '-' {
			t.Fatalf("id %d: %q after %q", i, id, prev)
		}
		prev = id
	}
	if NewLogID(t0.Add(-time.Microsecond)) >= NewLogID(t0) {
		t.Fatal("an earlier time made a greater id")
	}
}
