package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/qrpin/qrpin/store"
)

var unitTests = []test{
	{"Units/CRUD", testUnitCRUD},
	{"Units/ListPaging", testUnitListPaging},
	{"Units/Members", testUnitMembers},
	{"Units/MembersPaging", testUnitMembersPaging},
	{"Units/DeleteRemovesMembershipsAndScopedRoles", testUnitDelete},
	{"RoleAssignments/Scoped", testScopedRoleAssignments},
	{"RoleAssignments/ScopedVsDeleteUnit", testScopedAssignmentVsDeleteUnit},
	{"RoleAssignments/ScopedVsDeleteUser", testScopedAssignmentVsDeleteUser},
	{"RoleAssignments/OneIDBothScopesRace", testAssignmentIDRace},
	{"RoleAssignments/OlderReaderSeesNoScopedRole", testOlderReaderSeesNoScopedRole},
	{"Users/Search", testSearchUsers},
}

// createUnit stores and returns a new administrative unit.
func createUnit(t *testing.T, s store.Store, name string) store.AdministrativeUnit {
	t.Helper()
	u := store.AdministrativeUnit{ID: newID(), DisplayName: "Store " + name, Description: "The " + name + " store", Created: t0}
	must(t, s.CreateUnit(t.Context(), u), "CreateUnit "+name)
	return u
}

func testUnitCRUD(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUnit(t, s, "north")
	hidden := store.AdministrativeUnit{ID: newID(), DisplayName: "Hidden", Visibility: "HiddenMembership"}
	must(t, s.CreateUnit(ctx, hidden), "CreateUnit hidden")
	for _, want := range []store.AdministrativeUnit{u, hidden} {
		got, err := s.GetUnit(ctx, want.ID)
		must(t, err, "GetUnit")
		equal(t, got, want, "GetUnit")
	}
	_, err := s.GetUnit(ctx, newID())
	check(t, err, store.ErrNotFound, "GetUnit of a missing id")
	check(t, s.CreateUnit(ctx, store.AdministrativeUnit{ID: u.ID, DisplayName: "other"}), store.ErrConflict, "CreateUnit with an id in use")

	got, err := s.UpdateUnit(ctx, u.ID, func(x *store.AdministrativeUnit) error {
		x.ID = newID() // ignored
		x.DisplayName = "Store North"
		x.Visibility = "HiddenMembership"
		return nil
	})
	must(t, err, "UpdateUnit")
	want := u
	want.DisplayName, want.Visibility = "Store North", "HiddenMembership"
	equal(t, got, want, "UpdateUnit result")
	stored, err := s.GetUnit(ctx, u.ID)
	must(t, err, "GetUnit after UpdateUnit")
	equal(t, stored, want, "GetUnit after UpdateUnit")

	refuse := &fnError{"UpdateUnit"}
	_, err = s.UpdateUnit(ctx, u.ID, func(x *store.AdministrativeUnit) error { x.DisplayName = "no"; return refuse })
	check(t, err, refuse, "UpdateUnit whose fn fails")
	stored, err = s.GetUnit(ctx, u.ID)
	must(t, err, "GetUnit")
	equal(t, stored, want, "GetUnit after a refused update")
	_, err = s.UpdateUnit(ctx, newID(), func(*store.AdministrativeUnit) error { return nil })
	check(t, err, store.ErrNotFound, "UpdateUnit of a missing id")

	must(t, s.DeleteUnit(ctx, u.ID), "DeleteUnit")
	_, err = s.GetUnit(ctx, u.ID)
	check(t, err, store.ErrNotFound, "GetUnit after DeleteUnit")
	check(t, s.DeleteUnit(ctx, u.ID), store.ErrNotFound, "DeleteUnit again")
}

