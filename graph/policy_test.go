package graph_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/qrpin/qrpin/auth"
)

const policyPath = "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/qrCodePin"

const policyType = "#microsoft.graph.qrCodePinAuthenticationMethodConfiguration"

// policyPaths are the policy's path in both versions and other casings.
var policyPaths = []struct{ version, path string }{
	{"v1.0", "/v1.0" + policyPath},
	{"beta", "/beta" + policyPath},
	{"beta", "/beta/policies/authenticationmethodspolicy/authenticationmethodconfigurations/qrcodepin"},
	{"v1.0", "/v1.0/Policies/AuthenticationMethodsPolicy/AuthenticationMethodConfigurations/QRCodePin"},
}

// policyJSON is the policy as the API must show it in version.
func (e *env) policyJSON(version, state string, pinLength, days int, include, exclude []any) map[string]any {
	meta := e.srv.URL + "/" + version + "/$metadata#"
	id := "qrCodePin" // v1.0's documentation; beta's says the id is "always QRCodePin"
	if version == "beta" {
		id = "QRCodePin"
	}
	return map[string]any{
		"@odata.context":               meta + "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/$entity",
		"@odata.type":                  policyType,
		"id":                           id,
		"state":                        state,
		"pinLength":                    float64(pinLength),
		"standardQRCodeLifetimeInDays": float64(days),
		"includeTargets@odata.context": meta + "policies/authenticationMethodsPolicy/authenticationMethodConfigurations('" + id + "')/microsoft.graph.qrCodePinAuthenticationMethodConfiguration/includeTargets",
		"includeTargets":               include,
		"excludeTargets":               exclude,
	}
}

func (e *env) defaultPolicy(version string) map[string]any {
	return e.policyJSON(version, "disabled", 8, 365, []any{includeTarget("group", "all_users", false)}, []any{})
}

func includeTarget(typ, id string, required bool) map[string]any {
	return map[string]any{"targetType": typ, "id": id, "isRegistrationRequired": required}
}

func excludeTarget(typ, id string) map[string]any {
	return map[string]any{"targetType": typ, "id": id}
}

// getPolicy reads the policy at path and returns the response.
func (e *env) getPolicy(t *testing.T, path string) resp {
	t.Helper()
	r := e.do("GET", path, e.adminTok(), "")
	expect(t, r, http.StatusOK, "")
	return r
}

func TestPolicyDefaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, p := range policyPaths {
		r := e.getPolicy(t, p.path)
		eq(t, p.path, r.json(t), e.defaultPolicy(p.version))
	}
}

func TestPolicyPatch(t *testing.T) {
	t.Parallel()
	for _, p := range policyPaths {
		t.Run(p.path, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			g := e.group(t, "QR pilot")
			x := e.user("excluded@contoso.com")
			r := e.do("PATCH", p.path, e.adminTok(), fmt.Sprintf(`{"@odata.type":%q,"state":"enabled","pinLength":10,
				"standardQRCodeLifetimeInDays":200,
				"includeTargets":[{"targetType":"group","id":%q,"isRegistrationRequired":true}],
				"excludeTargets":[{"targetType":"user","id":%q}]}`, policyType, g, x.ID))
			expect(t, r, http.StatusOK, "")
			want := e.policyJSON(p.version, "enabled", 10, 200,
				[]any{includeTarget("group", g, true)}, []any{excludeTarget("user", x.ID)})
			eq(t, "PATCH response", r.json(t), want)
			eq(t, "GET after PATCH", e.getPolicy(t, p.path).json(t), want)

			// A partial PATCH changes only what it names; '#' is optional in @odata.type.
			r = e.do("PATCH", p.path, e.adminTok(), `{"@odata.type":"microsoft.graph.qrCodePinAuthenticationMethodConfiguration","pinLength":12}`)
			expect(t, r, http.StatusOK, "")
			want["pinLength"] = float64(12)
			eq(t, "partial PATCH response", r.json(t), want)
			r = e.do("PATCH", p.path, e.adminTok(), `{"@odata.type":"`+policyType+`","excludeTargets":[],"state":"disabled"}`)
			expect(t, r, http.StatusOK, "")
			want["excludeTargets"], want["state"] = []any{}, "disabled"
			eq(t, "partial PATCH response", r.json(t), want)
			eq(t, "GET after partial PATCH", e.getPolicy(t, p.path).json(t), want)

			// Unknown properties and a read-only id are ignored.
			r = e.do("PATCH", p.path, e.adminTok(), `{"@odata.type":"`+policyType+`","id":"other","isUsable":true,"standardQRCodeLifetimeInDays":1}`)
			expect(t, r, http.StatusOK, "")
			want["standardQRCodeLifetimeInDays"] = float64(1)
			eq(t, "PATCH with unknown properties", r.json(t), want)

			// DELETE restores the defaults.
			r = e.do("DELETE", p.path, e.adminTok(), "")
			expect(t, r, http.StatusNoContent, "")
			emptyBody(t, r)
			eq(t, "GET after DELETE", e.getPolicy(t, p.path).json(t), e.defaultPolicy(p.version))
			expect(t, e.do("DELETE", p.path, e.adminTok(), ""), http.StatusNoContent, "")
			eq(t, "GET after second DELETE", e.getPolicy(t, p.path).json(t), e.defaultPolicy(p.version))
		})
	}
}

