package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/qrpin/qrpin/store"
)

var oidcTests = []test{
	{"AuthRequest/CreateGetUpdate", testAuthRequestCreateGetUpdate},
	{"AuthRequest/Conflicts", testAuthRequestConflicts},
	{"AuthRequest/Prune", testAuthRequestPrune},
	{"RefreshToken/CreateRotate", testRefreshTokenCreateRotate},
	{"RefreshToken/DeleteFamily", testRefreshTokenDeleteFamily},
	{"RefreshToken/Prune", testRefreshTokenPrune},
	{"OIDC/PruneOIDC", testPruneOIDC},
	{"Concurrency/RotateRefreshTokenOnce", testConcurrentRotateRefreshToken},
	{"AuthRequest/Redeem", testRedeemAuthRequest},
	{"Concurrency/RedeemAuthRequestOnce", testConcurrentRedeemAuthRequest},
	{"SSOSession/CreateGetUpdateTake", testSSOSession},
	{"SSOSession/Prune", testSSOSessionPrune},
	{"Concurrency/TakeSSOSessionOnce", testConcurrentTakeSSOSession},
}

func newAuthRequest(id string) store.AuthRequest {
	return store.AuthRequest{ID: id, Flow: "code", ClientID: newID(), AppName: "Timesheets", Resource: "Microsoft Graph",
		RedirectURI: "https://app.contoso.com/cb",
		Scopes:      []string{"openid", "profile"}, State: "st", Nonce: "n", ResponseMode: "query",
		CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", LoginHint: "worker@contoso.com",
		Created: t0, Expires: t0.Add(5 * time.Minute)}
}

func testAuthRequestCreateGetUpdate(t *testing.T, s store.Store) {
	ctx := t.Context()
	r := newAuthRequest("req1")
	must(t, s.CreateAuthRequest(ctx, r), "CreateAuthRequest")
	got, err := s.GetAuthRequest(ctx, "req1")
	must(t, err, "GetAuthRequest")
	equal(t, got, r, "GetAuthRequest")
	_, err = s.GetAuthRequest(ctx, "nope")
	check(t, err, store.ErrNotFound, "GetAuthRequest of a missing id")
	_, err = s.GetAuthRequestByCode(ctx, "")
	check(t, err, store.ErrNotFound, "GetAuthRequestByCode of an empty hash")
	_, err = s.GetAuthRequestByUserCode(ctx, "")
	check(t, err, store.ErrNotFound, "GetAuthRequestByUserCode of an empty code")

	want := r
	want.UserID, want.AuthTime, want.CodeHash = newID(), t0.Add(time.Second), "hash1"
	up, err := s.UpdateAuthRequest(ctx, "req1", func(a *store.AuthRequest) error {
		a.ID = "changed" // ignored
		a.UserID, a.AuthTime, a.CodeHash = want.UserID, want.AuthTime, want.CodeHash
		return nil
	})
	must(t, err, "UpdateAuthRequest")
	equal(t, up, want, "UpdateAuthRequest's result")
	got, err = s.GetAuthRequestByCode(ctx, "hash1")
	must(t, err, "GetAuthRequestByCode")
	equal(t, got, want, "GetAuthRequestByCode")

	refuse := &fnError{"update auth request"}
	_, err = s.UpdateAuthRequest(ctx, "req1", func(a *store.AuthRequest) error { a.Redeemed = true; return refuse })
	check(t, err, refuse, "UpdateAuthRequest whose fn fails")
	got, _ = s.GetAuthRequest(ctx, "req1")
	equal(t, got, want, "the request after a refused update")
	_, err = s.UpdateAuthRequest(ctx, "nope", func(*store.AuthRequest) error { return nil })
	check(t, err, store.ErrNotFound, "UpdateAuthRequest of a missing id")

	d := newAuthRequest("dev1")
	d.Flow, d.RedirectURI, d.UserCode = "device", "", "BCDF-GHJK"
	must(t, s.CreateAuthRequest(ctx, d), "CreateAuthRequest device")
	got, err = s.GetAuthRequestByUserCode(ctx, "BCDF-GHJK")
	must(t, err, "GetAuthRequestByUserCode")
	equal(t, got, d, "GetAuthRequestByUserCode")
}

