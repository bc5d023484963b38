package provision

import (
	"sync"

	"github.com/qrpin/qrpin/spool"
)

// badgeIndex is the newest spool entry with a badge of each user, safe for
// concurrent use.
type badgeIndex struct {
	mu     sync.Mutex
	latest map[string]spool.Entry // by user id
}

// latestBadges indexes entries (in the order written).
func latestBadges(entries []spool.Entry) *badgeIndex {
	x := &badgeIndex{latest: map[string]spool.Entry{}}
	for _, e := range entries {
		x.add(e)
	}
	return x
}

func (x *badgeIndex) add(e spool.Entry) {
	if e.Payload == "" {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.latest[e.UserID] = e
}

// get returns the user's newest entry with a badge.
func (x *badgeIndex) get(userID string) (spool.Entry, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	e, ok := x.latest[userID]
	return e, ok
}

// has reports whether the user's newest badge in the spool is code codeID.
func (x *badgeIndex) has(userID, codeID string) bool {
	e, ok := x.get(userID)
	return ok && e.CodeID == codeID
}