func testUnitListPaging(t *testing.T, s store.Store) {
	var ids []string
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		ids = append(ids, createUnit(t, s, n).ID)
	}
	checkPaging(t, "ListUnits", ids, func(after string, limit int) ([]string, error) {
		us, err := s.ListUnits(t.Context(), after, limit)
		var got []string
		for _, u := range us {
			got = append(got, u.ID)
		}
		return got, err
	})
	all, err := s.ListUnits(t.Context(), "", 0)
	must(t, err, "ListUnits without a limit")
	equal(t, len(all), 5, "ListUnits without a limit")
}

// memberIDs returns the ids of members, checking each has exactly one of
// User and Group set.
func memberIDs(t *testing.T, members []store.UnitMember) []string {
	t.Helper()
	ids := []string{}
	for _, m := range members {
		if (m.User == nil) == (m.Group == nil) {
			t.Fatalf("unit member %s: want exactly one of User and Group", show(m))
		}
		ids = append(ids, m.ID())
	}
	return ids
}

func testUnitMembers(t *testing.T, s store.Store) {
	ctx := t.Context()
	unit := createUnit(t, s, "north")
	other := createUnit(t, s, "south")
	alice := createUser(t, s, "alice@contoso.com")
	bob := createUser(t, s, "bob@contoso.com")
	g := createGroup(t, s, "night")
	must(t, s.AddGroupMember(ctx, g.ID, bob.ID), "AddGroupMember")

	must(t, s.AddUnitMember(ctx, unit.ID, alice.ID), "AddUnitMember user")
	must(t, s.AddUnitMember(ctx, unit.ID, g.ID), "AddUnitMember group")
	must(t, s.AddUnitMember(ctx, other.ID, alice.ID), "AddUnitMember user to a second unit")
	check(t, s.AddUnitMember(ctx, unit.ID, alice.ID), store.ErrConflict, "AddUnitMember of a member")
	check(t, s.AddUnitMember(ctx, unit.ID, g.ID), store.ErrConflict, "AddUnitMember of a member group")
	check(t, s.AddUnitMember(ctx, unit.ID, newID()), store.ErrNotFound, "AddUnitMember of a missing object")
	check(t, s.AddUnitMember(ctx, newID(), bob.ID), store.ErrNotFound, "AddUnitMember to a missing unit")

	members, err := s.ListUnitMembers(ctx, unit.ID, "", 0)
	must(t, err, "ListUnitMembers")
	equal(t, memberIDs(t, members), sorted([]string{alice.ID, g.ID}), "members")
	for _, m := range members {
		if m.User != nil {
			equal(t, *m.User, alice, "user member")
		} else {
			equal(t, *m.Group, g, "group member")
		}
	}
	_, err = s.ListUnitMembers(ctx, newID(), "", 0)
	check(t, err, store.ErrNotFound, "ListUnitMembers of a missing unit")

	// A group in a unit does not make its members the unit's.
	ids, err := s.UserUnitIDs(ctx, alice.ID)
	must(t, err, "UserUnitIDs")
	equal(t, ids, sorted([]string{unit.ID, other.ID}), "alice's units")
	ids, err = s.UserUnitIDs(ctx, bob.ID)
	must(t, err, "UserUnitIDs")
	equal(t, ids, []string{}, "bob's units (his group's unit is not his)")
	ids, err = s.UserUnitIDs(ctx, newID())
	must(t, err, "UserUnitIDs of a missing user")
	equal(t, ids, []string{}, "a missing user's units")

	must(t, s.RemoveUnitMember(ctx, unit.ID, alice.ID), "RemoveUnitMember user")
	check(t, s.RemoveUnitMember(ctx, unit.ID, alice.ID), store.ErrNotFound, "RemoveUnitMember again")
	must(t, s.RemoveUnitMember(ctx, unit.ID, g.ID), "RemoveUnitMember group")
	check(t, s.RemoveUnitMember(ctx, unit.ID, bob.ID), store.ErrNotFound, "RemoveUnitMember of a non-member")
	members, err = s.ListUnitMembers(ctx, unit.ID, "", 0)
	must(t, err, "ListUnitMembers")
	equal(t, len(members), 0, "members after removal")
	ids, err = s.UserUnitIDs(ctx, alice.ID)
	must(t, err, "UserUnitIDs")
	equal(t, ids, []string{other.ID}, "alice's units after removal")

	// Deleting a user or a group removes its memberships.
	must(t, s.AddUnitMember(ctx, unit.ID, bob.ID), "AddUnitMember")
	must(t, s.AddUnitMember(ctx, unit.ID, g.ID), "AddUnitMember")
	must(t, s.DeleteUser(ctx, bob.ID), "DeleteUser")
	must(t, s.DeleteGroup(ctx, g.ID), "DeleteGroup")
	members, err = s.ListUnitMembers(ctx, unit.ID, "", 0)
	must(t, err, "ListUnitMembers")
	equal(t, len(members), 0, "members after deleting them")
}

