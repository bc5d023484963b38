package pin

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
)

// fast are cheap parameters so that tests do not spend their time in
// Argon2id; one test covers DefaultParams.
var fast = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

var (
	pepperA = bytes.Repeat([]byte{0xA5}, 32)
	pepperB = bytes.Repeat([]byte{0x5A}, 32)
)

func mustHasher(t testing.TB, pepper []byte, p Params) *Hasher {
	t.Helper()
	h, err := NewHasher(pepper, p)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestNewHasher(t *testing.T) {
	tests := []struct {
		name   string
		pepper []byte
		p      Params
		ok     bool
	}{
		{"default", pepperA, DefaultParams, true},
		{"fast", pepperA, fast, true},
		{"long pepper", make([]byte, 64), fast, true},
		{"nil pepper", nil, fast, false},
		{"31-byte pepper", make([]byte, 31), fast, false},
		{"zero params", pepperA, Params{}, false},
		{"no threads", pepperA, Params{Memory: 64, Time: 1, SaltLen: 16, KeyLen: 32}, false},
		{"no time", pepperA, Params{Memory: 64, Threads: 1, SaltLen: 16, KeyLen: 32}, false},
		{"memory below 8 per thread", pepperA, Params{Memory: 15, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32}, false},
		{"memory above 1 GiB", pepperA, Params{Memory: 1<<20 + 1, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, false},
		{"short salt", pepperA, Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 4, KeyLen: 32}, false},
		{"short key", pepperA, Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 8}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := NewHasher(tt.pepper, tt.p)
			if (err == nil) != tt.ok || (h != nil) != tt.ok {
				t.Fatalf("NewHasher = %v, %v; want ok=%v", h, err, tt.ok)
			}
		})
	}
}

// TestNewHasherCopiesPepper checks that changing the caller's slice later
// does not change the Hasher's key.
func TestNewHasherCopiesPepper(t *testing.T) {
	pepper := bytes.Clone(pepperA)
	h := mustHasher(t, pepper, fast)
	enc, err := h.Hash("48150392")
	if err != nil {
		t.Fatal(err)
	}
	clear(pepper)
	if ok, err := h.Verify("48150392", enc); !ok || err != nil {
		t.Fatalf("Verify after the caller cleared its pepper = %v, %v", ok, err)
	}
}

func TestHashVerifyDefaultParams(t *testing.T) {
	h := mustHasher(t, pepperA, DefaultParams)
	const code = "48150392"
	enc, err := h.Hash(code)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("Hash = %q, want the PHC prefix with OWASP's parameters", enc)
	}
	parts := strings.Split(enc, "$")
	if len(parts) != 6 || len(parts[4]) != 22 || len(parts[5]) != 43 {
		t.Fatalf("Hash = %q, want a 16-byte salt and a 32-byte key in unpadded base64", enc)
	}
	if ok, err := h.Verify(code, enc); !ok || err != nil {
		t.Fatalf("Verify(right PIN) = %v, %v", ok, err)
	}
	if ok, err := h.Verify("48150393", enc); ok || err != nil {
		t.Fatalf("Verify(wrong PIN) = %v, %v", ok, err)
	}
}

func TestHashVerify(t *testing.T) {
	h := mustHasher(t, pepperA, fast)
	codes := []string{"48150392", "00000001", "48150392774615203958", "", "not checked by Hash"}
	for _, code := range codes {
		enc, err := h.Hash(code)
		if err != nil {
			t.Fatal(err)
		}
		if code != "" && strings.Contains(enc, code) {
			t.Errorf("hash %q contains the PIN", enc)
		}
		if ok, err := h.Verify(code, enc); !ok || err != nil {
			t.Errorf("Verify(%q) = %v, %v; want true", code, ok, err)
		}
		for _, other := range codes {
			if other == code {
				continue
			}
			if ok, err := h.Verify(other, enc); ok || err != nil {
				t.Errorf("Verify(another PIN) = %v, %v; want false, nil", ok, err)
			}
		}
	}
}

func TestVerifyOtherPepper(t *testing.T) {
	a := mustHasher(t, pepperA, fast)
	b := mustHasher(t, pepperB, fast)
	enc, err := a.Hash("48150392")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := b.Verify("48150392", enc); ok || err != nil {
		t.Fatalf("Verify with another pepper = %v, %v; want false, nil", ok, err)
	}
}