func testAuthRequestConflicts(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := newAuthRequest("a"), newAuthRequest("b")
	a.CodeHash, a.UserCode = "ha", "UA"
	must(t, s.CreateAuthRequest(ctx, a), "CreateAuthRequest a")
	must(t, s.CreateAuthRequest(ctx, b), "CreateAuthRequest b (no code: empty hashes are not unique values)")
	check(t, s.CreateAuthRequest(ctx, newAuthRequest("a")), store.ErrConflict, "CreateAuthRequest with an id in use")
	c := newAuthRequest("c")
	c.CodeHash = "ha"
	check(t, s.CreateAuthRequest(ctx, c), store.ErrConflict, "CreateAuthRequest with a code hash in use")
	c.CodeHash, c.UserCode = "", "UA"
	check(t, s.CreateAuthRequest(ctx, c), store.ErrConflict, "CreateAuthRequest with a user code in use")
	_, err := s.UpdateAuthRequest(ctx, "b", func(r *store.AuthRequest) error { r.CodeHash = "ha"; return nil })
	check(t, err, store.ErrConflict, "UpdateAuthRequest to a code hash in use")
	got, _ := s.GetAuthRequest(ctx, "b")
	equal(t, got, b, "b after the refused update")
}

func testAuthRequestPrune(t *testing.T, s store.Store) {
	ctx := t.Context()
	old := newAuthRequest("old")
	must(t, s.CreateAuthRequest(ctx, old), "CreateAuthRequest old")
	keep := newAuthRequest("keep")
	keep.Expires = old.Expires.Add(us)
	must(t, s.CreateAuthRequest(ctx, keep), "CreateAuthRequest keep")
	later := newAuthRequest("later")
	later.Created, later.Expires = old.Expires, old.Expires.Add(time.Hour)
	must(t, s.CreateAuthRequest(ctx, later), "CreateAuthRequest later")
	_, err := s.GetAuthRequest(ctx, "old")
	check(t, err, store.ErrNotFound, "a request expired at a later CreateAuthRequest's time")
	_, err = s.GetAuthRequest(ctx, "keep")
	must(t, err, "a request expiring a microsecond later")
}

func newRefreshToken(id, family string) store.RefreshToken {
	return store.RefreshToken{ID: id, FamilyID: family, ClientID: newID(), UserID: newID(),
		Scopes: []string{"openid", "offline_access"}, AuthTime: t0, FamilyCreated: t0, Created: t0,
		IdleExpires: t0.Add(day), Expires: t0.Add(90 * day), Confidential: true}
}

func testRefreshTokenCreateRotate(t *testing.T, s store.Store) {
	ctx := t.Context()
	r1 := newRefreshToken("r1", "fam")
	must(t, s.CreateRefreshToken(ctx, r1), "CreateRefreshToken")
	check(t, s.CreateRefreshToken(ctx, r1), store.ErrConflict, "CreateRefreshToken with an id in use")
	got, err := s.GetRefreshToken(ctx, "r1")
	must(t, err, "GetRefreshToken")
	equal(t, got, r1, "GetRefreshToken")
	_, err = s.GetRefreshToken(ctx, "nope")
	check(t, err, store.ErrNotFound, "GetRefreshToken of a missing id")

	r2 := newRefreshToken("r2", "fam")
	r2.Created = t0.Add(time.Hour)
	must(t, s.RotateRefreshToken(ctx, "r1", r2), "RotateRefreshToken")
	got, _ = s.GetRefreshToken(ctx, "r1")
	want := r1
	want.Rotated = true
	equal(t, got, want, "the rotated token")
	got, err = s.GetRefreshToken(ctx, "r2")
	must(t, err, "GetRefreshToken of the new token")
	equal(t, got, r2, "the new token")

	r3 := newRefreshToken("r3", "fam")
	check(t, s.RotateRefreshToken(ctx, "r1", r3), store.ErrConflict, "RotateRefreshToken of a rotated token")
	_, err = s.GetRefreshToken(ctx, "r3")
	check(t, err, store.ErrNotFound, "the token of a refused rotation")
	check(t, s.RotateRefreshToken(ctx, "nope", r3), store.ErrNotFound, "RotateRefreshToken of a missing token")
	check(t, s.RotateRefreshToken(ctx, "r2", newRefreshToken("r1", "fam")), store.ErrConflict, "RotateRefreshToken to an id in use")
	got, _ = s.GetRefreshToken(ctx, "r2")
	equal(t, got, r2, "r2 after a refused rotation")
}

