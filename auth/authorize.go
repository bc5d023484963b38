package auth

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/qrpin/qrpin/apperr"
)

// Action is something a caller asks to do.
type Action int

// The actions Authorize decides.
const (
	ReadMethod            Action = iota + 1 // GET the method, its QR codes or PIN; list a user's methods
	WriteMethod                             // PUT or DELETE the method; PATCH or DELETE a QR code
	ResetPIN                                // PATCH .../pin: an administrator resets a PIN
	UpdatePIN                               // pin/updatePin: users change their own PIN
	ReadPolicy                              // GET the QR code + PIN policy
	WritePolicy                             // PATCH or DELETE the policy
	ReadUsers                               // read users
	WriteUsers                              // create, change or delete users
	ReadGroups                              // read groups and their members
	WriteGroups                             // create, change or delete groups
	WriteGroupMembers                       // add or remove group members
	ReadRoles                               // read role definitions and role assignments
	WriteRoles                              // create or delete role assignments
	ReadApplications                        // read applications, service principals and their app role assignments
	WriteApplications                       // create or delete applications, add or remove their secrets
	GrantAppRoles                           // grant or revoke application permissions (app role assignments)
	ReadSignInLogs                          // read the sign-in logs (auditLogs/signIns)
	ReadDirectoryAudits                     // read the directory audit logs (auditLogs/directoryAudits)
	ReadReports                             // read the authentication methods reports (reports/authenticationMethods)
	UnlockPIN                               // pin/unlock (qrpin's extension): an administrator lifts a PIN lockout
	ReadUnits                               // read administrative units and their members
	WriteUnits                              // create, change or delete administrative units; add or remove their members
	ReadHiddenUnitMembers                   // list the members of an administrative unit whose membership is hidden
)

