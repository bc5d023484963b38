//go:build unix

// Package argonbench is the measurement the sign-in benchmarks share
// (signin's BenchmarkSignInVsArgon2, oidc's BenchmarkAuthCodeSignInVsArgon2):
// complete sign-ins against bare Argon2id verifications at the same
// parameters, in one run. It reads the process's CPU time with getrusage
// (unix only).
package argonbench

import (
	"context"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Parallel runs f rounds times on each of workers goroutines and returns
// how long that took; an error of f fails b.
func Parallel(b *testing.B, workers, rounds int, f func(w int) error) time.Duration {
	var wg sync.WaitGroup
	errs := make([]error, workers)
	start := time.Now()
	for w := range workers {
		wg.Go(func() {
			for range rounds {
				if err := f(w); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	d := time.Since(start)
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	return d
}

// CPUTime is the user and system CPU time this process has used.
func CPUTime(b *testing.B) time.Duration {
	return usage(b).cpu
}

// rusage is what usage reads.
type rusage struct {
	cpu    time.Duration // user and system CPU time
	sys    time.Duration // system CPU time
	faults int64         // minor page faults
	gcs    uint64        // garbage collections completed
}

// usage reads this process's resource usage.
func usage(b *testing.B) rusage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	sys := time.Duration(ru.Stime.Nano())
	gcs := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(gcs)
	return rusage{cpu: time.Duration(ru.Utime.Nano()) + sys, sys: sys, faults: ru.Minflt, gcs: gcs[0].Value.Uint64()}
}

// Compare measures, b.N times, verify (one Argon2id verification) on
// GOMAXPROCS goroutines against signIn (one complete sign-in of client w)
// on clients goroutines, alternating the two in passes of rounds calls
// per goroutine, so that the drift of a VM's speed during a run weighs on
// both alike. It reports each rate (argon2id/s, signins/s) and their
// ratio; cpu-ratio, the process CPU time of one verification over that of
// one sign-in, which leaves idle time out, and both CPU times
// (argon2id-cpu-ms, signin-cpu-ms), the system CPU time in them
// (argon2id-sys-ms, signin-sys-ms) and the page faults (argon2id-faults,
// signin-faults: memory the process touched afresh, most of that system
// time) and the garbage collections (argon2id-gcs, signin-gcs), each per
// verification or sign-in; busy and raw-busy, the share of the CPUs each side's passes used. The verifications run under the pprof
// label pass=raw, so that a CPU profile can show the sign-ins alone
// (go tool pprof -tagignore pass=raw).
func Compare(b *testing.B, clients, passes, rounds int, verify, signIn func(w int) error) {
	cpus := runtime.GOMAXPROCS(0)
	raw := func(w int) (err error) {
		pprof.Do(context.Background(), pprof.Labels("pass", "raw"), func(context.Context) { err = verify(w) })
		return err
	}
	// timed runs a pass and adds its wall time and the CPU time this
	// process spent in it (the HTTP clients' share included).
	timed := func(wall *time.Duration, use *rusage, pass func() time.Duration) {
		before := usage(b)
		*wall += pass()
		after := usage(b)
		use.cpu += after.cpu - before.cpu
		use.sys += after.sys - before.sys
		use.faults += after.faults - before.faults
		use.gcs += after.gcs - before.gcs
	}
	Parallel(b, clients, rounds, signIn) // warm up connections and caches
	b.ResetTimer()
	for range b.N {
		var rawTime, e2eTime time.Duration
		var rawUse, e2eUse rusage
		for range passes {
			timed(&rawTime, &rawUse, func() time.Duration { return Parallel(b, cpus, rounds, raw) })
			timed(&e2eTime, &e2eUse, func() time.Duration { return Parallel(b, clients, rounds, signIn) })
		}
		rawCPU, e2eCPU := rawUse.cpu, e2eUse.cpu
		verifications, signIns := float64(passes*cpus*rounds), float64(passes*clients*rounds)
		rawRate, e2eRate := verifications/rawTime.Seconds(), signIns/e2eTime.Seconds()
		b.ReportMetric(rawRate, "argon2id/s")
		b.ReportMetric(e2eRate, "signins/s")
		b.ReportMetric(e2eRate/rawRate, "ratio")
		rawCPUEach, e2eCPUEach := rawCPU.Seconds()/verifications, e2eCPU.Seconds()/signIns
		b.ReportMetric(rawCPUEach/e2eCPUEach, "cpu-ratio")
		b.ReportMetric(rawCPUEach*1000, "argon2id-cpu-ms")
		b.ReportMetric(e2eCPUEach*1000, "signin-cpu-ms")
		b.ReportMetric(rawUse.sys.Seconds()*1000/verifications, "argon2id-sys-ms")
		b.ReportMetric(e2eUse.sys.Seconds()*1000/signIns, "signin-sys-ms")
		b.ReportMetric(float64(rawUse.faults)/verifications, "argon2id-faults")
		b.ReportMetric(float64(e2eUse.faults)/signIns, "signin-faults")
		b.ReportMetric(float64(rawUse.gcs)/verifications, "argon2id-gcs")
		b.ReportMetric(float64(e2eUse.gcs)/signIns, "signin-gcs")
		b.ReportMetric(e2eCPU.Seconds()/e2eTime.Seconds()/float64(cpus), "busy")
		b.ReportMetric(rawCPU.Seconds()/rawTime.Seconds()/float64(cpus), "raw-busy")
	}
}