func testUnitMembersPaging(t *testing.T, s store.Store) {
	ctx := t.Context()
	unit := createUnit(t, s, "north")
	var ids []string
	for _, n := range []string{"a", "b", "c"} {
		u := createUser(t, s, n+"@contoso.com")
		g := createGroup(t, s, n)
		must(t, s.AddUnitMember(ctx, unit.ID, u.ID), "AddUnitMember")
		must(t, s.AddUnitMember(ctx, unit.ID, g.ID), "AddUnitMember")
		ids = append(ids, u.ID, g.ID)
	}
	createUser(t, s, "outsider@contoso.com")
	checkPaging(t, "ListUnitMembers", ids, func(after string, limit int) ([]string, error) {
		ms, err := s.ListUnitMembers(ctx, unit.ID, after, limit)
		got := memberIDs(t, ms)
		if len(got) == 0 {
			got = nil
		}
		return got, err
	})
}

func testUnitDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	unit := createUnit(t, s, "north")
	other := createUnit(t, s, "south")
	u := createUser(t, s, "alice@contoso.com")
	must(t, s.AddUnitMember(ctx, unit.ID, u.ID), "AddUnitMember")
	scoped := store.RoleAssignment{ID: newID(), PrincipalID: u.ID, RoleDefinitionID: roleAuthAdmin, UnitID: unit.ID}
	kept := store.RoleAssignment{ID: newID(), PrincipalID: u.ID, RoleDefinitionID: roleAuthAdmin, UnitID: other.ID}
	tenant := store.RoleAssignment{ID: newID(), PrincipalID: u.ID, RoleDefinitionID: roleAuthAdmin}
	for _, a := range []store.RoleAssignment{scoped, kept, tenant} {
		must(t, s.CreateRoleAssignment(ctx, a), "CreateRoleAssignment")
	}
	must(t, s.DeleteUnit(ctx, unit.ID), "DeleteUnit")
	as, err := s.ListRoleAssignments(ctx, u.ID)
	must(t, err, "ListRoleAssignments")
	equal(t, assignmentsByID(as...), assignmentsByID(kept, tenant), "assignments after DeleteUnit")
	ids, err := s.UserUnitIDs(ctx, u.ID)
	must(t, err, "UserUnitIDs")
	equal(t, ids, []string{}, "units after DeleteUnit")
	_, err = s.GetUser(ctx, u.ID)
	must(t, err, "GetUser: deleting a unit keeps its members")

	// Re-created with the same id, the unit has no members.
	must(t, s.CreateUnit(ctx, unit), "CreateUnit with the deleted unit's id")
	members, err := s.ListUnitMembers(ctx, unit.ID, "", 0)
	must(t, err, "ListUnitMembers")
	equal(t, len(members), 0, "members of the re-created unit")
}

