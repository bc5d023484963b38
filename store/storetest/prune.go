package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/qrpin/qrpin/store"
)

var pruneTests = []test{
	{"Throttle/Windows", testThrottleWindows},
	{"Throttle/Prune", testThrottlePrune},
	{"Concurrency/AddThrottleFailureCounts", testConcurrentThrottle},
	{"Audit/PruneLogs", testPruneLogs},
}

// throttleWant is what ThrottleFailures or AddThrottleFailure returns.
type throttleWant struct {
	n   int
	end time.Time
}

func testThrottleWindows(t *testing.T, s store.Store) {
	ctx := t.Context()
	const key, other = "203.0.113.9", "2001:db8:1:2::"
	end := t0.Add(time.Minute)
	for _, tc := range []struct {
		what string
		add  bool // AddThrottleFailure (a window of a minute) rather than ThrottleFailures
		key  string
		at   time.Time
		want throttleWant
	}{
		{"no failure yet", false, key, t0, throttleWant{}},
		{"the first failure opens a window", true, key, t0, throttleWant{1, end}},
		{"a second in it keeps its end", true, key, t0.Add(10 * time.Second), throttleWant{2, end}},
		{"read in the window", false, key, end.Add(-us), throttleWant{2, end}},
		{"another key has its own", true, other, t0.Add(20 * time.Second), throttleWant{1, end.Add(20 * time.Second)}},
		{"the window has ended at its end", false, key, end, throttleWant{}},
		{"a failure at its end opens a new one", true, key, end, throttleWant{1, end.Add(time.Minute)}},
		{"the other key is unchanged", false, other, end, throttleWant{1, end.Add(20 * time.Second)}},
	} {
		var got throttleWant
		var err error
		if tc.add {
			got.n, got.end, err = s.AddThrottleFailure(ctx, tc.key, tc.at, tc.at.Add(time.Minute))
		} else {
			got.n, got.end, err = s.ThrottleFailures(ctx, tc.key, tc.at)
		}
		must(t, err, tc.what)
		if got != tc.want {
			t.Fatalf("%s: got %d failures to %v, want %d to %v", tc.what, got.n, got.end, tc.want.n, tc.want.end)
		}
	}
}

func testThrottlePrune(t *testing.T, s store.Store) {
	ctx := t.Context()
	// Windows ending at t0+1s ... t0+7s.
	for i := range 7 {
		at := t0.Add(time.Duration(i) * time.Second)
		_, _, err := s.AddThrottleFailure(ctx, fmt.Sprintf("192.0.2.%d", i), at, at.Add(time.Second))
		must(t, err, "AddThrottleFailure")
	}
	n, err := s.PruneThrottle(ctx, t0.Add(5*time.Second), 2) // three statements
	must(t, err, "PruneThrottle")
	equal(t, n, 5, "windows pruned (ended at or before now)")
	n, err = s.PruneThrottle(ctx, t0.Add(5*time.Second), 2)
	must(t, err, "PruneThrottle again")
	equal(t, n, 0, "windows pruned again")
	for i, want := range []int{0, 0, 0, 0, 0, 1, 1} {
		got, _, err := s.ThrottleFailures(ctx, fmt.Sprintf("192.0.2.%d", i), t0.Add(5*time.Second))
		must(t, err, "ThrottleFailures")
		equal(t, got, want, fmt.Sprintf("failures of key %d", i))
	}
	n, err = s.PruneThrottle(ctx, t0.Add(time.Hour), 0)
	must(t, err, "PruneThrottle without a batch")
	equal(t, n, 2, "the last windows pruned")
}

func testConcurrentThrottle(t *testing.T, s store.Store) {
	ctx := t.Context()
	const n = 20
	counts := make([]int, n)
	errs := race(n, func(i int) error {
		var err error
		counts[i], _, err = s.AddThrottleFailure(ctx, "198.51.100.1", t0, t0.Add(time.Minute))
		return err
	})
	for i, err := range errs {
		must(t, err, fmt.Sprintf("AddThrottleFailure %d", i))
	}
	slices.Sort(counts)
	for i, c := range counts {
		if c != i+1 {
			t.Fatalf("concurrent failures were counted %v, want each of 1 to %d once", counts, n)
		}
	}
	got, _, err := s.ThrottleFailures(ctx, "198.51.100.1", t0)
	must(t, err, "ThrottleFailures")
	equal(t, got, n, "failures after the race")
}

func testPruneLogs(t *testing.T, s store.Store) {
	ctx := t.Context()
	var signIns []store.SignInLog
	var audits []store.DirectoryAudit
	for i := range 7 {
		e := store.SignInLog{ID: fmt.Sprintf("s%03d", i), Created: t0.Add(minute(i)), AppID: "app", Step: "qrCode", ErrorCode: 51250}
		must(t, s.AddSignInLog(ctx, e), "AddSignInLog")
		signIns = append([]store.SignInLog{e}, signIns...)
	}
	for i := range 4 {
		a := store.DirectoryAudit{ID: fmt.Sprintf("a%03d", i), Time: t0.Add(minute(2 * i)), Category: "UserManagement",
			Activity: "Add user", OperationType: "Add", InitiatorKind: "app", Targets: []store.AuditTarget{}, Result: "success"}
		must(t, s.AddDirectoryAudit(ctx, a), "AddDirectoryAudit")
		audits = append([]store.DirectoryAudit{a}, audits...)
	}
	// Older than minute 4: sign-ins 0-3 (two statements of 2 and one
	// empty), audits 0-1 (at minutes 0 and 2).
	n, err := s.PruneLogs(ctx, t0.Add(minute(4)), 2)
	must(t, err, "PruneLogs")
	equal(t, n, 6, "entries pruned")
	gotS, err := s.ListSignInLogs(ctx, store.AuditFilter{}, 0)
	must(t, err, "ListSignInLogs")
	equal(t, gotS, signIns[:3], "the sign-ins from minute 4 on")
	gotA, err := s.ListDirectoryAudits(ctx, store.AuditFilter{}, 0)
	must(t, err, "ListDirectoryAudits")
	equal(t, gotA, audits[:2], "the audits from minute 4 on")
	n, err = s.PruneLogs(ctx, t0.Add(minute(4)), 2)
	must(t, err, "PruneLogs again")
	equal(t, n, 0, "entries pruned again")
	n, err = s.PruneLogs(ctx, t0.Add(day), 0)
	must(t, err, "PruneLogs without a batch")
	equal(t, n, 5, "every entry pruned")
}
