//go:build race

package main

// raceEnabled reports whether this test binary was built with -race; the
// qrpin binaries the tests build then are too.
const raceEnabled = true
