package admin_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
)

// unitAdmin is a Privileged Role Administrator's principal.
func (e *env) unitAdmin() auth.Principal {
	e.t.Helper()
	return e.delegated(e.user(auth.PrivilegedRoleAdministrator), e.clock.Now(), unitWrite, roleWrite)
}

func TestUnitCreateValidates(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.unitAdmin()
	for _, tc := range []struct {
		name       string
		in         admin.UnitInput
		want       string // "" for success
		visibility string // stored, on success
	}{
		{"name only", admin.UnitInput{DisplayName: ptr("Store 12")}, "", ""},
		{"hidden, any case", admin.UnitInput{DisplayName: ptr("Store 13"), Visibility: ptr("hiddenmembership")}, "", admin.VisibilityHidden},
		{"public by null", admin.UnitInput{DisplayName: ptr("Store 14"), Visibility: ptr("")}, "", ""},
		{"public by name", admin.UnitInput{DisplayName: ptr("Store 15"), Visibility: ptr("Public")}, "", ""},
		{"public by name, any case", admin.UnitInput{DisplayName: ptr("Store 16"), Visibility: ptr("pUBLIC")}, "", ""},
		{"no name", admin.UnitInput{Description: ptr("x")}, "displayName", ""},
		{"blank name", admin.UnitInput{DisplayName: ptr("  ")}, "displayName", ""},
		{"control character", admin.UnitInput{DisplayName: ptr("a\x00b")}, "displayName", ""},
		{"long description", admin.UnitInput{DisplayName: ptr("a"), Description: ptr(string(make([]byte, 1025)))}, "description", ""},
		{"unknown visibility", admin.UnitInput{DisplayName: ptr("a"), Visibility: ptr("Private")}, "visibility", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			before := e.commits()
			u, err := e.svc.CreateUnit(e.ctx, p, tc.in)
			if tc.want != "" {
				wantErr(t, err, apperr.Invalid, "Request_BadRequest")
				if ae, _ := apperr.As(err); !strings.Contains(ae.Message, "'"+tc.want+"'") {
					t.Errorf("message %q does not name %s", ae.Message, tc.want)
				}
				if e.commits() != before {
					t.Error("a refused create wrote")
				}
				return
			}
			wantErr(t, err, 0, "")
			got, err := e.st.GetUnit(e.ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got != u || got.Created != e.clock.Now() {
				t.Errorf("stored %+v, returned %+v", got, u)
			}
			if got.Visibility != tc.visibility {
				t.Errorf("visibility %q, want %q", got.Visibility, tc.visibility)
			}
		})
	}
}

func TestUnitUpdateKeepsWhatIsNotSent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.unitAdmin()
	u, err := e.svc.CreateUnit(e.ctx, p, admin.UnitInput{DisplayName: ptr("Store 12"), Description: ptr("North"), Visibility: ptr(admin.VisibilityHidden)})
	wantErr(t, err, 0, "")
	wantErr(t, e.svc.UpdateUnit(e.ctx, p, u.ID, admin.UnitInput{Description: ptr("South")}), 0, "")
	got, _ := e.st.GetUnit(e.ctx, u.ID)
	if got.DisplayName != "Store 12" || got.Description != "South" || got.Visibility != admin.VisibilityHidden {
		t.Errorf("after update: %+v", got)
	}
	wantErr(t, e.svc.UpdateUnit(e.ctx, p, u.ID, admin.UnitInput{DisplayName: ptr("")}), apperr.Invalid, "Request_BadRequest")
	wantErr(t, e.svc.UpdateUnit(e.ctx, p, u.ID, admin.UnitInput{Visibility: ptr("")}), 0, "")
	got, _ = e.st.GetUnit(e.ctx, u.ID)
	if got.DisplayName != "Store 12" || got.Visibility != "" {
		t.Errorf("after a refused and a visibility update: %+v", got)
	}
}

