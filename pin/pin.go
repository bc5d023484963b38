// Package pin holds the PIN rules of the QR code + PIN method (spec D11),
// generates PINs that follow them, and hashes PINs with Argon2id keyed by a
// server-side pepper (spec D9).
//
// Nothing in this package ever puts a PIN in an error message.
package pin

import (
	"crypto/rand"
	"strings"

	"github.com/qrpin/qrpin/apperr"
)

// Length limits of a PIN, in digits. The policy's pinLength raises the
// minimum; it never lowers it below MinLength.
const (
	MinLength = 8
	MaxLength = 20
)

// Error codes Check returns (Graph's documented codes).
const (
	CodeTooShort = "pinTooShort"
	CodeInvalid  = "invalidPin"
)

// effectiveMin is the shortest PIN allowed under a policy pinLength of
// minLength: minLength clamped to [MinLength, MaxLength].
func effectiveMin(minLength int) int {
	return min(max(minLength, MinLength), MaxLength)
}

// Check applies the PIN rules of spec D11, with minLength the policy's
// pinLength (values outside 8..20 are clamped to that range). It returns nil
// for an acceptable PIN and otherwise an *apperr.Error of Kind
// apperr.Invalid:
//
//   - Code "pinTooShort" when code is empty, holds anything but the ASCII
//     digits 0-9 (letters, spaces, other scripts' digits), or is shorter than
//     the minimum;
//   - Code "invalidPin" when it is longer than MaxLength digits, contains
//     0123456789 or 9876543210, or is periodic with period 1, 2 or 3 (the
//     whole PIN repeats a block of 1, 2 or 3 digits, a trailing partial
//     block included: 11111111, 12121212, 12312312, 123123123).
//
// The message says which rule failed and never contains the PIN.
func Check(code string, minLength int) error {
	n := effectiveMin(minLength)
	if len(code) < n || !digitsOnly(code) {
		return apperr.New(apperr.Invalid, CodeTooShort,
			"PIN needs to be digit only and at least %d characters long.", n)
	}
	if len(code) > MaxLength {
		return apperr.New(apperr.Invalid, CodeInvalid,
			"PIN needs to be at most %d digits long.", MaxLength)
	}
	if strings.Contains(code, "0123456789") || strings.Contains(code, "9876543210") {
		return apperr.New(apperr.Invalid, CodeInvalid,
			"PIN must not contain all ten digits in ascending or descending order.")
	}
	switch period(code) {
	case 1:
		return apperr.New(apperr.Invalid, CodeInvalid,
			"PIN must not be a single digit repeated.")
	case 2:
		return apperr.New(apperr.Invalid, CodeInvalid,
			"PIN must not be a group of two digits repeated.")
	case 3:
		return apperr.New(apperr.Invalid, CodeInvalid,
			"PIN must not be a group of three digits repeated.")
	}
	return nil
}

// digitsOnly reports whether s is made of the ASCII digits 0-9 only.
func digitsOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// period returns the smallest p in 1..3 such that s[i] == s[i-p] for every
// i >= p, or 0 if there is none. s is at least MinLength long when called.
func period(s string) int {
	for p := 1; p <= 3; p++ {
		if s[p:] == s[:len(s)-p] {
			return p
		}
	}
	return 0
}

// Generate returns a new PIN of exactly length digits (length clamped to
// MinLength..MaxLength) from crypto/rand. Every digit is drawn uniformly
// (rejection sampling on random bytes, so no modulo bias) and candidates
// that fail Check are drawn again, so the result is uniform among the PINs
// of that length that pass Check.
func Generate(length int) (string, error) {
	n := effectiveMin(length)
	pin := make([]byte, n)
	var buf [64]byte
	for {
		i := 0
		for i < n {
			if _, err := rand.Read(buf[:]); err != nil {
				return "", err
			}
			for _, b := range buf {
				// 250 is the largest multiple of 10 not above 256: bytes
				// 250..255 would favour the digits 0-5, so they are skipped.
				if b >= 250 {
					continue
				}
				pin[i] = '0' + b%10
				i++
				if i == n {
					break
				}
			}
		}
		if s := string(pin); Check(s, n) == nil {
			return s, nil
		}
	}
}
