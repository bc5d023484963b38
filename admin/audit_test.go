package admin_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
)

// clientAddress is the address the audited changes come from.
const clientAddress = "203.0.113.7"

// auditCase is a successful change and the directory audit entry it writes.
type auditCase struct {
	name         string
	self         bool // on the caller (updatePin), so delegated only
	category     string
	activity, op string
	prep         func(e *env, f *fixture)
	run          func(e *env, p auth.Principal, f fixture) (secrets []string, err error)
	targets      func(f fixture) []store.AuditTarget // nil: the record the change created
}

func userTargets(u store.User) []store.AuditTarget {
	return []store.AuditTarget{{ID: u.ID, Type: "User", DisplayName: u.DisplayName, UPN: u.UPN}}
}

func appTargets(a store.Application) []store.AuditTarget {
	return []store.AuditTarget{{ID: a.ID, Type: "Application", DisplayName: a.DisplayName}}
}

func policyTargets(fixture) []store.AuditTarget {
	return []store.AuditTarget{{ID: "qrCodePin", Type: "Policy", DisplayName: "QR code + PIN"}}
}

func ofUser(f fixture) []store.AuditTarget { return userTargets(f.user) }

func ofApp(f fixture) []store.AuditTarget { return appTargets(f.app) }

// codeSecrets is what a new QR code's image holds: its content carries the
// code's secret.
func codeSecrets(c admin.NewCode) []string { return []string{string(c.Image.RawContent)} }

