package graph_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/qrpin/qrpin/store"
)

// badEnv is a server with some state: a user with a method (and a
// temporary code), another user without one, a group with a member, and a
// non-default policy.
type badEnv struct {
	*env
	u, v store.User
	g    string
}

func newBadEnv(t *testing.T) *badEnv {
	t.Helper()
	e := newEnv(t)
	b := &badEnv{env: e, u: e.user("ana@contoso.com"), v: e.user("bo@contoso.com")}
	now := e.clock.Now()
	expect(t, e.do("PUT", "/v1.0/users/"+b.u.ID+"/authentication/qrCodePinMethod", e.adminTok(),
		createBody(now, now.AddDate(0, 0, 30), pin1)), http.StatusCreated, "")
	expect(t, e.do("PATCH", "/v1.0/users/"+b.u.ID+"/authentication/qrCodePinMethod/temporaryQRCode", e.adminTok(),
		codeBody(now, now.Add(time.Hour))), http.StatusCreated, "")
	b.g = e.group(t, "Pilot")
	expect(t, e.do("POST", "/v1.0/groups/"+b.g+"/members/$ref", e.adminTok(),
		`{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/`+b.u.ID+`"}`), http.StatusNoContent, "")
	e.setPolicy(t, `"state":"enabled","pinLength":9`)
	e.clock.Advance(time.Minute)
	return b
}

// snapshot reads everything a bad request could have changed.
func (b *badEnv) snapshot(t *testing.T) string {
	t.Helper()
	var sb strings.Builder
	for _, p := range []string{
		"/v1.0/users/" + b.u.ID + "/authentication/qrCodePinMethod",
		"/v1.0/users/" + b.v.ID + "/authentication/qrCodePinMethod",
		"/v1.0" + policyPath,
		"/v1.0/users",
		"/v1.0/groups",
		"/v1.0/groups/" + b.g + "/members",
	} {
		r := b.do("GET", p, b.adminTok(), "")
		switch r.status {
		case http.StatusOK:
			fmt.Fprintf(&sb, "%s %s\n", p, r.body)
		case http.StatusNotFound: // error bodies carry request ids: keep the code
			fmt.Fprintf(&sb, "%s 404 %s\n", p, r.errCode(t))
		default:
			t.Fatalf("snapshot GET %s: %d %s", p, r.status, r.body)
		}
	}
	return sb.String()
}

// pinWorks proves the user's PIN is still pin1 (by changing it).
func (b *badEnv) pinWorks(t *testing.T) {
	t.Helper()
	expect(t, b.updatePIN(b.u, pin1, "702149581"), http.StatusNoContent, "")
}

// endpoint is one route that takes a body, with a token that may call it.
type endpoint struct {
	name, verb, path string
	token            string
}

func (b *badEnv) bodyEndpoints() []endpoint {
	m := "/v1.0/users/" + b.u.ID + "/authentication/qrCodePinMethod"
	self := b.userToken(b.u, "UserAuthMethod-QR.ReadWrite")
	return []endpoint{
		{"PUT method", "PUT", "/v1.0/users/" + b.v.ID + "/authentication/qrCodePinMethod", b.adminTok()},
		{"PATCH standardQRCode", "PATCH", m + "/standardQRCode", b.adminTok()},
		{"PATCH temporaryQRCode", "PATCH", "/beta/users/" + b.u.UPN + "/authentication/qrcodepinmethod/temporaryqrcode", b.adminTok()},
		{"PATCH pin", "PATCH", m + "/pin", b.adminTok()},
		{"POST pin/updatePin", "POST", "/v1.0/me/authentication/qrCodePinMethod/pin/updatePin", self},
		{"PATCH pin/updatePin", "PATCH", m + "/pin/updatePin", self},
		{"PATCH updatePin alias", "PATCH", "/beta/me/authentication/qrCodePinMethod/updatePin", self},
		{"PATCH policy", "PATCH", "/v1.0" + policyPath, b.adminTok()},
		{"POST users", "POST", "/v1.0/users", b.adminTok()},
		{"PATCH user", "PATCH", "/v1.0/users/" + b.v.ID, b.adminTok()},
		{"POST groups", "POST", "/beta/groups", b.adminTok()},
		{"POST members/$ref", "POST", "/v1.0/groups/" + b.g + "/members/$ref", b.adminTok()},
	}
}

