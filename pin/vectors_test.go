package pin

import "testing"

// knownPepper is the pepper of the known-answer vectors: bytes 0 to 31.
func knownPepper() []byte {
	p := make([]byte, 32)
	for i := range p {
		p[i] = byte(i)
	}
	return p
}

// pinVectors are stored PIN hashes made once, with the code as it was, from
// a PIN, a salt and knownPepper at fixed Argon2id parameters.
//
// A change that alters any of them (the "qrpin-pin-v1:" domain separation,
// the HMAC keying, the PHC encoding, the base64 alphabet or padding, how
// parameters are written) makes every PIN in every existing database fail
// to verify: it needs a new hash version that Verify still reads the old
// one beside, or a migration, never an edit of these strings.
var pinVectors = []struct {
	code   string
	wrong  string // a PIN that must not verify
	params Params
	salt   string
	stored string
}{
	{"48150392", "48150393", Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, "0123456789abcdef",
		"$argon2id$v=19$m=64,t=1,p=1$MDEyMzQ1Njc4OWFiY2RlZg$a7o4qO4FNrKn+xJ9W+ghJHinJdxcA3GwGzEnfmgbA9E"},
	{"00072391846", "72391846", Params{Memory: 256, Time: 3, Threads: 2, SaltLen: 8, KeyLen: 64}, "saltsalt",
		"$argon2id$v=19$m=256,t=3,p=2$c2FsdHNhbHQ$dK3JEymWab+2rraJu10/e6OcjwflMpHKi92dnjUcRoRFB26H5YUwBkeBcRk4XZpVGlt0I8bwT+H/n5y+W717zA"},
}

// TestHashKnownAnswers: a PIN, a salt and the pepper give the stored
// string they always gave.
func TestHashKnownAnswers(t *testing.T) {
	t.Parallel()
	for _, v := range pinVectors {
		h := mustHasher(t, knownPepper(), v.params)
		if got := h.hashWithSalt(v.code, []byte(v.salt)); got != v.stored {
			t.Errorf("PIN %s, salt %q: stored as\n%s\nwant\n%s\n(existing databases hold the latter: a change here needs a migration)", v.code, v.salt, got, v.stored)
		}
	}
}

// TestVerifyKnownAnswers: a stored string made once verifies with its PIN
// and pepper, whatever parameters the Hasher now hashes with, and with no
// other PIN or pepper.
func TestVerifyKnownAnswers(t *testing.T) {
	t.Parallel()
	other := knownPepper()
	other[31] ^= 1
	for _, v := range pinVectors {
		for _, tc := range []struct {
			name   string
			pepper []byte
			code   string
			want   bool
		}{
			{"its PIN", knownPepper(), v.code, true},
			{"another PIN", knownPepper(), v.wrong, false},
			{"another pepper", other, v.code, false},
		} {
			h := mustHasher(t, tc.pepper, fast) // not the vector's parameters: Verify reads them from the string
			ok, err := h.Verify(tc.code, v.stored)
			if err != nil || ok != tc.want {
				t.Errorf("%s: Verify(%s, %s) = %v, %v, want %v (existing databases hold this string: a change here needs a migration)",
					tc.name, tc.code, v.stored, ok, err, tc.want)
			}
		}
	}
}
