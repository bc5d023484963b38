package graph_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestSelect (issue 13, item 6): $select keeps the properties named (and
// OData's annotations) on the directory, the logs and the reports; a
// property the resource lacks is 400; the QR code + PIN method and the
// policy, whose pages take no query options, ignore it.
func TestSelect(t *testing.T) {
	t.Parallel()
	e := newReportsEnv(t)
	admin := e.adminTok()
	r := e.do("GET", "/v1.0/users?$select=displayName,USERPRINCIPALNAME&$top=2", admin, "")
	expect(t, r, http.StatusOK, "")
	m := r.json(t)
	hasKeys(t, m, "@odata.context", "@odata.nextLink", "value")
	for _, v := range m["value"].([]any) {
		hasKeys(t, v.(map[string]any), "@odata.type", "displayName", "userPrincipalName") // annotations stay
	}
	// The next page answers the same query: its link keeps $select, as Graph's do.
	next, _ := m["@odata.nextLink"].(string)
	if !strings.HasPrefix(next, e.srv.URL) {
		t.Fatalf("nextLink %q", next)
	}
	r = e.do("GET", strings.TrimPrefix(next, e.srv.URL), admin, "")
	expect(t, r, http.StatusOK, "")
	page2 := r.json(t)["value"].([]any)
	if len(page2) == 0 {
		t.Fatal("the second page is empty")
	}
	for _, v := range page2 {
		hasKeys(t, v.(map[string]any), "@odata.type", "displayName", "userPrincipalName")
	}
	r = e.do("GET", "/v1.0/users/"+e.ana+"?$select=id,accountEnabled", admin, "")
	expect(t, r, http.StatusOK, "")
	eq(t, "one user", r.json(t), map[string]any{"@odata.context": e.srv.URL + "/v1.0/$metadata#users/$entity",
		"@odata.type": "#microsoft.graph.user", "id": e.ana, "accountEnabled": true})
	expect(t, e.do("GET", "/v1.0/users?$select=shoeSize", admin, ""), http.StatusBadRequest, "BadRequest")

	r = e.do("GET", "/beta/reports/authenticationMethods/userRegistrationDetails?$select=userPrincipalName,methodsRegistered&$filter="+
		url.QueryEscape("userPrincipalName eq 'cara@contoso.com'"), e.reader, "")
	expect(t, r, http.StatusOK, "")
	eq(t, "report", r.json(t)["value"], []any{map[string]any{"userPrincipalName": "cara@contoso.com", "methodsRegistered": []any{"qrCode"}}})

	// The QR code + PIN method ignores it.
	r = e.do("GET", "/v1.0/users/"+e.ana+"/authentication/qrCodePinMethod?$select=id", admin, "")
	expect(t, r, http.StatusOK, "")
	hasKeys(t, r.json(t), "@odata.context", "@odata.type", "id", "createdDateTime", "standardQRCode", "temporaryQRCode", "pin")
	r = e.do("GET", "/v1.0"+policyPath+"?$select=state&$count=maybe", admin, "")
	expect(t, r, http.StatusOK, "")
	if _, ok := r.json(t)["pinLength"]; !ok {
		t.Fatal("the policy honoured $select")
	}
}

// TestCount: $count=true on users, groups and members, with the header
// ConsistencyLevel: eventual (Graph's advanced query), counts the whole
// collection, not the page.
func TestCount(t *testing.T) {
	t.Parallel()
	e := newReportsEnv(t)
	admin := e.adminTok()
	g := e.group(t, "Frontline")
	for _, id := range []string{e.ana, e.ben} {
		expect(t, e.do("POST", "/v1.0/groups/"+g+"/members/$ref", admin,
			`{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/`+id+`"}`), http.StatusNoContent, "")
	}
	eventual := http.Header{"Consistencylevel": {"eventual"}}
	for _, tc := range []struct {
		path string
		want float64
	}{
		{"/v1.0/users?$count=true&$top=1", 3},
		{"/beta/groups?$count=true", 1},
		{"/v1.0/groups/" + g + "/members?$count=true&$top=1", 2},
	} {
		r := e.doWith("GET", tc.path, admin, "", eventual)
		expect(t, r, http.StatusOK, "")
		m := r.json(t)
		eq(t, tc.path, m["@odata.count"], tc.want)
		if len(m["value"].([]any)) > int(tc.want) {
			t.Fatalf("%s: more values than the count", tc.path)
		}
		expect(t, e.do("GET", tc.path, admin, ""), http.StatusBadRequest, "Request_BadRequest")
	}
	r := e.doWith("GET", "/v1.0/users?$count=false", admin, "", eventual)
	expect(t, r, http.StatusOK, "")
	if _, ok := r.json(t)["@odata.count"]; ok {
		t.Fatal("$count=false counted")
	}
	expect(t, e.doWith("GET", "/v1.0/users?$count=yes", admin, "", eventual), http.StatusBadRequest, "BadRequest")
	expect(t, e.doWith("GET", "/v1.0/groups/00000000-0000-4000-8000-000000000000/members?$count=true", admin, "", eventual),
		http.StatusNotFound, "Request_ResourceNotFound")
	expect(t, e.doWith("GET", "/v1.0/users?$count=true", e.appToken("Group.Read.All"), "", eventual), http.StatusForbidden, "accessDenied")
}
