package pgtest

import "testing"

// TestSkipOrFail: without PostgreSQL a test skips with the reason given,
// except in CI, where it fails saying that CI must run it.
func TestSkipOrFail(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		ci       bool
		why      string
		wantFail bool
		wantMsg  string
	}{
		{false, SkipMessage, false, SkipMessage},
		{true, SkipMessage, true, "pgtest: " + SkipMessage + "; and CI=true: the PostgreSQL tests must run, not skip, in CI (.ci/run provides PostgreSQL)"},
		{false, "initdb is not on PATH", false, "initdb is not on PATH"},
		{true, "initdb is not on PATH", true, "pgtest: initdb is not on PATH; and CI=true: the PostgreSQL tests must run, not skip, in CI (.ci/run provides PostgreSQL)"},
	} {
		fail, msg := skipOrFail(tc.ci, tc.why)
		if fail != tc.wantFail || msg != tc.wantMsg {
			t.Errorf("skipOrFail(%v, %q) = %v, %q; want %v, %q", tc.ci, tc.why, fail, msg, tc.wantFail, tc.wantMsg)
		}
	}
}
