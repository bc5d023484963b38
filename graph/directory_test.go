package graph_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/qrpin/qrpin/auth"
)

// userJSON is a user as the API must show it (without @odata.context).
func userJSON(id, upn, name string, enabled bool, created time.Time) map[string]any {
	return map[string]any{"@odata.type": "#microsoft.graph.user", "id": id, "userPrincipalName": upn,
		"displayName": name, "accountEnabled": enabled, "employeeId": nil, "createdDateTime": rfc(created)}
}

// postUser creates a user through the API and returns the 201 body.
func (e *env) postUser(t *testing.T, version, body string) map[string]any {
	t.Helper()
	r := e.do("POST", "/"+version+"/users", e.adminTok(), body)
	expect(t, r, http.StatusCreated, "")
	return r.json(t)
}

func TestCreateUser(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"v1.0", "beta"} {
		t.Run(version, func(t *testing.T) {
			e := newEnv(t)
			e.clock.Advance(90*time.Minute + 250*time.Millisecond)
			now := e.clock.Now()
			m := e.postUser(t, version, `{"userPrincipalName":"Ana.Lopez@Contoso.com","displayName":"Ana López","mail":"ignored@contoso.com"}`)
			id := str(t, m, "id")
			isGUID(t, "id", id)
			want := userJSON(id, "Ana.Lopez@Contoso.com", "Ana López", true, now)
			want["@odata.context"] = e.srv.URL + "/" + version + "/$metadata#users/$entity"
			eq(t, "created user", m, want)

			m = e.postUser(t, version, `{"userPrincipalName":"  bo@contoso.com ","displayName":"Bo","accountEnabled":false,"id":"11111111-1111-1111-1111-111111111111"}`)
			if m["id"] == "11111111-1111-1111-1111-111111111111" {
				t.Fatal("the client chose the id")
			}
			eq(t, "userPrincipalName", m["userPrincipalName"], "bo@contoso.com")
			eq(t, "accountEnabled", m["accountEnabled"], false)

			tests := []struct{ name, body string }{
				{"UPN in use, other case", `{"userPrincipalName":"ana.lopez@contoso.COM","displayName":"Other Ana"}`},
				{"no @", `{"userPrincipalName":"ana.contoso.com","displayName":"A"}`},
				{"empty local part", `{"userPrincipalName":"@contoso.com","displayName":"A"}`},
				{"empty domain", `{"userPrincipalName":"ana@","displayName":"A"}`},
				{"space inside", `{"userPrincipalName":"ana lopez@contoso.com","displayName":"A"}`},
				{"two @", `{"userPrincipalName":"ana@lopez@contoso.com","displayName":"A"}`},
				{"non-ASCII", `{"userPrincipalName":"analó@contoso.com","displayName":"A"}`},
				{"too long", `{"userPrincipalName":"` + strings.Repeat("a", 110) + `@c.com","displayName":"A"}`},
				{"empty UPN", `{"userPrincipalName":"","displayName":"A"}`},
				{"no UPN", `{"displayName":"A"}`},
				{"no displayName", `{"userPrincipalName":"cy@contoso.com"}`},
				{"blank displayName", `{"userPrincipalName":"cy@contoso.com","displayName":"  "}`},
				{"displayName null", `{"userPrincipalName":"cy@contoso.com","displayName":null}`},
			}
			for _, tc := range tests {
				r := e.do("POST", "/"+version+"/users", e.adminTok(), tc.body)
				if r.status != http.StatusBadRequest || r.errCode(t) != "Request_BadRequest" {
					t.Fatalf("%s: got %d %s, want 400 Request_BadRequest", tc.name, r.status, r.body)
				}
				e.checkError(t, r, http.StatusBadRequest, "Request_BadRequest", "")
			}
			// Only the two users were created.
			r := e.do("GET", "/"+version+"/users", e.adminTok(), "")
			expect(t, r, http.StatusOK, "")
			if vs, _ := r.json(t)["value"].([]any); len(vs) != 2 {
				t.Fatalf("users after refused creates: %s", r.body)
			}
		})
	}
}

func TestGetUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	now := e.clock.Now()
	m := e.postUser(t, "v1.0", `{"userPrincipalName":"Ana.Lopez@contoso.com","displayName":"Ana"}`)
	id := str(t, m, "id")
	want := userJSON(id, "Ana.Lopez@contoso.com", "Ana", true, now)
	for _, path := range []string{
		"/v1.0/users/" + id,
		"/beta/users/" + strings.ToUpper(id),
		"/v1.0/users/Ana.Lopez@contoso.com",
		"/beta/users/ANA.LOPEZ@CONTOSO.COM",
		"/v1.0/users/ana.lopez%40contoso.com",
		"/v1.0/USERS/" + id + "/",
	} {
		r := e.do("GET", path, e.adminTok(), "")
		expect(t, r, http.StatusOK, "")
		want["@odata.context"] = e.srv.URL + "/" + path[1:strings.Index(path[1:], "/")+1] + "/$metadata#users/$entity"
		eq(t, path, r.json(t), want)
	}
	// /me with a delegated token.
	u := e.user("bo@contoso.com")
	r := e.do("GET", "/v1.0/me", e.userToken(u, "User.Read"), "")
	expect(t, r, http.StatusOK, "")
	want = userJSON(u.ID, u.UPN, u.DisplayName, true, u.Created)
	want["@odata.context"] = e.srv.URL + "/v1.0/$metadata#users/$entity"
	eq(t, "/me", r.json(t), want)

	for _, key := range []string{uuid.NewString(), "nobody@contoso.com", "not-an-id"} {
		e.checkError(t, e.do("GET", "/v1.0/users/"+key, e.adminTok(), ""), http.StatusNotFound, "Request_ResourceNotFound", "")
	}
}

// Paging with $top follows @odata.nextLink until it is absent and sees
// every user exactly once.
func TestListUsersPaging(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"v1.0", "beta"} {
		t.Run(version, func(t *testing.T) {
			e := newEnv(t)
			made := map[string]map[string]any{}
			for i := range 5 {
				m := e.postUser(t, version, fmt.Sprintf(`{"userPrincipalName":"user%d@contoso.com","displayName":"User %d"}`, i, i))
				made[str(t, m, "id")] = withoutContext(m)
			}
			seen := map[string]bool{}
			path, pages := "/"+version+"/users?$top=2", 0
			for path != "" {
				pages++
				if pages > 5 {
					t.Fatal("paging does not end")
				}
				r := e.do("GET", path, e.adminTok(), "")
				expect(t, r, http.StatusOK, "")
				l := r.json(t)
				eq(t, "@odata.context", l["@odata.context"], e.srv.URL+"/"+version+"/$metadata#users")
				vs, _ := l["value"].([]any)
				if len(vs) > 2 {
					t.Fatalf("page of %d users with $top=2", len(vs))
				}
				for _, v := range vs {
					u := v.(map[string]any)
					id := str(t, u, "id")
					if seen[id] {
						t.Fatalf("user %s seen twice", id)
					}
					seen[id] = true
					eq(t, "listed user", u, made[id])
				}
				path = ""
				if next, ok := l["@odata.nextLink"].(string); ok {
					hasKeys(t, l, "@odata.context", "@odata.nextLink", "value")
					if !strings.HasPrefix(next, e.srv.URL+"/"+version+"/users?") {
						t.Fatalf("nextLink %q", next)
					}
					path = strings.TrimPrefix(next, e.srv.URL)
				} else {
					hasKeys(t, l, "@odata.context", "value")
				}
			}
			if len(seen) != 5 || pages != 3 {
				t.Fatalf("saw %d users in %d pages, want 5 in 3", len(seen), pages)
			}
			// Without $top all fit in one page.
			r := e.do("GET", "/"+version+"/users", e.adminTok(), "")
			expect(t, r, http.StatusOK, "")
			l := r.json(t)
			hasKeys(t, l, "@odata.context", "value")
			if vs, _ := l["value"].([]any); len(vs) != 5 {
				t.Fatalf("unpaged list: %s", r.body)
			}
			expect(t, e.do("GET", "/"+version+"/users?$top=999", e.adminTok(), ""), http.StatusOK, "")
			for _, q := range []string{"$top=0", "$top=1000", "$top=abc", "$top=-1", "$top=2.5", "$skiptoken=%21%21"} {
				e.checkError(t, e.do("GET", "/"+version+"/users?"+q, e.adminTok(), ""), http.StatusBadRequest, "BadRequest", "")
			}
		})
	}
}

func TestUpdateUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	now := e.clock.Now()
	ana := e.postUser(t, "v1.0", `{"userPrincipalName":"ana@contoso.com","displayName":"Ana"}`)
	e.postUser(t, "v1.0", `{"userPrincipalName":"bo@contoso.com","displayName":"Bo"}`)
	id := str(t, ana, "id")
	get := func() resp {
		t.Helper()
		r := e.do("GET", "/v1.0/users/"+id, e.adminTok(), "")
		expect(t, r, http.StatusOK, "")
		return r
	}

	r := e.do("PATCH", "/v1.0/users/"+id, e.adminTok(), `{"displayName":"Ana López","accountEnabled":false}`)
	expect(t, r, http.StatusNoContent, "")
	emptyBody(t, r)
	want := userJSON(id, "ana@contoso.com", "Ana López", false, now)
	want["@odata.context"] = e.srv.URL + "/v1.0/$metadata#users/$entity"
	eq(t, "after PATCH", get().json(t), want)

	r = e.do("PATCH", "/beta/users/ANA@contoso.com", e.adminTok(), `{"userPrincipalName":"Ana.Lopez@contoso.com","accountEnabled":true}`)
	expect(t, r, http.StatusNoContent, "")
	want["userPrincipalName"], want["accountEnabled"] = "Ana.Lopez@contoso.com", true
	eq(t, "after UPN change", get().json(t), want)
	// Her own UPN in another case is no conflict.
	expect(t, e.do("PATCH", "/v1.0/users/"+id, e.adminTok(), `{"userPrincipalName":"ana.lopez@contoso.com"}`), http.StatusNoContent, "")
	want["userPrincipalName"] = "ana.lopez@contoso.com"
	eq(t, "after case change", get().json(t), want)
	// An empty PATCH changes nothing.
	expect(t, e.do("PATCH", "/v1.0/users/"+id, e.adminTok(), `{}`), http.StatusNoContent, "")
	before := get().body

	for _, tc := range []struct{ name, body string }{
		{"UPN in use", `{"userPrincipalName":"bo@contoso.com"}`},
		{"UPN in use, other case", `{"userPrincipalName":"BO@Contoso.com","displayName":"X"}`},
		{"invalid UPN", `{"userPrincipalName":"ana"}`},
		{"empty displayName", `{"displayName":""}`},
	} {
		r := e.do("PATCH", "/v1.0/users/"+id, e.adminTok(), tc.body)
		if r.status != http.StatusBadRequest || r.errCode(t) != "Request_BadRequest" {
			t.Fatalf("%s: got %d %s", tc.name, r.status, r.body)
		}
		e.checkError(t, r, http.StatusBadRequest, "Request_BadRequest", "")
		eq(t, tc.name+": user afterwards", string(get().body), string(before))
	}
	e.checkError(t, e.do("PATCH", "/v1.0/users/"+uuid.NewString(), e.adminTok(), `{"displayName":"X"}`),
		http.StatusNotFound, "Request_ResourceNotFound", "")
}

// Deleting a user removes their method and their group memberships.
func TestDeleteUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	now := e.clock.Now()
	ana := e.postUser(t, "v1.0", `{"userPrincipalName":"ana@contoso.com","displayName":"Ana"}`)
	bo := e.postUser(t, "v1.0", `{"userPrincipalName":"bo@contoso.com","displayName":"Bo"}`)
	id, boID := str(t, ana, "id"), str(t, bo, "id")
	g := e.group(t, "Pilot")
	for _, uid := range []string{id, boID} {
		expect(t, e.do("POST", "/v1.0/groups/"+g+"/members/$ref", e.adminTok(),
			`{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/`+uid+`"}`), http.StatusNoContent, "")
		expect(t, e.do("PUT", "/v1.0/users/"+uid+"/authentication/qrCodePinMethod", e.adminTok(),
			createBody(now, now.AddDate(0, 0, 30), pin1)), http.StatusCreated, "")
	}

	r := e.do("DELETE", "/v1.0/users/ANA@contoso.com", e.adminTok(), "")
	expect(t, r, http.StatusNoContent, "")
	emptyBody(t, r)
	for _, p := range []string{"/v1.0/users/" + id, "/v1.0/users/ana@contoso.com",
		"/v1.0/users/" + id + "/authentication/qrCodePinMethod", "/beta/users/" + id + "/authentication/qrCodePinMethod/pin",
		"/v1.0/users/" + id + "/authentication/methods"} {
		e.checkError(t, e.do("GET", p, e.adminTok(), ""), http.StatusNotFound, "Request_ResourceNotFound", "")
	}
	r = e.do("GET", "/v1.0/groups/"+g+"/members", e.adminTok(), "")
	expect(t, r, http.StatusOK, "")
	vs, _ := r.json(t)["value"].([]any)
	if len(vs) != 1 || vs[0].(map[string]any)["id"] != boID {
		t.Fatalf("members after delete: %s", r.body)
	}
	e.checkError(t, e.do("DELETE", "/v1.0/users/"+id, e.adminTok(), ""), http.StatusNotFound, "Request_ResourceNotFound", "")
	// The other user keeps everything.
	expect(t, e.do("GET", "/v1.0/users/"+boID+"/authentication/qrCodePinMethod", e.adminTok(), ""), http.StatusOK, "")
	// A new user may take the UPN, and has no method.
	n := e.postUser(t, "v1.0", `{"userPrincipalName":"ana@contoso.com","displayName":"Ana 2"}`)
	if n["id"] == id {
		t.Fatal("new user has the deleted user's id")
	}
	e.checkError(t, e.do("GET", "/v1.0/users/ana@contoso.com/authentication/qrCodePinMethod", e.adminTok(), ""), http.StatusNotFound, "itemNotFound", "")
}

