package storetest

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
)

var methodTests = []test{
	{"Methods/CreateMissingUser", testMethodCreateMissingUser},
	{"Methods/CreateConflict", testMethodCreateConflict},
	{"Methods/RoundTrip", testMethodRoundTrip},
	{"Methods/GetMissing", testMethodGetMissing},
	{"Methods/GetByCode", testMethodGetByCode},
	{"Methods/UpdateFields", testMethodUpdateFields},
	{"Methods/UpdateRemoveCode", testMethodUpdateRemoveCode},
	{"Methods/UpdateReplaceCode", testMethodUpdateReplaceCode},
	{"Methods/UpdateMoveCodeID", testMethodUpdateMoveCodeID},
	{"Methods/UpdateResultIsStored", testMethodUpdateResultIsStored},
	{"Methods/UpdateFnError", testMethodUpdateFnError},
	{"Methods/UpdateMissing", testMethodUpdateMissing},
	{"Methods/UpdateKeepsIdentity", testMethodUpdateKeepsIdentity},
	{"Methods/UpdateCodeConflict", testMethodUpdateCodeConflict},
	{"Methods/Delete", testMethodDelete},
}

// verifier returns n random bytes, as a QR code verifier.
func verifier(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// newMethod returns a method for the user with every field set: both codes
// (the standard one used, the temporary one not), a PIN to change and a
// lockout.
func newMethod(userID string) method.Method {
	return method.Method{
		ID:      newID(),
		UserID:  userID,
		Created: t0,
		Standard: &method.QRCode{
			ID:       newID(),
			Kind:     method.Standard,
			Start:    t0,
			Expire:   t0.Add(365 * day),
			Created:  t0,
			LastUsed: t0.Add(2*time.Hour + 7*us),
			// Bytes that are not text: NUL, high bit, invalid UTF-8.
			Verifier: append([]byte{0, 0xff, 0xc3, 0x28, '\'', '"'}, verifier(32)...),
		},
		Temporary: &method.QRCode{
			ID:       newID(),
			Kind:     method.Temporary,
			Start:    t0.Add(time.Hour),
			Expire:   t0.Add(13 * time.Hour),
			Created:  t0.Add(30*time.Minute + us),
			Verifier: verifier(32),
		},
		PIN: method.PIN{
			Hash:        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$" + newID(),
			Length:      8,
			ForceChange: true,
			Created:     t0,
			Updated:     t0.Add(time.Minute),
		},
		Lockout: method.Lockout{Failures: 7, LockedUntil: t0.Add(5*time.Minute + 3*us), Disabled: true},
	}
}

// methodFor creates a user and their method.
func methodFor(t *testing.T, s store.Store, upn string) method.Method {
	t.Helper()
	u := createUser(t, s, upn)
	m := newMethod(u.ID)
	must(t, s.CreateMethod(t.Context(), m), "CreateMethod")
	return m
}

// wantMethod checks the stored method of m.UserID, and that each of its codes
// finds it.
func wantMethod(t *testing.T, s store.Store, want method.Method, what string) {
	t.Helper()
	got, err := s.GetMethod(t.Context(), want.UserID)
	must(t, err, what+": GetMethod")
	equal(t, got, want, what+": GetMethod")
	u, err := s.GetUser(t.Context(), want.UserID)
	must(t, err, what+": GetUser")
	gotU, got, err := s.GetUserWithMethod(t.Context(), want.UserID)
	must(t, err, what+": GetUserWithMethod")
	equal(t, gotU, u, what+": GetUserWithMethod's user")
	equal(t, got, want, what+": GetUserWithMethod's method")
	for _, c := range []*method.QRCode{want.Standard, want.Temporary} {
		if c == nil {
			continue
		}
		got, err := s.GetMethodByCode(t.Context(), c.ID)
		must(t, err, what+": GetMethodByCode "+string(c.Kind))
		equal(t, got, want, what+": GetMethodByCode "+string(c.Kind))
	}
}

func testMethodCreateMissingUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	createUser(t, s, "alice@contoso.com")
	m := newMethod(newID())
	check(t, s.CreateMethod(ctx, m), store.ErrNotFound, "CreateMethod for a missing user")
	_, err := s.GetMethod(ctx, m.UserID)
	check(t, err, store.ErrNotFound, "GetMethod after the refused create")
	_, err = s.GetMethodByCode(ctx, m.Standard.ID)
	check(t, err, store.ErrNotFound, "GetMethodByCode after the refused create")
}

func testMethodCreateConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	first := methodFor(t, s, "alice@contoso.com")

	second := newMethod(first.UserID)
	check(t, s.CreateMethod(ctx, second), store.ErrConflict, "second CreateMethod for a user")
	wantMethod(t, s, first, "after a second CreateMethod")
	_, err := s.GetMethodByCode(ctx, second.Standard.ID)
	check(t, err, store.ErrNotFound, "GetMethodByCode of the refused method's code")

	// Another user, but ids in use: the create fails whole.
	bob := createUser(t, s, "bob@contoso.com")
	for _, tc := range []struct {
		what string
		edit func(*method.Method)
	}{
		{"the method id", func(m *method.Method) { m.ID = first.ID }},
		{"a standard code id", func(m *method.Method) { m.Standard.ID = first.Standard.ID }},
		{"a temporary code id", func(m *method.Method) { m.Temporary.ID = first.Temporary.ID }},
		{"a standard code id as temporary", func(m *method.Method) { m.Temporary.ID = first.Standard.ID }},
		{"one id for both codes", func(m *method.Method) { m.Temporary.ID = m.Standard.ID }},
	} {
		m := newMethod(bob.ID)
		tc.edit(&m)
		check(t, s.CreateMethod(ctx, m), store.ErrConflict, "CreateMethod reusing "+tc.what)
		_, err := s.GetMethod(ctx, bob.ID)
		check(t, err, store.ErrNotFound, "GetMethod after CreateMethod reusing "+tc.what)
		wantMethod(t, s, first, "first method after CreateMethod reusing "+tc.what)
	}
	methodForUser := newMethod(bob.ID)
	must(t, s.CreateMethod(ctx, methodForUser), "CreateMethod with fresh ids")
}

func testMethodRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	// Every field set.
	full := methodFor(t, s, "full@contoso.com")
	wantMethod(t, s, full, "full method")

	// No temporary code, a never-used standard code, no lock, a PIN that
	// needs no change.
	u := createUser(t, s, "plain@contoso.com")
	plain := newMethod(u.ID)
	plain.Temporary = nil
	plain.Standard.LastUsed = time.Time{}
	plain.Lockout = method.Lockout{}
	plain.PIN.ForceChange = false
	plain.PIN.Length = 20
	must(t, s.CreateMethod(ctx, plain), "CreateMethod")
	wantMethod(t, s, plain, "plain method")

	// No codes at all, failures without a lock.
	u = createUser(t, s, "bare@contoso.com")
	bare := newMethod(u.ID)
	bare.Standard, bare.Temporary = nil, nil
	bare.Lockout = method.Lockout{Failures: 2}
	must(t, s.CreateMethod(ctx, bare), "CreateMethod")
	wantMethod(t, s, bare, "method without codes")

	// Only a temporary code.
	u = createUser(t, s, "temp@contoso.com")
	temp := newMethod(u.ID)
	temp.Standard = nil
	must(t, s.CreateMethod(ctx, temp), "CreateMethod")
	wantMethod(t, s, temp, "method with only a temporary code")

	wantMethod(t, s, full, "full method after the others")
}