func TestUnitMembers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.unitAdmin()
	unit := e.unit()
	ann, g := e.user(), e.group()
	wantErr(t, e.svc.AddUnitMember(e.ctx, p, unit.ID, ann.ID), 0, "")
	wantErr(t, e.svc.AddUnitMember(e.ctx, p, unit.ID, g.ID), 0, "")
	wantErr(t, e.svc.AddUnitMember(e.ctx, p, unit.ID, ann.ID), apperr.Invalid, "Request_BadRequest")
	wantErr(t, e.svc.AddUnitMember(e.ctx, p, unit.ID, missingID()), apperr.NotFound, "Request_ResourceNotFound")
	wantErr(t, e.svc.AddUnitMember(e.ctx, p, missingID(), ann.ID), apperr.NotFound, "Request_ResourceNotFound")
	ms, err := e.svc.ListUnitMembers(e.ctx, p, unit.ID, "", 0)
	wantErr(t, err, 0, "")
	if len(ms) != 2 {
		t.Fatalf("%d members, want 2", len(ms))
	}
	wantErr(t, e.svc.RemoveUnitMember(e.ctx, p, unit.ID, g.ID), 0, "")
	wantErr(t, e.svc.RemoveUnitMember(e.ctx, p, unit.ID, g.ID), apperr.NotFound, "Request_ResourceNotFound")
	wantErr(t, e.svc.RemoveUnitMember(e.ctx, p, missingID(), ann.ID), apperr.NotFound, "Request_ResourceNotFound")
}

