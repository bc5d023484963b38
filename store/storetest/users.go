package storetest

import (
	"testing"
	"time"

	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
)

var settingTests = []test{
	{"Setting/FirstValueWins", testSettingFirstValueWins},
	{"Setting/List", testSettingList},
}

var userTests = []test{
	{"Users/CreateGet", testUserCreateGet},
	{"Users/GetByUPNIgnoresCase", testUserGetByUPNIgnoresCase},
	{"Users/CreateConflict", testUserCreateConflict},
	{"Users/Update", testUserUpdate},
	{"Users/UpdateUPNConflict", testUserUpdateUPNConflict},
	{"Users/UpdateFnError", testUserUpdateFnError},
	{"Users/UpdateMissing", testUserUpdateMissing},
	{"Users/UpdateKeepsID", testUserUpdateKeepsID},
	{"Users/ListPaging", testUserListPaging},
	{"Users/Delete", testUserDelete},
	{"Users/DeleteCascades", testUserDeleteCascades},
	{"Times/UTCAndZero", testTimesUTCAndZero},
}

func testSettingFirstValueWins(t *testing.T, s store.Store) {
	ctx := t.Context()
	v, err := s.Setting(ctx, "tenant", "first")
	must(t, err, "Setting")
	equal(t, v, "first", "first Setting")
	v, err = s.Setting(ctx, "tenant", "second")
	must(t, err, "Setting")
	equal(t, v, "first", "second Setting")
	v, err = s.Setting(ctx, "other", "")
	must(t, err, "Setting other")
	equal(t, v, "", "Setting other")
	v, err = s.Setting(ctx, "other", "x")
	must(t, err, "Setting other")
	equal(t, v, "", "an empty first value still wins")
	v, err = s.Setting(ctx, "tenant", "third")
	must(t, err, "Setting")
	equal(t, v, "first", "Setting after another key")
}

func testSettingList(t *testing.T, s store.Store) {
	ctx := t.Context()
	got, err := s.ListSettings(ctx)
	must(t, err, "ListSettings of a new store")
	equal(t, got, map[string]string{}, "ListSettings of a new store")
	want := map[string]string{"tenant": "first", "empty": "", "Tenant": "case matters", "quote'\"": "x\ny"}
	for k, v := range want {
		_, err := s.Setting(ctx, k, v)
		must(t, err, "Setting")
	}
	_, err = s.Setting(ctx, "tenant", "second")
	must(t, err, "Setting")
	got, err = s.ListSettings(ctx)
	must(t, err, "ListSettings")
	equal(t, got, want, "ListSettings")
	// The map is the caller's.
	got["tenant"] = "changed"
	got, err = s.ListSettings(ctx)
	must(t, err, "ListSettings")
	equal(t, got, want, "ListSettings after changing a returned map")
}

// newUser returns a user that is not stored yet.
func newUser(upn string) store.User {
	return store.User{ID: newID(), UPN: upn, DisplayName: "User " + upn, AccountEnabled: true, Created: t0}
}

// createUser stores and returns a new user.
func createUser(t *testing.T, s store.Store, upn string) store.User {
	t.Helper()
	u := newUser(upn)
	must(t, s.CreateUser(t.Context(), u), "CreateUser "+upn)
	return u
}

func testUserCreateGet(t *testing.T, s store.Store) {
	ctx := t.Context()
	alice := store.User{ID: newID(), UPN: "Alice@Contoso.com", DisplayName: "Alice Ärger", AccountEnabled: true, Created: t0}
	bob := store.User{ID: newID(), UPN: "bob@contoso.com", DisplayName: "", AccountEnabled: false, Created: t0.Add(us)}
	must(t, s.CreateUser(ctx, alice), "CreateUser alice")
	must(t, s.CreateUser(ctx, bob), "CreateUser bob")

	for _, u := range []store.User{alice, bob} {
		got, err := s.GetUser(ctx, u.ID)
		must(t, err, "GetUser")
		equal(t, got, u, "GetUser")
		got, err = s.GetUserByUPN(ctx, u.UPN)
		must(t, err, "GetUserByUPN")
		equal(t, got, u, "GetUserByUPN")
	}
	_, err := s.GetUser(ctx, newID())
	check(t, err, store.ErrNotFound, "GetUser of a missing id")
	_, err = s.GetUserByUPN(ctx, "carol@contoso.com")
	check(t, err, store.ErrNotFound, "GetUserByUPN of a missing UPN")
	_, err = s.GetUserByUPN(ctx, "alice")
	check(t, err, store.ErrNotFound, "GetUserByUPN of a UPN prefix")
}

