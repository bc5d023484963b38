package storetest

import (
	"slices"
	"strings"
	"testing"

	"github.com/qrpin/qrpin/store"
)

// Directory role template ids.
const (
	roleGlobalAdmin = "62e90394-69f5-4237-9190-012177145e10"
	roleAuthAdmin   = "c4e39bd9-1100-46d3-8c65-fb160da0071f"
)

var groupTests = []test{
	{"Groups/CRUD", testGroupCRUD},
	{"Groups/ListPaging", testGroupListPaging},
	{"Groups/Members", testGroupMembers},
	{"Counts", testCounts},
	{"Groups/MembersPaging", testGroupMembersPaging},
	{"Groups/DeleteRemovesMemberships", testGroupDeleteRemovesMemberships},
}

var roleTests = []test{
	{"RoleAssignments/CRUD", testRoleAssignments},
}

// createGroup stores and returns a new group.
func createGroup(t *testing.T, s store.Store, name string) store.Group {
	t.Helper()
	g := store.Group{ID: newID(), DisplayName: "Group " + name, Description: "The " + name + " shift", MailNickname: name, Created: t0}
	must(t, s.CreateGroup(t.Context(), g), "CreateGroup "+name)
	return g
}

func testGroupCRUD(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := createGroup(t, s, "night")
	bare := store.Group{ID: newID()}
	must(t, s.CreateGroup(ctx, bare), "CreateGroup with only an id")
	for _, want := range []store.Group{g, bare} {
		got, err := s.GetGroup(ctx, want.ID)
		must(t, err, "GetGroup")
		equal(t, got, want, "GetGroup")
	}
	_, err := s.GetGroup(ctx, newID())
	check(t, err, store.ErrNotFound, "GetGroup of a missing id")

	dup := store.Group{ID: g.ID, DisplayName: "other"}
	check(t, s.CreateGroup(ctx, dup), store.ErrConflict, "CreateGroup with an id in use")
	got, err := s.GetGroup(ctx, g.ID)
	must(t, err, "GetGroup")
	equal(t, got, g, "GetGroup after a refused create")

	must(t, s.DeleteGroup(ctx, g.ID), "DeleteGroup")
	_, err = s.GetGroup(ctx, g.ID)
	check(t, err, store.ErrNotFound, "GetGroup after DeleteGroup")
	check(t, s.DeleteGroup(ctx, g.ID), store.ErrNotFound, "DeleteGroup again")
	groups, err := s.ListGroups(ctx, "", 100)
	must(t, err, "ListGroups")
	equal(t, groups, []store.Group{bare}, "ListGroups after DeleteGroup")
}

func testGroupListPaging(t *testing.T, s store.Store) {
	ctx := t.Context()
	groups, err := s.ListGroups(ctx, "", 10)
	must(t, err, "ListGroups")
	equal(t, len(groups), 0, "groups in an empty store")
	byID := map[string]store.Group{}
	var ids []string
	for _, name := range []string{"a", "b", "c", "d", "e", "f"} {
		g := createGroup(t, s, name)
		byID[g.ID] = g
		ids = append(ids, g.ID)
	}
	checkPaging(t, "ListGroups", ids, func(after string, limit int) ([]string, error) {
		groups, err := s.ListGroups(ctx, after, limit)
		var page []string
		for _, g := range groups {
			equal(t, g, byID[g.ID], "listed group")
			page = append(page, g.ID)
		}
		return page, err
	})
}

