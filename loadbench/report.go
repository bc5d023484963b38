package loadbench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/qrpin/qrpin/pin"
)

// Report is what a run measured.
type Report struct {
	BaseURL    string        `json:"url"`
	ServerPID  int           `json:"serverPid"` // 0: unknown
	GOMAXPROCS int           `json:"gomaxprocs"`
	Params     pin.Params    `json:"argon2id"`
	Rounds     int           `json:"rounds"`
	Duration   time.Duration `json:"-"`
	LoadBefore string        `json:"loadAverageBefore"` // 1-, 5- and 15-minute load averages
	LoadAfter  string        `json:"loadAverageAfter"`
	Results    []Result      `json:"results"`
	Summaries  []Summary     `json:"summaries"`
}

// Result is one round of one target.
type Result struct {
	Workload string  `json:"workload"`
	Target   string  `json:"target"`
	Clients  int     `json:"clients"` // the concurrency of the round set (the qrpin rounds')
	Workers  int     `json:"workers"` // the goroutines this round ran on
	Round    int     `json:"round"`
	Count    int     `json:"count"`   // operations completed
	Seconds  float64 `json:"seconds"` // wall time
	PerSec   float64 `json:"perSecond"`
	P50ms    float64 `json:"p50Ms"`
	P99ms    float64 `json:"p99Ms"`
	// CPUus is the CPU time of the target's process per operation, in
	// microseconds; null when it is unknown.
	CPUus *float64 `json:"cpuPerOpUs"`
}

// Summary is a workload's medians at one concurrency. QRPIN and
// Yardstick are operations per second (read, signin) or seconds (provision:
// the wall time and the hash-bound time); Ratio is the median of the
// rounds' ratios (Ratios), each computed from one round pair's figures.
type Summary struct {
	Workload   string   `json:"workload"`
	Clients    int      `json:"clients"`
	QRPIN      float64  `json:"qrpin"`
	Yardstick  float64  `json:"yardstick"`
	Unit       string   `json:"unit"`
	QRPINP50ms float64  `json:"qrpinP50Ms"`
	QRPINP99ms float64  `json:"qrpinP99Ms"`
	QRPINCPUus *float64 `json:"qrpinCpuPerOpUs"`
	YardCPUus  *float64 `json:"yardstickCpuPerOpUs"`
	RatioName  string   `json:"ratioName"`
	Ratio      Num      `json:"ratio"`
	Ratios     []Num    `json:"ratios"`
	// CPURatio is the median of the rounds' CPU ratios (CPURatios), the
	// figure a loaded machine moves least: read and signin, the
	// yardstick's CPU time per operation over qrpin's (the share of
	// qrpin's CPU the yardstick's work is); provision, qrpin's CPU time per
	// user over one hash's. Null when a CPU time is unknown.
	CPURatio     Num   `json:"cpuRatio"`
	CPURatios    []Num `json:"cpuRatios"`
	ProvisionOps int   `json:"users,omitempty"` // provision: users per round
}

// Num is a figure that may be NaN (a ratio that cannot be computed): JSON
// null then.
type Num float64

// MarshalJSON writes n, or null for NaN or an infinity.
func (n Num) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(n)) || math.IsInf(float64(n), 0) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(n))
}