func testUserGetByUPNIgnoresCase(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "Alice@X.com")
	for _, upn := range []string{"Alice@X.com", "alice@x.com", "ALICE@X.COM", "aLiCe@x.CoM"} {
		got, err := s.GetUserByUPN(ctx, upn)
		must(t, err, "GetUserByUPN "+upn)
		equal(t, got, u, "GetUserByUPN "+upn+" (the UPN keeps its case)")
	}
}

func testUserCreateConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	alice := createUser(t, s, "Alice@X.com")
	for _, upn := range []string{"Alice@X.com", "alice@x.com", "ALICE@X.COM"} {
		err := s.CreateUser(ctx, newUser(upn))
		check(t, err, store.ErrConflict, "CreateUser with UPN "+upn+" in use")
	}
	// The same id with a free UPN.
	dup := newUser("dup@x.com")
	dup.ID = alice.ID
	check(t, s.CreateUser(ctx, dup), store.ErrConflict, "CreateUser with an id in use")
	_, err := s.GetUserByUPN(ctx, "dup@x.com")
	check(t, err, store.ErrNotFound, "GetUserByUPN of the refused user")

	users, err := s.ListUsers(ctx, "", 100)
	must(t, err, "ListUsers")
	equal(t, users, []store.User{alice}, "ListUsers after refused creates")
}

func testUserUpdate(t *testing.T, s store.Store) {
	ctx := t.Context()
	alice := createUser(t, s, "Alice@Contoso.com")
	want := alice
	want.UPN = "alice.b@contoso.com"
	want.DisplayName = "Alice B"
	want.AccountEnabled = false
	want.Created = t0.Add(-day)

	var seen *store.User
	got, err := s.UpdateUser(ctx, alice.ID, func(u *store.User) error {
		c := *u
		seen = &c
		u.UPN, u.DisplayName, u.AccountEnabled, u.Created = want.UPN, want.DisplayName, want.AccountEnabled, want.Created
		return nil
	})
	must(t, err, "UpdateUser")
	if seen == nil {
		t.Fatalf("UpdateUser did not call fn")
	}
	equal(t, *seen, alice, "UpdateUser fn's user")
	equal(t, got, want, "UpdateUser result")
	got, err = s.GetUser(ctx, alice.ID)
	must(t, err, "GetUser")
	equal(t, got, want, "GetUser after UpdateUser")
	got, err = s.GetUserByUPN(ctx, "ALICE.B@contoso.com")
	must(t, err, "GetUserByUPN new UPN")
	equal(t, got, want, "GetUserByUPN new UPN")
	_, err = s.GetUserByUPN(ctx, "alice@contoso.com")
	check(t, err, store.ErrNotFound, "GetUserByUPN old UPN")

	// The old UPN is free again.
	createUser(t, s, "alice@contoso.com")

	// A user may change the case of their own UPN.
	want.UPN = "ALICE.B@CONTOSO.COM"
	got, err = s.UpdateUser(ctx, alice.ID, func(u *store.User) error { u.UPN = want.UPN; return nil })
	must(t, err, "UpdateUser changing only the case of the UPN")
	equal(t, got, want, "UpdateUser result")
	got, err = s.GetUserByUPN(ctx, "alice.b@contoso.com")
	must(t, err, "GetUserByUPN")
	equal(t, got, want, "GetUserByUPN after a case change")

	// An update that changes nothing succeeds.
	got, err = s.UpdateUser(ctx, alice.ID, func(*store.User) error { return nil })
	must(t, err, "UpdateUser changing nothing")
	equal(t, got, want, "UpdateUser changing nothing")
}

func testUserUpdateUPNConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	alice := createUser(t, s, "Alice@Contoso.com")
	bob := createUser(t, s, "bob@contoso.com")
	for _, upn := range []string{"Alice@Contoso.com", "alice@contoso.com", "ALICE@contoso.COM"} {
		_, err := s.UpdateUser(ctx, bob.ID, func(u *store.User) error {
			u.UPN = upn
			u.DisplayName = "changed"
			return nil
		})
		check(t, err, store.ErrConflict, "UpdateUser to UPN "+upn+" in use")
		got, err := s.GetUser(ctx, bob.ID)
		must(t, err, "GetUser bob")
		equal(t, got, bob, "bob after the refused update")
		got, err = s.GetUserByUPN(ctx, upn)
		must(t, err, "GetUserByUPN")
		equal(t, got, alice, "the UPN still names alice")
	}
}

