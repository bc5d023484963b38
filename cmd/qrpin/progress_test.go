package main

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/qrpin/qrpin/provision"
)

// Without a terminal, progress is a line every few seconds and at the end,
// with the rate and the time left, and each failed row.
func TestLineProgress(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	p := newProgress(&out).(*lineProgress)
	p.now = func() time.Time { return now }
	p.Start(4)
	for i, step := range []time.Duration{time.Second, 5 * time.Second, time.Second, time.Second} {
		now = now.Add(step)
		r := provision.Result{Row: i + 2, UPN: "w@contoso.com", Action: provision.Created}
		if i == 2 {
			r.Action, r.Err = provision.Failed, errors.New("create the user: Graph answered 400")
		}
		p.Done(r)
	}
	want := "provisioning 4 rows\n" +
		"2/4 rows (50%), 0.3 rows/s, ETA 6s\n" +
		"row 4 (w@contoso.com): create the user: Graph answered 400\n" +
		"4/4 rows (100%), 0.5 rows/s, ETA 0s\n"
	if out.String() != want {
		t.Errorf("progress:\n%s\nwant:\n%s", out.String(), want)
	}
}
