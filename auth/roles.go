// Package auth holds qrpin's signing keys, issues and verifies its bearer
// tokens (JWT access tokens shaped like Entra's), and answers the one
// question every endpoint asks: may this caller do this to that user?
//
// The permission rules (spec Part A, D13 to D15) live in a single table in
// authorize.go; nothing else in qrpin decides who may do what.
package auth

import "strings"

// Role template ids of the Microsoft Entra built-in roles qrpin uses. They
// are Entra's own ids (the "Template ID" column of Entra's built-in roles
// reference), so tokens and role assignments carry the same values as in
// Entra, in the token's wids claim.
const (
	GlobalAdministrator                   = "62e90394-69f5-4237-9190-012177145e10"
	GlobalReader                          = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
	AuthenticationAdministrator           = "c4e39bd9-1100-46d3-8c65-fb160da0071f"
	PrivilegedAuthenticationAdministrator = "7be44c8a-adaf-4e2a-84d6-ab2649e08a13"
	AuthenticationPolicyAdministrator     = "0526716b-113d-4c15-b2c8-68e3c22b9f80"
	UserAdministrator                     = "fe930be7-5e62-47db-91af-98c3a49a38b1"
	GroupsAdministrator                   = "fdd7a751-b60b-444a-984c-02652fe8fa1c"
	PrivilegedRoleAdministrator           = "e8611ab8-c189-46e8-94e1-60213ab1f814"
	ApplicationAdministrator              = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
	CloudApplicationAdministrator         = "158c047a-c907-4556-b7ef-446551a6b5f7"
	ReportsReader                         = "4a5d8f65-41da-4de4-8968-e035b65339cf"
	SecurityReader                        = "5d6b6bb7-de71-4623-b4af-96380a352509"
	SecurityAdministrator                 = "194ae4cb-b126-40b2-bd5b-6091b380977d"
)

// Role describes a built-in directory role: its template id, its display
// name as Entra spells it, and what it allows in qrpin.
type Role struct {
	ID          string
	DisplayName string
	Description string
}

// Roles lists the built-in roles qrpin knows, in a stable order.
var Roles = []Role{
	{GlobalAdministrator, "Global Administrator",
		"Can manage every aspect of the directory and of qrpin."},
	{GlobalReader, "Global Reader",
		"Can read everything a Global Administrator can, but change nothing."},
	{AuthenticationAdministrator, "Authentication Administrator",
		"Can view, set and reset the authentication methods of users who hold no administrator role."},
	{PrivilegedAuthenticationAdministrator, "Privileged Authentication Administrator",
		"Can view, set and reset the authentication methods of any user, administrators included."},
	{AuthenticationPolicyAdministrator, "Authentication Policy Administrator",
		"Can read and change the tenant's authentication methods policy, including the QR code + PIN policy."},
	{UserAdministrator, "User Administrator",
		"Can create and manage users and groups, except users who hold an administrator role."},
	{GroupsAdministrator, "Groups Administrator",
		"Can create and manage groups and their members."},
	{PrivilegedRoleAdministrator, "Privileged Role Administrator",
		"Can manage role assignments: give any user any directory role, and take it away."},
	{ApplicationAdministrator, "Application Administrator",
		"Can create and manage applications and their client secrets; granting them permissions needs a Privileged Role Administrator."},
	{CloudApplicationAdministrator, "Cloud Application Administrator",
		"Can create and manage applications and their client secrets, as an Application Administrator."},
	{ReportsReader, "Reports Reader",
		"Can read sign-in and audit logs."},
	{SecurityReader, "Security Reader",
		"Can read security information and the sign-in and audit logs."},
	{SecurityAdministrator, "Security Administrator",
		"Can read and manage security settings, and read the sign-in and audit logs."},
}

// RoleByName finds a built-in role by its display name (case-insensitive,
// surrounding spaces ignored) or by its template id.
func RoleByName(s string) (Role, bool) {
	s = strings.TrimSpace(s)
	for _, r := range Roles {
		if strings.EqualFold(r.DisplayName, s) || strings.EqualFold(r.ID, s) {
			return r, true
		}
	}
	return Role{}, false
}

// roleName returns the display name of a role template id, or the id itself
// when qrpin does not know the role.
func roleName(id string) string {
	if r, ok := RoleByName(id); ok {
		return r.DisplayName
	}
	return id
}
