package badge_test

import (
	"fmt"
	"io"
	"runtime"
	"testing"

	"github.com/qrpin/qrpin/badge"
)

// peakWriter discards what is written, noting the live heap (after a
// collection) when the first bytes arrive: Sheet builds the whole document before writing it,
// so that is about its peak.
type peakWriter struct{ heap uint64 }

func (p *peakWriter) Write(b []byte) (int, error) {
	if p.heap == 0 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		p.heap = m.HeapAlloc
	}
	return len(b), nil
}

// BenchmarkSheet makes a CR80 badge sheet on A4 of n badges (payloads
// with 25- and 66-character UPNs, so versions 5 to 8). Reported: time per
// sheet and per badge, the PDF's size and the heap in use when the PDF is
// written (its peak).
//
//	go test -run '^$' -bench BenchmarkSheet -benchtime 1x ./badge/
func BenchmarkSheet(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			bs, _ := workers(b, n)
			var size int64
			var heap uint64
			for b.Loop() {
				runtime.GC()
				p := &peakWriter{}
				cw := &countWriter{w: p}
				if _, err := badge.Sheet(cw, badge.LayoutCR80, badge.PaperA4, bs); err != nil {
					b.Fatal(err)
				}
				size, heap = cw.n, max(heap, p.heap)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n)/1000, "ms/badge")
			b.ReportMetric(float64(size)/(1<<20), "MB-pdf")
			b.ReportMetric(float64(heap)/(1<<20), "MB-heap")
		})
	}
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}
