package spool

import (
	"errors"
	"fmt"
	"os"

	"filippo.io/age"
)

// Key says how a spool is encrypted: with a passphrase (age scrypt) or to
// an operator's age recipients, read back with the matching identities.
// The zero Key encrypts to nothing and is refused by Create and Open.
type Key struct {
	passphrase string
	recipients []age.Recipient
	identities []age.Identity
	workFactor int // scrypt log2(N) for Create; 0 means age's default
}

// Passphrase returns a Key that encrypts the spool with passphrase p
// (age's scrypt recipient). Deriving the key costs about a second by
// design, and a spool pays it once per Create and once per Open.
func Passphrase(p string) Key {
	return Key{passphrase: p}
}

// Recipients returns a Key that encrypts the spool to the operator's age
// recipients (public keys, "age1..."). Such a Key can Create a spool and
// append to the Spool Create returns, but Open needs the identities.
func Recipients(r ...age.Recipient) Key {
	return Key{recipients: append([]age.Recipient(nil), r...)}
}

// Identities returns a Key that opens a spool encrypted to the recipients
// of these identities (secret keys, "AGE-SECRET-KEY-1..."). Create accepts
// it too: it then encrypts to the identities' own recipients.
func Identities(id ...age.Identity) Key {
	return Key{identities: append([]age.Identity(nil), id...)}
}

// RecipientsFile reads a Key from an age recipients file: one public key
// per line, with "#" comments and blank lines allowed.
func RecipientsFile(path string) (Key, error) {
	f, err := os.Open(path)
	if err != nil {
		return Key{}, fmt.Errorf("spool: reading recipients: %w", err)
	}
	defer f.Close()
	r, err := age.ParseRecipients(f)
	if err != nil {
		return Key{}, fmt.Errorf("spool: recipients file %s: %w", path, err)
	}
	return Recipients(r...), nil
}

// IdentityFile reads a Key from an age identity file, as written by
// age-keygen. The error never quotes the file's content.
func IdentityFile(path string) (Key, error) {
	f, err := os.Open(path)
	if err != nil {
		return Key{}, fmt.Errorf("spool: reading identity: %w", err)
	}
	defer f.Close()
	id, err := age.ParseIdentities(f)
	if err != nil {
		// age's parse errors may quote a malformed line, which could be
		// most of a secret key: name the file only.
		return Key{}, fmt.Errorf("spool: identity file %s is not an age identity file", path)
	}
	return Identities(id...), nil
}

// WithScryptWorkFactor returns a copy of a passphrase Key whose Create uses
// scrypt cost 2^logN instead of age's default (2^18, about a second).
// It exists for tests and benchmarks; production spools keep the default.
// logN must be 1 to 22: Open reads the cost from the file and, as age
// does, refuses more than 2^22.
func (k Key) WithScryptWorkFactor(logN int) Key {
	k.workFactor = logN
	return k
}

// mode is how a spool's header is encrypted; it is stored in the file so
// that opening with the wrong kind of Key gets a precise error.
type mode byte

const (
	modePassphrase mode = 1
	modeRecipients mode = 2
)

func (m mode) String() string {
	switch m {
	case modePassphrase:
		return "a passphrase"
	case modeRecipients:
		return "age recipients"
	}
	return fmt.Sprintf("unknown mode %d", byte(m))
}

// maxWorkFactor is the highest scrypt cost (log2) Open accepts: age's
// default limit, which keeps a forged header from stalling Open.
const maxWorkFactor = 22

var errNoKey = errors.New("spool: no passphrase, recipient or identity given")

// encryptTo returns the mode and the recipients Create encrypts to.
func (k Key) encryptTo() (mode, []age.Recipient, error) {
	switch {
	case k.passphrase != "":
		r, err := age.NewScryptRecipient(k.passphrase)
		if err != nil {
			return 0, nil, fmt.Errorf("spool: passphrase: %w", err)
		}
		if k.workFactor != 0 {
			if k.workFactor < 1 || k.workFactor > maxWorkFactor {
				return 0, nil, fmt.Errorf("spool: scrypt work factor %d out of range 1..%d", k.workFactor, maxWorkFactor)
			}
			r.SetWorkFactor(k.workFactor)
		}
		return modePassphrase, []age.Recipient{r}, nil
	case len(k.recipients) > 0:
		for _, r := range k.recipients {
			if _, ok := r.(*age.ScryptRecipient); ok {
				return 0, nil, errors.New("spool: give a passphrase with Passphrase, not as an scrypt recipient")
			}
		}
		return modeRecipients, k.recipients, nil
	case len(k.identities) > 0:
		var rs []age.Recipient
		for _, id := range k.identities {
			switch id := id.(type) {
			case *age.X25519Identity:
				rs = append(rs, id.Recipient())
			case *age.HybridIdentity:
				rs = append(rs, id.Recipient())
			default:
				return 0, nil, fmt.Errorf("spool: cannot derive a recipient from identity type %T: give the recipients", id)
			}
		}
		return modeRecipients, rs, nil
	}
	return 0, nil, errNoKey
}

// decryptWith returns the mode and the identities Open decrypts with.
func (k Key) decryptWith() (mode, []age.Identity, error) {
	switch {
	case k.passphrase != "":
		id, err := age.NewScryptIdentity(k.passphrase)
		if err != nil {
			return 0, nil, fmt.Errorf("spool: passphrase: %w", err)
		}
		id.SetMaxWorkFactor(maxWorkFactor)
		return modePassphrase, []age.Identity{id}, nil
	case len(k.identities) > 0:
		return modeRecipients, k.identities, nil
	case len(k.recipients) > 0:
		return 0, nil, errors.New("spool: opening a spool needs the identity (AGE-SECRET-KEY-1...), not only recipients (public keys)")
	}
	return 0, nil, errNoKey
}
