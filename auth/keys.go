package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// KeyBits is the size of the RSA keys qrpin creates, and the smallest it
// loads.
const KeyBits = 2048

// Key rotation timing. A key stops signing when a newer key appears in the
// directory ("superseded"); it still verifies for KeyRetention after that,
// long enough for every token it signed to expire.
const (
	// MaxTokenLifetime is the longest lifetime Mint gives a token: one day,
	// the longest lifetime Entra's token lifetime policies allow.
	MaxTokenLifetime = 24 * time.Hour
	// KeyReloadInterval is how often, at most, a KeySet reads its
	// directory again when it meets an unknown key id or serves its public
	// keys, so that a key added by `qrpin keys rotate` (or another process)
	// is known without a restart, and random key ids cost no more than
	// one directory read per interval.
	KeyReloadInterval = 5 * time.Second
	// SigningKeyCheckInterval is how often, at most, a KeySet looks for a
	// newer key before signing.
	SigningKeyCheckInterval = time.Minute
	// KeyRetention is how long a superseded key still verifies: the
	// longest token lifetime, the clock skew Verify tolerates, and the time
	// another process may take to notice the newer key and stop signing
	// with the old one.
	KeyRetention = MaxTokenLifetime + DefaultSkew + SigningKeyCheckInterval
)

// KeySet holds the RSA keys that sign and verify qrpin's tokens. The keys
// are kept as PEM files (mode 0600) in one directory, ordered by file name;
// the last one, the newest, signs. The others verify until KeyRetention
// after they were superseded (the creation time of the key after them), so
// a new key can be added without invalidating tokens already issued.
//
// A KeySet follows its directory: before signing it looks for a newer key
// (at most once per SigningKeyCheckInterval), and on meeting an unknown key
// id or serving PublicKeys it reads the directory again (at most once per
// KeyReloadInterval). So every process sharing the directory picks up a
// rotation without a restart. A directory that cannot be read, or a key
// file that does not parse, leaves the keys already loaded in use (and is
// logged). A KeySet is safe for concurrent use.
type KeySet struct {
	dir string
	now func() time.Time
	log *slog.Logger

	state atomic.Pointer[keyState]

	mu       sync.Mutex         // serializes reloads; guards the fields below
	lastLoad time.Time          // when the directory was last read
	parsed   map[string]keyFile // key files already parsed, by path
}

// keyState is one immutable view of the directory.
type keyState struct {
	keys []key          // ordered by file name: the last one signs
	byID map[string]int // index in keys, by key id
}

type key struct {
	id         string
	priv       *rsa.PrivateKey
	file       string
	created    time.Time
	superseded time.Time // when the next key was created; zero for the signing key
}

// keyFile is a parsed key file, reused while the file is unchanged.
type keyFile struct {
	modTime time.Time
	size    int64
	id      string
	priv    *rsa.PrivateKey
}

// PublicKey is one verification key of a KeySet, with its key id (the kid
// header of the tokens it signs). It is what a JWKS document publishes.
type PublicKey struct {
	KID string
	Key *rsa.PublicKey
}

// KeyOptions adjusts OpenKeys. The zero value is what LoadOrCreateKeys uses.
type KeyOptions struct {
	// Now is the clock deciding reloads and key expiry; nil means time.Now.
	Now func() time.Time
	// Log receives reload failures; nil means slog.Default().
	Log *slog.Logger
}

// LoadOrCreateKeys loads every *.pem key in dir. When dir holds none, it
// creates dir (mode 0700) if needed and one new RSA-2048 key in it, so the
// first start of a server needs no setup. It is OpenKeys with the zero
// KeyOptions.
//
// Key files are PKCS#8 ("PRIVATE KEY") or PKCS#1 ("RSA PRIVATE KEY") PEM
// blocks holding RSA keys of at least 2048 bits; a file that is neither is
// an error naming the file. Other files (and names starting with a dot) are
// ignored.
//
// Two processes that start at the same moment on an empty shared directory
// may each create a key; start one first, or create the key beforehand
// with NewKey.
func LoadOrCreateKeys(dir string) (*KeySet, error) {
	return OpenKeys(dir, KeyOptions{})
}

// OpenKeys is LoadOrCreateKeys with a clock and a logger.
func OpenKeys(dir string, opt KeyOptions) (*KeySet, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("auth: key directory: %w", err)
	}
	ks := &KeySet{dir: dir, now: opt.Now, log: opt.Log, parsed: map[string]keyFile{}}
	if ks.now == nil {
		ks.now = time.Now
	}
	if ks.log == nil {
		ks.log = slog.Default()
	}
	st, err := ks.read()
	if err != nil {
		return nil, err
	}
	if len(st.keys) == 0 {
		if _, err := NewKeyAt(dir, ks.now()); err != nil {
			return nil, err
		}
		if st, err = ks.read(); err == nil && len(st.keys) == 0 {
			err = fmt.Errorf("auth: no key in %s after creating one", dir)
		}
		if err != nil {
			return nil, err
		}
	}
	ks.state.Store(st)
	ks.lastLoad = ks.now()
	return ks, nil
}

