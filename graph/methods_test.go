package graph_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/pin"
	"github.com/qrpin/qrpin/qr"
	"github.com/qrpin/qrpin/store"
)

// ---- JSON helpers shared by the behaviour tests ----

// rfc formats a time as the API does: UTC, RFC 3339 with Z.
func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// zeroTime is how the API writes a time that never happened (spec D8).
const zeroTime = "0001-01-01T00:00:00Z"

// eq fails unless got equals want (JSON values: string, float64, bool, nil,
// []any, map[string]any).
func eq(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s = %#v, want %#v", what, got, want)
	}
}

// obj returns m[key] as a JSON object.
func obj(t *testing.T, m map[string]any, key string) map[string]any {
	t.Helper()
	o, ok := m[key].(map[string]any)
	if !ok {
		t.Fatalf("%s is %#v, want an object", key, m[key])
	}
	return o
}

// str returns m[key] as a string.
func str(t *testing.T, m map[string]any, key string) string {
	t.Helper()
	s, ok := m[key].(string)
	if !ok {
		t.Fatalf("%s is %#v, want a string", key, m[key])
	}
	return s
}

// hasKeys fails unless m has exactly the keys want.
func hasKeys(t *testing.T, m map[string]any, want ...string) {
	t.Helper()
	var got []string
	for k := range m {
		got = append(got, k)
	}
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Fatalf("keys %q, want %q", got, want)
	}
}

// isGUID fails unless s is a GUID in canonical lower-case form.
func isGUID(t *testing.T, what, s string) {
	t.Helper()
	if id, err := uuid.Parse(s); err != nil || id.String() != s {
		t.Fatalf("%s = %q, want a GUID", what, s)
	}
}

// emptyBody fails unless r has no body (204 responses).
func emptyBody(t *testing.T, r resp) {
	t.Helper()
	if len(r.body) != 0 {
		t.Fatalf("want no body, got %s", r.body)
	}
}

// checkError checks an error response completely (spec D7): status, code,
// the envelope's exact shape, innerError's date, request-id and
// client-request-id, and the matching response headers. crid is the
// client-request-id the request sent ("" when none). It returns the message.
func (e *env) checkError(t *testing.T, r resp, status int, code, crid string) string {
	t.Helper()
	expect(t, r, status, code)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q, want application/json", ct)
	}
	m := r.json(t)
	hasKeys(t, m, "error")
	er := obj(t, m, "error")
	hasKeys(t, er, "code", "message", "innerError")
	msg := str(t, er, "message")
	if msg == "" {
		t.Fatal("empty error message")
	}
	in := obj(t, er, "innerError")
	hasKeys(t, in, "date", "request-id", "client-request-id")
	eq(t, "innerError.date", in["date"], e.clock.Now().UTC().Format("2006-01-02T15:04:05"))
	rid := r.header.Get("request-id")
	isGUID(t, "request-id header", rid)
	eq(t, "innerError.request-id", in["request-id"], rid)
	if crid == "" {
		crid = rid
	}
	eq(t, "client-request-id header", r.header.Get("client-request-id"), crid)
	eq(t, "innerError.client-request-id", in["client-request-id"], crid)
	return msg
}

