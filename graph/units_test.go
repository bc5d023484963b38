package graph_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
)

const auPath = "/directory/administrativeUnits"

// auAdmin is an application that manages units and role assignments.
func (e *env) auAdmin() string {
	return e.appToken("AdministrativeUnit.ReadWrite.All", "RoleManagement.ReadWrite.Directory")
}

func TestUnitShapes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.auAdmin()
	for _, version := range []string{"v1.0", "beta"} {
		t.Run(version, func(t *testing.T) {
			base := "/" + version + auPath
			r := e.do("POST", base, tok, `{"displayName":"Store 12","description":"North","visibility":"HiddenMembership"}`)
			expect(t, r, http.StatusCreated, "")
			u := r.json(t)
			id, _ := u["id"].(string)
			want := map[string]any{
				"@odata.context":  e.srv.URL + "/" + version + "/$metadata#directory/administrativeUnits/$entity",
				"@odata.type":     "#microsoft.graph.administrativeUnit",
				"id":              id,
				"deletedDateTime": nil,
				"displayName":     "Store 12",
				"description":     "North",
				"visibility":      "HiddenMembership",
			}
			rlEq(t, "created unit", u, want)
			if _, err := e.store.GetUnit(context.Background(), id); err != nil {
				t.Fatalf("the unit is not stored: %v", err)
			}

			r = e.do("GET", base+"/"+id, tok, "")
			expect(t, r, http.StatusOK, "")
			rlEq(t, "unit", r.json(t), want)

			// PATCH: 204; null clears description and visibility.
			r = e.do("PATCH", base+"/"+id, tok, `{"description":null,"visibility":null}`)
			expect(t, r, http.StatusNoContent, "")
			got := e.do("GET", base+"/"+id, tok, "").json(t)
			want["description"], want["visibility"] = nil, nil
			rlEq(t, "unit after PATCH", got, want)

			// "Public", Graph's default, in any case: stored as the default.
			r = e.do("POST", base, tok, `{"displayName":"Store 13","visibility":"public"}`)
			expect(t, r, http.StatusCreated, "")
			rlEq(t, "visibility of a public unit", r.json(t)["visibility"], nil)

			r = e.do("GET", base, tok, "")
			expect(t, r, http.StatusOK, "")
			rlEq(t, "list context", r.json(t)["@odata.context"], e.srv.URL+"/"+version+"/$metadata#directory/administrativeUnits")
			found := false
			for _, v := range rlValues(t, r) {
				if v["id"] == id {
					found = true
					delete(want, "@odata.context")
					rlEq(t, "listed unit", v, want)
				}
			}
			if !found {
				t.Errorf("the unit is not listed: %s", r.body)
			}

			expect(t, e.do("DELETE", base+"/"+id, tok, ""), http.StatusNoContent, "")
			expect(t, e.do("GET", base+"/"+id, tok, ""), http.StatusNotFound, "Request_ResourceNotFound")
			expect(t, e.do("DELETE", base+"/"+id, tok, ""), http.StatusNotFound, "Request_ResourceNotFound")
			expect(t, e.do("PATCH", base+"/"+id, tok, `{"description":"x"}`), http.StatusNotFound, "Request_ResourceNotFound")
		})
	}
}

func TestUnitBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.auAdmin()
	id := e.do("POST", "/v1.0"+auPath, tok, `{"displayName":"Store 1"}`).json(t)["id"].(string)
	for _, tc := range []struct {
		name, verb, path, body string
		status                 int
		code                   string
	}{
		{"no body", "POST", auPath, "", 400, "BadRequest"},
		{"no displayName", "POST", auPath, `{"description":"x"}`, 400, "Request_BadRequest"},
		{"displayName a number", "POST", auPath, `{"displayName":12}`, 400, "BadRequest"},
		{"unknown visibility", "POST", auPath, `{"displayName":"a","visibility":"Secret"}`, 400, "Request_BadRequest"},
		{"malformed JSON", "POST", auPath, `{"displayName":"a",}`, 400, "BadRequest"},
		{"PATCH to an empty name", "PATCH", auPath + "/" + id, `{"displayName":""}`, 400, "Request_BadRequest"},
		{"member body without @odata.id", "POST", auPath + "/" + id + "/members/$ref", `{"id":"x"}`, 400, "BadRequest"},
		{"member that does not exist", "POST", auPath + "/" + id + "/members/$ref", `{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/8a2bd5a7-8a1c-4b1e-9d4e-2f5b9b1d7c11"}`, 404, "Request_ResourceNotFound"},
		{"remove without naming the member", "DELETE", auPath + "/" + id + "/members/$ref", "", 400, "BadRequest"},
		{"remove a non-member", "DELETE", auPath + "/" + id + "/members/8a2bd5a7-8a1c-4b1e-9d4e-2f5b9b1d7c11/$ref", "", 404, "Request_ResourceNotFound"},
		{"members of a missing unit", "GET", auPath + "/8a2bd5a7-8a1c-4b1e-9d4e-2f5b9b1d7c11/members", "", 404, "Request_ResourceNotFound"},
		{"member references of a missing unit", "GET", auPath + "/8a2bd5a7-8a1c-4b1e-9d4e-2f5b9b1d7c11/members/$ref", "", 404, "Request_ResourceNotFound"},
		{"bad $top", "GET", auPath + "?$top=0", "", 400, "BadRequest"},
		{"PUT is not a verb of units", "PUT", auPath + "/" + id, `{}`, 405, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := dumpStore(t, e)
			r := e.do(tc.verb, "/v1.0"+tc.path, tok, tc.body)
			expect(t, r, tc.status, tc.code)
			if after := dumpStore(t, e); after != before {
				t.Errorf("a refused request changed the store")
			}
		})
	}
}

