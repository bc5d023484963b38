package compat

import (
	"net/http"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/google/uuid"
	"github.com/microsoftgraph/msgraph-beta-sdk-go/applications"
	"github.com/microsoftgraph/msgraph-beta-sdk-go/models"
	"github.com/microsoftgraph/msgraph-beta-sdk-go/rolemanagement"
	"github.com/microsoftgraph/msgraph-beta-sdk-go/serviceprincipals"
)

// graphSP is Microsoft Graph's service principal, built into qrpin.
const graphSP = "a1b2c3d4-0003-4000-8000-00000000c000"

// TestGoSDKApplications covers applications, their secrets, service
// principals, app role assignments (granting a permission) and directory
// role assignments with the beta SDK, on /beta (the v1.0 SDK covers /v1.0:
// TestGoSDKv1Applications); the new application's secret then gets a token
// from azidentity, which the API honours with exactly the granted
// permission.
func TestGoSDKApplications(t *testing.T) {
	s := startServer(t)
	cred := s.appCredential(t, s.creds.ClientSecret)
	const v = "beta"
	t.Run(v, func(t *testing.T) {
		ctx := ctxT(t)
		c := s.client(t, v, cred)

		app := models.NewApplication()
		app.SetDisplayName(ptr("badge printer " + v))
		created, err := c.Applications().Post(ctx, app, nil)
		wantNoError(t, "POST /applications", err)
		id, appID := str(created.GetId()), str(created.GetAppId())
		if _, err := uuid.Parse(appID); err != nil || id == "<nil>" {
			t.Fatalf("POST /applications: id %s appId %s", id, appID)
		}
		got, err := c.Applications().ByApplicationId(id).Get(ctx, nil)
		wantNoError(t, "GET /applications/{id}", err)
		if str(got.GetAppId()) != appID {
			t.Fatalf("GET /applications/{id}: appId %s", str(got.GetAppId()))
		}
		list, err := c.Applications().Get(ctx, nil)
		wantNoError(t, "GET /applications", err)
		found := false
		for _, a := range list.GetValue() {
			found = found || str(a.GetId()) == id
		}
		if !found {
			t.Fatal("GET /applications lacks the new application")
		}

		// addPassword: the secret is in this answer only.
		pw := applications.NewItemAddPasswordPostRequestBody()
		pc := models.NewPasswordCredential()
		pc.SetDisplayName(ptr("ci"))
		pw.SetPasswordCredential(pc)
		secret, err := c.Applications().ByApplicationId(id).AddPassword().Post(ctx, pw, nil)
		wantNoError(t, "POST addPassword", err)
		if str(secret.GetSecretText()) == "" || secret.GetKeyId() == nil || secret.GetEndDateTime() == nil {
			t.Fatalf("addPassword: secretText %q keyId %v end %v", str(secret.GetSecretText()), secret.GetKeyId(), secret.GetEndDateTime())
		}

		// Its service principal exists already (qrpin creates it with
		// the application); POST {"appId"} answers that one.
		sps, err := c.ServicePrincipals().Get(ctx, &serviceprincipals.ServicePrincipalsRequestBuilderGetRequestConfiguration{
			QueryParameters: &serviceprincipals.ServicePrincipalsRequestBuilderGetQueryParameters{Filter: ptr("appId eq '" + appID + "'")}})
		wantNoError(t, "GET /servicePrincipals?$filter=appId eq", err)
		if len(sps.GetValue()) != 1 {
			t.Fatalf("servicePrincipals with appId %s: %d", appID, len(sps.GetValue()))
		}
		spID := str(sps.GetValue()[0].GetId())
		sp := models.NewServicePrincipal()
		sp.SetAppId(&appID)
		again, err := c.ServicePrincipals().Post(ctx, sp, nil)
		wantNoError(t, "POST /servicePrincipals", err)
		if str(again.GetId()) != spID {
			t.Fatalf("POST /servicePrincipals {appId}: id %s, want the existing %s", str(again.GetId()), spID)
		}

		// Microsoft Graph's service principal lists its app roles;
		// grant User.Read.All to the new application.
		g, err := c.ServicePrincipals().ByServicePrincipalId(graphSP).Get(ctx, nil)
		wantNoError(t, "GET /servicePrincipals/{graph}", err)
		var userRead *uuid.UUID
		for _, r := range g.GetAppRoles() {
			if str(r.GetValue()) == "User.Read.All" {
				userRead = r.GetId()
			}
		}
		if userRead == nil {
			t.Fatalf("Microsoft Graph's appRoles (%d) lack User.Read.All", len(g.GetAppRoles()))
		}
		principal, resource := uuid.MustParse(spID), uuid.MustParse(graphSP)
		ara := models.NewAppRoleAssignment()
		ara.SetPrincipalId(&principal)
		ara.SetResourceId(&resource)
		ara.SetAppRoleId(userRead)
		assigned, err := c.ServicePrincipals().ByServicePrincipalId(spID).AppRoleAssignments().Post(ctx, ara, nil)
		wantNoError(t, "POST appRoleAssignments", err)
		assignments, err := c.ServicePrincipals().ByServicePrincipalId(spID).AppRoleAssignments().Get(ctx, nil)
		wantNoError(t, "GET appRoleAssignments", err)
		if len(assignments.GetValue()) != 1 || str(assignments.GetValue()[0].GetId()) != str(assigned.GetId()) {
			t.Fatalf("appRoleAssignments: %d", len(assignments.GetValue()))
		}
		to, err := c.ServicePrincipals().ByServicePrincipalId(graphSP).AppRoleAssignedTo().Get(ctx, nil)
		wantNoError(t, "GET appRoleAssignedTo", err)
		found = false
		for _, a := range to.GetValue() {
			found = found || str(a.GetId()) == str(assigned.GetId())
		}
		if !found {
			t.Fatal("appRoleAssignedTo on Microsoft Graph lacks the grant")
		}

		// The new application's own token (azidentity, its new
		// secret): it may read users, not write them.
		own, err := azidentity.NewClientSecretCredential(s.creds.TenantID, appID, str(secret.GetSecretText()),
			s.appCredentialOptions())
		if err != nil {
			t.Fatal(err)
		}
		oc := s.client(t, v, own)
		_, err = oc.Users().Get(ctx, nil)
		wantNoError(t, "GET /users with the granted User.Read.All", err)
		u := models.NewUser()
		u.SetUserPrincipalName(ptr("nope@apps.contoso.com"))
		u.SetDisplayName(ptr("Nope"))
		_, err = oc.Users().Post(ctx, u, nil)
		wantODataError(t, err, http.StatusForbidden, "accessDenied")

		// Directory roles: definitions, an assignment, its removal.
		uid := createUser(t, c, "ida@roles-"+v[:1]+v[len(v)-1:]+".contoso.com", "Ida Lead")
		defs, err := c.RoleManagement().Directory().RoleDefinitions().Get(ctx, nil)
		wantNoError(t, "GET roleDefinitions", err)
		const authAdmin = "c4e39bd9-1100-46d3-8c65-fb160da0071f"
		def, err := c.RoleManagement().Directory().RoleDefinitions().ByUnifiedRoleDefinitionId(authAdmin).Get(ctx, nil)
		wantNoError(t, "GET roleDefinitions/{id}", err)
		if len(defs.GetValue()) == 0 || str(def.GetDisplayName()) != "Authentication Administrator" {
			t.Fatalf("roleDefinitions: %d, %s", len(defs.GetValue()), str(def.GetDisplayName()))
		}
		ra := models.NewUnifiedRoleAssignment()
		ra.SetPrincipalId(&uid)
		ra.SetRoleDefinitionId(ptr(authAdmin))
		ra.SetDirectoryScopeId(ptr("/"))
		made, err := c.RoleManagement().Directory().RoleAssignments().Post(ctx, ra, nil)
		wantNoError(t, "POST roleAssignments", err)
		ras, err := c.RoleManagement().Directory().RoleAssignments().Get(ctx, &rolemanagement.DirectoryRoleAssignmentsRequestBuilderGetRequestConfiguration{
			QueryParameters: &rolemanagement.DirectoryRoleAssignmentsRequestBuilderGetQueryParameters{Filter: ptr("principalId eq '" + uid + "'")}})
		wantNoError(t, "GET roleAssignments?$filter", err)
		if len(ras.GetValue()) != 1 || str(ras.GetValue()[0].GetRoleDefinitionId()) != authAdmin {
			t.Fatalf("roleAssignments for %s: %d", uid, len(ras.GetValue()))
		}
		one, err := c.RoleManagement().Directory().RoleAssignments().ByUnifiedRoleAssignmentId(str(made.GetId())).Get(ctx, nil)
		wantNoError(t, "GET roleAssignments/{id}", err)
		if str(one.GetPrincipalId()) != uid {
			t.Fatalf("roleAssignments/{id}: principalId %s", str(one.GetPrincipalId()))
		}
		wantNoError(t, "DELETE roleAssignments/{id}", c.RoleManagement().Directory().RoleAssignments().ByUnifiedRoleAssignmentId(str(made.GetId())).Delete(ctx, nil))

		// Revoke the grant, remove the secret, delete the application.
		wantNoError(t, "DELETE appRoleAssignments/{id}",
			c.ServicePrincipals().ByServicePrincipalId(spID).AppRoleAssignments().ByAppRoleAssignmentId(str(assigned.GetId())).Delete(ctx, nil))
		rm := applications.NewItemRemovePasswordPostRequestBody()
		rm.SetKeyId(secret.GetKeyId())
		wantNoError(t, "POST removePassword", c.Applications().ByApplicationId(id).RemovePassword().Post(ctx, rm, nil))
		wantNoError(t, "DELETE /applications/{id}", c.Applications().ByApplicationId(id).Delete(ctx, nil))
		_, err = c.Applications().ByApplicationId(id).Get(ctx, nil)
		wantODataError(t, err, http.StatusNotFound, "Request_ResourceNotFound")
	})
}