// checkImage checks a qrCodeImageDetails object from a create response: a
// PNG whose QR code (read back with gozxing) holds exactly rawContent, a
// qrpin payload naming the user, the QR code and the tenant.
func (e *env) checkImage(t *testing.T, img map[string]any, upn, codeID string) {
	t.Helper()
	hasKeys(t, img, "@odata.type", "binaryValue", "version", "errorCorrectionLevel", "rawContent")
	eq(t, "image @odata.type", img["@odata.type"], "#microsoft.graph.qrCodeImageDetails")
	pngBytes, err := base64.StdEncoding.DecodeString(str(t, img, "binaryValue"))
	if err != nil {
		t.Fatalf("binaryValue is not base64: %v", err)
	}
	if !bytes.HasPrefix(pngBytes, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("binaryValue is not a PNG: % x", pngBytes[:min(len(pngBytes), 8)])
	}
	raw, err := base64.StdEncoding.DecodeString(str(t, img, "rawContent"))
	if err != nil {
		t.Fatalf("rawContent is not base64: %v", err)
	}
	pic, err := png.Decode(bytes.NewReader(pngBytes))
	if err != nil {
		t.Fatalf("PNG does not decode: %v", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(pic)
	if err != nil {
		t.Fatal(err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		t.Fatalf("gozxing cannot read the QR code: %v", err)
	}
	eq(t, "decoded QR text", res.GetText(), string(raw))
	level, _ := res.GetResultMetadata()[gozxing.ResultMetadataType_ERROR_CORRECTION_LEVEL].(string)
	eq(t, "errorCorrectionLevel", img["errorCorrectionLevel"], strings.ToLower(level))
	// The symbol is 17+4v modules wide, plus a 4-module quiet zone each
	// side, at qr.PixelsPerModule pixels per module.
	v, ok := img["version"].(float64)
	modules := pic.Bounds().Dx()/qr.PixelsPerModule - 8
	if !ok || v < 1 || v > 40 || float64(modules) != 17+4*v {
		t.Fatalf("version %v, but the symbol is %d modules wide", img["version"], modules)
	}
	p, err := qr.Parse(res.GetText())
	if err != nil {
		t.Fatalf("qr.Parse(%q): %v", res.GetText(), err)
	}
	eq(t, "payload UPN", p.UPN, upn)
	eq(t, "payload code id", p.CodeID, codeID)
	eq(t, "payload tenant", p.TenantID, e.tenant)
	if len(p.Secret) != qr.SecretLen {
		t.Fatalf("payload secret is %d bytes", len(p.Secret))
	}
}

// adminTokens caches adminTok's tokens, by env.
var adminTokens sync.Map // *env -> cachedToken

type cachedToken struct {
	token  string
	minted time.Time
}

// adminTok returns e.admin(), minted again only once the cached token is
// 30 minutes old on e's clock: e.admin() stores an application each time,
// and a database write per request slows the suite down.
func (e *env) adminTok() string {
	now := e.clock.Now()
	if c, ok := adminTokens.Load(e); ok {
		if c := c.(cachedToken); now.Sub(c.minted) < 30*time.Minute {
			return c.token
		}
	}
	tok := e.admin()
	adminTokens.Store(e, cachedToken{tok, now})
	return tok
}

// ---- addressing a user's method ----

// form is one way of addressing a user's method: version, user segment and
// the spelling of the path segments (spec D1).
type form struct {
	name      string
	version   string // "v1.0" or "beta"
	me        bool   // /me with the user's own delegated token; else /users/{key} with an admin app token
	byUPN     bool   // /users/{UPN in upper case} rather than /users/{id}
	method    string // spellings of qrCodePinMethod, standardQRCode, temporaryQRCode, pin
	standard  string
	temporary string
	pin       string
}

var forms = []form{
	{"v1.0_users_id", "v1.0", false, false, "qrCodePinMethod", "standardQRCode", "temporaryQRCode", "pin"},
	{"beta_users_UPN", "beta", false, true, "qrcodepinmethod", "STANDARDQRCODE", "TemporaryQrCode", "PIN"},
	{"v1.0_me", "v1.0", true, false, "QRCODEPINMETHOD", "standardqrcode", "TEMPORARYQRCODE", "Pin"},
	{"beta_me", "beta", true, false, "qrCodePinMethod", "standardQrCode", "temporaryqrcode", "pin"},
}

// subject is a user (a Global Administrator, so /me may reset their PIN)
// and the form a test addresses their method in.
type subject struct {
	e *env
	f form
	u store.User
}

// eachForm runs fn once per form, each on a fresh server.
func eachForm(t *testing.T, fn func(t *testing.T, s *subject)) {
	for _, f := range forms {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			fn(t, &subject{e: e, f: f, u: e.user("Ana.Lopez@contoso.com", auth.GlobalAdministrator)})
		})
	}
}

// token returns a token for the form, minted now: an administrator
// application, or the user signed in just now.
func (s *subject) token() string {
	if s.f.me {
		return s.e.userToken(s.u, "UserAuthMethod-QR.ReadWrite")
	}
	return s.e.adminTok()
}

func (s *subject) userPath() string {
	switch {
	case s.f.me:
		return "/" + s.f.version + "/me"
	case s.f.byUPN:
		return "/" + s.f.version + "/users/" + strings.ToUpper(s.u.UPN)
	}
	return "/" + s.f.version + "/users/" + s.u.ID
}

func (s *subject) methodPath() string { return s.userPath() + "/authentication/" + s.f.method }
func (s *subject) stdPath() string    { return s.methodPath() + "/" + s.f.standard }
func (s *subject) tempPath() string   { return s.methodPath() + "/" + s.f.temporary }
func (s *subject) pinPath() string    { return s.methodPath() + "/" + s.f.pin }
func (s *subject) listPath() string   { return s.userPath() + "/authentication/methods" }

func (s *subject) codePath(temporary bool) string {
	if temporary {
		return s.tempPath()
	}
	return s.stdPath()
}

// ctx is the @odata.context of the method ("") or one of its parts
// ("/standardQRCode", "/temporaryQRCode", "/pin").
func (s *subject) ctx(part string) string {
	return s.e.srv.URL + "/" + s.f.version + "/$metadata#users('" + s.u.ID + "')/authentication/qrCodePinMethod" + part + "/$entity"
}

func (s *subject) do(verb, path, body string) resp {
	s.e.t.Helper()
	return s.e.do(verb, path, s.token(), body)
}

// create registers the method with a standard code from start to expire
// and the given PIN, and returns the 201 response.
func (s *subject) create(t *testing.T, start, expire time.Time, code string) map[string]any {
	t.Helper()
	r := s.do("PUT", s.methodPath(), createBody(start, expire, code))
	expect(t, r, http.StatusCreated, "")
	return r.json(t)
}

func createBody(start, expire time.Time, code string) string {
	return fmt.Sprintf(`{"@odata.type":"#microsoft.graph.qrCodePinAuthenticationMethod",`+
		`"standardQRCode":{"startDateTime":%q,"expireDateTime":%q},"pin":{"code":%q}}`, rfc(start), rfc(expire), code)
}

func codeBody(start, expire time.Time) string {
	return fmt.Sprintf(`{"@odata.type":"#microsoft.graph.qrCode","startDateTime":%q,"expireDateTime":%q}`, rfc(start), rfc(expire))
}

// updatePIN calls pin/updatePin as the user, and returns the response.
func (e *env) updatePIN(u store.User, current, next string) resp {
	e.t.Helper()
	return e.do("POST", "/v1.0/me/authentication/qrCodePinMethod/pin/updatePin",
		e.userToken(u, "UserAuthMethod-QR.ReadWrite"), fmt.Sprintf(`{"currentPin":%q,"newPin":%q}`, current, next))
}

// getPIN reads the user's PIN as an administrator.
func (e *env) getPIN(t *testing.T, u store.User) map[string]any {
	t.Helper()
	r := e.do("GET", "/v1.0/users/"+u.ID+"/authentication/qrCodePinMethod/pin", e.adminTok(), "")
	expect(t, r, http.StatusOK, "")
	return r.json(t)
}

// setPolicy patches the tenant policy as an administrator.
func (e *env) setPolicy(t *testing.T, fields string) {
	t.Helper()
	r := e.do("PATCH", "/v1.0"+policyPath, e.adminTok(),
		`{"@odata.type":"#microsoft.graph.qrCodePinAuthenticationMethodConfiguration",`+fields+`}`)
	expect(t, r, http.StatusOK, "")
}

// Valid PINs (8 digits, no run of ten, not periodic).
const (
	pin1 = "48150392"
	pin2 = "36918207"
	pin3 = "70214958"
)

// Keys of the method's JSON shapes.
var (
	methodKeys = []string{"@odata.context", "@odata.type", "id", "createdDateTime", "standardQRCode", "temporaryQRCode", "pin"}
	codeKeys   = []string{"@odata.type", "id", "startDateTime", "expireDateTime", "createdDateTime", "lastUsedDateTime", "image"}
	pinKeys    = []string{"@odata.type", "code", "forceChangePinNextSignIn", "createdDateTime", "updatedDateTime"}
)

// methodKeys are the method's keys in the subject's API version: beta's
// carries lastUsedDateTime.
func (s *subject) methodKeys() []string {
	if s.f.version == "beta" {
		return append(slices.Clone(methodKeys), "lastUsedDateTime")
	}
	return methodKeys
}

// pinKeys are the qrPin's keys in the subject's API version: v1.0's
// carries an id.
func (s *subject) pinKeys() []string {
	if s.f.version == "v1.0" {
		return append(slices.Clone(pinKeys), "id")
	}
	return pinKeys
}

// checkCode checks a qrCode object (nested: no @odata.context).
func checkCode(t *testing.T, c map[string]any, start, expire, created time.Time) {
	t.Helper()
	hasKeys(t, c, codeKeys...)
	eq(t, "qrCode @odata.type", c["@odata.type"], "#microsoft.graph.qrCode")
	isGUID(t, "qrCode id", str(t, c, "id"))
	eq(t, "startDateTime", c["startDateTime"], rfc(start))
	eq(t, "expireDateTime", c["expireDateTime"], rfc(expire))
	eq(t, "createdDateTime", c["createdDateTime"], rfc(created))
	eq(t, "lastUsedDateTime", c["lastUsedDateTime"], zeroTime)
}

// checkPIN checks a qrPin object (nested: no @odata.context); code is the
// expected code (nil for reads). A v1.0 qrPin carries an id, a beta one
// none (TestPINAndMethodIDs checks which, and its value).
func checkPIN(t *testing.T, p map[string]any, code any, force bool, created, updated time.Time) {
	t.Helper()
	if _, ok := p["id"]; ok {
		hasKeys(t, p, append(pinKeys, "id")...)
		isGUID(t, "qrPin id", str(t, p, "id"))
	} else {
		hasKeys(t, p, pinKeys...)
	}
	eq(t, "qrPin @odata.type", p["@odata.type"], "#microsoft.graph.qrPin")
	eq(t, "pin.code", p["code"], code)
	eq(t, "forceChangePinNextSignIn", p["forceChangePinNextSignIn"], force)
	eq(t, "pin.createdDateTime", p["createdDateTime"], rfc(created))
	eq(t, "pin.updatedDateTime", p["updatedDateTime"], rfc(updated))
}

// withoutContext returns a copy of m without its @odata.context.
func withoutContext(m map[string]any) map[string]any {
	c := map[string]any{}
	for k, v := range m {
		if k != "@odata.context" {
			c[k] = v
		}
	}
	return c
}

// ---- E2: PUT the method ----

func TestCreateMethod(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, s *subject) {
		// An odd time, to the microsecond, proves the times are the clock's.
		s.e.clock.Advance(83*time.Minute + 45*time.Second + 678901*time.Microsecond)
		now := s.e.clock.Now()
		start := now.Add(2 * time.Hour) // a start in the future is allowed
		expire := start.AddDate(0, 0, 200)

		m := s.create(t, start, expire, pin1)
		hasKeys(t, m, s.methodKeys()...)
		eq(t, "@odata.context", m["@odata.context"], s.ctx(""))
		eq(t, "@odata.type", m["@odata.type"], "#microsoft.graph.qrCodePinAuthenticationMethod")
		isGUID(t, "id", str(t, m, "id"))
		eq(t, "createdDateTime", m["createdDateTime"], rfc(now))
		eq(t, "temporaryQRCode", m["temporaryQRCode"], nil)
		std := obj(t, m, "standardQRCode")
		checkCode(t, std, start, expire, now)
		s.e.checkImage(t, obj(t, std, "image"), s.u.UPN, str(t, std, "id"))
		checkPIN(t, obj(t, m, "pin"), pin1, true, now, now)

		// A read shows the same method without its secrets.
		r := s.do("GET", s.methodPath(), "")
		expect(t, r, http.StatusOK, "")
		g, stored := r.json(t), r.body
		want := withoutContext(m)
		want["@odata.context"] = s.ctx("")
		wstd := obj(t, want, "standardQRCode")
		wstd["image"] = nil
		obj(t, want, "pin")["code"] = nil
		eq(t, "GET after PUT", g, want)

		// A second method: refused, and the first one is untouched.
		r = s.do("PUT", s.methodPath(), createBody(now, now.AddDate(0, 0, 30), pin2))
		s.e.checkError(t, r, http.StatusBadRequest, "tooManyQRCodePinMethod", "")
		eq(t, "method after refused PUT", string(r2body(t, s)), string(stored))
		// The first PIN is still the one that works.
		expect(t, s.e.updatePIN(s.u, pin2, pin3), http.StatusBadRequest, "incorrectPin")
		expect(t, s.e.updatePIN(s.u, pin1, pin3), http.StatusNoContent, "")
	})
}