// The limits of each field are accepted.
func TestPolicyLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	g, u := e.group(t, "QR pilot"), e.user("pilot@contoso.com")
	tests := []struct {
		body    string
		state   string
		pinLen  int
		days    int
		include []any
		exclude []any
	}{
		{`"pinLength":8,"standardQRCodeLifetimeInDays":1`, "disabled", 8, 1, nil, nil},
		{`"pinLength":20,"standardQRCodeLifetimeInDays":395,"state":"enabled"`, "enabled", 20, 395, nil, nil},
		{`"includeTargets":[{"targetType":"user","id":"` + u.ID + `"},{"targetType":"group","id":"` + g + `"}]`, "enabled", 20, 395,
			[]any{includeTarget("user", u.ID, false), includeTarget("group", g, false)}, nil},
		{`"includeTargets":[],"excludeTargets":[{"targetType":"group","id":"` + g + `"}]`, "enabled", 20, 395, []any{},
			[]any{excludeTarget("group", g)}},
		// Object ids in upper case name the same objects.
		{`"includeTargets":[{"targetType":"group","id":"` + strings.ToUpper(g) + `"}],"excludeTargets":[{"targetType":"user","id":"` + strings.ToUpper(u.ID) + `"}]`,
			"enabled", 20, 395, []any{includeTarget("group", g, false)}, []any{excludeTarget("user", u.ID)}},
	}
	include, exclude := []any{includeTarget("group", "all_users", false)}, []any{}
	for _, tc := range tests {
		r := e.do("PATCH", "/v1.0"+policyPath, e.adminTok(), `{"@odata.type":"`+policyType+`",`+tc.body+`}`)
		expect(t, r, http.StatusOK, "")
		if tc.include != nil {
			include = tc.include
		}
		if tc.exclude != nil {
			exclude = tc.exclude
		}
		want := e.policyJSON("v1.0", tc.state, tc.pinLen, tc.days, include, exclude)
		eq(t, tc.body, r.json(t), want)
		eq(t, tc.body+" (GET)", e.getPolicy(t, "/v1.0"+policyPath).json(t), want)
	}
}

