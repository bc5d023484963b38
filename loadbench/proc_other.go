//go:build !linux

package loadbench

import (
	"errors"
	"time"
)

// ProcessCPU is not available outside Linux: the figures say "unknown".
func ProcessCPU(int) (time.Duration, error) {
	return 0, errors.New("process CPU time is read from /proc (Linux only)")
}

// ListenerPID cannot tell outside Linux.
func ListenerPID(int) int { return 0 }