func testUserUpdateFnError(t *testing.T, s store.Store) {
	ctx := t.Context()
	alice := createUser(t, s, "alice@contoso.com")
	refused := &fnError{"UpdateUser"}
	_, err := s.UpdateUser(ctx, alice.ID, func(u *store.User) error {
		u.UPN = "changed@contoso.com"
		u.DisplayName = "changed"
		u.AccountEnabled = false
		return refused
	})
	if err != refused {
		t.Fatalf("UpdateUser returned %v (%T), want fn's error unchanged", err, err)
	}
	got, err := s.GetUser(ctx, alice.ID)
	must(t, err, "GetUser")
	equal(t, got, alice, "user after fn failed")
	_, err = s.GetUserByUPN(ctx, "changed@contoso.com")
	check(t, err, store.ErrNotFound, "GetUserByUPN of the UPN fn set")
}

func testUserUpdateMissing(t *testing.T, s store.Store) {
	createUser(t, s, "alice@contoso.com")
	_, err := s.UpdateUser(t.Context(), newID(), func(*store.User) error {
		t.Errorf("UpdateUser called fn for a missing user")
		return nil
	})
	check(t, err, store.ErrNotFound, "UpdateUser of a missing user")
}

func testUserUpdateKeepsID(t *testing.T, s store.Store) {
	ctx := t.Context()
	alice := createUser(t, s, "alice@contoso.com")
	other := newID()
	got, err := s.UpdateUser(ctx, alice.ID, func(u *store.User) error {
		u.ID = other
		u.DisplayName = "renamed"
		return nil
	})
	must(t, err, "UpdateUser")
	want := alice
	want.DisplayName = "renamed"
	equal(t, got, want, "UpdateUser that set another ID")
	got, err = s.GetUser(ctx, alice.ID)
	must(t, err, "GetUser")
	equal(t, got, want, "GetUser")
	_, err = s.GetUser(ctx, other)
	check(t, err, store.ErrNotFound, "GetUser of the ID fn set")
}

func testUserListPaging(t *testing.T, s store.Store) {
	ctx := t.Context()
	users, err := s.ListUsers(ctx, "", 10)
	must(t, err, "ListUsers")
	equal(t, len(users), 0, "users in an empty store")

	byID := map[string]store.User{}
	var ids []string
	for i := range 7 {
		u := createUser(t, s, "user"+string(rune('a'+i))+"@contoso.com")
		byID[u.ID] = u
		ids = append(ids, u.ID)
	}
	checkPaging(t, "ListUsers", ids, func(after string, limit int) ([]string, error) {
		users, err := s.ListUsers(ctx, after, limit)
		var page []string
		for _, u := range users {
			equal(t, u, byID[u.ID], "listed user")
			page = append(page, u.ID)
		}
		return page, err
	})
}

func testUserDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	alice := createUser(t, s, "Alice@Contoso.com")
	bob := createUser(t, s, "bob@contoso.com")
	must(t, s.DeleteUser(ctx, alice.ID), "DeleteUser")
	_, err := s.GetUser(ctx, alice.ID)
	check(t, err, store.ErrNotFound, "GetUser after DeleteUser")
	_, err = s.GetUserByUPN(ctx, alice.UPN)
	check(t, err, store.ErrNotFound, "GetUserByUPN after DeleteUser")
	check(t, s.DeleteUser(ctx, alice.ID), store.ErrNotFound, "DeleteUser again")
	check(t, s.DeleteUser(ctx, newID()), store.ErrNotFound, "DeleteUser of a missing user")
	users, err := s.ListUsers(ctx, "", 100)
	must(t, err, "ListUsers")
	equal(t, users, []store.User{bob}, "ListUsers after DeleteUser")
	// The UPN is free again, in any case.
	createUser(t, s, "ALICE@contoso.com")
}

// userWithEverything creates a user holding a method, memberships of groups
// and role assignments.
func userWithEverything(t *testing.T, s store.Store, upn string, groups []store.Group) (store.User, method.Method, store.RoleAssignment) {
	t.Helper()
	ctx := t.Context()
	u := createUser(t, s, upn)
	m := newMethod(u.ID)
	must(t, s.CreateMethod(ctx, m), "CreateMethod")
	for _, g := range groups {
		must(t, s.AddGroupMember(ctx, g.ID, u.ID), "AddGroupMember")
	}
	a := store.RoleAssignment{ID: newID(), PrincipalID: u.ID, RoleDefinitionID: roleGlobalAdmin}
	must(t, s.CreateRoleAssignment(ctx, a), "CreateRoleAssignment")
	return u, m, a
}

