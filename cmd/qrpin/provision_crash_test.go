package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qrpin/qrpin/badge"
	"github.com/qrpin/qrpin/badge/badgetest"
	"github.com/qrpin/qrpin/provision"
	"github.com/qrpin/qrpin/spool"
)

// The crash test's child process reads its flags and its kill point from
// these variables.
const (
	crashFlagsEnv = "QRPIN_TEST_PROVISION_FLAGS" // JSON of crashArgs
	crashAtEnv    = "QRPIN_TEST_PROVISION_KILL_AT"
	crashSeedEnv  = "QRPIN_TEST_CRASH_SEED" // the crash test's seed; default: a new one, logged
)

// crashArgs are the child's flags.
type crashArgs struct {
	CSV, Data, Identity, Badges, Letters string
}

// TestProvisionCrashChild is `qrpin provision` in a child process that
// kills itself (SIGKILL) at the KILL_AT-th step of its rows (created user,
// created method, spooled), or runs to the end when KILL_AT is 0.
func TestProvisionCrashChild(t *testing.T) {
	raw := os.Getenv(crashFlagsEnv)
	if raw == "" {
		t.Skip("run by TestProvisionCrash only")
	}
	var a crashArgs
	if err := json.Unmarshal([]byte(raw), &a); err != nil {
		t.Fatal(err)
	}
	at, _ := strconv.ParseInt(os.Getenv(crashAtEnv), 10, 64)
	var steps atomic.Int64
	provisionHook = func(string, int) {
		if steps.Add(1) == at {
			p, _ := os.FindProcess(os.Getpid())
			p.Kill()
			select {} // until the kernel ends the process
		}
	}
	f := provisionFlags{workers: 4, within: "30d"}
	f.graph.data, f.spool.identity = a.Data, a.Identity
	f.print = printFlags{badges: a.Badges, letters: a.Letters, layout: "a4", style: "page"}
	if err := runProvision(t.Context(), f, a.CSV, os.Stdout, os.Stderr); err != nil {
		t.Fatal(err)
	}
}

// Killing `qrpin provision` (SIGKILL) at random points of a 200-row run,
// and running it again until it finishes, loses nothing: every worker has
// exactly one working badge and PIN, the spool's newest, both printed;
// every badge the spool held before is revoked. The kill points are the
// steps of the rows (after a user is created, between the method's create
// and the spool write, after the spool write) and random moments; the
// seed is logged (set QRPIN_TEST_CRASH_SEED to repeat a run).
func TestProvisionCrash(t *testing.T) {
	t.Parallel()
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv(crashSeedEnv); v != "" {
		var err error
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("%s: %v", crashSeedEnv, err)
		}
	}
	t.Logf("seed %d (%s=%d repeats this run)", seed, crashSeedEnv, seed)
	rnd := rand.New(rand.NewPCG(seed, seed))

	s := newProvisionServer(t)
	if st, m := s.graph(t, "POST", "/groups", `{"displayName":"Night shift","mailNickname":"night"}`); st != 201 {
		t.Fatalf("group: %d %v", st, m)
	}
	const rows = 200
	var sb strings.Builder
	sb.WriteString("displayName,userPrincipalName,employeeId,group,site\n")
	for i := range rows {
		group := ""
		if i%2 == 0 {
			group = "Night shift"
		}
		fmt.Fprintf(&sb, "Worker %d,w%d@contoso.com,E%05d,%s,Dock %d\n", i, i, i, group, i%7)
	}
	a := crashArgs{CSV: s.file(t, "staff.csv", sb.String()), Data: s.c.data, Identity: s.identity,
		Badges: filepath.Join(s.dir, "badges.pdf"), Letters: filepath.Join(s.dir, "pins.pdf")}
	args, _ := json.Marshal(a)

	const maxKills = 6
	began := time.Now()
	spoolPath := filepath.Join(s.dir, "staff.spool")
	kills, done := 0, false
	for run := 0; !done; run++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestProvisionCrashChild$", "-test.count=1")
		at := 0
		if kills < maxKills { // a step of the rows left: three each
			left := rows
			if _, err := os.Stat(spoolPath); err == nil {
				b, _ := provision.Printable(s.spoolEntries(t, spoolPath), nil)
				left -= len(b)
			}
			at = 1 + rnd.IntN(3*left+1)
		}
		cmd.Env = append(os.Environ(), crashFlagsEnv+"="+string(args), crashAtEnv+"="+strconv.Itoa(at))
		dieWithTest(cmd)
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if kills < maxKills && rnd.IntN(3) == 0 { // a random moment, whatever the process is doing
			at := time.Duration(rnd.IntN(1500)) * time.Millisecond
			timer := time.AfterFunc(at, func() { _ = cmd.Process.Kill() })
			defer timer.Stop()
		}
		err := cmd.Wait()
		var exit *exec.ExitError
		switch {
		case err == nil:
			done = true
			t.Logf("run %d finished", run)
		case errors.As(err, &exit) && exit.ExitCode() == -1:
			kills++
			t.Logf("run %d killed (step %d)", run, at)
		default:
			t.Fatalf("run %d: %v\n%s", run, err, lastLines(out.String(), 30))
		}
		if run > maxKills+2 {
			t.Fatalf("not done after %d runs:\n%s", run, lastLines(out.String(), 30))
		}
	}
	t.Logf("%d runs in %v", kills+1, time.Since(began).Round(time.Millisecond))
	checkProvisioned(t, s, rows, spoolPath, a)
}