// r2body reads the method's current JSON.
func r2body(t *testing.T, s *subject) []byte {
	t.Helper()
	r := s.do("GET", s.methodPath(), "")
	expect(t, r, http.StatusOK, "")
	return r.body
}

// Without expireDateTime the standard code lives for the policy's
// standardQRCodeLifetimeInDays; without startDateTime it starts now; times
// in other offsets come back in UTC.
func TestCreateMethodDefaultExpiry(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, s *subject) {
		now := s.e.clock.Now()
		r := s.do("PUT", s.methodPath(), `{"standardQRCode":{},"pin":{"code":"`+pin1+`"}}`)
		expect(t, r, http.StatusCreated, "")
		std := obj(t, r.json(t), "standardQRCode")
		checkCode(t, std, now, now.AddDate(0, 0, 365), now)
		expect(t, s.do("DELETE", s.methodPath(), ""), http.StatusNoContent, "")

		s.e.setPolicy(t, `"standardQRCodeLifetimeInDays":30`)
		start := now.Add(36 * time.Hour)
		r = s.do("PUT", s.methodPath(), `{"standardQRCode":{"startDateTime":"`+rfc(start)+`"},"pin":{"code":"`+pin1+`"}}`)
		expect(t, r, http.StatusCreated, "")
		checkCode(t, obj(t, r.json(t), "standardQRCode"), start, start.AddDate(0, 0, 30), now)
		expect(t, s.do("DELETE", s.methodPath(), ""), http.StatusNoContent, "")

		// 2027-03-02T11:00:00+02:00 is 09:00Z.
		r = s.do("PUT", s.methodPath(), `{"standardQRCode":{"startDateTime":"2026-03-02T10:00:00+01:00","expireDateTime":"2027-03-02T11:00:00+02:00"},"pin":{"code":"`+pin1+`"}}`)
		expect(t, r, http.StatusCreated, "")
		checkCode(t, obj(t, r.json(t), "standardQRCode"), now, time.Date(2027, 3, 2, 9, 0, 0, 0, time.UTC), now)
	})
}

// Without a PIN (or with an empty one) the server generates one that
// follows the rules at the policy's length, and returns it once.
func TestCreateMethodGeneratedPIN(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, s *subject) {
		now := s.e.clock.Now()
		std := `"standardQRCode":{"expireDateTime":"` + rfc(now.AddDate(0, 0, 10)) + `"}`
		bodies := []string{
			`{` + std + `}`,
			`{` + std + `,"pin":null}`,
			`{` + std + `,"pin":{}}`,
			`{` + std + `,"pin":{"code":""}}`,
			`{` + std + `,"pin":{"@odata.type":"#microsoft.graph.qrPin","code":null}}`,
		}
		var last string
		for _, length := range []int{8, 12} {
			if length != 8 {
				s.e.setPolicy(t, fmt.Sprintf(`"pinLength":%d`, length))
			}
			for _, body := range bodies {
				r := s.do("PUT", s.methodPath(), body)
				expect(t, r, http.StatusCreated, "")
				p := obj(t, r.json(t), "pin")
				code := str(t, p, "code")
				if len(code) != length || pin.Check(code, length) != nil {
					t.Fatalf("body %s: generated PIN %q breaks the rules at length %d", body, code, length)
				}
				if code == last {
					t.Fatalf("two generated PINs are both %q", code)
				}
				last = code
				checkPIN(t, p, code, true, now, now)
				if p := obj(t, r2json(t, s), "pin"); p["code"] != nil {
					t.Fatalf("GET shows the PIN: %v", p)
				}
				expect(t, s.do("DELETE", s.methodPath(), ""), http.StatusNoContent, "")
			}
		}
		// The generated PIN is the user's PIN.
		r := s.do("PUT", s.methodPath(), bodies[0])
		expect(t, r, http.StatusCreated, "")
		code := str(t, obj(t, r.json(t), "pin"), "code")
		expect(t, s.e.updatePIN(s.u, code, "482059173016"), http.StatusNoContent, "")
	})
}