func testMethodGetMissing(t *testing.T, s store.Store) {
	ctx := t.Context()
	methodFor(t, s, "alice@contoso.com")
	bob := createUser(t, s, "bob@contoso.com")
	_, err := s.GetMethod(ctx, bob.ID)
	check(t, err, store.ErrNotFound, "GetMethod of a user without a method")
	_, err = s.GetMethod(ctx, newID())
	check(t, err, store.ErrNotFound, "GetMethod of a missing user")
	_, _, err = s.GetUserWithMethod(ctx, bob.ID)
	check(t, err, store.ErrNotFound, "GetUserWithMethod of a user without a method")
	_, _, err = s.GetUserWithMethod(ctx, newID())
	check(t, err, store.ErrNotFound, "GetUserWithMethod of a missing user")
	_, err = s.GetMethodByCode(ctx, newID())
	check(t, err, store.ErrNotFound, "GetMethodByCode of an unknown code")
}

func testMethodGetByCode(t *testing.T, s store.Store) {
	ctx := t.Context()
	alice := methodFor(t, s, "alice@contoso.com")
	bob := methodFor(t, s, "bob@contoso.com")
	for _, tc := range []struct {
		code string
		want method.Method
	}{
		{alice.Standard.ID, alice},
		{alice.Temporary.ID, alice},
		{bob.Standard.ID, bob},
		{bob.Temporary.ID, bob},
	} {
		got, err := s.GetMethodByCode(ctx, tc.code)
		must(t, err, "GetMethodByCode")
		equal(t, got, tc.want, "GetMethodByCode")
	}
	// A method id or user id is not a code id.
	for _, id := range []string{alice.ID, alice.UserID} {
		_, err := s.GetMethodByCode(ctx, id)
		check(t, err, store.ErrNotFound, "GetMethodByCode of a non-code id")
	}
}

func testMethodUpdateFields(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := methodFor(t, s, "alice@contoso.com")
	other := methodFor(t, s, "bob@contoso.com")

	want := m
	std, temp := *m.Standard, *m.Temporary
	want.Standard, want.Temporary = &std, &temp
	want.Created = t0.Add(-day)
	want.PIN = method.PIN{Hash: "$argon2id$new", Length: 12, ForceChange: false, Created: t0.Add(time.Hour), Updated: t0.Add(2 * time.Hour)}
	want.Lockout = method.Lockout{} // a zero lock replaces a set one
	want.Standard.LastUsed = t0.Add(3*time.Hour + us)
	want.Standard.Expire = t0.Add(395 * day)
	want.Temporary.LastUsed = t0.Add(90 * time.Minute)

	var seen *method.Method
	got, err := s.UpdateMethod(ctx, m.UserID, func(cur *method.Method) error {
		c := cur.Clone()
		seen = &c
		cur.Created = want.Created
		cur.PIN = want.PIN
		cur.Lockout = method.Lockout{}
		cur.Standard.LastUsed = want.Standard.LastUsed
		cur.Standard.Expire = want.Standard.Expire
		cur.Temporary.LastUsed = want.Temporary.LastUsed
		return nil
	})
	must(t, err, "UpdateMethod")
	if seen == nil {
		t.Fatalf("UpdateMethod did not call fn")
	}
	equal(t, *seen, m, "UpdateMethod fn's method")
	equal(t, got, want, "UpdateMethod result")
	wantMethod(t, s, want, "after UpdateMethod")
	wantMethod(t, s, other, "another user's method after UpdateMethod")

	// Set a lock and clear LastUsed again.
	want.Lockout = method.Lockout{Failures: 100, LockedUntil: t0.Add(time.Hour), Disabled: true}
	want.Temporary.LastUsed = time.Time{}
	got, err = s.UpdateMethod(ctx, m.UserID, func(cur *method.Method) error {
		cur.Lockout = want.Lockout
		cur.Temporary.LastUsed = time.Time{}
		return nil
	})
	must(t, err, "UpdateMethod")
	equal(t, got, want, "UpdateMethod result")
	wantMethod(t, s, want, "after the second UpdateMethod")
}

