package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/qrpin/qrpin/store"
)

var staffTests = []test{
	{"StaffSession/CreateUpdateDelete", testStaffSession},
	{"StaffSession/ExpiredDeletedOnCreate", testStaffSessionPrune},
	{"StaffSession/PruneStaffSessions", testPruneStaffSessions},
}

func newStaffSession(id string) store.StaffSession {
	return store.StaffSession{ID: id, UserID: newID(), AuthTime: t0.Add(-time.Minute), Created: t0,
		LastSeen: t0, Expires: t0.Add(time.Hour)}
}

// readStaffSession reads a session through an update that changes nothing.
func readStaffSession(t *testing.T, s store.Store, id string) (store.StaffSession, error) {
	t.Helper()
	return s.UpdateStaffSession(t.Context(), id, func(*store.StaffSession) error { return nil })
}

func testStaffSession(t *testing.T, s store.Store) {
	ctx := t.Context()
	ss := newStaffSession("sess1")
	must(t, s.CreateStaffSession(ctx, ss), "CreateStaffSession")
	check(t, s.CreateStaffSession(ctx, newStaffSession("sess1")), store.ErrConflict, "CreateStaffSession with an id in use")
	got, err := readStaffSession(t, s, "sess1")
	must(t, err, "read the session")
	equal(t, got, ss, "the stored session")
	_, err = readStaffSession(t, s, "nope")
	check(t, err, store.ErrNotFound, "UpdateStaffSession of a missing id")

	want := ss
	want.LastSeen, want.AuthTime = t0.Add(time.Minute), t0
	up, err := s.UpdateStaffSession(ctx, "sess1", func(x *store.StaffSession) error {
		x.ID = "changed" // ignored
		x.LastSeen, x.AuthTime = want.LastSeen, want.AuthTime
		return nil
	})
	must(t, err, "UpdateStaffSession")
	equal(t, up, want, "UpdateStaffSession's result")
	refuse := &fnError{"update staff session"}
	_, err = s.UpdateStaffSession(ctx, "sess1", func(x *store.StaffSession) error { x.UserID = "other"; return refuse })
	check(t, err, refuse, "UpdateStaffSession whose fn fails")
	got, _ = readStaffSession(t, s, "sess1")
	equal(t, got, want, "the session after a refused update")

	other := newStaffSession("sess2")
	must(t, s.CreateStaffSession(ctx, other), "CreateStaffSession sess2")
	must(t, s.DeleteStaffSession(ctx, "sess1"), "DeleteStaffSession")
	_, err = readStaffSession(t, s, "sess1")
	check(t, err, store.ErrNotFound, "a deleted session")
	must(t, s.DeleteStaffSession(ctx, "sess1"), "DeleteStaffSession of a missing session")
	got, err = readStaffSession(t, s, "sess2")
	must(t, err, "the other session after a delete")
	equal(t, got, other, "the other session")
}

func testStaffSessionPrune(t *testing.T, s store.Store) {
	ctx := t.Context()
	old := newStaffSession("old")
	old.Expires = t0.Add(time.Minute)
	keep := newStaffSession("keep")
	for _, ss := range []store.StaffSession{old, keep} {
		must(t, s.CreateStaffSession(ctx, ss), "CreateStaffSession "+ss.ID)
	}
	later := newStaffSession("later")
	later.Created = t0.Add(time.Minute)
	must(t, s.CreateStaffSession(ctx, later), "CreateStaffSession later")
	_, err := readStaffSession(t, s, "old")
	check(t, err, store.ErrNotFound, "a session expired at a later CreateStaffSession's time")
	_, err = readStaffSession(t, s, "keep")
	must(t, err, "a session not expired")
}

func testPruneStaffSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	now := t0.Add(minute(3))
	// Created at t0 (so that none prunes another): expired before now,
	// at now (two), a microsecond after.
	for i, exp := range []time.Time{t0.Add(minute(1)), now, now, now.Add(us)} {
		ss := newStaffSession(fmt.Sprintf("staff%d", i))
		ss.Expires = exp
		must(t, s.CreateStaffSession(ctx, ss), "CreateStaffSession "+ss.ID)
	}
	n, err := s.PruneStaffSessions(ctx, now, 2) // statements of 2, 1
	must(t, err, "PruneStaffSessions")
	equal(t, n, 3, "sessions pruned (expired at or before now)")
	n, err = s.PruneStaffSessions(ctx, now, 2)
	must(t, err, "PruneStaffSessions again")
	equal(t, n, 0, "sessions pruned again")
	for _, id := range []string{"staff0", "staff1", "staff2"} {
		_, err := readStaffSession(t, s, id)
		check(t, err, store.ErrNotFound, id+" after PruneStaffSessions")
	}
	_, err = readStaffSession(t, s, "staff3")
	must(t, err, "staff3 (unexpired) after PruneStaffSessions")
	n, err = s.PruneStaffSessions(ctx, t0.Add(day), 0)
	must(t, err, "PruneStaffSessions without a batch")
	equal(t, n, 1, "the last session pruned")
}