// groupJSON is a group as the API must show it (without @odata.context).
func groupJSON(id, name string, description any, nickname string, created time.Time) map[string]any {
	return map[string]any{"@odata.type": "#microsoft.graph.group", "id": id, "displayName": name, "description": description,
		"mailNickname": nickname, "mailEnabled": false, "securityEnabled": true, "createdDateTime": rfc(created)}
}

func TestGroups(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"v1.0", "beta"} {
		t.Run(version, func(t *testing.T) {
			e := newEnv(t)
			now := e.clock.Now()
			base := "/" + version
			meta := e.srv.URL + base + "/$metadata#"

			r := e.do("POST", base+"/groups", e.adminTok(), `{"displayName":"QR pilot","description":"Badge users","mailNickname":"qrpilot","groupTypes":[]}`)
			expect(t, r, http.StatusCreated, "")
			g := r.json(t)
			gid := str(t, g, "id")
			isGUID(t, "group id", gid)
			want := groupJSON(gid, "QR pilot", "Badge users", "qrpilot", now)
			want["@odata.context"] = meta + "groups/$entity"
			eq(t, "created group", g, want)
			r = e.do("POST", base+"/groups", e.adminTok(), `{"displayName":"Other"}`)
			expect(t, r, http.StatusCreated, "")
			other := r.json(t)
			eq(t, "description of a group without one", other["description"], nil)
			for _, body := range []string{`{}`, `{"displayName":""}`, `{"displayName":"   "}`, `{"description":"x"}`} {
				e.checkError(t, e.do("POST", base+"/groups", e.adminTok(), body), http.StatusBadRequest, "Request_BadRequest", "")
			}

			r = e.do("GET", base+"/groups/"+gid, e.adminTok(), "")
			expect(t, r, http.StatusOK, "")
			eq(t, "GET group", r.json(t), want)
			r = e.do("GET", base+"/GROUPS/"+strings.ToUpper(gid), e.adminTok(), "")
			expect(t, r, http.StatusOK, "")
			eq(t, "GET group, upper case", r.json(t), want)

			r = e.do("GET", base+"/groups", e.adminTok(), "")
			expect(t, r, http.StatusOK, "")
			l := r.json(t)
			hasKeys(t, l, "@odata.context", "value")
			eq(t, "groups @odata.context", l["@odata.context"], meta+"groups")
			vs, _ := l["value"].([]any)
			if len(vs) != 2 {
				t.Fatalf("groups: %s", r.body)
			}
			for _, v := range vs {
				if v.(map[string]any)["id"] == gid {
					eq(t, "listed group", v, withoutContext(want))
				}
			}
			r = e.do("GET", base+"/groups?$top=1", e.adminTok(), "")
			expect(t, r, http.StatusOK, "")
			if _, ok := r.json(t)["@odata.nextLink"].(string); !ok {
				t.Fatalf("no nextLink with $top=1 over 2 groups: %s", r.body)
			}

			// Members.
			ana, bo := e.user("ana@contoso.com"), e.user("bo@contoso.com")
			ref := base + "/groups/" + gid + "/members/$ref"
			members := func() []any {
				t.Helper()
				r := e.do("GET", base+"/groups/"+gid+"/members", e.adminTok(), "")
				expect(t, r, http.StatusOK, "")
				l := r.json(t)
				hasKeys(t, l, "@odata.context", "value")
				eq(t, "members @odata.context", l["@odata.context"], meta+"directoryObjects")
				vs, _ := l["value"].([]any)
				return vs
			}
			eq(t, "members of a new group", members(), []any{})
			r = e.do("POST", ref, e.adminTok(), `{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/`+ana.ID+`"}`)
			expect(t, r, http.StatusNoContent, "")
			emptyBody(t, r)
			eq(t, "members", members(), []any{userJSON(ana.ID, ana.UPN, ana.DisplayName, true, ana.Created)})
			e.checkError(t, e.do("POST", ref, e.adminTok(), `{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/`+ana.ID+`"}`),
				http.StatusBadRequest, "Request_BadRequest", "")
			// Other reference forms.
			expect(t, e.do("POST", ref, e.adminTok(), `{"@odata.id":"`+e.srv.URL+base+`/directoryObjects('`+bo.ID+`')"}`), http.StatusNoContent, "")
			if got := members(); len(got) != 2 {
				t.Fatalf("members: %v", got)
			}
			e.checkError(t, e.do("POST", ref, e.adminTok(), `{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/`+uuid.NewString()+`"}`),
				http.StatusNotFound, "Request_ResourceNotFound", "")
			e.checkError(t, e.do("POST", ref, e.adminTok(), `{}`), http.StatusBadRequest, "BadRequest", "")
			e.checkError(t, e.do("POST", base+"/groups/"+uuid.NewString()+"/members/$ref", e.adminTok(),
				`{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/`+ana.ID+`"}`), http.StatusNotFound, "Request_ResourceNotFound", "")

			r = e.do("DELETE", base+"/groups/"+gid+"/members/"+ana.ID+"/$ref", e.adminTok(), "")
			expect(t, r, http.StatusNoContent, "")
			emptyBody(t, r)
			eq(t, "members after remove", members(), []any{userJSON(bo.ID, bo.UPN, bo.DisplayName, true, bo.Created)})
			e.checkError(t, e.do("DELETE", base+"/groups/"+gid+"/members/"+ana.ID+"/$ref", e.adminTok(), ""),
				http.StatusNotFound, "Request_ResourceNotFound", "")
			// A member can be named by UPN too, as when adding.
			expect(t, e.do("POST", ref, e.adminTok(), `{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/`+ana.ID+`"}`), http.StatusNoContent, "")
			expect(t, e.do("DELETE", base+"/groups/"+gid+"/members/"+strings.ToUpper(ana.UPN)+"/$ref", e.adminTok(), ""), http.StatusNoContent, "")
			eq(t, "members after remove by UPN", members(), []any{userJSON(bo.ID, bo.UPN, bo.DisplayName, true, bo.Created)})
			// ... or by $id, the form Graph SDKs send.
			expect(t, e.do("POST", ref, e.adminTok(), `{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/`+ana.ID+`"}`), http.StatusNoContent, "")
			expect(t, e.do("DELETE", ref+"?$id=https://graph.microsoft.com/v1.0/directoryObjects/"+ana.ID, e.adminTok(), ""), http.StatusNoContent, "")
			eq(t, "members after remove by $id", members(), []any{userJSON(bo.ID, bo.UPN, bo.DisplayName, true, bo.Created)})
			expect(t, e.do("POST", ref, e.adminTok(), `{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/`+ana.ID+`"}`), http.StatusNoContent, "")
			expect(t, e.do("DELETE", ref+"?%40id=https://graph.microsoft.com/v1.0/directoryObjects/"+ana.ID, e.adminTok(), ""), http.StatusNoContent, "")
			eq(t, "members after remove by @id", members(), []any{userJSON(bo.ID, bo.UPN, bo.DisplayName, true, bo.Created)})
			e.checkError(t, e.do("DELETE", ref, e.adminTok(), ""), http.StatusBadRequest, "BadRequest", "")

			// Deleting the group.
			r = e.do("DELETE", base+"/groups/"+gid, e.adminTok(), "")
			expect(t, r, http.StatusNoContent, "")
			emptyBody(t, r)
			for _, p := range []string{base + "/groups/" + gid, base + "/groups/" + gid + "/members"} {
				e.checkError(t, e.do("GET", p, e.adminTok(), ""), http.StatusNotFound, "Request_ResourceNotFound", "")
			}
			e.checkError(t, e.do("DELETE", base+"/groups/"+gid, e.adminTok(), ""), http.StatusNotFound, "Request_ResourceNotFound", "")
			r = e.do("GET", base+"/groups", e.adminTok(), "")
			expect(t, r, http.StatusOK, "")
			if vs, _ := r.json(t)["value"].([]any); len(vs) != 1 || vs[0].(map[string]any)["id"] != other["id"] {
				t.Fatalf("groups after delete: %s", r.body)
			}
			// The members are still users.
			expect(t, e.do("GET", base+"/users/"+bo.ID, e.adminTok(), ""), http.StatusOK, "")
		})
	}
}