// testMethodUpdateResultIsStored: UpdateMethod returns what GetMethod then
// reads, when fn leaves values a store keeps differently (times in another
// zone or finer than a microsecond, an empty verifier, a code whose Kind is
// not its slot's).
func testMethodUpdateResultIsStored(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := methodFor(t, s, "alice@contoso.com")
	zone := time.FixedZone("UTC-3", -3*3600)
	odd := t0.Add(789 * time.Nanosecond).In(zone)
	for _, edit := range []func(*method.Method){
		func(m *method.Method) {
			m.Created, m.PIN.Created, m.PIN.Updated, m.Lockout.LockedUntil = odd, odd, odd.Add(time.Hour), odd
			m.Standard.Start, m.Standard.Expire, m.Standard.Created, m.Standard.LastUsed = odd, odd.Add(day), odd, odd
		},
		func(m *method.Method) { m.Standard.Verifier = []byte{} },
		func(m *method.Method) { m.Temporary.Verifier = nil },
		func(m *method.Method) {
			m.SetCode(method.Standard, &method.QRCode{ID: newID(), Kind: method.Temporary, Start: odd, Expire: odd.Add(day), Created: odd})
		},
		func(m *method.Method) { m.Lockout = method.Lockout{}; m.Standard.LastUsed = time.Time{}.In(zone) },
	} {
		got, err := s.UpdateMethod(ctx, m.UserID, func(cur *method.Method) error {
			edit(cur)
			return nil
		})
		must(t, err, "UpdateMethod")
		stored, err := s.GetMethod(ctx, m.UserID)
		must(t, err, "GetMethod")
		equal(t, got, stored, "UpdateMethod result against GetMethod")
	}
}

func testMethodUpdateRemoveCode(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := methodFor(t, s, "alice@contoso.com")
	other := methodFor(t, s, "bob@contoso.com")

	got, err := s.UpdateMethod(ctx, m.UserID, func(cur *method.Method) error {
		cur.SetCode(method.Temporary, nil)
		return nil
	})
	must(t, err, "UpdateMethod removing the temporary code")
	want := m
	want.Temporary = nil
	equal(t, got, want, "UpdateMethod result")
	wantMethod(t, s, want, "after removing the temporary code")
	_, err = s.GetMethodByCode(ctx, m.Temporary.ID)
	check(t, err, store.ErrNotFound, "GetMethodByCode of the removed code")

	got, err = s.UpdateMethod(ctx, m.UserID, func(cur *method.Method) error {
		cur.SetCode(method.Standard, nil)
		return nil
	})
	must(t, err, "UpdateMethod removing the standard code")
	want.Standard = nil
	equal(t, got, want, "UpdateMethod result")
	wantMethod(t, s, want, "after removing both codes")
	_, err = s.GetMethodByCode(ctx, m.Standard.ID)
	check(t, err, store.ErrNotFound, "GetMethodByCode of the removed code")

	// A code added back persists.
	fresh := newMethod(m.UserID).Temporary
	got, err = s.UpdateMethod(ctx, m.UserID, func(cur *method.Method) error {
		cur.SetCode(method.Temporary, fresh)
		return nil
	})
	must(t, err, "UpdateMethod adding a temporary code")
	want.Temporary = fresh
	equal(t, got, want, "UpdateMethod result")
	wantMethod(t, s, want, "after adding a code")
	wantMethod(t, s, other, "another user's method")
}

