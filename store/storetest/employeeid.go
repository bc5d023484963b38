package storetest

import (
	"fmt"
	"testing"

	"github.com/qrpin/qrpin/store"
)

var employeeIDTests = []test{
	{"Users/EmployeeIDStored", testEmployeeIDStored},
	{"Users/EmployeeIDUpdated", testEmployeeIDUpdated},
	{"Users/EmployeeIDFilter", testEmployeeIDFilter},
	{"Users/EmployeeIDFilterPaging", testEmployeeIDFilterPaging},
}

// createEmployee stores and returns a new user with that employee id.
func createEmployee(t *testing.T, s store.Store, upn, employeeID string) store.User {
	t.Helper()
	u := newUser(upn)
	u.EmployeeID = employeeID
	must(t, s.CreateUser(t.Context(), u), "CreateUser "+upn)
	return u
}

func testEmployeeIDStored(t *testing.T, s store.Store) {
	ctx := t.Context()
	alice := createEmployee(t, s, "alice@contoso.com", "E-1001")
	odd := createEmployee(t, s, "odd@contoso.com", "Ü'\"%_ 0123456789")
	none := createUser(t, s, "none@contoso.com")
	g := createGroup(t, s, "g")
	for _, u := range []store.User{alice, odd, none} {
		got, err := s.GetUser(ctx, u.ID)
		must(t, err, "GetUser")
		equal(t, got, u, "GetUser")
		got, err = s.GetUserByUPN(ctx, u.UPN)
		must(t, err, "GetUserByUPN")
		equal(t, got, u, "GetUserByUPN")
		must(t, s.AddGroupMember(ctx, g.ID, u.ID), "AddGroupMember")
	}
	want := sortedUsers(alice, odd, none)
	users, err := s.ListUsers(ctx, "", 0)
	must(t, err, "ListUsers")
	equal(t, users, want, "ListUsers")
	members, err := s.ListGroupMembers(ctx, g.ID, "", 0)
	must(t, err, "ListGroupMembers")
	equal(t, members, want, "ListGroupMembers")
}

func testEmployeeIDUpdated(t *testing.T, s store.Store) {
	ctx := t.Context()
	alice := createEmployee(t, s, "alice@contoso.com", "E-1001")
	want := alice
	want.EmployeeID = "E-2002"
	got, err := s.UpdateUser(ctx, alice.ID, func(u *store.User) error {
		equal(t, u.EmployeeID, "E-1001", "UpdateUser fn's employee id")
		u.EmployeeID = want.EmployeeID
		return nil
	})
	must(t, err, "UpdateUser")
	equal(t, got, want, "UpdateUser result")
	got, err = s.GetUser(ctx, alice.ID)
	must(t, err, "GetUser")
	equal(t, got, want, "GetUser after UpdateUser")

	// Another change keeps the employee id.
	want.DisplayName = "Alice B"
	got, err = s.UpdateUser(ctx, alice.ID, func(u *store.User) error { u.DisplayName = want.DisplayName; return nil })
	must(t, err, "UpdateUser of the display name")
	equal(t, got, want, "UpdateUser of the display name")

	// A refused update changes nothing.
	refused := &fnError{"UpdateUser"}
	_, err = s.UpdateUser(ctx, alice.ID, func(u *store.User) error { u.EmployeeID = "E-3003"; return refused })
	if err != refused {
		t.Fatalf("UpdateUser returned %v, want fn's error unchanged", err)
	}
	list, err := s.ListUsersByEmployeeID(ctx, "E-3003", "", 0)
	must(t, err, "ListUsersByEmployeeID")
	equal(t, list, []store.User{}, "users with the employee id of a refused update")

	// Cleared.
	want.EmployeeID = ""
	got, err = s.UpdateUser(ctx, alice.ID, func(u *store.User) error { u.EmployeeID = ""; return nil })
	must(t, err, "UpdateUser clearing the employee id")
	equal(t, got, want, "UpdateUser clearing the employee id")
	got, err = s.GetUser(ctx, alice.ID)
	must(t, err, "GetUser")
	equal(t, got, want, "GetUser after clearing the employee id")
	list, err = s.ListUsersByEmployeeID(ctx, "E-2002", "", 0)
	must(t, err, "ListUsersByEmployeeID")
	equal(t, list, []store.User{}, "users with the cleared employee id")
}

func testEmployeeIDFilter(t *testing.T, s store.Store) {
	ctx := t.Context()
	// Employee ids are not unique.
	a1 := createEmployee(t, s, "a1@contoso.com", "E-1001")
	a2 := createEmployee(t, s, "a2@contoso.com", "E-1001")
	b := createEmployee(t, s, "b@contoso.com", "E-10011")
	c := createEmployee(t, s, "c@contoso.com", "e-1001")
	createUser(t, s, "none@contoso.com")
	tests := []struct {
		id   string
		want []store.User
	}{
		{"E-1001", sortedUsers(a1, a2)},
		{"E-10011", []store.User{b}},
		{"e-1001", []store.User{c}}, // compared exactly
		{"E-100", []store.User{}},   // not a prefix match
		{"E-1001 ", []store.User{}},
		{"E-%", []store.User{}}, // not a pattern
		{"E-_001", []store.User{}},
		{"", []store.User{}}, // no employee id finds nobody, not the users without one
		{"nobody", []store.User{}},
	}
	for _, k := range oddKeys {
		tests = append(tests, struct {
			id   string
			want []store.User
		}{k, []store.User{}})
	}
	for _, tc := range tests {
		got, err := s.ListUsersByEmployeeID(ctx, tc.id, "", 0)
		must(t, err, fmt.Sprintf("ListUsersByEmployeeID %q", tc.id))
		equal(t, got, tc.want, fmt.Sprintf("ListUsersByEmployeeID %q", tc.id))
	}
	// Deleted users are not found.
	must(t, s.DeleteUser(ctx, a1.ID), "DeleteUser")
	got, err := s.ListUsersByEmployeeID(ctx, "E-1001", "", 0)
	must(t, err, "ListUsersByEmployeeID")
	equal(t, got, []store.User{a2}, "ListUsersByEmployeeID after DeleteUser")
}

func testEmployeeIDFilterPaging(t *testing.T, s store.Store) {
	ctx := t.Context()
	byID := map[string]store.User{}
	var ids []string
	for i := range 6 {
		u := createEmployee(t, s, fmt.Sprintf("user%d@contoso.com", i), "E-7")
		byID[u.ID] = u
		ids = append(ids, u.ID)
		createEmployee(t, s, fmt.Sprintf("other%d@contoso.com", i), "E-8")
	}
	checkPaging(t, "ListUsersByEmployeeID", ids, func(after string, limit int) ([]string, error) {
		users, err := s.ListUsersByEmployeeID(ctx, "E-7", after, limit)
		var page []string
		for _, u := range users {
			equal(t, u, byID[u.ID], "listed user")
			page = append(page, u.ID)
		}
		return page, err
	})
}

// sortedUsers returns the users ordered by ID, as lists return them.
func sortedUsers(users ...store.User) []store.User {
	byID := map[string]store.User{}
	var ids []string
	for _, u := range users {
		byID[u.ID] = u
		ids = append(ids, u.ID)
	}
	out := []store.User{}
	for _, id := range sorted(ids) {
		out = append(out, byID[id])
	}
	return out
}
