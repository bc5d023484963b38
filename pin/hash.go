package pin

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"

	"golang.org/x/crypto/argon2"
)

// Params are Argon2id cost parameters.
type Params struct {
	Memory  uint32 // memory in KiB
	Time    uint32 // passes over the memory
	Threads uint8  // lanes (parallelism)
	SaltLen uint32 // salt length in bytes
	KeyLen  uint32 // derived key length in bytes
}

// DefaultParams is OWASP's Argon2id recommendation: 19 MiB of memory, two
// passes, one lane, a 16-byte salt and a 32-byte key.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Bounds on parameters, both for a new Hasher and for a stored hash that
// Verify reads back, so that a damaged or tampered hash cannot make Verify
// allocate or compute without limit.
const (
	maxMemory  = 1 << 20 // KiB (1 GiB)
	maxTime    = 32
	minSaltLen = 8
	maxSaltLen = 64
	minKeyLen  = 16
	maxKeyLen  = 64
)

// MinPepperLen is the shortest pepper NewHasher accepts, in bytes.
const MinPepperLen = 32

// phcPrefix starts every hash this package writes (Argon2id, version 0x13).
const phcPrefix = "$argon2id$v=19$"

// b64 is the PHC string format's base64: standard alphabet, no padding.
var b64 = base64.RawStdEncoding.Strict()

// validate reports whether p is within the bounds this package accepts.
func (p Params) validate() error {
	switch {
	case p.Threads < 1:
		return errors.New("pin: Argon2id needs at least one thread")
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory:
		return fmt.Errorf("pin: Argon2id memory must be %d to %d KiB", 8*uint32(p.Threads), maxMemory)
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("pin: Argon2id time must be 1 to %d", maxTime)
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("pin: salt length must be %d to %d bytes", minSaltLen, maxSaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("pin: key length must be %d to %d bytes", minKeyLen, maxKeyLen)
	}
	return nil
}

// Hasher hashes and verifies PINs with Argon2id, keyed with a pepper that
// lives outside the database: a copy of the database without the pepper
// does not allow guessing PINs offline. A Hasher is safe for concurrent use.
//
// A Hasher runs at most GOMAXPROCS Argon2id computations at once (Hash and
// Verify wait for a turn): each takes Params.Memory of memory (19 MiB by
// default) for as long as it runs, so a burst of sign-ins or resets must not
// start them all together. More at once would not finish sooner either: the
// cores are busy, and concurrent computations only fight over memory
// bandwidth.
type Hasher struct {
	pepper []byte
	params Params
	turns  chan struct{} // one token per computation running

	running, waiting atomic.Int64 // computations running, and waiting for a turn (Load)
}

// NewHasher returns a Hasher that keys every PIN with pepper (at least
// MinPepperLen bytes; it is copied) and hashes new PINs with p.
func NewHasher(pepper []byte, p Params) (*Hasher, error) {
	if len(pepper) < MinPepperLen {
		return nil, fmt.Errorf("pin: pepper is %d bytes, want at least %d", len(pepper), MinPepperLen)
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	return &Hasher{pepper: append([]byte(nil), pepper...), params: p,
		turns: make(chan struct{}, runtime.GOMAXPROCS(0))}, nil
}

// Load returns how many Argon2id computations run now and how many wait
// for a turn: the hasher's saturation, for metrics (waiting above 0 means
// every core hashes and sign-ins queue).
func (h *Hasher) Load() (running, waiting int) {
	return int(h.running.Load()), int(h.waiting.Load())
}

// password is what Argon2id hashes: HMAC-SHA256(pepper, "qrpin-pin-v1:"+code).
func (h *Hasher) password(code string) []byte {
	m := hmac.New(sha256.New, h.pepper)
	m.Write([]byte("qrpin-pin-v1:"))
	m.Write([]byte(code))
	return m.Sum(nil)
}

// argon2id computes the Argon2id key of code's keyed password, when its turn
// comes.
func (h *Hasher) argon2id(code string, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
	h.waiting.Add(1)
	h.turns <- struct{}{}
	h.waiting.Add(-1)
	h.running.Add(1)
	defer func() { h.running.Add(-1); <-h.turns }()
	return argon2.IDKey(h.password(code), salt, time, memory, threads, keyLen)
}

// Hash returns code's hash in the PHC string format,
// "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>" (salt and hash in
// unpadded standard base64), with a fresh random salt: two hashes of one
// PIN differ. Hash does not apply the PIN rules; call Check first.
func (h *Hasher) Hash(code string) (string, error) {
	p := h.params
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	return h.hashWithSalt(code, salt), nil
}

// hashWithSalt is Hash with a given salt.
func (h *Hasher) hashWithSalt(code string, salt []byte) string {
	p := h.params
	key := h.argon2id(code, salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("%sm=%d,t=%d,p=%d$%s$%s", phcPrefix, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// Verify reports whether code matches encoded, a hash from Hash (made with
// any parameters within this package's bounds, so hashes survive a change of
// Params). It recomputes the hash with the parameters and salt in encoded
// and compares in constant time. A malformed encoded string is an error.
func (h *Hasher) Verify(code, encoded string) (bool, error) {
	p, salt, want, err := decode(encoded)
	if err != nil {
		return false, err
	}
	got := h.argon2id(code, salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// errMalformed is what Verify returns for a string that is not a PIN hash
// this package can check. It says nothing about the string's content.
var errMalformed = errors.New("pin: malformed PIN hash")

// decode parses a PHC string written by Hash.
func decode(encoded string) (Params, []byte, []byte, error) {
	var p Params
	rest, ok := strings.CutPrefix(encoded, phcPrefix)
	if !ok {
		return p, nil, nil, errMalformed
	}
	fields := strings.Split(rest, "$")
	if len(fields) != 3 {
		return p, nil, nil, errMalformed
	}
	kv := strings.Split(fields[0], ",")
	if len(kv) != 3 {
		return p, nil, nil, errMalformed
	}
	m, ok1 := param(kv[0], "m=", 32)
	t, ok2 := param(kv[1], "t=", 32)
	th, ok3 := param(kv[2], "p=", 8)
	if !ok1 || !ok2 || !ok3 {
		return p, nil, nil, errMalformed
	}
	salt, ok1 := decodeB64(fields[1])
	key, ok2 := decodeB64(fields[2])
	if !ok1 || !ok2 {
		return p, nil, nil, errMalformed
	}
	p = Params{Memory: uint32(m), Time: uint32(t), Threads: uint8(th),
		SaltLen: uint32(len(salt)), KeyLen: uint32(len(key))}
	if p.validate() != nil {
		return Params{}, nil, nil, errMalformed
	}
	return p, salt, key, nil
}

// param parses "name=<decimal>" in canonical form (no sign, no leading
// zeros) into an unsigned integer of the given bit size.
func param(s, name string, bits int) (uint64, bool) {
	digits, ok := strings.CutPrefix(s, name)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseUint(digits, 10, bits)
	if err != nil || strconv.FormatUint(v, 10) != digits {
		return 0, false
	}
	return v, true
}

// decodeB64 decodes s, which must be in canonical unpadded standard base64
// (the decoder alone would skip line breaks).
func decodeB64(s string) ([]byte, bool) {
	b, err := b64.DecodeString(s)
	if err != nil || b64.EncodeToString(b) != s {
		return nil, false
	}
	return b, true
}
