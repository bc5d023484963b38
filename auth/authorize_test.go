package auth

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/qrpin/qrpin/apperr"
)

// outcome is what a test expects of Authorize.
type outcome int

const (
	allow     outcome = iota + 1
	deny              // 403 accessDenied without a challenge
	challenge         // 403 accessDenied with the recent-sign-in claims challenge
)

func (o outcome) String() string {
	return map[outcome]string{allow: "allow", deny: "deny", challenge: "challenge"}[o]
}

var (
	freshSignIn = testNow.Add(-5 * time.Minute)
	staleSignIn = testNow.Add(-RecentSignIn - time.Second)
)

// user is a delegated caller who signed in 5 minutes ago.
func user(scopes ...string) Principal {
	return Principal{Kind: Delegated, ObjectID: "caller", TenantID: testTenant, Scopes: scopes, AuthTime: freshSignIn}
}

// admin is a delegated caller holding directory roles.
func admin(roles []string, scopes ...string) Principal {
	p := user(scopes...)
	p.DirectoryRoles = roles
	return p
}

// signedIn returns p with its sign-in at t.
func signedIn(p Principal, t time.Time) Principal {
	p.AuthTime = t
	return p
}

// app is an application caller with app roles.
func app(roles ...string) Principal {
	return Principal{Kind: Application, ObjectID: "sp", TenantID: testTenant, Roles: roles}
}

func roles(ids ...string) []string { return ids }

var (
	self       = Target{Self: true}
	me         = Target{Self: true, Me: true}
	other      = Target{}                           // another user who holds no role; also the tenant
	otherAdmin = Target{Roles: roles(GlobalReader)} // another user who holds an admin role
	tenant     = Target{}                           // policy and group actions
	meAdmin    = func(ids ...string) Target { return Target{Self: true, Me: true, Roles: ids} }
)

type authzCase struct {
	name string
	p    Principal
	a    Action
	t    Target
	want outcome
	msg  string // a substring the refusal must contain
}

