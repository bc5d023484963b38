package pin

import (
	"os"
	"runtime"
	"sync"
)

// reserve is the heap reservation ReserveHeap made, kept reachable for the
// life of the process.
var reserve struct {
	once sync.Once
	heap []byte
}

// ReserveHeap sizes the Go runtime's garbage collector for the Argon2id
// computations of a Hasher with p: GOMAXPROCS of them at once (see Hasher),
// each allocating p.Memory anew and dropping it when done. It allocates that
// working set once and keeps it reachable without writing to it, so that
// the collector counts it as live heap. The heap goal (twice the live heap
// at the default GOGC) then has room for the computations in flight whether
// or not they happen to run when a collection ends: without it, a collection
// between two sign-ins sets a goal of about one computation's memory, the
// next ones start a collection each, and the runtime returns the memory they
// free to the operating system, which the following ones fault in again page
// by page (milliseconds of CPU a verification on a VM). With it there are
// about half as many collections and less memory returned (BENCHMARKS.md).
// The reservation costs address space, not resident memory: at start the
// runtime takes it from fresh, zero pages that nothing writes.
//
// ReserveHeap changes the whole process's memory management, so only a
// program's main calls it (qrpin serve does, at start), never a library on
// import. It does nothing when the operator tunes the collector (the GOGC
// or GOMEMLIMIT environment variable is set) or after its first call. It
// returns the bytes it reserved.
func ReserveHeap(p Params) int {
	return reserveHeap(p, os.Getenv)
}

// reserveHeap is ReserveHeap with the environment read through getenv.
func reserveHeap(p Params, getenv func(string) string) int {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return 0
	}
	n := 0
	reserve.once.Do(func() {
		reserve.heap = make([]byte, WorkingSet(p))
		n = len(reserve.heap)
	})
	return n
}

// WorkingSet is the memory a Hasher with p uses at most while it computes:
// GOMAXPROCS computations of p.Memory KiB.
func WorkingSet(p Params) int {
	return runtime.GOMAXPROCS(0) * int(p.Memory) << 10
}