func r2json(t *testing.T, s *subject) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r2body(t, s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// Every refused PUT leaves the user without a method.
func TestCreateMethodErrors(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, s *subject) {
		now := s.e.clock.Now()
		std := fmt.Sprintf(`"standardQRCode":{"startDateTime":%q,"expireDateTime":%q}`, rfc(now), rfc(now.AddDate(0, 0, 30)))
		withPIN := func(code string) string { return `{` + std + `,"pin":{"code":"` + code + `"}}` }
		withLife := func(start, expire time.Time, code string) string {
			return fmt.Sprintf(`{"standardQRCode":{"startDateTime":%q,"expireDateTime":%q},"pin":{"code":%q}}`, rfc(start), rfc(expire), code)
		}
		tests := []struct {
			name, body, code string
		}{
			{"no standardQRCode", `{"pin":{"code":"` + pin1 + `"}}`, "standardQRCodeRequired"},
			{"empty object", `{}`, "standardQRCodeRequired"},
			{"standardQRCode null", `{"standardQRCode":null,"pin":{"code":"` + pin1 + `"}}`, "standardQRCodeRequired"},
			{"temporaryQRCode", `{` + std + `,"temporaryQRCode":{"startDateTime":"` + rfc(now) + `","expireDateTime":"` + rfc(now.Add(time.Hour)) + `"},"pin":{"code":"` + pin1 + `"}}`, "standardQRCodeRequired"},
			{"temporaryQRCode only", `{"temporaryQRCode":{},"pin":{"code":"` + pin1 + `"}}`, "standardQRCodeRequired"},
			{"letters", withPIN("abcdefgh"), "pinTooShort"},
			{"digits and a letter", withPIN("4815039a"), "pinTooShort"},
			{"space", withPIN("4815 0392"), "pinTooShort"},
			{"seven digits", withPIN("4815039"), "pinTooShort"},
			{"ascending run", withPIN("50123456789"), "invalidPin"},
			{"descending run", withPIN("9876543210"), "invalidPin"},
			{"period 1", withPIN("11111111"), "invalidPin"},
			{"period 2", withPIN("12121212"), "invalidPin"},
			{"period 3", withPIN("123123123"), "invalidPin"},
			{"21 digits", withPIN("481503924815039248150"), "invalidPin"},
			{"396 days", withLife(now, now.AddDate(0, 0, 396), pin1), "qrCodeLifeTimeExceedLimit"},
			{"395 days and a second", withLife(now, now.AddDate(0, 0, 395).Add(time.Second), pin1), "qrCodeLifeTimeExceedLimit"},
			{"23 hours", withLife(now, now.Add(23*time.Hour), pin1), "qrCodeLifeTimeExceedLimit"},
			{"expiry before start", withLife(now.Add(48*time.Hour), now.Add(24*time.Hour), pin1), "qrCodeLifeTimeExceedLimit"},
			{"start an hour ago", withLife(now.Add(-time.Hour), now.AddDate(0, 0, 30), pin1), "BadRequest"},
			{"not a date", `{"standardQRCode":{"expireDateTime":"next year"},"pin":{"code":"` + pin1 + `"}}`, "BadRequest"},
		}
		for _, tc := range tests {
			r := s.do("PUT", s.methodPath(), tc.body)
			if r.status != http.StatusBadRequest || r.errCode(t) != tc.code {
				t.Fatalf("%s: got %d %s, want 400 %s", tc.name, r.status, r.body, tc.code)
			}
			s.e.checkError(t, r, http.StatusBadRequest, tc.code, "")
			s.e.checkError(t, s.do("GET", s.methodPath(), ""), http.StatusNotFound, "itemNotFound", "")
		}

		// A raised pinLength raises the minimum.
		s.e.setPolicy(t, `"pinLength":10`)
		for _, code := range []string{pin1, "481503927"} {
			s.e.checkError(t, s.do("PUT", s.methodPath(), withPIN(code)), http.StatusBadRequest, "pinTooShort", "")
			s.e.checkError(t, s.do("GET", s.methodPath(), ""), http.StatusNotFound, "itemNotFound", "")
		}
		// The limits themselves are accepted: 10 digits, 20 digits, 1 and 395 days.
		for _, body := range []string{withPIN("4815039271"), withPIN("48150392715936048271"),
			withLife(now, now.AddDate(0, 0, 1), "4815039271"), withLife(now, now.AddDate(0, 0, 395), "4815039271")} {
			r := s.do("PUT", s.methodPath(), body)
			expect(t, r, http.StatusCreated, "")
			expect(t, s.do("DELETE", s.methodPath(), ""), http.StatusNoContent, "")
		}
	})
}

func TestCreateMethodUnknownUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	now := e.clock.Now()
	for _, path := range []string{
		"/v1.0/users/" + uuid.NewString() + "/authentication/qrCodePinMethod",
		"/beta/users/nobody@contoso.com/authentication/qrCodePinMethod",
	} {
		r := e.do("PUT", path, e.adminTok(), createBody(now, now.AddDate(0, 0, 30), pin1))
		e.checkError(t, r, http.StatusNotFound, "Request_ResourceNotFound", "")
		e.checkError(t, e.do("GET", path, e.adminTok(), ""), http.StatusNotFound, "Request_ResourceNotFound", "")
	}
}

// ---- E1: GET the method; the methods list ----

func TestGetMethod(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, s *subject) {
		listCtx := s.e.srv.URL + "/" + s.f.version + "/$metadata#users('" + s.u.ID + "')/authentication/methods"
		s.e.checkError(t, s.do("GET", s.methodPath(), ""), http.StatusNotFound, "itemNotFound", "")
		r := s.do("GET", s.listPath(), "")
		expect(t, r, http.StatusOK, "")
		eq(t, "empty methods list", r.json(t), map[string]any{"@odata.context": listCtx, "value": []any{}})

		created := s.e.clock.Now()
		m := s.create(t, created, created.AddDate(0, 0, 90), pin1)
		s.e.clock.Advance(time.Hour)

		r = s.do("GET", s.methodPath(), "")
		expect(t, r, http.StatusOK, "")
		g := r.json(t)
		hasKeys(t, g, s.methodKeys()...)
		eq(t, "@odata.context", g["@odata.context"], s.ctx(""))
		eq(t, "@odata.type", g["@odata.type"], "#microsoft.graph.qrCodePinAuthenticationMethod")
		eq(t, "id", g["id"], m["id"])
		eq(t, "createdDateTime", g["createdDateTime"], rfc(created))
		eq(t, "temporaryQRCode", g["temporaryQRCode"], nil)
		std := obj(t, g, "standardQRCode")
		checkCode(t, std, created, created.AddDate(0, 0, 90), created)
		eq(t, "standardQRCode.id", std["id"], obj(t, m, "standardQRCode")["id"])
		eq(t, "standardQRCode.image", std["image"], nil)
		checkPIN(t, obj(t, g, "pin"), nil, true, created, created)
		// OData query options are accepted and ignored.
		r2 := s.do("GET", s.methodPath()+"?$select=id&$expand=pin", "")
		expect(t, r2, http.StatusOK, "")
		eq(t, "GET with $select", string(r2.body), string(r.body))

		r = s.do("GET", s.listPath(), "")
		expect(t, r, http.StatusOK, "")
		l := r.json(t)
		hasKeys(t, l, "@odata.context", "value")
		eq(t, "list @odata.context", l["@odata.context"], listCtx)
		vs, _ := l["value"].([]any)
		if len(vs) != 1 {
			t.Fatalf("methods list: %s", r.body)
		}
		want := withoutContext(g)
		eq(t, "listed method", vs[0], want)
	})
}

// ---- E3: DELETE the method ----

func TestDeleteMethod(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, s *subject) {
		now := s.e.clock.Now()
		m := s.create(t, now, now.AddDate(0, 0, 30), pin1)
		expect(t, s.do("PATCH", s.tempPath(), codeBody(now, now.Add(2*time.Hour))), http.StatusCreated, "")

		r := s.do("DELETE", s.methodPath(), "")
		expect(t, r, http.StatusNoContent, "")
		emptyBody(t, r)
		for _, p := range []string{s.methodPath(), s.stdPath(), s.tempPath(), s.pinPath()} {
			s.e.checkError(t, s.do("GET", p, ""), http.StatusNotFound, "itemNotFound", "")
		}
		r = s.do("GET", s.listPath(), "")
		expect(t, r, http.StatusOK, "")
		eq(t, "methods after delete", r.json(t)["value"], []any{})
		s.e.checkError(t, s.do("DELETE", s.methodPath(), ""), http.StatusNotFound, "itemNotFound", "")
		// The old PIN is gone with the method.
		s.e.checkError(t, s.e.updatePIN(s.u, pin1, pin2), http.StatusNotFound, "itemNotFound", "")

		// A new method can be created, with new ids.
		n := s.create(t, now, now.AddDate(0, 0, 30), pin2)
		if n["id"] == m["id"] || obj(t, n, "standardQRCode")["id"] == obj(t, m, "standardQRCode")["id"] {
			t.Fatalf("new method reuses ids: %v / %v", n["id"], m["id"])
		}
		eq(t, "temporaryQRCode of the new method", n["temporaryQRCode"], nil)
		expect(t, s.e.updatePIN(s.u, pin1, pin3), http.StatusBadRequest, "incorrectPin")
		expect(t, s.e.updatePIN(s.u, pin2, pin3), http.StatusNoContent, "")
	})
}