// authzCases is the big table: actions × callers × targets.
func authzCases() []authzCase {
	var cs []authzCase
	add := func(name string, p Principal, a Action, t Target, want outcome, msg ...string) {
		c := authzCase{name: a.String() + "/" + name, p: p, a: a, t: t, want: want}
		if len(msg) > 0 {
			c.msg = msg[0]
		}
		cs = append(cs, c)
	}
	readAll := []string{qrReadAll, qrReadWriteAll, methodReadAll, methodReadWriteAll}
	writeAll := []string{qrReadWriteAll, methodReadWriteAll}

	// ReadMethod
	for _, s := range []string{qrRead, qrReadAll, qrReadWrite, qrReadWriteAll, methodRead, methodReadAll, methodReadWrite, methodReadWriteAll} {
		add("self "+s, user(s), ReadMethod, self, allow)
		add("me "+s, user(s), ReadMethod, me, allow)
	}
	add("self, scope in lower case", user("userauthmethod-qr.read"), ReadMethod, self, allow)
	add("self, stale sign-in", signedIn(user(qrRead), staleSignIn), ReadMethod, self, allow)
	add("self, no scope", user(), ReadMethod, self, deny, qrRead)
	add("self, wrong scope", user("User.Read", "Policy.Read.AuthenticationMethod"), ReadMethod, self, deny)
	add("other, self-only scope even as Global Administrator", admin(roles(GlobalAdministrator), qrRead, methodReadWrite), ReadMethod, other, deny, ".All permission")
	add("other, .All scope but no role", user(qrReadAll), ReadMethod, other, deny, "Global Reader")
	for _, r := range []string{GlobalReader, AuthenticationAdministrator, PrivilegedAuthenticationAdministrator, GlobalAdministrator} {
		for _, s := range readAll {
			add("other as "+roleName(r)+" with "+s, admin(roles(r), s), ReadMethod, other, allow)
		}
	}
	add("admin target as Authentication Administrator", admin(roles(AuthenticationAdministrator), qrReadAll), ReadMethod, otherAdmin, allow)
	for _, r := range []string{UserAdministrator, GroupsAdministrator, AuthenticationPolicyAdministrator} {
		add("other as "+roleName(r), admin(roles(r), qrReadAll), ReadMethod, other, deny)
	}
	for _, s := range readAll {
		add("app with "+s, app(s), ReadMethod, other, allow)
	}
	add("app with self-only role", app(qrRead, methodReadWrite), ReadMethod, other, deny, qrReadAll)
	add("app without roles", app(), ReadMethod, other, deny)
	add("app with a delegated-looking scope", Principal{Kind: Application, ObjectID: "sp", Scopes: []string{qrReadAll}}, ReadMethod, other, deny)
	add("app with directory roles only", Principal{Kind: Application, ObjectID: "sp", DirectoryRoles: roles(GlobalAdministrator)}, ReadMethod, other, deny)
	add("app on /me", app(qrReadAll), ReadMethod, me, deny, "/me request is only valid with delegated authentication flow.")

	// WriteMethod
	for _, s := range []string{qrReadWrite, qrReadWriteAll, methodReadWrite, methodReadWriteAll} {
		add("self fresh "+s, user(s), WriteMethod, self, allow)
		add("self stale "+s, signedIn(user(s), staleSignIn), WriteMethod, self, challenge)
	}
	add("me fresh", user(qrReadWrite), WriteMethod, me, allow)
	add("me stale", signedIn(user(qrReadWrite), staleSignIn), WriteMethod, me, challenge, "10 minutes")
	add("self no auth_time", signedIn(user(qrReadWrite), time.Time{}), WriteMethod, self, challenge)
	add("self signed in exactly 10 minutes ago", signedIn(user(qrReadWrite), testNow.Add(-RecentSignIn)), WriteMethod, self, allow)
	add("self auth_time a minute ahead (skew)", signedIn(user(qrReadWrite), testNow.Add(time.Minute)), WriteMethod, self, allow)
	add("self auth_time an hour ahead", signedIn(user(qrReadWrite), testNow.Add(time.Hour)), WriteMethod, self, challenge)
	add("self read scope only", user(qrRead, methodReadAll), WriteMethod, self, deny, qrReadWrite)
	add("self no scope, stale", signedIn(user(), staleSignIn), WriteMethod, self, deny)
	add("self Global Administrator stale", signedIn(admin(roles(GlobalAdministrator), qrReadWriteAll), staleSignIn), WriteMethod, me, challenge)
	add("other self-only scope as Global Administrator", admin(roles(GlobalAdministrator), qrReadWrite), WriteMethod, other, deny)
	add("other .All scope, no role", user(qrReadWriteAll), WriteMethod, other, deny)
	add("other read-only .All scope as Global Administrator", admin(roles(GlobalAdministrator), qrReadAll), WriteMethod, other, deny)
	for _, s := range writeAll {
		add("other as Privileged Authentication Administrator with "+s, admin(roles(PrivilegedAuthenticationAdministrator), s), WriteMethod, other, allow)
		add("other as Global Administrator with "+s, admin(roles(GlobalAdministrator), s), WriteMethod, other, allow)
		add("other as Authentication Administrator with "+s, admin(roles(AuthenticationAdministrator), s), WriteMethod, other, allow)
	}
	add("other, stale sign-in, as Global Administrator", signedIn(admin(roles(GlobalAdministrator), qrReadWriteAll), staleSignIn), WriteMethod, other, allow)
	add("admin target as Authentication Administrator", admin(roles(AuthenticationAdministrator), qrReadWriteAll), WriteMethod, otherAdmin, deny, "Privileged Authentication Administrator or Global Administrator")
	add("admin target as Privileged Authentication Administrator", admin(roles(PrivilegedAuthenticationAdministrator), qrReadWriteAll), WriteMethod, otherAdmin, allow)
	add("admin target as Global Administrator", admin(roles(GlobalAdministrator), qrReadWriteAll), WriteMethod, Target{Roles: roles(GlobalAdministrator)}, allow)
	add("admin target as Authentication and Privileged Authentication Administrator", admin(roles(AuthenticationAdministrator, PrivilegedAuthenticationAdministrator), qrReadWriteAll), WriteMethod, otherAdmin, allow)
	for _, r := range []string{GlobalReader, UserAdministrator, AuthenticationPolicyAdministrator, GroupsAdministrator} {
		add("other as "+roleName(r), admin(roles(r), qrReadWriteAll), WriteMethod, other, deny)
	}
	for _, s := range writeAll {
		add("app with "+s, app(s), WriteMethod, other, allow)
	}
	add("app with read roles", app(qrReadAll, methodReadAll), WriteMethod, other, deny)
	add("app without roles", app(), WriteMethod, other, deny)
	add("app on /me", app(writeAll...), WriteMethod, me, deny, "/me")

	// ResetPIN
	add("self as plain user, fresh", user(qrReadWrite, qrReadWriteAll), ResetPIN, self, deny, "cannot reset their own PIN")
	add("me as plain user, fresh", user(methodReadWriteAll), ResetPIN, me, deny, "updatePin")
	add("self as Global Administrator, fresh", admin(roles(GlobalAdministrator), qrReadWriteAll), ResetPIN, meAdmin(GlobalAdministrator), allow)
	add("self as Global Administrator with a self scope, fresh", admin(roles(GlobalAdministrator), qrReadWrite), ResetPIN, meAdmin(GlobalAdministrator), allow)
	add("self as Global Administrator, stale", signedIn(admin(roles(GlobalAdministrator), qrReadWriteAll), staleSignIn), ResetPIN, meAdmin(GlobalAdministrator), challenge)
	add("self as Privileged Authentication Administrator", admin(roles(PrivilegedAuthenticationAdministrator), methodReadWriteAll), ResetPIN, meAdmin(PrivilegedAuthenticationAdministrator), allow)
	add("self as Authentication Administrator", admin(roles(AuthenticationAdministrator), qrReadWriteAll), ResetPIN, meAdmin(AuthenticationAdministrator), deny, "administrator role")
	add("self as Global Reader", admin(roles(GlobalReader), qrReadWriteAll), ResetPIN, meAdmin(GlobalReader), deny)
	add("self without scope as Global Administrator", admin(roles(GlobalAdministrator)), ResetPIN, meAdmin(GlobalAdministrator), deny)
	add("other as Authentication Administrator", admin(roles(AuthenticationAdministrator), qrReadWriteAll), ResetPIN, other, allow)
	add("admin target as Authentication Administrator", admin(roles(AuthenticationAdministrator), qrReadWriteAll), ResetPIN, otherAdmin, deny)
	add("admin target as Privileged Authentication Administrator", admin(roles(PrivilegedAuthenticationAdministrator), methodReadWriteAll), ResetPIN, otherAdmin, allow)
	add("other as Global Administrator, stale", signedIn(admin(roles(GlobalAdministrator), qrReadWriteAll), staleSignIn), ResetPIN, other, allow)
	add("other without role", user(qrReadWriteAll), ResetPIN, other, deny)
	add("other with self scope as Global Administrator", admin(roles(GlobalAdministrator), qrReadWrite), ResetPIN, other, deny)
	add("app with "+qrReadWriteAll, app(qrReadWriteAll), ResetPIN, other, allow)
	add("app with "+methodReadWriteAll, app(methodReadWriteAll), ResetPIN, otherAdmin, allow)
	add("app with read role", app(qrReadAll), ResetPIN, other, deny)
	add("app on /me", app(qrReadWriteAll), ResetPIN, me, deny, "/me")

	// UpdatePIN
	for _, s := range []string{accessAsUser, qrReadWrite, qrReadWriteAll, methodReadWrite, methodReadWriteAll} {
		add("self "+s, user(s), UpdatePIN, self, allow)
		add("me stale "+s, signedIn(user(s), staleSignIn), UpdatePIN, me, allow)
	}
	add("me without sign-in time", signedIn(user(accessAsUser), time.Time{}), UpdatePIN, me, allow)
	add("me, scope in lower case", user("directory.accessasuser.all"), UpdatePIN, me, allow)
	add("me read scope", user(qrRead, methodReadAll), UpdatePIN, me, deny)
	add("me no scope", user(), UpdatePIN, me, deny)
	add("other as Global Administrator", admin(roles(GlobalAdministrator), accessAsUser, qrReadWriteAll), UpdatePIN, other, deny, "signed-in user")
	add("other as Privileged Authentication Administrator", admin(roles(PrivilegedAuthenticationAdministrator), qrReadWriteAll), UpdatePIN, otherAdmin, deny)
	add("app", app(qrReadWriteAll, methodReadWriteAll), UpdatePIN, other, deny, "delegated")
	add("app on /me", app(qrReadWriteAll), UpdatePIN, me, deny, "/me")

	// ReadPolicy
	for _, r := range []string{GlobalReader, AuthenticationPolicyAdministrator, GlobalAdministrator} {
		add("read scope as "+roleName(r), admin(roles(r), policyRead), ReadPolicy, tenant, allow)
		add("write scope as "+roleName(r), admin(roles(r), policyReadWrite), ReadPolicy, tenant, allow)
	}
	add("as Authentication Administrator", admin(roles(AuthenticationAdministrator), policyRead), ReadPolicy, tenant, deny, "Authentication Policy Administrator")
	add("no role", user(policyReadWrite), ReadPolicy, tenant, deny)
	add("no scope as Global Administrator", admin(roles(GlobalAdministrator), qrReadWriteAll), ReadPolicy, tenant, deny, policyRead)
	add("Policy.Read.All is not enough", admin(roles(GlobalAdministrator), "Policy.Read.All"), ReadPolicy, tenant, deny)
	add("app with read role", app(policyRead), ReadPolicy, tenant, allow)
	add("app with write role", app(policyReadWrite), ReadPolicy, tenant, allow)
	add("app without roles", app(), ReadPolicy, tenant, deny)

	// WritePolicy
	add("as Authentication Policy Administrator", admin(roles(AuthenticationPolicyAdministrator), policyReadWrite), WritePolicy, tenant, allow)
	add("as Global Administrator", admin(roles(GlobalAdministrator), policyReadWrite), WritePolicy, tenant, allow)
	add("stale, as Global Administrator", signedIn(admin(roles(GlobalAdministrator), policyReadWrite), staleSignIn), WritePolicy, tenant, allow)
	add("as Global Reader", admin(roles(GlobalReader), policyReadWrite), WritePolicy, tenant, deny)
	add("read scope as Global Administrator", admin(roles(GlobalAdministrator), policyRead), WritePolicy, tenant, deny)
	add("app with write role", app(policyReadWrite), WritePolicy, tenant, allow)
	add("app with read role", app(policyRead), WritePolicy, tenant, deny)

	// ReadUsers
	add("self User.Read", user(userRead), ReadUsers, self, allow)
	add("me User.Read", user(userRead), ReadUsers, me, allow)
	add("other User.Read", user(userRead), ReadUsers, other, deny, ".All permission")
	for _, s := range []string{userReadBasicAll, userReadAll, userReadWriteAll, dirReadAll, dirReadWriteAll} {
		add("other "+s, user(s), ReadUsers, other, allow)
		add("self "+s, user(s), ReadUsers, self, allow)
	}
	add("no scope", user(), ReadUsers, other, deny)
	add("group scope", user(groupReadAll), ReadUsers, other, deny)
	for _, s := range []string{userReadAll, userReadWriteAll, dirReadAll, dirReadWriteAll} {
		add("app with "+s, app(s), ReadUsers, other, allow)
	}
	add("app with User.ReadBasic.All", app(userReadBasicAll), ReadUsers, other, deny)
	add("app on /me", app(userReadAll), ReadUsers, me, deny, "/me")

	// WriteUsers
	for _, s := range []string{userReadWriteAll, dirReadWriteAll} {
		add("other as User Administrator with "+s, admin(roles(UserAdministrator), s), WriteUsers, other, allow)
		add("other as Global Administrator with "+s, admin(roles(GlobalAdministrator), s), WriteUsers, other, allow)
	}
	add("admin target as User Administrator", admin(roles(UserAdministrator), userReadWriteAll), WriteUsers, otherAdmin, deny, "Global Administrator")
	add("admin target as User Administrator and Global Administrator", admin(roles(UserAdministrator, GlobalAdministrator), userReadWriteAll), WriteUsers, otherAdmin, allow)
	add("admin target as Global Administrator", admin(roles(GlobalAdministrator), userReadWriteAll), WriteUsers, otherAdmin, allow)
	add("other without role", user(userReadWriteAll), WriteUsers, other, deny, "User Administrator")
	add("other as Groups Administrator", admin(roles(GroupsAdministrator), userReadWriteAll), WriteUsers, other, deny)
	add("read scope as Global Administrator", admin(roles(GlobalAdministrator), userReadAll), WriteUsers, other, deny)
	add("self as plain user", user(userReadWriteAll), WriteUsers, self, deny)
	add("self as User Administrator", admin(roles(UserAdministrator), userReadWriteAll), WriteUsers, meAdmin(UserAdministrator), deny)
	add("self as Global Administrator", admin(roles(GlobalAdministrator), userReadWriteAll), WriteUsers, meAdmin(GlobalAdministrator), allow)
	add("app with User.ReadWrite.All", app(userReadWriteAll), WriteUsers, otherAdmin, allow)
	add("app with Directory.ReadWrite.All", app(dirReadWriteAll), WriteUsers, other, allow)
	add("app with User.Read.All", app(userReadAll), WriteUsers, other, deny)

	// ReadGroups
	for _, s := range []string{groupReadAll, groupReadWriteAll, memberReadAll, memberReadWriteAll, dirReadAll, dirReadWriteAll} {
		add("delegated "+s, user(s), ReadGroups, tenant, allow)
		add("app with "+s, app(s), ReadGroups, tenant, allow)
	}
	add("user scope", user(userReadAll), ReadGroups, tenant, deny)
	add("app with user role", app(userReadAll), ReadGroups, tenant, deny)

	// WriteGroups and WriteGroupMembers
	for _, r := range []string{GroupsAdministrator, UserAdministrator, GlobalAdministrator} {
		add("as "+roleName(r), admin(roles(r), groupReadWriteAll), WriteGroups, tenant, allow)
		add("as "+roleName(r), admin(roles(r), memberReadWriteAll), WriteGroupMembers, tenant, allow)
	}
	add("Directory.ReadWrite.All as Groups Administrator", admin(roles(GroupsAdministrator), dirReadWriteAll), WriteGroups, tenant, allow)
	add("member scope as Groups Administrator", admin(roles(GroupsAdministrator), memberReadWriteAll), WriteGroups, tenant, deny, groupReadWriteAll)
	add("no role", user(groupReadWriteAll), WriteGroups, tenant, deny, "Groups Administrator")
	add("as Global Reader", admin(roles(GlobalReader), groupReadWriteAll), WriteGroups, tenant, deny)
	add("Group.ReadWrite.All as User Administrator", admin(roles(UserAdministrator), groupReadWriteAll), WriteGroupMembers, tenant, allow)
	add("Directory.ReadWrite.All as Global Administrator", admin(roles(GlobalAdministrator), dirReadWriteAll), WriteGroupMembers, tenant, allow)
	add("member read scope as Global Administrator", admin(roles(GlobalAdministrator), memberReadAll), WriteGroupMembers, tenant, deny)
	add("no role", user(memberReadWriteAll), WriteGroupMembers, tenant, deny)
	add("app with Group.ReadWrite.All", app(groupReadWriteAll), WriteGroups, tenant, allow)
	add("app with GroupMember.ReadWrite.All", app(memberReadWriteAll), WriteGroups, tenant, deny)
	add("app with GroupMember.ReadWrite.All", app(memberReadWriteAll), WriteGroupMembers, tenant, allow)
	add("app with Group.Read.All", app(groupReadAll), WriteGroupMembers, tenant, deny)

	// ReadRoles and WriteRoles
	for _, s := range []string{roleRead, roleReadWrite, dirReadAll, dirReadWriteAll} {
		add("app with "+s, app(s), ReadRoles, tenant, allow)
		add("as Global Reader with "+s, admin(roles(GlobalReader), s), ReadRoles, tenant, allow)
	}
	add("as Privileged Role Administrator", admin(roles(PrivilegedRoleAdministrator), roleRead), ReadRoles, tenant, allow)
	add("as Global Administrator", admin(roles(GlobalAdministrator), roleRead), ReadRoles, tenant, allow)
	add("no role", user(roleReadWrite), ReadRoles, tenant, deny, "Privileged Role Administrator")
	add("as User Administrator", admin(roles(UserAdministrator), dirReadAll), ReadRoles, tenant, deny)
	add("user scope as Global Administrator", admin(roles(GlobalAdministrator), userReadAll), ReadRoles, tenant, deny, roleRead)
	add("app with User.Read.All", app(userReadAll), ReadRoles, tenant, deny)
	for _, r := range []string{PrivilegedRoleAdministrator, GlobalAdministrator} {
		add("as "+roleName(r), admin(roles(r), roleReadWrite), WriteRoles, tenant, allow)
	}
	add("app with RoleManagement.ReadWrite.Directory", app(roleReadWrite), WriteRoles, tenant, allow)
	add("as Global Reader", admin(roles(GlobalReader), roleReadWrite), WriteRoles, tenant, deny, "Privileged Role Administrator")
	add("as Privileged Authentication Administrator", admin(roles(PrivilegedAuthenticationAdministrator), roleReadWrite), WriteRoles, tenant, deny)
	add("read scope as Global Administrator", admin(roles(GlobalAdministrator), roleRead), WriteRoles, tenant, deny, roleReadWrite)
	add("Directory.ReadWrite.All as Global Administrator", admin(roles(GlobalAdministrator), dirReadWriteAll), WriteRoles, tenant, deny)
	add("app with Directory.ReadWrite.All", app(dirReadWriteAll), WriteRoles, tenant, deny)
	add("app with RoleManagement.Read.Directory", app(roleRead), WriteRoles, tenant, deny)

	// UnlockPIN: ResetPIN's rule
	add("self as plain user, fresh", user(qrReadWriteAll), UnlockPIN, self, deny, "cannot unlock their own PIN")
	add("self as Global Administrator, fresh", admin(roles(GlobalAdministrator), qrReadWriteAll), UnlockPIN, meAdmin(GlobalAdministrator), allow)
	add("self as Global Administrator, stale", signedIn(admin(roles(GlobalAdministrator), qrReadWriteAll), staleSignIn), UnlockPIN, meAdmin(GlobalAdministrator), challenge)
	add("other as Authentication Administrator", admin(roles(AuthenticationAdministrator), qrReadWriteAll), UnlockPIN, other, allow)
	add("admin target as Authentication Administrator", admin(roles(AuthenticationAdministrator), qrReadWriteAll), UnlockPIN, otherAdmin, deny, "Privileged Authentication Administrator")
	add("admin target as Privileged Authentication Administrator", admin(roles(PrivilegedAuthenticationAdministrator), qrReadWriteAll), UnlockPIN, otherAdmin, allow)
	add("other without role", user(qrReadWriteAll), UnlockPIN, other, deny)
	add("other with read scope as Global Administrator", admin(roles(GlobalAdministrator), qrReadAll), UnlockPIN, other, deny)
	add("app with "+qrReadWriteAll, app(qrReadWriteAll), UnlockPIN, other, allow)
	add("app with read role", app(qrReadAll), UnlockPIN, other, deny)
	add("app on /me", app(qrReadWriteAll), UnlockPIN, me, deny, "/me")

	// Scoped roles: an administrator whose role is scoped to unit "north"
	// acts on direct members of north only; never on the tenant.
	scoped := func(role string, scopes ...string) Principal {
		p := user(scopes...)
		p.ScopedRoles = []ScopedRole{{RoleID: role, UnitID: "north"}}
		return p
	}
	member := Target{Units: []string{"south", "north"}}
	memberAdmin := Target{Units: []string{"north"}, Roles: roles(GlobalReader)}
	nonMember := Target{Units: []string{"south"}}
	noUnit := Target{}
	authAdmin, privAuthAdmin := AuthenticationAdministrator, PrivilegedAuthenticationAdministrator
	for _, a := range []Action{ReadMethod, WriteMethod, ResetPIN, UnlockPIN} {
		add("scoped Authentication Administrator on a member", scoped(authAdmin, qrReadWriteAll, qrReadAll), a, member, allow)
		add("scoped Authentication Administrator on a non-member", scoped(authAdmin, qrReadWriteAll, qrReadAll), a, nonMember, deny, "only over administrative units")
		add("scoped Authentication Administrator on a user in no unit", scoped(authAdmin, qrReadWriteAll, qrReadAll), a, noUnit, deny, "only over administrative units")
		add("scoped Privileged Authentication Administrator on a non-member", scoped(privAuthAdmin, qrReadWriteAll, qrReadAll), a, nonMember, deny)
		add("scoped Authentication Administrator on a member, no .All scope", scoped(authAdmin, qrReadWrite, qrRead), a, member, deny, ".All permission")
		add("scoped role on another unit id's case", Principal{Kind: Delegated, ObjectID: "caller", Scopes: []string{qrReadWriteAll, qrReadAll}, AuthTime: freshSignIn,
			ScopedRoles: []ScopedRole{{RoleID: authAdmin, UnitID: "NORTH"}}}, a, member, allow)
	}
	// Reads are D14's: any reader role over the target, admin or not.
	add("scoped Authentication Administrator reads an admin member's method", scoped(authAdmin, qrReadAll), ReadMethod, memberAdmin, allow)
	add("scoped Privileged Authentication Administrator reads an admin member's method", scoped(privAuthAdmin, qrReadAll), ReadMethod, memberAdmin, allow)
	// A role scoped to a unit never changes the method of a member who
	// holds a directory role, whichever: not even a scoped Privileged
	// Authentication Administrator on a Global Administrator.
	globalAdminMember := Target{Units: []string{"north"}, Roles: roles(GlobalAdministrator)}
	for _, a := range []Action{WriteMethod, ResetPIN, UnlockPIN} {
		add("scoped Authentication Administrator on an admin member", scoped(authAdmin, qrReadWriteAll), a, memberAdmin, deny, "holds an administrator role")
		add("scoped Privileged Authentication Administrator on an admin member", scoped(privAuthAdmin, qrReadWriteAll), a, memberAdmin, deny, "over the whole tenant")
		add("scoped Privileged Authentication Administrator on a Global Administrator member", scoped(privAuthAdmin, qrReadWriteAll), a, globalAdminMember, deny, "holds an administrator role")
		add("scoped Global Administrator on an admin member", scoped(GlobalAdministrator, qrReadWriteAll), a, globalAdminMember, deny, "holds an administrator role")
		add("scoped Privileged Authentication Administrator on a member", scoped(privAuthAdmin, qrReadWriteAll), a, member, allow)
	}
	add("scoped User Administrator on an admin member", scoped(UserAdministrator, userReadWriteAll), WriteUsers, memberAdmin, deny, "holds an administrator role")
	add("scoped Authentication Policy Administrator on the policy", scoped(AuthenticationPolicyAdministrator, policyReadWrite), WritePolicy, tenant, deny)
	add("scoped Authentication Administrator on the policy", scoped(authAdmin, policyRead), ReadPolicy, tenant, deny)
	add("scoped Global Administrator on the policy", scoped(GlobalAdministrator, policyReadWrite), WritePolicy, tenant, deny)
	add("scoped Privileged Role Administrator on role assignments", scoped(PrivilegedRoleAdministrator, roleReadWrite), WriteRoles, tenant, deny)
	add("scoped User Administrator on a member", scoped(UserAdministrator, userReadWriteAll), WriteUsers, member, allow)
	add("scoped User Administrator on a non-member", scoped(UserAdministrator, userReadWriteAll), WriteUsers, nonMember, deny)
	add("scoped and tenant-wide roles together", func() Principal {
		p := scoped(authAdmin, qrReadWriteAll)
		p.DirectoryRoles = roles(privAuthAdmin)
		return p
	}(), ResetPIN, Target{Roles: roles(GlobalReader)}, allow)

	// ReadUnits and WriteUnits
	for _, sc := range []string{unitReadAll, unitReadWriteAll, dirReadAll, dirReadWriteAll} {
		add("plain user with "+sc, user(sc), ReadUnits, tenant, allow)
		add("app with "+sc, app(sc), ReadUnits, tenant, allow)
	}
	add("plain user without scope", user(userReadAll, groupReadAll), ReadUnits, tenant, deny, unitReadAll)
	// A hidden membership: Graph's Member.Read.Hidden as well.
	add("user with a unit read scope and Member.Read.Hidden", user(unitReadAll, memberReadHidden), ReadHiddenUnitMembers, tenant, allow)
	add("user without Member.Read.Hidden", user(unitReadAll), ReadHiddenUnitMembers, tenant, deny, memberReadHidden)
	add("user with Member.Read.Hidden alone", user(memberReadHidden), ReadHiddenUnitMembers, tenant, deny, unitReadAll)
	add("app with a unit read role and Member.Read.Hidden", app(dirReadAll, memberReadHidden), ReadHiddenUnitMembers, tenant, allow)
	add("app without Member.Read.Hidden", app(unitReadWriteAll), ReadHiddenUnitMembers, tenant, deny, memberReadHidden)
	add("app without role", app(userReadAll), ReadUnits, tenant, deny)
	add("Privileged Role Administrator", admin(roles(PrivilegedRoleAdministrator), unitReadWriteAll), WriteUnits, tenant, allow)
	add("Global Administrator", admin(roles(GlobalAdministrator), unitReadWriteAll), WriteUnits, tenant, allow)
	add("Global Administrator with Directory.AccessAsUser.All", admin(roles(GlobalAdministrator), accessAsUser), WriteUnits, tenant, allow)
	add("Global Administrator with a read scope", admin(roles(GlobalAdministrator), unitReadAll), WriteUnits, tenant, deny, unitReadWriteAll)
	add("Global Administrator with Directory.ReadWrite.All", admin(roles(GlobalAdministrator), dirReadWriteAll), WriteUnits, tenant, deny)
	add("User Administrator", admin(roles(UserAdministrator), unitReadWriteAll), WriteUnits, tenant, deny, "Privileged Role Administrator")
	add("plain user", user(unitReadWriteAll), WriteUnits, tenant, deny)
	add("app with "+unitReadWriteAll, app(unitReadWriteAll), WriteUnits, tenant, allow)
	add("app with "+unitReadAll, app(unitReadAll), WriteUnits, tenant, deny)

	// Nonsense
	add("unknown action", admin(roles(GlobalAdministrator), qrReadWriteAll), Action(0), other, deny)
	add("unknown action 99", app(qrReadWriteAll), Action(99), other, deny)
	add("unknown kind", Principal{ObjectID: "x", Scopes: []string{qrReadWriteAll}, Roles: []string{qrReadWriteAll},
		DirectoryRoles: roles(GlobalAdministrator), AuthTime: freshSignIn}, ReadMethod, other, deny)
	return cs
}

