package graph

import (
	"context"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
)

// Management is what the Graph API asks of the management service
// (*admin.Service): each handler decodes a request, calls one of these and
// encodes the answer, so a handler can be tested against this contract
// with a fake, without a store. Every method authorizes the principal
// itself and returns apperr errors (or store errors, which the edge
// classifies).
type Management interface {
	AddMember(ctx context.Context, p auth.Principal, groupID, userID string) error
	AddUnitMember(ctx context.Context, p auth.Principal, unitID, memberID string) error
	AddPassword(ctx context.Context, p auth.Principal, ref admin.AppRef, in admin.PasswordInput) (admin.NewPassword, error)
	Authenticate(ctx context.Context, p auth.Principal) (auth.Principal, error)
	AuthenticateExternal(ctx context.Context, id auth.ExternalIdentity) (auth.Principal, error)
	CreateGroup(ctx context.Context, p auth.Principal, in admin.GroupInput) (store.Group, error)
	CreateMethod(ctx context.Context, p auth.Principal, ref admin.UserRef, in admin.CreateMethodInput) (admin.CreatedMethod, error)
	CreateRoleAssignment(ctx context.Context, p auth.Principal, in admin.RoleAssignmentInput) (store.RoleAssignment, error)
	CreateServicePrincipal(ctx context.Context, p auth.Principal, appID string) (admin.ServicePrincipal, error)
	CreateUnit(ctx context.Context, p auth.Principal, in admin.UnitInput) (store.AdministrativeUnit, error)
	CreateUser(ctx context.Context, p auth.Principal, in admin.UserInput) (store.User, error)
	DeleteApplication(ctx context.Context, p auth.Principal, ref admin.AppRef) error
	DeleteCode(ctx context.Context, p auth.Principal, ref admin.UserRef, kind method.Kind) error
	DeleteGroup(ctx context.Context, p auth.Principal, id string) error
	DeleteMethod(ctx context.Context, p auth.Principal, ref admin.UserRef) error
	DeletePolicy(ctx context.Context, p auth.Principal) error
	DeleteRoleAssignment(ctx context.Context, p auth.Principal, id string) error
	DeleteUnit(ctx context.Context, p auth.Principal, id string) error
	DeleteUser(ctx context.Context, p auth.Principal, ref admin.UserRef) error
	GetApplication(ctx context.Context, p auth.Principal, ref admin.AppRef) (store.Application, error)
	GetCode(ctx context.Context, p auth.Principal, ref admin.UserRef, kind method.Kind) (store.User, method.QRCode, error)
	GetGroup(ctx context.Context, p auth.Principal, id string) (store.Group, error)
	GetMethod(ctx context.Context, p auth.Principal, ref admin.UserRef) (store.User, method.Method, error)
	GetMethodByID(ctx context.Context, p auth.Principal, ref admin.UserRef, id string) (store.User, method.Method, error)
	DeleteMethodByID(ctx context.Context, p auth.Principal, ref admin.UserRef, id string) error
	GetPolicy(ctx context.Context, p auth.Principal) (method.Policy, error)
	GetRegistration(ctx context.Context, p auth.Principal, id string) (admin.Registration, error)
	ListRegistrations(ctx context.Context, p auth.Principal, f admin.RegistrationFilter, after string, limit int) ([]admin.Registration, string, error)
	CountRegistrations(ctx context.Context, p auth.Principal) (admin.RegisteredByMethod, error)
	CountUsers(ctx context.Context, p auth.Principal) (int, error)
	CountGroups(ctx context.Context, p auth.Principal) (int, error)
	CountMembers(ctx context.Context, p auth.Principal, groupID string) (int, error)
	GetRoleAssignment(ctx context.Context, p auth.Principal, id string) (store.RoleAssignment, error)
	GetRoleDefinition(ctx context.Context, p auth.Principal, id string) (auth.Role, error)
	GetServicePrincipal(ctx context.Context, p auth.Principal, ref admin.SPRef) (admin.ServicePrincipal, error)
	GetUnit(ctx context.Context, p auth.Principal, id string) (store.AdministrativeUnit, error)
	GetUser(ctx context.Context, p auth.Principal, ref admin.UserRef) (store.User, error)
	GrantAppRole(ctx context.Context, p auth.Principal, ref admin.SPRef, asResource bool, in admin.GrantInput) (admin.AppRoleAssignment, error)
	ListAppRoleAssignedTo(ctx context.Context, p auth.Principal, ref admin.SPRef) ([]admin.AppRoleAssignment, error)
	ListAppRoleAssignments(ctx context.Context, p auth.Principal, ref admin.SPRef) ([]admin.AppRoleAssignment, error)
	ListApplications(ctx context.Context, p auth.Principal, after string, limit int) ([]store.Application, error)
	ListDirectoryAudits(ctx context.Context, p auth.Principal, f store.AuditFilter, limit int) ([]store.DirectoryAudit, error)
	ListGroups(ctx context.Context, p auth.Principal, after string, limit int) ([]store.Group, error)
	ListMembers(ctx context.Context, p auth.Principal, groupID, after string, limit int) ([]store.User, error)
	ListMethods(ctx context.Context, p auth.Principal, ref admin.UserRef) (store.User, []method.Method, error)
	ListRoleAssignments(ctx context.Context, p auth.Principal, f admin.RoleAssignmentFilter, after string, limit int) ([]store.RoleAssignment, error)
	ListRoleDefinitions(ctx context.Context, p auth.Principal) ([]auth.Role, error)
	ListServicePrincipals(ctx context.Context, p auth.Principal, after string, limit int, f admin.ServicePrincipalFilter) ([]admin.ServicePrincipal, error)
	ListSignInLogs(ctx context.Context, p auth.Principal, f store.AuditFilter, limit int) ([]store.SignInLog, error)
	ListUnitMembers(ctx context.Context, p auth.Principal, unitID, after string, limit int) ([]store.UnitMember, error)
	ListUnits(ctx context.Context, p auth.Principal, after string, limit int) ([]store.AdministrativeUnit, error)
	ListUsers(ctx context.Context, p auth.Principal, after string, limit int) ([]store.User, error)
	ListUsersByEmployeeID(ctx context.Context, p auth.Principal, employeeID, after string, limit int) ([]store.User, error)
	PatchCode(ctx context.Context, p auth.Principal, ref admin.UserRef, kind method.Kind, in admin.CodeInput) (admin.PatchedCode, error)
	RegisterApplication(ctx context.Context, p auth.Principal, in admin.ApplicationInput) (store.Application, error)
	RemoveMember(ctx context.Context, p auth.Principal, groupID, userID string) error
	RemoveUnitMember(ctx context.Context, p auth.Principal, unitID, memberID string) error
	RemovePassword(ctx context.Context, p auth.Principal, ref admin.AppRef, keyID string) error
	ResetPIN(ctx context.Context, p auth.Principal, ref admin.UserRef) (admin.ResetPINResult, error)
	RevokeAppRole(ctx context.Context, p auth.Principal, ref admin.SPRef, asResource bool, assignmentID string) error
	UpdateApplication(ctx context.Context, p auth.Principal, ref admin.AppRef, in admin.ApplicationInput) (store.Application, error)
	UnlockPIN(ctx context.Context, p auth.Principal, ref admin.UserRef) (store.User, error)
	UpdateUnit(ctx context.Context, p auth.Principal, id string, in admin.UnitInput) error
	UpdatePIN(ctx context.Context, p auth.Principal, ref admin.UserRef, current, next string) error
	UpdatePolicy(ctx context.Context, p auth.Principal, read func() (admin.PolicyPatch, error)) (method.Policy, error)
	UpdateUser(ctx context.Context, p auth.Principal, ref admin.UserRef, in admin.UserInput) error
}

var _ Management = (*admin.Service)(nil)
