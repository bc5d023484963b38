package pin

import (
	"strings"
	"testing"

	"github.com/qrpin/qrpin/apperr"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name      string
		code      string
		minLength int
		wantCode  string // "" when the PIN is accepted
		wantMsg   string // a substring of the message
	}{
		{"8 digits", "48150392", 8, "", ""},
		{"20 digits", "48150392774615203958", 8, "", ""},
		{"20 digits under pinLength 20", "48150392774615203958", 20, "", ""},
		{"9 digits under pinLength 9", "481503927", 9, "", ""},
		{"pinLength below 8 is raised to 8", "4815039", 4, CodeTooShort, "at least 8 characters"},
		{"pinLength above 20 is lowered to 20", "48150392774615203958", 25, "", ""},
		{"pinLength 0", "48150392", 0, "", ""},
		{"negative pinLength", "48150392", -3, "", ""},

		{"empty", "", 8, CodeTooShort, "PIN needs to be digit only and at least 8 characters long."},
		{"7 digits", "4815039", 8, CodeTooShort, "PIN needs to be digit only and at least 8 characters long."},
		{"9 digits under pinLength 10", "481503927", 10, CodeTooShort, "PIN needs to be digit only and at least 10 characters long."},
		{"19 digits under pinLength 20", "4815039277461520395", 20, CodeTooShort, "at least 20 characters"},
		{"21 digits", "481503927746152039581", 8, CodeInvalid, "at most 20 digits"},
		{"30 digits", strings.Repeat("4815039277", 3), 8, CodeInvalid, "at most 20 digits"},
		{"letters", "4815039a", 8, CodeTooShort, "digit only"},
		{"all letters", "abcdefghij", 8, CodeTooShort, "digit only"},
		{"long letters", strings.Repeat("x", 30), 8, CodeTooShort, "digit only"},
		{"inner space", "4815 0392", 8, CodeTooShort, "digit only"},
		{"leading space", " 48150392", 8, CodeTooShort, "digit only"},
		{"trailing newline", "48150392\n", 8, CodeTooShort, "digit only"},
		{"sign", "+48150392", 8, CodeTooShort, "digit only"},
		{"Arabic-Indic digits", "١٣٥٢٤٦٨٠٩", 8, CodeTooShort, "digit only"},
		{"fullwidth digits", "４８１５０３９２", 8, CodeTooShort, "digit only"},
		{"NUL byte", "4815\x000392", 8, CodeTooShort, "digit only"},
		{"invalid UTF-8", "4815\xff0392", 8, CodeTooShort, "digit only"},

		{"ascending run", "0123456789", 8, CodeInvalid, "ascending or descending"},
		{"descending run", "9876543210", 8, CodeInvalid, "ascending or descending"},
		{"ascending run inside", "4401234567895", 8, CodeInvalid, "ascending or descending"},
		{"descending run at end", "5598765432101", 8, CodeInvalid, "ascending or descending"},
		{"nine ascending digits are fine", "012345678", 8, "", ""},
		{"ascending with a gap is fine", "0123456780", 8, "", ""},

		{"period 1", "11111111", 8, CodeInvalid, "single digit repeated"},
		{"period 1, 20 digits", strings.Repeat("7", 20), 8, CodeInvalid, "single digit repeated"},
		{"period 2", "12121212", 8, CodeInvalid, "two digits repeated"},
		{"period 2, partial", "121212121", 8, CodeInvalid, "two digits repeated"},
		{"period 3", "123123123", 8, CodeInvalid, "three digits repeated"},
		{"period 3, partial", "12312312", 8, CodeInvalid, "three digits repeated"},
		{"period 3, 342342342", "342342342", 8, CodeInvalid, "three digits repeated"},
		{"period 3, 20 digits", "90190190190190190190", 8, CodeInvalid, "three digits repeated"},
		{"period 4 is fine", "12341234", 8, "", ""},
		{"almost period 1", "11111112", 8, "", ""},
		{"period 2, high digit first", "21212121", 8, CodeInvalid, "two digits repeated"},
		{"broken period 2", "12121213", 8, "", ""},
		{"broken period 3 at start", "02312312", 8, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.code, tt.minLength)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("Check rejected a good PIN: %v", err)
				}
				return
			}
			e, ok := apperr.As(err)
			if !ok {
				t.Fatalf("Check = %v, want an *apperr.Error", err)
			}
			if e.Kind != apperr.Invalid || e.Code != tt.wantCode {
				t.Errorf("Kind, Code = %v, %q; want %v, %q", e.Kind, e.Code, apperr.Invalid, tt.wantCode)
			}
			if !strings.Contains(e.Message, tt.wantMsg) {
				t.Errorf("Message = %q, want it to contain %q", e.Message, tt.wantMsg)
			}
			if len(tt.code) >= 3 && strings.Contains(e.Message, tt.code) {
				t.Errorf("Message %q contains the PIN", e.Message)
			}
		})
	}
}

