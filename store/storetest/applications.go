package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/qrpin/qrpin/store"
)

var applicationTests = []test{
	{"Applications/CreateGet", testApplicationCreateGet},
	{"Applications/CreateConflict", testApplicationCreateConflict},
	{"Applications/ListPaging", testApplicationListPaging},
	{"Applications/Update", testApplicationUpdate},
	{"Applications/UpdateConflict", testApplicationUpdateConflict},
	{"Applications/UpdateFnError", testApplicationUpdateFnError},
	{"Applications/Delete", testApplicationDelete},
	{"Applications/ConcurrentUpdates", testApplicationConcurrentUpdates},
}

// graphResource stands for Microsoft Graph's service principal id: a
// resource need not be a stored application.
const graphResource = "1b6b1c52-8c59-4e4e-9f4e-000000000003"

// newApplication returns an application with a password and two grants,
// not stored yet. Its passwords and grants are in the order stores return.
func newApplication(name string) store.Application {
	a := store.Application{
		ID: newID(), AppID: newID(), ServicePrincipalID: newID(), DisplayName: "App " + name, Created: t0,
		Passwords: []store.Password{{KeyID: newID(), DisplayName: "ci", Hint: "abc",
			Verifier: []byte("verifier of " + name), Start: t0, End: t0.Add(730 * day)}},
		Grants: []store.Grant{
			{ID: newID(), AppRoleID: "741f803b-c850-494e-b5df-cde7c675a1ca", ResourceID: graphResource, Created: t0},
			{ID: newID(), AppRoleID: "50483e42-d915-4231-9639-7fdb7fd190e5", ResourceID: graphResource, Created: t0.Add(us)},
		},
	}
	sortCredentials(&a)
	return a
}

// sortCredentials orders a's passwords by KeyID and grants by ID, as
// stores return them.
func sortCredentials(a *store.Application) {
	slices.SortFunc(a.Passwords, func(x, y store.Password) int { return strings.Compare(x.KeyID, y.KeyID) })
	slices.SortFunc(a.Grants, func(x, y store.Grant) int { return strings.Compare(x.ID, y.ID) })
}

// createApplication stores and returns a new application.
func createApplication(t *testing.T, s store.Store, name string) store.Application {
	t.Helper()
	a := newApplication(name)
	must(t, s.CreateApplication(t.Context(), a), "CreateApplication "+name)
	return a
}

// checkApplication fails unless all three lookups return want.
func checkApplication(t *testing.T, s store.Store, want store.Application, what string) {
	t.Helper()
	ctx := t.Context()
	got, err := s.GetApplication(ctx, want.ID)
	must(t, err, what+": GetApplication")
	equal(t, got, want, what+": GetApplication")
	got, err = s.GetApplicationByAppID(ctx, want.AppID)
	must(t, err, what+": GetApplicationByAppID")
	equal(t, got, want, what+": GetApplicationByAppID")
	got, err = s.GetApplicationByServicePrincipal(ctx, want.ServicePrincipalID)
	must(t, err, what+": GetApplicationByServicePrincipal")
	equal(t, got, want, what+": GetApplicationByServicePrincipal")
}

// checkMissing fails unless every lookup of a returns store.ErrNotFound.
func checkMissing(t *testing.T, s store.Store, a store.Application, what string) {
	t.Helper()
	ctx := t.Context()
	_, err := s.GetApplication(ctx, a.ID)
	check(t, err, store.ErrNotFound, what+": GetApplication")
	_, err = s.GetApplicationByAppID(ctx, a.AppID)
	check(t, err, store.ErrNotFound, what+": GetApplicationByAppID")
	_, err = s.GetApplicationByServicePrincipal(ctx, a.ServicePrincipalID)
	check(t, err, store.ErrNotFound, what+": GetApplicationByServicePrincipal")
}

func testApplicationCreateGet(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := createApplication(t, s, "ci")
	bare := store.Application{ID: newID(), AppID: newID(), ServicePrincipalID: newID()}
	must(t, s.CreateApplication(ctx, bare), "CreateApplication with ids only")
	many := newApplication("many")
	for i := range 3 {
		many.Passwords = append(many.Passwords, store.Password{KeyID: newID(), DisplayName: fmt.Sprint(i),
			Hint: "x" + fmt.Sprint(i), Verifier: []byte{byte(i), 0, 255}, Start: t0.Add(day), End: t0.Add(2 * day)})
	}
	sortCredentials(&many)
	must(t, s.CreateApplication(ctx, many), "CreateApplication with several passwords")

	checkApplication(t, s, a, "application")
	checkApplication(t, s, bare, "application without credentials")
	checkApplication(t, s, many, "application with several passwords")
	// Lookups do not confuse the three ids.
	_, err := s.GetApplication(ctx, a.AppID)
	check(t, err, store.ErrNotFound, "GetApplication by the appId")
	_, err = s.GetApplicationByAppID(ctx, a.ID)
	check(t, err, store.ErrNotFound, "GetApplicationByAppID by the object id")
	_, err = s.GetApplicationByServicePrincipal(ctx, a.AppID)
	check(t, err, store.ErrNotFound, "GetApplicationByServicePrincipal by the appId")
	checkMissing(t, s, newApplication("missing"), "missing application")

	// What a Get returns is the caller's.
	got, err := s.GetApplication(ctx, a.ID)
	must(t, err, "GetApplication")
	got.Passwords[0].Verifier[0] = 'X'
	got.Grants[0].AppRoleID = "changed"
	checkApplication(t, s, a, "after changing a returned application")
}

func testApplicationCreateConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := createApplication(t, s, "first")
	other := createApplication(t, s, "other")
	for _, tc := range []struct {
		what string
		mod  func(b *store.Application)
	}{
		{"its id in use", func(b *store.Application) { b.ID = a.ID }},
		{"its appId in use", func(b *store.Application) { b.AppID = a.AppID }},
		{"its service principal id in use", func(b *store.Application) { b.ServicePrincipalID = a.ServicePrincipalID }},
		{"a grant id in use", func(b *store.Application) { b.Grants[0].ID = a.Grants[1].ID }},
		{"two passwords with one key id", func(b *store.Application) {
			p := b.Passwords[0]
			p.Hint = "dup"
			b.Passwords = append(b.Passwords, p)
		}},
		{"the same permission granted twice", func(b *store.Application) {
			g := b.Grants[0]
			g.ID = newID()
			b.Grants = append(b.Grants, g)
		}},
	} {
		b := newApplication("second")
		tc.mod(&b)
		check(t, s.CreateApplication(ctx, b), store.ErrConflict, "CreateApplication with "+tc.what)
		// Nothing of b was stored.
		if b.ID != a.ID {
			_, err := s.GetApplication(ctx, b.ID)
			check(t, err, store.ErrNotFound, "GetApplication after a refused create with "+tc.what)
		}
		checkApplication(t, s, a, "first application after a refused create with "+tc.what)
		checkApplication(t, s, other, "other application after a refused create with "+tc.what)
	}
	// The same key id and the same permission in two applications are fine.
	b := newApplication("second")
	b.Passwords[0].KeyID = a.Passwords[0].KeyID
	must(t, s.CreateApplication(ctx, b), "CreateApplication with another application's key id and permissions")
	checkApplication(t, s, b, "second application")
}

func testApplicationListPaging(t *testing.T, s store.Store) {
	ctx := t.Context()
	apps, err := s.ListApplications(ctx, "", 10)
	must(t, err, "ListApplications")
	equal(t, len(apps), 0, "applications in an empty store")
	byID := map[string]store.Application{}
	var ids []string
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		a := createApplication(t, s, name)
		byID[a.ID] = a
		ids = append(ids, a.ID)
	}
	checkPaging(t, "ListApplications", ids, func(after string, limit int) ([]string, error) {
		apps, err := s.ListApplications(ctx, after, limit)
		var page []string
		for _, a := range apps {
			equal(t, a, byID[a.ID], "listed application")
			page = append(page, a.ID)
		}
		return page, err
	})
	all, err := s.ListApplications(ctx, "", 0)
	must(t, err, "ListApplications without a limit")
	equal(t, len(all), len(ids), "ListApplications without a limit")
}

func testApplicationUpdate(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := createApplication(t, s, "ci")
	other := createApplication(t, s, "other")

	added := store.Password{KeyID: newID(), DisplayName: "second", Hint: "def", Verifier: []byte("v2"), Start: t0.Add(day), End: t0.Add(30 * day)}
	want := a
	want.DisplayName = "renamed"
	want.Passwords = append(slices.Clone(a.Passwords), added)
	want.Grants = a.Grants[1:]
	sortCredentials(&want)
	got, err := s.UpdateApplication(ctx, a.ID, func(x *store.Application) error {
		equal(t, *x, a, "the application fn is given")
		x.DisplayName = "renamed"
		x.Passwords = append(x.Passwords, added)
		x.Grants = x.Grants[1:]
		// Id changes are ignored.
		x.ID, x.AppID, x.ServicePrincipalID = newID(), newID(), newID()
		return nil
	})
	must(t, err, "UpdateApplication")
	equal(t, got, want, "UpdateApplication's result")
	checkApplication(t, s, want, "after UpdateApplication")
	checkApplication(t, s, other, "other application after UpdateApplication")

	// Removing every credential leaves nil slices; adding them back works.
	got, err = s.UpdateApplication(ctx, a.ID, func(x *store.Application) error {
		x.Passwords, x.Grants = nil, []store.Grant{}
		return nil
	})
	must(t, err, "UpdateApplication removing every credential")
	want.Passwords, want.Grants = nil, nil
	equal(t, got, want, "application without credentials")
	checkApplication(t, s, want, "application without credentials")
	got, err = s.UpdateApplication(ctx, a.ID, func(x *store.Application) error {
		x.Passwords, x.Grants = a.Passwords, a.Grants
		return nil
	})
	must(t, err, "UpdateApplication restoring credentials")
	want.Passwords, want.Grants = a.Passwords, a.Grants
	equal(t, got, want, "application with its credentials restored")
	checkApplication(t, s, want, "application with its credentials restored")

	_, err = s.UpdateApplication(ctx, newID(), func(*store.Application) error {
		t.Error("fn called for a missing application")
		return nil
	})
	check(t, err, store.ErrNotFound, "UpdateApplication of a missing application")
}

func testApplicationUpdateConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := createApplication(t, s, "a")
	b := createApplication(t, s, "b")
	for _, tc := range []struct {
		what string
		mod  func(x *store.Application)
	}{
		{"another application's grant id", func(x *store.Application) { x.Grants[0].ID = b.Grants[0].ID }},
		{"two passwords with one key id", func(x *store.Application) { x.Passwords = append(x.Passwords, x.Passwords[0]) }},
		{"the same permission twice", func(x *store.Application) {
			g := x.Grants[0]
			g.ID = newID()
			x.Grants = append(x.Grants, g)
		}},
	} {
		_, err := s.UpdateApplication(ctx, a.ID, func(x *store.Application) error {
			x.DisplayName = "must not be stored"
			tc.mod(x)
			return nil
		})
		check(t, err, store.ErrConflict, "UpdateApplication with "+tc.what)
		checkApplication(t, s, a, "after a refused UpdateApplication with "+tc.what)
		checkApplication(t, s, b, "other application after a refused UpdateApplication with "+tc.what)
	}
}

func testApplicationUpdateFnError(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := createApplication(t, s, "a")
	refused := &fnError{"UpdateApplication"}
	_, err := s.UpdateApplication(ctx, a.ID, func(x *store.Application) error {
		x.DisplayName = "changed"
		x.Passwords = nil
		x.Grants = append(x.Grants, store.Grant{ID: newID(), AppRoleID: newID(), ResourceID: graphResource})
		return refused
	})
	if err != refused {
		t.Fatalf("UpdateApplication returned %v, want fn's error unchanged", err)
	}
	checkApplication(t, s, a, "after fn refused")
}

func testApplicationDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := createApplication(t, s, "a")
	b := createApplication(t, s, "b")
	u := createUser(t, s, "admin@contoso.com")
	spRole := store.RoleAssignment{ID: newID(), PrincipalID: a.ServicePrincipalID, RoleDefinitionID: roleGlobalAdmin}
	otherRole := store.RoleAssignment{ID: newID(), PrincipalID: b.ServicePrincipalID, RoleDefinitionID: roleGlobalAdmin}
	userRole := store.RoleAssignment{ID: newID(), PrincipalID: u.ID, RoleDefinitionID: roleAuthAdmin}
	for _, r := range []store.RoleAssignment{spRole, otherRole, userRole} {
		must(t, s.CreateRoleAssignment(ctx, r), "CreateRoleAssignment")
	}

	must(t, s.DeleteApplication(ctx, a.ID), "DeleteApplication")
	checkMissing(t, s, a, "deleted application")
	check(t, s.DeleteApplication(ctx, a.ID), store.ErrNotFound, "DeleteApplication again")
	check(t, s.DeleteApplication(ctx, b.AppID), store.ErrNotFound, "DeleteApplication by appId")
	checkApplication(t, s, b, "other application after DeleteApplication")
	as, err := s.ListRoleAssignments(ctx, "")
	must(t, err, "ListRoleAssignments")
	equal(t, assignmentsByID(as...), assignmentsByID(otherRole, userRole), "role assignments after DeleteApplication")
	apps, err := s.ListApplications(ctx, "", 0)
	must(t, err, "ListApplications")
	equal(t, apps, []store.Application{b}, "applications after DeleteApplication")

	// Re-created with the same ids, the application has what it is given,
	// and its grant and key ids may be used again.
	must(t, s.CreateApplication(ctx, a), "CreateApplication with the deleted application's ids")
	checkApplication(t, s, a, "re-created application")
}

func testApplicationConcurrentUpdates(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := createApplication(t, s, "a")
	const n = 20
	keys := make([]string, n)
	for i := range keys {
		keys[i] = newID()
	}
	errs := race(n, func(i int) error {
		_, err := s.UpdateApplication(ctx, a.ID, func(x *store.Application) error {
			x.Passwords = append(x.Passwords, store.Password{KeyID: keys[i], Hint: "h", Verifier: []byte{byte(i)}, Start: t0, End: t0.Add(day)})
			return nil
		})
		return err
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent UpdateApplication: %v", err)
	}
	got, err := s.GetApplication(ctx, a.ID)
	must(t, err, "GetApplication")
	var have []string
	for _, p := range got.Passwords {
		have = append(have, p.KeyID)
	}
	want := append(keys, a.Passwords[0].KeyID)
	equal(t, have, sorted(want), "passwords after concurrent updates: none lost")
}
