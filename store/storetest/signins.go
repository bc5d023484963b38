package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/qrpin/qrpin/store"
)

var signInTests = []test{
	{"SignIn/CreateTake", testSignInCreateTake},
	{"SignIn/AuthRequest", testSignInAuthRequest},
	{"SignIn/Expiry", testSignInExpiry},
	{"SignIn/Conflicts", testSignInConflicts},
	{"SignIn/DeleteUser", testSignInDeleteUser},
	{"Concurrency/TakeSignInOnce", testConcurrentTakeSignIn},
}

func newSignIn(userID, id string) store.SignIn {
	return store.SignIn{ID: id, UserID: userID, CodeID: newID(), Stage: "pin", PINRef: "ref-" + id,
		Created: t0, Expires: t0.Add(5 * time.Minute)}
}

func testSignInCreateTake(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "signin@contoso.com")
	si := newSignIn(u.ID, "h1")
	must(t, s.CreateSignIn(ctx, si), "CreateSignIn")
	got, err := s.TakeSignIn(ctx, "h1", t0)
	must(t, err, "TakeSignIn")
	equal(t, got, si, "TakeSignIn")
	_, err = s.TakeSignIn(ctx, "h1", t0)
	check(t, err, store.ErrNotFound, "TakeSignIn again (single use)")
	_, err = s.TakeSignIn(ctx, "nope", t0)
	check(t, err, store.ErrNotFound, "TakeSignIn of a missing id")
}

// testSignInAuthRequest: a transaction keeps the authorization request it
// serves, and one without keeps none.
func testSignInAuthRequest(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "signin@contoso.com")
	for _, req := range []string{"", "a", "Az09_-" + strings.Repeat("x", 122)} {
		si := newSignIn(u.ID, "h-"+req)
		si.AuthRequest = req
		must(t, s.CreateSignIn(ctx, si), "CreateSignIn")
		got, err := s.TakeSignIn(ctx, si.ID, t0)
		must(t, err, "TakeSignIn")
		equal(t, got, si, "TakeSignIn with the authorization request "+req)
	}
	// Another transaction's request does not leak into one without.
	with := newSignIn(u.ID, "with")
	with.AuthRequest = "req-1"
	without := newSignIn(u.ID, "without")
	must(t, s.CreateSignIn(ctx, with), "CreateSignIn with")
	must(t, s.CreateSignIn(ctx, without), "CreateSignIn without")
	got, err := s.TakeSignIn(ctx, "without", t0)
	must(t, err, "TakeSignIn without")
	equal(t, got.AuthRequest, "", "AuthRequest of a transaction without one")
	got, err = s.TakeSignIn(ctx, "with", t0)
	must(t, err, "TakeSignIn with")
	equal(t, got.AuthRequest, "req-1", "AuthRequest")
}

func testSignInExpiry(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "signin@contoso.com")
	si := newSignIn(u.ID, "h1")
	must(t, s.CreateSignIn(ctx, si), "CreateSignIn")
	_, err := s.TakeSignIn(ctx, "h1", si.Expires)
	check(t, err, store.ErrNotFound, "TakeSignIn at Expires")
	// The expired row is gone: taking it earlier fails too.
	_, err = s.TakeSignIn(ctx, "h1", t0)
	check(t, err, store.ErrNotFound, "TakeSignIn after an expired take")

	si2 := newSignIn(u.ID, "h2")
	must(t, s.CreateSignIn(ctx, si2), "CreateSignIn h2")
	_, err = s.TakeSignIn(ctx, "h2", si2.Expires.Add(-us))
	must(t, err, "TakeSignIn a microsecond before Expires")

	// Creating a transaction deletes the ones expired at its Created time.
	old := newSignIn(u.ID, "old")
	must(t, s.CreateSignIn(ctx, old), "CreateSignIn old")
	later := newSignIn(u.ID, "later")
	later.Created, later.Expires = old.Expires, old.Expires.Add(day)
	must(t, s.CreateSignIn(ctx, later), "CreateSignIn later")
	_, err = s.TakeSignIn(ctx, "old", t0)
	check(t, err, store.ErrNotFound, "an expired transaction after a later CreateSignIn")
	_, err = s.TakeSignIn(ctx, "later", later.Created)
	must(t, err, "TakeSignIn later")
}

func testSignInConflicts(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "signin@contoso.com")
	must(t, s.CreateSignIn(ctx, newSignIn(u.ID, "h1")), "CreateSignIn")
	check(t, s.CreateSignIn(ctx, newSignIn(u.ID, "h1")), store.ErrConflict, "CreateSignIn with an id in use")
	check(t, s.CreateSignIn(ctx, newSignIn(newID(), "h2")), store.ErrNotFound, "CreateSignIn for a missing user")
}

func testSignInDeleteUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "signin@contoso.com")
	must(t, s.CreateSignIn(ctx, newSignIn(u.ID, "h1")), "CreateSignIn")
	must(t, s.DeleteUser(ctx, u.ID), "DeleteUser")
	_, err := s.TakeSignIn(ctx, "h1", t0)
	check(t, err, store.ErrNotFound, "TakeSignIn after DeleteUser")
}

func testConcurrentTakeSignIn(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "signin@contoso.com")
	must(t, s.CreateSignIn(ctx, newSignIn(u.ID, "h1")), "CreateSignIn")
	errs := race(20, func(int) error {
		_, err := s.TakeSignIn(ctx, "h1", t0)
		return err
	})
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		default:
			check(t, err, store.ErrNotFound, "TakeSignIn "+string(rune('a'+i)))
		}
	}
	if wins != 1 {
		t.Fatalf("%d concurrent takes succeeded, want exactly 1", wins)
	}
}
