//go:build race

package qr

// raceEnabled reports whether the tests run under the race detector.
const raceEnabled = true