// bad sends a request that must fail and checks the error, its envelope
// and that nothing changed; it returns the message.
func (b *badEnv) bad(t *testing.T, before, verb, path, token, body string, header http.Header, status int, code string) string {
	t.Helper()
	crid := uuid.NewString()
	h := http.Header{"Client-Request-Id": {crid}}
	for k, v := range header {
		h[k] = v
	}
	r := b.doWith(verb, path, token, body, h)
	msg := b.checkError(t, r, status, code, crid)
	if after := b.snapshot(t); after != before {
		t.Fatalf("%s %s changed what is stored:\nbefore %s\nafter  %s", verb, path, before, after)
	}
	return msg
}

// Malformed JSON is 400 BadRequest naming what is wrong and where (D5).
func TestMalformedJSON(t *testing.T) {
	t.Parallel()
	b := newBadEnv(t)
	before := b.snapshot(t)
	bodies := []struct{ body, where string }{
		{`{"a":`, "line 1, column"},
		{`{"a" 1}`, "line 1, column 6"},
		{`{'a': 1}`, "line 1, column 2"},
		{`not json`, "line 1, column 2"},
		{"{\n  \"a\": 1\n  \"b\": 2\n}", "line 3, column 3"},
		{"{\n\t\"a\": tru\n}", "line 2, column 10"},
		{"{\n  \"@odata.type\": \"#microsoft.graph.qrPin\",\n  \"code\": \"09599786\",\n}", "line 4, column 1"},
		{`{"a":1}}`, "line 1, column 8"},
		{`{"a":[1,2,]}`, "line 1, column 11"},
	}
	for _, ep := range b.bodyEndpoints() {
		for _, tc := range bodies {
			msg := b.bad(t, before, ep.verb, ep.path, ep.token, tc.body, nil, http.StatusBadRequest, "BadRequest")
			if !strings.Contains(msg, tc.where) {
				t.Fatalf("%s with %q: message %q does not say %q", ep.name, tc.body, msg, tc.where)
			}
			if strings.HasSuffix(tc.body, ",\n}") || strings.HasSuffix(tc.body, ",]}") {
				if !strings.Contains(msg, "trailing comma") {
					t.Fatalf("%s: message %q does not name the trailing comma", ep.name, msg)
				}
			}
		}
	}
	b.pinWorks(t)
}