func testRefreshTokenDeleteFamily(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.CreateRefreshToken(ctx, newRefreshToken("a1", "A")), "CreateRefreshToken a1")
	must(t, s.RotateRefreshToken(ctx, "a1", newRefreshToken("a2", "A")), "RotateRefreshToken a1")
	must(t, s.CreateRefreshToken(ctx, newRefreshToken("b1", "B")), "CreateRefreshToken b1")
	must(t, s.DeleteRefreshFamily(ctx, "A"), "DeleteRefreshFamily")
	must(t, s.DeleteRefreshFamily(ctx, "none"), "DeleteRefreshFamily of no tokens")
	for _, id := range []string{"a1", "a2"} {
		_, err := s.GetRefreshToken(ctx, id)
		check(t, err, store.ErrNotFound, "GetRefreshToken "+id+" after DeleteRefreshFamily")
	}
	_, err := s.GetRefreshToken(ctx, "b1")
	must(t, err, "another family's token")
}

func testRefreshTokenPrune(t *testing.T, s store.Store) {
	ctx := t.Context()
	idle := newRefreshToken("idle", "A")
	idle.IdleExpires = t0.Add(time.Hour)
	abs := newRefreshToken("abs", "B")
	abs.Expires = t0.Add(time.Hour)
	keep := newRefreshToken("keep", "C")
	for _, r := range []store.RefreshToken{idle, abs, keep} {
		must(t, s.CreateRefreshToken(ctx, r), "CreateRefreshToken "+r.ID)
	}
	later := newRefreshToken("later", "D")
	later.Created = t0.Add(time.Hour)
	must(t, s.CreateRefreshToken(ctx, later), "CreateRefreshToken later")
	for _, id := range []string{"idle", "abs"} {
		_, err := s.GetRefreshToken(ctx, id)
		check(t, err, store.ErrNotFound, id+" expired at a later CreateRefreshToken's time")
	}
	_, err := s.GetRefreshToken(ctx, "keep")
	must(t, err, "a token not expired")
}

