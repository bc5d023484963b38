package graph_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/store"
)

// appAdmin is a token of an application that may manage applications and
// grant permissions.
func (e *env) appAdmin() string {
	return e.appToken("Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All")
}

// createApp creates an application through the API and returns its body.
func (e *env) createApp(tok, name string) map[string]any {
	e.t.Helper()
	r := e.do("POST", "/v1.0/applications", tok, fmt.Sprintf(`{"displayName": %q}`, name))
	expect(e.t, r, http.StatusCreated, "")
	return r.json(e.t)
}

// spOf returns the service principal of the application with that appId.
func (e *env) spOf(tok, appID string) map[string]any {
	e.t.Helper()
	r := e.do("GET", "/v1.0/servicePrincipals(appId='"+appID+"')", tok, "")
	expect(e.t, r, http.StatusOK, "")
	return r.json(e.t)
}

// field returns m[k] as a string ("" when it is none).
func field(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func TestApplicationLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.appAdmin()
	app := e.createApp(tok, "badge printer")
	id, appID := field(app, "id"), field(app, "appId")
	if _, err := uuid.Parse(id); err != nil || uuid.Validate(appID) != nil || id == appID {
		t.Fatalf("ids: %v", app)
	}
	if app["displayName"] != "badge printer" || app["createdDateTime"] != "2026-03-02T09:00:00Z" ||
		app["@odata.type"] != "#microsoft.graph.application" || !strings.HasSuffix(field(app, "@odata.context"), "/v1.0/$metadata#applications/$entity") ||
		fmt.Sprint(app["passwordCredentials"]) != "[]" || app["signInAudience"] != "AzureADMyOrg" {
		t.Fatalf("created application: %v", app)
	}
	// It is found by object id and by appId, in both versions, and listed.
	for _, path := range []string{"/v1.0/applications/" + id, "/beta/applications/" + strings.ToUpper(id),
		"/v1.0/applications(appId='" + appID + "')", "/v1.0/Applications(AppId='" + appID + "')"} {
		r := e.do("GET", path, tok, "")
		expect(t, r, http.StatusOK, "")
		if field(r.json(t), "appId") != appID {
			t.Fatalf("GET %s: %s", path, r.body)
		}
	}
	r := e.do("GET", "/v1.0/applications", tok, "")
	expect(t, r, http.StatusOK, "")
	if !strings.Contains(string(r.body), appID) {
		t.Fatalf("list lacks the application: %s", r.body)
	}

	// addPassword: the secret is shown this once.
	r = e.do("POST", "/v1.0/applications/"+id+"/addPassword", tok, `{"passwordCredential": {"displayName": "ci"}}`)
	expect(t, r, http.StatusOK, "")
	pw := r.json(t)
	secret := field(pw, "secretText")
	if len(secret) != admin.SecretLength || pw["hint"] != secret[:3] || pw["displayName"] != "ci" ||
		pw["startDateTime"] != "2026-03-02T09:00:00Z" || pw["endDateTime"] != "2028-03-01T09:00:00Z" ||
		uuid.Validate(field(pw, "keyId")) != nil || !strings.HasSuffix(field(pw, "@odata.context"), "$metadata#microsoft.graph.passwordCredential") {
		t.Fatalf("passwordCredential: %s", r.body)
	}
	r2 := e.do("POST", "/v1.0/applications(appId='"+appID+"')/addPassword", tok, "")
	expect(t, r2, http.StatusOK, "")
	if s := field(r2.json(t), "secretText"); s == secret || len(s) != admin.SecretLength {
		t.Fatalf("second secret %q", s)
	}
	r = e.do("GET", "/v1.0/applications/"+id, tok, "")
	expect(t, r, http.StatusOK, "")
	creds := r.json(t)["passwordCredentials"].([]any)
	if len(creds) != 2 || strings.Contains(string(r.body), secret) {
		t.Fatalf("passwordCredentials after addPassword: %s", r.body)
	}
	for _, c := range creds {
		if c.(map[string]any)["secretText"] != nil || c.(map[string]any)["hint"] == "" {
			t.Fatalf("a read shows a secret: %s", r.body)
		}
	}

	// removePassword, then again: 400.
	body := fmt.Sprintf(`{"keyId": %q}`, field(pw, "keyId"))
	expect(t, e.do("POST", "/v1.0/applications/"+id+"/removePassword", tok, body), http.StatusNoContent, "")
	expect(t, e.do("POST", "/v1.0/applications/"+id+"/removePassword", tok, body), http.StatusBadRequest, "Request_BadRequest")
	expect(t, e.do("POST", "/v1.0/applications/"+id+"/removePassword", tok, `{}`), http.StatusBadRequest, "Request_BadRequest")
	r = e.do("GET", "/v1.0/applications/"+id, tok, "")
	if n := len(r.json(t)["passwordCredentials"].([]any)); n != 1 {
		t.Fatalf("%d passwordCredentials after removePassword", n)
	}

	// Delete: 204, then 404 everywhere.
	expect(t, e.do("DELETE", "/v1.0/applications/"+id, tok, ""), http.StatusNoContent, "")
	for _, verb := range []string{"GET", "DELETE"} {
		expect(t, e.do(verb, "/v1.0/applications/"+id, tok, ""), http.StatusNotFound, "Request_ResourceNotFound")
	}
	expect(t, e.do("GET", "/v1.0/servicePrincipals(appId='"+appID+"')", tok, ""), http.StatusNotFound, "Request_ResourceNotFound")
	expect(t, e.do("POST", "/v1.0/applications/"+id+"/addPassword", tok, ""), http.StatusNotFound, "Request_ResourceNotFound")
}

func TestApplicationBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.appAdmin()
	id := field(e.createApp(tok, "x"), "id")
	for _, tc := range []struct{ verb, path, body string }{
		{"POST", "/v1.0/applications", `{}`},
		{"POST", "/v1.0/applications", `{"displayName": "  "}`},
		{"POST", "/v1.0/applications", `{"displayName": "` + strings.Repeat("a", 257) + `"}`},
		{"POST", "/v1.0/applications/" + id + "/addPassword", `{"passwordCredential": {"endDateTime": "2030-03-03T00:00:00Z"}}`},
		{"POST", "/v1.0/applications/" + id + "/addPassword", `{"passwordCredential": {"endDateTime": "2026-03-01T00:00:00Z"}}`},
		{"POST", "/v1.0/applications/" + id + "/addPassword", `{"passwordCredential": {"startDateTime": "2026-05-01T00:00:00Z", "endDateTime": "2026-04-01T00:00:00Z"}}`},
		{"POST", "/v1.0/applications/" + id + "/addPassword", `{"passwordCredential": {"endDateTime": "next year"}}`},
		{"POST", "/v1.0/applications/" + id + "/addPassword", `{"passwordCredential": "x"}`},
	} {
		r := e.do(tc.verb, tc.path, tok, tc.body)
		if r.status != http.StatusBadRequest {
			t.Fatalf("%s %s %s: %d %s", tc.verb, tc.path, tc.body, r.status, r.body)
		}
	}
	// An end date within the two-year cap is kept as given.
	r := e.do("POST", "/v1.0/applications/"+id+"/addPassword", tok, `{"passwordCredential": {"endDateTime": "2026-09-02T09:00:00Z"}}`)
	expect(t, r, http.StatusOK, "")
	if r.json(t)["endDateTime"] != "2026-09-02T09:00:00Z" {
		t.Fatalf("endDateTime: %s", r.body)
	}
	// At most admin.MaxPasswords secrets.
	for range admin.MaxPasswords - 1 {
		expect(t, e.do("POST", "/v1.0/applications/"+id+"/addPassword", tok, ""), http.StatusOK, "")
	}
	expect(t, e.do("POST", "/v1.0/applications/"+id+"/addPassword", tok, ""), http.StatusBadRequest, "Request_BadRequest")
	expect(t, e.do("PUT", "/v1.0/applications/"+id, tok, `{}`), http.StatusMethodNotAllowed, "")
}

