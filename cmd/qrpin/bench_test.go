package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/loadbench"
)

// benchBareArgsEnv carries the bare handler's arguments to the test binary
// that runs it (TestBenchBareChild), as JSON.
const benchBareArgsEnv = "QRPIN_TEST_BENCH_BARE_ARGS"

func init() {
	// The bench's child process is this test binary, running the hidden
	// subcommand through TestBenchBareChild.
	benchBareCommand = func(args []string) *exec.Cmd {
		b, _ := json.Marshal(args)
		cmd := exec.Command(os.Args[0], "-test.run=^TestBenchBareChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), benchBareArgsEnv+"="+string(b))
		cmd.Stderr = os.Stderr
		return cmd
	}
}

// TestBenchBareChild is the bare handler's process in the bench tests: the
// hidden subcommand with the arguments the bench gave.
func TestBenchBareChild(t *testing.T) {
	raw := os.Getenv(benchBareArgsEnv)
	if raw == "" {
		t.Skip("the bench tests' child process")
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		t.Fatal(err)
	}
	if len(args) == 0 || args[0] != loadbench.BareCommand {
		t.Fatalf("args %q", args)
	}
	root := rootCmd()
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	os.Exit(0) // nothing of the test binary's own output after the handler's
}

// benchTestFlags are bench's flags for a test: tiny rounds, the server's
// cheap Argon2id parameters.
func benchTestFlags(data string, workloads ...string) benchFlags {
	f := benchFlags{data: data, workloads: workloads, clients: []int{1, 2}, params: cheapHash}
	f.cfg.Rounds, f.cfg.Duration = 2, 50*time.Millisecond
	f.cfg.ProvisionUsers, f.cfg.ProvisionClients = 3, 2
	f.cfg.Domain = "bench.example"
	return f
}

// users lists the server's users' UPNs and its applications' names (but
// the staff page's, which serve registers).
func (s *provisionServer) directory(t *testing.T) (users, apps []string) {
	t.Helper()
	for _, l := range []struct {
		path, field string
		out         *[]string
	}{{"/users", "userPrincipalName", &users}, {"/applications", "displayName", &apps}} {
		st, m := s.graph(t, "GET", l.path, "")
		if st != 200 {
			t.Fatalf("GET %s: %d %v", l.path, st, m)
		}
		for _, v := range m["value"].([]any) {
			if v.(map[string]any)["appId"] == admin.StaffAppID { // serve's own, not the bench's
				continue
			}
			*l.out = append(*l.out, v.(map[string]any)[l.field].(string))
		}
	}
	return users, apps
}

// The bench against a real server: every workload, both concurrencies,
// every round, each field of the table; nothing it made is left behind.
func TestBench(t *testing.T) {
	t.Parallel()
	s := newProvisionServer(t)
	var out, progress bytes.Buffer
	if err := runBench(context.Background(), benchTestFlags(s.c.data, loadbench.Workloads...), &out, &progress); err != nil {
		t.Fatalf("bench: %v\n%s", err, progress.String())
	}
	table := out.String()
	for _, want := range []string{
		"qrpin bench against http://" + s.c.addr, "server process ", "GOMAXPROCS", "Argon2id m=64 KiB t=1 p=1", "load average",
		"workload", "target", "clients", "workers", "round", "count", "seconds", "per second", "p50 ms", "p99 ms", "CPU/op µs",
		"medians", "yardstick", "ratio", "round ratios", "CPU ratio", "round CPU ratios",
		"qrpin/bare requests/s", "sign-ins/s / argon2id/s", "wall time / hash-bound time",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("the output has no %q:\n%s", want, table)
		}
	}
	if strings.Contains(table, "server process unknown") {
		t.Errorf("the server's process (this one, listening on %s) was not found:\n%s", s.c.addr, table)
	}
	rows := map[string]int{}
	for _, line := range strings.Split(table, "\n") {
		f := strings.Fields(line)
		if len(f) >= 10 && (f[1] == "qrpin" || f[1] == "bare" || f[1] == "argon2id" || f[1] == "hashes") {
			rows[f[0]+" "+f[1]+" "+f[2]]++
		}
	}
	for _, k := range []string{"read qrpin 1", "read bare 1", "read qrpin 2", "read bare 2", "signin qrpin 1", "signin argon2id 1",
		"signin qrpin 2", "signin argon2id 2", "provision qrpin 2", "provision hashes 2"} {
		if rows[k] != 2 {
			t.Errorf("%d rounds of %q, want 2:\n%s", rows[k], k, table)
		}
	}
	users, apps := s.directory(t)
	if len(users) != 0 || len(apps) != 1 {
		t.Errorf("left behind: users %v, applications %v (want only the bootstrap one)", users, apps)
	}
}

