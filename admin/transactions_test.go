package admin_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/redirect"
	"github.com/qrpin/qrpin/store"
)

// txCase is an authorized operation that fails on its input or on the
// state it finds.
type txCase struct {
	name string
	// prep stores what the case needs (f is a fresh fixture) and may
	// change f; run does the operation; check, when set, reads the store
	// afterwards.
	prep  func(e *env, f *fixture)
	run   func(e *env, f fixture) error
	kind  apperr.Kind
	code  string
	check func(e *env, f fixture)
}

// local is the caller that may do everything.
func (e *env) local() auth.Principal { return admin.Local(e.tenant) }

// selfCaller is f.user acting on themselves, as updatePin needs.
func (e *env) selfCaller(f fixture) auth.Principal {
	return e.delegated(f.user, e.clock.Now(), qrWrite)
}

func ptr[T any](v T) *T { return &v }

func withMethodOf(e *env, f *fixture) { e.method(f.user) }

// noMethod checks that f.user has no method.
func noMethod(e *env, f fixture) {
	if _, err := e.st.GetMethod(e.ctx, f.user.ID); !errors.Is(err, store.ErrNotFound) {
		e.t.Errorf("GetMethod: %v, want store.ErrNotFound", err)
	}
}

// defaultPolicy checks that the policy is still the default one.
func defaultPolicy(e *env, _ fixture) {
	pol, err := e.st.GetPolicy(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	if want := method.DefaultPolicy(); !reflect.DeepEqual(pol, want) {
		e.t.Errorf("policy %+v, want the default %+v", pol, want)
	}
}

func createMethodWith(in admin.CreateMethodInput) func(e *env, f fixture) error {
	return func(e *env, f fixture) error {
		_, err := e.svc.CreateMethod(e.ctx, e.local(), admin.UserRef{Key: f.user.ID}, in)
		return err
	}
}

func patchCode(kind method.Kind, in func(now time.Time) admin.CodeInput) func(e *env, f fixture) error {
	return func(e *env, f fixture) error {
		_, err := e.svc.PatchCode(e.ctx, e.local(), admin.UserRef{Key: f.user.ID}, kind, in(e.clock.Now()))
		return err
	}
}

func updatePINWith(current, next string) func(e *env, f fixture) error {
	return func(e *env, f fixture) error {
		return e.svc.UpdatePIN(e.ctx, e.selfCaller(f), admin.UserRef{Me: true}, current, next)
	}
}

func updatePolicy(patch admin.PolicyPatch) func(e *env, f fixture) error {
	return func(e *env, f fixture) error {
		_, err := e.svc.UpdatePolicy(e.ctx, e.local(), patchOf(patch))
		return err
	}
}

func grant(mod func(f fixture, in *admin.GrantInput)) func(e *env, f fixture) error {
	return func(e *env, f fixture) error {
		in := admin.GrantInput{PrincipalID: f.app.ServicePrincipalID, ResourceID: admin.GraphServicePrincipalID, AppRoleID: auth.AppRoles[1].ID}
		mod(f, &in)
		_, err := e.svc.GrantAppRole(e.ctx, e.local(), admin.SPRef{ID: f.app.ServicePrincipalID}, false, in)
		return err
	}
}

// setLockout gives f.user's method the lockout state l.
func setLockout(l method.Lockout) func(e *env, f *fixture) {
	return func(e *env, f *fixture) {
		e.method(f.user)
		if _, err := e.st.UpdateMethod(e.ctx, f.user.ID, func(m *method.Method) error { m.Lockout = l; return nil }); err != nil {
			e.t.Fatal(err)
		}
	}
}

var txCases = []txCase{
	// A PUT of the method with a bad PIN or bad QR code leaves no method.
	{name: "CreateMethod/short PIN", run: createMethodWith(admin.CreateMethodInput{Standard: &admin.CodeInput{}, PIN: "1234"}),
		kind: apperr.Invalid, code: "pinTooShort", check: noMethod},
	{name: "CreateMethod/periodic PIN", run: createMethodWith(admin.CreateMethodInput{Standard: &admin.CodeInput{}, PIN: "12121212"}),
		kind: apperr.Invalid, code: "invalidPin", check: noMethod},
	{name: "CreateMethod/no standard code", run: createMethodWith(admin.CreateMethodInput{PIN: knownPIN}),
		kind: apperr.Invalid, code: "standardQRCodeRequired", check: noMethod},
	{name: "CreateMethod/temporary code", run: createMethodWith(admin.CreateMethodInput{Standard: &admin.CodeInput{}, HasTemporary: true}),
		kind: apperr.Invalid, code: "standardQRCodeRequired", check: noMethod},
	{name: "CreateMethod/start in the past", run: createMethodWith(admin.CreateMethodInput{Standard: &admin.CodeInput{Start: testStart.Add(-time.Hour)}}),
		kind: apperr.Invalid, code: "BadRequest", check: noMethod},
	{name: "CreateMethod/lifetime too long", run: createMethodWith(admin.CreateMethodInput{Standard: &admin.CodeInput{Expire: testStart.AddDate(0, 0, 400)}}),
		kind: apperr.Invalid, code: "qrCodeLifeTimeExceedLimit", check: noMethod},
	{name: "CreateMethod/second method", prep: withMethodOf, run: createMethodWith(admin.CreateMethodInput{Standard: &admin.CodeInput{}}),
		kind: apperr.Invalid, code: "tooManyQRCodePinMethod"},
	{name: "CreateMethod/missing user", run: func(e *env, f fixture) error {
		_, err := e.svc.CreateMethod(e.ctx, e.local(), admin.UserRef{Key: uuid.NewString()}, admin.CreateMethodInput{Standard: &admin.CodeInput{}})
		return err
	}, kind: apperr.NotFound, code: "Request_ResourceNotFound"},

	// A PIN reset, delete or QR code change on a missing method creates nothing.
	{name: "ResetPIN/no method", run: func(e *env, f fixture) error {
		_, err := e.svc.ResetPIN(e.ctx, e.local(), admin.UserRef{Key: f.user.ID})
		return err
	}, kind: apperr.NotFound, code: "itemNotFound", check: noMethod},
	{name: "DeleteMethod/no method", run: func(e *env, f fixture) error {
		return e.svc.DeleteMethod(e.ctx, e.local(), admin.UserRef{Key: f.user.ID})
	}, kind: apperr.NotFound, code: "itemNotFound"},
	{name: "PatchCode/no method", run: patchCode(method.Temporary, func(now time.Time) admin.CodeInput { return admin.CodeInput{Expire: now.Add(time.Hour)} }),
		kind: apperr.NotFound, code: "itemNotFound", check: noMethod},
	{name: "DeleteCode/no temporary code", prep: withMethodOf, run: func(e *env, f fixture) error {
		return e.svc.DeleteCode(e.ctx, e.local(), admin.UserRef{Key: f.user.ID}, method.Temporary)
	}, kind: apperr.NotFound, code: "itemNotFound"},
	{name: "PatchCode/live temporary code", prep: func(e *env, f *fixture) {
		e.method(f.user)
		if _, err := e.svc.PatchCode(e.ctx, e.local(), admin.UserRef{Key: f.user.ID}, method.Temporary,
			admin.CodeInput{Expire: e.clock.Now().Add(time.Hour)}); err != nil {
			e.t.Fatal(err)
		}
	}, run: patchCode(method.Temporary, func(now time.Time) admin.CodeInput { return admin.CodeInput{Expire: now.Add(2 * time.Hour)} }),
		kind: apperr.Invalid, code: "ActiveQRCodeExisted"},
	{name: "PatchCode/temporary lifetime too long", prep: withMethodOf,
		run:  patchCode(method.Temporary, func(now time.Time) admin.CodeInput { return admin.CodeInput{Expire: now.Add(13 * time.Hour)} }),
		kind: apperr.Invalid, code: "qrCodeLifeTimeExceedLimit"},
	{name: "PatchCode/standard with another start", prep: withMethodOf,
		run: patchCode(method.Standard, func(now time.Time) admin.CodeInput {
			return admin.CodeInput{Start: now.Add(time.Hour), Expire: now.AddDate(0, 0, 30)}
		}),
		kind: apperr.Invalid, code: "ActiveQRCodeExisted"},
	{name: "PatchCode/standard extended too far", prep: withMethodOf,
		run:  patchCode(method.Standard, func(now time.Time) admin.CodeInput { return admin.CodeInput{Expire: now.AddDate(0, 0, 400)} }),
		kind: apperr.Invalid, code: "qrCodeLifeTimeExceedLimit"},
	{name: "PatchCode/standard without expiry", prep: withMethodOf,
		run:  patchCode(method.Standard, func(now time.Time) admin.CodeInput { return admin.CodeInput{} }),
		kind: apperr.Invalid, code: "BadRequest"},

	// updatePin refusals before the PIN is checked count no attempt.
	{name: "UpdatePIN/invalid new PIN", prep: withMethodOf, run: updatePINWith(knownPIN, "12312312"), kind: apperr.Invalid, code: "invalidPin"},
	{name: "UpdatePIN/new PIN too short", prep: withMethodOf, run: updatePINWith(knownPIN, "2718"), kind: apperr.Invalid, code: "pinTooShort"},
	{name: "UpdatePIN/same PIN", prep: withMethodOf, run: updatePINWith(knownPIN, knownPIN), kind: apperr.Invalid, code: "invalidPin"},
	{name: "UpdatePIN/no current PIN", prep: withMethodOf, run: updatePINWith("", otherPIN), kind: apperr.Invalid, code: "BadRequest"},
	{name: "UpdatePIN/no method", run: updatePINWith(knownPIN, otherPIN), kind: apperr.NotFound, code: "itemNotFound"},
	{name: "UpdatePIN/locked", prep: setLockout(method.Lockout{Failures: 5, LockedUntil: testStart.Add(time.Hour)}),
		run: updatePINWith(knownPIN, otherPIN), kind: apperr.Throttled, code: "pinLocked"},
	{name: "UpdatePIN/disabled", prep: setLockout(method.Lockout{Failures: 100, Disabled: true}),
		run: updatePINWith(knownPIN, otherPIN), kind: apperr.Forbidden, code: "pinDisabled"},

	// A failed policy update leaves the policy as it was, even the valid
	// fields of the same patch.
	{name: "UpdatePolicy/pinLength too small", run: updatePolicy(admin.PolicyPatch{State: ptr(method.Enabled), PINLength: ptr(7)}),
		kind: apperr.Invalid, code: "BadRequest", check: defaultPolicy},
	{name: "UpdatePolicy/lifetime too long", run: updatePolicy(admin.PolicyPatch{State: ptr(method.Enabled), StandardLifetimeDays: ptr(396)}),
		kind: apperr.Invalid, code: "BadRequest", check: defaultPolicy},
	{name: "UpdatePolicy/bad state", run: updatePolicy(admin.PolicyPatch{State: ptr("on"), PINLength: ptr(10)}),
		kind: apperr.Invalid, code: "BadRequest", check: defaultPolicy},
	{name: "UpdatePolicy/missing group", run: updatePolicy(admin.PolicyPatch{State: ptr(method.Enabled),
		Include: &[]method.Target{{TargetType: method.TargetGroup, ID: uuid.NewString()}}}),
		kind: apperr.Invalid, code: "BadRequest", check: defaultPolicy},
	{name: "UpdatePolicy/missing user", run: updatePolicy(admin.PolicyPatch{PINLength: ptr(12),
		Exclude: &[]method.Target{{TargetType: method.TargetUser, ID: uuid.NewString()}}}),
		kind: apperr.Invalid, code: "BadRequest", check: defaultPolicy},
	{name: "UpdatePolicy/bad target type", run: updatePolicy(admin.PolicyPatch{PINLength: ptr(12),
		Exclude: &[]method.Target{{TargetType: "device", ID: "x"}}}),
		kind: apperr.Invalid, code: "BadRequest", check: defaultPolicy},

	{name: "CreateUser/UPN in use", run: func(e *env, f fixture) error {
		upn := strings.ToUpper(f.user.UPN)
		_, err := e.svc.CreateUser(e.ctx, e.local(), admin.UserInput{UPN: &upn, DisplayName: ptr("Twin")})
		return err
	}, kind: apperr.Invalid, code: "Request_BadRequest"},
	{name: "CreateUser/no displayName", run: func(e *env, f fixture) error {
		_, err := e.svc.CreateUser(e.ctx, e.local(), admin.UserInput{UPN: ptr("nameless@contoso.com")})
		return err
	}, kind: apperr.Invalid, code: "Request_BadRequest"},
	{name: "UpdateUser/UPN in use", run: func(e *env, f fixture) error {
		return e.svc.UpdateUser(e.ctx, e.local(), admin.UserRef{Key: f.other.ID}, admin.UserInput{UPN: &f.user.UPN, DisplayName: ptr("Renamed")})
	}, kind: apperr.Invalid, code: "Request_BadRequest"},
	{name: "UpdateUser/UPN without domain", run: func(e *env, f fixture) error {
		return e.svc.UpdateUser(e.ctx, e.local(), admin.UserRef{Key: f.other.ID}, admin.UserInput{UPN: ptr("nodomain"), DisplayName: ptr("Renamed")})
	}, kind: apperr.Invalid, code: "Request_BadRequest"},
	{name: "DeleteUser/self", prep: func(e *env, f *fixture) { f.other = e.user(auth.GlobalAdministrator) }, run: func(e *env, f fixture) error {
		return e.svc.DeleteUser(e.ctx, e.delegated(f.other, e.clock.Now(), "User.ReadWrite.All"), admin.UserRef{Me: true})
	}, kind: apperr.Invalid, code: "Request_BadRequest"},

	{name: "CreateGroup/blank displayName", run: func(e *env, f fixture) error {
		_, err := e.svc.CreateGroup(e.ctx, e.local(), admin.GroupInput{DisplayName: "  "})
		return err
	}, kind: apperr.Invalid, code: "Request_BadRequest"},
	{name: "AddMember/already a member", run: func(e *env, f fixture) error {
		return e.svc.AddMember(e.ctx, e.local(), f.group.ID, f.user.ID)
	}, kind: apperr.Invalid, code: "Request_BadRequest"},
	{name: "AddMember/missing user", run: func(e *env, f fixture) error {
		return e.svc.AddMember(e.ctx, e.local(), f.group.ID, uuid.NewString())
	}, kind: apperr.NotFound, code: "Request_ResourceNotFound"},
	{name: "RemoveMember/not a member", run: func(e *env, f fixture) error {
		return e.svc.RemoveMember(e.ctx, e.local(), f.group.ID, f.other.ID)
	}, kind: apperr.NotFound, code: "Request_ResourceNotFound"},

	{name: "CreateRoleAssignment/held already", run: func(e *env, f fixture) error {
		_, err := e.svc.CreateRoleAssignment(e.ctx, e.local(), roleInput(f.role.PrincipalID, f.role.RoleDefinitionID))
		return err
	}, kind: apperr.Invalid, code: "Request_BadRequest"},
	{name: "CreateRoleAssignment/scoped", run: func(e *env, f fixture) error {
		in := roleInput(f.user.ID, auth.GlobalReader)
		in.DirectoryScopeID = ptr("/administrativeUnits/" + uuid.NewString())
		_, err := e.svc.CreateRoleAssignment(e.ctx, e.local(), in)
		return err
	}, kind: apperr.Invalid, code: "Request_BadRequest"},
	{name: "CreateRoleAssignment/unknown role", run: func(e *env, f fixture) error {
		_, err := e.svc.CreateRoleAssignment(e.ctx, e.local(), roleInput(f.user.ID, uuid.NewString()))
		return err
	}, kind: apperr.NotFound, code: "Request_ResourceNotFound"},
	{name: "CreateRoleAssignment/no principalId", run: func(e *env, f fixture) error {
		in := roleInput("", auth.GlobalReader)
		in.PrincipalID = nil
		_, err := e.svc.CreateRoleAssignment(e.ctx, e.local(), in)
		return err
	}, kind: apperr.Invalid, code: "Request_BadRequest"},
	{name: "DeleteRoleAssignment/unknown", run: func(e *env, f fixture) error {
		return e.svc.DeleteRoleAssignment(e.ctx, e.local(), uuid.NewString())
	}, kind: apperr.NotFound, code: "Request_ResourceNotFound"},

	{name: "CreateApplication/blank name", run: func(e *env, f fixture) error {
		_, err := e.svc.CreateApplication(e.ctx, e.local(), " ")
		return err
	}, kind: apperr.Invalid, code: "Request_BadRequest"},
	{name: "RegisterApplication/no display name", run: func(e *env, f fixture) error {
		_, err := e.svc.RegisterApplication(e.ctx, e.local(), admin.ApplicationInput{SignIn: admin.SignInInput{SPARedirectURIs: &[]string{"https://a.contoso.com/"}}})
		return err
	}, kind: apperr.Invalid, code: "Request_BadRequest"},
	{name: "RegisterApplication/bad redirect URI", run: func(e *env, f fixture) error {
		_, err := e.svc.RegisterApplication(e.ctx, e.local(), admin.ApplicationInput{DisplayName: ptr("x"),
			SignIn: admin.SignInInput{WebRedirectURIs: &[]string{"https://a.contoso.com/", "http://a.contoso.com/"}}})
		return err
	}, kind: apperr.Invalid, code: "Request_BadRequest"},
	{name: "UpdateApplication/unknown", run: func(e *env, f fixture) error {
		_, err := e.svc.UpdateApplication(e.ctx, e.local(), admin.AppRef{ID: uuid.NewString()}, admin.ApplicationInput{DisplayName: ptr("x")})
		return err
	}, kind: apperr.NotFound, code: "Request_ResourceNotFound"},
	{name: "UpdateApplication/bad redirect URI after good changes", run: func(e *env, f fixture) error {
		_, err := e.svc.UpdateApplication(e.ctx, e.local(), admin.AppRef{ID: f.app.ID}, admin.ApplicationInput{DisplayName: ptr("renamed"),
			SignIn: admin.SignInInput{WebRedirectURIs: &[]string{"https://a.contoso.com/"}, FallbackPublicClient: ptr(true),
				PublicRedirectURIs: &[]string{"myapp://x", "myapp://x"}}})
		return err
	}, kind: apperr.Invalid, code: "Request_BadRequest", check: appUnchanged},
	{name: "UpdateApplication/bad logout URL", run: func(e *env, f fixture) error {
		_, err := e.svc.UpdateApplication(e.ctx, e.local(), admin.AppRef{ID: f.app.ID}, admin.ApplicationInput{
			SignIn: admin.SignInInput{SPARedirectURIs: &[]string{"https://a.contoso.com/"}, WebLogoutURL: ptr("javascript:alert(1)")}})
		return err
	}, kind: apperr.Invalid, code: "Request_BadRequest", check: appUnchanged},
	{name: "UpdateApplication/implicit grant", run: func(e *env, f fixture) error {
		_, err := e.svc.UpdateApplication(e.ctx, e.local(), admin.AppRef{ID: f.app.ID}, admin.ApplicationInput{
			SignIn: admin.SignInInput{SPARedirectURIs: &[]string{"https://a.contoso.com/"}, ImplicitIDTokens: ptr(true)}})
		return err
	}, kind: apperr.Invalid, code: "Request_BadRequest", check: appUnchanged},
	{name: "UpdateApplication/too many redirect URIs", run: func(e *env, f fixture) error {
		var web, spa []string
		for i := range redirect.MaxPerApplication / 2 {
			web = append(web, fmt.Sprintf("https://w.contoso.com/%d", i))
			spa = append(spa, fmt.Sprintf("https://s.contoso.com/%d", i))
		}
		_, err := e.svc.UpdateApplication(e.ctx, e.local(), admin.AppRef{ID: f.app.ID}, admin.ApplicationInput{
			SignIn: admin.SignInInput{WebRedirectURIs: &web, SPARedirectURIs: &spa, PublicRedirectURIs: &[]string{"myapp://x"}}})
		return err
	}, kind: apperr.Invalid, code: "Request_BadRequest", check: appUnchanged},
	{name: "UpdateApplication/blank display name", run: func(e *env, f fixture) error {
		_, err := e.svc.UpdateApplication(e.ctx, e.local(), admin.AppRef{ID: f.app.ID}, admin.ApplicationInput{DisplayName: ptr("\t"),
			SignIn: admin.SignInInput{SPARedirectURIs: &[]string{"https://a.contoso.com/"}}})
		return err
	}, kind: apperr.Invalid, code: "Request_BadRequest", check: appUnchanged},
	{name: "AddPassword/ends before it starts", run: func(e *env, f fixture) error {
		now := e.clock.Now()
		_, err := e.svc.AddPassword(e.ctx, e.local(), admin.AppRef{ID: f.app.ID}, admin.PasswordInput{Start: now.Add(time.Hour), End: now.Add(time.Minute)})
		return err
	}, kind: apperr.Invalid, code: "Request_BadRequest"},
	{name: "AddPassword/too long", run: func(e *env, f fixture) error {
		_, err := e.svc.AddPassword(e.ctx, e.local(), admin.AppRef{ID: f.app.ID},
			admin.PasswordInput{End: e.clock.Now().Add(admin.MaxSecretLifetime + time.Hour)})
		return err
	}, kind: apperr.Invalid, code: "Request_BadRequest"},
	{name: "AddPassword/too many", prep: func(e *env, f *fixture) {
		var err error
		f.app, err = e.st.UpdateApplication(e.ctx, f.app.ID, func(a *store.Application) error {
			for len(a.Passwords) < admin.MaxPasswords {
				a.Passwords = append(a.Passwords, store.Password{KeyID: uuid.NewString(), Verifier: []byte("v"),
					Start: testStart, End: testStart.Add(time.Hour)})
			}
			return nil
		})
		if err != nil {
			e.t.Fatal(err)
		}
	}, run: func(e *env, f fixture) error {
		_, err := e.svc.AddPassword(e.ctx, e.local(), admin.AppRef{ID: f.app.ID}, admin.PasswordInput{})
		return err
	}, kind: apperr.Invalid, code: "Request_BadRequest"},
	{name: "RemovePassword/unknown keyId", run: func(e *env, f fixture) error {
		return e.svc.RemovePassword(e.ctx, e.local(), admin.AppRef{ID: f.app.ID}, uuid.NewString())
	}, kind: apperr.Invalid, code: "Request_BadRequest"},
	{name: "GrantAppRole/granted already", run: grant(func(f fixture, in *admin.GrantInput) { in.AppRoleID = auth.AppRoles[0].ID }),
		kind: apperr.Invalid, code: "Request_BadRequest"},
	{name: "GrantAppRole/unknown app role", run: grant(func(f fixture, in *admin.GrantInput) { in.AppRoleID = uuid.NewString() }),
		kind: apperr.Invalid, code: "Request_BadRequest"},
	{name: "GrantAppRole/resource not Graph", run: grant(func(f fixture, in *admin.GrantInput) { in.ResourceID = f.app.ServicePrincipalID }),
		kind: apperr.Invalid, code: "Request_BadRequest"},
	{name: "GrantAppRole/principal not the path's", run: grant(func(f fixture, in *admin.GrantInput) { in.PrincipalID = uuid.NewString() }),
		kind: apperr.Invalid, code: "Request_BadRequest"},
	{name: "RevokeAppRole/unknown", run: func(e *env, f fixture) error {
		return e.svc.RevokeAppRole(e.ctx, e.local(), admin.SPRef{ID: f.app.ServicePrincipalID}, false, uuid.NewString())
	}, kind: apperr.NotFound, code: "Request_ResourceNotFound"},
	{name: "CreateServicePrincipal/no appId", run: func(e *env, f fixture) error {
		_, err := e.svc.CreateServicePrincipal(e.ctx, e.local(), " ")
		return err
	}, kind: apperr.Invalid, code: "Request_BadRequest"},
}

// appUnchanged checks that f.app is stored as it was.
func appUnchanged(e *env, f fixture) {
	got, err := e.st.GetApplication(e.ctx, f.app.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	if !reflect.DeepEqual(got, f.app) {
		e.t.Errorf("application %s, want it unchanged: %s", js(got), js(f.app))
	}
}

// TestFailedOperationsWriteNothing runs operations that are authorized but
// fail on their input or on what they find: each returns its documented
// error and commits nothing at all (no record, no audit entry), and the
// cases with a check read the store to show what is (still) there. The
// cases share one store, one after another, so that "nothing committed"
// can be told by the store's commit counter.
func TestFailedOperationsWriteNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, c := range txCases {
		t.Run(c.name, func(t *testing.T) {
			e.t = t
			f := e.fixture()
			if c.prep != nil {
				c.prep(e, &f)
			}
			before := e.commits()
			wantErr(t, c.run(e, f), c.kind, c.code)
			if e.commits() != before {
				t.Error("the failed operation committed a change")
			}
			if c.check != nil {
				c.check(e, f)
			}
		})
	}
}

// TestUpdatePINLockout: a wrong current PIN counts one failure in the
// method (and changes nothing else: not the PIN, no audit entry); the
// threshold's failure locks the PIN, so that even the right PIN is then
// refused; an administrator's reset lifts the lock (D16).
func TestUpdatePINLockout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.user()
	m := e.method(u)
	p := e.delegated(u, e.clock.Now(), qrWrite)
	me := admin.UserRef{Me: true}
	mark := e.mark()
	for i := 1; i <= method.DefaultLockout.Threshold; i++ {
		wantErr(t, e.svc.UpdatePIN(e.ctx, p, me, otherPIN, "98765432"), apperr.Invalid, "incorrectPin")
		got, err := e.st.GetMethod(e.ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Lockout.Failures != i || got.PIN != m.PIN {
			t.Fatalf("after %d wrong PINs: lockout %+v, PIN %+v; want %d failures and the PIN unchanged", i, got.Lockout, got.PIN, i)
		}
	}
	got, _ := e.st.GetMethod(e.ctx, u.ID)
	if want := e.clock.Now().Add(method.DefaultLockout.BaseDuration); !got.Lockout.LockedUntil.Equal(want) {
		t.Fatalf("locked until %v, want %v", got.Lockout.LockedUntil, want)
	}
	wantErr(t, e.svc.UpdatePIN(e.ctx, p, me, knownPIN, otherPIN), apperr.Throttled, "pinLocked")
	if as := e.auditsSince(mark); len(as) != 0 {
		t.Fatalf("refused PIN changes wrote audit entries: %s", js(as))
	}
	if _, err := e.svc.ResetPIN(e.ctx, e.local(), admin.UserRef{Key: u.ID}); err != nil {
		t.Fatal(err)
	}
	got, _ = e.st.GetMethod(e.ctx, u.ID)
	if got.Lockout != (method.Lockout{}) || !got.PIN.ForceChange || got.PIN.Hash == m.PIN.Hash {
		t.Fatalf("after a reset: lockout %+v, PIN %+v; want no lockout and a new temporary PIN", got.Lockout, got.PIN)
	}
}