// A property of the wrong type is 400 naming the property (D5).
func TestWrongTypes(t *testing.T) {
	t.Parallel()
	b := newBadEnv(t)
	before := b.snapshot(t)
	eps := map[string]endpoint{}
	for _, ep := range b.bodyEndpoints() {
		eps[ep.name] = ep
	}
	typ := `"@odata.type":"` + policyType + `",`
	// property is the property's name, and may go on with what the message
	// says it must be.
	tests := []struct{ endpoint, body, property string }{
		{"PUT method", `{"standardQRCode":{},"pin":{"code":48150392}}`, "pin.code' must be a string"},
		{"PUT method", `{"standardQRCode":"soon","pin":{"code":"48150392"}}`, "standardQRCode"},
		{"PUT method", `{"standardQRCode":{"expireDateTime":20270302}}`, "standardQRCode.expireDateTime"},
		{"PUT method", `{"standardQRCode":{},"pin":"48150392"}`, "pin"},
		{"PUT method", `[{"standardQRCode":{}}]`, "(request body)"},
		{"PATCH standardQRCode", `{"expireDateTime":true}`, "expireDateTime"},
		{"PATCH temporaryQRCode", `{"startDateTime":[],"expireDateTime":"2026-03-02T12:00:00Z"}`, "startDateTime"},
		{"PATCH pin", `[]`, "(request body)' must be an object"},
		{"PATCH pin", `"09599786"`, "(request body)"},
		{"POST pin/updatePin", `{"currentPin":48150392,"newPin":"702149581"}`, "currentPin"},
		{"PATCH pin/updatePin", `{"currentPin":"48150392","newPin":702149581}`, "newPin"},
		{"PATCH policy", `{` + typ + `"pinLength":"10"}`, "pinLength' must be an integer"},
		{"PATCH policy", `{` + typ + `"standardQRCodeLifetimeInDays":1.5}`, "standardQRCodeLifetimeInDays' must be an integer"},
		{"PATCH policy", `{` + typ + `"state":1}`, "state"},
		{"PATCH policy", `{` + typ + `"includeTargets":{}}`, "includeTargets' must be an array"},
		{"PATCH policy", `{` + typ + `"includeTargets":[{"targetType":"group","id":"all_users","isRegistrationRequired":"yes"}]}`, "includeTargets.isRegistrationRequired"},
		{"PATCH policy", `{"@odata.type":5,"pinLength":10}`, "@odata.type"},
		{"POST users", `{"userPrincipalName":"cy@contoso.com","displayName":"Cy","accountEnabled":"true"}`, "accountEnabled' must be a boolean"},
		{"POST users", `{"userPrincipalName":["cy@contoso.com"],"displayName":"Cy"}`, "userPrincipalName"},
		{"PATCH user", `{"accountEnabled":"false"}`, "accountEnabled"},
		{"PATCH user", `{"displayName":7}`, "displayName"},
		{"POST groups", `{"displayName":["x"]}`, "displayName"},
		{"POST members/$ref", `{"@odata.id":42}`, "@odata.id"},
	}
	for _, tc := range tests {
		ep := eps[tc.endpoint]
		msg := b.bad(t, before, ep.verb, ep.path, ep.token, tc.body, nil, http.StatusBadRequest, "BadRequest")
		want := "'" + tc.property // the property, quoted, and maybe what it must be
		if !strings.Contains(tc.property, "'") {
			want += "'"
		}
		if !strings.Contains(msg, want) {
			t.Fatalf("%s %s: message %q does not name '%s'", tc.endpoint, tc.body, msg, tc.property)
		}
		// A PIN sent in the wrong type is not echoed back.
		for _, pin := range []string{"48150392", "702149581", "20270302"} {
			if strings.Contains(msg, pin) {
				t.Fatalf("%s %s: message %q repeats the value %s", tc.endpoint, tc.body, msg, pin)
			}
		}
	}
	b.pinWorks(t)
}

// Properties the API does not know are ignored (D5).
func TestUnknownPropertiesIgnored(t *testing.T) {
	t.Parallel()
	b := newBadEnv(t)
	now := b.clock.Now()
	r := b.do("PUT", "/v1.0/users/"+b.v.ID+"/authentication/qrCodePinMethod", b.adminTok(), fmt.Sprintf(
		`{"@odata.type":"#microsoft.graph.qrCodePinAuthenticationMethod","id":"x","isUsable":false,"methodUsabilityReason":null,
		"createdDateTime":"2020-01-01T00:00:00Z","extra":{"a":[1,2,{"b":null}]},
		"standardQRCode":{"startDateTime":%q,"expireDateTime":%q,"id":"y","image":{"binaryValue":"AAAA"},"lastUsedDateTime":"2020-01-01T00:00:00Z"},
		"pin":{"code":"702149581","forceChangePinNextSignIn":false,"updatedDateTime":"2020-01-01T00:00:00Z"}}`,
		rfc(now), rfc(now.AddDate(0, 0, 30))))
	expect(t, r, http.StatusCreated, "")
	m := r.json(t)
	isGUID(t, "id", str(t, m, "id"))
	eq(t, "createdDateTime", m["createdDateTime"], rfc(now))
	std := obj(t, m, "standardQRCode")
	isGUID(t, "standardQRCode.id", str(t, std, "id"))
	eq(t, "lastUsedDateTime", std["lastUsedDateTime"], zeroTime)
	b.checkImage(t, obj(t, std, "image"), b.v.UPN, str(t, std, "id"))
	checkPIN(t, obj(t, m, "pin"), "702149581", true, now, now)

	r = b.do("PATCH", "/v1.0/users/"+b.u.ID+"/authentication/qrCodePinMethod/standardQRCode", b.adminTok(),
		`{"expireDateTime":"`+rfc(now.AddDate(0, 0, 20))+`","id":"z","image":null,"foo":1}`)
	expect(t, r, http.StatusOK, "")
	eq(t, "expiry", r.json(t)["expireDateTime"], rfc(now.AddDate(0, 0, 20)))

	r = b.do("POST", "/v1.0/users", b.adminTok(), `{"userPrincipalName":"cy@contoso.com","displayName":"Cy","mail":"cy@contoso.com","otherMails":[],"passwordProfile":{"password":"x"}}`)
	expect(t, r, http.StatusCreated, "")
	r = b.do("POST", "/v1.0/groups", b.adminTok(), `{"displayName":"G2","groupTypes":["Unified"],"mailEnabled":true}`)
	expect(t, r, http.StatusCreated, "")
	eq(t, "mailEnabled", r.json(t)["mailEnabled"], false)
	r = b.doWith("POST", "/v1.0/me/authentication/qrCodePinMethod/pin/updatePin", b.userToken(b.u, "UserAuthMethod-QR.ReadWrite"),
		`{"currentPin":"`+pin1+`","newPin":"702149581","confirmPin":"nope"}`, nil)
	expect(t, r, http.StatusNoContent, "")
}

