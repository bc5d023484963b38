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
	{"Applications/SignIn", testApplicationSignIn},
	{"Applications/UpdateSignIn", testApplicationUpdateSignIn},
	{"Applications/UpdateConflict", testApplicationUpdateConflict},
	{"Applications/UpdateFnError", testApplicationUpdateFnError},
	{"Applications/Delete", testApplicationDelete},
	{"Applications/ConcurrentUpdates", testApplicationConcurrentUpdates},
}

// graphResource stands for Microsoft Graph's service principal id: a
// resource need not be a stored application.
const graphResource = "1b6b1c52-8c59-4e4e-9f4e-000000000003"

// newApplication returns an application with a password, two grants and a
// sign-in registration, not stored yet. Its passwords and grants are in the
// order stores return; its redirect URIs are not sorted (stores keep the
// order given).
func newApplication(name string) store.Application {
	a := store.Application{
		ID: newID(), AppID: newID(), ServicePrincipalID: newID(), DisplayName: "App " + name, Created: t0,
		Passwords: []store.Password{{KeyID: newID(), DisplayName: "ci", Hint: "abc",
			Verifier: []byte("verifier of " + name), Start: t0, End: t0.Add(730 * day)}},
		Grants: []store.Grant{
			{ID: newID(), AppRoleID: "741f803b-c850-494e-b5df-cde7c675a1ca", ResourceID: graphResource, Created: t0},
			{ID: newID(), AppRoleID: "50483e42-d915-4231-9639-7fdb7fd190e5", ResourceID: graphResource, Created: t0.Add(us)},
		},
		SignIn: store.AppSignIn{
			WebRedirectURIs: []string{"https://" + name + ".contoso.com/signin-oidc", "https://a.contoso.com/cb"},
			WebLogoutURL:    "https://" + name + ".contoso.com/signout-oidc",
			SPARedirectURIs: []string{"http://localhost:3000/" + name},
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
	appID, err := s.GetAppIDByServicePrincipal(ctx, want.ServicePrincipalID)
	must(t, err, what+": GetAppIDByServicePrincipal")
	equal(t, appID, want.AppID, what+": GetAppIDByServicePrincipal")
	name, err := s.GetApplicationName(ctx, want.AppID)
	must(t, err, what+": GetApplicationName")
	equal(t, name, want.DisplayName, what+": GetApplicationName")
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
	_, err = s.GetAppIDByServicePrincipal(ctx, a.ServicePrincipalID)
	check(t, err, store.ErrNotFound, what+": GetAppIDByServicePrincipal")
	_, err = s.GetApplicationName(ctx, a.AppID)
	check(t, err, store.ErrNotFound, what+": GetApplicationName")
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
	_, err = s.GetAppIDByServicePrincipal(ctx, a.ID)
	check(t, err, store.ErrNotFound, "GetAppIDByServicePrincipal by the object id")
	_, err = s.GetApplicationName(ctx, a.ID)
	check(t, err, store.ErrNotFound, "GetApplicationName by the object id")
	_, err = s.GetApplicationName(ctx, a.ServicePrincipalID)
	check(t, err, store.ErrNotFound, "GetApplicationName by the service principal id")
	checkMissing(t, s, newApplication("missing"), "missing application")

	// What a Get returns is the caller's.
	got, err := s.GetApplication(ctx, a.ID)
	must(t, err, "GetApplication")
	got.Passwords[0].Verifier[0] = 'X'
	got.Grants[0].AppRoleID = "changed"
	got.SignIn.WebRedirectURIs[0] = "https://changed.example"
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

// fullSignIn is a registration with every field set: URIs out of order,
// one URI in two lists, long and non-ASCII ones.
func fullSignIn() store.AppSignIn {
	return store.AppSignIn{
		WebRedirectURIs: []string{
			"https://z.contoso.com/cb", "https://a.contoso.com/cb?tenant=1&x=%20y", "http://127.0.0.1:8400/",
			"https://contoso.com/" + strings.Repeat("p", 240),
		},
		WebLogoutURL:         "https://z.contoso.com/logout?from=qrpin",
		SPARedirectURIs:      []string{"https://spa.contoso.com/", "https://a.contoso.com/cb?tenant=1&x=%20y"},
		PublicRedirectURIs:   []string{"msal5fd8c7f5-0ea1-4b1d-9fa4-d6a1a5a4a7b1://auth", "myapp://callback/é", "http://localhost"},
		FallbackPublicClient: true,
		BackchannelLogoutURL: "https://z.contoso.com/backchannel-logout?x=1",
	}
}

func testApplicationSignIn(t *testing.T, s store.Store) {
	ctx := t.Context()
	full := newApplication("full")
	full.SignIn = fullSignIn()
	must(t, s.CreateApplication(ctx, full), "CreateApplication with every sign-in field")
	checkApplication(t, s, full, "application with every sign-in field")

	// No registration: every list nil, as for passwords and grants; empty
	// lists given are the same as none.
	none := newApplication("none")
	none.SignIn = store.AppSignIn{}
	must(t, s.CreateApplication(ctx, none), "CreateApplication without a sign-in registration")
	checkApplication(t, s, none, "application without a sign-in registration")
	empty := newApplication("empty")
	empty.SignIn = store.AppSignIn{WebRedirectURIs: []string{}, SPARedirectURIs: []string{}, PublicRedirectURIs: []string{}}
	must(t, s.CreateApplication(ctx, empty), "CreateApplication with empty redirect URI lists")
	empty.SignIn = store.AppSignIn{}
	checkApplication(t, s, empty, "application created with empty redirect URI lists")

	// One list only, and the fallback flag alone: the other lists stay nil.
	for _, si := range []store.AppSignIn{
		{WebRedirectURIs: []string{"https://web.contoso.com/"}},
		{SPARedirectURIs: []string{"https://spa.contoso.com/"}},
		{PublicRedirectURIs: []string{"myapp://callback"}},
		{FallbackPublicClient: true},
		{WebLogoutURL: "https://contoso.com/logout"},
		{BackchannelLogoutURL: "https://contoso.com/backchannel"},
	} {
		a := newApplication("one")
		a.SignIn = si
		must(t, s.CreateApplication(ctx, a), "CreateApplication with "+show(si))
		checkApplication(t, s, a, "application with "+show(si))
	}

	// A list of many URIs keeps its order (not sorted by the store).
	many := newApplication("many")
	many.SignIn = store.AppSignIn{}
	for i := 300; i > 0; i-- {
		many.SignIn.PublicRedirectURIs = append(many.SignIn.PublicRedirectURIs, fmt.Sprintf("http://localhost:%d/", i))
	}
	must(t, s.CreateApplication(ctx, many), "CreateApplication with 300 redirect URIs")
	checkApplication(t, s, many, "application with 300 redirect URIs")

	// Listing returns the same registrations.
	want := map[string]store.Application{}
	for _, a := range []store.Application{full, none, empty, many} {
		want[a.ID] = a
	}
	all, err := s.ListApplications(ctx, "", 0)
	must(t, err, "ListApplications")
	for _, a := range all {
		if w, ok := want[a.ID]; ok {
			equal(t, a, w, "listed application")
			delete(want, a.ID)
		}
	}
	equal(t, len(want), 0, "applications missing from the list")

	// Deleted and re-created with the same ids, an application has the
	// registration it is given, not the old one's URIs.
	must(t, s.DeleteApplication(ctx, full.ID), "DeleteApplication")
	full.SignIn = store.AppSignIn{SPARedirectURIs: []string{"https://new.contoso.com/"}}
	must(t, s.CreateApplication(ctx, full), "CreateApplication with the deleted application's ids")
	checkApplication(t, s, full, "re-created application")
}

func testApplicationUpdateSignIn(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := createApplication(t, s, "a")
	other := createApplication(t, s, "other")
	update := func(what string, fn func(si *store.AppSignIn), want store.AppSignIn) {
		t.Helper()
		got, err := s.UpdateApplication(ctx, a.ID, func(x *store.Application) error {
			fn(&x.SignIn)
			return nil
		})
		must(t, err, "UpdateApplication: "+what)
		a.SignIn = want
		equal(t, got, a, "UpdateApplication's result: "+what)
		checkApplication(t, s, a, "after UpdateApplication: "+what)
		checkApplication(t, s, other, "other application after UpdateApplication: "+what)
	}
	full := fullSignIn()
	update("every field replaced", func(si *store.AppSignIn) { *si = fullSignIn() }, full)

	// Untouched, the registration stays as it is when the rest changes.
	got, err := s.UpdateApplication(ctx, a.ID, func(x *store.Application) error {
		x.DisplayName = "renamed"
		x.Passwords = nil
		return nil
	})
	must(t, err, "UpdateApplication renaming")
	a.DisplayName, a.Passwords = "renamed", nil
	equal(t, got, a, "renamed application")
	checkApplication(t, s, a, "renamed application")

	reordered := full
	reordered.WebRedirectURIs = []string{full.WebRedirectURIs[2], full.WebRedirectURIs[0], "https://added.contoso.com/"}
	update("a list reordered, shortened and added to", func(si *store.AppSignIn) {
		si.WebRedirectURIs = []string{si.WebRedirectURIs[2], si.WebRedirectURIs[0], "https://added.contoso.com/"}
	}, reordered)

	grown := reordered
	grown.SPARedirectURIs = append(slices.Clone(full.SPARedirectURIs), "https://spa2.contoso.com/")
	update("a list grown in place", func(si *store.AppSignIn) {
		si.SPARedirectURIs = append(si.SPARedirectURIs, "https://spa2.contoso.com/")
	}, grown)

	cleared := grown
	cleared.PublicRedirectURIs, cleared.WebLogoutURL, cleared.FallbackPublicClient = nil, "", false
	cleared.BackchannelLogoutURL = ""
	update("a list emptied, the logout URLs and the flag cleared", func(si *store.AppSignIn) {
		si.PublicRedirectURIs, si.WebLogoutURL, si.FallbackPublicClient = []string{}, "", false
		si.BackchannelLogoutURL = ""
	}, cleared)

	update("everything removed", func(si *store.AppSignIn) { *si = store.AppSignIn{} }, store.AppSignIn{})
	update("set again", func(si *store.AppSignIn) { *si = fullSignIn() }, full)
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
		x.SignIn.WebRedirectURIs[0] = "https://changed.example"
		x.SignIn.SPARedirectURIs = nil
		x.SignIn.PublicRedirectURIs = append(x.SignIn.PublicRedirectURIs, "myapp://auth")
		x.SignIn.WebLogoutURL, x.SignIn.FallbackPublicClient = "", true
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