func TestHiddenUnitMembership(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	hidden := e.unit()
	if _, err := e.st.UpdateUnit(e.ctx, hidden.ID, func(u *store.AdministrativeUnit) error {
		u.Visibility = admin.VisibilityHidden
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	member := e.user()
	e.unitMember(hidden, member.ID)
	public := e.unit()
	for _, tc := range []struct {
		name string
		p    auth.Principal
		unit store.AdministrativeUnit
		ok   bool
	}{
		{"a plain user, public unit", e.delegated(e.user(), e.clock.Now(), unitRead), public, true},
		{"a plain user, hidden unit", e.delegated(e.user(), e.clock.Now(), unitRead, memberReadHidden), hidden, false},
		{"a member, hidden unit", e.delegated(member, e.clock.Now(), unitRead, memberReadHidden), hidden, true},
		{"a Global Reader, hidden unit", e.delegated(e.user(auth.GlobalReader), e.clock.Now(), unitRead, memberReadHidden), hidden, true},
		{"an application, hidden unit", func() auth.Principal { _, p := e.app(unitRead, memberReadHidden); return p }(), hidden, true},
		// Graph's rule: a hidden membership also needs Member.Read.Hidden.
		{"a member without Member.Read.Hidden, hidden unit", e.delegated(member, e.clock.Now(), unitRead), hidden, false},
		{"a Global Reader without Member.Read.Hidden, hidden unit", e.delegated(e.user(auth.GlobalReader), e.clock.Now(), unitRead), hidden, false},
		{"an application without Member.Read.Hidden, hidden unit", func() auth.Principal { _, p := e.app(unitRead); return p }(), hidden, false},
		{"Member.Read.Hidden alone", func() auth.Principal { _, p := e.app(memberReadHidden); return p }(), hidden, false},
	} {
		_, err := e.svc.ListUnitMembers(e.ctx, tc.p, tc.unit.ID, "", 0)
		if tc.ok {
			wantErr(t, err, 0, "")
		} else {
			wantErr(t, err, apperr.Forbidden, "accessDenied")
		}
	}
}

func TestScopedRoleAssignmentCreate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.unitAdmin()
	unit, lead := e.unit(), e.user()
	a, err := e.svc.CreateRoleAssignment(e.ctx, p, scopedRoleInput(lead.ID, auth.AuthenticationAdministrator, unit.ID))
	wantErr(t, err, 0, "")
	if a.UnitID != unit.ID || admin.DirectoryScope(a) != "/administrativeUnits/"+unit.ID {
		t.Errorf("assignment %+v, scope %q", a, admin.DirectoryScope(a))
	}
	_, err = e.svc.CreateRoleAssignment(e.ctx, p, scopedRoleInput(lead.ID, auth.AuthenticationAdministrator, unit.ID))
	wantErr(t, err, apperr.Invalid, "Request_BadRequest") // the same role over the same unit
	tenant, err := e.svc.CreateRoleAssignment(e.ctx, p, roleInput(lead.ID, auth.AuthenticationAdministrator))
	wantErr(t, err, 0, "") // the same role tenant-wide is another assignment
	if admin.DirectoryScope(tenant) != "/" {
		t.Errorf("tenant-wide scope %q", admin.DirectoryScope(tenant))
	}
	for _, tc := range []struct {
		name        string
		role, scope string
		kind        apperr.Kind
		code        string
	}{
		{"a role qrpin does not scope", auth.GlobalAdministrator, "/administrativeUnits/" + unit.ID, apperr.Invalid, "Request_BadRequest"},
		{"Groups Administrator", auth.GroupsAdministrator, "/administrativeUnits/" + unit.ID, apperr.Invalid, "Request_BadRequest"},
		{"a missing unit", auth.AuthenticationAdministrator, "/administrativeUnits/" + missingID(), apperr.NotFound, "Request_ResourceNotFound"},
		{"no unit id", auth.AuthenticationAdministrator, "/administrativeUnits/", apperr.Invalid, "Request_BadRequest"},
		{"another kind of scope", auth.AuthenticationAdministrator, "/" + unit.ID, apperr.Invalid, "Request_BadRequest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			principal, role, scope := e.user().ID, tc.role, tc.scope
			before := e.commits()
			_, err := e.svc.CreateRoleAssignment(e.ctx, p, admin.RoleAssignmentInput{PrincipalID: &principal, RoleDefinitionID: &role, DirectoryScopeID: &scope})
			wantErr(t, err, tc.kind, tc.code)
			if e.commits() != before {
				t.Error("a refused assignment wrote")
			}
		})
	}
	// The scope compares case-insensitively, as Graph's ids do.
	upper := "/ADMINISTRATIVEUNITS/" + unit.ID
	principal, role := e.user().ID, auth.UserAdministrator
	a, err = e.svc.CreateRoleAssignment(e.ctx, p, admin.RoleAssignmentInput{PrincipalID: &principal, RoleDefinitionID: &role, DirectoryScopeID: &upper})
	wantErr(t, err, 0, "")
	if a.UnitID != unit.ID {
		t.Errorf("unit %q, want %q", a.UnitID, unit.ID)
	}
}

// unitGoneStore finds a unit and then deletes it: a DeleteUnit that comes
// between CreateRoleAssignment's check of the unit and its insert.
type unitGoneStore struct{ store.Store }

func (s unitGoneStore) GetUnit(ctx context.Context, id string) (store.AdministrativeUnit, error) {
	u, err := s.Store.GetUnit(ctx, id)
	if err == nil {
		err = s.Store.DeleteUnit(ctx, id)
	}
	return u, err
}

// TestScopedRoleAssignmentUnitDeleted: a unit deleted after the service
// found it is a missing unit (404), and no assignment is left over it.
func TestScopedRoleAssignmentUnitDeleted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.unitAdmin()
	unit, lead := e.unit(), e.user()
	cfg := e.svc.Config
	cfg.Store = unitGoneStore{e.st}
	svc := &admin.Service{Config: cfg}
	mark := e.mark()
	_, err := svc.CreateRoleAssignment(e.ctx, p, scopedRoleInput(lead.ID, auth.AuthenticationAdministrator, unit.ID))
	wantErr(t, err, apperr.NotFound, "Request_ResourceNotFound")
	as, err := e.st.ListRoleAssignments(e.ctx, lead.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 0 {
		t.Errorf("assignments over the deleted unit: %+v", as)
	}
	if got := e.auditsSince(mark); len(got) != 0 {
		t.Errorf("a refused assignment was audited: %+v", got)
	}
}

