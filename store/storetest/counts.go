package storetest

import (
	"testing"

	"github.com/qrpin/qrpin/store"
)

// testCounts: Count and CountGroupMembers follow creates and deletes.
func testCounts(t *testing.T, s store.Store) {
	ctx := t.Context()
	c, err := s.Count(ctx)
	must(t, err, "Count")
	equal(t, c, store.Counts{}, "counts of an empty store")
	a, b := createUser(t, s, "a@contoso.com"), createUser(t, s, "b@contoso.com")
	createUser(t, s, "c@contoso.com")
	g, empty := createGroup(t, s, "g"), createGroup(t, s, "empty")
	must(t, s.CreateMethod(ctx, newMethod(a.ID)), "CreateMethod")
	must(t, s.AddGroupMember(ctx, g.ID, a.ID), "AddGroupMember a")
	must(t, s.AddGroupMember(ctx, g.ID, b.ID), "AddGroupMember b")
	c, err = s.Count(ctx)
	must(t, err, "Count")
	equal(t, c, store.Counts{Users: 3, Groups: 2, Methods: 1}, "counts")
	n, err := s.CountGroupMembers(ctx, g.ID)
	must(t, err, "CountGroupMembers")
	equal(t, n, 2, "members of g")
	n, err = s.CountGroupMembers(ctx, empty.ID)
	must(t, err, "CountGroupMembers of an empty group")
	equal(t, n, 0, "members of an empty group")
	_, err = s.CountGroupMembers(ctx, newID())
	check(t, err, store.ErrNotFound, "CountGroupMembers of a missing group")
	_, err = s.CountGroupMembers(ctx, "not\x00text")
	check(t, err, store.ErrNotFound, "CountGroupMembers of an id no text holds")

	must(t, s.DeleteUser(ctx, a.ID), "DeleteUser a") // its method and membership go with it
	c, err = s.Count(ctx)
	must(t, err, "Count")
	equal(t, c, store.Counts{Users: 2, Groups: 2, Methods: 0}, "counts after deleting a")
	n, err = s.CountGroupMembers(ctx, g.ID)
	must(t, err, "CountGroupMembers")
	equal(t, n, 1, "members of g after deleting a")
}