func TestServicePrincipals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.appAdmin()
	app := e.createApp(tok, "badge printer")
	appID := field(app, "appId")

	// Microsoft Graph's is built in, with the permissions as app roles.
	r := e.do("GET", "/v1.0/servicePrincipals/"+admin.GraphServicePrincipalID, tok, "")
	expect(t, r, http.StatusOK, "")
	graphSP := r.json(t)
	if graphSP["appId"] != auth.GraphAppID || graphSP["displayName"] != "Microsoft Graph" || graphSP["@odata.type"] != "#microsoft.graph.servicePrincipal" {
		t.Fatalf("Microsoft Graph: %s", r.body)
	}
	roles := map[string]map[string]any{}
	for _, x := range graphSP["appRoles"].([]any) {
		ar := x.(map[string]any)
		roles[field(ar, "value")] = ar
		if fmt.Sprint(ar["allowedMemberTypes"]) != "[Application]" || ar["isEnabled"] != true || field(ar, "displayName") == "" || field(ar, "description") == "" {
			t.Fatalf("app role %v", ar)
		}
	}
	for value, id := range map[string]string{ // Microsoft's ids
		"UserAuthMethod-QR.ReadWrite.All":        "4869299f-18c3-40c8-98f2-222657e67db1",
		"UserAuthenticationMethod.ReadWrite.All": "50483e42-d915-4231-9639-7fdb7fd190e5",
		"User.ReadWrite.All":                     "741f803b-c850-494e-b5df-cde7c675a1ca",
		"Policy.ReadWrite.AuthenticationMethod":  "29c18626-4985-4dcd-85c0-193eef327366",
		"Application.ReadWrite.All":              "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
		"AppRoleAssignment.ReadWrite.All":        "06b708a9-e830-4db3-a914-8e69da51d44f",
		"RoleManagement.ReadWrite.Directory":     "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8",
	} {
		if roles[value]["id"] != id {
			t.Errorf("app role %s: %v, want id %s", value, roles[value], id)
		}
	}
	if len(roles) != len(auth.AppRoles) {
		t.Fatalf("%d app roles, want %d", len(roles), len(auth.AppRoles))
	}
	if field(e.spOf(tok, auth.GraphAppID), "id") != admin.GraphServicePrincipalID {
		t.Fatal("Microsoft Graph by appId")
	}

	// The application's own, created with it.
	sp := e.spOf(tok, appID)
	spID := field(sp, "id")
	if uuid.Validate(spID) != nil || spID == field(app, "id") || sp["displayName"] != "badge printer" || fmt.Sprint(sp["appRoles"]) != "[]" {
		t.Fatalf("service principal: %v", sp)
	}
	r = e.do("GET", "/v1.0/servicePrincipals/"+spID, tok, "")
	expect(t, r, http.StatusOK, "")
	// POST /servicePrincipals {appId} answers the existing one.
	r = e.do("POST", "/v1.0/servicePrincipals", tok, fmt.Sprintf(`{"appId": %q}`, appID))
	expect(t, r, http.StatusCreated, "")
	if field(r.json(t), "id") != spID {
		t.Fatalf("POST servicePrincipals: %s", r.body)
	}
	expect(t, e.do("POST", "/v1.0/servicePrincipals", tok, fmt.Sprintf(`{"appId": %q}`, uuid.NewString())), http.StatusBadRequest, "Request_BadRequest")
	expect(t, e.do("POST", "/v1.0/servicePrincipals", tok, `{}`), http.StatusBadRequest, "Request_BadRequest")
	expect(t, e.do("GET", "/v1.0/servicePrincipals/"+uuid.NewString(), tok, ""), http.StatusNotFound, "Request_ResourceNotFound")

	// $filter=appId eq '...'
	for filter, want := range map[string]string{
		"appId eq '" + appID + "'":            spID,
		"appid EQ '" + auth.GraphAppID + "'":  admin.GraphServicePrincipalID,
		"appId eq '" + uuid.NewString() + "'": "",
	} {
		r := e.do("GET", "/v1.0/servicePrincipals?$filter="+urlQuery(filter), tok, "")
		expect(t, r, http.StatusOK, "")
		v := r.json(t)["value"].([]any)
		if (want == "" && len(v) != 0) || (want != "" && (len(v) != 1 || v[0].(map[string]any)["id"] != want)) {
			t.Fatalf("$filter=%s: %s", filter, r.body)
		}
	}
	expect(t, e.do("GET", "/v1.0/servicePrincipals?$filter="+urlQuery("displayName eq 'x'"), tok, ""), http.StatusBadRequest, "Request_UnsupportedQuery")

	// Paging: Microsoft Graph first, then one per application, each once.
	seen := map[string]int{}
	next := "/v1.0/servicePrincipals?$top=1"
	for pages := 0; next != ""; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		r := e.do("GET", next, tok, "")
		expect(t, r, http.StatusOK, "")
		m := r.json(t)
		for _, x := range m["value"].([]any) {
			seen[field(x.(map[string]any), "id")]++
		}
		next = strings.TrimPrefix(field(m, "@odata.nextLink"), e.srv.URL)
	}
	// Microsoft Graph, the caller's application and the new one.
	if len(seen) != 3 || seen[admin.GraphServicePrincipalID] != 1 || seen[spID] != 1 {
		t.Fatalf("paged service principals: %v", seen)
	}
}