func testMethodUpdateReplaceCode(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := methodFor(t, s, "alice@contoso.com")
	fresh := &method.QRCode{
		ID:       newID(),
		Kind:     method.Standard,
		Start:    t0.Add(day),
		Expire:   t0.Add(30 * day),
		Created:  t0.Add(day),
		Verifier: verifier(48),
	}
	got, err := s.UpdateMethod(ctx, m.UserID, func(cur *method.Method) error {
		cur.SetCode(method.Standard, fresh)
		return nil
	})
	must(t, err, "UpdateMethod replacing the standard code")
	want := m
	want.Standard = fresh
	equal(t, got, want, "UpdateMethod result")
	wantMethod(t, s, want, "after replacing the standard code")
	_, err = s.GetMethodByCode(ctx, m.Standard.ID)
	check(t, err, store.ErrNotFound, "GetMethodByCode of the replaced code")

	// The replaced code's row is gone: its id can be used again.
	bob := createUser(t, s, "bob@contoso.com")
	bm := newMethod(bob.ID)
	bm.Standard.ID = m.Standard.ID
	must(t, s.CreateMethod(ctx, bm), "CreateMethod with the replaced code's id")
	wantMethod(t, s, bm, "the method holding the reused id")
	wantMethod(t, s, want, "after reusing the replaced id")

	// The same id with a new verifier, or new times, is a change too.
	for _, edit := range []func(c *method.QRCode){
		func(c *method.QRCode) { c.Verifier = verifier(16) },
		func(c *method.QRCode) { c.Start = c.Start.Add(us) },
		func(c *method.QRCode) { c.Expire = c.Expire.Add(day) },
		func(c *method.QRCode) { c.Created = c.Created.Add(-us) },
		func(c *method.QRCode) { c.LastUsed = t0.Add(day) },
	} {
		same := *want.Standard
		edit(&same)
		got, err = s.UpdateMethod(ctx, m.UserID, func(cur *method.Method) error {
			c := same
			cur.SetCode(method.Standard, &c)
			return nil
		})
		must(t, err, "UpdateMethod changing a code in place")
		want.Standard = &same
		equal(t, got, want, "UpdateMethod result")
		wantMethod(t, s, want, "after changing a code in place")
	}
}

func testMethodUpdateMoveCodeID(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := methodFor(t, s, "alice@contoso.com")
	// The temporary code's id moves to a new standard code, and the
	// temporary code gets a new id.
	std := &method.QRCode{ID: m.Temporary.ID, Kind: method.Standard, Start: t0, Expire: t0.Add(day), Created: t0, Verifier: verifier(8)}
	temp := &method.QRCode{ID: newID(), Kind: method.Temporary, Start: t0, Expire: t0.Add(time.Hour), Created: t0, Verifier: verifier(8)}
	got, err := s.UpdateMethod(ctx, m.UserID, func(cur *method.Method) error {
		cur.Standard, cur.Temporary = std, temp
		return nil
	})
	must(t, err, "UpdateMethod moving a code id between kinds")
	want := m
	want.Standard, want.Temporary = std, temp
	equal(t, got, want, "UpdateMethod result")
	wantMethod(t, s, want, "after moving a code id")
	_, err = s.GetMethodByCode(ctx, m.Standard.ID)
	check(t, err, store.ErrNotFound, "GetMethodByCode of the dropped code")
}

func testMethodUpdateFnError(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := methodFor(t, s, "alice@contoso.com")
	refused := &fnError{"UpdateMethod"}
	_, err := s.UpdateMethod(ctx, m.UserID, func(cur *method.Method) error {
		cur.PIN.Hash = "changed"
		cur.PIN.ForceChange = false
		cur.Lockout.Failures++
		cur.Lockout.Disabled = false
		cur.Standard.Verifier[0] ^= 0xff
		cur.Standard.Expire = cur.Standard.Expire.Add(time.Hour)
		cur.SetCode(method.Temporary, &method.QRCode{ID: newID(), Kind: method.Temporary, Start: t0, Expire: t0.Add(time.Hour), Verifier: verifier(8)})
		return refused
	})
	if err != refused {
		t.Fatalf("UpdateMethod returned %v (%T), want fn's error unchanged", err, err)
	}
	wantMethod(t, s, m, "after fn failed")

	_, err = s.UpdateMethod(ctx, m.UserID, func(cur *method.Method) error {
		cur.SetCode(method.Standard, nil)
		return refused
	})
	if err != refused {
		t.Fatalf("UpdateMethod returned %v (%T), want fn's error unchanged", err, err)
	}
	wantMethod(t, s, m, "after fn that removed a code failed")
}