func testPruneOIDC(t *testing.T, s store.Store) {
	ctx := t.Context()
	now := t0.Add(minute(3))
	// Requests expiring at minutes 1 to 5, created at t0 (so that no
	// CreateAuthRequest prunes another): a code request, a device request
	// and a redeemed code (a tombstone) among those expired at now.
	var requests []string
	for i := 1; i <= 5; i++ {
		r := newAuthRequest(fmt.Sprintf("req%d", i))
		r.Expires = t0.Add(minute(i))
		switch i {
		case 2:
			r.Flow, r.RedirectURI, r.UserCode = "device", "", "BCDF-GHJK"
		case 3:
			r.CodeHash, r.Redeemed = "hash3", true
		}
		must(t, s.CreateAuthRequest(ctx, r), "CreateAuthRequest "+r.ID)
		requests = append(requests, r.ID)
	}
	// Refresh tokens: idle-expired before now, absolutely expired at now
	// (and rotated), idle-expiring a microsecond after now, unexpired.
	idle := newRefreshToken("idle", "A")
	idle.IdleExpires = t0.Add(minute(2))
	abs := newRefreshToken("abs", "B")
	abs.Expires = now
	after := newRefreshToken("after", "C")
	after.IdleExpires = now.Add(us)
	keep := newRefreshToken("keep", "D")
	for _, r := range []store.RefreshToken{idle, abs, after, keep} {
		must(t, s.CreateRefreshToken(ctx, r), "CreateRefreshToken "+r.ID)
	}
	next := newRefreshToken("abs2", "B")
	next.Expires = now
	must(t, s.RotateRefreshToken(ctx, "abs", next), "RotateRefreshToken abs")

	// Single sign-on sessions, created at t0 (so that none prunes
	// another): expired before now, at now, a microsecond after.
	for i, exp := range []time.Time{t0.Add(minute(1)), now, now.Add(us)} {
		ss := newSSOSession(fmt.Sprintf("sso%d", i))
		ss.Expires = exp
		must(t, s.CreateSSOSession(ctx, ss), "CreateSSOSession "+ss.ID)
	}

	// Requests 1-3 (statements of 2 and 1), tokens idle, abs, abs2
	// (statements of 2 and 1), sessions sso0 and sso1 (a statement of 2,
	// then one of none).
	n, err := s.PruneOIDC(ctx, now, 2)
	must(t, err, "PruneOIDC")
	equal(t, n, 8, "records pruned (expired at or before now)")
	n, err = s.PruneOIDC(ctx, now, 2)
	must(t, err, "PruneOIDC again")
	equal(t, n, 0, "records pruned again")
	for i, id := range requests {
		_, err := s.GetAuthRequest(ctx, id)
		if i < 3 {
			check(t, err, store.ErrNotFound, id+" after PruneOIDC")
		} else {
			must(t, err, id+" (unexpired) after PruneOIDC")
		}
	}
	_, err = s.GetAuthRequestByUserCode(ctx, "BCDF-GHJK")
	check(t, err, store.ErrNotFound, "the pruned device request by its user code")
	_, err = s.GetAuthRequestByCode(ctx, "hash3")
	check(t, err, store.ErrNotFound, "the pruned tombstone by its code")
	for _, id := range []string{"idle", "abs", "abs2"} {
		_, err := s.GetRefreshToken(ctx, id)
		check(t, err, store.ErrNotFound, id+" after PruneOIDC")
	}
	for _, id := range []string{"after", "keep"} {
		_, err := s.GetRefreshToken(ctx, id)
		must(t, err, id+" (unexpired) after PruneOIDC")
	}
	for _, id := range []string{"sso0", "sso1"} {
		_, err := s.GetSSOSession(ctx, id)
		check(t, err, store.ErrNotFound, id+" after PruneOIDC")
	}
	_, err = s.GetSSOSession(ctx, "sso2")
	must(t, err, "sso2 (unexpired) after PruneOIDC")
	n, err = s.PruneOIDC(ctx, t0.Add(100*day), 0)
	must(t, err, "PruneOIDC without a batch")
	equal(t, n, 5, "the last records pruned")
}

func testConcurrentRotateRefreshToken(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.CreateRefreshToken(ctx, newRefreshToken("r1", "fam")), "CreateRefreshToken")
	errs := race(20, func(i int) error {
		return s.RotateRefreshToken(ctx, "r1", newRefreshToken("next"+string(rune('a'+i)), "fam"))
	})
	wins := 0
	for i, err := range errs {
		if err == nil {
			wins++
			continue
		}
		check(t, err, store.ErrConflict, "RotateRefreshToken "+string(rune('a'+i)))
	}
	if wins != 1 {
		t.Fatalf("%d concurrent rotations succeeded, want exactly 1", wins)
	}
}