// ---- E4: GET a QR code ----

func TestGetCode(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, s *subject) {
		for _, p := range []string{s.stdPath(), s.tempPath()} {
			s.e.checkError(t, s.do("GET", p, ""), http.StatusNotFound, "itemNotFound", "")
		}
		now := s.e.clock.Now()
		m := s.create(t, now, now.AddDate(0, 0, 30), pin1)
		s.e.clock.Advance(time.Minute)

		r := s.do("GET", s.stdPath(), "")
		expect(t, r, http.StatusOK, "")
		c := r.json(t)
		hasKeys(t, c, append(codeKeys, "@odata.context")...)
		eq(t, "@odata.context", c["@odata.context"], s.ctx("/standardQRCode"))
		checkCode(t, withoutContext(c), now, now.AddDate(0, 0, 30), now)
		eq(t, "id", c["id"], obj(t, m, "standardQRCode")["id"])
		eq(t, "image", c["image"], nil)

		// No temporary code, however the path is written.
		for _, p := range []string{s.tempPath(), s.tempPath() + "/"} {
			s.e.checkError(t, s.do("GET", p, ""), http.StatusNotFound, "itemNotFound", "")
		}
		tstart := s.e.clock.Now().Add(30 * time.Minute)
		r = s.do("PATCH", s.tempPath(), codeBody(tstart, tstart.Add(4*time.Hour)))
		expect(t, r, http.StatusCreated, "")
		tid := r.json(t)["id"]
		for _, p := range []string{s.tempPath(), s.tempPath() + "/"} {
			r = s.do("GET", p, "")
			expect(t, r, http.StatusOK, "")
			c = r.json(t)
			eq(t, "@odata.context", c["@odata.context"], s.ctx("/temporaryQRCode"))
			checkCode(t, withoutContext(c), tstart, tstart.Add(4*time.Hour), s.e.clock.Now())
			eq(t, "temporary id", c["id"], tid)
			eq(t, "image", c["image"], nil)
		}
		r = s.do("GET", s.stdPath()+"/", "")
		expect(t, r, http.StatusOK, "")
		eq(t, "standard id via trailing slash", r.json(t)["id"], obj(t, m, "standardQRCode")["id"])
	})
}

// ---- E5/E6: PATCH standardQRCode ----

// With a live standard code, PATCH moves its expiry and nothing else.
func TestPatchStandardCodeUpdate(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, s *subject) {
		created := s.e.clock.Now()
		start := created.Add(time.Hour)
		m := s.create(t, start, start.AddDate(0, 0, 100), pin1)
		id := obj(t, m, "standardQRCode")["id"]
		s.e.clock.Advance(3 * time.Hour)

		update := func(body string, expire time.Time) {
			t.Helper()
			r := s.do("PATCH", s.stdPath(), body)
			expect(t, r, http.StatusOK, "")
			c := r.json(t)
			hasKeys(t, c, append(codeKeys, "@odata.context")...)
			eq(t, "@odata.context", c["@odata.context"], s.ctx("/standardQRCode"))
			checkCode(t, withoutContext(c), start, expire, created)
			eq(t, "id", c["id"], id)
			eq(t, "image", c["image"], nil)
			r = s.do("GET", s.stdPath(), "")
			expect(t, r, http.StatusOK, "")
			eq(t, "expiry read back", r.json(t)["expireDateTime"], rfc(expire))
		}
		update(`{"@odata.type":"#microsoft.graph.qrCode","expireDateTime":"`+rfc(start.AddDate(0, 0, 300))+`"}`, start.AddDate(0, 0, 300))
		update(`{"expireDateTime":"`+rfc(start.AddDate(0, 0, 50))+`"}`, start.AddDate(0, 0, 50))
		update(codeBody(start, start.AddDate(0, 0, 395)), start.AddDate(0, 0, 395)) // the same start is no change
		update(`{"expireDateTime":"`+rfc(start.AddDate(0, 0, 1))+`"}`, start.AddDate(0, 0, 1))
		before := s.do("GET", s.methodPath(), "").body

		now := s.e.clock.Now()
		tests := []struct {
			name, body, code string
		}{
			{"different start", codeBody(now, now.AddDate(0, 0, 30)), "ActiveQRCodeExisted"},
			{"different start only", `{"startDateTime":"` + rfc(now.Add(time.Hour)) + `"}`, "ActiveQRCodeExisted"},
			{"396 days after start", `{"expireDateTime":"` + rfc(start.AddDate(0, 0, 396)) + `"}`, "qrCodeLifeTimeExceedLimit"},
			{"395 days and a second", `{"expireDateTime":"` + rfc(start.AddDate(0, 0, 395).Add(time.Second)) + `"}`, "qrCodeLifeTimeExceedLimit"},
			{"under a day after start", `{"expireDateTime":"` + rfc(start.Add(23*time.Hour)) + `"}`, "qrCodeLifeTimeExceedLimit"},
			{"no expiry", `{}`, "BadRequest"},
			{"bad expiry", `{"expireDateTime":"2027-02-30T00:00:00Z"}`, "BadRequest"},
		}
		for _, tc := range tests {
			r := s.do("PATCH", s.stdPath(), tc.body)
			if r.status != http.StatusBadRequest || r.errCode(t) != tc.code {
				t.Fatalf("%s: got %d %s, want 400 %s", tc.name, r.status, r.body, tc.code)
			}
			s.e.checkError(t, r, http.StatusBadRequest, tc.code, "")
			eq(t, tc.name+": method afterwards", string(s.do("GET", s.methodPath(), "").body), string(before))
		}
	})
}

// Without a live standard code (deleted, or expired) PATCH creates a new
// one with a new id and its image; the PIN stays as it was.
func TestPatchStandardCodeCreate(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, s *subject) {
		created := s.e.clock.Now()
		m := s.create(t, created, created.AddDate(0, 0, 30), pin1)
		oldID := obj(t, m, "standardQRCode")["id"]
		s.e.clock.Advance(time.Hour)
		now := s.e.clock.Now()

		r := s.do("DELETE", s.stdPath(), "")
		expect(t, r, http.StatusNoContent, "")
		emptyBody(t, r)
		r = s.do("PATCH", s.stdPath(), codeBody(now.Add(time.Minute), now.AddDate(0, 0, 10)))
		expect(t, r, http.StatusCreated, "")
		c := r.json(t)
		hasKeys(t, c, append(codeKeys, "@odata.context")...)
		eq(t, "@odata.context", c["@odata.context"], s.ctx("/standardQRCode"))
		checkCode(t, withoutContext(c), now.Add(time.Minute), now.AddDate(0, 0, 10), now)
		if c["id"] == oldID {
			t.Fatal("the new standard code has the old id")
		}
		s.e.checkImage(t, obj(t, c, "image"), s.u.UPN, str(t, c, "id"))

		g := r2json(t, s)
		eq(t, "method id", g["id"], m["id"])
		eq(t, "standard id in the method", obj(t, g, "standardQRCode")["id"], c["id"])
		checkPIN(t, obj(t, g, "pin"), nil, true, created, created)
		// Now a live code exists again: a create is refused.
		s.e.checkError(t, s.do("PATCH", s.stdPath(), codeBody(now.Add(2*time.Minute), now.AddDate(0, 0, 10))),
			http.StatusBadRequest, "ActiveQRCodeExisted", "")
		// The PIN is the one set at creation.
		expect(t, s.e.updatePIN(s.u, pin1, pin2), http.StatusNoContent, "")
	})
}

