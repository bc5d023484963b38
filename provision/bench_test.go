package provision

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/qrpin/qrpin/badge"
	"github.com/qrpin/qrpin/pin"
	"github.com/qrpin/qrpin/spool"
)

// benchUsersEnv overrides BenchmarkProvision's 10,000 users (for a quick look).
const benchUsersEnv = "QRPIN_BENCH_USERS"

// BenchmarkProvision provisions 10,000 users with badges (a CSV file read,
// checked against the directory, every user created and given a QR code +
// PIN method, each spooled) against a real qrpin Graph API in this process
// hashing PINs at pin.DefaultParams, and compares the time with the
// hash-bound limit: the same number of bare Argon2id hashes at those
// parameters on every core. The limit is measured (500 hashes, scaled)
// before and after the run, and the ratio is to their mean. Metrics: users/s, limit-hashes/s
// and x-limit (the goal is at most 1.2). Run it alone.
//
// On a machine shared with other work the wall times drift, so it also
// reports figures that load barely moves: the process's CPU time (getrusage)
// per user during the run and per hash of the limit (cpu-ms/user,
// cpu-ms/hash) and their ratio (cpu-x), and the share of the run's
// processor time the Go scheduler found nothing to run (idle-share, from
// runtime/metrics: rows waiting on I/O or on each other, not on the CPU):
// x-limit is about cpu-x / (1 - idle-share) when nothing else runs.
//
//	go test -run '^$' -bench BenchmarkProvision -benchtime 1x ./provision
func BenchmarkProvision(b *testing.B) {
	n := 10_000
	if v := os.Getenv(benchUsersEnv); v != "" {
		n, _ = strconv.Atoi(v)
	}
	var sb strings.Builder
	sb.WriteString("displayName,userPrincipalName,employeeId,site\n")
	for i := range n {
		fmt.Fprintf(&sb, "Worker %d,w%d@contoso.com,E%06d,Dock %d\n", i, i, i, i%9)
	}
	rows, problems, err := ReadCSV(strings.NewReader(sb.String()))
	if err != nil || len(problems) > 0 {
		b.Fatal(problems, err)
	}
	hasher, err := pin.NewHasher(make([]byte, 32), pin.DefaultParams)
	if err != nil {
		b.Fatal(err)
	}
	hashes := min(n, 500)
	var limitCPU time.Duration      // the process CPU time of the limit's hashes
	limit := func() time.Duration { // the time of n hashes on every core, from a sample of hashes
		cpus := runtime.GOMAXPROCS(0)
		var wg sync.WaitGroup
		cpu0, _ := processCPU()
		defer func() { cpu1, _ := processCPU(); limitCPU += cpu1 - cpu0 }()
		start := time.Now()
		for w := range cpus {
			wg.Go(func() {
				// Labelled so that a CPU profile can leave the limit out (-tagignore phase=limit).
				defer pprof.SetGoroutineLabels(context.Background())
				pprof.SetGoroutineLabels(pprof.WithLabels(context.Background(), pprof.Labels("phase", "limit")))
				for i := w; i < hashes; i += cpus {
					if _, err := hasher.Hash("31415926"); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		return time.Since(start) * time.Duration(n) / time.Duration(hashes)
	}
	for b.Loop() {
		b.StopTimer()
		s := newServerParams(b, pin.DefaultParams)
		id, err := age.GenerateX25519Identity()
		if err != nil {
			b.Fatal(err)
		}
		sp, err := spool.Create(filepath.Join(b.TempDir(), "staff.spool"), s.tenant, spool.Identities(id))
		if err != nil {
			b.Fatal(err)
		}
		before := limit()
		b.StartTimer()
		idle0 := schedCPU()
		cpu0, cpuOK := processCPU()
		start := time.Now()
		plan, err := Check(context.Background(), s.client, rows, nil, time.Now())
		if err != nil || plan.Errors() > 0 {
			b.Fatal(err, plan.Problems)
		}
		sum, err := (&Engine{Graph: s.client, Spool: sp, NewControl: badge.NewControl}).Run(context.Background(), plan, false, io.Discard)
		took := time.Since(start)
		cpu1, _ := processCPU()
		idle1 := schedCPU()
		b.StopTimer()
		if err != nil || sum[Created] != n {
			b.Fatal(sum, err)
		}
		after := limit()
		sp.Close()
		bound := (before + after) / 2
		b.ReportMetric(float64(n)/took.Seconds(), "users/s")
		b.ReportMetric(float64(n)/bound.Seconds(), "limit-hashes/s")
		b.ReportMetric(took.Seconds()/bound.Seconds(), "x-limit")
		if total := idle1.total - idle0.total; total > 0 {
			b.ReportMetric((idle1.idle-idle0.idle)/total, "idle-share")
		}
		if cpuOK {
			perUser := float64(cpu1-cpu0) / float64(n)
			perHash := float64(limitCPU) / float64(2*hashes)
			limitCPU = 0
			b.ReportMetric(perUser/1e6, "cpu-ms/user")
			b.ReportMetric(perHash/1e6, "cpu-ms/hash")
			b.ReportMetric(perUser/perHash, "cpu-x")
		}
		b.StartTimer()
	}
}

// schedTimes are the Go scheduler's running totals of processor time:
// all of it (GOMAXPROCS x wall time) and the part with nothing to run.
type schedTimes struct{ total, idle float64 }

func schedCPU() schedTimes {
	m := []metrics.Sample{{Name: "/cpu/classes/total:cpu-seconds"}, {Name: "/cpu/classes/idle:cpu-seconds"}}
	metrics.Read(m)
	return schedTimes{total: m[0].Value.Float64(), idle: m[1].Value.Float64()}
}