func testGroupMembers(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := createGroup(t, s, "day")
	g2 := createGroup(t, s, "night")
	u1 := createUser(t, s, "u1@contoso.com")
	u2 := createUser(t, s, "u2@contoso.com")
	u3 := createUser(t, s, "u3@contoso.com")
	outsider := createUser(t, s, "outsider@contoso.com")

	members := func(groupID string) []store.User {
		t.Helper()
		users, err := s.ListGroupMembers(ctx, groupID, "", 100)
		must(t, err, "ListGroupMembers")
		return users
	}
	equal(t, len(members(g.ID)), 0, "members of a new group")
	for _, u := range []store.User{u1, u2, u3} {
		must(t, s.AddGroupMember(ctx, g.ID, u.ID), "AddGroupMember")
	}
	must(t, s.AddGroupMember(ctx, g2.ID, u1.ID), "AddGroupMember to a second group")

	check(t, s.AddGroupMember(ctx, g.ID, u1.ID), store.ErrConflict, "AddGroupMember of a member")
	check(t, s.AddGroupMember(ctx, newID(), u1.ID), store.ErrNotFound, "AddGroupMember to a missing group")
	check(t, s.AddGroupMember(ctx, g.ID, newID()), store.ErrNotFound, "AddGroupMember of a missing user")
	check(t, s.AddGroupMember(ctx, newID(), newID()), store.ErrNotFound, "AddGroupMember of a missing user to a missing group")

	equal(t, members(g.ID), usersByID(u1, u2, u3), "members")
	equal(t, members(g2.ID), []store.User{u1}, "members of the second group")
	_, err := s.ListGroupMembers(ctx, newID(), "", 100)
	check(t, err, store.ErrNotFound, "ListGroupMembers of a missing group")

	ids, err := s.UserGroupIDs(ctx, u1.ID)
	must(t, err, "UserGroupIDs")
	equal(t, sorted(ids), sorted([]string{g.ID, g2.ID}), "UserGroupIDs")
	ids, err = s.UserGroupIDs(ctx, u2.ID)
	must(t, err, "UserGroupIDs")
	equal(t, ids, []string{g.ID}, "UserGroupIDs")
	ids, err = s.UserGroupIDs(ctx, outsider.ID)
	must(t, err, "UserGroupIDs")
	equal(t, len(ids), 0, "UserGroupIDs of a user in no group")
	_, err = s.UserGroupIDs(ctx, newID())
	check(t, err, store.ErrNotFound, "UserGroupIDs of a missing user")

	must(t, s.RemoveGroupMember(ctx, g.ID, u2.ID), "RemoveGroupMember")
	check(t, s.RemoveGroupMember(ctx, g.ID, u2.ID), store.ErrNotFound, "RemoveGroupMember again")
	check(t, s.RemoveGroupMember(ctx, g.ID, outsider.ID), store.ErrNotFound, "RemoveGroupMember of a non-member")
	check(t, s.RemoveGroupMember(ctx, newID(), u1.ID), store.ErrNotFound, "RemoveGroupMember from a missing group")
	check(t, s.RemoveGroupMember(ctx, g2.ID, u3.ID), store.ErrNotFound, "RemoveGroupMember of another group's member")
	equal(t, members(g.ID), usersByID(u1, u3), "members after RemoveGroupMember")
	equal(t, members(g2.ID), []store.User{u1}, "second group after RemoveGroupMember")
	ids, err = s.UserGroupIDs(ctx, u2.ID)
	must(t, err, "UserGroupIDs")
	equal(t, len(ids), 0, "UserGroupIDs of a removed member")

	// A removed member can be added again.
	must(t, s.AddGroupMember(ctx, g.ID, u2.ID), "AddGroupMember after RemoveGroupMember")
	equal(t, members(g.ID), usersByID(u1, u2, u3), "members after adding again")
}

// usersByID returns the users ordered by ID.
func usersByID(users ...store.User) []store.User {
	return slices.SortedFunc(slices.Values(users), func(a, b store.User) int { return strings.Compare(a.ID, b.ID) })
}

// assignmentsByID returns the assignments ordered by ID, to compare them as sets.
func assignmentsByID(as ...store.RoleAssignment) []store.RoleAssignment {
	return slices.SortedFunc(slices.Values(as), func(a, b store.RoleAssignment) int { return strings.Compare(a.ID, b.ID) })
}

func testGroupMembersPaging(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := createGroup(t, s, "paged")
	byID := map[string]store.User{}
	var ids []string
	for i := range 9 {
		u := createUser(t, s, newID()+"@contoso.com")
		if i%3 == 2 {
			continue // not a member
		}
		must(t, s.AddGroupMember(ctx, g.ID, u.ID), "AddGroupMember")
		byID[u.ID] = u
		ids = append(ids, u.ID)
	}
	checkPaging(t, "ListGroupMembers", ids, func(after string, limit int) ([]string, error) {
		users, err := s.ListGroupMembers(ctx, g.ID, after, limit)
		var page []string
		for _, u := range users {
			equal(t, u, byID[u.ID], "listed member")
			page = append(page, u.ID)
		}
		return page, err
	})
}