// add records a round's sample.
func (rep *Report) add(workload, target string, clients, workers, round int, s sample) {
	res := Result{Workload: workload, Target: target, Clients: clients, Workers: workers, Round: round, Count: s.count,
		Seconds: s.wall.Seconds(), PerSec: Rate(s.count, s.wall),
		P50ms: ms(Percentile(s.latencies, 0.50)), P99ms: ms(Percentile(s.latencies, 0.99))}
	if s.cpuKnown && s.count > 0 {
		us := float64(s.cpu.Microseconds()) / float64(s.count)
		res.CPUus = &us
	}
	rep.Results = append(rep.Results, res)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// yardstickOf is each workload's yardstick target.
var yardstickOf = map[string]string{Read: TargetBare, SignIn: TargetArgon, Provision: TargetHashes}

// RoundRatio is the ratio of one round pair: read, qrpin's requests/s over
// the bare handler's; signin, sign-ins/s over Argon2id verifications/s;
// provision, the wall time over the hash-bound time (the round's users at
// the yardstick's hash rate).
func RoundRatio(workload string, qrpin, yard Result) float64 {
	if workload == Provision {
		bound := HashBound(qrpin.Count, yard.PerSec).Seconds()
		return Ratio(qrpin.Seconds, bound)
	}
	return Ratio(qrpin.PerSec, yard.PerSec)
}

// RoundCPURatio is the CPU ratio of one round pair (see
// Summary.CPURatio), NaN when a CPU time is unknown.
func RoundCPURatio(workload string, qrpin, yard Result) float64 {
	if qrpin.CPUus == nil || yard.CPUus == nil {
		return math.NaN()
	}
	if workload == Provision {
		return Ratio(*qrpin.CPUus, *yard.CPUus)
	}
	return Ratio(*yard.CPUus, *qrpin.CPUus)
}

// summarize computes the Summaries from the Results.
func (rep *Report) summarize() {
	rep.Summaries = nil
	type key struct {
		workload string
		clients  int
	}
	var order []key
	pairs := map[key]map[int][2]*Result{} // round -> qrpin, yardstick
	for i := range rep.Results {
		res := &rep.Results[i]
		k := key{res.Workload, res.Clients}
		if pairs[k] == nil {
			pairs[k] = map[int][2]*Result{}
			order = append(order, k)
		}
		p := pairs[k][res.Round]
		if res.Target == TargetQRPIN {
			p[0] = res
		} else if res.Target == yardstickOf[res.Workload] {
			p[1] = res
		}
		pairs[k][res.Round] = p
	}
	for _, k := range order {
		s := Summary{Workload: k.workload, Clients: k.clients}
		var qr, yd, p50, p99, qcpu, ycpu []float64
		var ratios, cpuRatios []Num
		qcpuKnown, ycpuKnown := true, true
		for round := 1; round <= rep.Rounds; round++ {
			p := pairs[k][round]
			if p[0] == nil || p[1] == nil {
				continue
			}
			q, y := *p[0], *p[1]
			ratios = append(ratios, Num(RoundRatio(k.workload, q, y)))
			cpuRatios = append(cpuRatios, Num(RoundCPURatio(k.workload, q, y)))
			p50, p99 = append(p50, q.P50ms), append(p99, q.P99ms)
			if k.workload == Provision {
				s.ProvisionOps = q.Count
				qr = append(qr, q.Seconds)
				yd = append(yd, HashBound(q.Count, y.PerSec).Seconds())
			} else {
				qr, yd = append(qr, q.PerSec), append(yd, y.PerSec)
			}
			if q.CPUus == nil {
				qcpuKnown = false
			} else {
				qcpu = append(qcpu, *q.CPUus)
			}
			if y.CPUus == nil {
				ycpuKnown = false
			} else {
				ycpu = append(ycpu, *y.CPUus)
			}
		}
		if len(ratios) == 0 {
			continue
		}
		s.QRPIN, s.Yardstick, s.Ratio, s.Ratios = Median(qr), Median(yd), medianNum(ratios), ratios
		s.CPURatio, s.CPURatios = medianNum(cpuRatios), cpuRatios
		s.QRPINP50ms, s.QRPINP99ms = Median(p50), Median(p99)
		if qcpuKnown {
			m := Median(qcpu)
			s.QRPINCPUus = &m
		}
		if ycpuKnown {
			m := Median(ycpu)
			s.YardCPUus = &m
		}
		switch k.workload {
		case Read:
			s.Unit, s.RatioName = "requests/s", "qrpin/bare requests/s"
		case SignIn:
			s.Unit, s.RatioName = "sign-ins/s vs argon2id verifications/s", "sign-ins/s / argon2id/s"
		case Provision:
			s.Unit, s.RatioName = "s wall vs s hash-bound", "wall time / hash-bound time"
		}
		rep.Summaries = append(rep.Summaries, s)
	}
}

// medianNum is the median of xs, NaN when any is NaN (unknown).
func medianNum(xs []Num) Num {
	fs := make([]float64, len(xs))
	for i, x := range xs {
		if math.IsNaN(float64(x)) {
			return Num(math.NaN())
		}
		fs[i] = float64(x)
	}
	return Num(Median(fs))
}

// WriteJSON writes the report as indented JSON.
func (rep *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		*Report
		DurationSeconds float64 `json:"durationSeconds"`
	}{rep, rep.Duration.Seconds()})
}

// WriteTable writes the report as plain tables: the rounds, then the
// medians and ratios.
func (rep *Report) WriteTable(w io.Writer) error {
	pid := "unknown"
	if rep.ServerPID > 0 {
		pid = strconv.Itoa(rep.ServerPID)
	}
	p := rep.Params
	fmt.Fprintf(w, "qrpin bench against %s (server process %s); GOMAXPROCS %d; Argon2id m=%d KiB t=%d p=%d; %d rounds of %s\n",
		rep.BaseURL, pid, rep.GOMAXPROCS, p.Memory, p.Time, p.Threads, rep.Rounds, rep.Duration)
	fmt.Fprintf(w, "load average (1, 5, 15 min): %s before, %s after\n\n", orUnknown(rep.LoadBefore), orUnknown(rep.LoadAfter))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\ttarget\tclients\tworkers\tround\tcount\tseconds\tper second\tp50 ms\tp99 ms\tCPU/op µs\t")
	for _, r := range rep.Results {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%.2f\t%.1f\t%.2f\t%.2f\t%s\t\n", r.Workload, r.Target, r.Clients, r.Workers, r.Round, r.Count,
			r.Seconds, r.PerSec, r.P50ms, r.P99ms, cpuText(r.CPUus))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nmedians (read, signin: per second; provision: seconds for the users of a round)")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\tclients\tqrpin\tyardstick\tp50 ms\tp99 ms\tCPU/op µs\tyardstick CPU/op µs\tratio\tround ratios\tCPU ratio\tround CPU ratios\tratio is\t")
	for _, s := range rep.Summaries {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%.2f\t%.2f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", s.Workload, s.Clients, s.QRPIN, s.Yardstick,
			s.QRPINP50ms, s.QRPINP99ms, cpuText(s.QRPINCPUus), cpuText(s.YardCPUus), ratioText(float64(s.Ratio)), ratiosText(s.Ratios),
			ratioText(float64(s.CPURatio)), ratiosText(s.CPURatios), s.RatioName)
	}
	return tw.Flush()
}

func cpuText(us *float64) string {
	if us == nil {
		return "unknown"
	}
	return strconv.FormatFloat(*us, 'f', 0, 64)
}

func ratiosText(xs []Num) string {
	var rs []string
	for _, x := range xs {
		rs = append(rs, ratioText(float64(x)))
	}
	return strings.Join(rs, " ")
}

func ratioText(x float64) string {
	if math.IsNaN(x) {
		return "n/a"
	}
	return strconv.FormatFloat(x, 'f', 3, 64)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
