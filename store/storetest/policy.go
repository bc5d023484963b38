package storetest

import (
	"slices"
	"testing"

	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
)

var policyTests = []test{
	{"Policy/Default", testPolicyDefault},
	{"Policy/Update", testPolicyUpdate},
	{"Policy/UpdateFnError", testPolicyUpdateFnError},
	{"Policy/Delete", testPolicyDelete},
}

// samePolicy fails the test when got and want differ; a nil and an empty
// target list are alike.
func samePolicy(t *testing.T, got, want method.Policy, what string) {
	t.Helper()
	if got.State != want.State || got.PINLength != want.PINLength ||
		got.StandardLifetimeDays != want.StandardLifetimeDays ||
		!slices.Equal(got.Include, want.Include) || !slices.Equal(got.Exclude, want.Exclude) {
		t.Fatalf("%s:\n got %s\nwant %s", what, show(got), show(want))
	}
}

// clonePolicy returns a copy of p that shares no memory with it.
func clonePolicy(p method.Policy) *method.Policy {
	p.Include, p.Exclude = slices.Clone(p.Include), slices.Clone(p.Exclude)
	return &p
}

func getPolicy(t *testing.T, s store.Store) method.Policy {
	t.Helper()
	p, err := s.GetPolicy(t.Context())
	must(t, err, "GetPolicy")
	return p
}

// customPolicy is a policy unlike the default in every field.
func customPolicy() method.Policy {
	return method.Policy{
		State:                method.Enabled,
		PINLength:            12,
		StandardLifetimeDays: 30,
		Include: []method.Target{
			{TargetType: method.TargetGroup, ID: newID(), IsRegistrationRequired: true},
			{TargetType: method.TargetUser, ID: newID()},
		},
		Exclude: []method.Target{{TargetType: method.TargetGroup, ID: newID()}},
	}
}

func testPolicyDefault(t *testing.T, s store.Store) {
	samePolicy(t, getPolicy(t, s), method.DefaultPolicy(), "GetPolicy of a new store")
	// What GetPolicy returns is the caller's to change.
	p := getPolicy(t, s)
	p.Include[0].ID = "changed"
	p.State = method.Enabled
	samePolicy(t, getPolicy(t, s), method.DefaultPolicy(), "GetPolicy after changing a returned policy")
}

func testPolicyUpdate(t *testing.T, s store.Store) {
	ctx := t.Context()
	want := customPolicy()
	var seen *method.Policy
	got, err := s.UpdatePolicy(ctx, func(p *method.Policy) error {
		seen = clonePolicy(*p)
		*p = want
		return nil
	})
	must(t, err, "UpdatePolicy")
	if seen == nil {
		t.Fatalf("UpdatePolicy did not call fn")
	}
	samePolicy(t, *seen, method.DefaultPolicy(), "UpdatePolicy fn's first policy")
	samePolicy(t, got, want, "UpdatePolicy result")
	samePolicy(t, getPolicy(t, s), want, "GetPolicy after UpdatePolicy")

	// fn sees the stored policy; targets can be emptied.
	prev := want
	want.State = method.Disabled
	want.PINLength = 20
	want.StandardLifetimeDays = 395
	want.Include = []method.Target{{TargetType: method.TargetUser, ID: newID(), IsRegistrationRequired: true}}
	want.Exclude = nil
	got, err = s.UpdatePolicy(ctx, func(p *method.Policy) error {
		seen = clonePolicy(*p)
		*p = want
		return nil
	})
	must(t, err, "UpdatePolicy")
	samePolicy(t, *seen, prev, "UpdatePolicy fn's policy")
	samePolicy(t, got, want, "UpdatePolicy result")
	samePolicy(t, getPolicy(t, s), want, "GetPolicy after the second UpdatePolicy")

	want.Include, want.Exclude = []method.Target{}, want.Include
	_, err = s.UpdatePolicy(ctx, func(p *method.Policy) error { *p = want; return nil })
	must(t, err, "UpdatePolicy")
	samePolicy(t, getPolicy(t, s), want, "GetPolicy after emptying the include targets")
}

func testPolicyUpdateFnError(t *testing.T, s store.Store) {
	ctx := t.Context()
	refused := &fnError{"UpdatePolicy"}
	_, err := s.UpdatePolicy(ctx, func(p *method.Policy) error {
		*p = customPolicy()
		return refused
	})
	if err != refused {
		t.Fatalf("UpdatePolicy returned %v (%T), want fn's error unchanged", err, err)
	}
	samePolicy(t, getPolicy(t, s), method.DefaultPolicy(), "GetPolicy after fn failed on the default")

	stored := customPolicy()
	_, err = s.UpdatePolicy(ctx, func(p *method.Policy) error { *p = stored; return nil })
	must(t, err, "UpdatePolicy")
	_, err = s.UpdatePolicy(ctx, func(p *method.Policy) error {
		p.State = method.Disabled
		p.Include[0].ID = "changed"
		p.Exclude = nil
		return refused
	})
	if err != refused {
		t.Fatalf("UpdatePolicy returned %v (%T), want fn's error unchanged", err, err)
	}
	samePolicy(t, getPolicy(t, s), stored, "GetPolicy after fn failed on a stored policy")
}

func testPolicyDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.DeletePolicy(ctx), "DeletePolicy of the default policy")
	samePolicy(t, getPolicy(t, s), method.DefaultPolicy(), "GetPolicy after deleting the default")

	_, err := s.UpdatePolicy(ctx, func(p *method.Policy) error { *p = customPolicy(); return nil })
	must(t, err, "UpdatePolicy")
	must(t, s.DeletePolicy(ctx), "DeletePolicy")
	samePolicy(t, getPolicy(t, s), method.DefaultPolicy(), "GetPolicy after DeletePolicy")

	// After a delete, fn starts from the default again.
	var seen *method.Policy
	_, err = s.UpdatePolicy(ctx, func(p *method.Policy) error {
		seen = clonePolicy(*p)
		p.PINLength = 10
		return nil
	})
	must(t, err, "UpdatePolicy")
	samePolicy(t, *seen, method.DefaultPolicy(), "UpdatePolicy fn's policy after DeletePolicy")
	want := method.DefaultPolicy()
	want.PINLength = 10
	samePolicy(t, getPolicy(t, s), want, "GetPolicy after updating the default")
}