func testGroupDeleteRemovesMemberships(t *testing.T, s store.Store) {
	ctx := t.Context()
	g1, g2 := createGroup(t, s, "g1"), createGroup(t, s, "g2")
	u := createUser(t, s, "u@contoso.com")
	must(t, s.AddGroupMember(ctx, g1.ID, u.ID), "AddGroupMember")
	must(t, s.AddGroupMember(ctx, g2.ID, u.ID), "AddGroupMember")

	must(t, s.DeleteGroup(ctx, g1.ID), "DeleteGroup")
	ids, err := s.UserGroupIDs(ctx, u.ID)
	must(t, err, "UserGroupIDs")
	equal(t, ids, []string{g2.ID}, "UserGroupIDs after DeleteGroup")
	_, err = s.GetUser(ctx, u.ID)
	must(t, err, "GetUser: deleting a group keeps its members")
	_, err = s.ListGroupMembers(ctx, g1.ID, "", 100)
	check(t, err, store.ErrNotFound, "ListGroupMembers of a deleted group")

	// Re-created with the same id, the group has no members.
	must(t, s.CreateGroup(ctx, g1), "CreateGroup with the deleted group's id")
	members, err := s.ListGroupMembers(ctx, g1.ID, "", 100)
	must(t, err, "ListGroupMembers")
	equal(t, len(members), 0, "members of the re-created group")
	must(t, s.AddGroupMember(ctx, g1.ID, u.ID), "AddGroupMember to the re-created group")
}

func testRoleAssignments(t *testing.T, s store.Store) {
	ctx := t.Context()
	list := func(principalID string) []store.RoleAssignment {
		t.Helper()
		got, err := s.ListRoleAssignments(ctx, principalID)
		must(t, err, "ListRoleAssignments")
		return got
	}
	equal(t, len(list("")), 0, "role assignments in an empty store")
	p1 := createUser(t, s, "p1@contoso.com").ID
	p2 := newID() // a principal need not be a stored user (an application)
	a1 := store.RoleAssignment{ID: newID(), PrincipalID: p1, RoleDefinitionID: roleGlobalAdmin}
	a2 := store.RoleAssignment{ID: newID(), PrincipalID: p1, RoleDefinitionID: roleAuthAdmin}
	a3 := store.RoleAssignment{ID: newID(), PrincipalID: p2, RoleDefinitionID: roleGlobalAdmin}
	for _, a := range []store.RoleAssignment{a1, a2, a3} {
		must(t, s.CreateRoleAssignment(ctx, a), "CreateRoleAssignment")
	}
	check(t, s.CreateRoleAssignment(ctx, store.RoleAssignment{ID: newID(), PrincipalID: p1, RoleDefinitionID: roleGlobalAdmin}),
		store.ErrConflict, "CreateRoleAssignment of a role the principal holds")
	check(t, s.CreateRoleAssignment(ctx, store.RoleAssignment{ID: a1.ID, PrincipalID: p2, RoleDefinitionID: roleAuthAdmin}),
		store.ErrConflict, "CreateRoleAssignment with an id in use")

	equal(t, assignmentsByID(list(p1)...), assignmentsByID(a1, a2), "assignments of p1")
	equal(t, list(p2), []store.RoleAssignment{a3}, "assignments of p2")
	equal(t, len(list(newID())), 0, "assignments of a principal with none")
	equal(t, assignmentsByID(list("")...), assignmentsByID(a1, a2, a3), "all assignments")

	must(t, s.DeleteRoleAssignment(ctx, a1.ID), "DeleteRoleAssignment")
	check(t, s.DeleteRoleAssignment(ctx, a1.ID), store.ErrNotFound, "DeleteRoleAssignment again")
	check(t, s.DeleteRoleAssignment(ctx, newID()), store.ErrNotFound, "DeleteRoleAssignment of a missing id")
	equal(t, list(p1), []store.RoleAssignment{a2}, "assignments of p1 after delete")
	equal(t, assignmentsByID(list("")...), assignmentsByID(a2, a3), "all assignments after delete")

	// The role can be assigned again, under a new id or the old one.
	must(t, s.CreateRoleAssignment(ctx, a1), "CreateRoleAssignment after delete")
	equal(t, assignmentsByID(list(p1)...), assignmentsByID(a1, a2), "assignments of p1 after re-create")
}