func TestPatchStandardCodeAfterExpiry(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, s *subject) {
		created := s.e.clock.Now()
		m := s.create(t, created, created.AddDate(0, 0, 1), pin1)
		oldID := obj(t, m, "standardQRCode")["id"]
		// While it lives, an empty PATCH is an update without an expiry.
		s.e.checkError(t, s.do("PATCH", s.stdPath(), `{}`), http.StatusBadRequest, "BadRequest", "")

		s.e.clock.Advance(24 * time.Hour) // expired at exactly its expiry
		now := s.e.clock.Now()
		r := s.do("PATCH", s.stdPath(), `{}`)
		expect(t, r, http.StatusCreated, "")
		c := r.json(t)
		checkCode(t, withoutContext(c), now, now.AddDate(0, 0, 365), now)
		if c["id"] == oldID {
			t.Fatal("the new standard code has the old id")
		}
		s.e.checkImage(t, obj(t, c, "image"), s.u.UPN, str(t, c, "id"))
		checkPIN(t, obj(t, r2json(t, s), "pin"), nil, true, created, created)
	})
}

// ---- E7: PATCH temporaryQRCode ----

func TestPatchTemporaryCode(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, s *subject) {
		created := s.e.clock.Now()
		m := s.create(t, created, created.AddDate(0, 0, 30), pin1)
		s.e.clock.Advance(10 * time.Minute)
		now := s.e.clock.Now()

		r := s.do("PATCH", s.tempPath(), codeBody(now, now.Add(3*time.Hour)))
		expect(t, r, http.StatusCreated, "")
		c := r.json(t)
		hasKeys(t, c, append(codeKeys, "@odata.context")...)
		eq(t, "@odata.context", c["@odata.context"], s.ctx("/temporaryQRCode"))
		checkCode(t, withoutContext(c), now, now.Add(3*time.Hour), now)
		s.e.checkImage(t, obj(t, c, "image"), s.u.UPN, str(t, c, "id"))
		if c["id"] == obj(t, m, "standardQRCode")["id"] {
			t.Fatal("temporary code has the standard code's id")
		}
		g := r2json(t, s)
		tc := obj(t, g, "temporaryQRCode")
		checkCode(t, tc, now, now.Add(3*time.Hour), now)
		eq(t, "temporary id", tc["id"], c["id"])
		eq(t, "temporary image on read", tc["image"], nil)
		eq(t, "standard code untouched", obj(t, g, "standardQRCode")["id"], obj(t, m, "standardQRCode")["id"])
		before := s.do("GET", s.methodPath(), "").body

		// A live temporary code can be neither replaced nor edited.
		for _, body := range []string{codeBody(now.Add(time.Hour), now.Add(3*time.Hour)), `{"expireDateTime":"` + rfc(now.Add(4*time.Hour)) + `"}`, `{}`} {
			s.e.checkError(t, s.do("PATCH", s.tempPath(), body), http.StatusBadRequest, "ActiveQRCodeExisted", "")
			eq(t, "method after refused PATCH", string(s.do("GET", s.methodPath(), "").body), string(before))
		}

		expect(t, s.do("DELETE", s.tempPath(), ""), http.StatusNoContent, "")
		for _, tcase := range []struct{ name, body, code string }{
			{"12 hours and a second", codeBody(now, now.Add(12*time.Hour+time.Second)), "qrCodeLifeTimeExceedLimit"},
			{"13 hours", codeBody(now.Add(time.Hour), now.Add(14*time.Hour)), "qrCodeLifeTimeExceedLimit"},
			{"59 minutes", codeBody(now, now.Add(59*time.Minute)), "qrCodeLifeTimeExceedLimit"},
			{"expiry before start", codeBody(now.Add(2*time.Hour), now.Add(time.Hour)), "qrCodeLifeTimeExceedLimit"},
			{"no expiry", `{"startDateTime":"` + rfc(now) + `"}`, "BadRequest"},
			{"start in the past", codeBody(now.Add(-time.Hour), now.Add(time.Hour)), "BadRequest"},
		} {
			r := s.do("PATCH", s.tempPath(), tcase.body)
			if r.status != http.StatusBadRequest || r.errCode(t) != tcase.code {
				t.Fatalf("%s: got %d %s, want 400 %s", tcase.name, r.status, r.body, tcase.code)
			}
			s.e.checkError(t, s.do("GET", s.tempPath(), ""), http.StatusNotFound, "itemNotFound", "")
		}
		// Exactly 12 hours, and exactly 1 hour, are allowed.
		expect(t, s.do("PATCH", s.tempPath(), codeBody(now, now.Add(12*time.Hour))), http.StatusCreated, "")
		expect(t, s.do("DELETE", s.tempPath(), ""), http.StatusNoContent, "")

		// The standard code is not needed.
		expect(t, s.do("DELETE", s.stdPath(), ""), http.StatusNoContent, "")
		r = s.do("PATCH", s.tempPath(), codeBody(now, now.Add(time.Hour)))
		expect(t, r, http.StatusCreated, "")
		first := r.json(t)["id"]
		g = r2json(t, s)
		eq(t, "standardQRCode", g["standardQRCode"], nil)

		// Once it has expired, another can be created.
		s.e.clock.Advance(time.Hour)
		now = s.e.clock.Now()
		r = s.do("PATCH", s.tempPath(), codeBody(now, now.Add(2*time.Hour)))
		expect(t, r, http.StatusCreated, "")
		c = r.json(t)
		if c["id"] == first {
			t.Fatal("the new temporary code has the old id")
		}
		checkCode(t, withoutContext(c), now, now.Add(2*time.Hour), now)
		s.e.checkImage(t, obj(t, c, "image"), s.u.UPN, str(t, c, "id"))
		eq(t, "temporary id in the method", obj(t, r2json(t, s), "temporaryQRCode")["id"], c["id"])
	})
}

// ---- E8: DELETE a QR code ----

func TestDeleteCodes(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, s *subject) {
		now := s.e.clock.Now()
		s.create(t, now, now.AddDate(0, 0, 30), pin1)
		expect(t, s.do("PATCH", s.tempPath(), codeBody(now, now.Add(2*time.Hour))), http.StatusCreated, "")

		for _, temporary := range []bool{false, true} {
			p := s.codePath(temporary)
			r := s.do("DELETE", p, "")
			expect(t, r, http.StatusNoContent, "")
			emptyBody(t, r)
			s.e.checkError(t, s.do("GET", p, ""), http.StatusNotFound, "itemNotFound", "")
			s.e.checkError(t, s.do("DELETE", p, ""), http.StatusNotFound, "itemNotFound", "")
			g := r2json(t, s)
			if temporary {
				eq(t, "temporaryQRCode", g["temporaryQRCode"], nil)
			} else {
				eq(t, "standardQRCode", g["standardQRCode"], nil)
				obj(t, g, "temporaryQRCode") // the other code stays
			}
		}
		// The method and its PIN stay.
		checkPIN(t, obj(t, r2json(t, s), "pin"), nil, true, now, now)
		expect(t, s.e.updatePIN(s.u, pin1, pin2), http.StatusNoContent, "")
	})
}

// ---- E9: PATCH pin (admin reset) ----

