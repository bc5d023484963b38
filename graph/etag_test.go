package graph_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestNoETags (issue 13, item 7): Graph's pages for these resources
// (the QR code + PIN method, the policy, users, groups, the logs and the
// reports) document no ETag and no If-Match request header, and their
// examples carry no @odata.etag, though the generated clients advertise
// If-Match on DELETE. qrpin sends none and ignores If-Match and
// If-None-Match, as Entra does.
func TestNoETags(t *testing.T) {
	t.Parallel()
	e := newReportsEnv(t)
	admin := e.adminTok()
	stale := http.Header{"If-Match": {`W/"not-the-etag"`}, "If-None-Match": {"*"}}
	for _, p := range []string{
		"/v1.0/users/" + e.ana + "/authentication/qrCodePinMethod",
		"/beta/users/" + e.ana + "/authentication/methods",
		"/v1.0" + policyPath,
		"/v1.0/policies/authenticationMethodsPolicy",
		"/v1.0/users/" + e.ana,
		"/v1.0/users",
	} {
		r := e.doWith("GET", p, admin, "", stale)
		expect(t, r, http.StatusOK, "")
		if r.header.Get("ETag") != "" || strings.Contains(string(r.body), "@odata.etag") {
			t.Fatalf("%s: an ETag in %v %s", p, r.header, r.body)
		}
	}
	r := e.doWith("PATCH", "/v1.0"+policyPath, admin,
		`{"@odata.type":"#microsoft.graph.qrCodePinAuthenticationMethodConfiguration","state":"enabled"}`, stale)
	expect(t, r, http.StatusOK, "")
	eq(t, "state after a PATCH with a stale If-Match", r.json(t)["state"], "enabled")
	expect(t, e.doWith("DELETE", "/v1.0/users/"+e.ana+"/authentication/qrCodePinMethod", admin, "", stale), http.StatusNoContent, "")
	expect(t, e.do("GET", "/v1.0/users/"+e.ana+"/authentication/qrCodePinMethod", admin, ""), http.StatusNotFound, "itemNotFound")
}