func TestUnitMembersGraph(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.auAdmin()
	ann := e.user("ann@contoso.com")
	groupID := e.do("POST", "/v1.0/groups", e.admin(), `{"displayName":"Night shift"}`).json(t)["id"].(string)
	id := e.do("POST", "/v1.0"+auPath, tok, `{"displayName":"Store 1"}`).json(t)["id"].(string)
	members := "/v1.0" + auPath + "/" + id + "/members"
	// The forms Graph's documentation and SDKs send.
	expect(t, e.do("POST", members+"/$ref", tok, `{"@odata.id":"https://graph.microsoft.com/v1.0/users/`+ann.ID+`"}`), http.StatusNoContent, "")
	expect(t, e.do("POST", members+"/$ref", tok, `{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects('`+groupID+`')"}`), http.StatusNoContent, "")
	expect(t, e.do("POST", members+"/$ref", tok, `{"@odata.id":"https://graph.microsoft.com/v1.0/groups/`+groupID+`"}`), http.StatusBadRequest, "Request_BadRequest")

	r := e.do("GET", members, tok, "")
	expect(t, r, http.StatusOK, "")
	rlEq(t, "context", r.json(t)["@odata.context"], e.srv.URL+"/v1.0/$metadata#directoryObjects")
	types := map[string]any{}
	for _, v := range rlValues(t, r) {
		types[v["id"].(string)] = v["@odata.type"]
	}
	rlEq(t, "member types", types, map[string]any{ann.ID: "#microsoft.graph.user", groupID: "#microsoft.graph.group"})

	// members/$ref: the same members, id-ordered, as references.
	ref := func(id string) any { return map[string]any{"@odata.id": e.srv.URL + "/v1.0/directoryObjects/" + id} }
	first, second := ann.ID, groupID
	if second < first {
		first, second = second, first
	}
	r = e.do("GET", members+"/$ref", tok, "")
	expect(t, r, http.StatusOK, "")
	rlEq(t, "member references", r.json(t), map[string]any{
		"@odata.context": e.srv.URL + "/v1.0/$metadata#Collection($ref)",
		"value":          []any{ref(first), ref(second)},
	})
	r = e.do("GET", members+"/$ref?$top=1", tok, "")
	expect(t, r, http.StatusOK, "")
	refPage := r.json(t)
	rlEq(t, "first page of references", refPage["value"], []any{ref(first)})
	next, _ := refPage["@odata.nextLink"].(string)
	u, err := url.Parse(next)
	if err != nil || !strings.HasSuffix(u.Path, "/members/$ref") {
		t.Fatalf("next link of references %q (%v)", next, err)
	}
	rlEq(t, "second page of references", e.do("GET", u.RequestURI(), tok, "").json(t)["value"], []any{ref(second)})

	// Paging: one member a page, with a next link that keeps the query.
	r = e.do("GET", members+"?$top=1", tok, "")
	expect(t, r, http.StatusOK, "")
	next, _ = r.json(t)["@odata.nextLink"].(string)
	if next == "" {
		t.Fatalf("no next link: %s", r.body)
	}
	u, err = url.Parse(next)
	if err != nil {
		t.Fatal(err)
	}
	r2 := e.do("GET", u.RequestURI(), tok, "")
	expect(t, r2, http.StatusOK, "")
	if len(rlValues(t, r2)) != 1 || rlValues(t, r2)[0]["id"] == rlValues(t, r)[0]["id"] {
		t.Errorf("second page %s after %s", r2.body, r.body)
	}

	expect(t, e.do("DELETE", members+"/"+ann.ID+"/$ref", tok, ""), http.StatusNoContent, "")
	expect(t, e.do("DELETE", members+"/$ref?$id=https://graph.microsoft.com/v1.0/directoryObjects/"+groupID, tok, ""), http.StatusNoContent, "")
	if ms := rlValues(t, e.do("GET", members, tok, "")); len(ms) != 0 {
		t.Errorf("members after removing both: %v", ms)
	}
}

