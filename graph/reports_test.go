package graph_test

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/qrpin/qrpin/auth"
)

// reportsEnv has three users: Ana (a Global Reader, with the method),
// Ben (none) and Cara (with the method, created an hour later).
type reportsEnv struct {
	*env
	ana, ben, cara string
	reader         string
}

func newReportsEnv(t *testing.T) *reportsEnv {
	e := newEnv(t)
	ana := e.user("ana@contoso.com", auth.GlobalReader)
	ben := e.user("ben@contoso.com")
	now := e.clock.Now()
	expect(t, e.do("PUT", "/v1.0/users/"+ana.ID+"/authentication/qrCodePinMethod", e.adminTok(), createBody(now, now.AddDate(0, 0, 30), pin1)), http.StatusCreated, "")
	e.clock.Advance(time.Hour)
	cara := e.user("cara@contoso.com")
	now = e.clock.Now()
	expect(t, e.do("PUT", "/v1.0/users/"+cara.ID+"/authentication/qrCodePinMethod", e.adminTok(), createBody(now, now.AddDate(0, 0, 30), pin1)), http.StatusCreated, "")
	return &reportsEnv{env: e, ana: ana.ID, ben: ben.ID, cara: cara.ID, reader: e.appToken("AuditLog.Read.All")}
}

// upns lists the userPrincipalNames of a list's values.
func upns(t *testing.T, m map[string]any) []string {
	t.Helper()
	var out []string
	for _, v := range m["value"].([]any) {
		out = append(out, v.(map[string]any)["userPrincipalName"].(string))
	}
	return out
}

func TestUserRegistrationDetails(t *testing.T) {
	t.Parallel()
	e := newReportsEnv(t)
	for _, version := range []string{"v1.0", "beta"} {
		base := "/" + version + "/reports/authenticationMethods/userRegistrationDetails"
		r := e.do("GET", base, e.reader, "")
		expect(t, r, http.StatusOK, "")
		m := r.json(t)
		eq(t, "@odata.context", m["@odata.context"], e.srv.URL+"/"+version+"/$metadata#reports/authenticationMethods/userRegistrationDetails")
		byUPN := map[string]map[string]any{}
		for _, v := range m["value"].([]any) {
			byUPN[v.(map[string]any)["userPrincipalName"].(string)] = v.(map[string]any)
		}
		entry := func(id, upn, name string, admin bool, methods []any, updated time.Time) map[string]any {
			return map[string]any{"id": id, "userPrincipalName": upn, "userDisplayName": name, "userType": "member",
				"isAdmin": admin, "isSsprRegistered": false, "isSsprEnabled": false, "isSsprCapable": false,
				"isMfaRegistered": false, "isMfaCapable": false, "isPasswordlessCapable": false,
				"isSystemPreferredAuthenticationMethodEnabled": false, "lastUpdatedDateTime": rfc(updated),
				"methodsRegistered": methods, "systemPreferredAuthenticationMethods": []any{},
				"userPreferredMethodForSecondaryAuthentication": "none"}
		}
		eq(t, "ana", byUPN["ana@contoso.com"], entry(e.ana, "ana@contoso.com", "ana", true, []any{"qrCode"}, testStart))
		eq(t, "ben", byUPN["ben@contoso.com"], entry(e.ben, "ben@contoso.com", "ben", false, []any{}, testStart))
		eq(t, "cara", byUPN["cara@contoso.com"], entry(e.cara, "cara@contoso.com", "cara", false, []any{"qrCode"}, testStart.Add(time.Hour)))
		if len(byUPN) != 3 {
			t.Fatalf("%d entries, want 3", len(byUPN))
		}

		r = e.do("GET", base+"/"+strings.ToUpper(e.cara), e.reader, "")
		expect(t, r, http.StatusOK, "")
		one := r.json(t)
		eq(t, "@odata.context", one["@odata.context"], e.srv.URL+"/"+version+"/$metadata#reports/authenticationMethods/userRegistrationDetails/$entity")
		delete(one, "@odata.context")
		eq(t, "cara by id", one, byUPN["cara@contoso.com"])
		expect(t, e.do("GET", base+"/00000000-0000-4000-8000-000000000000", e.reader, ""), http.StatusNotFound, "Request_ResourceNotFound")
	}

	base := "/v1.0/reports/authenticationMethods/userRegistrationDetails"
	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{"methodsRegistered/any(m:m eq 'qrCode')", []string{"ana@contoso.com", "cara@contoso.com"}},
		{"methodsRegistered/any(x: x eq 'QRCODE') and isAdmin eq false", []string{"cara@contoso.com"}},
		{"methodsRegistered/any(m:m eq 'fido2')", nil},
		{"userPrincipalName eq 'BEN@contoso.com'", []string{"ben@contoso.com"}},
		{"startsWith(userDisplayName, 'CA')", []string{"cara@contoso.com"}},
		{"startswith(userPrincipalName,'a') or true eq true", nil}, // not a clause: 400 below
		{"isAdmin eq true", []string{"ana@contoso.com"}},
		{"isMfaRegistered eq true", nil},
		{"isMfaCapable eq false and id eq '" + e.ben + "'", []string{"ben@contoso.com"}},
		{"userDisplayName eq 'it''s nobody and isAdmin eq true'", nil},
	} {
		r := e.do("GET", base+"?$filter="+url.QueryEscape(tc.filter), e.reader, "")
		if strings.Contains(tc.filter, " or ") {
			expect(t, r, http.StatusBadRequest, "Request_UnsupportedQuery")
			continue
		}
		expect(t, r, http.StatusOK, "")
		got := upns(t, r.json(t))
		sort.Strings(got)
		eq(t, tc.filter, strings.Join(got, ","), strings.Join(tc.want, ","))
	}
	for _, bad := range []string{"userType eq 'member'", "methodsRegistered/any(m:x eq 'qrCode')", "isAdmin eq 'yes'", strings.Repeat("a", 1001)} {
		expect(t, e.do("GET", base+"?$filter="+url.QueryEscape(bad), e.reader, ""), http.StatusBadRequest, "Request_UnsupportedQuery")
	}

	// Paging: $top=1 pages through the three, the filter kept.
	link := base + "?$top=1&$filter=" + url.QueryEscape("methodsRegistered/any(m:m eq 'qrCode')")
	var seen []string
	for range 4 {
		r := e.do("GET", strings.TrimPrefix(link, e.srv.URL), e.reader, "")
		expect(t, r, http.StatusOK, "")
		m := r.json(t)
		seen = append(seen, upns(t, m)...)
		next, _ := m["@odata.nextLink"].(string)
		if next == "" {
			break
		}
		if !strings.Contains(next, "filter=methodsRegistered") {
			t.Fatalf("nextLink %s lost the $filter", next)
		}
		link = next
	}
	sort.Strings(seen)
	eq(t, "paged", strings.Join(seen, ","), "ana@contoso.com,cara@contoso.com")
}