func TestResetPIN(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, s *subject) {
		created := s.e.clock.Now()
		s.create(t, created, created.AddDate(0, 0, 30), pin1)
		current := pin1
		next := []string{pin2, pin3}
		bodies := []string{"", `{}`, `{"pin":""}`, "{\n  \"@odata.type\": \"#microsoft.graph.qrPin\",\n  \"code\": \"09599786\"\n}"}
		for i, body := range bodies {
			s.e.clock.Advance(time.Hour + time.Duration(i)*time.Second)
			now := s.e.clock.Now()
			r := s.do("PATCH", s.pinPath(), body)
			expect(t, r, http.StatusCreated, "")
			p := r.json(t)
			hasKeys(t, p, append(s.pinKeys(), "@odata.context")...)
			eq(t, "@odata.context", p["@odata.context"], s.ctx("/pin"))
			code := str(t, p, "code")
			if code == "09599786" || code == current || len(code) != 8 || pin.Check(code, 8) != nil {
				t.Fatalf("body %q: reset gave PIN %q (previous %q)", body, code, current)
			}
			checkPIN(t, withoutContext(p), code, true, now, now)

			r = s.do("GET", s.pinPath(), "")
			expect(t, r, http.StatusOK, "")
			g := r.json(t)
			eq(t, "@odata.context", g["@odata.context"], s.ctx("/pin"))
			checkPIN(t, withoutContext(g), nil, true, now, now)

			// The old PIN no longer works; the new one does.
			s.e.checkError(t, s.e.updatePIN(s.u, current, next[i%2]), http.StatusBadRequest, "incorrectPin", "")
			expect(t, s.e.updatePIN(s.u, code, next[i%2]), http.StatusNoContent, "")
			current = next[i%2]
		}

		// The generated PIN has the policy's length.
		s.e.setPolicy(t, `"pinLength":12`)
		r := s.do("PATCH", s.pinPath(), "")
		expect(t, r, http.StatusCreated, "")
		code := str(t, r.json(t), "code")
		if len(code) != 12 || pin.Check(code, 12) != nil {
			t.Fatalf("reset under pinLength 12 gave %q", code)
		}
		expect(t, s.e.updatePIN(s.u, code, "482059173016"), http.StatusNoContent, "")
	})
}

// A reset lifts a PIN lockout.
func TestResetPINClearsLockout(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, s *subject) {
		now := s.e.clock.Now()
		s.create(t, now, now.AddDate(0, 0, 30), pin1)
		for range 5 {
			expect(t, s.e.updatePIN(s.u, pin2, pin3), http.StatusBadRequest, "incorrectPin")
		}
		expect(t, s.e.updatePIN(s.u, pin1, pin3), http.StatusTooManyRequests, "pinLocked")
		r := s.do("PATCH", s.pinPath(), `{}`)
		expect(t, r, http.StatusCreated, "")
		expect(t, s.e.updatePIN(s.u, str(t, r.json(t), "code"), pin3), http.StatusNoContent, "")
	})
}

// The seed's own example body has a trailing comma: it is refused, with
// the place named, and the PIN stays.
func TestResetPINSeedExample(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, s *subject) {
		created := s.e.clock.Now()
		s.create(t, created, created.AddDate(0, 0, 30), pin1)
		s.e.clock.Advance(time.Hour)
		body := "{\n  \"@odata.type\": \"#microsoft.graph.qrPin\",\n  \"code\": \"09599786\",\n}"
		msg := s.e.checkError(t, s.do("PATCH", s.pinPath(), body), http.StatusBadRequest, "BadRequest", "")
		if !strings.Contains(msg, "line 4, column 1") || !strings.Contains(msg, "trailing comma") {
			t.Fatalf("message does not name line 4 and the trailing comma: %q", msg)
		}
		checkPIN(t, withoutContext(s.e.getPIN(t, s.u)), nil, true, created, created)
		expect(t, s.e.updatePIN(s.u, "09599786", pin2), http.StatusBadRequest, "incorrectPin")
		expect(t, s.e.updatePIN(s.u, pin1, pin2), http.StatusNoContent, "")
	})
}

func TestResetPINNoMethod(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, s *subject) {
		s.e.checkError(t, s.do("PATCH", s.pinPath(), `{}`), http.StatusNotFound, "itemNotFound", "")
		s.e.checkError(t, s.do("GET", s.pinPath(), ""), http.StatusNotFound, "itemNotFound", "")
		s.e.checkError(t, s.do("GET", s.methodPath(), ""), http.StatusNotFound, "itemNotFound", "")
	})
	e := newEnv(t)
	e.checkError(t, e.do("PATCH", "/v1.0/users/"+uuid.NewString()+"/authentication/qrCodePinMethod/pin", e.adminTok(), `{}`),
		http.StatusNotFound, "Request_ResourceNotFound", "")
}

// ---- E10: pin/updatePin ----

// updateForms are the verbs and paths updatePin answers on.
var updateForms = []struct {
	name, verb string
	path       func(u store.User) string
}{
	{"POST_me_pin_updatePin", "POST", func(store.User) string { return "/v1.0/me/authentication/qrCodePinMethod/pin/updatePin" }},
	{"PATCH_me_pin_updatepin", "PATCH", func(store.User) string { return "/beta/me/authentication/qrcodepinmethod/pin/updatepin" }},
	{"POST_users_id_alias", "POST", func(u store.User) string { return "/v1.0/users/" + u.ID + "/authentication/qrCodePinMethod/updatePin" }},
	{"PATCH_users_UPN_alias", "PATCH", func(u store.User) string {
		return "/beta/users/" + strings.ToUpper(u.UPN) + "/authentication/QRCODEPINMETHOD/UPDATEPIN"
	}},
	{"PATCH_users_id_pin_updatePin", "PATCH", func(u store.User) string {
		return "/v1.0/users/" + u.ID + "/authentication/qrCodePinMethod/PIN/updatePin"
	}},
}