var auditCases = []auditCase{
	{name: "CreateMethod", category: admin.CategoryUser, activity: "Add QR code PIN method", op: admin.OpAdd, targets: ofUser,
		run: func(e *env, p auth.Principal, f fixture) ([]string, error) {
			c, err := e.svc.CreateMethod(e.ctx, p, admin.UserRef{Key: f.user.ID}, admin.CreateMethodInput{Standard: &admin.CodeInput{}})
			return append(codeSecrets(c.Standard), c.PIN), err
		}},
	{name: "DeleteMethod", category: admin.CategoryUser, activity: "Delete QR code PIN method", op: admin.OpDelete, targets: ofUser,
		prep: withMethodOf, run: func(e *env, p auth.Principal, f fixture) ([]string, error) {
			return nil, e.svc.DeleteMethod(e.ctx, p, admin.UserRef{Key: f.user.UPN})
		}},
	{name: "PatchCode/extend", category: admin.CategoryUser, activity: "Update QR code", op: admin.OpUpdate, targets: ofUser,
		prep: withMethodOf, run: func(e *env, p auth.Principal, f fixture) ([]string, error) {
			_, err := e.svc.PatchCode(e.ctx, p, admin.UserRef{Key: f.user.ID}, method.Standard, admin.CodeInput{Expire: e.clock.Now().AddDate(0, 0, 7)})
			return nil, err
		}},
	{name: "PatchCode/create", category: admin.CategoryUser, activity: "Add QR code", op: admin.OpAdd, targets: ofUser,
		prep: withMethodOf, run: func(e *env, p auth.Principal, f fixture) ([]string, error) {
			res, err := e.svc.PatchCode(e.ctx, p, admin.UserRef{Key: f.user.ID}, method.Temporary, admin.CodeInput{Expire: e.clock.Now().Add(8 * time.Hour)})
			return codeSecrets(res.Code), err
		}},
	{name: "DeleteCode", category: admin.CategoryUser, activity: "Delete QR code", op: admin.OpDelete, targets: ofUser,
		prep: withMethodOf, run: func(e *env, p auth.Principal, f fixture) ([]string, error) {
			return nil, e.svc.DeleteCode(e.ctx, p, admin.UserRef{Key: f.user.ID}, method.Standard)
		}},
	{name: "ResetPIN", category: admin.CategoryUser, activity: "Reset QR code PIN", op: admin.OpUpdate, targets: ofUser,
		prep: withMethodOf, run: func(e *env, p auth.Principal, f fixture) ([]string, error) {
			res, err := e.svc.ResetPIN(e.ctx, p, admin.UserRef{Key: f.user.ID})
			return []string{res.Code, knownPIN}, err
		}},
	{name: "UnlockPIN", category: admin.CategoryUser, activity: "Unlock QR code PIN", op: admin.OpUpdate, targets: ofUser,
		prep: withMethodOf, run: func(e *env, p auth.Principal, f fixture) ([]string, error) {
			_, err := e.svc.UnlockPIN(e.ctx, p, admin.UserRef{Key: f.user.ID})
			return []string{knownPIN}, err
		}},
	{name: "CreateUnit", category: admin.CategoryUnit, activity: "Add administrative unit", op: admin.OpAdd,
		run: func(e *env, p auth.Principal, f fixture) ([]string, error) {
			_, err := e.svc.CreateUnit(e.ctx, p, admin.UnitInput{DisplayName: ptr("Store 12")})
			return nil, err
		}},
	{name: "UpdateUnit", category: admin.CategoryUnit, activity: "Update administrative unit", op: admin.OpUpdate,
		targets: func(f fixture) []store.AuditTarget {
			return []store.AuditTarget{{ID: f.unit.ID, Type: "AdministrativeUnit", DisplayName: "Store 13"}}
		},
		run: func(e *env, p auth.Principal, f fixture) ([]string, error) {
			return nil, e.svc.UpdateUnit(e.ctx, p, f.unit.ID, admin.UnitInput{DisplayName: ptr("Store 13")})
		}},
	{name: "DeleteUnit", category: admin.CategoryUnit, activity: "Delete administrative unit", op: admin.OpDelete,
		targets: func(f fixture) []store.AuditTarget {
			return []store.AuditTarget{{ID: f.unit.ID, Type: "AdministrativeUnit"}}
		},
		run: func(e *env, p auth.Principal, f fixture) ([]string, error) {
			return nil, e.svc.DeleteUnit(e.ctx, p, strings.ToUpper(f.unit.ID))
		}},
	{name: "AddUnitMember", category: admin.CategoryUnit, activity: "Add member to administrative unit", op: admin.OpAdd,
		targets: func(f fixture) []store.AuditTarget {
			return append([]store.AuditTarget{{ID: f.unit.ID, Type: "AdministrativeUnit", DisplayName: f.unit.DisplayName}}, userTargets(f.other)...)
		},
		run: func(e *env, p auth.Principal, f fixture) ([]string, error) {
			return nil, e.svc.AddUnitMember(e.ctx, p, f.unit.ID, strings.ToUpper(f.other.ID))
		}},
	{name: "RemoveUnitMember", category: admin.CategoryUnit, activity: "Remove member from administrative unit", op: admin.OpDelete,
		targets: func(f fixture) []store.AuditTarget {
			return []store.AuditTarget{{ID: f.unit.ID, Type: "AdministrativeUnit", DisplayName: f.unit.DisplayName},
				{ID: f.group.ID, Type: "Group", DisplayName: f.group.DisplayName}}
		},
		run: func(e *env, p auth.Principal, f fixture) ([]string, error) {
			return nil, e.svc.RemoveUnitMember(e.ctx, p, f.unit.ID, f.group.ID)
		}},
	{name: "CreateScopedRoleAssignment", category: admin.CategoryRole, activity: "Add member to role", op: admin.OpAssign,
		targets: func(f fixture) []store.AuditTarget {
			return []store.AuditTarget{{ID: f.other.ID, Type: "User"}, {ID: auth.AuthenticationAdministrator, Type: "Role"},
				{ID: f.unit.ID, Type: "AdministrativeUnit", DisplayName: f.unit.DisplayName}}
		},
		run: func(e *env, p auth.Principal, f fixture) ([]string, error) {
			_, err := e.svc.CreateRoleAssignment(e.ctx, p, scopedRoleInput(f.other.ID, auth.AuthenticationAdministrator, f.unit.ID))
			return nil, err
		}},
	{name: "UpdatePIN", self: true, category: admin.CategoryUser, activity: "Change QR code PIN", op: admin.OpUpdate, targets: ofUser,
		prep: withMethodOf, run: func(e *env, p auth.Principal, f fixture) ([]string, error) {
			return []string{knownPIN, otherPIN}, e.svc.UpdatePIN(e.ctx, p, admin.UserRef{Me: true}, knownPIN, otherPIN)
		}},

	{name: "CreateUser", category: admin.CategoryUser, activity: "Add user", op: admin.OpAdd,
		run: func(e *env, p auth.Principal, f fixture) ([]string, error) {
			_, err := e.svc.CreateUser(e.ctx, p, admin.UserInput{UPN: ptr("Ann.Lee@contoso.com"), DisplayName: ptr("Ann Lee")})
			return nil, err
		}},
	// The target is the user as they were before the change.
	{name: "UpdateUser", category: admin.CategoryUser, activity: "Update user", op: admin.OpUpdate, targets: ofUser,
		run: func(e *env, p auth.Principal, f fixture) ([]string, error) {
			return nil, e.svc.UpdateUser(e.ctx, p, admin.UserRef{Key: f.user.ID}, admin.UserInput{DisplayName: ptr("Renamed")})
		}},
	{name: "DeleteUser", category: admin.CategoryUser, activity: "Delete user", op: admin.OpDelete, targets: ofUser,
		run: func(e *env, p auth.Principal, f fixture) ([]string, error) {
			return nil, e.svc.DeleteUser(e.ctx, p, admin.UserRef{Key: f.user.ID})
		}},

	{name: "CreateGroup", category: admin.CategoryGroup, activity: "Add group", op: admin.OpAdd,
		run: func(e *env, p auth.Principal, f fixture) ([]string, error) {
			_, err := e.svc.CreateGroup(e.ctx, p, admin.GroupInput{DisplayName: "Night shift"})
			return nil, err
		}},
	{name: "DeleteGroup", category: admin.CategoryGroup, activity: "Delete group", op: admin.OpDelete,
		targets: func(f fixture) []store.AuditTarget { return []store.AuditTarget{{ID: f.group.ID, Type: "Group"}} },
		run: func(e *env, p auth.Principal, f fixture) ([]string, error) {
			return nil, e.svc.DeleteGroup(e.ctx, p, strings.ToUpper(f.group.ID))
		}},
	{name: "AddMember", category: admin.CategoryGroup, activity: "Add member to group", op: admin.OpAdd,
		targets: func(f fixture) []store.AuditTarget {
			return append(userTargets(f.other), store.AuditTarget{ID: f.group.ID, Type: "Group", DisplayName: f.group.DisplayName})
		},
		run: func(e *env, p auth.Principal, f fixture) ([]string, error) {
			return nil, e.svc.AddMember(e.ctx, p, f.group.ID, f.other.UPN)
		}},
	{name: "RemoveMember", category: admin.CategoryGroup, activity: "Remove member from group", op: admin.OpDelete,
		targets: func(f fixture) []store.AuditTarget {
			return append(userTargets(f.user), store.AuditTarget{ID: f.group.ID, Type: "Group", DisplayName: f.group.DisplayName})
		},
		run: func(e *env, p auth.Principal, f fixture) ([]string, error) {
			return nil, e.svc.RemoveMember(e.ctx, p, f.group.ID, f.user.ID)
		}},

	{name: "CreateRoleAssignment", category: admin.CategoryRole, activity: "Add member to role", op: admin.OpAssign,
		targets: func(f fixture) []store.AuditTarget {
			return []store.AuditTarget{{ID: f.user.ID, Type: "User"}, {ID: auth.UserAdministrator, Type: "Role"}}
		},
		run: func(e *env, p auth.Principal, f fixture) ([]string, error) {
			_, err := e.svc.CreateRoleAssignment(e.ctx, p, roleInput(f.user.ID, auth.UserAdministrator))
			return nil, err
		}},
	{name: "DeleteRoleAssignment", category: admin.CategoryRole, activity: "Remove member from role", op: admin.OpUnassign,
		targets: func(f fixture) []store.AuditTarget {
			return []store.AuditTarget{{ID: f.role.ID, Type: "RoleAssignment"}}
		},
		run: func(e *env, p auth.Principal, f fixture) ([]string, error) {
			return nil, e.svc.DeleteRoleAssignment(e.ctx, p, f.role.ID)
		}},

	{name: "CreateApplication", category: admin.CategoryApplication, activity: "Add application", op: admin.OpAdd,
		run: func(e *env, p auth.Principal, f fixture) ([]string, error) {
			_, err := e.svc.CreateApplication(e.ctx, p, "Kiosk")
			return nil, err
		}},
	{name: "RegisterApplication", category: admin.CategoryApplication, activity: "Add application", op: admin.OpAdd,
		prep: func(e *env, _ *fixture) { e.deleteApps("Kiosk") }, run: func(e *env, p auth.Principal, f fixture) ([]string, error) {
			_, err := e.svc.RegisterApplication(e.ctx, p, admin.ApplicationInput{DisplayName: ptr("Kiosk"),
				SignIn: admin.SignInInput{WebRedirectURIs: &[]string{"https://timesheet.contoso.com/signin-oidc"}}})
			return nil, err
		}},
	{name: "UpdateApplication", category: admin.CategoryApplication, activity: "Update application", op: admin.OpUpdate, targets: ofApp,
		run: func(e *env, p auth.Principal, f fixture) ([]string, error) {
			_, err := e.svc.UpdateApplication(e.ctx, p, admin.AppRef{ID: f.app.ID},
				admin.ApplicationInput{SignIn: admin.SignInInput{SPARedirectURIs: &[]string{"https://spa.contoso.com/"}}})
			return nil, err
		}},
	{name: "DeleteApplication", category: admin.CategoryApplication, activity: "Delete application", op: admin.OpDelete, targets: ofApp,
		run: func(e *env, p auth.Principal, f fixture) ([]string, error) {
			return nil, e.svc.DeleteApplication(e.ctx, p, admin.AppRef{AppID: f.app.AppID})
		}},
	{name: "AddPassword", category: admin.CategoryApplication, activity: "Update application – Certificates and secrets management",
		op: admin.OpUpdate, targets: ofApp,
		run: func(e *env, p auth.Principal, f fixture) ([]string, error) {
			pw, err := e.svc.AddPassword(e.ctx, p, admin.AppRef{ID: f.app.ID}, admin.PasswordInput{DisplayName: "ci"})
			return []string{pw.Secret}, err
		}},
	{name: "RemovePassword", category: admin.CategoryApplication, activity: "Update application – Certificates and secrets management",
		op: admin.OpUpdate, targets: ofApp,
		run: func(e *env, p auth.Principal, f fixture) ([]string, error) {
			return nil, e.svc.RemovePassword(e.ctx, p, admin.AppRef{ID: f.app.ID}, f.keyID)
		}},
	{name: "GrantAppRole", category: admin.CategoryApplication, activity: "Add app role assignment to service principal", op: admin.OpAssign,
		targets: ofApp,
		run: func(e *env, p auth.Principal, f fixture) ([]string, error) {
			_, err := e.svc.GrantAppRole(e.ctx, p, admin.SPRef{ID: admin.GraphServicePrincipalID}, true, admin.GrantInput{
				PrincipalID: f.app.ServicePrincipalID, ResourceID: admin.GraphServicePrincipalID, AppRoleID: auth.AppRoles[1].ID})
			return nil, err
		}},
	{name: "RevokeAppRole", category: admin.CategoryApplication, activity: "Remove app role assignment from service principal", op: admin.OpUnassign,
		targets: ofApp,
		run: func(e *env, p auth.Principal, f fixture) ([]string, error) {
			return nil, e.svc.RevokeAppRole(e.ctx, p, admin.SPRef{AppID: f.app.AppID}, false, f.grantID)
		}},

	{name: "UpdatePolicy", category: admin.CategoryPolicy, activity: "Update authentication methods policy", op: admin.OpUpdate,
		targets: policyTargets,
		run: func(e *env, p auth.Principal, f fixture) ([]string, error) {
			_, err := e.svc.UpdatePolicy(e.ctx, p, patchOf(admin.PolicyPatch{PINLength: ptr(10)}))
			return nil, err
		}},
	{name: "DeletePolicy", category: admin.CategoryPolicy, activity: "Reset authentication methods policy", op: admin.OpUpdate,
		targets: policyTargets,
		run: func(e *env, p auth.Principal, f fixture) ([]string, error) {
			return nil, e.svc.DeletePolicy(e.ctx, p)
		}},
}

