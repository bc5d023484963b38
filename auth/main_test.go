package auth

import (
	"fmt"
	"os"
	"testing"
	"time"
)

// Generating RSA keys is slow, so the tests share two key sets made once.
var (
	testKeys  *KeySet // the server's keys
	otherKeys *KeySet // someone else's keys
)

// testNow is every test's clock.
var testNow = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

const (
	testTenant = "8a3b2c1d-0000-4000-8000-00000000c0de"
	testIssuer = "https://qrpin.example/" + testTenant + "/v2.0"
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "qrpin-auth-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if testKeys, err = LoadOrCreateKeys(dir + "/ours"); err == nil {
		otherKeys, err = LoadOrCreateKeys(dir + "/theirs")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// newTokens returns the Tokens every token test uses, on testNow.
func newTokens() *Tokens {
	return &Tokens{
		Keys:   testKeys,
		Issuer: testIssuer,
		Now:    func() time.Time { return testNow },
	}
}
