package admin_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
)

// fixture is what a tenant operation acts on, made fresh for each case.
type fixture struct {
	user    store.User // a member of group
	other   store.User // not a member
	group   store.Group
	unit    store.AdministrativeUnit // user and group are its members
	app     store.Application
	role    store.RoleAssignment
	keyID   string // a client secret of app
	grantID string // a permission granted to app
}

// fixture stores two users, a group the first is a member of, a role assignment
// of another user, and an application with one client secret and one
// permission granted.
func (e *env) fixture() fixture {
	e.t.Helper()
	f := fixture{user: e.user(), other: e.user()}
	f.group = e.group(f.user)
	f.unit = e.unit()
	e.unitMember(f.unit, f.user.ID)
	e.unitMember(f.unit, f.group.ID)
	holder := e.user()
	f.role = store.RoleAssignment{ID: uuid.NewString(), PrincipalID: holder.ID, RoleDefinitionID: auth.GlobalReader}
	if err := e.st.CreateRoleAssignment(e.ctx, f.role); err != nil {
		e.t.Fatal(err)
	}
	f.app, _ = e.app()
	f.keyID, f.grantID = uuid.NewString(), uuid.NewString()
	now := e.clock.Now()
	var err error
	f.app, err = e.st.UpdateApplication(e.ctx, f.app.ID, func(a *store.Application) error {
		a.Passwords = []store.Password{{KeyID: f.keyID, DisplayName: "old", Hint: "abc", Verifier: []byte("v"),
			Start: now, End: now.Add(admin.MaxSecretLifetime)}}
		a.Grants = []store.Grant{{ID: f.grantID, AppRoleID: auth.AppRoles[0].ID, ResourceID: admin.GraphServicePrincipalID, Created: now}}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return f
}

// tenantOp is an operation on the tenant or a directory object other than
// a user's method, with the permissions it needs.
type tenantOp struct {
	name    string
	app     []string     // application permissions that together allow it
	appNo   [][]string   // permission sets that do not (besides none at all)
	scopes  []string     // delegated scopes that together allow it; app when nil
	noScope [][]string   // scope sets that do not (besides User.Read)
	role    string       // a directory role that allows it; "" when no role is needed
	roleNo  string       // a directory role that does not allow it
	write   bool         // a success changes the store (and writes one audit entry)
	prep    func(e *env) // runs before each case, before the store is watched
	run     func(e *env, p auth.Principal, f fixture) error
	// missing runs the operation on an object that does not exist: an
	// authorized caller gets NotFound with missingCode
	// (Request_ResourceNotFound when empty), any other caller 403.
	missing     func(e *env, p auth.Principal) error
	missingKind apperr.Kind
	missingCode string
}

var (
	policyRead       = "Policy.Read.AuthenticationMethod"
	policyWrite      = "Policy.ReadWrite.AuthenticationMethod"
	appRead          = "Application.Read.All"
	appWrite         = "Application.ReadWrite.All"
	appRoleAssign    = "AppRoleAssignment.ReadWrite.All"
	unitRead         = "AdministrativeUnit.Read.All"
	unitWrite        = "AdministrativeUnit.ReadWrite.All"
	memberReadHidden = "Member.Read.Hidden"
	roleRead         = "RoleManagement.Read.Directory"
	roleWrite        = "RoleManagement.ReadWrite.Directory"
)

func missingID() string { return uuid.NewString() }

var tenantOps = []tenantOp{
	{name: "GetPolicy", app: []string{policyRead}, role: auth.GlobalReader, roleNo: auth.AuthenticationAdministrator,
		run: func(e *env, p auth.Principal, f fixture) error { _, err := e.svc.GetPolicy(e.ctx, p); return err }},
	{name: "UpdatePolicy", app: []string{policyWrite}, appNo: [][]string{{policyRead}}, noScope: [][]string{{policyRead}},
		role: auth.AuthenticationPolicyAdministrator, roleNo: auth.GlobalReader, write: true,
		run: func(e *env, p auth.Principal, f fixture) error {
			state := method.Enabled
			_, err := e.svc.UpdatePolicy(e.ctx, p, patchOf(admin.PolicyPatch{State: &state}))
			return err
		}},
	{name: "DeletePolicy", app: []string{policyWrite}, appNo: [][]string{{policyRead}}, noScope: [][]string{{policyRead}},
		role: auth.GlobalAdministrator, roleNo: auth.AuthenticationAdministrator, write: true,
		prep: func(e *env) {
			if _, err := e.st.UpdatePolicy(e.ctx, func(pol *method.Policy) error { pol.State = method.Enabled; return nil }); err != nil {
				e.t.Fatal(err)
			}
		},
		run: func(e *env, p auth.Principal, f fixture) error { return e.svc.DeletePolicy(e.ctx, p) }},

	{name: "ListUsers", app: []string{"User.Read.All"}, appNo: [][]string{{"Group.Read.All"}}, scopes: []string{"User.ReadBasic.All"},
		run: func(e *env, p auth.Principal, f fixture) error {
			_, err := e.svc.ListUsers(e.ctx, p, "", 0)
			return err
		}},
	{name: "CreateUser", app: []string{"User.ReadWrite.All"}, appNo: [][]string{{"User.Read.All"}}, noScope: [][]string{{"User.Read.All"}},
		role: auth.UserAdministrator, roleNo: auth.AuthenticationAdministrator, write: true,
		run: func(e *env, p auth.Principal, f fixture) error {
			upn, name := "new"+uuid.NewString()[:8]+"@contoso.com", "New"
			_, err := e.svc.CreateUser(e.ctx, p, admin.UserInput{UPN: &upn, DisplayName: &name})
			return err
		}},

	{name: "CreateGroup", app: []string{"Group.ReadWrite.All"}, appNo: [][]string{{"Group.Read.All"}}, noScope: [][]string{{"GroupMember.ReadWrite.All"}},
		role: auth.GroupsAdministrator, roleNo: auth.GlobalReader, write: true,
		run: func(e *env, p auth.Principal, f fixture) error {
			_, err := e.svc.CreateGroup(e.ctx, p, admin.GroupInput{DisplayName: "Night shift"})
			return err
		}},
	{name: "GetGroup", app: []string{"GroupMember.Read.All"}, appNo: [][]string{{"User.Read.All"}},
		run: func(e *env, p auth.Principal, f fixture) error {
			_, err := e.svc.GetGroup(e.ctx, p, f.group.ID)
			return err
		},
		missing: func(e *env, p auth.Principal) error { _, err := e.svc.GetGroup(e.ctx, p, missingID()); return err }},
	{name: "ListGroups", app: []string{"Group.Read.All"},
		run: func(e *env, p auth.Principal, f fixture) error {
			_, err := e.svc.ListGroups(e.ctx, p, "", 0)
			return err
		}},
	{name: "ListMembers", app: []string{"Directory.Read.All"},
		run: func(e *env, p auth.Principal, f fixture) error {
			_, err := e.svc.ListMembers(e.ctx, p, f.group.ID, "", 0)
			return err
		},
		missing: func(e *env, p auth.Principal) error {
			_, err := e.svc.ListMembers(e.ctx, p, missingID(), "", 0)
			return err
		}},
	{name: "DeleteGroup", app: []string{"Directory.ReadWrite.All"}, appNo: [][]string{{"GroupMember.ReadWrite.All"}},
		role: auth.UserAdministrator, roleNo: auth.AuthenticationAdministrator, write: true,
		run:     func(e *env, p auth.Principal, f fixture) error { return e.svc.DeleteGroup(e.ctx, p, f.group.ID) },
		missing: func(e *env, p auth.Principal) error { return e.svc.DeleteGroup(e.ctx, p, missingID()) }},
	{name: "AddMember", app: []string{"GroupMember.ReadWrite.All"}, appNo: [][]string{{"GroupMember.Read.All"}},
		role: auth.GroupsAdministrator, roleNo: auth.AuthenticationAdministrator, write: true,
		run: func(e *env, p auth.Principal, f fixture) error {
			return e.svc.AddMember(e.ctx, p, f.group.ID, f.other.ID)
		},
		missing: func(e *env, p auth.Principal) error { return e.svc.AddMember(e.ctx, p, missingID(), missingID()) }},
	{name: "RemoveMember", app: []string{"Group.ReadWrite.All"}, appNo: [][]string{{"Group.Read.All"}},
		role: auth.GroupsAdministrator, roleNo: auth.GlobalReader, write: true,
		run: func(e *env, p auth.Principal, f fixture) error {
			return e.svc.RemoveMember(e.ctx, p, f.group.ID, f.user.UPN)
		},
		missing: func(e *env, p auth.Principal) error { return e.svc.RemoveMember(e.ctx, p, missingID(), missingID()) }},

	{name: "ListRoleDefinitions", app: []string{roleRead}, role: auth.GlobalReader, roleNo: auth.UserAdministrator,
		run: func(e *env, p auth.Principal, f fixture) error {
			_, err := e.svc.ListRoleDefinitions(e.ctx, p)
			return err
		}},
	{name: "GetRoleDefinition", app: []string{"Directory.Read.All"}, role: auth.PrivilegedRoleAdministrator, roleNo: auth.AuthenticationAdministrator,
		run: func(e *env, p auth.Principal, f fixture) error {
			_, err := e.svc.GetRoleDefinition(e.ctx, p, auth.GlobalAdministrator)
			return err
		},
		missing: func(e *env, p auth.Principal) error {
			_, err := e.svc.GetRoleDefinition(e.ctx, p, missingID())
			return err
		}},
	{name: "ListRoleAssignments", app: []string{roleWrite}, role: auth.GlobalReader, roleNo: auth.GroupsAdministrator,
		run: func(e *env, p auth.Principal, f fixture) error {
			_, err := e.svc.ListRoleAssignments(e.ctx, p, admin.RoleAssignmentFilter{}, "", 0)
			return err
		}},
	{name: "GetRoleAssignment", app: []string{roleRead}, role: auth.GlobalAdministrator, roleNo: auth.SecurityReader,
		run: func(e *env, p auth.Principal, f fixture) error {
			_, err := e.svc.GetRoleAssignment(e.ctx, p, f.role.ID)
			return err
		},
		missing: func(e *env, p auth.Principal) error {
			_, err := e.svc.GetRoleAssignment(e.ctx, p, missingID())
			return err
		}},
	{name: "CreateRoleAssignment", app: []string{roleWrite}, appNo: [][]string{{roleRead}, {"Directory.ReadWrite.All"}},
		noScope: [][]string{{"Directory.ReadWrite.All"}}, role: auth.PrivilegedRoleAdministrator, roleNo: auth.UserAdministrator, write: true,
		run: func(e *env, p auth.Principal, f fixture) error {
			_, err := e.svc.CreateRoleAssignment(e.ctx, p, roleInput(f.user.ID, auth.GlobalReader))
			return err
		},
		missing: func(e *env, p auth.Principal) error {
			_, err := e.svc.CreateRoleAssignment(e.ctx, p, roleInput(missingID(), auth.GlobalReader))
			return err
		}},
	{name: "DeleteRoleAssignment", app: []string{roleWrite}, appNo: [][]string{{roleRead}},
		role: auth.GlobalAdministrator, roleNo: auth.GlobalReader, write: true,
		run: func(e *env, p auth.Principal, f fixture) error {
			return e.svc.DeleteRoleAssignment(e.ctx, p, f.role.ID)
		},
		missing: func(e *env, p auth.Principal) error { return e.svc.DeleteRoleAssignment(e.ctx, p, missingID()) }},

	{name: "CreateScopedRoleAssignment", app: []string{roleWrite}, appNo: [][]string{{unitWrite}},
		noScope: [][]string{{unitWrite}}, role: auth.PrivilegedRoleAdministrator, roleNo: auth.AuthenticationAdministrator, write: true,
		run: func(e *env, p auth.Principal, f fixture) error {
			_, err := e.svc.CreateRoleAssignment(e.ctx, p, scopedRoleInput(f.other.ID, auth.AuthenticationAdministrator, f.unit.ID))
			return err
		},
		missing: func(e *env, p auth.Principal) error {
			_, err := e.svc.CreateRoleAssignment(e.ctx, p, scopedRoleInput(missingID(), auth.AuthenticationAdministrator, missingID()))
			return err
		}},
	{name: "CreateUnit", app: []string{unitWrite}, appNo: [][]string{{unitRead}, {"Directory.ReadWrite.All"}},
		noScope: [][]string{{unitRead}, {"Directory.ReadWrite.All"}}, role: auth.PrivilegedRoleAdministrator, roleNo: auth.UserAdministrator, write: true,
		run: func(e *env, p auth.Principal, f fixture) error {
			_, err := e.svc.CreateUnit(e.ctx, p, admin.UnitInput{DisplayName: ptr("Store 12")})
			return err
		}},
	{name: "GetUnit", app: []string{unitRead}, appNo: [][]string{{"Group.Read.All"}},
		run: func(e *env, p auth.Principal, f fixture) error {
			_, err := e.svc.GetUnit(e.ctx, p, f.unit.ID)
			return err
		},
		missing: func(e *env, p auth.Principal) error { _, err := e.svc.GetUnit(e.ctx, p, missingID()); return err }},
	{name: "ListUnits", app: []string{"Directory.Read.All"},
		run: func(e *env, p auth.Principal, f fixture) error {
			_, err := e.svc.ListUnits(e.ctx, p, "", 0)
			return err
		}},
	{name: "UpdateUnit", app: []string{unitWrite}, appNo: [][]string{{unitRead}},
		role: auth.GlobalAdministrator, roleNo: auth.GlobalReader, write: true,
		run: func(e *env, p auth.Principal, f fixture) error {
			return e.svc.UpdateUnit(e.ctx, p, f.unit.ID, admin.UnitInput{Description: ptr("Renamed")})
		},
		missing: func(e *env, p auth.Principal) error {
			return e.svc.UpdateUnit(e.ctx, p, missingID(), admin.UnitInput{Description: ptr("Renamed")})
		}},
	{name: "DeleteUnit", app: []string{unitWrite}, appNo: [][]string{{"Directory.ReadWrite.All"}},
		role: auth.PrivilegedRoleAdministrator, roleNo: auth.UserAdministrator, write: true,
		run:     func(e *env, p auth.Principal, f fixture) error { return e.svc.DeleteUnit(e.ctx, p, f.unit.ID) },
		missing: func(e *env, p auth.Principal) error { return e.svc.DeleteUnit(e.ctx, p, missingID()) }},
	{name: "AddUnitMember", app: []string{unitWrite}, appNo: [][]string{{unitRead}, {"GroupMember.ReadWrite.All"}},
		role: auth.PrivilegedRoleAdministrator, roleNo: auth.GroupsAdministrator, write: true,
		run: func(e *env, p auth.Principal, f fixture) error {
			return e.svc.AddUnitMember(e.ctx, p, f.unit.ID, f.other.ID)
		},
		missing: func(e *env, p auth.Principal) error { return e.svc.AddUnitMember(e.ctx, p, missingID(), missingID()) }},
	{name: "RemoveUnitMember", app: []string{unitWrite}, appNo: [][]string{{unitRead}},
		role: auth.GlobalAdministrator, roleNo: auth.UserAdministrator, write: true,
		run: func(e *env, p auth.Principal, f fixture) error {
			return e.svc.RemoveUnitMember(e.ctx, p, f.unit.ID, f.group.ID)
		},
		missing: func(e *env, p auth.Principal) error {
			return e.svc.RemoveUnitMember(e.ctx, p, missingID(), missingID())
		}},
	{name: "ListUnitMembers", app: []string{unitWrite},
		run: func(e *env, p auth.Principal, f fixture) error {
			_, err := e.svc.ListUnitMembers(e.ctx, p, f.unit.ID, "", 0)
			return err
		},
		missing: func(e *env, p auth.Principal) error {
			_, err := e.svc.ListUnitMembers(e.ctx, p, missingID(), "", 0)
			return err
		}},
	{name: "CreateApplication", app: []string{appWrite}, appNo: [][]string{{appRead}, {"Directory.ReadWrite.All"}},
		noScope: [][]string{{"Directory.ReadWrite.All"}}, role: auth.ApplicationAdministrator, roleNo: auth.PrivilegedRoleAdministrator, write: true,
		run: func(e *env, p auth.Principal, f fixture) error {
			_, err := e.svc.CreateApplication(e.ctx, p, "Kiosk")
			return err
		}},
	{name: "RegisterApplication", app: []string{appWrite}, appNo: [][]string{{appRead}, {"Directory.ReadWrite.All"}},
		noScope: [][]string{{"Directory.ReadWrite.All"}}, role: auth.ApplicationAdministrator, roleNo: auth.PrivilegedRoleAdministrator, write: true,
		run: func(e *env, p auth.Principal, f fixture) error {
			_, err := e.svc.RegisterApplication(e.ctx, p, admin.ApplicationInput{DisplayName: ptr("Kiosk"),
				SignIn: admin.SignInInput{PublicRedirectURIs: &[]string{"myapp://callback"}}})
			return err
		}},
	{name: "UpdateApplication", app: []string{appWrite}, appNo: [][]string{{appRead}, {"Directory.ReadWrite.All"}},
		noScope: [][]string{{"Directory.ReadWrite.All"}}, role: auth.CloudApplicationAdministrator, roleNo: auth.GlobalReader, write: true,
		run: func(e *env, p auth.Principal, f fixture) error {
			_, err := e.svc.UpdateApplication(e.ctx, p, admin.AppRef{ID: f.app.ID},
				admin.ApplicationInput{SignIn: admin.SignInInput{WebRedirectURIs: &[]string{"https://a.contoso.com/cb"}}})
			return err
		},
		missing: func(e *env, p auth.Principal) error {
			_, err := e.svc.UpdateApplication(e.ctx, p, admin.AppRef{AppID: missingID()}, admin.ApplicationInput{DisplayName: ptr("x")})
			return err
		}},
	{name: "GetApplication", app: []string{appRead}, role: auth.GlobalReader, roleNo: auth.AuthenticationAdministrator,
		run: func(e *env, p auth.Principal, f fixture) error {
			_, err := e.svc.GetApplication(e.ctx, p, admin.AppRef{AppID: f.app.AppID})
			return err
		},
		missing: func(e *env, p auth.Principal) error {
			_, err := e.svc.GetApplication(e.ctx, p, admin.AppRef{ID: missingID()})
			return err
		}},
	{name: "ListApplications", app: []string{"Directory.Read.All"}, role: auth.CloudApplicationAdministrator, roleNo: auth.UserAdministrator,
		run: func(e *env, p auth.Principal, f fixture) error {
			_, err := e.svc.ListApplications(e.ctx, p, "", 0)
			return err
		}},
	{name: "DeleteApplication", app: []string{appWrite}, appNo: [][]string{{"Directory.ReadWrite.All"}},
		role: auth.CloudApplicationAdministrator, roleNo: auth.GlobalReader, write: true,
		run: func(e *env, p auth.Principal, f fixture) error {
			return e.svc.DeleteApplication(e.ctx, p, admin.AppRef{ID: f.app.ID})
		},
		missing: func(e *env, p auth.Principal) error {
			return e.svc.DeleteApplication(e.ctx, p, admin.AppRef{AppID: missingID()})
		}},
	{name: "AddPassword", app: []string{appWrite}, appNo: [][]string{{appRead}},
		role: auth.ApplicationAdministrator, roleNo: auth.PrivilegedRoleAdministrator, write: true,
		run: func(e *env, p auth.Principal, f fixture) error {
			_, err := e.svc.AddPassword(e.ctx, p, admin.AppRef{ID: f.app.ID}, admin.PasswordInput{DisplayName: "ci"})
			return err
		},
		missing: func(e *env, p auth.Principal) error {
			_, err := e.svc.AddPassword(e.ctx, p, admin.AppRef{ID: missingID()}, admin.PasswordInput{})
			return err
		}},
	{name: "RemovePassword", app: []string{appWrite}, appNo: [][]string{{appRead}},
		role: auth.GlobalAdministrator, roleNo: auth.GlobalReader, write: true,
		run: func(e *env, p auth.Principal, f fixture) error {
			return e.svc.RemovePassword(e.ctx, p, admin.AppRef{ID: f.app.ID}, f.keyID)
		},
		missing: func(e *env, p auth.Principal) error {
			return e.svc.RemovePassword(e.ctx, p, admin.AppRef{ID: missingID()}, missingID())
		}},
	{name: "ListServicePrincipals", app: []string{appRead}, role: auth.ApplicationAdministrator, roleNo: auth.AuthenticationAdministrator,
		run: func(e *env, p auth.Principal, f fixture) error {
			_, err := e.svc.ListServicePrincipals(e.ctx, p, "", 0, admin.ServicePrincipalFilter{})
			return err
		}},
	{name: "GetServicePrincipal", app: []string{appWrite}, role: auth.GlobalReader, roleNo: auth.UserAdministrator,
		run: func(e *env, p auth.Principal, f fixture) error {
			_, err := e.svc.GetServicePrincipal(e.ctx, p, admin.SPRef{ID: f.app.ServicePrincipalID})
			return err
		},
		missing: func(e *env, p auth.Principal) error {
			_, err := e.svc.GetServicePrincipal(e.ctx, p, admin.SPRef{ID: missingID()})
			return err
		}},
	// Finds the service principal made with the application: authorized as a write, writes nothing.
	{name: "CreateServicePrincipal", app: []string{appWrite}, appNo: [][]string{{appRead}},
		role: auth.ApplicationAdministrator, roleNo: auth.GlobalReader,
		run: func(e *env, p auth.Principal, f fixture) error {
			_, err := e.svc.CreateServicePrincipal(e.ctx, p, f.app.AppID)
			return err
		},
		missing: func(e *env, p auth.Principal) error {
			_, err := e.svc.CreateServicePrincipal(e.ctx, p, missingID())
			return err
		},
		missingKind: apperr.Invalid, missingCode: "Request_BadRequest"},
	{name: "ListAppRoleAssignments", app: []string{appRead}, role: auth.GlobalReader, roleNo: auth.AuthenticationAdministrator,
		run: func(e *env, p auth.Principal, f fixture) error {
			_, err := e.svc.ListAppRoleAssignments(e.ctx, p, admin.SPRef{AppID: f.app.AppID})
			return err
		},
		missing: func(e *env, p auth.Principal) error {
			_, err := e.svc.ListAppRoleAssignments(e.ctx, p, admin.SPRef{ID: missingID()})
			return err
		}},
	{name: "ListAppRoleAssignedTo", app: []string{appRead}, role: auth.ApplicationAdministrator, roleNo: auth.UserAdministrator,
		run: func(e *env, p auth.Principal, f fixture) error {
			_, err := e.svc.ListAppRoleAssignedTo(e.ctx, p, admin.SPRef{ID: admin.GraphServicePrincipalID})
			return err
		},
		missing: func(e *env, p auth.Principal) error {
			_, err := e.svc.ListAppRoleAssignedTo(e.ctx, p, admin.SPRef{AppID: missingID()})
			return err
		}},
	// Granting Microsoft Graph's permissions is admin consent: delegated
	// callers need AppRoleAssignment.ReadWrite.All (Application.ReadWrite.All
	// is not enough) and a Privileged Role Administrator or Global
	// Administrator; applications may use either permission.
	{name: "GrantAppRole", app: []string{appWrite}, appNo: [][]string{{appRead}},
		scopes: []string{appRoleAssign}, noScope: [][]string{{appWrite}},
		role: auth.PrivilegedRoleAdministrator, roleNo: auth.ApplicationAdministrator, write: true,
		run: func(e *env, p auth.Principal, f fixture) error {
			_, err := e.svc.GrantAppRole(e.ctx, p, admin.SPRef{ID: f.app.ServicePrincipalID}, false, admin.GrantInput{
				PrincipalID: f.app.ServicePrincipalID, ResourceID: admin.GraphServicePrincipalID, AppRoleID: auth.AppRoles[1].ID})
			return err
		},
		missing: func(e *env, p auth.Principal) error {
			sp := missingID()
			_, err := e.svc.GrantAppRole(e.ctx, p, admin.SPRef{ID: sp}, false, admin.GrantInput{
				PrincipalID: sp, ResourceID: admin.GraphServicePrincipalID, AppRoleID: auth.AppRoles[1].ID})
			return err
		}},
	{name: "RevokeAppRole", app: []string{appRoleAssign}, appNo: [][]string{{appRead}},
		noScope: [][]string{{appWrite}}, role: auth.GlobalAdministrator, roleNo: auth.CloudApplicationAdministrator, write: true,
		run: func(e *env, p auth.Principal, f fixture) error {
			return e.svc.RevokeAppRole(e.ctx, p, admin.SPRef{ID: admin.GraphServicePrincipalID}, true, f.grantID)
		},
		missing: func(e *env, p auth.Principal) error {
			return e.svc.RevokeAppRole(e.ctx, p, admin.SPRef{ID: admin.GraphServicePrincipalID}, true, missingID())
		}},

	// The sign-in logs need AuditLog.Read.All and Directory.Read.All, as in Graph.
	{name: "ListSignInLogs", app: []string{"AuditLog.Read.All", "Directory.Read.All"},
		appNo: [][]string{{"AuditLog.Read.All"}, {"Directory.Read.All"}}, noScope: [][]string{{"AuditLog.Read.All"}},
		role: auth.ReportsReader, roleNo: auth.AuthenticationAdministrator,
		run: func(e *env, p auth.Principal, f fixture) error {
			_, err := e.svc.ListSignInLogs(e.ctx, p, store.AuditFilter{}, 0)
			return err
		}},
	{name: "ListDirectoryAudits", app: []string{"AuditLog.Read.All"}, appNo: [][]string{{"Directory.Read.All"}},
		role: auth.SecurityReader, roleNo: auth.UserAdministrator,
		run: func(e *env, p auth.Principal, f fixture) error {
			_, err := e.svc.ListDirectoryAudits(e.ctx, p, store.AuditFilter{}, 0)
			return err
		}},
}

func roleInput(principalID, roleID string) admin.RoleAssignmentInput {
	scope := admin.DirectoryScopeRoot
	return admin.RoleAssignmentInput{PrincipalID: &principalID, RoleDefinitionID: &roleID, DirectoryScopeID: &scope}
}

// scopedRoleInput is a role assignment body scoped to an administrative unit.
func scopedRoleInput(principalID, roleID, unitID string) admin.RoleAssignmentInput {
	scope := "/administrativeUnits/" + unitID
	return admin.RoleAssignmentInput{PrincipalID: &principalID, RoleDefinitionID: &roleID, DirectoryScopeID: &scope}
}

// tenantCase is one caller of a tenant operation and what it gets.
type tenantCase struct {
	name    string
	caller  func(e *env) auth.Principal
	missing bool // on a missing object
	allowed bool
}

// cases derives an operation's cases from its permissions: an application
// with them, without any, with each set that does not suffice; a delegated
// caller with the scopes and role, without the role, with a role that
// does not suffice, with each scope set that does not, with only User.Read;
// and, when the operation names an object, the authorized and refused
// callers on a missing one.
func (op tenantOp) cases() []tenantCase {
	scopes := op.scopes
	if scopes == nil {
		scopes = op.app
	}
	app := func(perms ...string) func(e *env) auth.Principal {
		return func(e *env) auth.Principal { _, p := e.app(perms...); return p }
	}
	user := func(role string, scopes ...string) func(e *env) auth.Principal {
		return func(e *env) auth.Principal {
			var u store.User
			if role != "" {
				u = e.user(role)
			} else {
				u = e.user()
			}
			return e.delegated(u, e.clock.Now(), scopes...)
		}
	}
	cs := []tenantCase{
		{name: "app", caller: app(op.app...), allowed: true},
		{name: "app0", caller: app()},
		{name: "user", caller: user(op.role, scopes...), allowed: true},
		{name: "user/User.Read", caller: user(op.role, "User.Read")},
	}
	for _, perms := range op.appNo {
		cs = append(cs, tenantCase{name: "app/" + js(perms), caller: app(perms...)})
	}
	for _, s := range op.noScope {
		cs = append(cs, tenantCase{name: "user/" + js(s), caller: user(op.role, s...)})
	}
	if op.role != "" {
		// A role scoped to an administrative unit (the caller's own) never
		// reaches the tenant or its directory objects.
		scoped := func(e *env) auth.Principal {
			u, unit := e.user(), e.unit()
			e.unitMember(unit, u.ID)
			e.scopedRole(u, op.role, unit)
			return e.delegated(u, e.clock.Now(), scopes...)
		}
		cs = append(cs, tenantCase{name: "user/noRole", caller: user("", scopes...)},
			tenantCase{name: "user/wrongRole", caller: user(op.roleNo, scopes...)},
			tenantCase{name: "user/scopedRole", caller: scoped})
	}
	if op.missing != nil {
		cs = append(cs, tenantCase{name: "missing/app", caller: app(op.app...), missing: true, allowed: true},
			tenantCase{name: "missing/user", caller: user(op.role, scopes...), missing: true, allowed: true},
			tenantCase{name: "missing/app0", caller: app(), missing: true})
		if op.role != "" {
			cs = append(cs, tenantCase{name: "missing/user/noRole", caller: user("", scopes...), missing: true})
		}
	}
	return cs
}

// TestAuthorizeTenantOperations checks who may do each operation on the
// tenant, groups, roles, applications and logs: the refused get 403
// accessDenied and change nothing; on a missing object, permission is
// checked first (403), existence second (404); a successful write writes
// exactly one audit entry, a read nothing.
func TestAuthorizeTenantOperations(t *testing.T) {
	t.Parallel()
	for _, op := range tenantOps {
		t.Run(op.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			// Refusals and reads leave the fixture as it was (that is
			// checked); a successful write may use it up.
			f := e.fixture()
			for _, c := range op.cases() {
				t.Run(c.name, func(t *testing.T) {
					e.t = t
					p := c.caller(e)
					if op.prep != nil {
						op.prep(e)
					}
					mark, before := e.mark(), e.commits()
					var err error
					if c.missing {
						err = op.missing(e, p)
					} else {
						err = op.run(e, p, f)
					}
					switch {
					case !c.allowed:
						wantErr(t, err, apperr.Forbidden, "accessDenied")
					case c.missing && op.missingCode != "":
						wantErr(t, err, op.missingKind, op.missingCode)
					case c.missing:
						wantErr(t, err, apperr.NotFound, "Request_ResourceNotFound")
					default:
						wantErr(t, err, 0, "")
					}
					if !c.allowed || c.missing || !op.write {
						if e.commits() != before {
							t.Error("the store changed")
						}
						return
					}
					if e.commits() == before {
						t.Error("a successful change committed nothing")
					}
					f = e.fixture()
					if n := len(e.auditsSince(mark)); n != 1 {
						t.Errorf("%d directory audit entries written, want 1", n)
					}
				})
			}
		})
	}
}
