package admin

import (
	"sync"
	"time"
)

// DefaultAppCheckTTL is how long `qrpin serve` trusts an application check
// (Service.AppCheckTTL): a deleted application's tokens stop working on
// every other server within this time, on the server that deleted it at once.
const DefaultAppCheckTTL = time.Second

// maxAppChecks bounds the applications an appChecks remembers.
const maxAppChecks = 1000

// appChecks remembers, by service principal id, the client id that the
// store last returned for an application caller and when, so that
// Authenticate reads the store at most once per Service.AppCheckTTL for
// each application. Only found applications are remembered: a token of an
// unknown one is checked against the store every time. The zero value is
// empty and ready.
type appChecks struct {
	mu  sync.Mutex
	m   map[string]appCheck
	gen uint64 // counts forget calls
}

type appCheck struct {
	appID string
	at    time.Time // when the store said so
}

// get returns the client id remembered for the service principal, if it
// was read from the store less than ttl before now; else the generation to
// hand to put with what the store says.
func (c *appChecks) get(spID string, now time.Time, ttl time.Duration) (appID string, ok bool, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[spID]
	if !ok || now.Sub(e.at) >= ttl || now.Before(e.at) {
		return "", false, c.gen
	}
	return e.appID, true, 0
}

// put remembers what the store said at now, unless an application was
// forgotten since get returned gen (the store's answer may predate the
// deletion); when full, it first drops the entries older than ttl, then
// all of them.
func (c *appChecks) put(spID, appID string, now time.Time, ttl time.Duration, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil {
		c.m = make(map[string]appCheck)
	}
	if len(c.m) >= maxAppChecks {
		for k, e := range c.m {
			if now.Sub(e.at) >= ttl {
				delete(c.m, k)
			}
		}
		if len(c.m) >= maxAppChecks {
			clear(c.m)
		}
	}
	c.m[spID] = appCheck{appID: appID, at: now}
}

// forget drops what is remembered of a service principal: its application
// was just deleted here.
func (c *appChecks) forget(spID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, spID)
	c.gen++
}