// TestScopedRolesApplyAtOnce: a scoped role is read on every request, so
// deleting its assignment or its unit, or taking the target out of the
// unit, ends it at once for the same principal (token).
func TestScopedRolesApplyAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pra := e.unitAdmin()
	unit, lead, worker := e.unit(), e.user(), e.user()
	e.method(worker)
	e.unitMember(unit, worker.ID)
	p := e.delegated(lead, e.clock.Now(), qrWriteAll)
	ref := admin.UserRef{Key: worker.ID}
	_, err := e.svc.ResetPIN(e.ctx, p, ref)
	wantErr(t, err, apperr.Forbidden, "accessDenied")
	a, err := e.svc.CreateRoleAssignment(e.ctx, pra, scopedRoleInput(lead.ID, auth.AuthenticationAdministrator, unit.ID))
	wantErr(t, err, 0, "")
	if len(p.DirectoryRoles) != 0 {
		t.Fatalf("the token's roles %v, want none: scoped roles are never in a token", p.DirectoryRoles)
	}
	_, err = e.svc.ResetPIN(e.ctx, p, ref)
	wantErr(t, err, 0, "")
	wantErr(t, e.svc.RemoveUnitMember(e.ctx, pra, unit.ID, worker.ID), 0, "")
	_, err = e.svc.ResetPIN(e.ctx, p, ref)
	wantErr(t, err, apperr.Forbidden, "accessDenied")
	wantErr(t, e.svc.AddUnitMember(e.ctx, pra, unit.ID, worker.ID), 0, "")
	_, err = e.svc.ResetPIN(e.ctx, p, ref)
	wantErr(t, err, 0, "")
	wantErr(t, e.svc.DeleteRoleAssignment(e.ctx, pra, a.ID), 0, "")
	_, err = e.svc.ResetPIN(e.ctx, p, ref)
	wantErr(t, err, apperr.Forbidden, "accessDenied")
	_, err = e.svc.CreateRoleAssignment(e.ctx, pra, scopedRoleInput(lead.ID, auth.AuthenticationAdministrator, unit.ID))
	wantErr(t, err, 0, "")
	wantErr(t, e.svc.DeleteUnit(e.ctx, pra, unit.ID), 0, "")
	_, err = e.svc.ResetPIN(e.ctx, p, ref)
	wantErr(t, err, apperr.Forbidden, "accessDenied")
	if as, _ := e.st.ListRoleAssignments(e.ctx, lead.ID); len(as) != 0 {
		t.Errorf("deleting the unit left its scoped assignments: %+v", as)
	}
}

// TestScopedAdminOnTenant: a scoped Authentication Policy Administrator (or
// any scoped role) cannot touch the policy; a scoped Authentication
// Administrator cannot create users or read another unit's members' methods.
func TestScopedAdminOnTenant(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	unit, lead := e.unit(), e.user()
	e.unitMember(unit, lead.ID)
	e.scopedRole(lead, auth.AuthenticationPolicyAdministrator, unit)
	e.scopedRole(lead, auth.AuthenticationAdministrator, unit)
	p := e.delegated(lead, e.clock.Now(), policyWrite, qrWriteAll, "User.ReadWrite.All")
	_, err := e.svc.UpdatePolicy(e.ctx, p, patchOf(admin.PolicyPatch{}))
	wantErr(t, err, apperr.Forbidden, "accessDenied")
	_, err = e.svc.CreateUser(e.ctx, p, admin.UserInput{UPN: ptr("x@contoso.com"), DisplayName: ptr("X")})
	wantErr(t, err, apperr.Forbidden, "accessDenied")
	// A missing user: 403, as for any caller who could not act on another
	// user (the scoped admin learns nothing about who exists).
	_, err = e.svc.ResetPIN(e.ctx, p, admin.UserRef{Key: missingID()})
	wantErr(t, err, apperr.Forbidden, "accessDenied")
}

