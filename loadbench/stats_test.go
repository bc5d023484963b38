package loadbench

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	t.Parallel()
	ms := func(xs ...int) []time.Duration {
		var out []time.Duration
		for _, x := range xs {
			out = append(out, time.Duration(x)*time.Millisecond)
		}
		return out
	}
	for _, tc := range []struct {
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{nil, 0.5, 0},
		{ms(7), 0.99, 7 * time.Millisecond},
		{ms(5, 1, 4, 2, 3), 0.5, 3 * time.Millisecond},                   // nearest rank: ceil(2.5) = 3rd
		{ms(4, 1, 3, 2), 0.5, 2 * time.Millisecond},                      // ceil(2) = 2nd
		{ms(10, 9, 8, 7, 6, 5, 4, 3, 2, 1), 0.99, 10 * time.Millisecond}, // ceil(9.9) = 10th
		{ms(10, 9, 8, 7, 6, 5, 4, 3, 2, 1), 0.9, 9 * time.Millisecond},
	} {
		if got := Percentile(tc.in, tc.p); got != tc.want {
			t.Errorf("Percentile(%v, %v) = %v, want %v", tc.in, tc.p, got, tc.want)
		}
	}
}

func TestMedian(t *testing.T) {
	t.Parallel()
	if got := Median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("odd count: %v, want 2", got)
	}
	in := []float64{4, 1, 3, 2}
	if got := Median(in); got != 2.5 {
		t.Errorf("even count: %v, want 2.5", got)
	}
	if in[0] != 4 {
		t.Errorf("Median changed its input: %v", in)
	}
	if got := Median(nil); !math.IsNaN(got) {
		t.Errorf("empty: %v, want NaN", got)
	}
}

func TestArithmetic(t *testing.T) {
	t.Parallel()
	if got := Rate(500, 2*time.Second); got != 250 {
		t.Errorf("Rate = %v, want 250", got)
	}
	if got := Rate(5, 0); got != 0 {
		t.Errorf("Rate over no time = %v, want 0", got)
	}
	if got := Ratio(1, 4); got != 0.25 {
		t.Errorf("Ratio = %v, want 0.25", got)
	}
	if got := Ratio(1, 0); !math.IsNaN(got) {
		t.Errorf("Ratio by 0 = %v, want NaN", got)
	}
	if got := HashBound(1000, 80); got != 12500*time.Millisecond {
		t.Errorf("HashBound(1000, 80/s) = %v, want 12.5s", got)
	}
	if got := HashBound(1000, 0); got != 0 {
		t.Errorf("HashBound at no rate = %v, want 0", got)
	}
}

// The ratios come from the counts and times of each round pair, and the
// summary's ratio is their median.
func TestSummaries(t *testing.T) {
	t.Parallel()
	rep := &Report{Rounds: 3}
	add := func(workload, target string, clients, round, count int, wall time.Duration, cpu time.Duration) {
		rep.add(workload, target, clients, clients, round, sample{count: count, wall: wall, cpu: cpu, cpuKnown: cpu > 0,
			latencies: []time.Duration{time.Millisecond, 3 * time.Millisecond}})
	}
	// read: qrpin 1000, 1200, 900 req in 1 s against bare 4000 each: 0.25, 0.30, 0.225.
	for i, n := range []int{1000, 1200, 900} {
		add(Read, TargetQRPIN, 8, i+1, n, time.Second, time.Duration(n)*500*time.Microsecond)
		add(Read, TargetBare, 8, i+1, 4000, time.Second, 0) // CPU unknown
	}
	// signin: 45 sign-ins in 1 s against 50 verifications in 1 s: 0.9 each round.
	for r := 1; r <= 3; r++ {
		add(SignIn, TargetQRPIN, 2, r, 45, time.Second, 45*20*time.Millisecond)     // 20 ms each
		add(SignIn, TargetArgon, 2, r, 100, 2*time.Second, 100*18*time.Millisecond) // 18 ms each: 0.9
	}
	// provision: 100 users in 3 s; 50 hashes in 1 s, so the bound is 2 s: 1.5.
	add(Provision, TargetQRPIN, 4, 1, 100, 3*time.Second, 100*30*time.Millisecond) // 30 ms a user
	add(Provision, TargetHashes, 4, 1, 50, time.Second, 50*25*time.Millisecond)    // 25 ms a hash: 1.2
	rep.summarize()
	if len(rep.Summaries) != 3 {
		t.Fatalf("%d summaries, want 3: %+v", len(rep.Summaries), rep.Summaries)
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	read, sign, prov := rep.Summaries[0], rep.Summaries[1], rep.Summaries[2]
	if read.Workload != Read || read.Clients != 8 || !near(float64(read.Ratio), 0.25) || len(read.Ratios) != 3 ||
		!near(float64(read.Ratios[1]), 0.3) || read.QRPIN != 1000 || read.Yardstick != 4000 {
		t.Errorf("read: %+v", read)
	}
	if read.QRPINCPUus == nil || *read.QRPINCPUus != 500 || read.YardCPUus != nil {
		t.Errorf("read CPU per request: qrpin %v (want 500 µs), bare %v (want unknown)", read.QRPINCPUus, read.YardCPUus)
	}
	if read.QRPINP50ms != 1 || read.QRPINP99ms != 3 {
		t.Errorf("read latencies: p50 %v p99 %v, want 1 and 3 ms", read.QRPINP50ms, read.QRPINP99ms)
	}
	if !math.IsNaN(float64(read.CPURatio)) {
		t.Errorf("read CPU ratio %v with the bare handler's CPU unknown, want NaN", read.CPURatio)
	}
	if sign.Workload != SignIn || !near(float64(sign.Ratio), 0.9) || sign.Yardstick != 50 || !near(float64(sign.CPURatio), 0.9) {
		t.Errorf("signin: %+v", sign)
	}
	if prov.Workload != Provision || !near(float64(prov.Ratio), 1.5) || prov.QRPIN != 3 || prov.Yardstick != 2 || prov.ProvisionOps != 100 ||
		!near(float64(prov.CPURatio), 1.2) {
		t.Errorf("provision: %+v", prov)
	}

	var buf bytes.Buffer
	if err := rep.WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"per second", "p50 ms", "p99 ms", "CPU/op µs", "unknown", "0.250", "0.900", "1.500", "1.200", "n/a", "CPU ratio",
		"qrpin/bare requests/s", "sign-ins/s / argon2id/s", "wall time / hash-bound time"} {
		if !bytes.Contains(buf.Bytes(), []byte(want)) {
			t.Errorf("the table has no %q:\n%s", want, buf.String())
		}
	}
}

// A ratio that cannot be computed is null in JSON, not an error.
func TestJSONNaN(t *testing.T) {
	t.Parallel()
	rep := &Report{Rounds: 1}
	rep.add(Read, TargetQRPIN, 1, 1, 1, sample{count: 3, wall: time.Second})
	rep.add(Read, TargetBare, 1, 1, 1, sample{})
	rep.summarize()
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Summaries []struct {
			Ratio *float64 `json:"ratio"`
		} `json:"summaries"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Summaries) != 1 || got.Summaries[0].Ratio != nil {
		t.Errorf("summaries %s, want one with ratio null", buf.String())
	}
}
