package auth

import (
	"crypto/sha256"
	"slices"
	"sync"
	"time"
)

// DefaultVerifiedTokens is how many verified tokens a Tokens remembers when
// Tokens.VerifiedTokens is zero. An entry is about half a kilobyte.
const DefaultVerifiedTokens = 10000

// verified is a token Verify accepted: the caller it names, the key that
// signed it, and when it is valid (from From, until before Until: its nbf
// or iat, whichever is later, and its exp, each widened by the skew, as the
// JWT library checks them).
type verified struct {
	p           Principal
	kid         string
	from, until time.Time
}

// tokenCache remembers verified tokens by the SHA-256 of their text, so
// that a client sending the same token again costs a hash and a map lookup
// instead of a JWT parse and an RSA verification. Only tokens that passed
// every check are kept (a forged or expired one is checked in full every
// time), each until its exp. The entries belong to one view of the key set:
// when the keys change (a key added, removed or changed on disk) every
// entry is dropped, and an entry whose signing key no longer verifies
// (superseded more than KeyRetention ago) is not used.
//
// The cache only replaces signature and claim checks: whatever checks the
// caller against the store (the application still exists, the user is
// still enabled) runs on every request whether the token was cached or not.
type tokenCache struct {
	mu   sync.RWMutex
	keys *keyState // the key set the entries were verified with
	m    map[[sha256.Size]byte]verified
}

// get returns the principal of a remembered token valid at now, verified
// with the key set keys.
func (c *tokenCache) get(sum [sha256.Size]byte, keys *keyState, now time.Time) (Principal, bool) {
	c.mu.RLock()
	v, ok := c.m[sum]
	current := c.keys == keys
	c.mu.RUnlock()
	if !ok || !current || now.Before(v.from) || !now.Before(v.until) {
		return Principal{}, false
	}
	i, ok := keys.byID[v.kid]
	if !ok || !keys.keys[i].verifies(now) {
		return Principal{}, false
	}
	return v.p, true
}

// put remembers a token verified with the key set keys, making room when
// the cache holds max entries: first by dropping the entries expired at
// now, then, if none was, an arbitrary tenth of them.
func (c *tokenCache) put(sum [sha256.Size]byte, v verified, keys *keyState, now time.Time, max int) {
	if max <= 0 || keys == nil {
		return
	}
	// The principal is shared by every request with this token: clip its
	// lists so that a caller appending to one gets a copy.
	v.p.Scopes = slices.Clip(v.p.Scopes)
	v.p.Roles = slices.Clip(v.p.Roles)
	v.p.DirectoryRoles = slices.Clip(v.p.DirectoryRoles)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keys != keys || c.m == nil {
		c.keys = keys
		c.m = make(map[[sha256.Size]byte]verified)
	}
	if len(c.m) >= max {
		for k, e := range c.m {
			if !now.Before(e.until) {
				delete(c.m, k)
			}
		}
		for k := range c.m {
			if len(c.m) < max-max/10 {
				break
			}
			delete(c.m, k)
		}
	}
	c.m[sum] = v
}

// len returns how many tokens the cache holds (for tests).
func (c *tokenCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
