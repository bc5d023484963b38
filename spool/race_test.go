//go:build race

package spool

// raceEnabled reports whether the tests run under the race detector.
const raceEnabled = true