// A body over 64 KiB is 413; exactly 64 KiB is read.
func TestBodyTooLarge(t *testing.T) {
	t.Parallel()
	b := newBadEnv(t)
	before := b.snapshot(t)
	pad := func(body string, size int) string {
		return body[:len(body)-1] + strings.Repeat(" ", size-len(body)) + "}"
	}
	for _, ep := range b.bodyEndpoints() {
		b.bad(t, before, ep.verb, ep.path, ep.token, pad(`{}`, 64<<10+1), nil, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge")
		b.bad(t, before, ep.verb, ep.path, ep.token, pad(`{}`, 1<<20), nil, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge")
	}
	r := b.do("POST", "/v1.0/users", b.adminTok(), pad(`{"userPrincipalName":"cy@contoso.com","displayName":"Cy"}`, 64<<10))
	expect(t, r, http.StatusCreated, "")
	b.pinWorks(t)
}

// A body that is not declared JSON is 415.
func TestUnsupportedMediaType(t *testing.T) {
	t.Parallel()
	b := newBadEnv(t)
	before := b.snapshot(t)
	bodies := map[string]string{
		"PUT method":           createBody(b.clock.Now(), b.clock.Now().AddDate(0, 0, 30), "702149581"),
		"PATCH pin":            `{}`,
		"PATCH policy":         `{"@odata.type":"` + policyType + `","pinLength":12}`,
		"POST users":           `{"userPrincipalName":"cy@contoso.com","displayName":"Cy"}`,
		"POST pin/updatePin":   `{"currentPin":"` + pin1 + `","newPin":"702149581"}`,
		"POST members/$ref":    `{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/` + b.v.ID + `"}`,
		"PATCH user":           `{"displayName":"Bo 2"}`,
		"POST groups":          `{"displayName":"G2"}`,
		"PATCH standardQRCode": `{"expireDateTime":"` + rfc(b.clock.Now().AddDate(0, 0, 10)) + `"}`,
	}
	for _, ep := range b.bodyEndpoints() {
		body, ok := bodies[ep.name]
		if !ok {
			body = `{}`
		}
		for _, ct := range [][]string{{"text/plain"}, {"application/x-www-form-urlencoded"}, {"application/xml"}, {"json"}, nil} {
			b.bad(t, before, ep.verb, ep.path, ep.token, body, http.Header{"Content-Type": ct}, http.StatusUnsupportedMediaType, "UnsupportedMediaType")
		}
	}
	// JSON with parameters, or a +json type, is fine.
	r := b.doWith("POST", "/v1.0/users", b.adminTok(), `{"userPrincipalName":"cy@contoso.com","displayName":"Cy"}`,
		http.Header{"Content-Type": {"application/json; charset=utf-8"}})
	expect(t, r, http.StatusCreated, "")
	r = b.doWith("PATCH", "/v1.0/users/"+b.v.ID, b.adminTok(), `{"displayName":"Bo 2"}`,
		http.Header{"Content-Type": {"Application/JSON;odata.metadata=minimal"}})
	expect(t, r, http.StatusNoContent, "")
	b.pinWorks(t)
}

// A verb the path does not allow is 405 with the allowed verbs.
func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	b := newBadEnv(t)
	before := b.snapshot(t)
	m := "/v1.0/users/" + b.u.ID + "/authentication/qrCodePinMethod"
	tests := []struct {
		verb, path string
		allow      []string
	}{
		{"DELETE", m + "/pin", []string{"GET", "PATCH"}},
		{"PUT", m + "/PIN", []string{"GET", "PATCH"}},
		{"POST", m, []string{"GET", "PUT", "DELETE"}},
		{"PATCH", "/beta/me/authentication/qrcodepinmethod", []string{"GET", "PUT", "DELETE"}},
		{"PUT", m + "/standardQRCode", []string{"GET", "PATCH", "DELETE"}},
		{"POST", m + "/temporaryQRCode", []string{"GET", "PATCH", "DELETE"}},
		{"GET", m + "/pin/updatePin", []string{"POST", "PATCH"}},
		{"DELETE", m + "/updatePin", []string{"POST", "PATCH"}},
		{"POST", "/v1.0/users/" + b.u.ID + "/authentication/methods", []string{"GET"}},
		{"PUT", "/v1.0" + policyPath, []string{"GET", "PATCH", "DELETE"}},
		{"POST", "/beta" + policyPath, []string{"GET", "PATCH", "DELETE"}},
		{"DELETE", "/v1.0/users", []string{"GET", "POST"}},
		{"PUT", "/v1.0/users/" + b.u.ID, []string{"GET", "PATCH", "DELETE"}},
		{"POST", "/v1.0/me", []string{"GET", "PATCH", "DELETE"}},
		{"PATCH", "/v1.0/groups/" + b.g, []string{"GET", "DELETE"}},
		{"PUT", "/v1.0/groups", []string{"GET", "POST"}},
		{"GET", "/v1.0/groups/" + b.g + "/members/$ref", []string{"DELETE", "POST"}},
		{"POST", "/v1.0/groups/" + b.g + "/members", []string{"GET"}},
		{"GET", "/v1.0/groups/" + b.g + "/members/" + b.u.ID + "/$ref", []string{"DELETE"}},
	}
	for _, tc := range tests {
		for _, body := range []string{"", `{}`} {
			b.bad(t, before, tc.verb, tc.path, b.adminTok(), body, nil, http.StatusMethodNotAllowed, "Request_BadRequest")
			r := b.do(tc.verb, tc.path, b.adminTok(), body)
			allow := r.header.Values("Allow")
			var got []string
			for _, a := range allow {
				for _, v := range strings.Split(a, ",") {
					got = append(got, strings.TrimSpace(v))
				}
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tc.allow))
			if !slices.Equal(got, want) {
				t.Fatalf("%s %s: Allow %q, want %q", tc.verb, tc.path, got, want)
			}
		}
	}
	b.pinWorks(t)
}