func testScopedRoleAssignments(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "lead@contoso.com")
	unit1, unit2 := createUnit(t, s, "north").ID, createUnit(t, s, "south").ID
	tenant := store.RoleAssignment{ID: newID(), PrincipalID: u.ID, RoleDefinitionID: roleAuthAdmin}
	s1 := store.RoleAssignment{ID: newID(), PrincipalID: u.ID, RoleDefinitionID: roleAuthAdmin, UnitID: unit1}
	s2 := store.RoleAssignment{ID: newID(), PrincipalID: u.ID, RoleDefinitionID: roleAuthAdmin, UnitID: unit2}
	for _, a := range []store.RoleAssignment{tenant, s1, s2} {
		must(t, s.CreateRoleAssignment(ctx, a), "CreateRoleAssignment: one role over several scopes")
	}
	check(t, s.CreateRoleAssignment(ctx, store.RoleAssignment{ID: newID(), PrincipalID: u.ID, RoleDefinitionID: roleAuthAdmin, UnitID: unit1}),
		store.ErrConflict, "CreateRoleAssignment of a role the principal holds over that unit")
	check(t, s.CreateRoleAssignment(ctx, store.RoleAssignment{ID: newID(), PrincipalID: u.ID, RoleDefinitionID: roleGlobalAdmin, UnitID: newID()}),
		store.ErrNotFound, "CreateRoleAssignment over a missing unit")
	check(t, s.CreateRoleAssignment(ctx, store.RoleAssignment{ID: newID(), PrincipalID: u.ID, RoleDefinitionID: roleGlobalAdmin, UnitID: "no\x00unit"}),
		store.ErrNotFound, "CreateRoleAssignment over a unit id no unit can have")
	app := createApplication(t, s, "app")
	check(t, s.CreateRoleAssignment(ctx, store.RoleAssignment{ID: newID(), PrincipalID: app.ServicePrincipalID, RoleDefinitionID: roleAuthAdmin, UnitID: unit1}),
		store.ErrNotFound, "CreateRoleAssignment over a unit to a principal that is not a user")
	check(t, s.CreateRoleAssignment(ctx, store.RoleAssignment{ID: newID(), PrincipalID: newID(), RoleDefinitionID: roleAuthAdmin, UnitID: unit1}),
		store.ErrNotFound, "CreateRoleAssignment over a unit to a missing user")
	// Tenant-wide and scoped assignments share one id space.
	check(t, s.CreateRoleAssignment(ctx, store.RoleAssignment{ID: s1.ID, PrincipalID: u.ID, RoleDefinitionID: roleGlobalAdmin}),
		store.ErrConflict, "CreateRoleAssignment, tenant-wide, with a scoped assignment's id")
	check(t, s.CreateRoleAssignment(ctx, store.RoleAssignment{ID: tenant.ID, PrincipalID: u.ID, RoleDefinitionID: roleGlobalAdmin, UnitID: unit2}),
		store.ErrConflict, "CreateRoleAssignment, scoped, with a tenant-wide assignment's id")
	check(t, s.CreateRoleAssignment(ctx, store.RoleAssignment{ID: s1.ID, PrincipalID: u.ID, RoleDefinitionID: roleGlobalAdmin, UnitID: unit2}),
		store.ErrConflict, "CreateRoleAssignment, scoped, with another scoped assignment's id")
	as, err := s.ListRoleAssignments(ctx, u.ID)
	must(t, err, "ListRoleAssignments")
	equal(t, assignmentsByID(as...), assignmentsByID(tenant, s1, s2), "scoped assignments read back")
	as, err = s.ListRoleAssignments(ctx, newID())
	must(t, err, "ListRoleAssignments of another principal")
	equal(t, len(as), 0, "assignments of another principal")

	// Deleted by id, whichever its scope.
	must(t, s.DeleteRoleAssignment(ctx, s2.ID), "DeleteRoleAssignment of a scoped assignment")
	check(t, s.DeleteRoleAssignment(ctx, s2.ID), store.ErrNotFound, "DeleteRoleAssignment of a scoped assignment again")
	must(t, s.CreateRoleAssignment(ctx, store.RoleAssignment{ID: s2.ID, PrincipalID: u.ID, RoleDefinitionID: roleGlobalAdmin}),
		"CreateRoleAssignment, tenant-wide, with a deleted scoped assignment's id")
	must(t, s.DeleteRoleAssignment(ctx, s2.ID), "DeleteRoleAssignment of the tenant-wide one")
	must(t, s.CreateRoleAssignment(ctx, s2), "CreateRoleAssignment of the scoped one again")
	must(t, s.DeleteUser(ctx, u.ID), "DeleteUser")
	as, err = s.ListRoleAssignments(ctx, "")
	must(t, err, "ListRoleAssignments")
	equal(t, len(as), 0, "assignments after deleting their principal")
}