func TestHashSalted(t *testing.T) {
	h := mustHasher(t, pepperA, fast)
	x, err := h.Hash("48150392")
	if err != nil {
		t.Fatal(err)
	}
	y, err := h.Hash("48150392")
	if err != nil {
		t.Fatal(err)
	}
	if x == y {
		t.Fatal("two hashes of one PIN are equal")
	}
}

// TestVerifyOtherParams checks that a hash made with other parameters still
// verifies: stored hashes survive a change of Params.
func TestVerifyOtherParams(t *testing.T) {
	old := mustHasher(t, pepperA, Params{Memory: 128, Time: 3, Threads: 2, SaltLen: 8, KeyLen: 16})
	enc, err := old.Hash("48150392")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=128,t=3,p=2$") {
		t.Fatalf("Hash = %q", enc)
	}
	cur := mustHasher(t, pepperA, fast)
	if ok, err := cur.Verify("48150392", enc); !ok || err != nil {
		t.Fatalf("Verify = %v, %v", ok, err)
	}
}

func TestVerifyMalformed(t *testing.T) {
	h := mustHasher(t, pepperA, fast)
	good, err := h.Hash("48150392")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$") // "", argon2id, v=19, m=..., salt, key
	salt, key := parts[4], parts[5]
	join := func(p ...string) string { return strings.Join(p, "$") }
	tests := map[string]string{
		"empty":              "",
		"dollar":             "$",
		"plain PIN":          "48150392",
		"argon2i":            join("", "argon2i", "v=19", "m=64,t=1,p=1", salt, key),
		"argon2d":            join("", "argon2d", "v=19", "m=64,t=1,p=1", salt, key),
		"bcrypt":             "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		"version 16":         join("", "argon2id", "v=16", "m=64,t=1,p=1", salt, key),
		"no version":         join("", "argon2id", "m=64,t=1,p=1", salt, key),
		"missing key":        join("", "argon2id", "v=19", "m=64,t=1,p=1", salt),
		"extra field":        good + "$x",
		"params reordered":   join("", "argon2id", "v=19", "t=1,m=64,p=1", salt, key),
		"params missing":     join("", "argon2id", "v=19", "m=64,t=1", salt, key),
		"params extra":       join("", "argon2id", "v=19", "m=64,t=1,p=1,k=2", salt, key),
		"memory zero":        join("", "argon2id", "v=19", "m=0,t=1,p=1", salt, key),
		"memory huge":        join("", "argon2id", "v=19", "m=4294967295,t=1,p=1", salt, key),
		"memory overflow":    join("", "argon2id", "v=19", "m=4294967296,t=1,p=1", salt, key),
		"memory negative":    join("", "argon2id", "v=19", "m=-64,t=1,p=1", salt, key),
		"memory plus sign":   join("", "argon2id", "v=19", "m=+64,t=1,p=1", salt, key),
		"memory leading 0":   join("", "argon2id", "v=19", "m=064,t=1,p=1", salt, key),
		"memory hex":         join("", "argon2id", "v=19", "m=0x40,t=1,p=1", salt, key),
		"memory empty":       join("", "argon2id", "v=19", "m=,t=1,p=1", salt, key),
		"time zero":          join("", "argon2id", "v=19", "m=64,t=0,p=1", salt, key),
		"time huge":          join("", "argon2id", "v=19", "m=64,t=100000,p=1", salt, key),
		"threads zero":       join("", "argon2id", "v=19", "m=64,t=1,p=0", salt, key),
		"threads over 255":   join("", "argon2id", "v=19", "m=64,t=1,p=256", salt, key),
		"memory < 8*threads": join("", "argon2id", "v=19", "m=64,t=1,p=9", salt, key),
		"salt empty":         join("", "argon2id", "v=19", "m=64,t=1,p=1", "", key),
		"salt short":         join("", "argon2id", "v=19", "m=64,t=1,p=1", "AAAA", key),
		"salt bad base64":    join("", "argon2id", "v=19", "m=64,t=1,p=1", "!!!!!!!!!!!!!!!!!!!!!!", key),
		"salt padded":        join("", "argon2id", "v=19", "m=64,t=1,p=1", salt+"==", key),
		"salt url alphabet":  join("", "argon2id", "v=19", "m=64,t=1,p=1", "____________________AA", key),
		"key empty":          join("", "argon2id", "v=19", "m=64,t=1,p=1", salt, ""),
		"key short":          join("", "argon2id", "v=19", "m=64,t=1,p=1", salt, "AAAAAAAA"),
		"key too long":       join("", "argon2id", "v=19", "m=64,t=1,p=1", salt, strings.Repeat("A", 100)),
		// The 32-byte key is 43 characters; 41 is a length no base64 text
		// has. (Dropping one character would leave 42, which one time in
		// 16 is the canonical text of a 31-byte key: a different, valid
		// hash, for which Verify rightly says false without an error.)
		"key truncated":    good[:len(good)-2],
		"leading space":    " " + good,
		"trailing newline": good + "\n",
	}
	for name, enc := range tests {
		t.Run(name, func(t *testing.T) {
			ok, err := h.Verify("48150392", enc)
			if ok || err == nil {
				t.Fatalf("Verify = %v, %v; want false and an error", ok, err)
			}
			if strings.Contains(err.Error(), "48150392") {
				t.Fatalf("error %q contains the PIN", err)
			}
		})
	}
}