func testUserDeleteCascades(t *testing.T, s store.Store) {
	ctx := t.Context()
	g1, g2 := createGroup(t, s, "g1"), createGroup(t, s, "g2")
	victim, vm, va := userWithEverything(t, s, "victim@contoso.com", []store.Group{g1, g2})
	bystander, bm, ba := userWithEverything(t, s, "bystander@contoso.com", []store.Group{g1, g2})

	must(t, s.DeleteUser(ctx, victim.ID), "DeleteUser")

	_, err := s.GetMethod(ctx, victim.ID)
	check(t, err, store.ErrNotFound, "GetMethod of a deleted user")
	for _, c := range []*method.QRCode{vm.Standard, vm.Temporary} {
		_, err = s.GetMethodByCode(ctx, c.ID)
		check(t, err, store.ErrNotFound, "GetMethodByCode of a deleted user's code")
	}
	_, err = s.UserGroupIDs(ctx, victim.ID)
	check(t, err, store.ErrNotFound, "UserGroupIDs of a deleted user")
	for _, g := range []store.Group{g1, g2} {
		members, err := s.ListGroupMembers(ctx, g.ID, "", 100)
		must(t, err, "ListGroupMembers")
		equal(t, members, []store.User{bystander}, "members after DeleteUser")
	}
	list, err := s.ListRoleAssignments(ctx, victim.ID)
	must(t, err, "ListRoleAssignments")
	equal(t, len(list), 0, "role assignments of a deleted user")
	list, err = s.ListRoleAssignments(ctx, "")
	must(t, err, "ListRoleAssignments")
	equal(t, list, []store.RoleAssignment{ba}, "all role assignments after DeleteUser")

	// The bystander keeps everything.
	got, err := s.GetMethod(ctx, bystander.ID)
	must(t, err, "GetMethod bystander")
	equal(t, got, bm, "bystander's method")
	ids, err := s.UserGroupIDs(ctx, bystander.ID)
	must(t, err, "UserGroupIDs bystander")
	equal(t, sorted(ids), sorted([]string{g1.ID, g2.ID}), "bystander's groups")

	// The rows are gone, not hidden: the same ids can be stored again.
	must(t, s.CreateUser(ctx, victim), "CreateUser with the deleted user's id and UPN")
	_, err = s.GetMethod(ctx, victim.ID)
	check(t, err, store.ErrNotFound, "GetMethod of the re-created user")
	ids, err = s.UserGroupIDs(ctx, victim.ID)
	must(t, err, "UserGroupIDs of the re-created user")
	equal(t, len(ids), 0, "groups of the re-created user")
	must(t, s.CreateMethod(ctx, vm), "CreateMethod with the deleted method's ids")
	must(t, s.AddGroupMember(ctx, g1.ID, victim.ID), "AddGroupMember of the re-created user")
	must(t, s.CreateRoleAssignment(ctx, va), "CreateRoleAssignment with the deleted assignment's id")
}

func testTimesUTCAndZero(t *testing.T, s store.Store) {
	ctx := t.Context()
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	cases := []time.Time{
		{},
		t0.In(zone),
		time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC), // before the Unix epoch
		time.Unix(0, 0),
		time.Date(2399, 12, 31, 23, 59, 59, 999999000, zone),
	}
	for _, tm := range cases {
		u := newUser(newID() + "@contoso.com")
		u.Created = tm
		must(t, s.CreateUser(ctx, u), "CreateUser")
		got, err := s.GetUser(ctx, u.ID)
		must(t, err, "GetUser")
		if tm.IsZero() {
			if !got.Created.IsZero() {
				t.Fatalf("zero time came back as %v", got.Created)
			}
			continue
		}
		if !got.Created.Equal(tm) || got.Created.Location() != time.UTC {
			t.Fatalf("time %v came back as %v (location %v), want the same instant in UTC", tm, got.Created, got.Created.Location())
		}
	}

	// Method and code times, including a zero code LastUsed and lock.
	u := createUser(t, s, "times@contoso.com")
	m := newMethod(u.ID)
	m.Created = m.Created.In(zone)
	m.Standard.Expire = m.Standard.Expire.In(zone)
	m.Standard.LastUsed = time.Time{}
	m.Lockout.LockedUntil = time.Time{}
	must(t, s.CreateMethod(ctx, m), "CreateMethod")
	got, err := s.GetMethod(ctx, u.ID)
	must(t, err, "GetMethod")
	m.Created = m.Created.UTC()
	m.Standard.Expire = m.Standard.Expire.UTC()
	equal(t, got, m, "GetMethod of a method with times outside UTC")
}