// TestScopedAssignmentGraph: a role assignment scoped to a unit, through
// Graph, lets its holder manage the unit's members' methods, and nobody
// else's, with the same token (scoped roles are not in wids).
func TestScopedAssignmentGraph(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.auAdmin()
	unitID := e.do("POST", "/v1.0"+auPath, tok, `{"displayName":"Store 1"}`).json(t)["id"].(string)
	lead, member, outsider := e.user("lead@contoso.com"), e.user("member@contoso.com"), e.user("outsider@contoso.com")
	ctx := context.Background()
	locked := method.Lockout{Failures: 7, LockedUntil: e.clock.Now().Add(time.Hour)}
	for _, u := range []store.User{member, outsider} {
		if err := e.store.CreateMethod(ctx, method.Method{ID: u.ID + "-m", UserID: u.ID, Created: e.clock.Now(),
			PIN:     method.PIN{Hash: "x", Length: 8, Created: e.clock.Now(), Updated: e.clock.Now()},
			Lockout: locked}); err != nil {
			t.Fatal(err)
		}
	}
	expect(t, e.do("POST", "/v1.0"+auPath+"/"+unitID+"/members/$ref", tok, `{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/`+member.ID+`"}`), http.StatusNoContent, "")
	leadTok := e.userToken(lead, "UserAuthenticationMethod.ReadWrite.All")
	unlock := func(u store.User) resp {
		return e.do("POST", "/beta/users/"+u.ID+"/authentication/qrCodePinMethod/pin/unlock", leadTok, "")
	}
	expect(t, unlock(member), http.StatusForbidden, "accessDenied")

	scope := "/administrativeUnits/" + unitID
	body := fmt.Sprintf(`{"principalId":%q,"roleDefinitionId":%q,"directoryScopeId":%q}`, lead.ID, auth.AuthenticationAdministrator, scope)
	r := e.do("POST", "/v1.0"+rlAssigns, tok, body)
	expect(t, r, http.StatusCreated, "")
	a := r.json(t)
	rlEq(t, "directoryScopeId", a["directoryScopeId"], scope)
	got := e.do("GET", "/v1.0"+rlAssigns+"/"+a["id"].(string), tok, "").json(t)
	rlEq(t, "directoryScopeId read back", got["directoryScopeId"], scope)

	// Listed by scope, and not among the tenant-wide ones.
	byScope := func(scope string) []map[string]any {
		t.Helper()
		r := e.do("GET", "/v1.0"+rlAssigns+"?$filter="+url.QueryEscape("directoryScopeId eq '"+scope+"'"), tok, "")
		expect(t, r, http.StatusOK, "")
		return rlValues(t, r)
	}
	if got := byScope(scope); len(got) != 1 || got[0]["id"] != a["id"] {
		t.Errorf("assignments over the unit: %v", got)
	}
	for _, v := range byScope("/") {
		if v["id"] == a["id"] {
			t.Errorf("the scoped assignment is listed over the tenant: %v", v)
		}
	}

	expect(t, unlock(member), http.StatusNoContent, "")
	m, err := e.store.GetMethod(ctx, member.ID)
	if err != nil {
		t.Fatal(err)
	}
	if m.Lockout != (method.Lockout{}) {
		t.Errorf("member's lockout after unlock: %+v", m.Lockout)
	}
	expect(t, unlock(outsider), http.StatusForbidden, "accessDenied")
	if m, _ := e.store.GetMethod(ctx, outsider.ID); !m.Lockout.LockedUntil.Equal(locked.LockedUntil) || m.Lockout.Failures != locked.Failures {
		t.Error("the outsider's PIN was unlocked")
	}
	// The tenant's policy is out of the unit's scope, even for the role
	// that manages it tenant-wide. (qrpin assigns no such role over a unit
	// through the API: the store gets it directly.)
	if err := e.store.CreateRoleAssignment(ctx, store.RoleAssignment{ID: uuid.NewString(), PrincipalID: lead.ID,
		RoleDefinitionID: auth.AuthenticationPolicyAdministrator, UnitID: unitID}); err != nil {
		t.Fatal(err)
	}
	policyTok := e.userToken(lead, "Policy.ReadWrite.AuthenticationMethod")
	expect(t, e.do("GET", "/v1.0/"+azPolicyPath, policyTok, ""), http.StatusForbidden, "accessDenied")
	expect(t, e.do("PATCH", "/v1.0/"+azPolicyPath, policyTok, `{"state":"disabled"}`), http.StatusForbidden, "accessDenied")

	for _, tc := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"a role qrpin does not scope", fmt.Sprintf(`{"principalId":%q,"roleDefinitionId":%q,"directoryScopeId":%q}`, lead.ID, auth.GlobalAdministrator, scope), 400, "Request_BadRequest"},
		{"a missing unit", fmt.Sprintf(`{"principalId":%q,"roleDefinitionId":%q,"directoryScopeId":"/administrativeUnits/8a2bd5a7-8a1c-4b1e-9d4e-2f5b9b1d7c11"}`, lead.ID, auth.AuthenticationAdministrator), 404, "Request_ResourceNotFound"},
		{"the same role over the same unit", body, 400, "Request_BadRequest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expect(t, e.do("POST", "/v1.0"+rlAssigns, tok, tc.body), tc.status, tc.code)
		})
	}
}