// A path the API does not serve is 400 with the envelope.
func TestUnknownPath(t *testing.T) {
	t.Parallel()
	b := newBadEnv(t)
	before := b.snapshot(t)
	m := "/v1.0/users/" + b.u.ID + "/authentication/qrCodePinMethod"
	for _, p := range []string{
		"/", "/v1.0", "/v1.0/", "/v2.0/users", "/beta2/users", "/users",
		"/v1.0/nothing", "/v1.0/users/" + b.u.ID + "/authentication/fido2Methods",
		m + "/pin/resetPin", m + "/standardQRCode/image", m + "/qrCodes",
		"/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2/includeTargets",
		"/v1.0/me/authentication", "/v1.0/groups/" + b.g + "/owners",
	} {
		for _, verb := range []string{"GET", "PATCH", "DELETE"} {
			b.bad(t, before, verb, p, b.adminTok(), "", nil, http.StatusBadRequest, "BadRequest")
		}
		// Even without a token: routing comes first.
		b.bad(t, before, "GET", p, "", "", nil, http.StatusBadRequest, "BadRequest")
	}
	b.pinWorks(t)
}

// Dates that are not ISO 8601 date-times are 400 naming the property.
func TestBadDates(t *testing.T) {
	t.Parallel()
	b := newBadEnv(t)
	before := b.snapshot(t)
	for _, d := range []string{"next year", "2027-13-01T00:00:00Z", "2027-02-29T00:00:00Z", "2027-03-02",
		"2027-03-02T09:00:00", "02/03/2027", "2027-03-02T25:00:00Z", "2027-03-02T09:00:00+25:00", "2027-03-02 09:00:00Z", " 2027-03-02T09:00:00Z"} {
		for _, tc := range []struct{ verb, path, body, property string }{
			{"PUT", "/v1.0/users/" + b.v.ID + "/authentication/qrCodePinMethod", `{"standardQRCode":{"expireDateTime":"` + d + `"}}`, "expireDateTime"},
			{"PUT", "/v1.0/users/" + b.v.ID + "/authentication/qrCodePinMethod", `{"standardQRCode":{"startDateTime":"` + d + `"}}`, "startDateTime"},
			{"PATCH", "/v1.0/users/" + b.u.ID + "/authentication/qrCodePinMethod/standardQRCode", `{"expireDateTime":"` + d + `"}`, "expireDateTime"},
			{"PATCH", "/beta/users/" + b.v.UPN + "/authentication/qrCodePinMethod/standardQRCode", `{"startDateTime":"` + d + `"}`, "startDateTime"},
			{"PATCH", "/v1.0/users/" + b.u.ID + "/authentication/qrCodePinMethod/temporaryQRCode", `{"startDateTime":"` + rfc(b.clock.Now()) + `","expireDateTime":"` + d + `"}`, "expireDateTime"},
		} {
			msg := b.bad(t, before, tc.verb, tc.path, b.adminTok(), tc.body, nil, http.StatusBadRequest, "BadRequest")
			want := "'" + tc.property // the property, quoted, and maybe what it must be
			if !strings.Contains(tc.property, "'") {
				want += "'"
			}
			if !strings.Contains(msg, want) {
				t.Fatalf("%s %s: message %q does not name '%s'", tc.verb, tc.body, msg, tc.property)
			}
		}
	}
	b.pinWorks(t)
}

