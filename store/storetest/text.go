package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
)

// Keys and paging cursors come from clients (a path segment, a decoded
// $skiptoken): any bytes. These tests pin down what stores do with bytes
// that are not text, the same whatever the backend holds as text.
var textTests = []test{
	{"Text/OddKeysFindNothing", testOddKeysFindNothing},
	{"Text/OddCursors", testOddCursors},
}

// oddKeys are strings that are not UTF-8 text, or hold NUL.
var oddKeys = []string{
	"a\x00b", "\x00", "\xff", "a\xc3(", "a\xc3", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "a\x80",
}

func testOddKeysFindNothing(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := methodFor(t, s, "alice@contoso.com")
	g := createGroup(t, s, "g")
	must(t, s.AddGroupMember(ctx, g.ID, m.UserID), "AddGroupMember")
	createApplication(t, s, "app")
	unit := createUnit(t, s, "u")
	must(t, s.AddUnitMember(ctx, unit.ID, m.UserID), "AddUnitMember")
	for _, k := range oddKeys {
		what := fmt.Sprintf(" of %q", k)
		notFound := func(err error, op string) {
			t.Helper()
			check(t, err, store.ErrNotFound, op+what)
		}
		_, err := s.GetUser(ctx, k)
		notFound(err, "GetUser")
		_, err = s.GetUserByUPN(ctx, k)
		notFound(err, "GetUserByUPN")
		_, err = s.UpdateUser(ctx, k, func(*store.User) error { t.Errorf("UpdateUser%s called fn", what); return nil })
		notFound(err, "UpdateUser")
		notFound(s.DeleteUser(ctx, k), "DeleteUser")
		_, err = s.GetGroup(ctx, k)
		notFound(err, "GetGroup")
		notFound(s.DeleteGroup(ctx, k), "DeleteGroup")
		notFound(s.AddGroupMember(ctx, k, m.UserID), "AddGroupMember to the group")
		notFound(s.AddGroupMember(ctx, g.ID, k), "AddGroupMember of the user")
		notFound(s.RemoveGroupMember(ctx, g.ID, k), "RemoveGroupMember")
		_, err = s.ListGroupMembers(ctx, k, "", 0)
		notFound(err, "ListGroupMembers")
		_, err = s.UserGroupIDs(ctx, k)
		notFound(err, "UserGroupIDs")
		as, err := s.ListRoleAssignments(ctx, k)
		must(t, err, "ListRoleAssignments"+what)
		equal(t, len(as), 0, "ListRoleAssignments"+what)
		notFound(s.DeleteRoleAssignment(ctx, k), "DeleteRoleAssignment")
		notFound(s.CreateMethod(ctx, newMethod(k)), "CreateMethod for the user")
		_, err = s.GetMethod(ctx, k)
		notFound(err, "GetMethod")
		_, _, err = s.GetUserWithMethod(ctx, k)
		notFound(err, "GetUserWithMethod")
		_, err = s.GetMethodByCode(ctx, k)
		notFound(err, "GetMethodByCode")
		_, err = s.UpdateMethod(ctx, k, func(*method.Method) error { t.Errorf("UpdateMethod%s called fn", what); return nil })
		notFound(err, "UpdateMethod")
		notFound(s.DeleteMethod(ctx, k), "DeleteMethod")
		_, err = s.GetApplication(ctx, k)
		notFound(err, "GetApplication")
		_, err = s.GetApplicationByAppID(ctx, k)
		notFound(err, "GetApplicationByAppID")
		_, err = s.GetApplicationByServicePrincipal(ctx, k)
		notFound(err, "GetApplicationByServicePrincipal")
		_, err = s.GetAppIDByServicePrincipal(ctx, k)
		notFound(err, "GetAppIDByServicePrincipal")
		_, err = s.GetApplicationName(ctx, k)
		notFound(err, "GetApplicationName")
		_, err = s.UpdateApplication(ctx, k, func(*store.Application) error {
			t.Errorf("UpdateApplication%s called fn", what)
			return nil
		})
		notFound(err, "UpdateApplication")
		notFound(s.DeleteApplication(ctx, k), "DeleteApplication")
		_, err = s.TakeSignIn(ctx, k, t0)
		notFound(err, "TakeSignIn")
		_, err = s.GetUnit(ctx, k)
		notFound(err, "GetUnit")
		_, err = s.UpdateUnit(ctx, k, func(*store.AdministrativeUnit) error { t.Errorf("UpdateUnit%s called fn", what); return nil })
		notFound(err, "UpdateUnit")
		notFound(s.DeleteUnit(ctx, k), "DeleteUnit")
		notFound(s.AddUnitMember(ctx, k, m.UserID), "AddUnitMember to the unit")
		notFound(s.AddUnitMember(ctx, unit.ID, k), "AddUnitMember of the member")
		notFound(s.RemoveUnitMember(ctx, unit.ID, k), "RemoveUnitMember")
		_, err = s.ListUnitMembers(ctx, k, "", 0)
		notFound(err, "ListUnitMembers")
		ids, err := s.UserUnitIDs(ctx, k)
		must(t, err, "UserUnitIDs"+what)
		equal(t, len(ids), 0, "UserUnitIDs"+what)
		for _, q := range []store.UserSearch{{Prefix: k}, {Scoped: true, UnitIDs: []string{k}}} {
			us, err := s.SearchUsers(ctx, q, "", 0)
			must(t, err, "SearchUsers"+what)
			equal(t, len(us), 0, "SearchUsers"+what)
		}
	}
	wantMethod(t, s, m, "the method after lookups of odd keys")
}

