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
	"os"
	"path/filepath"
	"strings"
	"time"
)

// KeyBits is the size of the RSA keys qrpin creates, and the smallest it
// loads.
const KeyBits = 2048

// KeySet holds the RSA keys that sign and verify qrpin's tokens. The keys
// are kept as PEM files (mode 0600) in one directory, ordered by file name;
// the last one, the newest, signs, and all of them verify, so a new key can
// be added without invalidating tokens already issued.
//
// A KeySet does not change once loaded and is safe for concurrent use. To
// pick up a key added to the directory, load the directory again.
type KeySet struct {
	keys []key                     // ordered by file name: the last one signs
	byID map[string]*rsa.PublicKey // every key, by key id
}

type key struct {
	id   string
	priv *rsa.PrivateKey
}

// PublicKey is one verification key of a KeySet, with its key id (the kid
// header of the tokens it signs). It is what a JWKS document publishes.
type PublicKey struct {
	KID string
	Key *rsa.PublicKey
}

// LoadOrCreateKeys loads every *.pem key in dir. When dir holds none, it
// creates dir (mode 0700) if needed and one new RSA-2048 key in it, so the
// first start of a server needs no setup.
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
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("auth: key directory: %w", err)
	}
	ks, err := loadKeys(dir)
	if err != nil || len(ks.keys) > 0 {
		return ks, err
	}
	if _, err := NewKey(dir); err != nil {
		return nil, err
	}
	ks, err = loadKeys(dir)
	if err == nil && len(ks.keys) == 0 {
		err = fmt.Errorf("auth: no key in %s after creating one", dir)
	}
	return ks, err
}

// NewKey creates a new RSA-2048 signing key in dir and returns its key id.
// Its file name, key-<UTC creation time>-<kid>.pem, sorts after the keys
// NewKey created before it, so a KeySet loaded afterwards signs with it
// while still verifying tokens signed by the older keys. The file appears
// atomically, with mode 0600.
func NewKey(dir string) (kid string, err error) {
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
	name := "key-" + time.Now().UTC().Format("20060102T150405.000000000Z") + "-" + kid + ".pem"
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return "", fmt.Errorf("auth: write key: %w", err)
	}
	return kid, nil
}

// loadKeys reads every key file in dir, in file name order.
func loadKeys(dir string) (*KeySet, error) {
	entries, err := os.ReadDir(dir) // sorted by file name
	if err != nil {
		return nil, fmt.Errorf("auth: key directory: %w", err)
	}
	ks := &KeySet{byID: map[string]*rsa.PublicKey{}}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".pem") {
			continue
		}
		path := filepath.Join(dir, name)
		// Follow symbolic links (mounted secrets are often links); skip directories.
		if fi, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("auth: key file: %w", err)
		} else if !fi.Mode().IsRegular() {
			continue
		}
		priv, err := readKey(path)
		if err != nil {
			return nil, err
		}
		id, err := keyID(&priv.PublicKey)
		if err != nil {
			return nil, err
		}
		if _, dup := ks.byID[id]; dup {
			// The same key twice: keep its first place in the order.
			continue
		}
		ks.keys = append(ks.keys, key{id: id, priv: priv})
		ks.byID[id] = &priv.PublicKey
	}
	return ks, nil
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

// SigningKey returns the key that signs new tokens and its key id.
func (k *KeySet) SigningKey() (kid string, priv *rsa.PrivateKey, err error) {
	if k == nil || len(k.keys) == 0 {
		return "", nil, errNoKeys
	}
	last := k.keys[len(k.keys)-1]
	return last.id, last.priv, nil
}

// PublicKeys returns every verification key, the signing key last.
func (k *KeySet) PublicKeys() []PublicKey {
	if k == nil {
		return nil
	}
	out := make([]PublicKey, len(k.keys))
	for i, key := range k.keys {
		out[i] = PublicKey{KID: key.id, Key: &key.priv.PublicKey}
	}
	return out
}

// publicKey returns the verification key with the given key id.
func (k *KeySet) publicKey(kid string) (*rsa.PublicKey, bool) {
	if k == nil {
		return nil, false
	}
	pub, ok := k.byID[kid]
	return pub, ok
}