func testRedeemAuthRequest(t *testing.T, s store.Store) {
	ctx := t.Context()
	r := newAuthRequest("req1")
	r.UserID, r.CodeHash = newID(), "hash1"
	must(t, s.CreateAuthRequest(ctx, r), "CreateAuthRequest")
	old := newRefreshToken("old", "other")
	old.IdleExpires = t0.Add(time.Minute)
	must(t, s.CreateRefreshToken(ctx, old), "CreateRefreshToken old")

	// A refresh token whose id is in use: nothing is written.
	taken := newRefreshToken("old", "req1")
	check(t, s.RedeemAuthRequest(ctx, "req1", &taken), store.ErrConflict, "RedeemAuthRequest with a refresh token id in use")
	got, err := s.GetAuthRequest(ctx, "req1")
	must(t, err, "GetAuthRequest")
	equal(t, got, r, "the request after a refused redemption")

	rt := newRefreshToken("rt1", "req1")
	rt.Created = t0.Add(time.Hour) // the old token's idle expiry is past: pruned
	must(t, s.RedeemAuthRequest(ctx, "req1", &rt), "RedeemAuthRequest")
	want := r
	want.Redeemed = true
	got, err = s.GetAuthRequestByCode(ctx, "hash1")
	must(t, err, "GetAuthRequestByCode after RedeemAuthRequest")
	equal(t, got, want, "the redeemed request")
	gotRT, err := s.GetRefreshToken(ctx, "rt1")
	must(t, err, "GetRefreshToken of the redemption's token")
	equal(t, gotRT, rt, "the redemption's refresh token")
	_, err = s.GetRefreshToken(ctx, "old")
	check(t, err, store.ErrNotFound, "a refresh token expired at the redemption's time")

	again := newRefreshToken("rt2", "req1")
	check(t, s.RedeemAuthRequest(ctx, "req1", &again), store.ErrConflict, "RedeemAuthRequest of a redeemed request")
	_, err = s.GetRefreshToken(ctx, "rt2")
	check(t, err, store.ErrNotFound, "the refresh token of a refused redemption")
	check(t, s.RedeemAuthRequest(ctx, "nope", &again), store.ErrNotFound, "RedeemAuthRequest of a missing id")
	_, err = s.GetRefreshToken(ctx, "rt2")
	check(t, err, store.ErrNotFound, "the refresh token of a missing request's redemption")

	// Without a refresh token (no offline_access): the request alone.
	d := newAuthRequest("req2")
	must(t, s.CreateAuthRequest(ctx, d), "CreateAuthRequest req2")
	must(t, s.RedeemAuthRequest(ctx, "req2", nil), "RedeemAuthRequest without a refresh token")
	got, _ = s.GetAuthRequest(ctx, "req2")
	if !got.Redeemed {
		t.Fatal("req2 is not redeemed")
	}
	check(t, s.RedeemAuthRequest(ctx, "req2", nil), store.ErrConflict, "RedeemAuthRequest of a redeemed request, no refresh token")
}

func testConcurrentRedeemAuthRequest(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.CreateAuthRequest(ctx, newAuthRequest("req1")), "CreateAuthRequest")
	id := func(i int) string { return fmt.Sprintf("rt%d", i) }
	errs := race(20, func(i int) error {
		rt := newRefreshToken(id(i), "req1")
		return s.RedeemAuthRequest(ctx, "req1", &rt)
	})
	wins := 0
	for i, err := range errs {
		_, gerr := s.GetRefreshToken(ctx, id(i))
		if err == nil {
			wins++
			must(t, gerr, "the winner's refresh token")
			continue
		}
		check(t, err, store.ErrConflict, "RedeemAuthRequest "+id(i))
		check(t, gerr, store.ErrNotFound, "the refresh token of a losing redemption")
	}
	if wins != 1 {
		t.Fatalf("%d concurrent redemptions succeeded, want exactly 1", wins)
	}
}