func TestUnlockPIN(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.delegated(e.user(auth.AuthenticationAdministrator), e.clock.Now(), qrWriteAll)
	for _, tc := range []struct {
		name string
		lock method.Lockout
	}{
		{"locked for now", method.Lockout{Failures: 5, LockedUntil: testStart.AddDate(0, 0, 1)}},
		{"a failure counted", method.Lockout{Failures: 2}},
		{"not locked", method.Lockout{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			u := e.user()
			before := e.method(u)
			if _, err := e.st.UpdateMethod(e.ctx, u.ID, func(m *method.Method) error { m.Lockout = tc.lock; return nil }); err != nil {
				t.Fatal(err)
			}
			got, err := e.svc.UnlockPIN(e.ctx, p, admin.UserRef{Key: u.UPN})
			wantErr(t, err, 0, "")
			if got.ID != u.ID {
				t.Errorf("returned user %s, want %s", got.ID, u.ID)
			}
			m, err := e.st.GetMethod(e.ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if m.Lockout != (method.Lockout{}) {
				t.Errorf("lockout after unlock %+v, want none", m.Lockout)
			}
			if m.PIN != before.PIN {
				t.Errorf("the PIN changed: %+v, want %+v (unlock keeps the PIN)", m.PIN, before.PIN)
			}
			if err := m.Lockout.Check(e.clock.Now()); err != nil {
				t.Errorf("the PIN is still refused: %v", err)
			}
		})
	}
	t.Run("no method", func(t *testing.T) {
		e.t = t
		u := e.user()
		mark, before := e.mark(), e.commits()
		_, err := e.svc.UnlockPIN(e.ctx, p, admin.UserRef{Key: u.ID})
		wantErr(t, err, apperr.NotFound, "itemNotFound")
		if e.commits() != before || len(e.auditsSince(mark)) != 0 {
			t.Error("a failed unlock wrote")
		}
	})
	// A PIN disabled after too many wrong PINs stays disabled until a
	// reset (spec D16): the unlock is refused and changes nothing.
	t.Run("disabled", func(t *testing.T) {
		e.t = t
		u := e.user()
		e.method(u)
		disabled := method.Lockout{Failures: 100, LockedUntil: testStart.AddDate(0, 0, 1), Disabled: true}
		if _, err := e.st.UpdateMethod(e.ctx, u.ID, func(m *method.Method) error { m.Lockout = disabled; return nil }); err != nil {
			t.Fatal(err)
		}
		mark, before := e.mark(), e.commits()
		_, err := e.svc.UnlockPIN(e.ctx, p, admin.UserRef{Key: u.ID})
		wantErr(t, err, apperr.Invalid, "pinDisabled")
		if e.commits() != before || len(e.auditsSince(mark)) != 0 {
			t.Error("a refused unlock wrote")
		}
		if m, err := e.st.GetMethod(e.ctx, u.ID); err != nil || m.Lockout != disabled {
			t.Errorf("lockout after a refused unlock %+v (%v), want %+v", m.Lockout, err, disabled)
		}
	})
}

func TestSearchManagedUsers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	north, south := e.unit(), e.unit()
	mk := func(name, employeeID string, units ...store.AdministrativeUnit) store.User {
		u := e.user()
		u, err := e.st.UpdateUser(e.ctx, u.ID, func(x *store.User) error { x.DisplayName, x.EmployeeID = name, employeeID; return nil })
		if err != nil {
			t.Fatal(err)
		}
		for _, unit := range units {
			e.unitMember(unit, u.ID)
		}
		return u
	}
	ann := mk("Ann Lee", "E100", north)
	anna := mk("Anna Berg", "E200", south)
	bob := mk("Bob Stone", "E300", north, south)
	grouped := mk("Ann Group", "E400")
	e.unitMember(north, e.group(grouped).ID) // a group's members are not the unit's

	northLead := e.user()
	e.scopedRole(northLead, auth.AuthenticationAdministrator, north)
	readerLead := e.user() // a role scoped to a unit that gives no right to manage methods
	e.scopedRole(readerLead, auth.UserAdministrator, north)
	everyone := []string{}
	all, _ := e.st.ListUsers(e.ctx, "", 0)
	for _, u := range all {
		everyone = append(everyone, u.ID)
	}
	ids := func(us []store.User) []string {
		out := []string{}
		for _, u := range us {
			out = append(out, u.ID)
		}
		return out
	}
	_, appP := e.app(qrWriteAll)
	for _, tc := range []struct {
		name  string
		p     auth.Principal
		query string
		want  []string // nil: refused
		all   bool     // want everyone
	}{
		{"tenant-wide Authentication Administrator", e.delegated(e.user(auth.AuthenticationAdministrator), e.clock.Now(), qrWriteAll), "", everyone, true},
		{"tenant-wide, by prefix", e.delegated(e.user(auth.GlobalAdministrator), e.clock.Now(), qrWriteAll), "ann", sortedIDs(ann, anna, grouped), false},
		{"application", appP, "E", sortedIDs(ann, anna, bob, grouped), false},
		{"scoped", e.delegated(northLead, e.clock.Now(), qrWriteAll), "", sortedIDs(ann, bob), false},
		{"scoped, by prefix", e.delegated(northLead, e.clock.Now(), qrWriteAll), "  an ", sortedIDs(ann), false},
		{"scoped, by employee id", e.delegated(northLead, e.clock.Now(), qrWriteAll), "E3", sortedIDs(bob), false},
		{"scoped, someone outside", e.delegated(northLead, e.clock.Now(), qrWriteAll), "Anna", []string{}, false},
		{"scoped without the .All scope", e.delegated(northLead, e.clock.Now(), qrWrite), "", nil, false},
		{"scoped role that manages no method", e.delegated(readerLead, e.clock.Now(), qrWriteAll), "", nil, false},
		{"plain user", e.delegated(e.user(), e.clock.Now(), qrWriteAll), "", nil, false},
		{"Global Reader", e.delegated(e.user(auth.GlobalReader), e.clock.Now(), qrWriteAll), "", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.svc.SearchManagedUsers(e.ctx, tc.p, tc.query, "", 0)
			if tc.want == nil {
				wantErr(t, err, apperr.Forbidden, "accessDenied")
				return
			}
			wantErr(t, err, 0, "")
			g := ids(got)
			if tc.all {
				// the table's callers are users too, made after everyone was listed
				if !isSuperset(g, everyone) {
					t.Errorf("found %v, want everyone %v", g, everyone)
				}
				return
			}
			if js(g) != js(tc.want) {
				t.Errorf("found %v, want %v", g, tc.want)
			}
		})
	}
	// Paging: after and limit.
	p := e.delegated(northLead, e.clock.Now(), qrWriteAll)
	first, err := e.svc.SearchManagedUsers(e.ctx, p, "", "", 1)
	wantErr(t, err, 0, "")
	rest, err := e.svc.SearchManagedUsers(e.ctx, p, "", first[0].ID, 5)
	wantErr(t, err, 0, "")
	if got := append(ids(first), ids(rest)...); js(got) != js(sortedIDs(ann, bob)) {
		t.Errorf("pages %v, want %v", got, sortedIDs(ann, bob))
	}
}

func isSuperset(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

func sortedIDs(us ...store.User) []string {
	out := []string{}
	for _, u := range us {
		out = append(out, u.ID)
	}
	slices.Sort(out)
	return out
}