func TestUnlockPINGraph(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.user("admin@contoso.com", auth.AuthenticationAdministrator)
	tok := e.userToken(admin, "UserAuthenticationMethod.ReadWrite.All")
	worker, bare, spent := e.user("worker@contoso.com"), e.user("bare@contoso.com"), e.user("spent@contoso.com")
	ctx := context.Background()
	locked := method.Lockout{Failures: 7, LockedUntil: e.clock.Now().Add(time.Hour)}
	pinBefore := method.PIN{Hash: "h", Length: 8, Created: e.clock.Now(), Updated: e.clock.Now()}
	if err := e.store.CreateMethod(ctx, method.Method{ID: "m1", UserID: worker.ID, Created: e.clock.Now(), PIN: pinBefore, Lockout: locked}); err != nil {
		t.Fatal(err)
	}
	// A PIN disabled after too many wrong PINs stays so until a reset (D16).
	disabled := method.Lockout{Failures: 100, Disabled: true}
	if err := e.store.CreateMethod(ctx, method.Method{ID: "m2", UserID: spent.ID, Created: e.clock.Now(), PIN: pinBefore, Lockout: disabled}); err != nil {
		t.Fatal(err)
	}
	path := func(u string) string { return "/v1.0/users/" + u + "/authentication/qrCodePinMethod/pin/unlock" }
	for _, tc := range []struct {
		name, verb, path, body string
		status                 int
		code                   string
	}{
		{"by UPN, an empty object", "POST", path(worker.UPN), `{}`, 204, ""},
		{"again: not locked is no error", "POST", path(worker.ID), "", 204, ""},
		{"no method", "POST", path(bare.ID), "", 404, "itemNotFound"},
		{"a disabled PIN: reset it instead", "POST", path(spent.ID), "", 400, "pinDisabled"},
		{"no such user", "POST", path("8a2bd5a7-8a1c-4b1e-9d4e-2f5b9b1d7c11"), "", 404, "Request_ResourceNotFound"},
		{"a body that is no JSON", "POST", path(worker.ID), `{x`, 400, "BadRequest"},
		{"GET is no verb of unlock", "GET", path(worker.ID), "", 405, ""},
		{"a plain user on /me", "POST", "/beta/me/authentication/qrCodePinMethod/pin/unlock", "", 403, "accessDenied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			token := tok
			if tc.name == "a plain user on /me" {
				token = e.userToken(worker, "UserAuthenticationMethod.ReadWrite")
			}
			r := e.do(tc.verb, tc.path, token, tc.body)
			expect(t, r, tc.status, tc.code)
			if tc.status == http.StatusNoContent && len(r.body) != 0 {
				t.Errorf("204 with a body: %s", r.body)
			}
		})
	}
	m, err := e.store.GetMethod(ctx, worker.ID)
	if err != nil {
		t.Fatal(err)
	}
	if m.Lockout != (method.Lockout{}) || m.PIN != pinBefore {
		t.Errorf("after unlock: lockout %+v, PIN %+v; want no lockout and the PIN kept", m.Lockout, m.PIN)
	}
	if m, err := e.store.GetMethod(ctx, spent.ID); err != nil || m.Lockout != disabled {
		t.Errorf("a refused unlock left lockout %+v (%v), want %+v", m.Lockout, err, disabled)
	}
	audits, err := e.store.ListDirectoryAudits(ctx, store.AuditFilter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range audits {
		if a.Activity == "Unlock QR code PIN" {
			n++
			if a.InitiatorID != admin.ID || len(a.Targets) != 1 || a.Targets[0].ID != worker.ID {
				t.Errorf("audit entry %+v", a)
			}
		}
	}
	if n != 2 {
		t.Errorf("%d unlock audit entries, want 2 (one per success)", n)
	}
}