func TestAuthorize(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range authzCases() {
		if seen[tc.name] {
			t.Errorf("duplicate case name %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			err := Authorize(tc.p, tc.a, tc.t, testNow)
			if tc.want == allow {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("allowed, want %v", tc.want)
			}
			e, ok := apperr.As(err)
			if !ok {
				t.Fatalf("error %T, want *apperr.Error", err)
			}
			if e.Kind != apperr.Forbidden || e.Code != "accessDenied" || e.Message == "" {
				t.Errorf("error = kind %d code %q message %q, want Forbidden accessDenied with a message", e.Kind, e.Code, e.Message)
			}
			if tc.msg != "" && !strings.Contains(e.Message, tc.msg) {
				t.Errorf("message %q does not mention %q", e.Message, tc.msg)
			}
			switch tc.want {
			case challenge:
				if e.Challenge != recentSignInChallenge {
					t.Errorf("challenge %q, want %q", e.Challenge, recentSignInChallenge)
				}
			case deny:
				if e.Challenge != "" {
					t.Errorf("challenge %q on a plain refusal (%s)", e.Challenge, e.Message)
				}
			}
		})
	}
}

// TestAuthorizeMeImpliesSelf checks that Me implies Self: a caller
// who addresses /me without the Self flag still gets the self rules.
func TestAuthorizeMeImpliesSelf(t *testing.T) {
	if err := Authorize(user(qrRead), ReadMethod, Target{Me: true}, testNow); err != nil {
		t.Errorf("/me read with a self scope refused: %v", err)
	}
	err := Authorize(signedIn(user(qrReadWrite), staleSignIn), WriteMethod, Target{Me: true}, testNow)
	if e, ok := apperr.As(err); !ok || e.Challenge == "" {
		t.Errorf("stale /me write: %v, want the claims challenge", err)
	}
}

