package graph_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// withEmployeeID is userJSON with an employeeId.
func withEmployeeID(u map[string]any, employeeID string) map[string]any {
	u["employeeId"] = employeeID
	return u
}

// storedEmployeeID returns the employee id the store holds for the user.
func (e *env) storedEmployeeID(t *testing.T, id string) string {
	t.Helper()
	u, err := e.store.GetUser(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return u.EmployeeID
}

func TestEmployeeIDCreate(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"v1.0", "beta"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			now := e.clock.Now()
			m := e.postUser(t, version, `{"userPrincipalName":"ana@contoso.com","displayName":"Ana","employeeId":"E-1001"}`)
			id := str(t, m, "id")
			want := withEmployeeID(userJSON(id, "ana@contoso.com", "Ana", true, now), "E-1001")
			want["@odata.context"] = e.srv.URL + "/" + version + "/$metadata#users/$entity"
			eq(t, "created user", m, want)
			eq(t, "stored employee id", e.storedEmployeeID(t, id), "E-1001")
			r := e.do("GET", "/"+version+"/users/"+id, e.adminTok(), "")
			expect(t, r, http.StatusOK, "")
			eq(t, "user read back", r.json(t), want)

			// Sixteen characters, not bytes; spaces around are trimmed; null is none.
			for i, tc := range []struct{ sent, want string }{
				{`"` + strings.Repeat("ü", 16) + `"`, strings.Repeat("ü", 16)},
				{`"  E-7  "`, "E-7"},
				{`null`, ""},
				{`""`, ""},
			} {
				m := e.postUser(t, version, `{"userPrincipalName":"u`+strconv.Itoa(i)+`@contoso.com","displayName":"U","employeeId":`+tc.sent+`}`)
				id := str(t, m, "id")
				if tc.want == "" {
					eq(t, "employeeId of "+tc.sent, m["employeeId"], nil)
				} else {
					eq(t, "employeeId of "+tc.sent, m["employeeId"], tc.want)
				}
				eq(t, "stored employee id of "+tc.sent, e.storedEmployeeID(t, id), tc.want)
			}

			r = e.do("GET", "/"+version+"/users", e.adminTok(), "")
			expect(t, r, http.StatusOK, "")
			before := len(r.json(t)["value"].([]any))
			for _, tc := range []struct{ name, value, code string }{
				{"17 characters", `"` + strings.Repeat("1", 17) + `"`, "Request_BadRequest"},
				{"17 characters, multi-byte", `"` + strings.Repeat("ü", 17) + `"`, "Request_BadRequest"},
				{"a control character", `"E\u00001"`, "Request_BadRequest"},
				{"a tab", `"E\t1"`, "Request_BadRequest"},
				{"a number", `1001`, "BadRequest"},
				{"an object", `{"id":"E-1"}`, "BadRequest"},
			} {
				r := e.do("POST", "/"+version+"/users", e.adminTok(),
					`{"userPrincipalName":"refused@contoso.com","displayName":"R","employeeId":`+tc.value+`}`)
				msg := e.checkError(t, r, http.StatusBadRequest, tc.code, "")
				if !strings.Contains(msg, "employeeId") {
					t.Fatalf("%s: message %q does not name employeeId", tc.name, msg)
				}
			}
			r = e.do("GET", "/"+version+"/users", e.adminTok(), "")
			expect(t, r, http.StatusOK, "")
			if after := len(r.json(t)["value"].([]any)); after != before {
				t.Fatalf("refused creates stored users: %d users, want %d", after, before)
			}
		})
	}
}

func TestEmployeeIDUpdate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	now := e.clock.Now()
	id := str(t, e.postUser(t, "v1.0", `{"userPrincipalName":"ana@contoso.com","displayName":"Ana"}`), "id")
	get := func(version string) map[string]any {
		t.Helper()
		r := e.do("GET", "/"+version+"/users/"+id, e.adminTok(), "")
		expect(t, r, http.StatusOK, "")
		return withoutContext(r.json(t))
	}
	eq(t, "user without employee id", get("v1.0"), userJSON(id, "ana@contoso.com", "Ana", true, now))

	steps := []struct {
		name, body, code, want string // code: the error code of a refused change
	}{
		{"other property", `{"displayName":"Ana B"}`, "", ""},
		{"set", `{"employeeId":"E-1001"}`, "", "E-1001"},
		{"other property: kept", `{"accountEnabled":true}`, "", "E-1001"},
		{"changed", `{"employeeId":"0000000000000016"}`, "", "0000000000000016"},
		{"17 characters: refused, nothing changed", `{"employeeId":"00000000000000017","displayName":"Not Renamed"}`, "Request_BadRequest", "0000000000000016"},
		{"a number: refused", `{"employeeId":17}`, "BadRequest", "0000000000000016"},
		{"null clears", `{"employeeId":null}`, "", ""},
		{"set again", `{"employeeId":"E-2"}`, "", "E-2"},
		{"empty clears", `{"employeeId":""}`, "", ""},
	}
	for _, version := range []string{"v1.0", "beta"} {
		for _, st := range steps {
			r := e.do("PATCH", "/"+version+"/users/"+id, e.adminTok(), st.body)
			if st.code != "" {
				e.checkError(t, r, http.StatusBadRequest, st.code, "")
			} else {
				expect(t, r, http.StatusNoContent, "")
			}
			want := userJSON(id, "ana@contoso.com", "Ana B", true, now)
			if st.want != "" {
				want["employeeId"] = st.want
			}
			eq(t, version+" "+st.name, get(version), want)
			eq(t, version+" "+st.name+": stored", e.storedEmployeeID(t, id), st.want)
		}
	}
}