// allScopes are the delegated scopes a Global Administrator's token holds
// in the audit tests: every permission the audited changes need.
var allScopes = []string{qrWriteAll, "User.ReadWrite.All", "Group.ReadWrite.All", roleWrite, appWrite, appRoleAssign, policyWrite, unitWrite}

// TestAuditEntries: each successful change writes exactly one directory
// audit entry with its category, activity, operation type, targets and
// initiator: an application (its service principal id, display name and
// client id, no address) or a user (id, UPN, the client application's id
// and the address the request came from). No secret the change returned or
// was given (PIN, QR code content, client secret) appears in any field.
func TestAuditEntries(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"app", "user"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			for _, c := range auditCases {
				if c.self && kind == "app" {
					continue
				}
				t.Run(c.name, func(t *testing.T) {
					e.t = t
					f := e.fixture()
					if c.prep != nil {
						c.prep(e, &f)
					}
					var p auth.Principal
					want := store.DirectoryAudit{Category: c.category, Activity: c.activity, OperationType: c.op, Result: "success"}
					switch {
					case kind == "app":
						var perms []string
						for _, r := range auth.AppRoles {
							perms = append(perms, r.Value)
						}
						var a store.Application
						a, p = e.app(perms...)
						want.InitiatorKind, want.InitiatorID, want.InitiatorName, want.InitiatorAppID = "app", a.ServicePrincipalID, a.DisplayName, a.AppID
					default:
						u := f.user // updatePin: the user themselves
						if c.self {
							p = e.delegated(u, e.clock.Now(), qrWrite)
						} else {
							u = e.user(auth.GlobalAdministrator)
							p = e.delegated(u, e.clock.Now(), allScopes...)
						}
						want.InitiatorKind, want.InitiatorID, want.InitiatorName, want.InitiatorAppID = "user", u.ID, u.UPN, p.AppID
						want.InitiatorAddress = clientAddress
					}
					mark := e.mark()
					want.Time = mark
					ctx := e.ctx
					e.ctx = admin.WithClientAddress(ctx, clientAddress)
					secrets, err := c.run(e, p, f)
					e.ctx = ctx
					if err != nil {
						t.Fatal(err)
					}
					got := e.auditsSince(mark)
					if len(got) != 1 {
						t.Fatalf("%d audit entries, want 1: %s", len(got), js(got))
					}
					entry := got[0]
					if entry.ID == "" {
						t.Error("the entry has no id")
					}
					for _, s := range secrets {
						if s == "" {
							t.Fatal("a secret of the change is empty: the case proves nothing")
						}
						if strings.Contains(js(entry), s) {
							t.Errorf("the audit entry holds the secret %q: %s", s, js(entry))
						}
					}
					entry.ID = ""
					if c.targets != nil {
						want.Targets = c.targets(f)
					} else {
						want.Targets = createdTargets(e, c.category)
					}
					if !reflect.DeepEqual(entry, want) {
						t.Errorf("audit entry\n got %s\nwant %s", js(entry), js(want))
					}
				})
			}
		})
	}
}