// --json: the rounds and summaries with their figures.
func TestBenchJSON(t *testing.T) {
	t.Parallel()
	s := newProvisionServer(t)
	f := benchTestFlags(s.c.data, loadbench.Read)
	f.json = true
	var out, progress bytes.Buffer
	if err := runBench(context.Background(), f, &out, &progress); err != nil {
		t.Fatalf("bench: %v\n%s", err, progress.String())
	}
	var rep struct {
		URL     string `json:"url"`
		Results []struct {
			Workload, Target string
			Count            int
			PerSecond        float64  `json:"perSecond"`
			CPU              *float64 `json:"cpuPerOpUs"`
		} `json:"results"`
		Summaries []struct {
			Workload string
			Clients  int
			Ratio    *float64 `json:"ratio"`
			Ratios   []float64
		} `json:"summaries"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v:\n%s", err, out.String())
	}
	if rep.URL == "" || len(rep.Results) != 8 || len(rep.Summaries) != 2 {
		t.Fatalf("report:\n%s", out.String())
	}
	for _, r := range rep.Results {
		if r.Count == 0 || r.PerSecond <= 0 {
			t.Errorf("a round measured nothing: %+v", r)
		}
	}
	for _, s := range rep.Summaries {
		if s.Ratio == nil || *s.Ratio <= 0 || len(s.Ratios) != 2 {
			t.Errorf("summary %+v", s)
		}
	}
	users, apps := s.directory(t)
	if len(users) != 0 || len(apps) != 1 {
		t.Errorf("left behind: users %v, applications %v", users, apps)
	}
}

// A 429 stops the run with a message naming the flag.
func TestBenchThrottled(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := common{data: filepath.Join(dir, "data"), addr: freeAddr(t), hashParams: &cheapHash}
	runServeRate(t, c, 40) // the set-up passes; the read's rounds do not
	f := benchTestFlags(c.data, loadbench.Read)
	f.cfg.Duration = time.Minute // the limit comes first
	err := runBench(context.Background(), f, &bytes.Buffer{}, &bytes.Buffer{})
	var te *loadbench.ThrottledError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "--rate-limit 0") || !strings.Contains(err.Error(), "429") {
		t.Errorf("err = %v, want a 429 naming --rate-limit 0", err)
	}
	// The clean-up after an early stop: TestBenchInterrupted (here the
	// limit would refuse the test's own check).
}

// cancelOn cancels when a line it is written holds a text (Ctrl-C at that
// moment).
type cancelOn struct {
	text   string
	cancel context.CancelFunc
}

func (c cancelOn) Write(p []byte) (int, error) {
	if strings.Contains(string(p), c.text) {
		c.cancel()
	}
	return len(p), nil
}

// Ctrl-C during the measurement (the first round, the bare handler running)
// stops it, and the clean-up still runs.
func TestBenchInterrupted(t *testing.T) {
	t.Parallel()
	s := newProvisionServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := benchTestFlags(s.c.data, loadbench.Workloads...)
	f.cfg.Duration = time.Minute // only the interruption ends it
	err := runBench(ctx, f, &bytes.Buffer{}, cancelOn{"read: 1 clients, round 1 of 2, qrpin", cancel})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	users, apps := s.directory(t)
	if len(users) != 0 || len(apps) != 1 {
		t.Errorf("left behind: users %v, applications %v", users, apps)
	}
}

// What cannot work is a clear error, never a panic, and leaves nothing.
func TestBenchErrors(t *testing.T) {
	t.Parallel()
	s := newProvisionServer(t)
	disabled := common{data: filepath.Join(t.TempDir(), "data"), addr: freeAddr(t), hashParams: &cheapHash}
	runServe(t, disabled) // its policy is disabled
	for _, tc := range []struct {
		name string
		edit func(*benchFlags)
		want string
	}{
		{"no data directory", func(f *benchFlags) { f.data = filepath.Join(t.TempDir(), "none") }, "give --url"},
		{"not a URL", func(f *benchFlags) { f.url = "ftp://" + s.c.addr }, "is not the http(s) base URL"},
		{"a path", func(f *benchFlags) { f.url = "http://" + s.c.addr + "/v1.0" }, "is not the http(s) base URL"},
		{"elsewhere", func(f *benchFlags) { f.url = "https://192.0.2.1" }, "refusing to bench https://192.0.2.1, which is not on a loopback address"},
		{"elsewhere by name", func(f *benchFlags) { f.url = "https://qrpin.invalid" }, "give --allow-remote"},
		{"plain http elsewhere", func(f *benchFlags) { f.url, f.allowRemote = "http://example.com", true }, "refusing plain http"},
		{"nothing listening", func(f *benchFlags) { f.url = "http://" + freeAddr(t) }, "connection refused"},
		{"wrong secret", func(f *benchFlags) {
			f.tenant, f.clientID, f.clientSecret = s.creds.TenantID, s.creds.ClientID, "not-the-secret"
		}, "invalid_client"},
		{"client id alone", func(f *benchFlags) { f.clientID = s.creds.ClientID }, "--client-id needs --client-secret and --tenant"},
		{"policy disabled", func(f *benchFlags) { f.data = disabled.data }, "policy is disabled"},
		{"unknown workload", func(f *benchFlags) { f.workloads = []string{"write"} }, `unknown workload "write"`},
		{"no rounds", func(f *benchFlags) { f.cfg.Rounds = 0 }, "rounds must be at least 1"},
		{"bad Argon2id", func(f *benchFlags) { f.params.Time = 0 }, "Argon2id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := benchTestFlags(s.c.data, loadbench.Workloads...)
			tc.edit(&f)
			err := runBench(context.Background(), f, &bytes.Buffer{}, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one saying %q", err, tc.want)
			}
		})
	}
	users, apps := s.directory(t)
	if len(users) != 0 || len(apps) != 1 {
		t.Errorf("left behind: users %v, applications %v", users, apps)
	}
}

// TestLoopbackHost: what counts as this machine for qrpin bench.
func TestLoopbackHost(t *testing.T) {
	t.Parallel()
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST": true, "qrpin.localhost": true, "127.0.0.1": true, "127.8.9.10": true,
		"::1": true, "::ffff:127.0.0.1": true,
		"10.0.0.5": false, "192.0.2.1": false, "::": false, "0.0.0.0": false, "qrpin.invalid": false,
	} {
		if got := loopbackHost(context.Background(), host); got != want {
			t.Errorf("loopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
	if benchCmd().Flags().Lookup("allow-remote") == nil {
		t.Error("qrpin bench has no --allow-remote")
	}
}