// NewKey creates a new RSA-2048 signing key in dir and returns its key id.
// Its file name, key-<UTC creation time>-<kid>.pem, sorts after the keys
// NewKey created before it, so a KeySet signs with it (once it has looked
// at the directory again) while still verifying tokens signed by the older
// keys. The file appears atomically, with mode 0600.
func NewKey(dir string) (kid string, err error) {
	return NewKeyAt(dir, time.Now())
}

// NewKeyAt is NewKey with the creation time given: it names the file, and
// from it the keys before this one count as superseded.
func NewKeyAt(dir string, now time.Time) (kid string, err error) {
	priv, err := rsa.GenerateKey(rand.Reader, KeyBits)
	if err != nil {
		return "", fmt.Errorf("auth: generate key: %w", err)
	}
	kid, err = keyID(&priv.PublicKey)
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", fmt.Errorf("auth: encode key: %w", err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})

	tmp, err := os.CreateTemp(dir, ".key-*.tmp") // mode 0600
	if err != nil {
		return "", fmt.Errorf("auth: write key: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("auth: write key: %w", err)
	}
	name := "key-" + now.UTC().Format(keyTimeFormat) + "-" + kid + ".pem"
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return "", fmt.Errorf("auth: write key: %w", err)
	}
	return kid, nil
}

// keyTimeFormat is the creation time in the names of NewKey's files.
const keyTimeFormat = "20060102T150405.000000000Z"

// KeyInfo describes one key of a key directory, for `qrpin keys list`.
type KeyInfo struct {
	KID     string
	File    string    // the key file's path
	Created time.Time // from the file name NewKey gives it, else the file's modification time
	// Superseded is when the next key was created: from then on this key
	// no longer signs. Zero for the signing key.
	Superseded time.Time
}

// Signing reports whether the key signs new tokens (it is the newest).
func (i KeyInfo) Signing() bool { return i.Superseded.IsZero() }

// Expires is when the key stops verifying (Superseded plus KeyRetention);
// zero for the signing key.
func (i KeyInfo) Expires() time.Time {
	if i.Signing() {
		return time.Time{}
	}
	return i.Superseded.Add(KeyRetention)
}

// Verifies reports whether the key still verifies tokens at now.
func (i KeyInfo) Verifies(now time.Time) bool {
	return i.Signing() || !now.After(i.Expires())
}

// ListKeys describes every key in dir, oldest (first by file name) first,
// expired ones included. It creates nothing.
func ListKeys(dir string) ([]KeyInfo, error) {
	ks := &KeySet{dir: dir, parsed: map[string]keyFile{}}
	st, err := ks.read()
	if err != nil {
		return nil, err
	}
	out := make([]KeyInfo, len(st.keys))
	for i, k := range st.keys {
		out[i] = k.info()
	}
	return out, nil
}

// PruneKeys deletes from dir the files of the keys that no longer verify
// at now (superseded more than KeyRetention ago) and returns them. The
// signing key is never deleted.
func PruneKeys(dir string, now time.Time) ([]KeyInfo, error) {
	infos, err := ListKeys(dir)
	if err != nil {
		return nil, err
	}
	var pruned []KeyInfo
	for _, info := range infos {
		if info.Verifies(now) {
			continue
		}
		if err := os.Remove(info.File); err != nil {
			return pruned, fmt.Errorf("auth: delete expired key: %w", err)
		}
		pruned = append(pruned, info)
	}
	return pruned, nil
}

func (k key) info() KeyInfo {
	return KeyInfo{KID: k.id, File: k.file, Created: k.created, Superseded: k.superseded}
}

// verifies reports whether the key still verifies tokens at now.
func (k key) verifies(now time.Time) bool { return k.info().Verifies(now) }

// read reads every key file in dir, in file name order, reusing the keys of
// files already parsed.
func (k *KeySet) read() (*keyState, error) {
	entries, err := os.ReadDir(k.dir) // sorted by file name
	if err != nil {
		return nil, fmt.Errorf("auth: key directory: %w", err)
	}
	st := &keyState{byID: map[string]int{}}
	seen := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".pem") {
			continue
		}
		path := filepath.Join(k.dir, name)
		// Follow symbolic links (mounted secrets are often links); skip directories.
		fi, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("auth: key file: %w", err)
		} else if !fi.Mode().IsRegular() {
			continue
		}
		seen[path] = true
		f, ok := k.parsed[path]
		if !ok || !f.modTime.Equal(fi.ModTime()) || f.size != fi.Size() {
			priv, err := readKey(path)
			if err != nil {
				return nil, err
			}
			id, err := keyID(&priv.PublicKey)
			if err != nil {
				return nil, err
			}
			f = keyFile{modTime: fi.ModTime(), size: fi.Size(), id: id, priv: priv}
			k.parsed[path] = f
		}
		if _, dup := st.byID[f.id]; dup {
			// The same key twice: keep its first place in the order.
			continue
		}
		st.byID[f.id] = len(st.keys)
		st.keys = append(st.keys, key{id: f.id, priv: f.priv, file: path, created: created(name, fi.ModTime())})
	}
	for path := range k.parsed {
		if !seen[path] {
			delete(k.parsed, path)
		}
	}
	for i := 0; i+1 < len(st.keys); i++ {
		st.keys[i].superseded = st.keys[i+1].created
	}
	return st, nil
}