// Without a valid bearer token the answer is 401 with a Bearer challenge.
func TestUnauthenticated(t *testing.T) {
	t.Parallel()
	b := newBadEnv(t)
	before := b.snapshot(t)
	expired := b.adminTok()
	b.clock.Advance(2 * time.Hour)
	m := "/v1.0/users/" + b.u.ID + "/authentication/qrCodePinMethod"
	for _, auth := range []http.Header{
		nil,
		{"Authorization": {"Bearer"}},
		{"Authorization": {"Bearer "}},
		{"Authorization": {"Basic YWxhZGRpbjpvcGVuc2VzYW1l"}},
		{"Authorization": {"Bearer not.a.jwt"}},
		{"Authorization": {"Bearer " + expired}},
		{"Authorization": {b.adminTok()}},
	} {
		for _, req := range []struct{ verb, path, body string }{
			{"GET", m, ""},
			{"DELETE", m, ""},
			{"PATCH", m + "/pin", `{}`},
			{"PATCH", "/beta" + policyPath, `{"@odata.type":"` + policyType + `","pinLength":12}`},
			{"DELETE", "/v1.0/users/" + b.u.ID, ""},
			{"GET", "/v1.0/me", ""},
		} {
			crid := uuid.NewString()
			h := http.Header{"Client-Request-Id": {crid}}
			for k, v := range auth {
				h[k] = v
			}
			r := b.doWith(req.verb, req.path, "", req.body, h)
			b.checkError(t, r, http.StatusUnauthorized, "InvalidAuthenticationToken", crid)
			if w := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(w, "Bearer") {
				t.Fatalf("WWW-Authenticate %q", w)
			}
		}
	}
	if after := b.snapshot(t); after != before {
		t.Fatalf("unauthenticated requests changed what is stored:\nbefore %s\nafter  %s", before, after)
	}
}