func testSearchUsers(t *testing.T, s store.Store) {
	ctx := t.Context()
	mk := func(upn, name, employeeID string) store.User {
		t.Helper()
		u := store.User{ID: newID(), UPN: upn, DisplayName: name, EmployeeID: employeeID, AccountEnabled: true, Created: t0}
		must(t, s.CreateUser(ctx, u), "CreateUser")
		return u
	}
	ann := mk("ann.lee@contoso.com", "Ann Lee", "E100")
	anna := mk("anna@contoso.com", "Anna Berg", "E200")
	bob := mk("bob@contoso.com", "Bob Annand", "X100")
	pct := mk("pct@contoso.com", "100% Sure_Thing", "")
	unit := createUnit(t, s, "north")
	other := createUnit(t, s, "south")
	must(t, s.AddUnitMember(ctx, unit.ID, ann.ID), "AddUnitMember")
	must(t, s.AddUnitMember(ctx, other.ID, bob.ID), "AddUnitMember")
	g := createGroup(t, s, "night")
	must(t, s.AddGroupMember(ctx, g.ID, anna.ID), "AddGroupMember")
	must(t, s.AddUnitMember(ctx, unit.ID, g.ID), "AddUnitMember group")

	ids := func(us []store.User) []string {
		out := []string{}
		for _, u := range us {
			out = append(out, u.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		q    store.UserSearch
		want []store.User
	}{
		{"everyone", store.UserSearch{}, []store.User{ann, anna, bob, pct}},
		{"display name prefix, any case", store.UserSearch{Prefix: "aNN"}, []store.User{ann, anna}},
		{"upn prefix, any case", store.UserSearch{Prefix: "BOB@"}, []store.User{bob}},
		{"display name past the first word is no prefix", store.UserSearch{Prefix: "Lee"}, nil},
		{"employee id prefix", store.UserSearch{Prefix: "E1"}, []store.User{ann}},
		{"employee id compared exactly", store.UserSearch{Prefix: "e1"}, nil},
		{"LIKE wildcards are literal", store.UserSearch{Prefix: "100%"}, []store.User{pct}},
		{"underscore is literal", store.UserSearch{Prefix: "_"}, nil},
		{"scoped", store.UserSearch{Scoped: true, UnitIDs: []string{unit.ID}}, []store.User{ann}},
		{"scoped to two units", store.UserSearch{Prefix: "", Scoped: true, UnitIDs: []string{unit.ID, other.ID}}, []store.User{ann, bob}},
		{"scoped with a prefix", store.UserSearch{Prefix: "bob", Scoped: true, UnitIDs: []string{unit.ID}}, nil},
		{"scoped to no unit finds nobody", store.UserSearch{Scoped: true}, nil},
		{"scoped to a missing unit", store.UserSearch{Scoped: true, UnitIDs: []string{newID()}}, nil},
	} {
		want := []string{}
		for _, u := range tc.want {
			want = append(want, u.ID)
		}
		got, err := s.SearchUsers(ctx, tc.q, "", 0)
		must(t, err, "SearchUsers "+tc.name)
		equal(t, ids(got), sorted(want), "SearchUsers "+tc.name)
		if tc.name == "employee id prefix" {
			equal(t, got, []store.User{ann}, "SearchUsers returns whole users")
		}
	}
	all := []string{ann.ID, anna.ID, bob.ID, pct.ID}
	checkPaging(t, "SearchUsers", all, func(after string, limit int) ([]string, error) {
		us, err := s.SearchUsers(ctx, store.UserSearch{}, after, limit)
		got := ids(us)
		if len(got) == 0 {
			got = nil
		}
		return got, err
	})
}

// testScopedAssignmentVsDeleteUnit races a scoped CreateRoleAssignment
// with DeleteUnit of its unit, many times: whichever wins, no assignment
// is left over the deleted unit (the create either comes first and is
// deleted with the unit, or finds no unit: store.ErrNotFound).
func testScopedAssignmentVsDeleteUnit(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "lead@contoso.com")
	created, refused := 0, 0
	for round := range 30 {
		unit := createUnit(t, s, fmt.Sprint("store ", round))
		errs := race(2, func(i int) error {
			if i == 0 {
				return s.DeleteUnit(ctx, unit.ID)
			}
			return s.CreateRoleAssignment(ctx, store.RoleAssignment{ID: newID(), PrincipalID: u.ID, RoleDefinitionID: roleAuthAdmin, UnitID: unit.ID})
		})
		must(t, errs[0], "DeleteUnit")
		switch {
		case errs[1] == nil:
			created++
		case errors.Is(errs[1], store.ErrNotFound):
			refused++
		default:
			t.Fatalf("round %d: CreateRoleAssignment: %v, want nil or %v", round, errs[1], store.ErrNotFound)
		}
		as, err := s.ListRoleAssignments(ctx, u.ID)
		must(t, err, "ListRoleAssignments")
		if len(as) != 0 {
			t.Fatalf("round %d: assignments left over the deleted unit: %+v", round, as)
		}
	}
	t.Logf("%d creates came first, %d found the unit gone", created, refused)
}

// testScopedAssignmentVsDeleteUser races a scoped CreateRoleAssignment
// with DeleteUser of its user, many times: whichever wins, no assignment is
// left to the deleted user.
func testScopedAssignmentVsDeleteUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	unit := createUnit(t, s, "north")
	created, refused := 0, 0
	for round := range 30 {
		u := createUser(t, s, fmt.Sprintf("lead%d@contoso.com", round))
		errs := race(2, func(i int) error {
			if i == 0 {
				return s.DeleteUser(ctx, u.ID)
			}
			return s.CreateRoleAssignment(ctx, store.RoleAssignment{ID: newID(), PrincipalID: u.ID, RoleDefinitionID: roleAuthAdmin, UnitID: unit.ID})
		})
		must(t, errs[0], "DeleteUser")
		switch {
		case errs[1] == nil:
			created++
		case errors.Is(errs[1], store.ErrNotFound):
			refused++
		default:
			t.Fatalf("round %d: CreateRoleAssignment: %v, want nil or %v", round, errs[1], store.ErrNotFound)
		}
		as, err := s.ListRoleAssignments(ctx, "")
		must(t, err, "ListRoleAssignments")
		if len(as) != 0 {
			t.Fatalf("round %d: assignments left to the deleted user: %+v", round, as)
		}
	}
	t.Logf("%d creates came first, %d found the user gone", created, refused)
}