// created returns a key file's creation time: the one in a name NewKey
// gave, else the file's modification time.
func created(name string, modTime time.Time) time.Time {
	if rest, ok := strings.CutPrefix(name, "key-"); ok && len(rest) > len(keyTimeFormat) {
		if t, err := time.Parse(keyTimeFormat, rest[:len(keyTimeFormat)]); err == nil {
			return t
		}
	}
	return modTime.UTC()
}

// reload reads the directory again when the last read is at least every
// ago, and returns the current keys. A failed read keeps the keys loaded.
func (k *KeySet) reload(every time.Duration) *keyState {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	if now.Sub(k.lastLoad) < every {
		return k.state.Load()
	}
	k.lastLoad = now
	st, err := k.read()
	switch {
	case err != nil:
		k.log.Warn("signing keys: reading the key directory failed; keeping the keys loaded", "error", err)
	case len(st.keys) == 0:
		k.log.Warn("signing keys: the key directory holds no key; keeping the keys loaded", "dir", k.dir)
	case !sameKeys(st, k.state.Load()):
		// Only a change replaces the view: the verified tokens Tokens
		// remembers belong to one view, and are dropped with it.
		k.state.Store(st)
	}
	return k.state.Load()
}

// sameKeys reports whether two views of the directory hold the same keys
// (the same parsed files, in the same order, with the same times).
func sameKeys(a, b *keyState) bool {
	return a != nil && b != nil && slices.EqualFunc(a.keys, b.keys, func(x, y key) bool { return x == y })
}

// current returns the keys, without reading the directory.
func (k *KeySet) current() *keyState {
	if k == nil {
		return nil
	}
	return k.state.Load()
}

// readKey parses one PEM key file. Errors name the file, never its content.
func readKey(path string) (*rsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("auth: read key: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("auth: key file %s: no PEM block", path)
	}
	var priv *rsa.PrivateKey
	switch block.Type {
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("auth: key file %s: not a valid PKCS#8 key", path)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("auth: key file %s: not an RSA key (%T)", path, k)
		}
		priv = rk
	case "RSA PRIVATE KEY":
		rk, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("auth: key file %s: not a valid PKCS#1 RSA key", path)
		}
		priv = rk
	default:
		return nil, fmt.Errorf("auth: key file %s: PEM block %q is not a private key", path, block.Type)
	}
	if bits := priv.N.BitLen(); bits < KeyBits {
		return nil, fmt.Errorf("auth: key file %s: RSA key of %d bits, need at least %d", path, bits, KeyBits)
	}
	return priv, nil
}

// keyID derives a stable key id from a public key: the base64url SHA-256 of
// its PKIX DER encoding, truncated to 128 bits (22 characters).
func keyID(pub *rsa.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("auth: encode public key: %w", err)
	}
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:16]), nil
}

// errNoKeys is returned when a Tokens has no key to sign with.
var errNoKeys = errors.New("auth: no signing key")

// SigningKey returns the key that signs new tokens and its key id: the
// newest key, after looking for a newer one at most once per
// SigningKeyCheckInterval.
func (k *KeySet) SigningKey() (kid string, priv *rsa.PrivateKey, err error) {
	if k.current() == nil {
		return "", nil, errNoKeys
	}
	st := k.reload(SigningKeyCheckInterval)
	if len(st.keys) == 0 {
		return "", nil, errNoKeys
	}
	last := st.keys[len(st.keys)-1]
	return last.id, last.priv, nil
}

// PublicKeys returns every key that still verifies, the signing key last,
// after reading the directory again at most once per KeyReloadInterval.
func (k *KeySet) PublicKeys() []PublicKey {
	if k.current() == nil {
		return nil
	}
	st := k.reload(KeyReloadInterval)
	now := k.now()
	out := []PublicKey{}
	for _, key := range st.keys {
		if key.verifies(now) {
			out = append(out, PublicKey{KID: key.id, Key: &key.priv.PublicKey})
		}
	}
	return out
}

// publicKey returns the verification key with the given key id, reading
// the directory again (at most once per KeyReloadInterval) when the id is
// unknown. A key superseded more than KeyRetention ago is not returned.
func (k *KeySet) publicKey(kid string) (*rsa.PublicKey, bool) {
	st := k.current()
	if st == nil {
		return nil, false
	}
	i, ok := st.byID[kid]
	if !ok {
		st = k.reload(KeyReloadInterval)
		if i, ok = st.byID[kid]; !ok {
			return nil, false
		}
	}
	if key := st.keys[i]; key.verifies(k.now()) {
		return &key.priv.PublicKey, true
	}
	return nil, false
}