// A delegated Global Administrator manages the directory too.
func TestDirectoryDelegatedAdmin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.user("admin@contoso.com", auth.GlobalAdministrator)
	tok := e.userToken(admin, "User.ReadWrite.All", "Group.ReadWrite.All")
	r := e.do("POST", "/v1.0/users", tok, `{"userPrincipalName":"cy@contoso.com","displayName":"Cy"}`)
	expect(t, r, http.StatusCreated, "")
	id := str(t, r.json(t), "id")
	r = e.do("POST", "/v1.0/groups", tok, `{"displayName":"G"}`)
	expect(t, r, http.StatusCreated, "")
	gid := str(t, r.json(t), "id")
	body, _ := json.Marshal(map[string]string{"@odata.id": "https://graph.microsoft.com/v1.0/users/" + url.PathEscape(id)})
	expect(t, e.do("POST", "/v1.0/groups/"+gid+"/members/$ref", tok, string(body)), http.StatusNoContent, "")
	expect(t, e.do("DELETE", "/v1.0/users/"+id, tok, ""), http.StatusNoContent, "")
	r = e.do("GET", "/v1.0/groups/"+gid+"/members", tok, "")
	expect(t, r, http.StatusOK, "")
	eq(t, "members", r.json(t)["value"], []any{})
}