func TestRecentSignInChallenge(t *testing.T) {
	const prefix = `Bearer realm="", error="insufficient_claims", claims="`
	if !strings.HasPrefix(recentSignInChallenge, prefix) || !strings.HasSuffix(recentSignInChallenge, `"`) {
		t.Fatalf("challenge %q not of the form %s...\"", recentSignInChallenge, prefix)
	}
	b64 := strings.TrimSuffix(strings.TrimPrefix(recentSignInChallenge, prefix), `"`)
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	var got any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"access_token": map[string]any{"amr": map[string]any{
		"essential": true, "values": []any{"ngcmfa"}}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("claims %s, want %v", raw, want)
	}
}

func TestEveryActionHasARule(t *testing.T) {
	for a := ReadMethod; int(a) <= len(rules); a++ {
		r, ok := rules[a]
		if !ok {
			t.Errorf("action %d has no rule", a)
			continue
		}
		if r.what == "" || strings.HasPrefix(a.String(), "Action(") {
			t.Errorf("action %d has no name", a)
		}
		if r.others == nil && r.self == nil {
			t.Errorf("%v: no delegated scope allows it", a)
		}
	}
	if s := Action(0).String(); s != "Action(0)" {
		t.Errorf("Action(0).String() = %q", s)
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{Delegated: "delegated", Application: "application", 0: "Kind(0)"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(k), got, want)
		}
	}
}