// String names the action as error messages do ("write the QR code + PIN method").
func (a Action) String() string {
	if r, ok := rules[a]; ok {
		return r.what
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Target describes the user an action is done to. It is the zero value for
// policy and group actions.
type Target struct {
	Self  bool     // the target user is the caller (through /me or their own id)
	Me    bool     // the request addressed /me (implies Self)
	Roles []string // the target user's directory role template ids, from stored role assignments (any scope)
	// Units are the administrative units the target user is a direct
	// member of: the caller's roles scoped to one of them apply.
	Units []string
}

// ScopedRole is a directory role held over one administrative unit: it
// applies to the users who are direct members of the unit, and to nothing
// else (not to the tenant's policy, not to members of a group in the unit,
// as in Entra).
type ScopedRole struct {
	RoleID string // the role template id
	UnitID string // the administrative unit's id
}

// RecentSignIn is how recent a user's sign-in (auth_time) must be for them
// to change their own authentication method (spec D15).
const RecentSignIn = 10 * time.Minute

// RecentSignInClaims is the claims request a client sends when it signs the
// user in again after a recent-sign-in refusal, as Entra's claims challenge
// asks: a token whose amr holds "ngcmfa" (a fresh multifactor sign-in).
const RecentSignInClaims = `{"access_token":{"amr":{"essential":true,"values":["ngcmfa"]}}}`

// recentSignInChallenge is the WWW-Authenticate value of a recent-sign-in
// refusal, in Entra's claims challenge form.
var recentSignInChallenge = `Bearer realm="", error="insufficient_claims", claims="` +
	base64.StdEncoding.EncodeToString([]byte(RecentSignInClaims)) + `"`

// futureAuthTime is how far in the future an auth_time may lie (clock skew
// between processes) and still count as recent.
const futureAuthTime = DefaultSkew

// Permission names, as Entra spells them. Compared case-insensitively.
const (
	qrRead             = "UserAuthMethod-QR.Read"
	qrReadAll          = "UserAuthMethod-QR.Read.All"
	qrReadWrite        = "UserAuthMethod-QR.ReadWrite"
	qrReadWriteAll     = "UserAuthMethod-QR.ReadWrite.All"
	methodRead         = "UserAuthenticationMethod.Read"
	methodReadAll      = "UserAuthenticationMethod.Read.All"
	methodReadWrite    = "UserAuthenticationMethod.ReadWrite"
	methodReadWriteAll = "UserAuthenticationMethod.ReadWrite.All"
	accessAsUser       = "Directory.AccessAsUser.All"
	policyRead         = "Policy.Read.AuthenticationMethod"
	policyReadWrite    = "Policy.ReadWrite.AuthenticationMethod"
	userRead           = "User.Read"
	userReadBasicAll   = "User.ReadBasic.All"
	userReadAll        = "User.Read.All"
	userReadWriteAll   = "User.ReadWrite.All"
	dirReadAll         = "Directory.Read.All"
	auditLogReadAll    = "AuditLog.Read.All"
	dirReadWriteAll    = "Directory.ReadWrite.All"
	groupReadAll       = "Group.Read.All"
	groupReadWriteAll  = "Group.ReadWrite.All"
	memberReadAll      = "GroupMember.Read.All"
	memberReadWriteAll = "GroupMember.ReadWrite.All"
	roleRead           = "RoleManagement.Read.Directory"
	roleReadWrite      = "RoleManagement.ReadWrite.Directory"
	appReadAll         = "Application.Read.All"
	appReadWriteAll    = "Application.ReadWrite.All"
	appRoleAssignRW    = "AppRoleAssignment.ReadWrite.All"
	unitReadAll        = "AdministrativeUnit.Read.All"
	unitReadWriteAll   = "AdministrativeUnit.ReadWrite.All"
	memberReadHidden   = "Member.Read.Hidden"
)

// rule is one row of the permission table.
type rule struct {
	what string // the action, for messages

	// Delegated callers need one of these scopes: self when acting on
	// themselves, others otherwise (another user, or the tenant's policy
	// and groups). A nil self means the same as others.
	self, others []string
	// Application callers need one of these app roles; nil refuses them.
	app []string
	// also: callers (delegated or application) need one of these too.
	also []string

	// Delegated callers acting on another user, or on the tenant, also need
	// one of roles, or one of nonAdminRoles when the target user holds no
	// directory role at all. With both nil no role is needed.
	roles, nonAdminRoles []string
	// selfNeedsRole applies the role rule when users act on themselves too.
	selfNeedsRole bool
	// recentSignIn: users acting on themselves need auth_time within RecentSignIn.
	recentSignIn bool
	// selfOnly: the action acts on the caller only (a delegated-only action).
	selfOnly bool
	// selfDenied, when set, explains the refusal of users without any of
	// the roles acting on themselves.
	selfDenied string
}

// The scope sets of the QR code + PIN method (spec D13).
var (
	methodReadScopes     = []string{qrRead, qrReadAll, qrReadWrite, qrReadWriteAll, methodRead, methodReadAll, methodReadWrite, methodReadWriteAll}
	methodReadAllScopes  = []string{qrReadAll, qrReadWriteAll, methodReadAll, methodReadWriteAll}
	methodWriteScopes    = []string{qrReadWrite, qrReadWriteAll, methodReadWrite, methodReadWriteAll}
	methodWriteAllScopes = []string{qrReadWriteAll, methodReadWriteAll}
)

// auditReaders are the directory roles that read the audit logs.
var auditReaders = []string{ReportsReader, SecurityReader, SecurityAdministrator, GlobalReader, GlobalAdministrator}

// pinAdminRule is the rule of an administrator's operation on a user's
// PIN (reset, unlock): WriteMethod's, but users acting on themselves need
// an administrator role too.
func pinAdminRule(what, selfDenied string) rule {
	return rule{
		what:          what,
		self:          methodWriteScopes,
		others:        methodWriteAllScopes,
		app:           methodWriteAllScopes,
		roles:         []string{PrivilegedAuthenticationAdministrator, GlobalAdministrator},
		nonAdminRoles: []string{AuthenticationAdministrator},
		selfNeedsRole: true,
		recentSignIn:  true,
		selfDenied:    selfDenied,
	}
}

// rules is the permission table: spec D13 (scopes), D14 (roles) and D15
// (self-service), and Graph's usual rules for users and groups.
var rules = map[Action]rule{
	ReadMethod: {
		what:   "read the QR code + PIN method",
		self:   methodReadScopes,
		others: methodReadAllScopes,
		app:    methodReadAllScopes,
		roles:  []string{GlobalReader, AuthenticationAdministrator, PrivilegedAuthenticationAdministrator, GlobalAdministrator},
	},
	WriteMethod: {
		what:          "change the QR code + PIN method",
		self:          methodWriteScopes,
		others:        methodWriteAllScopes,
		app:           methodWriteAllScopes,
		roles:         []string{PrivilegedAuthenticationAdministrator, GlobalAdministrator},
		nonAdminRoles: []string{AuthenticationAdministrator},
		recentSignIn:  true,
	},
	// Nobody resets (or unlocks) their own PIN without an admin role (D15);
	// whoever may reset a PIN may lift its lockout.
	ResetPIN: pinAdminRule("reset the PIN", "Users cannot reset their own PIN: change it with updatePin, "+
		"or ask an administrator to reset it."),
	UnlockPIN: pinAdminRule("unlock the PIN", "Users cannot unlock their own PIN: ask an administrator to unlock or reset it."),
	UpdatePIN: { // knowing the current PIN is the proof: no recent sign-in needed
		what:     "change a PIN with updatePin",
		self:     []string{accessAsUser, qrReadWrite, qrReadWriteAll, methodReadWrite, methodReadWriteAll},
		selfOnly: true,
	},
	ReadPolicy: {
		what:   "read the authentication method policy",
		others: []string{policyRead, policyReadWrite},
		app:    []string{policyRead, policyReadWrite},
		roles:  []string{GlobalReader, AuthenticationPolicyAdministrator, GlobalAdministrator},
	},
	WritePolicy: {
		what:   "change the authentication method policy",
		others: []string{policyReadWrite},
		app:    []string{policyReadWrite},
		roles:  []string{AuthenticationPolicyAdministrator, GlobalAdministrator},
	},
	ReadUsers: {
		what:   "read users",
		self:   []string{userRead, userReadBasicAll, userReadAll, userReadWriteAll, dirReadAll, dirReadWriteAll},
		others: []string{userReadBasicAll, userReadAll, userReadWriteAll, dirReadAll, dirReadWriteAll},
		app:    []string{userReadAll, userReadWriteAll, dirReadAll, dirReadWriteAll},
	},
	WriteUsers: {
		what:          "change users",
		others:        []string{userReadWriteAll, dirReadWriteAll},
		app:           []string{userReadWriteAll, dirReadWriteAll},
		roles:         []string{GlobalAdministrator},
		nonAdminRoles: []string{UserAdministrator},
		selfNeedsRole: true,
	},
	ReadGroups: {
		what:   "read groups",
		others: []string{groupReadAll, groupReadWriteAll, memberReadAll, memberReadWriteAll, dirReadAll, dirReadWriteAll},
		app:    []string{groupReadAll, groupReadWriteAll, memberReadAll, memberReadWriteAll, dirReadAll, dirReadWriteAll},
	},
	WriteGroups: {
		what:   "change groups",
		others: []string{groupReadWriteAll, dirReadWriteAll},
		app:    []string{groupReadWriteAll, dirReadWriteAll},
		roles:  []string{GroupsAdministrator, UserAdministrator, GlobalAdministrator},
	},
	WriteGroupMembers: {
		what:   "change group members",
		others: []string{groupReadWriteAll, memberReadWriteAll, dirReadWriteAll},
		app:    []string{groupReadWriteAll, memberReadWriteAll, dirReadWriteAll},
		roles:  []string{GroupsAdministrator, UserAdministrator, GlobalAdministrator},
	},
	ReadRoles: {
		what:   "read directory roles and role assignments",
		others: []string{roleRead, roleReadWrite, dirReadAll, dirReadWriteAll},
		app:    []string{roleRead, roleReadWrite, dirReadAll, dirReadWriteAll},
		roles:  []string{GlobalReader, PrivilegedRoleAdministrator, GlobalAdministrator},
	},
	WriteRoles: {
		what:   "change directory role assignments",
		others: []string{roleReadWrite},
		app:    []string{roleReadWrite},
		roles:  []string{PrivilegedRoleAdministrator, GlobalAdministrator},
	},
	ReadApplications: { // Graph's permissions for GET /applications and /servicePrincipals
		what:   "read applications and service principals",
		others: []string{appReadAll, appReadWriteAll, dirReadAll, dirReadWriteAll},
		app:    []string{appReadAll, appReadWriteAll, dirReadAll, dirReadWriteAll},
		roles:  []string{GlobalReader, ApplicationAdministrator, CloudApplicationAdministrator, GlobalAdministrator},
	},
	WriteApplications: { // Graph's: Directory.ReadWrite.All does not manage applications or their secrets
		what:   "create or change applications and their secrets",
		others: []string{appReadWriteAll},
		app:    []string{appReadWriteAll},
		roles:  []string{ApplicationAdministrator, CloudApplicationAdministrator, GlobalAdministrator},
	},
	ReadSignInLogs: { // Graph's: AuditLog.Read.All and Directory.Read.All
		what:   "read the sign-in logs",
		others: []string{auditLogReadAll},
		app:    []string{auditLogReadAll},
		also:   []string{dirReadAll, dirReadWriteAll},
		roles:  auditReaders,
	},
	ReadDirectoryAudits: {
		what:   "read the directory audit logs",
		others: []string{auditLogReadAll},
		app:    []string{auditLogReadAll},
		roles:  auditReaders,
	},
	ReadReports: { // Graph's userRegistrationDetails and usersRegisteredByMethod: AuditLog.Read.All
		what:   "read the authentication methods reports",
		others: []string{auditLogReadAll},
		app:    []string{auditLogReadAll},
		roles:  auditReaders,
	},
	ReadUnits: { // Graph's: any member user may read administrative units with the scope
		what:   "read administrative units",
		others: []string{unitReadAll, unitReadWriteAll, dirReadAll, dirReadWriteAll},
		app:    []string{unitReadAll, unitReadWriteAll, dirReadAll, dirReadWriteAll},
	},
	ReadHiddenUnitMembers: { // Graph's: listing a hidden membership also needs Member.Read.Hidden
		// Delegated callers must also be a member of the unit or hold one
		// of admin's unit reader roles: admin checks that, as it needs the
		// caller's units.
		what:   "list the members of an administrative unit whose membership is hidden",
		others: []string{unitReadAll, unitReadWriteAll, dirReadAll, dirReadWriteAll},
		app:    []string{unitReadAll, unitReadWriteAll, dirReadAll, dirReadWriteAll},
		also:   []string{memberReadHidden},
	},
	WriteUnits: { // Graph's: AdministrativeUnit.ReadWrite.All, and Entra's Privileged Role Administrator
		what:   "create or change administrative units and their members",
		others: []string{unitReadWriteAll, accessAsUser},
		app:    []string{unitReadWriteAll},
		roles:  []string{PrivilegedRoleAdministrator, GlobalAdministrator},
	},
	GrantAppRoles: { // granting Microsoft Graph's application permissions is admin consent
		what:   "grant or revoke application permissions",
		others: []string{appRoleAssignRW},
		app:    []string{appRoleAssignRW, appReadWriteAll},
		roles:  []string{PrivilegedRoleAdministrator, GlobalAdministrator},
	},
}

// Authorize returns nil when p may do a to t at now. Otherwise it returns
// an *apperr.Error of Kind Forbidden and Code "accessDenied" whose message
// names the permission or role that is missing; when the only thing missing
// is a recent sign-in, its Challenge holds the WWW-Authenticate claims
// challenge that tells the client how to get a fresh token.
//
// The rules are spec D13 to D15: scopes for delegated callers (".All" ones
// to act on another user), application permissions for applications (which
// are refused on /me and on updatePin), directory roles for delegated
// callers acting on another user, and a sign-in within RecentSignIn for
// users changing their own method. Scope names compare case-insensitively.
func Authorize(p Principal, a Action, t Target, now time.Time) error {
	r, ok := rules[a]
	if !ok {
		return apperr.AccessDenied("Unknown action %d.", int(a))
	}
	switch p.Kind {
	case Application:
		return r.application(p, t)
	case Delegated:
		return r.delegated(p, t, now)
	}
	return apperr.AccessDenied("The access token names no known kind of caller.")
}

// NeedsTargetRoles reports whether Authorize's decision on p doing a to a
// user can depend on the target's directory roles (Target.Roles), with self
// as Target.Self || Target.Me: only for a delegated caller acting on another
// user (or on themselves, where the rule applies the role rule to self)
// under a rule that protects administrators (one with non-administrator
// roles), when the caller holds one of those non-administrator roles over
// the tenant, or any of the rule's roles over an administrative unit
// (scoped roles never reach a target who holds a directory role).
// Otherwise the caller need not read the target's roles at all.
func NeedsTargetRoles(p Principal, a Action, self bool) bool {
	r, ok := rules[a]
	if !ok || p.Kind != Delegated || r.nonAdminRoles == nil || self && !r.selfNeedsRole {
		return false
	}
	scoped := scopedRoleIDs(p)
	return hasAny(p.DirectoryRoles, r.nonAdminRoles) || hasAny(scoped, r.roles) || hasAny(scoped, r.nonAdminRoles)
}

// application applies the rule to an application caller.
func (r rule) application(p Principal, t Target) error {
	switch {
	case t.Me:
		return apperr.AccessDenied("/me request is only valid with delegated authentication flow.")
	case r.app == nil:
		return apperr.AccessDenied("Applications may not %s: it needs a delegated (user) token.", r.what)
	case !hasAny(p.Roles, r.app):
		return apperr.AccessDenied("The application needs one of the application permissions %s to %s.",
			list(r.app), r.what)
	case r.also != nil && !hasAny(p.Roles, r.also):
		return apperr.AccessDenied("The application also needs one of the application permissions %s to %s.",
			list(r.also), r.what)
	}
	return nil
}

// delegated applies the rule to a signed-in user.
func (r rule) delegated(p Principal, t Target, now time.Time) error {
	self := t.Self || t.Me
	if r.selfOnly && !self {
		return apperr.AccessDenied("Cannot %s for another user: it acts only on the signed-in user.", r.what)
	}
	scopes := r.others
	if self && r.self != nil {
		scopes = r.self
	}
	if !hasAny(p.Scopes, scopes) {
		msg := fmt.Sprintf("The token needs one of the delegated permissions %s to %s.", list(scopes), r.what)
		if !self && hasAny(p.Scopes, r.self) {
			msg += " Acting on another user needs an .All permission."
		}
		return apperr.AccessDenied("%s", msg)
	}
	if r.also != nil && !hasAny(p.Scopes, r.also) {
		return apperr.AccessDenied("The token also needs one of the delegated permissions %s to %s.", list(r.also), r.what)
	}
	if (!self || r.selfNeedsRole) && !r.roleAllows(p, t) {
		return r.roleDenied(p, t, self)
	}
	if self && r.recentSignIn && !Recent(p.AuthTime, now) {
		e := apperr.AccessDenied("Changing your own authentication methods needs a sign-in within the last %d minutes. "+
			"Sign in again, requesting the claims in the WWW-Authenticate header, and retry.", int(RecentSignIn/time.Minute))
		e.Challenge = recentSignInChallenge
		return e
	}
	return nil
}

// roleAllows applies the role rule: one of roles, or one of nonAdminRoles
// on a target who holds no directory role, held over the whole tenant. A
// role held over an administrative unit the target user is a member of
// counts too, but under a rule that protects administrators (one with
// nonAdminRoles) only on a target who holds no directory role: an
// administrator scoped to a unit does not manage the administrators in it,
// whatever their role (a scoped Privileged Authentication Administrator
// does not reset a Global Administrator's PIN).
func (r rule) roleAllows(p Principal, t Target) bool {
	if r.roles == nil && r.nonAdminRoles == nil {
		return true
	}
	if hasAny(p.DirectoryRoles, r.roles) || len(t.Roles) == 0 && hasAny(p.DirectoryRoles, r.nonAdminRoles) {
		return true
	}
	if r.nonAdminRoles != nil && len(t.Roles) != 0 {
		return false
	}
	held := rolesOver(p, t)
	return hasAny(held, r.roles) || hasAny(held, r.nonAdminRoles)
}

// rolesOver returns the roles p holds over t: the tenant-wide ones, and
// the ones scoped to a unit t is a member of. A target that is no user
// (the policy, a group) has no units, so scoped roles never reach it.
func rolesOver(p Principal, t Target) []string {
	held := p.DirectoryRoles
	for _, sr := range p.ScopedRoles {
		for _, u := range t.Units {
			if strings.EqualFold(sr.UnitID, u) {
				held = append(held[:len(held):len(held)], sr.RoleID)
				break
			}
		}
	}
	return held
}

// roleDenied explains a failed role rule.
func (r rule) roleDenied(p Principal, t Target, self bool) error {
	all := append(append([]string(nil), r.roles...), r.nonAdminRoles...)
	held := rolesOver(p, t)
	switch {
	case self && r.selfDenied != "" && !hasAny(held, all):
		return apperr.AccessDenied("%s", r.selfDenied)
	case !hasAny(held, all) && len(p.ScopedRoles) > 0 && hasAny(scopedRoleIDs(p), all):
		return apperr.AccessDenied("The signed-in user holds the directory role %s only over administrative units, "+
			"and the target is in none of them: the role does not allow to %s here.", roleList(intersect(scopedRoleIDs(p), all)), r.what)
	case r.nonAdminRoles != nil && len(t.Roles) != 0 && hasAny(held, all):
		return apperr.AccessDenied("The target user holds an administrator role, so to %s the signed-in user needs the directory role %s "+
			"over the whole tenant.", r.what, roleList(r.roles))
	}
	return apperr.AccessDenied("The signed-in user needs the directory role %s to %s.", roleList(all), r.what)
}

// scopedRoleIDs returns the role ids of p's scoped roles.
func scopedRoleIDs(p Principal) []string {
	ids := make([]string, len(p.ScopedRoles))
	for i, sr := range p.ScopedRoles {
		ids[i] = sr.RoleID
	}
	return ids
}

// intersect returns the names of want that have holds (ignoring case),
// each once, in want's order.
func intersect(have, want []string) []string {
	var out []string
	for _, w := range want {
		if hasAny(have, []string{w}) {
			out = append(out, w)
		}
	}
	return out
}

// Recent reports whether a sign-in at authTime is recent enough at now:
// within RecentSignIn, and no further ahead than clock skew allows. It is
// the rule the API applies to users changing their own method, and the
// staff page to a manager's sensitive actions.
func Recent(authTime, now time.Time) bool {
	if authTime.IsZero() {
		return false
	}
	age := now.Sub(authTime)
	return age <= RecentSignIn && age >= -futureAuthTime
}

// hasAny reports whether have holds any of want, ignoring case.
func hasAny(have, want []string) bool {
	for _, h := range have {
		for _, w := range want {
			if strings.EqualFold(h, w) {
				return true
			}
		}
	}
	return false
}

// list joins names for a message: "A, B or C".
func list(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// roleList names role template ids for a message.
func roleList(ids []string) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = roleName(id)
	}
	return list(names)
}
