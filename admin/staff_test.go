package admin_test

import (
	"slices"
	"testing"
	"time"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/store"
)

// TestEnsureStaffApplication: the first call registers the public client
// with its redirect and logout URLs; a second changes nothing; a call with
// another public URL adds its callback and keeps the first.
func TestEnsureStaffApplication(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cb, out := "https://a.example/t/staff/callback", "https://a.example/t/staff/signed-out"
	a, err := e.svc.EnsureStaffApplication(e.ctx, cb, out)
	wantErr(t, err, 0, "")
	got, err := e.st.GetApplicationByAppID(e.ctx, admin.StaffAppID)
	wantErr(t, err, 0, "")
	if got.ID != a.ID || got.DisplayName != admin.StaffAppName || !slices.Equal(got.SignIn.PublicRedirectURIs, []string{cb}) ||
		got.SignIn.WebLogoutURL != out || len(got.SignIn.WebRedirectURIs) != 0 || len(got.Passwords) != 0 {
		t.Fatalf("stored %+v", got)
	}
	again, err := e.svc.EnsureStaffApplication(e.ctx, cb, out)
	wantErr(t, err, 0, "")
	if again.ID != a.ID {
		t.Fatalf("a second call made another application: %s, %s", again.ID, a.ID)
	}
	cb2 := "https://b.example/t/staff/callback"
	moved, err := e.svc.EnsureStaffApplication(e.ctx, cb2, "https://b.example/t/staff/signed-out")
	wantErr(t, err, 0, "")
	if !slices.Equal(moved.SignIn.PublicRedirectURIs, []string{cb, cb2}) || moved.SignIn.WebLogoutURL != "https://b.example/t/staff/signed-out" {
		t.Fatalf("after a move: %+v", moved.SignIn)
	}
}

// TestStaffPrincipal: the principal carries the user's tenant roles and
// scoped roles as stored now, the staff scopes and the sign-in time; a
// disabled or missing user is refused, and so is a sign-in older than the
// user's method or PIN (method.ChangedSince) or a user without a method.
func TestStaffPrincipal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	unit := e.unit()
	lead := e.user(auth.GlobalReader)
	e.method(lead)
	e.scopedRole(lead, auth.AuthenticationAdministrator, unit)
	at := e.clock.Now()
	p, err := e.svc.StaffPrincipal(e.ctx, lead.ID, at)
	wantErr(t, err, 0, "")
	if p.Kind != auth.Delegated || p.ObjectID != lead.ID || p.UPN != lead.UPN || p.AppID != admin.StaffAppID ||
		!slices.Equal(p.Scopes, admin.StaffScopes) || !slices.Equal(p.DirectoryRoles, []string{auth.GlobalReader}) ||
		!slices.Equal(p.ScopedRoles, []auth.ScopedRole{{RoleID: auth.AuthenticationAdministrator, UnitID: unit.ID}}) || !p.AuthTime.Equal(at) {
		t.Fatalf("principal %+v", p)
	}
	_, err = e.svc.StaffPrincipal(e.ctx, "00000000-0000-0000-0000-000000000000", at)
	wantErr(t, err, apperr.Unauthenticated, "InvalidAuthenticationToken")
	// No method (deleted since the sign-in): refused.
	_, err = e.svc.StaffPrincipal(e.ctx, e.user().ID, at)
	wantErr(t, err, apperr.Unauthenticated, "InvalidAuthenticationToken")
	// The PIN reset since the sign-in: refused; a sign-in after it is not.
	e.clock.Advance(time.Second)
	if _, err := e.svc.ResetPIN(e.ctx, e.local(), admin.UserRef{Key: lead.ID}); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.StaffPrincipal(e.ctx, lead.ID, at)
	wantErr(t, err, apperr.Unauthenticated, "InvalidAuthenticationToken")
	at = e.clock.Now()
	_, err = e.svc.StaffPrincipal(e.ctx, lead.ID, at)
	wantErr(t, err, 0, "")
	if _, err := e.st.UpdateUser(e.ctx, lead.ID, func(u *store.User) error { u.AccountEnabled = false; return nil }); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.StaffPrincipal(e.ctx, lead.ID, at)
	wantErr(t, err, apperr.Unauthenticated, "InvalidAuthenticationToken")
}