func urlQuery(s string) string {
	return strings.NewReplacer(" ", "%20", "'", "%27").Replace(s)
}

func TestAppRoleAssignments(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.appAdmin()
	appID := field(e.createApp(tok, "badge printer"), "appId")
	spID := field(e.spOf(tok, appID), "id")
	graph := admin.GraphServicePrincipalID
	const qrRW, userRead = "4869299f-18c3-40c8-98f2-222657e67db1", "df021288-bdef-4463-88db-98f22de89214"
	grant := func(path, principal, resource, role string) resp {
		return e.do("POST", path, tok, fmt.Sprintf(`{"principalId": %q, "resourceId": %q, "appRoleId": %q}`, principal, resource, role))
	}
	r := grant("/v1.0/servicePrincipals/"+spID+"/appRoleAssignments", spID, graph, qrRW)
	expect(t, r, http.StatusCreated, "")
	a := r.json(t)
	if a["principalId"] != spID || a["resourceId"] != graph || a["appRoleId"] != qrRW || a["principalDisplayName"] != "badge printer" ||
		a["resourceDisplayName"] != "Microsoft Graph" || a["principalType"] != "ServicePrincipal" || a["createdDateTime"] != "2026-03-02T09:00:00Z" ||
		uuid.Validate(field(a, "id")) != nil || a["@odata.type"] != "#microsoft.graph.appRoleAssignment" {
		t.Fatalf("appRoleAssignment: %s", r.body)
	}
	// The same from the resource's side.
	r = grant("/v1.0/servicePrincipals/"+graph+"/appRoleAssignedTo", spID, graph, userRead)
	expect(t, r, http.StatusCreated, "")
	second := field(r.json(t), "id")

	for _, tc := range []struct {
		name, path, principal, resource, role string
	}{
		{"duplicate", "/v1.0/servicePrincipals/" + spID + "/appRoleAssignments", spID, graph, qrRW},
		{"duplicate through the resource", "/v1.0/servicePrincipals/" + graph + "/appRoleAssignedTo", spID, graph, strings.ToUpper(qrRW)},
		{"unknown app role", "/v1.0/servicePrincipals/" + spID + "/appRoleAssignments", spID, graph, uuid.NewString()},
		{"unknown resource", "/v1.0/servicePrincipals/" + spID + "/appRoleAssignments", spID, uuid.NewString(), qrRW},
		{"resource is an application", "/v1.0/servicePrincipals/" + spID + "/appRoleAssignments", spID, spID, qrRW},
		{"principal is not the path's", "/v1.0/servicePrincipals/" + spID + "/appRoleAssignments", uuid.NewString(), graph, qrRW},
		{"resource is not the path's", "/v1.0/servicePrincipals/" + spID + "/appRoleAssignedTo", spID, graph, qrRW},
		{"Microsoft Graph as principal", "/v1.0/servicePrincipals/" + graph + "/appRoleAssignments", graph, graph, qrRW},
		{"missing appRoleId", "/v1.0/servicePrincipals/" + spID + "/appRoleAssignments", spID, graph, ""},
	} {
		expect(t, grant(tc.path, tc.principal, tc.resource, tc.role), http.StatusBadRequest, "Request_BadRequest")
	}
	expect(t, grant("/v1.0/servicePrincipals/"+uuid.NewString()+"/appRoleAssignments", spID, graph, qrRW), http.StatusNotFound, "Request_ResourceNotFound")

	list := func(path string) []string {
		r := e.do("GET", path, tok, "")
		expect(t, r, http.StatusOK, "")
		var roles []string
		for _, x := range r.json(t)["value"].([]any) {
			roles = append(roles, field(x.(map[string]any), "appRoleId"))
		}
		return roles
	}
	if got := list("/v1.0/servicePrincipals(appId='" + appID + "')/appRoleAssignments"); len(got) != 2 {
		t.Fatalf("appRoleAssignments: %v", got)
	}
	if got := list("/v1.0/servicePrincipals/" + graph + "/appRoleAssignedTo"); len(got) != 2 {
		t.Fatalf("Microsoft Graph's appRoleAssignedTo: %v", got)
	}
	if got := list("/v1.0/servicePrincipals/" + graph + "/appRoleAssignments"); len(got) != 0 {
		t.Fatalf("Microsoft Graph's appRoleAssignments: %v", got)
	}
	// The application shows them as requiredResourceAccess.
	r = e.do("GET", "/v1.0/applications(appId='"+appID+"')", tok, "")
	if !strings.Contains(string(r.body), `"resourceAppId":"`+auth.GraphAppID+`"`) || !strings.Contains(string(r.body), qrRW) {
		t.Fatalf("requiredResourceAccess: %s", r.body)
	}

	expect(t, e.do("DELETE", "/v1.0/servicePrincipals/"+spID+"/appRoleAssignments/"+second, tok, ""), http.StatusNoContent, "")
	expect(t, e.do("DELETE", "/v1.0/servicePrincipals/"+spID+"/appRoleAssignments/"+second, tok, ""), http.StatusNotFound, "Request_ResourceNotFound")
	if got := list("/v1.0/servicePrincipals/" + spID + "/appRoleAssignments"); len(got) != 1 || got[0] != qrRW {
		t.Fatalf("after DELETE: %v", got)
	}
	first := field(a, "id")
	expect(t, e.do("DELETE", "/v1.0/servicePrincipals/"+graph+"/appRoleAssignedTo/"+first, tok, ""), http.StatusNoContent, "")
	if got := list("/v1.0/servicePrincipals/" + spID + "/appRoleAssignments"); len(got) != 0 {
		t.Fatalf("after DELETE through the resource: %v", got)
	}
	// Granted again after a revoke: fine.
	expect(t, grant("/v1.0/servicePrincipals/"+spID+"/appRoleAssignments", spID, graph, qrRW), http.StatusCreated, "")
}