// deleteApps deletes the applications with that display name, so that the
// next one created is the only one.
func (e *env) deleteApps(name string) {
	e.t.Helper()
	as, err := e.st.ListApplications(e.ctx, "", 0)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, a := range as {
		if a.DisplayName == name {
			if err := e.st.DeleteApplication(e.ctx, a.ID); err != nil {
				e.t.Fatal(err)
			}
		}
	}
}

// createdTargets is the target of a change that created a record: the
// newest user, group or application in the store.
func createdTargets(e *env, category string) []store.AuditTarget {
	e.t.Helper()
	switch category {
	case admin.CategoryUnit:
		us, err := e.st.ListUnits(e.ctx, "", 0)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, u := range us {
			if u.DisplayName == "Store 12" {
				return []store.AuditTarget{{ID: u.ID, Type: "AdministrativeUnit", DisplayName: u.DisplayName}}
			}
		}
	case admin.CategoryUser:
		u, err := e.st.GetUserByUPN(e.ctx, "ann.lee@contoso.com")
		if err != nil {
			e.t.Fatal(err)
		}
		return userTargets(u)
	case admin.CategoryGroup:
		gs, err := e.st.ListGroups(e.ctx, "", 0)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, g := range gs {
			if g.DisplayName == "Night shift" {
				return []store.AuditTarget{{ID: g.ID, Type: "Group", DisplayName: g.DisplayName}}
			}
		}
	case admin.CategoryApplication:
		as, err := e.st.ListApplications(e.ctx, "", 0)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, a := range as {
			if a.DisplayName == "Kiosk" {
				return appTargets(a)
			}
		}
	}
	e.t.Fatalf("no record the %s change created", category)
	return nil
}
