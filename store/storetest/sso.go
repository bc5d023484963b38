package storetest

import (
	"testing"
	"time"

	"github.com/qrpin/qrpin/store"
)

func newSSOSession(id string) store.SSOSession {
	return store.SSOSession{ID: id, UserID: newID(), AuthTime: t0.Add(-time.Minute), Created: t0,
		Expires: t0.Add(time.Hour), ClientIDs: []string{newID()}}
}

func testSSOSession(t *testing.T, s store.Store) {
	ctx := t.Context()
	ss := newSSOSession("sess1")
	must(t, s.CreateSSOSession(ctx, ss), "CreateSSOSession")
	check(t, s.CreateSSOSession(ctx, newSSOSession("sess1")), store.ErrConflict, "CreateSSOSession with an id in use")
	got, err := s.GetSSOSession(ctx, "sess1")
	must(t, err, "GetSSOSession")
	equal(t, got, ss, "GetSSOSession")
	_, err = s.GetSSOSession(ctx, "nope")
	check(t, err, store.ErrNotFound, "GetSSOSession of a missing id")

	want := ss
	want.ClientIDs = append([]string{}, ss.ClientIDs[0], "second")
	want.AuthTime, want.Expires = t0, t0.Add(2*time.Hour)
	up, err := s.UpdateSSOSession(ctx, "sess1", func(x *store.SSOSession) error {
		x.ID = "changed" // ignored
		x.ClientIDs = append(x.ClientIDs, "second")
		x.AuthTime, x.Expires = want.AuthTime, want.Expires
		return nil
	})
	must(t, err, "UpdateSSOSession")
	equal(t, up, want, "UpdateSSOSession's result")
	refuse := &fnError{"update sso session"}
	_, err = s.UpdateSSOSession(ctx, "sess1", func(x *store.SSOSession) error { x.ClientIDs = nil; return refuse })
	check(t, err, refuse, "UpdateSSOSession whose fn fails")
	got, _ = s.GetSSOSession(ctx, "sess1")
	equal(t, got, want, "the session after a refused update")
	_, err = s.UpdateSSOSession(ctx, "nope", func(*store.SSOSession) error { return nil })
	check(t, err, store.ErrNotFound, "UpdateSSOSession of a missing id")

	took, err := s.TakeSSOSession(ctx, "sess1")
	must(t, err, "TakeSSOSession")
	equal(t, took, want, "TakeSSOSession's result")
	_, err = s.TakeSSOSession(ctx, "sess1")
	check(t, err, store.ErrNotFound, "TakeSSOSession of a taken session")
	_, err = s.GetSSOSession(ctx, "sess1")
	check(t, err, store.ErrNotFound, "GetSSOSession of a taken session")
}

func testSSOSessionPrune(t *testing.T, s store.Store) {
	ctx := t.Context()
	old := newSSOSession("old")
	old.Expires = t0.Add(time.Minute)
	keep := newSSOSession("keep")
	for _, ss := range []store.SSOSession{old, keep} {
		must(t, s.CreateSSOSession(ctx, ss), "CreateSSOSession "+ss.ID)
	}
	later := newSSOSession("later")
	later.Created = t0.Add(time.Minute)
	must(t, s.CreateSSOSession(ctx, later), "CreateSSOSession later")
	_, err := s.GetSSOSession(ctx, "old")
	check(t, err, store.ErrNotFound, "a session expired at a later CreateSSOSession's time")
	_, err = s.GetSSOSession(ctx, "keep")
	must(t, err, "a session not expired")
}

func testConcurrentTakeSSOSession(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.CreateSSOSession(ctx, newSSOSession("s1")), "CreateSSOSession")
	errs := race(20, func(int) error {
		_, err := s.TakeSSOSession(ctx, "s1")
		return err
	})
	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
			continue
		}
		check(t, err, store.ErrNotFound, "a concurrent TakeSSOSession")
	}
	if wins != 1 {
		t.Fatalf("%d concurrent takes succeeded, want exactly 1", wins)
	}
}