// testAssignmentIDRace creates one assignment id twice at once, tenant-wide
// and over a unit (two tables), many times: exactly one create wins, the
// other is store.ErrConflict, and the winner is what is stored.
func testAssignmentIDRace(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "lead@contoso.com")
	unit := createUnit(t, s, "north")
	for round := range 30 {
		as := []store.RoleAssignment{
			{ID: newID(), PrincipalID: u.ID, RoleDefinitionID: roleGlobalAdmin},
			{PrincipalID: u.ID, RoleDefinitionID: roleAuthAdmin, UnitID: unit.ID},
		}
		as[1].ID = as[0].ID
		errs := race(2, func(i int) error { return s.CreateRoleAssignment(ctx, as[i]) })
		winner := oneWinner(t, errs, fmt.Sprint("round ", round))
		got, err := s.ListRoleAssignments(ctx, u.ID)
		must(t, err, "ListRoleAssignments")
		equal(t, got, []store.RoleAssignment{as[winner]}, fmt.Sprint("round ", round, ": assignments"))
		must(t, s.DeleteRoleAssignment(ctx, as[winner].ID), "DeleteRoleAssignment")
	}
}

// SQL is what a backend's test gives the suite (its store, wrapped) to read
// the tables as another build of qrpin would: Rows runs query, which takes
// no arguments, and returns its rows, every column text.
type SQL interface {
	Rows(ctx context.Context, query string) ([][]string, error)
}