// lastLines is the end of a process's output.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// checkProvisioned checks that each of the rows' workers has exactly one
// working badge and PIN, the spool's newest, printed in the PDFs, and that
// every older badge of the spool is revoked.
func checkProvisioned(t *testing.T, s *provisionServer, rows int, spoolPath string, a crashArgs) {
	t.Helper()
	st, m := s.graph(t, "GET", "/users?$top=999", "")
	users, _ := m["value"].([]any)
	if st != 200 || len(users) != rows {
		t.Fatalf("the directory has %d users, want %d (%d)", len(users), rows, st)
	}
	entries := s.spoolEntries(t, spoolPath)
	badges, letters := provision.Printable(entries, nil)
	if len(badges) != rows || len(letters) != rows {
		t.Fatalf("the spool prints %d badges and %d letters, want %d", len(badges), len(letters), rows)
	}
	latest := map[string]spool.Entry{}
	actions := map[string]int{}
	for _, e := range badges {
		latest[e.UserID] = e
		actions[e.Action]++
	}
	t.Logf("%d spool entries; newest by action: %v", len(entries), actions)
	for _, u := range users {
		id := u.(map[string]any)["id"].(string)
		e, ok := latest[id]
		if !ok {
			t.Errorf("user %v has no badge in the spool", u)
			continue
		}
		st, m := s.graph(t, "GET", "/users/"+id+"/authentication/qrCodePinMethod", "")
		code, _ := m["standardQRCode"].(map[string]any)
		if st != 200 || code == nil || code["id"] != e.CodeID || m["temporaryQRCode"] != nil {
			t.Errorf("%s: method %d %v, want the spooled code %s alone", e.UPN, st, m, e.CodeID)
		}
		if ok, why := s.signIn(t, e.Payload, e.PIN); !ok {
			t.Errorf("%s: the spooled badge and PIN do not sign in: %s", e.UPN, why)
		}
	}
	for _, e := range entries {
		if latest[e.UserID].CodeID == e.CodeID {
			continue
		}
		if ok, _ := s.signIn(t, e.Payload, e.PIN); ok {
			t.Errorf("%s: an older badge of the spool (%s) still signs in", e.UPN, e.Action)
		}
	}
	began := time.Now()
	checkPDFs(t, s, badges, letters, a)
	t.Logf("PDFs checked in %v", time.Since(began).Round(time.Millisecond))
}

// checkPDFs checks the printed badges and letters against the spool's,
// as badge's own tests do: every badge of the sheets (A4 layout) scans
// back, in order, to the payload of the spool's badge; no PIN is on the
// sheets; every letter names its worker's PIN and control number, and no
// payload is in the letters.
func checkPDFs(t *testing.T, s *provisionServer, badges, letters []spool.Entry, a crashArgs) {
	t.Helper()
	sheets, err := os.ReadFile(a.Badges)
	if err != nil {
		t.Fatal(err)
	}
	pins, err := os.ReadFile(a.Letters)
	if err != nil {
		t.Fatal(err)
	}
	scanned, scannedPDF := badges, sheets
	if raceEnabled {
		// Scanning is slow under -race: every tenth badge, printed again
		// from the spool (--print-only) for a file of those rows. The text
		// check below covers every badge of the full sheets.
		scanned, scannedPDF = printSample(t, s, badges, a)
	}
	codes := badgetest.Scan(t, scannedPDF, badge.LayoutA4, "")
	if len(codes) != len(scanned) {
		t.Fatalf("the sheets hold %d badges, the spool %d", len(codes), len(scanned))
	}
	for i, c := range codes {
		if c.Text != scanned[i].Payload {
			t.Errorf("badge %d of the sheets is not %s's", i, scanned[i].UPN)
		}
	}
	// The text, as pdftotext reads it (badge's own tests check the raw
	// bytes too: too slow for 200 workers here).
	sheetText, letterText := badgetest.Text(t, sheets), badgetest.Text(t, pins)
	for _, e := range letters {
		if strings.Contains(sheetText, e.PIN) {
			t.Errorf("%s's PIN is on the badge sheets", e.UPN)
		}
		if !strings.Contains(letterText, e.PIN) || !strings.Contains(letterText, e.Control) {
			t.Errorf("%s's letter lacks the PIN or the control number %s", e.UPN, e.Control)
		}
	}
	for _, e := range badges {
		if !strings.Contains(sheetText, e.Control) {
			t.Errorf("%s's badge lacks the control number %s", e.UPN, e.Control)
		}
		if strings.Contains(letterText, e.Payload) {
			t.Errorf("%s's badge payload is in the PIN letters", e.UPN)
		}
	}
}

// printSample prints every tenth of the badges again from the spool, for a
// file of their rows, and returns them and the sheets.
func printSample(t *testing.T, s *provisionServer, badges []spool.Entry, a crashArgs) ([]spool.Entry, []byte) {
	t.Helper()
	var sample []spool.Entry
	var sb strings.Builder
	sb.WriteString("displayName,userPrincipalName\n")
	for i := 0; i < len(badges); i += 10 {
		sample = append(sample, badges[i])
		fmt.Fprintf(&sb, "%s,%s\n", badges[i].DisplayName, badges[i].UPN)
	}
	f := s.flags()
	f.printOnly = true
	f.spool.path = strings.TrimSuffix(a.CSV, ".csv") + ".spool"
	f.print.badges = filepath.Join(s.dir, "sample.pdf")
	var out strings.Builder
	if err := runProvision(t.Context(), f, s.file(t, "sample.csv", sb.String()), &out, &out); err != nil {
		t.Fatalf("print the sample: %v\n%s", err, out.String())
	}
	pdf, err := os.ReadFile(f.print.badges)
	if err != nil {
		t.Fatal(err)
	}
	return sample, pdf
}
