package graph_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/qrpin/qrpin/store"
)

// The documentation's own examples (spec Part B): each request example is
// replayed as written, and each response is checked for the documented
// fields with the documented JSON types. The test clock starts at
// 2026-03-02T09:00:00Z, the "now" of the examples.

// Shapes: a field name and its JSON kind ("string", "number", "bool",
// "object", "array", "null"; "a|b" allows either). Nested objects are
// checked with their own shape.
type docShape map[string]string

var (
	// Section 2.3 / the E2 response's standardQRCode.image.
	docImageShape = docShape{
		"@odata.type":          "string",
		"binaryValue":          "string",
		"version":              "number",
		"errorCorrectionLevel": "string",
		"rawContent":           "string",
	}
	// Section 2.2 (qrCode) as the E1 and E2 responses show it.
	docQrCodeShape = docShape{
		"id":               "string",
		"image":            "object|null",
		"startDateTime":    "string",
		"expireDateTime":   "string",
		"createdDateTime":  "string",
		"lastUsedDateTime": "string|null",
	}
	// Section 2.4 (qrPin) as the E1, E2 and E9 responses show it.
	docQrPinShape = docShape{
		"@odata.type":              "string",
		"code":                     "string|null",
		"forceChangePinNextSignIn": "bool",
		"createdDateTime":          "string",
		"updatedDateTime":          "string|null",
	}
	// Section 2.1 / the E1 and E2 responses.
	docMethodShape = docShape{
		"@odata.type":     "string",
		"id":              "string",
		"createdDateTime": "string",
		"standardQRCode":  "object|null",
		"temporaryQRCode": "object|null",
		"pin":             "object",
	}
	// Section 3, the v1.0 GET response.
	docPolicyShape = docShape{
		"@odata.type":                  "string",
		"id":                           "string",
		"state":                        "string",
		"standardQRCodeLifetimeInDays": "number",
		"pinLength":                    "number",
		"excludeTargets":               "array",
		"includeTargets":               "array",
	}
	docIncludeTargetShape = docShape{"targetType": "string", "id": "string", "isRegistrationRequired": "bool"}
)

func docKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return "unknown"
}

// checkShape fails unless every field of s is in m with an allowed kind.
func checkDocShape(t *testing.T, what string, m map[string]any, s docShape) {
	t.Helper()
	for field, kinds := range s {
		v, ok := m[field]
		if !ok {
			t.Errorf("%s: documented field %q is missing", what, field)
			continue
		}
		if k := docKind(v); !strings.Contains("|"+kinds+"|", "|"+k+"|") {
			t.Errorf("%s: field %q is a JSON %s (%v), documented as %s", what, field, k, v, kinds)
		}
		if strings.HasSuffix(field, "DateTime") && docKind(v) == "string" && !strings.HasSuffix(v.(string), "Z") {
			t.Errorf("%s: %s %q is not UTC with Z (spec D8)", what, field, v)
		}
	}
	if ot, ok := m["@odata.type"].(string); ok && !strings.HasPrefix(ot, "#microsoft.graph.") {
		t.Errorf("%s: @odata.type %q", what, ot)
	}
}

func docObj(t *testing.T, m map[string]any, field string) map[string]any {
	t.Helper()
	o, ok := m[field].(map[string]any)
	if !ok {
		t.Fatalf("%s is not an object: %v", field, m[field])
	}
	return o
}

