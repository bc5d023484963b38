//go:build !unix

package provision

import "time"

// processCPU cannot tell the CPU time here.
func processCPU() (time.Duration, bool) { return 0, false }