// Every refused PATCH leaves the policy as it was.
func TestPolicyPatchErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	g := e.group(t, "QR pilot")
	e.setPolicy(t, `"state":"enabled","pinLength":9,"includeTargets":[{"targetType":"group","id":"`+g+`"}]`)
	before := e.getPolicy(t, "/v1.0"+policyPath).body
	typ := `"@odata.type":"` + policyType + `",`
	tests := []struct{ name, body string }{
		{"no @odata.type", `{"pinLength":10}`},
		{"@odata.type null", `{"@odata.type":null,"pinLength":10}`},
		{"other @odata.type", `{"@odata.type":"#microsoft.graph.fido2AuthenticationMethodConfiguration","pinLength":10}`},
		{"pinLength 7", `{` + typ + `"pinLength":7}`},
		{"pinLength 21", `{` + typ + `"pinLength":21}`},
		{"pinLength 0", `{` + typ + `"pinLength":0}`},
		{"pinLength -8", `{` + typ + `"pinLength":-8}`},
		{"pinLength a string", `{` + typ + `"pinLength":"10"}`},
		{"pinLength 10.5", `{` + typ + `"pinLength":10.5}`},
		{"lifetime 0", `{` + typ + `"standardQRCodeLifetimeInDays":0}`},
		{"lifetime 396", `{` + typ + `"standardQRCodeLifetimeInDays":396}`},
		{"lifetime -1", `{` + typ + `"standardQRCodeLifetimeInDays":-1}`},
		{"state on", `{` + typ + `"state":"on"}`},
		{"state empty", `{` + typ + `"state":""}`},
		{"state a boolean", `{` + typ + `"state":true}`},
		{"valid and invalid together", `{` + typ + `"state":"disabled","pinLength":7}`},
		{"targetType device", `{` + typ + `"includeTargets":[{"targetType":"device","id":"all_users"}]}`},
		{"targetType missing", `{` + typ + `"includeTargets":[{"id":"all_users"}]}`},
		{"target without id", `{` + typ + `"includeTargets":[{"targetType":"group"}]}`},
		{"unknown include group", `{` + typ + `"includeTargets":[{"targetType":"group","id":"` + uuid.NewString() + `"}]}`},
		{"unknown include user", `{` + typ + `"includeTargets":[{"targetType":"user","id":"` + uuid.NewString() + `"}]}`},
		{"unknown exclude group", `{` + typ + `"excludeTargets":[{"targetType":"group","id":"` + uuid.NewString() + `"}]}`},
		{"group id named as a user", `{` + typ + `"includeTargets":[{"targetType":"user","id":"` + g + `"}]}`},
		{"one bad target among good ones", `{` + typ + `"includeTargets":[{"targetType":"group","id":"all_users"},{"targetType":"group","id":"` + uuid.NewString() + `"}]}`},
		{"includeTargets an object", `{` + typ + `"includeTargets":{"targetType":"group","id":"all_users"}}`},
		{"empty body", ``},
	}
	for _, tc := range tests {
		r := e.do("PATCH", "/v1.0"+policyPath, e.adminTok(), tc.body)
		if r.status != http.StatusBadRequest || r.errCode(t) != "BadRequest" {
			t.Fatalf("%s: got %d %s, want 400 BadRequest", tc.name, r.status, r.body)
		}
		e.checkError(t, r, http.StatusBadRequest, "BadRequest", "")
		eq(t, tc.name+": policy afterwards", string(e.getPolicy(t, "/v1.0"+policyPath).body), string(before))
	}
}

// The policy's pinLength and lifetime are what new methods get.
func TestPolicyAppliesToNewMethods(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.user("ana@contoso.com")
	e.setPolicy(t, `"pinLength":14,"standardQRCodeLifetimeInDays":7`)
	now := e.clock.Now()
	r := e.do("PUT", "/v1.0/users/"+u.ID+"/authentication/qrCodePinMethod", e.adminTok(), `{"standardQRCode":{}}`)
	expect(t, r, http.StatusCreated, "")
	m := r.json(t)
	eq(t, "expireDateTime", obj(t, m, "standardQRCode")["expireDateTime"], rfc(now.AddDate(0, 0, 7)))
	if code := str(t, obj(t, m, "pin"), "code"); len(code) != 14 {
		t.Fatalf("generated PIN %q, want 14 digits", code)
	}
	// Back to the defaults: 8 digits, 365 days.
	expect(t, e.do("DELETE", "/v1.0"+policyPath, e.adminTok(), ""), http.StatusNoContent, "")
	expect(t, e.do("DELETE", "/v1.0/users/"+u.ID+"/authentication/qrCodePinMethod", e.adminTok(), ""), http.StatusNoContent, "")
	r = e.do("PUT", "/v1.0/users/"+u.ID+"/authentication/qrCodePinMethod", e.adminTok(), `{"standardQRCode":{}}`)
	expect(t, r, http.StatusCreated, "")
	m = r.json(t)
	eq(t, "expireDateTime", obj(t, m, "standardQRCode")["expireDateTime"], rfc(now.AddDate(0, 0, 365)))
	if code := str(t, obj(t, m, "pin"), "code"); len(code) != 8 {
		t.Fatalf("generated PIN %q, want 8 digits", code)
	}
}