func TestUpdatePIN(t *testing.T) {
	t.Parallel()
	for _, uf := range updateForms {
		t.Run(uf.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			u := e.user("bo.chen@contoso.com")
			created := e.clock.Now()
			expect(t, e.do("PUT", "/v1.0/users/"+u.ID+"/authentication/qrCodePinMethod", e.adminTok(),
				createBody(created, created.AddDate(0, 0, 30), pin1)), http.StatusCreated, "")
			e.clock.Advance(2 * time.Hour)
			now := e.clock.Now()
			call := func(body string) resp {
				t.Helper()
				return e.do(uf.verb, uf.path(u), e.userToken(u, "UserAuthMethod-QR.ReadWrite"), body)
			}

			r := call(`{"currentPin":"` + pin1 + `","newPin":"` + pin2 + `"}`)
			expect(t, r, http.StatusNoContent, "")
			emptyBody(t, r)
			checkPIN(t, withoutContext(e.getPIN(t, u)), nil, false, created, now)

			e.clock.Advance(time.Minute)
			tests := []struct{ name, body, code string }{
				{"wrong current", `{"currentPin":"` + pin1 + `","newPin":"` + pin3 + `"}`, "incorrectPin"},
				{"new too short", `{"currentPin":"` + pin2 + `","newPin":"4815039"}`, "pinTooShort"},
				{"new letters", `{"currentPin":"` + pin2 + `","newPin":"abcdefgh"}`, "pinTooShort"},
				{"new period 1", `{"currentPin":"` + pin2 + `","newPin":"77777777"}`, "invalidPin"},
				{"new period 3", `{"currentPin":"` + pin2 + `","newPin":"147147147"}`, "invalidPin"},
				{"new ascending run", `{"currentPin":"` + pin2 + `","newPin":"0123456789"}`, "invalidPin"},
				{"new 21 digits", `{"currentPin":"` + pin2 + `","newPin":"481503924815039248150"}`, "invalidPin"},
				{"new equals current", `{"currentPin":"` + pin2 + `","newPin":"` + pin2 + `"}`, "invalidPin"},
				{"empty", `{}`, "BadRequest"},
				{"no newPin", `{"currentPin":"` + pin2 + `"}`, "BadRequest"},
				{"no currentPin", `{"newPin":"` + pin3 + `"}`, "BadRequest"},
				{"empty currentPin", `{"currentPin":"","newPin":"` + pin3 + `"}`, "BadRequest"},
				{"no body", ``, "BadRequest"},
			}
			for _, tc := range tests {
				r := call(tc.body)
				if r.status != http.StatusBadRequest || r.errCode(t) != tc.code {
					t.Fatalf("%s: got %d %s, want 400 %s", tc.name, r.status, r.body, tc.code)
				}
				e.checkError(t, r, http.StatusBadRequest, tc.code, "")
				checkPIN(t, withoutContext(e.getPIN(t, u)), nil, false, created, now)
			}
			// A raised pinLength applies to the new PIN.
			e.setPolicy(t, `"pinLength":9`)
			expect(t, call(`{"currentPin":"`+pin2+`","newPin":"`+pin3+`"}`), http.StatusBadRequest, "pinTooShort")
			expect(t, call(`{"currentPin":"`+pin2+`","newPin":"702149581"}`), http.StatusNoContent, "")
			checkPIN(t, withoutContext(e.getPIN(t, u)), nil, false, created, e.clock.Now())
		})
	}
}

// Five wrong PINs lock the PIN for a minute (the default lockout): the
// sixth attempt is refused even with the right PIN, until the lock ends.
func TestUpdatePINLockout(t *testing.T) {
	t.Parallel()
	for _, uf := range updateForms[:3] {
		t.Run(uf.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			u := e.user("bo.chen@contoso.com")
			created := e.clock.Now()
			expect(t, e.do("PUT", "/v1.0/users/"+u.ID+"/authentication/qrCodePinMethod", e.adminTok(),
				createBody(created, created.AddDate(0, 0, 30), pin1)), http.StatusCreated, "")
			call := func(current string) resp {
				t.Helper()
				return e.do(uf.verb, uf.path(u), e.userToken(u, "UserAuthMethod-QR.ReadWrite"),
					`{"currentPin":"`+current+`","newPin":"`+pin2+`"}`)
			}
			for i, wrong := range []string{pin3, "48150393", "58150392", "48150391", pin2 + "1"} {
				e.clock.Advance(time.Second)
				if r := call(wrong); r.status != http.StatusBadRequest || r.errCode(t) != "incorrectPin" {
					t.Fatalf("wrong PIN %d: %d %s", i+1, r.status, r.body)
				}
			}
			for _, current := range []string{pin1, pin3} {
				r := call(current)
				e.checkError(t, r, http.StatusTooManyRequests, "pinLocked", "")
				var secs int
				if _, err := fmt.Sscanf(r.header.Get("Retry-After"), "%d", &secs); err != nil || secs <= 0 {
					t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
				}
			}
			checkPIN(t, withoutContext(e.getPIN(t, u)), nil, true, created, created)
			e.clock.Advance(61 * time.Second)
			expect(t, call(pin1), http.StatusNoContent, "")
			checkPIN(t, withoutContext(e.getPIN(t, u)), nil, false, created, e.clock.Now())
		})
	}
}

func TestUpdatePINNoMethod(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.user("bo.chen@contoso.com")
	for _, uf := range updateForms {
		r := e.do(uf.verb, uf.path(u), e.userToken(u, "UserAuthMethod-QR.ReadWrite"), `{"currentPin":"`+pin1+`","newPin":"`+pin2+`"}`)
		e.checkError(t, r, http.StatusNotFound, "itemNotFound", "")
	}
}

// ---- concurrency: the one-method and one-code rules and the lockout hold
// under parallel requests ----

// parallel sends n copies of a request at once and returns the statuses
// and error codes, counted.
func (e *env) parallel(t *testing.T, n int, verb, path string, token func() string, body func(i int) string) map[string]int {
	t.Helper()
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = token()
	}
	type result struct {
		key string
		err error
	}
	results := make(chan result, n)
	start := make(chan struct{})
	for i := range n {
		go func() {
			<-start
			req, err := http.NewRequest(verb, e.srv.URL+path, strings.NewReader(body(i)))
			if err != nil {
				results <- result{err: err}
				return
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+tokens[i])
			res, err := e.srv.Client().Do(req)
			if err != nil {
				results <- result{err: err}
				return
			}
			defer res.Body.Close()
			var env struct {
				Error struct{ Code string } `json:"error"`
			}
			json.NewDecoder(res.Body).Decode(&env)
			results <- result{key: fmt.Sprintf("%d %s", res.StatusCode, env.Error.Code)}
		}()
	}
	close(start)
	got := map[string]int{}
	for range n {
		r := <-results
		if r.err != nil {
			t.Fatal(r.err)
		}
		got[r.key]++
	}
	return got
}

func TestConcurrentCreates(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.user("ana@contoso.com")
	now := e.clock.Now()
	m := "/v1.0/users/" + u.ID + "/authentication/qrCodePinMethod"
	got := e.parallel(t, 6, "PUT", m, e.adminTok, func(int) string { return createBody(now, now.AddDate(0, 0, 30), pin1) })
	eq(t, "parallel PUTs", got, map[string]int{"201 ": 1, "400 tooManyQRCodePinMethod": 5})
	for _, kind := range []string{"temporaryQRCode", "standardQRCode"} {
		if kind == "standardQRCode" {
			expect(t, e.do("DELETE", m+"/standardQRCode", e.adminTok(), ""), http.StatusNoContent, "")
		}
		life := 2 * time.Hour
		if kind == "standardQRCode" {
			life = 48 * time.Hour
		}
		got = e.parallel(t, 6, "PATCH", m+"/"+kind, e.adminTok, func(i int) string {
			return codeBody(now.Add(time.Duration(i)*time.Minute), now.Add(life))
		})
		eq(t, "parallel PATCH "+kind, got, map[string]int{"201 ": 1, "400 ActiveQRCodeExisted": 5})
	}
}

// Parallel wrong PINs cannot get past the lockout: exactly five are
// checked, the rest are refused as locked.
func TestConcurrentWrongPINs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.user("ana@contoso.com")
	now := e.clock.Now()
	expect(t, e.do("PUT", "/v1.0/users/"+u.ID+"/authentication/qrCodePinMethod", e.adminTok(),
		createBody(now, now.AddDate(0, 0, 30), pin1)), http.StatusCreated, "")
	got := e.parallel(t, 12, "POST", "/v1.0/me/authentication/qrCodePinMethod/pin/updatePin",
		func() string { return e.userToken(u, "UserAuthMethod-QR.ReadWrite") },
		func(int) string { return `{"currentPin":"` + pin3 + `","newPin":"` + pin2 + `"}` })
	eq(t, "parallel wrong PINs", got, map[string]int{"400 incorrectPin": 5, "429 pinLocked": 7})
	expect(t, e.updatePIN(u, pin1, pin2), http.StatusTooManyRequests, "pinLocked")
	e.clock.Advance(61 * time.Second)
	expect(t, e.updatePIN(u, pin1, pin2), http.StatusNoContent, "")
}
