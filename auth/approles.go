package auth

import (
	"strings"

	"github.com/google/uuid"
)

// GraphAppID is Microsoft Graph's application (client) id, the appId of its
// service principal; "00000003-0000-0000-c000-000000000000/.default" is how
// clients ask for a token for it.
const GraphAppID = "00000003-0000-0000-c000-000000000000"

// AppRole is an application permission Microsoft Graph defines, as its
// service principal lists it in appRoles: granting one to an application
// (an app role assignment) puts Value in the roles claim of its tokens.
type AppRole struct {
	ID          string // Microsoft's app role id for the permission
	Value       string // the permission's name, as in the roles claim
	DisplayName string
	Description string
}

// AppRoles are the application permissions of Microsoft Graph that qrpin
// knows, with Microsoft's own app role ids, so scripts that grant them by
// id (the way Graph's appRoleAssignments do) work unchanged. Sources: the
// permission id table of Microsoft Graph's documentation
// (microsoft-graph-docs-contrib, concepts/includes/permissions-ids.md) and,
// for the permissions newer than it, Microsoft Graph's service principal as
// graphpermissions.merill.net publishes it.
//
// UserAuthMethod-QR.Read.All's application id is published nowhere we could
// check; its ID here is qrpin's own (a name-based UUID, see localRoleID), and
// Microsoft's will replace it once confirmed.
var AppRoles = []AppRole{
	{"134fd756-38ce-4afd-ba33-e9623dbe66c2", "AdministrativeUnit.Read.All", "Read all administrative units",
		"Allows the app to read administrative units and administrative unit membership without a signed-in user."},
	{"5eb59dd3-1da2-4329-8733-9dabdc435916", "AdministrativeUnit.ReadWrite.All", "Read and write all administrative units",
		"Allows the app to create, read, update and delete administrative units and manage administrative unit membership without a signed-in user."},
	{"1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9", "Application.ReadWrite.All", "Read and write all applications",
		"Allows the app to create, read, update and delete applications and service principals, and their secrets, without a signed-in user."},
	{"9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30", "Application.Read.All", "Read all applications",
		"Allows the app to read all applications and service principals without a signed-in user."},
	{"06b708a9-e830-4db3-a914-8e69da51d44f", "AppRoleAssignment.ReadWrite.All", "Manage app permission grants and app role assignments",
		"Allows the app to grant and revoke application permissions (including Microsoft Graph's) without a signed-in user."},
	{"b0afded3-3588-46d8-8b3d-9842eff778da", "AuditLog.Read.All", "Read all audit log data",
		"Allows the app to read and query your audit log activities, without a signed-in user."},
	{"7ab1d382-f21e-4acd-a863-ba3e13f7da61", "Directory.Read.All", "Read directory data",
		"Allows the app to read data in your organization's directory, such as users, groups and apps, without a signed-in user."},
	{"19dbc75e-c2e2-444c-a770-ec69d8559fc7", "Directory.ReadWrite.All", "Read and write directory data",
		"Allows the app to read and write data in your organization's directory, such as users and groups, without a signed-in user. Does not allow it to manage applications or their secrets."},
	{"5b567255-7703-4780-807c-7be8301ae99b", "Group.Read.All", "Read all groups",
		"Allows the app to read groups and their members without a signed-in user."},
	{"62a82d76-70ea-41e2-9197-370581804d09", "Group.ReadWrite.All", "Read and write all groups",
		"Allows the app to create groups, read and change them and their members, and delete them, without a signed-in user."},
	{"98830695-27a2-44f7-8c18-0c3ebc9698f6", "GroupMember.Read.All", "Read all group memberships",
		"Allows the app to read the memberships of all groups without a signed-in user."},
	{"dbaae8cf-10b5-4b86-a4a1-f871c94c6695", "GroupMember.ReadWrite.All", "Read and write all group memberships",
		"Allows the app to add and remove members of all groups without a signed-in user."},
	{"658aa5d8-239f-45c4-aa12-864f4fc7e490", "Member.Read.Hidden", "Read all hidden memberships",
		"Allows the app to read the memberships of hidden groups and administrative units without a signed-in user."},
	{"8e3bc81b-d2f3-4b7b-838c-32c88218d2f0", "Policy.Read.AuthenticationMethod", "Read all authentication method policies",
		"Allows the app to read all authentication method policies for the tenant, without a signed-in user."},
	{"29c18626-4985-4dcd-85c0-193eef327366", "Policy.ReadWrite.AuthenticationMethod", "Read and write all authentication method policies",
		"Allows the app to read and write all authentication method policies for the tenant, without a signed-in user."},
	{"483bed4a-2ad3-4361-a73b-c83ccdbdc53c", "RoleManagement.Read.Directory", "Read all directory RBAC settings",
		"Allows the app to read the role-based access control settings for your directory, without a signed-in user."},
	{"9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8", "RoleManagement.ReadWrite.Directory", "Read and write all directory RBAC settings",
		"Allows the app to read and manage directory role assignments, without a signed-in user."},
	{"df021288-bdef-4463-88db-98f22de89214", "User.Read.All", "Read all users' full profiles",
		"Allows the app to read the full set of profile properties of users in your organization, without a signed-in user."},
	{"741f803b-c850-494e-b5df-cde7c675a1ca", "User.ReadWrite.All", "Read and write all users' full profiles",
		"Allows the app to create, read, update and delete users in your organization, without a signed-in user."},
	{"38d9df27-64da-44fd-b7c5-a6fbac20248f", "UserAuthenticationMethod.Read.All", "Read all users' authentication methods",
		"Allows the app to read authentication methods of all users in your organization, without a signed-in user. It never sees secrets such as PINs."},
	{"50483e42-d915-4231-9639-7fdb7fd190e5", "UserAuthenticationMethod.ReadWrite.All", "Read and write all users' authentication methods",
		"Allows the app to read and write authentication methods of all users in your organization, without a signed-in user. It never sees secrets it did not set."},
	{localRoleID("UserAuthMethod-QR.Read.All"), "UserAuthMethod-QR.Read.All", "Read all users' QR methods",
		"Allows the app to read the QR code + PIN authentication methods of all users in your organization, without a signed-in user."},
	{"4869299f-18c3-40c8-98f2-222657e67db1", "UserAuthMethod-QR.ReadWrite.All", "Read and write all users' QR methods",
		"Allows the app to read and write the QR code + PIN authentication methods of all users in your organization, without a signed-in user."},
}

// localRoleNamespace names the app role ids qrpin derives itself, for
// permissions whose Microsoft id could not be confirmed.
var localRoleNamespace = uuid.MustParse("6c1f9d4e-2b7a-4f0e-9a43-7e5d1c2b8a90")

// localRoleID is the name-based (SHA-1) UUID qrpin gives a permission whose
// Microsoft app role id is unknown: stable across servers and versions.
func localRoleID(value string) string {
	return uuid.NewSHA1(localRoleNamespace, []byte(value)).String()
}

// AppRoleByID finds a permission by its app role id (case-insensitive).
func AppRoleByID(id string) (AppRole, bool) {
	for _, r := range AppRoles {
		if strings.EqualFold(r.ID, id) {
			return r, true
		}
	}
	return AppRole{}, false
}

// AppRoleByValue finds a permission by its name (case-insensitive, as
// Entra compares them), or by its app role id.
func AppRoleByValue(s string) (AppRole, bool) {
	s = strings.TrimSpace(s)
	for _, r := range AppRoles {
		if strings.EqualFold(r.Value, s) || strings.EqualFold(r.ID, s) {
			return r, true
		}
	}
	return AppRole{}, false
}
