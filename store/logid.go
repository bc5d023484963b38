package store

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"time"
)

// logSeq orders the log ids one process makes within one microsecond;
// logNode tells processes apart. Both start at random values.
var logSeq, logNode = func() (*atomic.Uint64, uint16) {
	var b [10]byte
	rand.Read(b[:])
	var seq atomic.Uint64
	seq.Store(binary.BigEndian.Uint64(b[:8]) >> 1)
	return &seq, binary.BigEndian.Uint16(b[8:]) & 0xfff
}()

// NewLogID returns a new id for a log entry made at t, shaped like a GUID
// and ordered by time: ids made later (by t, then within one process by
// call order) compare greater as strings.
func NewLogID(t time.Time) string {
	us := uint64(t.UnixMicro()) & (1<<52 - 1)
	h := fmt.Sprintf("%013x%03x%016x", us, logNode, logSeq.Add(1))
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
