package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/qrpin/qrpin/provision"
)

// newProgress reports a run on w: a live bar with rate and ETA when w is a
// terminal, plain lines every few seconds otherwise. Failed rows are
// named either way.
func newProgress(w io.Writer) provision.Progress {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return &barProgress{w: w}
	}
	return &lineProgress{w: w, every: 5 * time.Second, now: time.Now}
}

// barProgress is the terminal's bar.
type barProgress struct {
	w   io.Writer
	bar *progressbar.ProgressBar
}

func (b *barProgress) Start(total int) {
	b.bar = progressbar.NewOptions(total,
		progressbar.OptionSetWriter(b.w),
		progressbar.OptionSetDescription("provisioning"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("rows"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(b.w) }),
	)
}

func (b *barProgress) Done(r provision.Result) {
	if r.Err != nil {
		_ = b.bar.Clear()
		fmt.Fprintf(b.w, "row %d (%s): %v\n", r.Row, r.UPN, r.Err)
	}
	_ = b.bar.Add(1)
}

// lineProgress prints a line every so often: rows done, rate, ETA.
type lineProgress struct {
	w           io.Writer
	every       time.Duration
	now         func() time.Time
	total, n    int
	start, last time.Time
}

func (l *lineProgress) Start(total int) {
	l.total, l.start, l.last = total, l.now(), l.now()
	fmt.Fprintf(l.w, "provisioning %d rows\n", total)
}

func (l *lineProgress) Done(r provision.Result) {
	l.n++
	if r.Err != nil {
		fmt.Fprintf(l.w, "row %d (%s): %v\n", r.Row, r.UPN, r.Err)
	}
	now := l.now()
	if l.n < l.total && now.Sub(l.last) < l.every {
		return
	}
	l.last = now
	elapsed := now.Sub(l.start).Seconds()
	rate := float64(l.n) / max(elapsed, 1e-3)
	eta := time.Duration(float64(l.total-l.n) / rate * float64(time.Second)).Round(time.Second)
	fmt.Fprintf(l.w, "%d/%d rows (%d%%), %.1f rows/s, ETA %v\n", l.n, l.total, 100*l.n/max(l.total, 1), rate, eta)
}