// The permission table for the new endpoints: which application
// permissions and which delegated scopes and roles may do what.
func TestApplicationsAuthorization(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	target := e.createApp(e.appAdmin(), "target")
	id, appID := field(target, "id"), field(target, "appId")
	spID := field(e.spOf(e.appAdmin(), appID), "id")
	grantBody := fmt.Sprintf(`{"principalId": %q, "resourceId": %q, "appRoleId": "df021288-bdef-4463-88db-98f22de89214"}`, spID, admin.GraphServicePrincipalID)
	type op struct {
		kind             string // read, write, grant
		verb, path, body string
		ok               int
	}
	ops := []op{
		{"read", "GET", "/v1.0/applications", "", 200},
		{"read", "GET", "/v1.0/applications/" + id, "", 200},
		{"read", "GET", "/v1.0/servicePrincipals", "", 200},
		{"read", "GET", "/v1.0/servicePrincipals/" + spID + "/appRoleAssignments", "", 200},
		{"write", "POST", "/v1.0/applications", `{"displayName": "new"}`, 201},
		{"write", "POST", "/v1.0/applications/" + id + "/addPassword", "", 200},
		{"write", "POST", "/v1.0/servicePrincipals", fmt.Sprintf(`{"appId": %q}`, appID), 201},
		{"grant", "POST", "/v1.0/servicePrincipals/" + spID + "/appRoleAssignments", grantBody, 201},
	}
	userTok := func(upn string, scopes []string, roles ...string) string {
		return e.userToken(e.user(upn, roles...), scopes...)
	}
	callers := []struct {
		name    string
		tok     func() string
		allowed string // the kinds allowed
	}{
		{"app Application.Read.All", func() string { return e.appToken("Application.Read.All") }, "read"},
		{"app Directory.Read.All", func() string { return e.appToken("Directory.Read.All") }, "read"},
		{"app Directory.ReadWrite.All", func() string { return e.appToken("Directory.ReadWrite.All") }, "read"},
		{"app Application.ReadWrite.All", func() string { return e.appToken("Application.ReadWrite.All") }, "read write grant"},
		{"app AppRoleAssignment.ReadWrite.All", func() string { return e.appToken("AppRoleAssignment.ReadWrite.All") }, "grant"},
		{"app User.ReadWrite.All", func() string { return e.appToken("User.ReadWrite.All") }, ""},
		{"Application Administrator", func() string {
			return userTok("appadmin"+uuid.NewString()[:8]+"@contoso.com", []string{"Application.ReadWrite.All"}, auth.ApplicationAdministrator)
		}, "read write"},
		{"Cloud Application Administrator", func() string {
			return userTok("cloud"+uuid.NewString()[:8]+"@contoso.com", []string{"Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All"}, auth.CloudApplicationAdministrator)
		}, "read write"},
		{"Privileged Role Administrator", func() string {
			return userTok("pra"+uuid.NewString()[:8]+"@contoso.com", []string{"AppRoleAssignment.ReadWrite.All", "Application.Read.All"}, auth.PrivilegedRoleAdministrator)
		}, "grant"},
		{"Global Reader", func() string {
			return userTok("reader"+uuid.NewString()[:8]+"@contoso.com", []string{"Application.ReadWrite.All"}, auth.GlobalReader)
		}, "read"},
		{"Global Administrator", func() string {
			return userTok("ga"+uuid.NewString()[:8]+"@contoso.com", []string{"Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All"}, auth.GlobalAdministrator)
		}, "read write grant"},
		{"Global Administrator without the scope", func() string {
			return userTok("ga"+uuid.NewString()[:8]+"@contoso.com", []string{"User.ReadWrite.All"}, auth.GlobalAdministrator)
		}, ""},
		{"user without a role", func() string {
			return userTok("u"+uuid.NewString()[:8]+"@contoso.com", []string{"Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All"})
		}, ""},
	}
	for _, c := range callers {
		t.Run(c.name, func(t *testing.T) {
			for _, o := range ops {
				tok := c.tok()
				r := e.do(o.verb, o.path, tok, o.body)
				if strings.Contains(c.allowed, o.kind) {
					if r.status != o.ok {
						t.Fatalf("%s %s: %d, want %d: %s", o.verb, o.path, r.status, o.ok, r.body)
					}
					if o.kind == "grant" { // undo, so the next caller can grant again
						gid := field(r.json(t), "id")
						expect(t, e.do("DELETE", "/v1.0/servicePrincipals/"+spID+"/appRoleAssignments/"+gid, e.appAdmin(), ""), http.StatusNoContent, "")
					}
				} else {
					expect(t, r, http.StatusForbidden, "accessDenied")
				}
			}
			// Revoking needs the grant permission too.
			r := e.do("DELETE", "/v1.0/servicePrincipals/"+spID+"/appRoleAssignments/"+uuid.NewString(), c.tok(), "")
			if strings.Contains(c.allowed, "grant") {
				expect(t, r, http.StatusNotFound, "Request_ResourceNotFound")
			} else {
				expect(t, r, http.StatusForbidden, "accessDenied")
			}
		})
	}
	// Applications may not use /me.
	expect(t, e.do("GET", "/v1.0/me", e.appAdmin(), ""), http.StatusForbidden, "accessDenied")
}