// request-id and client-request-id: the client's id is echoed when it is
// sensible, and replaced by the request id otherwise; successes carry both
// headers too.
func TestRequestIDs(t *testing.T) {
	t.Parallel()
	b := newBadEnv(t)
	m := "/v1.0/users/" + b.v.ID + "/authentication/qrCodePinMethod"
	b.checkError(t, b.do("GET", m, b.adminTok(), ""), http.StatusNotFound, "itemNotFound", "")
	crid := "my-client-id 42"
	b.checkError(t, b.doWith("GET", m, b.adminTok(), "", http.Header{"Client-Request-Id": {crid}}), http.StatusNotFound, "itemNotFound", crid)
	for _, odd := range []string{strings.Repeat("x", 101), "a\tb"} {
		r := b.doWith("GET", m, b.adminTok(), "", http.Header{"Client-Request-Id": {odd}})
		b.checkError(t, r, http.StatusNotFound, "itemNotFound", "")
	}
	ids := map[string]bool{}
	for range 3 {
		r := b.doWith("GET", "/v1.0/users/"+b.u.ID, b.adminTok(), "", http.Header{"Client-Request-Id": {crid}})
		expect(t, r, http.StatusOK, "")
		rid := r.header.Get("request-id")
		isGUID(t, "request-id", rid)
		if ids[rid] {
			t.Fatalf("request-id %s reused", rid)
		}
		ids[rid] = true
		eq(t, "client-request-id", r.header.Get("client-request-id"), crid)
	}
}

// No request is answered with a 500, whatever verb, path and body.
func TestNoServerErrors(t *testing.T) {
	t.Parallel()
	b := newBadEnv(t)
	m := "/users/" + b.u.ID + "/authentication/qrCodePinMethod"
	paths := []string{
		m, m + "/standardQRCode", m + "/temporaryQRCode", m + "/pin", m + "/pin/updatePin", m + "/updatePin",
		"/users/" + b.u.ID + "/authentication/methods", policyPath, "/users", "/users/" + b.v.UPN,
		"/groups", "/groups/" + b.g, "/groups/" + b.g + "/members", "/groups/" + b.g + "/members/$ref",
		"/groups/" + b.g + "/members/" + b.u.ID + "/$ref", "/me", "/me/authentication/qrCodePinMethod",
		"/users/%2F/authentication/qrCodePinMethod", "/users/a%00b", "/groups/%20", "/users/" + strings.Repeat("x", 5000),
		"/users?$top=1&$skiptoken=" + strings.Repeat("A", 100), "/groups/" + b.g + "/members?$skiptoken=%FF",
	}
	bodies := []string{"", "null", "{}", "[]", `"x"`, "0", `{"a":`, `{"standardQRCode":null,"pin":null}`,
		`{"standardQRCode":{"startDateTime":"9999-12-31T23:59:59Z"}}`, `{"expireDateTime":"9999-12-31T23:59:59Z"}`,
		`{"startDateTime":"0001-01-01T00:00:00Z","expireDateTime":"0001-01-01T01:00:00Z"}`,
		`{"@odata.type":"` + policyType + `","includeTargets":null,"excludeTargets":[null]}`,
		`{"@odata.id":"directoryObjects('')"}`, `{"@odata.id":"/"}`, `{"currentPin":"` + pin1 + `","newPin":"` + strings.Repeat("9", 5000) + `"}`,
		`{"userPrincipalName":"` + strings.Repeat("a", 200) + `@c.com","displayName":"` + strings.Repeat("é", 300) + `"}`,
		"\xff\xfe{}", `{"a":"\ud800"}`, `{"a":1e999}`,
	}
	tokens := []string{b.adminTok(), b.userToken(b.u, "UserAuthMethod-QR.ReadWrite", "User.Read"), ""}
	for _, version := range []string{"/v1.0", "/beta"} {
		for _, p := range paths {
			for _, verb := range []string{"GET", "PUT", "POST", "PATCH", "DELETE", "HEAD", "OPTIONS"} {
				for i, body := range bodies {
					if verb == "HEAD" && body != "" {
						continue
					}
					r := b.do(verb, version+p, tokens[i%len(tokens)], body)
					if r.status >= 500 {
						t.Fatalf("%s %s%s %q: %d %s", verb, version, p, body, r.status, r.body)
					}
					if r.status >= 400 && verb != "HEAD" {
						b.checkError(t, r, r.status, r.errCode(t), "")
					}
				}
			}
		}
	}
	if strings.Contains(b.logs.String(), "internal error") || strings.Contains(b.logs.String(), "panic") {
		t.Fatalf("the server logged an internal error:\n%s", b.logs.String())
	}
}

