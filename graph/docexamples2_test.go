package graph_test

import (
	"net/http"
	"testing"

	"github.com/qrpin/qrpin/auth"
)

// The examples of Microsoft Graph's own pages for the endpoints of issue
// 13 (microsoft-graph-docs-contrib, api-reference/v1.0): each request
// replayed as written, each response checked for the documented fields
// with their JSON types.
func TestDocumentationExamplesIssue13(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.user("AlexW@contoso.com", auth.GlobalReader)
	now := e.clock.Now()
	expect(t, e.do("PUT", "/v1.0/users/"+u.ID+"/authentication/qrCodePinMethod", e.adminTok(), createBody(now, now.AddDate(0, 0, 30), pin1)), http.StatusCreated, "")

	// authenticationmethodspolicy-get.md: GET .../policies/authenticationMethodsPolicy.
	r := e.do("GET", "/v1.0/policies/authenticationMethodsPolicy", e.appToken("Policy.ReadWrite.AuthenticationMethod"), "")
	expect(t, r, http.StatusOK, "")
	m := r.json(t)
	checkDocShape(t, "authenticationMethodsPolicy", m, docShape{"@odata.context": "string", "id": "string", "displayName": "string",
		"description": "string", "lastModifiedDateTime": "string|null", "policyVersion": "string", "authenticationMethodConfigurations": "array"})
	eq(t, "id", m["id"], "authenticationMethodsPolicy")
	for _, c := range m["authenticationMethodConfigurations"].([]any) {
		checkDocShape(t, "authenticationMethodConfiguration", c.(map[string]any), docShape{"@odata.type": "string", "id": "string",
			"state": "string", "includeTargets": "array"})
	}

	// authenticationmethodsroot-list-userregistrationdetails.md.
	r = e.do("GET", "/v1.0/reports/authenticationMethods/userRegistrationDetails", e.appToken("AuditLog.Read.All"), "")
	expect(t, r, http.StatusOK, "")
	m = r.json(t)
	checkDocShape(t, "userRegistrationDetails list", m, docShape{"@odata.context": "string", "value": "array"})
	for _, v := range m["value"].([]any) {
		checkDocShape(t, "userRegistrationDetails", v.(map[string]any), docShape{
			"id": "string", "userPrincipalName": "string", "userDisplayName": "string", "isAdmin": "bool",
			"isSsprRegistered": "bool", "isSsprEnabled": "bool", "isSsprCapable": "bool", "isMfaRegistered": "bool",
			"isMfaCapable": "bool", "isPasswordlessCapable": "bool", "lastUpdatedDateTime": "string",
			"methodsRegistered": "array", "isSystemPreferredAuthenticationMethodEnabled": "bool",
			"systemPreferredAuthenticationMethods": "array", "userPreferredMethodForSecondaryAuthentication": "string", "userType": "string"})
	}

	// authenticationmethod-get.md / -delete.md, with the id the list gives.
	r = e.do("GET", "/v1.0/users/"+u.ID+"/authentication/methods", e.adminTok(), "")
	expect(t, r, http.StatusOK, "")
	id := r.json(t)["value"].([]any)[0].(map[string]any)["id"].(string)
	r = e.do("GET", "/v1.0/users/"+u.ID+"/authentication/methods/"+id, e.adminTok(), "")
	expect(t, r, http.StatusOK, "")
	checkDocShape(t, "authenticationMethod", r.json(t), docShape{"@odata.type": "string", "id": "string", "createdDateTime": "string"})
	expect(t, e.do("DELETE", "/v1.0/users/"+u.ID+"/authentication/methods/"+id, e.adminTok(), ""), http.StatusNoContent, "")
}