func TestDocumentationExamples(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.admin()
	u := e.user("ana@contoso.com")
	base := "/v1.0/users/" + u.ID + "/authentication/qrCodePinMethod"

	// 1.4 E2: the request example, verbatim.
	r := e.do("PUT", base, tok, `{
  "@odata.type": "#microsoft.graph.qrCodePinAuthenticationMethod",
  "standardQRCode": {
    "startDateTime": "2026-03-02T09:00:00Z",
    "expireDateTime": "2027-03-02T09:00:00Z"
  },
  "pin": { "code": "48150392" }
}`)
	expect(t, r, http.StatusCreated, "")
	m := r.json(t)
	checkDocShape(t, "E2 response", m, docMethodShape)
	std := docObj(t, m, "standardQRCode")
	checkDocShape(t, "E2 standardQRCode", std, docQrCodeShape)
	checkDocShape(t, "E2 standardQRCode.image", docObj(t, std, "image"), docImageShape)
	checkDocShape(t, "E2 pin", docObj(t, m, "pin"), docQrPinShape)
	if m["temporaryQRCode"] != nil || docObj(t, m, "pin")["code"] != "48150392" || docObj(t, m, "pin")["forceChangePinNextSignIn"] != true ||
		std["startDateTime"] != "2026-03-02T09:00:00Z" || std["expireDateTime"] != "2027-03-02T09:00:00Z" {
		t.Fatalf("E2 response values: %s", r.body)
	}

	// 1.3 E1: the response shape; secrets are null.
	r = e.do("GET", base, tok, "")
	expect(t, r, http.StatusOK, "")
	m = r.json(t)
	checkDocShape(t, "E1 response", m, docMethodShape)
	checkDocShape(t, "E1 standardQRCode", docObj(t, m, "standardQRCode"), docQrCodeShape)
	checkDocShape(t, "E1 pin", docObj(t, m, "pin"), docQrPinShape)
	if docObj(t, m, "standardQRCode")["image"] != nil || docObj(t, m, "pin")["code"] != nil {
		t.Fatalf("E1 shows a secret: %s", r.body)
	}

	// 1.6 E4: GET standardQRCode, a bare qrCode (no "value" wrapper).
	r = e.do("GET", base+"/standardQRCode", tok, "")
	expect(t, r, http.StatusOK, "")
	m = r.json(t)
	checkDocShape(t, "E4 response", m, docQrCodeShape)
	if _, wrapped := m["value"]; wrapped || m["image"] != nil {
		t.Fatalf("E4: %s", r.body)
	}

	// 1.7 E6: the update example (only expireDateTime): 200, image null.
	r = e.do("PATCH", base+"/standardQRCode", tok, `{ "@odata.type": "#microsoft.graph.qrCode",
  "expireDateTime": "2026-12-31T23:00:00Z" }`)
	expect(t, r, http.StatusOK, "")
	m = r.json(t)
	checkDocShape(t, "E6 response", m, docQrCodeShape)
	if m["image"] != nil || m["expireDateTime"] != "2026-12-31T23:00:00Z" {
		t.Fatalf("E6: %s", r.body)
	}

	// 1.9 E8, then 1.7 E5: the create example once no code is active: 201 + image.
	expect(t, e.do("DELETE", base+"/standardQRCode", tok, ""), http.StatusNoContent, "")
	r = e.do("PATCH", base+"/standardQRCode", tok, `{ "@odata.type": "#microsoft.graph.qrCode",
  "startDateTime": "2026-04-01T08:00:00Z",
  "expireDateTime": "2027-04-01T08:00:00Z" }`)
	expect(t, r, http.StatusCreated, "")
	m = r.json(t)
	checkDocShape(t, "E5 response", m, docQrCodeShape)
	checkDocShape(t, "E5 image", docObj(t, m, "image"), docImageShape)

	// 1.8 E7 (its body as the section describes it): 201 + image.
	r = e.do("PATCH", base+"/temporaryQRCode", tok, `{"startDateTime": "2026-03-02T09:00:00Z", "expireDateTime": "2026-03-02T17:00:00Z"}`)
	expect(t, r, http.StatusCreated, "")
	m = r.json(t)
	checkDocShape(t, "E7 response", m, docQrCodeShape)
	checkDocShape(t, "E7 image", docObj(t, m, "image"), docImageShape)

	// 1.10 E9: every request body variant the documentation shows; each
	// answers 201 with a generated PIN (spec D2), shaped as the example.
	for _, body := range []string{
		`{"@odata.type":"#microsoft.graph.qrPin","code":"09599786"}`, // published v1.0/beta
		`{}`,          // [v1.0-2026] resetpin
		`{"pin": ""}`, // [v1.0-2026] resetpin
		``,            // how-to: no body
	} {
		r = e.do("PATCH", base+"/pin", tok, body)
		expect(t, r, http.StatusCreated, "")
		m = r.json(t)
		checkDocShape(t, "E9 response to "+body, m, docQrPinShape)
		if c, _ := m["code"].(string); len(c) != 8 || c == "09599786" || m["forceChangePinNextSignIn"] != true {
			t.Fatalf("E9 (%s): %s", body, r.body)
		}
	}
	// Section 7.29: the published example with its trailing comma is
	// invalid JSON: 400 BadRequest, naming the problem (spec D5).
	r = e.do("PATCH", base+"/pin", tok, `{
  "@odata.type": "#microsoft.graph.qrPin",
  "code": "09599786",
}`)
	expect(t, r, http.StatusBadRequest, "BadRequest")
	if msg, _ := docObj(t, r.json(t), "error")["message"].(string); !strings.Contains(strings.ToLower(msg), "json") {
		t.Fatalf("the trailing comma's 400 does not name the problem: %s", r.body)
	}

	// 1.11 E10: the updatePin example, by a user whose PIN is the
	// example's currentPin: 204.
	w := e.user("ben@contoso.com")
	expect(t, e.do("PUT", "/v1.0/users/"+w.ID+"/authentication/qrCodePinMethod", tok,
		`{"standardQRCode": {}, "pin": {"code": "70214958"}}`), http.StatusCreated, "")
	self := e.userToken(w, "UserAuthMethod-QR.ReadWrite")
	for _, verb := range []string{"POST", "PATCH"} { // $metadata says POST, the page PATCH
		expect(t, e.do(verb, "/v1.0/me/authentication/qrCodePinMethod/pin/updatePin", self,
			`{ "currentPin": "70214958", "newPin": "36918207" }`), http.StatusNoContent, "")
		// Put the example's current PIN back for the second verb.
		expect(t, e.do(verb, "/v1.0/me/authentication/qrCodePinMethod/pin/updatePin", self,
			`{ "currentPin": "36918207", "newPin": "70214958" }`), http.StatusNoContent, "")
	}

	// The how-to's form: PATCH .../qrCodePinMethod/updatePin (without /pin).
	expect(t, e.do("PATCH", "/v1.0/me/authentication/qrCodePinMethod/updatePin", self,
		`{ "currentPin": "70214958", "newPin": "36918207" }`), http.StatusNoContent, "")

	// Section 3 E11: the GET response shape.
	pol := "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/qrCodePin"
	r = e.do("GET", pol, tok, "")
	expect(t, r, http.StatusOK, "")
	checkDocShape(t, "E11 response", r.json(t), docPolicyShape)

	// Section 3 E12: the PATCH example (its group must exist): 200 + the
	// policy, shaped as the GET example with the example's values.
	if err := e.store.CreateGroup(context.Background(), store.Group{ID: "5d2f0c4e-0a7b-4c61-9f0e-3b8a6e1d2c47",
		DisplayName: "Frontline", Created: e.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	r = e.do("PATCH", pol, tok, `{
  "@odata.type": "#microsoft.graph.qrCodePinAuthenticationMethodConfiguration",
  "state": "enabled",
  "includeTargets": [ { "targetType": "group", "id": "5d2f0c4e-0a7b-4c61-9f0e-3b8a6e1d2c47" } ],
  "excludeTargets": [],
  "standardQRCodeLifetimeInDays": 200,
  "pinLength": 10
}`)
	expect(t, r, http.StatusOK, "")
	for _, verb := range []string{"PATCH", "GET"} {
		if verb == "GET" {
			r = e.do("GET", pol, tok, "")
			expect(t, r, http.StatusOK, "")
		}
		m = r.json(t)
		checkDocShape(t, "E12 "+verb, m, docPolicyShape)
		its, _ := m["includeTargets"].([]any)
		if len(its) != 1 {
			t.Fatalf("E12 %s includeTargets: %s", verb, r.body)
		}
		it, _ := its[0].(map[string]any)
		checkDocShape(t, "E12 includeTargets[0]", it, docIncludeTargetShape)
		if m["id"] != "qrCodePin" || m["state"] != "enabled" || m["pinLength"] != 10.0 || m["standardQRCodeLifetimeInDays"] != 200.0 ||
			it["id"] != "5d2f0c4e-0a7b-4c61-9f0e-3b8a6e1d2c47" || it["targetType"] != "group" {
			t.Fatalf("E12 %s values: %s", verb, r.body)
		}
	}

	// Section 6.1: the error envelope's documented fields and types.
	r = e.do("PUT", base, tok, `{"standardQRCode": {}, "pin": {"code": "48150392"}}`)
	expect(t, r, http.StatusBadRequest, "tooManyQRCodePinMethod")
	env := docObj(t, r.json(t), "error")
	checkDocShape(t, "error", env, docShape{"code": "string", "message": "string", "innerError": "object"})
	checkDocShape(t, "error.innerError", docObj(t, env, "innerError"), docShape{"date": "string", "request-id": "string", "client-request-id": "string"})
}