// testOddCursors lists users (all, and by employee id), groups, members and applications after
// cursors of every kind: what comes back is the ids > the cursor in byte
// order, as for any other cursor.
func testOddCursors(t *testing.T, s store.Store) {
	ctx := t.Context()
	ids := []string{"a", "a\x01", "a\x7f", "a\u0080", "aé", "a\u07ff", "a\u0800", "a\ufffd", "a\U00010000", "a\U0010ffff",
		"b", "\u00e9", "\U0010ffff", "\U0010ffff\x01", "z"}
	g := createGroup(t, s, "members")
	unit := createUnit(t, s, "members")
	for i, id := range ids {
		u := newUser(fmt.Sprintf("user%d@contoso.com", i))
		u.ID = id
		u.EmployeeID = "E-1"
		must(t, s.CreateUser(ctx, u), fmt.Sprintf("CreateUser %q", id))
		must(t, s.AddGroupMember(ctx, g.ID, id), "AddGroupMember")
		must(t, s.AddUnitMember(ctx, unit.ID, id), "AddUnitMember")
		must(t, s.CreateUnit(ctx, store.AdministrativeUnit{ID: id, DisplayName: "u", Created: t0}), fmt.Sprintf("CreateUnit %q", id))
		must(t, s.CreateGroup(ctx, store.Group{ID: id, DisplayName: "g", Created: t0}), fmt.Sprintf("CreateGroup %q", id))
		a := newApplication(fmt.Sprint(i))
		a.ID = id
		must(t, s.CreateApplication(ctx, a), fmt.Sprintf("CreateApplication %q", id))
	}
	groupIDs := append(slices.Clone(ids), g.ID)
	cursors := append(slices.Clone(oddKeys), "", "a", "a\x00\x00", "a\xc3\xa8\xff", "a\xe0\x80", "a\xe0", "a\xef\xbf",
		"a\xf4\x8f\xbf\xbf\xff", "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf\x00", "\xf5", "a\xc2", "b\x00", "\xc3\xa9\xff")
	after := func(all []string, c string) []string {
		out := []string{}
		for _, id := range sorted(all) {
			if id > c {
				out = append(out, id)
			}
		}
		return out
	}
	for _, c := range cursors {
		users, err := s.ListUsers(ctx, c, 0)
		must(t, err, fmt.Sprintf("ListUsers after %q", c))
		members, err := s.ListGroupMembers(ctx, g.ID, c, 0)
		must(t, err, fmt.Sprintf("ListGroupMembers after %q", c))
		employees, err := s.ListUsersByEmployeeID(ctx, "E-1", c, 0)
		must(t, err, fmt.Sprintf("ListUsersByEmployeeID after %q", c))
		var gotUsers, gotMembers, gotEmployees []string
		for _, u := range users {
			gotUsers = append(gotUsers, u.ID)
		}
		for _, u := range employees {
			gotEmployees = append(gotEmployees, u.ID)
		}
		for _, u := range members {
			gotMembers = append(gotMembers, u.ID)
		}
		groups, err := s.ListGroups(ctx, c, 0)
		must(t, err, fmt.Sprintf("ListGroups after %q", c))
		var gotGroups []string
		for _, g := range groups {
			gotGroups = append(gotGroups, g.ID)
		}
		apps, err := s.ListApplications(ctx, c, 0)
		must(t, err, fmt.Sprintf("ListApplications after %q", c))
		var gotApps []string
		for _, a := range apps {
			gotApps = append(gotApps, a.ID)
		}
		var gotUnits, gotUnitMembers, gotSearch []string
		units, err := s.ListUnits(ctx, c, 0)
		must(t, err, fmt.Sprintf("ListUnits after %q", c))
		for _, u := range units {
			gotUnits = append(gotUnits, u.ID)
		}
		unitMembers, err := s.ListUnitMembers(ctx, unit.ID, c, 0)
		must(t, err, fmt.Sprintf("ListUnitMembers after %q", c))
		for _, m := range unitMembers {
			gotUnitMembers = append(gotUnitMembers, m.ID())
		}
		found, err := s.SearchUsers(ctx, store.UserSearch{Scoped: true, UnitIDs: []string{unit.ID}}, c, 0)
		must(t, err, fmt.Sprintf("SearchUsers after %q", c))
		for _, u := range found {
			gotSearch = append(gotSearch, u.ID)
		}
		want := after(ids, c)
		for _, got := range []struct {
			what      string
			got, want []string
		}{
			{"ListUsers", gotUsers, want},
			{"ListUsersByEmployeeID", gotEmployees, want},
			{"ListGroupMembers", gotMembers, want},
			{"ListGroups", gotGroups, after(groupIDs, c)},
			{"ListApplications", gotApps, want},
			{"ListUnits", gotUnits, after(append(slices.Clone(ids), unit.ID), c)},
			{"ListUnitMembers", gotUnitMembers, want},
			{"SearchUsers", gotSearch, want},
		} {
			if !slices.Equal(got.got, got.want) && !(len(got.got) == 0 && len(got.want) == 0) {
				t.Fatalf("%s after %q: got %q, want %q", got.what, c, got.got, got.want)
			}
		}
	}
}