func TestUsersRegisteredByMethod(t *testing.T) {
	t.Parallel()
	e := newReportsEnv(t)
	for _, version := range []string{"v1.0", "beta"} {
		for _, fn := range []string{"usersRegisteredByMethod", "usersRegisteredByMethod()",
			"usersRegisteredByMethod(includedUserTypes='all',includedUserRoles='all')", "usersRegisteredByMethod(includedUserTypes='member')"} {
			r := e.do("GET", "/"+version+"/reports/authenticationMethods/"+fn, e.reader, "")
			expect(t, r, http.StatusOK, "")
			types := "all"
			if strings.Contains(fn, "member") {
				types = "member"
			}
			eq(t, fn, r.json(t), map[string]any{
				"@odata.context":               e.srv.URL + "/" + version + "/$metadata#microsoft.graph.userRegistrationMethodSummary",
				"totalUserCount":               3.0,
				"userRegistrationMethodCounts": []any{map[string]any{"authenticationMethod": "qrCode", "userCount": 2.0}},
				"userTypes":                    types,
				"userRoles":                    "all",
			})
		}
	}
	r := e.do("GET", "/v1.0/reports/authenticationMethods/usersRegisteredByMethod(includedUserTypes='guest')", e.reader, "")
	expect(t, r, http.StatusOK, "")
	eq(t, "guests", r.json(t)["totalUserCount"], 0.0)
	expect(t, e.do("GET", "/v1.0/reports/authenticationMethods/usersRegisteredByMethod(includedUserRoles='admin')", e.reader, ""),
		http.StatusBadRequest, "Request_UnsupportedQuery")
	expect(t, e.do("GET", "/v1.0/reports/authenticationMethods/usersRegisteredByMethod(includedUserTypes='robots')", e.reader, ""),
		http.StatusBadRequest, "BadRequest")
}

func TestReportsPermissions(t *testing.T) {
	t.Parallel()
	e := newReportsEnv(t)
	reportsReader := e.user("rr@contoso.com", auth.ReportsReader)
	plain := e.user("plain@contoso.com")
	for _, p := range []string{
		"/v1.0/reports/authenticationMethods/userRegistrationDetails",
		"/v1.0/reports/authenticationMethods/userRegistrationDetails/" + e.ben,
		"/beta/reports/authenticationMethods/usersRegisteredByMethod",
	} {
		expect(t, e.do("GET", p, e.appToken("AuditLog.Read.All"), ""), http.StatusOK, "")
		expect(t, e.do("GET", p, e.userToken(reportsReader, "AuditLog.Read.All"), ""), http.StatusOK, "")
		expect(t, e.do("GET", p, e.appToken("User.Read.All", "UserAuthMethod-QR.Read.All"), ""), http.StatusForbidden, "accessDenied")
		expect(t, e.do("GET", p, e.userToken(plain, "AuditLog.Read.All"), ""), http.StatusForbidden, "accessDenied")
		expect(t, e.do("GET", p, e.userToken(reportsReader, "User.Read"), ""), http.StatusForbidden, "accessDenied")
	}
	// Nobody learns whether an id is a user's without the permission.
	expect(t, e.do("GET", "/v1.0/reports/authenticationMethods/userRegistrationDetails/nobody", e.appToken("User.Read.All"), ""),
		http.StatusForbidden, "accessDenied")
}
