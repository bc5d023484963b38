package pin

import (
	"runtime"
	"runtime/metrics"
	"testing"
)

func TestWorkingSet(t *testing.T) {
	t.Parallel()
	p := Params{Memory: 19 * 1024}
	if got, want := WorkingSet(p), runtime.GOMAXPROCS(0)*19<<20; got != want {
		t.Errorf("WorkingSet = %d, want %d (GOMAXPROCS x 19 MiB)", got, want)
	}
}

// TestReserveHeapOperatorSettings: an operator's GOGC or GOMEMLIMIT wins,
// and nothing is reserved.
func TestReserveHeapOperatorSettings(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"GOGC", "GOMEMLIMIT"} {
		getenv := func(k string) string {
			if k == name {
				return "200"
			}
			return ""
		}
		if n := reserveHeap(Params{Memory: 1024}, getenv); n != 0 {
			t.Errorf("with %s set, reserved %d bytes, want 0", name, n)
		}
	}
}

// TestReserveHeap: the working set counts as live heap, so the heap goal
// has room for it, and a second call reserves nothing more.
func TestReserveHeap(t *testing.T) {
	// Not parallel: it reads the heap's figures.
	p := Params{Memory: 4 * 1024}
	none := func(string) string { return "" }
	n := reserveHeap(p, none)
	if n != WorkingSet(p) {
		t.Fatalf("reserved %d bytes, want %d", n, WorkingSet(p))
	}
	if again := reserveHeap(p, none); again != 0 {
		t.Errorf("second call reserved %d bytes, want 0", again)
	}
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/heap/goal:bytes"}}
	metrics.Read(s)
	live, goal := s[0].Value.Uint64(), s[1].Value.Uint64()
	if live < uint64(n) || goal < live {
		t.Errorf("after a collection, live heap %d and goal %d bytes, want both at least the %d reserved", live, goal, n)
	}
}