func testMethodUpdateMissing(t *testing.T, s store.Store) {
	ctx := t.Context()
	methodFor(t, s, "alice@contoso.com")
	bob := createUser(t, s, "bob@contoso.com")
	for _, userID := range []string{bob.ID, newID()} {
		_, err := s.UpdateMethod(ctx, userID, func(*method.Method) error {
			t.Errorf("UpdateMethod called fn for a missing method")
			return nil
		})
		check(t, err, store.ErrNotFound, "UpdateMethod of a missing method")
	}
	_, err := s.GetMethod(ctx, bob.ID)
	check(t, err, store.ErrNotFound, "GetMethod after UpdateMethod of a missing method")
}

func testMethodUpdateKeepsIdentity(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := methodFor(t, s, "alice@contoso.com")
	bob := createUser(t, s, "bob@contoso.com")
	got, err := s.UpdateMethod(ctx, m.UserID, func(cur *method.Method) error {
		cur.ID = newID()
		cur.UserID = bob.ID
		cur.PIN.Length = 9
		return nil
	})
	must(t, err, "UpdateMethod changing ID and UserID")
	want := m
	want.PIN.Length = 9
	equal(t, got, want, "UpdateMethod result (ID and UserID unchanged)")
	wantMethod(t, s, want, "after UpdateMethod changing ID and UserID")
	_, err = s.GetMethod(ctx, bob.ID)
	check(t, err, store.ErrNotFound, "GetMethod of the user fn named")
}

func testMethodUpdateCodeConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	alice := methodFor(t, s, "alice@contoso.com")
	bob := methodFor(t, s, "bob@contoso.com")
	for _, id := range []string{alice.Standard.ID, alice.Temporary.ID} {
		_, err := s.UpdateMethod(ctx, bob.UserID, func(cur *method.Method) error {
			cur.PIN.Hash = "changed"
			cur.Standard = &method.QRCode{ID: id, Kind: method.Standard, Start: t0, Expire: t0.Add(day), Verifier: verifier(8)}
			return nil
		})
		check(t, err, store.ErrConflict, "UpdateMethod taking another method's code id")
		wantMethod(t, s, bob, "after the refused update")
		wantMethod(t, s, alice, "the other method after the refused update")
	}
	// Both codes of one method cannot share an id.
	_, err := s.UpdateMethod(ctx, bob.UserID, func(cur *method.Method) error {
		c := *cur.Standard
		c.Kind = method.Temporary
		cur.Temporary = &c
		return nil
	})
	check(t, err, store.ErrConflict, "UpdateMethod giving both codes one id")
	wantMethod(t, s, bob, "after the refused update")
}

func testMethodDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := methodFor(t, s, "alice@contoso.com")
	other := methodFor(t, s, "bob@contoso.com")
	must(t, s.DeleteMethod(ctx, m.UserID), "DeleteMethod")
	_, err := s.GetMethod(ctx, m.UserID)
	check(t, err, store.ErrNotFound, "GetMethod after DeleteMethod")
	for _, c := range []*method.QRCode{m.Standard, m.Temporary} {
		_, err = s.GetMethodByCode(ctx, c.ID)
		check(t, err, store.ErrNotFound, "GetMethodByCode after DeleteMethod")
	}
	check(t, s.DeleteMethod(ctx, m.UserID), store.ErrNotFound, "DeleteMethod again")
	check(t, s.DeleteMethod(ctx, newID()), store.ErrNotFound, "DeleteMethod of a missing user")
	_, err = s.GetUser(ctx, m.UserID)
	must(t, err, "GetUser after DeleteMethod")
	wantMethod(t, s, other, "another user's method after DeleteMethod")

	// The rows are gone: the same ids can be stored again.
	must(t, s.CreateMethod(ctx, m), "CreateMethod after DeleteMethod")
	wantMethod(t, s, m, "re-created method")
}