// The tokens of a deleted application stop working at once, and a token
// must name its application's client id.
func TestDeletedApplicationTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := store.Application{ID: uuid.NewString(), AppID: uuid.NewString(), ServicePrincipalID: uuid.NewString(), DisplayName: "doomed", Created: e.clock.Now()}
	if err := e.store.CreateApplication(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	p := auth.Principal{Kind: auth.Application, ObjectID: a.ServicePrincipalID, AppID: a.AppID, TenantID: e.tenant, Roles: []string{"User.Read.All"}}
	tok := e.mint(p)
	expect(t, e.do("GET", "/v1.0/users", tok, ""), http.StatusOK, "")
	wrong := p
	wrong.AppID = uuid.NewString()
	expect(t, e.do("GET", "/v1.0/users", e.mint(wrong), ""), http.StatusUnauthorized, "InvalidAuthenticationToken")
	unknown := p
	unknown.ObjectID = uuid.NewString()
	expect(t, e.do("GET", "/v1.0/users", e.mint(unknown), ""), http.StatusUnauthorized, "InvalidAuthenticationToken")

	expect(t, e.do("DELETE", "/v1.0/applications/"+a.ID, e.appAdmin(), ""), http.StatusNoContent, "")
	r := e.do("GET", "/v1.0/users", tok, "")
	expect(t, r, http.StatusUnauthorized, "InvalidAuthenticationToken")
	if r.header.Get("WWW-Authenticate") == "" {
		t.Fatal("401 without WWW-Authenticate")
	}
}