// group creates a group through the API and returns its id.
func (e *env) group(t *testing.T, name string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"displayName": name})
	r := e.do("POST", "/v1.0/groups", e.adminTok(), string(body))
	expect(t, r, http.StatusCreated, "")
	return str(t, r.json(t), "id")
}

// TestPolicyPatchAuthorizesFirst: a caller who may not change the policy
// gets the same 403 whatever the body holds (malformed, of the wrong type,
// out of range, naming unknown targets), and a request without a token
// 401: validation runs only for callers who may change the policy.
func TestPolicyPatchAuthorizesFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	reader := e.user("reader@contoso.com", auth.GlobalReader)
	nobody := e.user("nobody@contoso.com")
	typ := `"@odata.type":"` + policyType + `",`
	bodies := map[string]string{
		"valid":            `{` + typ + `"pinLength":10}`,
		"malformed JSON":   `{"pinLength":10,}`,
		"not an object":    `[1]`,
		"no @odata.type":   `{"pinLength":10}`,
		"pinLength 7":      `{` + typ + `"pinLength":7}`,
		"pinLength string": `{` + typ + `"pinLength":"10"}`,
		"unknown group":    `{` + typ + `"includeTargets":[{"targetType":"group","id":"` + uuid.NewString() + `"}]}`,
		"empty":            ``,
	}
	callers := map[string]string{
		"app with Policy.Read":                e.appToken("Policy.Read.AuthenticationMethod"),
		"app with other permissions":          e.appToken("User.ReadWrite.All"),
		"Global Reader with Policy.ReadWrite": e.userToken(reader, "Policy.ReadWrite.AuthenticationMethod"),
		"user without a role":                 e.userToken(nobody, "Policy.ReadWrite.AuthenticationMethod"),
	}
	before := e.getPolicy(t, "/v1.0"+policyPath).body
	for _, v := range []string{"/v1.0", "/beta"} {
		for who, tok := range callers {
			want := ""
			for name, body := range bodies {
				r := e.do("PATCH", v+policyPath, tok, body)
				if r.status != http.StatusForbidden || r.errCode(t) != "accessDenied" {
					t.Errorf("%s %s, %s body: %d %s, want 403 accessDenied", v, who, name, r.status, r.body)
					continue
				}
				msg := str(t, obj(t, r.json(t), "error"), "message")
				if want == "" {
					want = msg
				}
				if msg != want {
					t.Errorf("%s %s, %s body: message %q differs from %q", v, who, name, msg, want)
				}
			}
		}
		for name, body := range bodies {
			r := e.do("PATCH", v+policyPath, "", body)
			if r.status != http.StatusUnauthorized || r.errCode(t) != "InvalidAuthenticationToken" {
				t.Errorf("%s no token, %s body: %d %s, want 401", v, name, r.status, r.body)
			}
		}
	}
	eq(t, "policy afterwards", string(e.getPolicy(t, "/v1.0"+policyPath).body), string(before))
	// An authorized caller still gets the validation errors.
	expect(t, e.do("PATCH", "/v1.0"+policyPath, e.adminTok(), bodies["malformed JSON"]), http.StatusBadRequest, "BadRequest")
	expect(t, e.do("PATCH", "/v1.0"+policyPath, e.adminTok(), bodies["valid"]), http.StatusOK, "")
}