// TestCheckTooShortMessage pins the documented Graph message for the default
// policy.
func TestCheckTooShortMessage(t *testing.T) {
	e, _ := apperr.As(Check("123", 8))
	if e == nil || e.Message != "PIN needs to be digit only and at least 8 characters long." {
		t.Fatalf("got %#v", e)
	}
}

func TestGenerate(t *testing.T) {
	for _, tt := range []struct{ ask, want int }{
		{8, 8}, {9, 9}, {12, 12}, {20, 20}, {0, 8}, {-1, 8}, {7, 8}, {21, 20}, {1000, 20},
	} {
		for range 50 {
			p, err := Generate(tt.ask)
			if err != nil {
				t.Fatal(err)
			}
			if len(p) != tt.want {
				t.Fatalf("Generate(%d) has %d digits, want %d", tt.ask, len(p), tt.want)
			}
			if err := Check(p, tt.want); err != nil {
				t.Fatalf("Generate(%d) made a PIN that fails Check: %v", tt.ask, err)
			}
		}
	}
}

// TestGenerateDistribution draws 1000 PINs and checks that they look
// uniform. Every threshold is loose enough that a correct generator fails
// with a probability far below one in a billion.
func TestGenerateDistribution(t *testing.T) {
	const samples, length = 1000, 8
	seen := make(map[string]bool, samples)
	var perPos [length][10]int
	var total [10]int
	for range samples {
		p, err := Generate(length)
		if err != nil {
			t.Fatal(err)
		}
		seen[p] = true
		for i := range length {
			d := p[i] - '0'
			perPos[i][d]++
			total[d]++
		}
	}
	// About 1e8 PINs pass Check; 1000 draws collide with probability
	// about 0.5%, and 5 or more collisions are astronomically unlikely.
	if len(seen) < samples-4 {
		t.Errorf("only %d distinct PINs in %d draws", len(seen), samples)
	}
	// Each position takes each digit with probability ~0.1, so each should
	// appear about 100 times in 1000 draws; fewer than 40 or more than 180
	// is a >6 sigma event.
	for i, counts := range perPos {
		for d, c := range counts {
			if c < 40 || c > 180 {
				t.Errorf("position %d: digit %d seen %d times in %d draws", i, d, c, samples)
			}
		}
	}
	// Chi-squared over all 8000 digits, 9 degrees of freedom: 50 is far
	// beyond the 1e-6 tail (about 42).
	exp := float64(samples*length) / 10
	var chi2 float64
	for _, c := range total {
		d := float64(c) - exp
		chi2 += d * d / exp
	}
	if chi2 > 50 {
		t.Errorf("digit counts %v: chi-squared %.1f, want < 50", total, chi2)
	}
}

// TestGenerateLongDistinct checks that 20-digit PINs never repeat.
func TestGenerateLongDistinct(t *testing.T) {
	seen := make(map[string]bool)
	for range 1000 {
		p, err := Generate(MaxLength)
		if err != nil {
			t.Fatal(err)
		}
		if seen[p] {
			t.Fatalf("Generate(%d) repeated a PIN", MaxLength)
		}
		seen[p] = true
	}
}

func FuzzCheck(f *testing.F) {
	for _, s := range []string{"", "48150392", "11111111", "12312312", "0123456789",
		"4815039a", "١٢٣٤٥٦٧٨", "481503927746152039581", "48150392774615203958"} {
		for _, n := range []int{8, 10, 20} {
			f.Add(s, n)
		}
	}
	f.Fuzz(func(t *testing.T, code string, minLength int) {
		err := Check(code, minLength)
		if err == nil {
			if !digitsOnly(code) {
				t.Fatalf("accepted non-digits %q", code)
			}
			if len(code) < MinLength || len(code) > MaxLength || len(code) < min(max(minLength, MinLength), MaxLength) {
				t.Fatalf("accepted %d digits under pinLength %d", len(code), minLength)
			}
			if strings.Contains(code, "0123456789") || strings.Contains(code, "9876543210") {
				t.Fatalf("accepted a ten-digit run: %q", code)
			}
			for p := 1; p <= 3; p++ {
				periodic := true
				for i := p; i < len(code); i++ {
					if code[i] != code[i-p] {
						periodic = false
						break
					}
				}
				if periodic {
					t.Fatalf("accepted %q, periodic with period %d", code, p)
				}
			}
			return
		}
		e, ok := apperr.As(err)
		if !ok || e.Kind != apperr.Invalid || (e.Code != CodeTooShort && e.Code != CodeInvalid) {
			t.Fatalf("Check(%q) = %#v", code, err)
		}
		if len(code) >= 3 && digitsOnly(code) && strings.Contains(e.Message, code) {
			t.Fatalf("message %q contains the PIN", e.Message)
		}
	})
}
