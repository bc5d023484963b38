package graph_test

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/qrpin/qrpin/auth"
)

const (
	rlDefs    = "/roleManagement/directory/roleDefinitions"
	rlAssigns = "/roleManagement/directory/roleAssignments"
)

// rlBody is a role assignment create body.
func rlBody(principal, role string) string {
	return fmt.Sprintf(`{"principalId":%q,"roleDefinitionId":%q,"directoryScopeId":"/"}`, principal, role)
}

// rlEq fails the test unless got deeply equals want.
func rlEq(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s = %#v, want %#v", what, got, want)
	}
}

// rlValues returns the value array of a collection response.
func rlValues(t *testing.T, r resp) []map[string]any {
	t.Helper()
	vs, ok := r.json(t)["value"].([]any)
	if !ok {
		t.Fatalf("no value array: %s", r.body)
	}
	out := make([]map[string]any, len(vs))
	for i, v := range vs {
		out[i] = v.(map[string]any)
	}
	return out
}

func TestRoleDefinitions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.appToken("RoleManagement.Read.Directory")
	for _, version := range []string{"v1.0", "beta"} {
		r := e.do("GET", "/"+version+rlDefs, tok, "")
		expect(t, r, http.StatusOK, "")
		rlEq(t, "@odata.context", r.json(t)["@odata.context"], e.srv.URL+"/"+version+"/$metadata#roleManagement/directory/roleDefinitions")
		defs := rlValues(t, r)
		if len(defs) != len(auth.Roles) {
			t.Fatalf("%d role definitions, want %d", len(defs), len(auth.Roles))
		}
		for i, role := range auth.Roles {
			rlEq(t, "role definition", defs[i], map[string]any{
				"@odata.type": "#microsoft.graph.unifiedRoleDefinition",
				"id":          role.ID, "templateId": role.ID, "displayName": role.DisplayName,
				"description": role.Description, "isBuiltIn": true, "isEnabled": true,
				"resourceScopes": []any{"/"}, "rolePermissions": []any{},
			})
		}
	}
	// One by id, which is the template id, in any case.
	r := e.do("GET", "/v1.0"+rlDefs+"/"+strings.ToUpper(auth.PrivilegedRoleAdministrator), tok, "")
	expect(t, r, http.StatusOK, "")
	m := r.json(t)
	rlEq(t, "displayName", m["displayName"], "Privileged Role Administrator")
	rlEq(t, "id", m["id"], auth.PrivilegedRoleAdministrator)
	rlEq(t, "@odata.context", m["@odata.context"], e.srv.URL+"/v1.0/$metadata#roleManagement/directory/roleDefinitions/$entity")

	// A role qrpin does not know (Helpdesk Administrator), or nonsense.
	for _, id := range []string{"729827e3-9c14-49f7-bb1b-9608f156bbb8", "Global Administrator", "x"} {
		expect(t, e.do("GET", "/v1.0"+rlDefs+"/"+url.PathEscape(id), tok, ""), http.StatusNotFound, "Request_ResourceNotFound")
	}
}

func TestRoleAssignmentsLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.appToken("RoleManagement.ReadWrite.Directory")
	ana := e.user("ana@contoso.com")
	bo := e.user("bo@contoso.com")

	// Create: 201 with the assignment; the principal id in any case.
	r := e.do("POST", "/v1.0"+rlAssigns, admin, rlBody(strings.ToUpper(ana.ID), auth.GlobalReader))
	expect(t, r, http.StatusCreated, "")
	created := r.json(t)
	id, _ := created["id"].(string)
	if _, err := uuid.Parse(id); err != nil {
		t.Fatalf("id %q is not a GUID", id)
	}
	rlEq(t, "created assignment", created, map[string]any{
		"@odata.context":   e.srv.URL + "/v1.0/$metadata#roleManagement/directory/roleAssignments/$entity",
		"@odata.type":      "#microsoft.graph.unifiedRoleAssignment",
		"id":               id,
		"principalId":      ana.ID,
		"roleDefinitionId": auth.GlobalReader,
		"directoryScopeId": "/",
	})
	// The same again is a conflict, as in Graph.
	r = e.do("POST", "/v1.0"+rlAssigns, admin, rlBody(ana.ID, strings.ToUpper(auth.GlobalReader)))
	expect(t, r, http.StatusBadRequest, "Request_BadRequest")
	if !strings.Contains(string(r.body), "A conflicting object with one or more of the specified property values is present in the directory.") {
		t.Errorf("duplicate: %s", r.body)
	}
	expect(t, e.do("POST", "/beta"+rlAssigns, admin, rlBody(ana.ID, auth.UserAdministrator)), http.StatusCreated, "")
	expect(t, e.do("POST", "/v1.0"+rlAssigns, admin, rlBody(bo.ID, auth.GlobalReader)), http.StatusCreated, "")

	// Read it back, by id and through the filters.
	r = e.do("GET", "/v1.0"+rlAssigns+"/"+id, admin, "")
	expect(t, r, http.StatusOK, "")
	rlEq(t, "assignment by id", r.json(t), created)

	list := func(filter string) []map[string]any {
		t.Helper()
		path := "/v1.0" + rlAssigns
		if filter != "" {
			path += "?$filter=" + url.QueryEscape(filter)
		}
		r := e.do("GET", path, admin, "")
		expect(t, r, http.StatusOK, "")
		rlEq(t, "@odata.context", r.json(t)["@odata.context"], e.srv.URL+"/v1.0/$metadata#roleManagement/directory/roleAssignments")
		return rlValues(t, r)
	}
	count := func(filter string, want int) {
		t.Helper()
		if got := len(list(filter)); got != want {
			t.Errorf("$filter=%s: %d assignments, want %d", filter, got, want)
		}
	}
	count("", 3)
	count("principalId eq '"+ana.ID+"'", 2)
	count("PrincipalId  EQ  '"+strings.ToUpper(bo.ID)+"'", 1)
	count("roleDefinitionId eq '"+auth.GlobalReader+"'", 2)
	count("principalId eq '"+ana.ID+"' and roleDefinitionId eq '"+auth.UserAdministrator+"'", 1)
	count("roleDefinitionId eq '"+auth.GlobalAdministrator+"' and principalId eq '"+ana.ID+"'", 0)
	count("principalId eq 'it''s not an id'", 0)
	count("directoryScopeId eq '/'", 3)
	count("directoryScopeId eq '/administrativeUnits/"+uuid.NewString()+"'", 0)
	count("principalId eq '"+ana.ID+"' and roleDefinitionId eq '"+auth.UserAdministrator+"' and directoryScopeId eq '/'", 1)
	for _, a := range list("principalId eq '" + ana.ID + "'") {
		rlEq(t, "principalId", a["principalId"], ana.ID)
		rlEq(t, "directoryScopeId", a["directoryScopeId"], "/")
	}

	// Delete: 204, then it is gone.
	r = e.do("DELETE", "/v1.0"+rlAssigns+"/"+id, admin, "")
	expect(t, r, http.StatusNoContent, "")
	if len(r.body) != 0 {
		t.Errorf("204 with a body: %s", r.body)
	}
	expect(t, e.do("GET", "/v1.0"+rlAssigns+"/"+id, admin, ""), http.StatusNotFound, "Request_ResourceNotFound")
	expect(t, e.do("DELETE", "/v1.0"+rlAssigns+"/"+id, admin, ""), http.StatusNotFound, "Request_ResourceNotFound")
	count("principalId eq '"+ana.ID+"'", 1)

	// Deleting a user deletes their assignments.
	expect(t, e.do("DELETE", "/v1.0/users/"+bo.ID, e.admin(), ""), http.StatusNoContent, "")
	count("principalId eq '"+bo.ID+"'", 0)
}

// TestRoleAssignmentGrantsTheRole: a role given through the API is in the
// user's next token (wids read from the store when it is issued) and
// takes effect.
func TestRoleAssignmentGrantsTheRole(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	boss := e.user("boss@contoso.com", auth.PrivilegedRoleAdministrator)
	ana := e.user("ana@contoso.com")
	scope := "RoleManagement.ReadWrite.Directory"

	// Without a role, Ana may not manage roles.
	expect(t, e.do("GET", "/v1.0"+rlAssigns, e.userToken(ana, scope), ""), http.StatusForbidden, "accessDenied")

	r := e.do("POST", "/v1.0"+rlAssigns, e.userToken(boss, scope), rlBody(ana.ID, auth.PrivilegedRoleAdministrator))
	expect(t, r, http.StatusCreated, "")
	anaTok := e.userToken(ana, scope) // a token issued now carries the role in wids
	expect(t, e.do("GET", "/v1.0"+rlAssigns, anaTok, ""), http.StatusOK, "")
	expect(t, e.do("POST", "/v1.0"+rlAssigns, anaTok, rlBody(boss.ID, auth.GlobalReader)), http.StatusCreated, "")
}

func TestRoleAssignmentErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.appToken("RoleManagement.ReadWrite.Directory")
	ana := e.user("ana@contoso.com")
	for _, tc := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"no principalId", `{"roleDefinitionId":"` + auth.GlobalReader + `","directoryScopeId":"/"}`, 400, "Request_BadRequest"},
		{"no roleDefinitionId", `{"principalId":"` + ana.ID + `","directoryScopeId":"/"}`, 400, "Request_BadRequest"},
		{"no directoryScopeId", `{"principalId":"` + ana.ID + `","roleDefinitionId":"` + auth.GlobalReader + `"}`, 400, "Request_BadRequest"},
		{"a role qrpin does not scope to a unit", `{"principalId":"` + ana.ID + `","roleDefinitionId":"` + auth.GlobalReader + `","directoryScopeId":"/administrativeUnits/5d107bba-d8e2-4e13-b6ae-884be90e5d1a"}`, 400, "Request_BadRequest"},
		{"principalId not a GUID", rlBody("ana@contoso.com", auth.GlobalReader), 400, "Request_BadRequest"},
		{"unknown principal", rlBody(uuid.NewString(), auth.GlobalReader), 404, "Request_ResourceNotFound"},
		{"unknown role", rlBody(ana.ID, "729827e3-9c14-49f7-bb1b-9608f156bbb8"), 404, "Request_ResourceNotFound"},
		{"role by name", rlBody(ana.ID, "Global Reader"), 404, "Request_ResourceNotFound"},
		{"principalId a number", `{"principalId":1,"roleDefinitionId":"` + auth.GlobalReader + `","directoryScopeId":"/"}`, 400, "BadRequest"},
		{"malformed JSON", `{"principalId":"` + ana.ID + `",}`, 400, "BadRequest"},
		{"empty body", ``, 400, "BadRequest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", "/v1.0"+rlAssigns, admin, tc.body)
			expect(t, r, tc.status, tc.code)
			if m := r.json(t)["error"].(map[string]any)["message"].(string); m == "" {
				t.Error("no message")
			}
		})
	}
	r := e.do("GET", "/v1.0"+rlAssigns, admin, "")
	expect(t, r, http.StatusOK, "")
	if n := len(rlValues(t, r)); n != 0 {
		t.Errorf("%d assignments after refused creates", n)
	}
	r = e.do("POST", "/v1.0"+rlAssigns, admin, rlBody(ana.ID, auth.GlobalReader)[:20])
	expect(t, r, http.StatusBadRequest, "BadRequest")

	for _, filter := range []string{
		"displayName eq 'x'",
		"principalId ne '" + ana.ID + "'",
		"principalId eq " + ana.ID,
		"principalId eq '" + ana.ID,
		"principalId eq ''",
		"principalId eq '" + ana.ID + "'x",
		"principalId eq '" + ana.ID + "' or roleDefinitionId eq '" + auth.GlobalReader + "'",
		"principalId eq '" + ana.ID + "' and principalId eq '" + ana.ID + "'",
		"principalId eq '" + ana.ID + "' and",
		"principalId eq 'a' and roleDefinitionId eq 'b' and principalId eq 'c'",
		"principalId eq 'a' and roleDefinitionId eq 'b' and directoryScopeId eq '/' and principalId eq 'c'",
		"directoryScopeId eq '/' and directoryScopeId eq '/'",
		"startswith(principalId,'a')",
		"principalId in ('a','b')",
		"eq",
	} {
		r := e.do("GET", "/v1.0"+rlAssigns+"?$filter="+url.QueryEscape(filter), admin, "")
		expect(t, r, http.StatusBadRequest, "Request_UnsupportedQuery")
		if !strings.Contains(string(r.body), "principalId eq") {
			t.Errorf("$filter=%s: the message does not say what is supported: %s", filter, r.body)
		}
	}
	expect(t, e.do("GET", "/v1.0"+rlAssigns+"/"+uuid.NewString(), admin, ""), http.StatusNotFound, "Request_ResourceNotFound")
	expect(t, e.do("PATCH", "/v1.0"+rlAssigns+"/"+uuid.NewString(), admin, "{}"), http.StatusMethodNotAllowed, "")
}

func TestRoleAssignmentsPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.appToken("RoleManagement.ReadWrite.Directory")
	for i := range 5 {
		u := e.user(fmt.Sprintf("u%d@contoso.com", i), auth.GlobalAdministrator)
		if i == 0 {
			expect(t, e.do("POST", "/v1.0"+rlAssigns, admin, rlBody(u.ID, auth.GlobalReader)), http.StatusCreated, "")
		}
	}
	// Five Global Administrators, two per page; the filter stays in nextLink.
	next := e.srv.URL + "/v1.0" + rlAssigns + "?$top=2&$filter=" + url.QueryEscape("roleDefinitionId eq '"+auth.GlobalAdministrator+"'")
	var pages []int
	seen := map[string]bool{}
	for next != "" && len(pages) < 10 {
		r := e.do("GET", strings.TrimPrefix(next, e.srv.URL), admin, "")
		expect(t, r, http.StatusOK, "")
		vs := rlValues(t, r)
		pages = append(pages, len(vs))
		for _, v := range vs {
			rlEq(t, "roleDefinitionId", v["roleDefinitionId"], auth.GlobalAdministrator)
			if seen[v["id"].(string)] {
				t.Errorf("assignment %s on two pages", v["id"])
			}
			seen[v["id"].(string)] = true
		}
		next, _ = r.json(t)["@odata.nextLink"].(string)
	}
	if fmt.Sprint(pages) != "[2 2 1]" {
		t.Errorf("pages %v, want [2 2 1]", pages)
	}
}

// TestRoleAssignmentsPermissions: RoleManagement.* (and Directory.*.All
// for reads) for applications; delegated callers also need Privileged Role
// Administrator or Global Administrator (Global Reader reads).
func TestRoleAssignmentsPermissions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	target := e.user("target@contoso.com")
	user := func(upn string, roles ...string) func(scopes ...string) string {
		u := e.user(upn, roles...)
		return func(scopes ...string) string { return e.userToken(u, scopes...) }
	}
	plain := user("plain@contoso.com")
	reader := user("reader@contoso.com", auth.GlobalReader)
	pra := user("pra@contoso.com", auth.PrivilegedRoleAdministrator)
	ga := user("ga@contoso.com", auth.GlobalAdministrator)
	authAdmin := user("aa@contoso.com", auth.PrivilegedAuthenticationAdministrator)
	const (
		read      = "RoleManagement.Read.Directory"
		readWrite = "RoleManagement.ReadWrite.Directory"
	)
	for _, tc := range []struct {
		name        string
		token       string
		read, write int
	}{
		{"app without permission", e.appToken("User.ReadWrite.All"), 403, 403},
		{"app with RoleManagement.Read.Directory", e.appToken(read), 200, 403},
		{"app with Directory.Read.All", e.appToken("Directory.Read.All"), 200, 403},
		{"app with Directory.ReadWrite.All", e.appToken("Directory.ReadWrite.All"), 200, 403},
		{"app with RoleManagement.ReadWrite.Directory", e.appToken(readWrite), 200, 201},
		{"user without role", plain(readWrite), 403, 403},
		{"Global Reader", reader(readWrite), 200, 403},
		{"Privileged Authentication Administrator", authAdmin(readWrite), 403, 403},
		{"Privileged Role Administrator", pra(readWrite), 200, 201},
		{"Privileged Role Administrator with the read scope", pra(read), 200, 403},
		{"Global Administrator", ga(readWrite), 200, 201},
		{"Global Administrator with Directory.ReadWrite.All", ga("Directory.ReadWrite.All"), 200, 403},
		{"Global Administrator without scope", ga("User.Read"), 403, 403},
		{"no token", "", 401, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{rlAssigns, rlDefs, rlDefs + "/" + auth.GlobalReader} {
				if r := e.do("GET", "/v1.0"+path, tc.token, ""); r.status != tc.read {
					t.Errorf("GET %s: %d, want %d: %s", path, r.status, tc.read, r.body)
				}
			}
			r := e.do("POST", "/v1.0"+rlAssigns, tc.token, rlBody(target.ID, auth.GlobalReader))
			if r.status != tc.write {
				t.Fatalf("POST: %d, want %d: %s", r.status, tc.write, r.body)
			}
			if r.status == http.StatusCreated {
				// Take it away again with the same token.
				expect(t, e.do("DELETE", "/v1.0"+rlAssigns+"/"+r.json(t)["id"].(string), tc.token, ""), http.StatusNoContent, "")
			}
		})
	}
	// Refused deletes do not delete, and do not reveal whether the id exists.
	r := e.do("POST", "/v1.0"+rlAssigns, e.appToken(readWrite), rlBody(target.ID, auth.GlobalReader))
	expect(t, r, http.StatusCreated, "")
	id := r.json(t)["id"].(string)
	for _, tok := range []string{reader(readWrite), e.appToken(read)} {
		expect(t, e.do("DELETE", "/v1.0"+rlAssigns+"/"+id, tok, ""), http.StatusForbidden, "accessDenied")
		expect(t, e.do("DELETE", "/v1.0"+rlAssigns+"/"+uuid.NewString(), tok, ""), http.StatusForbidden, "accessDenied")
	}
	expect(t, e.do("GET", "/v1.0"+rlAssigns+"/"+id, e.appToken(read), ""), http.StatusOK, "")
}