func TestEmployeeIDFilter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	now := e.clock.Now()
	made := map[string]map[string]any{}
	post := func(upn, employeeID string) string {
		body := `{"userPrincipalName":"` + upn + `","displayName":"U"}`
		if employeeID != "" {
			body = `{"userPrincipalName":"` + upn + `","displayName":"U","employeeId":"` + employeeID + `"}`
		}
		id := str(t, e.postUser(t, "v1.0", body), "id")
		made[id] = userJSON(id, upn, "U", true, now)
		if employeeID != "" {
			made[id]["employeeId"] = strings.ReplaceAll(employeeID, `\"`, `"`)
		}
		return id
	}
	a1 := post("a1@contoso.com", "E-1001")
	a2 := post("a2@contoso.com", "E-1001")
	b := post("b@contoso.com", "E-10011")
	c := post("c@contoso.com", "e-1001")
	q := post("q@contoso.com", `O'Brien \"1\"`)
	post("none@contoso.com", "")
	sorted := func(ids ...string) []string {
		out := append([]string(nil), ids...)
		for i := range out {
			for j := i + 1; j < len(out); j++ {
				if out[j] < out[i] {
					out[i], out[j] = out[j], out[i]
				}
			}
		}
		return out
	}
	list := func(version, filter string) []any {
		t.Helper()
		r := e.do("GET", "/"+version+"/users?$filter="+url.QueryEscape(filter), e.adminTok(), "")
		expect(t, r, http.StatusOK, "")
		l := r.json(t)
		hasKeys(t, l, "@odata.context", "value")
		eq(t, "@odata.context", l["@odata.context"], e.srv.URL+"/"+version+"/$metadata#users")
		return l["value"].([]any)
	}
	for _, version := range []string{"v1.0", "beta"} {
		for _, tc := range []struct {
			filter string
			want   []string
		}{
			{"employeeId eq 'E-1001'", sorted(a1, a2)},
			{"EMPLOYEEID EQ 'E-1001'", sorted(a1, a2)},
			{"  employeeId  eq  'E-1001'  ", sorted(a1, a2)},
			{"employeeId eq 'E-10011'", []string{b}},
			{"employeeId eq 'e-1001'", []string{c}},
			{`employeeId eq 'O''Brien "1"'`, []string{q}},
			{"employeeId eq 'E-100'", nil},
			{"employeeId eq 'E-%'", nil},
			{"employeeId eq ''", nil},
			{"employeeId eq 'nobody'", nil},
		} {
			got := list(version, tc.filter)
			want := []any{}
			for _, id := range tc.want {
				want = append(want, made[id])
			}
			eq(t, version+" $filter="+tc.filter, got, want)
		}
	}

	// Paging keeps the filter.
	path, seen := "/v1.0/users?$top=1&$filter="+url.QueryEscape("employeeId eq 'E-1001'"), []string{}
	for path != "" && len(seen) < 5 {
		r := e.do("GET", path, e.adminTok(), "")
		expect(t, r, http.StatusOK, "")
		l := r.json(t)
		for _, v := range l["value"].([]any) {
			seen = append(seen, v.(map[string]any)["id"].(string))
		}
		path = ""
		if next, ok := l["@odata.nextLink"].(string); ok {
			u, err := url.Parse(next)
			if err != nil {
				t.Fatal(err)
			}
			eq(t, "nextLink $filter", u.Query().Get("$filter"), "employeeId eq 'E-1001'")
			path = strings.TrimPrefix(next, e.srv.URL)
		}
	}
	eq(t, "users seen paging by employee id", seen, sorted(a1, a2))

	for _, filter := range []string{
		"employeeId ne 'E-1001'",
		"employeeId eq E-1001",
		"employeeId eq 'E-1001",
		"employeeId eq 'E-1001' and displayName eq 'U'",
		"employeeId in ('E-1001')",
		"startsWith(employeeId,'E')",
		"userPrincipalName eq 'a1@contoso.com'",
		"employeeId",
		"'E-1001'",
	} {
		r := e.do("GET", "/v1.0/users?$filter="+url.QueryEscape(filter), e.adminTok(), "")
		e.checkError(t, r, http.StatusBadRequest, "Request_UnsupportedQuery", "")
	}
}
