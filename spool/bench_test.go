package spool

import (
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// BenchmarkAppend measures durable appends (one fsync per batch) to a spool
// in the test's temporary directory, from one goroutine and from many: the
// bulk provisioning run appends from its worker goroutines, and group
// commit shares each fsync among the Appends waiting for it. fsyncs/op
// says how well it does.
func BenchmarkAppend(b *testing.B) {
	id := newIdentity(b)
	for _, goroutines := range []int{1, 4, 16, 64} {
		b.Run(fmt.Sprint("goroutines=", goroutines), func(b *testing.B) {
			s := mustCreate(b, filepath.Join(b.TempDir(), "bench.spool"), Identities(id))
			ff := inject(s)
			var n atomic.Int64
			b.SetParallelism(goroutines) // times GOMAXPROCS
			if goroutines == 1 {
				b.SetParallelism(1)
			}
			b.ResetTimer()
			if goroutines == 1 {
				for i := range b.N {
					if err := s.Append(entry(i)); err != nil {
						b.Fatal(err)
					}
				}
			} else {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := s.Append(entry(int(n.Add(1)))); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			b.StopTimer()
			ff.mu.Lock()
			b.ReportMetric(float64(ff.syncs)/float64(b.N), "fsyncs/op")
			ff.mu.Unlock()
			mustClose(b, s)
		})
	}
}

// noSyncFile skips fsync, to build large spools for BenchmarkOpen quickly.
type noSyncFile struct{ file }

func (noSyncFile) Sync() error { return nil }

// BenchmarkOpen measures opening a spool of 10,000 entries: the cost of
// resuming a large provisioning run (one age decryption per entry).
func BenchmarkOpen(b *testing.B) {
	id := newIdentity(b)
	const entries = 10000
	path := filepath.Join(b.TempDir(), "bench.spool")
	s := mustCreate(b, path, Identities(id))
	s.mu.Lock()
	s.f = noSyncFile{s.f}
	s.mu.Unlock()
	for i := range entries {
		if err := s.Append(entry(i)); err != nil {
			b.Fatal(err)
		}
	}
	mustClose(b, s)
	b.ResetTimer()
	for range b.N {
		s := mustOpen(b, path, Identities(id))
		if s.Len() != entries {
			b.Fatalf("%d entries", s.Len())
		}
		mustClose(b, s)
	}
}

// BenchmarkSeal measures the CPU cost of encrypting one entry (an age
// encryption to the spool's X25519 recipient), which Append pays once per
// entry, serialized, before the write.
func BenchmarkSeal(b *testing.B) {
	r := newIdentity(b).Recipient()
	e := entry(1)
	for i := range b.N {
		if _, err := sealRecord(r, i, e); err != nil {
			b.Fatal(err)
		}
	}
}