// TestVerifiedTokenAuthorizes ties the two halves: a minted token, verified,
// is authorized the same as the principal it was minted for.
func TestVerifiedTokenAuthorizes(t *testing.T) {
	tokens := newTokens()
	for _, p := range []Principal{
		admin(roles(AuthenticationAdministrator), "UserAuthMethod-QR.ReadWrite.All"),
		app("UserAuthMethod-QR.ReadWrite.All"),
	} {
		tok, err := tokens.Mint(p, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		got, err := tokens.Verify(tok)
		if err != nil {
			t.Fatal(err)
		}
		if err := Authorize(got, WriteMethod, other, testNow); err != nil {
			t.Errorf("%v token refused: %v", p.Kind, err)
		}
		if err := Authorize(got, WriteMethod, otherAdmin, testNow); (err == nil) != (p.Kind == Application) {
			t.Errorf("%v token on an admin target: %v", p.Kind, err)
		}
	}
}

// TestNeedsTargetRoles checks that whenever NeedsTargetRoles says the
// target's roles cannot matter, Authorize decides the same with and without
// them, for every action and a spread of callers; and that it says they
// matter where they do.
func TestNeedsTargetRoles(t *testing.T) {
	var scopes, roles []string
	for _, r := range rules {
		scopes = append(append(append(append(scopes, r.self...), r.others...), r.app...), r.also...)
		roles = append(append(roles, r.roles...), r.nonAdminRoles...)
	}
	var callers []Principal
	for _, rs := range [][]string{nil, {AuthenticationAdministrator}, {UserAdministrator}, {GlobalAdministrator}, roles} {
		callers = append(callers, admin(rs, scopes...))
	}
	for _, rs := range [][]string{{AuthenticationAdministrator}, {UserAdministrator}, {PrivilegedAuthenticationAdministrator}, {GlobalAdministrator}, roles} {
		scoped := admin(nil, scopes...) // the roles held over a unit only
		for _, r := range rs {
			scoped.ScopedRoles = append(scoped.ScopedRoles, ScopedRole{RoleID: r, UnitID: "unit-1"})
		}
		callers = append(callers, scoped)
	}
	mixed := admin([]string{AuthenticationAdministrator}, scopes...) // tenant-wide and scoped roles together
	mixed.ScopedRoles = []ScopedRole{{RoleID: PrivilegedAuthenticationAdministrator, UnitID: "unit-1"}}
	callers = append(callers, mixed)
	callers = append(callers, user(), Principal{Kind: Application, ObjectID: "sp", TenantID: testTenant, Roles: scopes})
	differs := 0
	for a := ReadMethod; int(a) <= len(rules); a++ {
		for _, p := range callers {
			for _, tg := range []Target{{}, {Self: true}, {Self: true, Me: true}, {Units: []string{"unit-1"}}, {Self: true, Units: []string{"unit-1"}}} {
				plain := Authorize(p, a, tg, testNow)
				withRoles := tg
				withRoles.Roles = []string{GlobalAdministrator}
				held := Authorize(p, a, withRoles, testNow)
				same := reflect.DeepEqual(plain, held)
				if !same {
					differs++
				}
				if !same && !NeedsTargetRoles(p, a, tg.Self || tg.Me) {
					t.Errorf("%v by %v %v on %+v: the target's roles changed the answer (%v, %v) but NeedsTargetRoles is false",
						a, p.Kind, p.DirectoryRoles, tg, plain, held)
				}
			}
		}
	}
	if differs == 0 {
		t.Error("no case where the target's roles matter: the test checks nothing")
	}
	if NeedsTargetRoles(Principal{Kind: Application, Roles: scopes}, WriteMethod, false) {
		t.Error("an application caller never needs the target's roles")
	}
	scopedPriv := user(scopes...)
	scopedPriv.ScopedRoles = []ScopedRole{{RoleID: PrivilegedAuthenticationAdministrator, UnitID: "unit-1"}}
	if !NeedsTargetRoles(scopedPriv, ResetPIN, false) {
		t.Error("a scoped Privileged Authentication Administrator resets only targets holding no role: their roles matter")
	}
	if NeedsTargetRoles(admin([]string{AuthenticationAdministrator}, scopes...), ReadMethod, false) {
		t.Error("ReadMethod has no non-administrator role rule: the target's roles do not matter")
	}
}