// testOlderReaderSeesNoScopedRole reads role_assignments with the queries
// of the last qrpin without unit-scoped roles (commit c149006, schema 18),
// which grants every row it finds over the whole tenant: sharing the
// database during a rolling upgrade or after a downgrade, it must find the
// tenant-wide assignments only. What it writes there, this build reads as
// tenant-wide.
func testOlderReaderSeesNoScopedRole(t *testing.T, s store.Store) {
	ctx := t.Context()
	db, ok := s.(SQL)
	if !ok {
		t.Fatalf("%T does not implement storetest.SQL (the backend's test must wrap its store)", s)
	}
	rows := func(query string) [][]string {
		t.Helper()
		got, err := db.Rows(ctx, query)
		must(t, err, query)
		if got == nil {
			got = [][]string{}
		}
		return got
	}
	u := createUser(t, s, "lead@contoso.com")
	unit := createUnit(t, s, "north")
	tenant := store.RoleAssignment{ID: newID(), PrincipalID: u.ID, RoleDefinitionID: roleGlobalAdmin}
	scoped := store.RoleAssignment{ID: newID(), PrincipalID: u.ID, RoleDefinitionID: roleAuthAdmin, UnitID: unit.ID}
	for _, a := range []store.RoleAssignment{tenant, scoped} {
		must(t, s.CreateRoleAssignment(ctx, a), "CreateRoleAssignment")
	}

	equal(t, rows(`SELECT principal_id, role_definition_id FROM role_assignments`),
		[][]string{{u.ID, roleGlobalAdmin}}, "an older reader's role assignments")
	equal(t, rows(`SELECT id, principal_id, role_definition_id FROM role_assignments WHERE principal_id = '`+u.ID+`' ORDER BY id`),
		[][]string{{tenant.ID, u.ID, roleGlobalAdmin}}, "an older reader's role assignments of the principal")
	equal(t, rows(`SELECT id FROM role_assignments WHERE id = '`+scoped.ID+`'`),
		[][]string{}, "an older reader's lookup of the scoped assignment")

	// An older qrpin's tenant-wide assignment, as it inserts one.
	old := store.RoleAssignment{ID: newID(), PrincipalID: u.ID, RoleDefinitionID: roleAuthAdmin}
	rows(`INSERT INTO role_assignments (id, principal_id, role_definition_id) VALUES ('` +
		strings.Join([]string{old.ID, old.PrincipalID, old.RoleDefinitionID}, `', '`) + `')`)
	as, err := s.ListRoleAssignments(ctx, u.ID)
	must(t, err, "ListRoleAssignments")
	equal(t, assignmentsByID(as...), assignmentsByID(tenant, scoped, old), "assignments with an older qrpin's")

	// An older qrpin's DeleteUser: its roles over units go with it too.
	rows(`DELETE FROM role_assignments WHERE principal_id = '` + u.ID + `'`)
	rows(`DELETE FROM users WHERE id = '` + u.ID + `'`)
	as, err = s.ListRoleAssignments(ctx, "")
	must(t, err, "ListRoleAssignments")
	equal(t, as, []store.RoleAssignment{}, "assignments after an older qrpin deleted their user")
}