// Graph SDKs gzip request bodies by default: qrpin inflates them, applies
// the body limit to the inflated size, and refuses other encodings with 415.
func TestContentEncoding(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	gz := func(s string) string {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write([]byte(s))
		w.Close()
		return b.String()
	}
	h := http.Header{"Content-Encoding": {"gzip"}}
	r := e.doWith("POST", "/v1.0/users", e.admin(), gz(`{"userPrincipalName":"gz@contoso.com","displayName":"Gz"}`), h)
	expect(t, r, http.StatusCreated, "")
	if got := r.json(t)["userPrincipalName"]; got != "gz@contoso.com" {
		t.Fatalf("created %v", got)
	}
	// 1 MiB of spaces compresses to about 1 KiB: still over the 64 KiB limit.
	bomb := gz(`{"displayName":"x"` + strings.Repeat(" ", 1<<20) + `}`)
	expect(t, e.doWith("POST", "/v1.0/groups", e.admin(), bomb, h), http.StatusRequestEntityTooLarge, "RequestEntityTooLarge")
	expect(t, e.doWith("POST", "/v1.0/groups", e.admin(), "not gzip", h), http.StatusBadRequest, "BadRequest")
	expect(t, e.doWith("POST", "/v1.0/groups", e.admin(), `{"displayName":"x"}`, http.Header{"Content-Encoding": {"br"}}), http.StatusUnsupportedMediaType, "UnsupportedMediaType")
	r = e.do("GET", "/v1.0/groups", e.admin(), "")
	if n := len(r.json(t)["value"].([]any)); n != 0 {
		t.Fatalf("%d groups stored by refused requests", n)
	}
}

// Control characters (a NUL byte above all, which PostgreSQL text cannot
// hold) are refused in names with 400 on every backend, never a 500.
func TestControlCharactersInNames(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.admin()
	for _, tc := range []struct{ path, body string }{
		{"/v1.0/users", `{"userPrincipalName":"nul@contoso.com","displayName":"a\u0000b"}`},
		{"/v1.0/users", `{"userPrincipalName":"bell@contoso.com","displayName":"a\u0007b"}`},
		{"/v1.0/groups", `{"displayName":"g\u0000"}`},
		{"/v1.0/groups", `{"displayName":"g","description":"d\u0000"}`},
	} {
		expect(t, e.do("POST", tc.path, tok, tc.body), http.StatusBadRequest, "Request_BadRequest")
	}
	u := e.user("named@contoso.com")
	expect(t, e.do("PATCH", "/v1.0/users/"+u.ID, tok, `{"displayName":"x\u0000"}`), http.StatusBadRequest, "Request_BadRequest")
	r := e.do("GET", "/v1.0/users/"+u.ID, tok, "")
	if got := r.json(t)["displayName"]; got != "named" {
		t.Fatalf("displayName now %q", got)
	}
	expect(t, e.do("POST", "/v1.0/users", tok, `{"userPrincipalName":"ok@contoso.com","displayName":"Zoë Ø"}`), http.StatusCreated, "")
}