// TestStaffRefusalAudited: a change refused to a staff page manager is a
// directory audit with result "failure", naming the manager and the user;
// the same refusal through another application records nothing.
func TestStaffRefusalAudited(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	unit, lead, outsider := e.unit(), e.user(), e.user()
	e.method(lead)
	before := e.method(outsider)
	e.scopedRole(lead, auth.AuthenticationAdministrator, unit)
	other := e.delegated(lead, e.clock.Now(), admin.StaffScopes...)
	mark := e.mark()
	_, err := e.svc.ResetPIN(e.ctx, other, admin.UserRef{Key: outsider.ID})
	wantErr(t, err, apperr.Forbidden, "accessDenied")
	if got := e.auditsSince(mark); len(got) != 0 {
		t.Fatalf("a refusal through another application was audited: %+v", got)
	}
	p, err := e.svc.StaffPrincipal(e.ctx, lead.ID, e.clock.Now())
	wantErr(t, err, 0, "")
	_, err = e.svc.ResetPIN(e.ctx, p, admin.UserRef{Key: outsider.ID})
	wantErr(t, err, apperr.Forbidden, "accessDenied")
	_, err = e.svc.UnlockPIN(e.ctx, p, admin.UserRef{Key: outsider.ID})
	wantErr(t, err, apperr.Forbidden, "accessDenied")
	got := e.auditsSince(mark)
	if len(got) != 2 {
		t.Fatalf("audits %+v, want the two refusals", got)
	}
	for _, a := range got {
		if a.Result != "failure" || a.InitiatorID != lead.ID || a.InitiatorName != lead.UPN || a.InitiatorAppID != admin.StaffAppID ||
			len(a.Targets) != 1 || a.Targets[0].ID != outsider.ID {
			t.Errorf("audit %+v", a)
		}
	}
	if m, _ := e.st.GetMethod(e.ctx, outsider.ID); m.PIN.Hash != before.PIN.Hash {
		t.Error("the refused reset changed the PIN")
	}
}

// TestStaffRefusedReadAudited: a member's method read refused to a staff
// page manager is a directory audit with result "failure" naming the
// manager and the user, once a minute for one manager and user; a read
// that succeeds, and any read through another application, record
// nothing.
func TestStaffRefusedReadAudited(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	unit, lead, worker, outsider := e.unit(), e.user(), e.user(), e.user()
	e.method(lead)
	e.method(worker)
	e.unitMember(unit, worker.ID)
	e.scopedRole(lead, auth.AuthenticationAdministrator, unit)
	other := e.delegated(lead, e.clock.Now(), admin.StaffScopes...)
	p, err := e.svc.StaffPrincipal(e.ctx, lead.ID, e.clock.Now())
	wantErr(t, err, 0, "")
	mark := e.mark()
	_, _, err = e.svc.GetMethod(e.ctx, other, admin.UserRef{Key: outsider.ID})
	wantErr(t, err, apperr.Forbidden, "accessDenied")
	_, _, err = e.svc.GetMethod(e.ctx, p, admin.UserRef{Key: worker.ID})
	wantErr(t, err, 0, "")
	if got := e.auditsSince(mark); len(got) != 0 {
		t.Fatalf("a Graph API refusal or a read that succeeded was audited: %+v", got)
	}
	for range 3 {
		_, _, err = e.svc.GetMethod(e.ctx, p, admin.UserRef{Key: outsider.ID})
		wantErr(t, err, apperr.Forbidden, "accessDenied")
	}
	got := e.auditsSince(mark)
	if len(got) != 1 {
		t.Fatalf("audits %+v, want one for three refusals within a minute", got)
	}
	a := got[0]
	if a.Result != "failure" || a.Activity != "Get QR code method" || a.OperationType != admin.OpOther ||
		a.InitiatorID != lead.ID || a.InitiatorAppID != admin.StaffAppID || len(a.Targets) != 1 || a.Targets[0].ID != outsider.ID {
		t.Errorf("audit %+v", a)
	}
	e.clock.Advance(time.Minute)
	mark = e.mark()
	_, _, err = e.svc.GetMethod(e.ctx, p, admin.UserRef{Key: outsider.ID})
	wantErr(t, err, apperr.Forbidden, "accessDenied")
	if got := e.auditsSince(mark); len(got) != 1 {
		t.Fatalf("audits %+v, want the refusal a minute later", got)
	}
}

// TestStaffRefusalsCapped: a manager's refusals on the staff page are
// recorded at most ten a minute, whoever they are for; a minute later
// they are recorded again.
func TestStaffRefusalsCapped(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	unit, lead := e.unit(), e.user()
	e.method(lead)
	e.scopedRole(lead, auth.AuthenticationAdministrator, unit)
	p, err := e.svc.StaffPrincipal(e.ctx, lead.ID, e.clock.Now())
	wantErr(t, err, 0, "")
	var outsiders []store.User
	for range 12 {
		outsiders = append(outsiders, e.user())
	}
	mark := e.mark()
	for _, o := range outsiders {
		_, _, err = e.svc.GetMethod(e.ctx, p, admin.UserRef{Key: o.ID})
		wantErr(t, err, apperr.Forbidden, "accessDenied")
	}
	_, err = e.svc.UnlockPIN(e.ctx, p, admin.UserRef{Key: outsiders[0].ID})
	wantErr(t, err, apperr.Forbidden, "accessDenied")
	if got := e.auditsSince(mark); len(got) != 10 {
		t.Fatalf("%d audits for 13 refusals within a minute, want 10", len(got))
	}
	e.clock.Advance(time.Minute)
	mark = e.mark()
	_, err = e.svc.UnlockPIN(e.ctx, p, admin.UserRef{Key: outsiders[0].ID})
	wantErr(t, err, apperr.Forbidden, "accessDenied")
	if got := e.auditsSince(mark); len(got) != 1 {
		t.Fatalf("audits %+v, want the refusal a minute later", got)
	}
}