// TestVerifyTampered flips one character of the salt or the key: Verify
// must say false (or, for a character that breaks the encoding, fail), never
// true.
func TestVerifyTampered(t *testing.T) {
	h := mustHasher(t, pepperA, fast)
	good, err := h.Hash("48150392")
	if err != nil {
		t.Fatal(err)
	}
	start := strings.LastIndex(good, "$") - 22 // first character of the salt
	for i := start; i < len(good); i++ {
		if good[i] == '$' {
			continue
		}
		b := []byte(good)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		if ok, _ := h.Verify("48150392", string(b)); ok {
			t.Fatalf("Verify accepted a hash tampered at %d", i)
		}
	}
}

func FuzzVerify(f *testing.F) {
	h := mustHasher(f, pepperA, fast)
	// A fixed salt: every fuzz worker must compute the same hash.
	good := h.hashWithSalt("48150392", make([]byte, 16))
	f.Add(good)
	f.Add("$argon2id$v=19$m=64,t=1,p=1$$")
	f.Add("$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, enc string) {
		p, _, _, err := decode(enc)
		if err != nil {
			return
		}
		// Only run Argon2id for cheap parameters; decode's bounds are
		// covered by TestVerifyMalformed.
		if p.Memory > 1024 || p.Time > 2 || p.Threads > 4 {
			return
		}
		ok, err := h.Verify("48150392", enc)
		if err != nil {
			t.Fatalf("decode accepted what Verify rejects: %v", err)
		}
		if ok && enc != good {
			t.Fatalf("Verify accepted a hash that is not the one made: %q", enc)
		}
	})
}

func BenchmarkHash(b *testing.B) {
	h := mustHasher(b, pepperA, DefaultParams)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Hash("48150392"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	h := mustHasher(b, pepperA, DefaultParams)
	enc, err := h.Hash("48150392")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := h.Verify("48150392", enc); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// TestHasherTurns checks that a Hasher runs no more Argon2id computations at
// once than it has turns (GOMAXPROCS): with every turn taken, Hash and Verify
// wait, and go on, one after the other, when a turn comes free.
func TestHasherTurns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := mustHasher(t, pepperA, fast)
		if got, want := cap(h.turns), runtime.GOMAXPROCS(0); got != want {
			t.Fatalf("turns = %d, want GOMAXPROCS = %d", got, want)
		}
		enc, err := h.Hash("48150392")
		if err != nil {
			t.Fatal(err)
		}
		for range cap(h.turns) { // every computation running
			h.turns <- struct{}{}
		}
		verified, hashed := make(chan bool, 1), make(chan string, 1)
		go func() {
			ok, _ := h.Verify("48150392", enc)
			verified <- ok
		}()
		go func() {
			s, _ := h.Hash("48150392")
			hashed <- s
		}()
		synctest.Wait() // both blocked
		if len(verified) != 0 || len(hashed) != 0 {
			t.Fatal("a computation ran without a turn")
		}
		if running, waiting := h.Load(); running != 0 || waiting != 2 {
			t.Fatalf("Load = %d running, %d waiting; want 0, 2 (the turns taken here run no computation)", running, waiting)
		}
		<-h.turns
		synctest.Wait() // one ran on the free turn, then the other
		if !<-verified || !strings.HasPrefix(<-hashed, phcPrefix) {
			t.Fatal("Verify or Hash failed after waiting")
		}
		if running, waiting := h.Load(); running != 0 || waiting != 0 {
			t.Fatalf("Load after both finished = %d running, %d waiting; want 0, 0", running, waiting)
		}
		if len(h.turns) != cap(h.turns)-1 {
			t.Fatalf("%d turns taken after both finished, want %d", len(h.turns), cap(h.turns)-1)
		}
	})
}