// TestUserPrincipalNameRule: one rule on create and update, as Entra's: no
// '.' at the start or end of the local part or twice in a row, no empty
// domain label, no label starting or ending with '-'. Refused names are
// 400 Request_BadRequest with Graph's message and change nothing.
func TestUserPrincipalNameRule(t *testing.T) {
	t.Parallel()
	const msg = "Invalid value specified for property 'userPrincipalName' of resource 'User'."
	bad := []string{"a..b@x.example", ".a@x.example", "a.@x.example", "a@-x.example", "a@x-.example",
		"a@x..example", "a@.x", "a@x.", "a@x.-example", "a@x.example-"}
	good := []string{"a.b@x.example", "o'neil_2#^~!@x-y.example", "a@x", "a1@x1-2.example"}
	for _, v := range []string{"v1.0", "beta"} {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			ana := e.user("ana@contoso.com")
			for _, upn := range bad {
				for what, r := range map[string]resp{
					"create": e.do("POST", "/"+v+"/users", e.adminTok(), `{"userPrincipalName":"`+upn+`","displayName":"A"}`),
					"update": e.do("PATCH", "/"+v+"/users/"+ana.ID, e.adminTok(), `{"userPrincipalName":"`+upn+`"}`),
				} {
					if r.status != http.StatusBadRequest || r.errCode(t) != "Request_BadRequest" {
						t.Errorf("%s %q: %d %s, want 400 Request_BadRequest", what, upn, r.status, r.body)
						continue
					}
					eq(t, what+" "+upn+": message", str(t, obj(t, r.json(t), "error"), "message"), msg)
				}
				expect(t, e.do("GET", "/"+v+"/users/"+url.PathEscape(upn), e.adminTok(), ""), http.StatusNotFound, "Request_ResourceNotFound")
			}
			r := e.do("GET", "/"+v+"/users/"+ana.ID, e.adminTok(), "")
			eq(t, "ana's UPN after refused updates", str(t, r.json(t), "userPrincipalName"), "ana@contoso.com")
			for _, upn := range good {
				e.postUser(t, v, `{"userPrincipalName":"`+upn+`","displayName":"A"}`)
			}
		})
	}
}
