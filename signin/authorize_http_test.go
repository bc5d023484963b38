package signin

import (
	"fmt"
	"html"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
)

// keys returns the sorted field names of a JSON object.
func keys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

// wantKeys fails unless the JSON object has exactly these fields.
func wantKeys(t *testing.T, what string, m map[string]any, want ...string) {
	t.Helper()
	slices.Sort(want)
	if got := keys(m); !slices.Equal(got, want) {
		t.Fatalf("%s: fields %v, want %v (%v)", what, got, want, m)
	}
}

// TestHTTPAuthorizeShapes: the JSON of a sign-in for an authorization
// request, field by field: the QR step's as today, the last step's only
// {"next":"redirect","location":URL} (after the PIN and after a new PIN),
// and the errors of an unknown request and of another user's badge.
func TestHTTPAuthorizeShapes(t *testing.T) {
	t.Parallel()
	e, f, b := authzEnv(t)
	bob := e.addUser("bob@contoso.com", goodPIN)
	base := e.server().URL + "/" + testTenant + "/signin/"

	resp, out := post(t, base+"qr", QRRequest{QRCode: b.payload, AuthRequest: reqID})
	if resp.StatusCode != 200 || out["next"] != "pin" || out["pinLength"] != float64(8) {
		t.Fatalf("qr: %d %v", resp.StatusCode, out)
	}
	wantKeys(t, "qr", out, "next", "transaction", "expiresDateTime", "pinLength")
	resp, out = post(t, base+"pin", PINRequest{Transaction: out["transaction"].(string), PIN: goodPIN})
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("pin: %d %v", resp.StatusCode, out)
	}
	wantKeys(t, "pin", out, "next", "location")
	if out["next"] != "redirect" || out["location"] != f.next+"?req="+reqID {
		t.Fatalf("pin: %v", out)
	}

	// The forced new PIN, for the hinted request.
	e.update(b.user.ID, func(m *method.Method) { m.PIN.ForceChange = true })
	_, out = post(t, base+"qr", map[string]string{"qrCode": b.payload, "authRequest": hintedReq})
	_, out = post(t, base+"pin", PINRequest{Transaction: out["transaction"].(string), PIN: goodPIN})
	if out["next"] != "newPin" {
		t.Fatalf("pin: %v", out)
	}
	wantKeys(t, "pin before a new PIN", out, "next", "transaction", "expiresDateTime", "pinLength")
	resp, out = post(t, base+"newpin", NewPINRequest{Transaction: out["transaction"].(string), NewPIN: "90817263"})
	if resp.StatusCode != 200 || out["next"] != "redirect" || out["location"] != f.next+"?req="+hintedReq {
		t.Fatalf("newpin: %d %v", resp.StatusCode, out)
	}
	wantKeys(t, "newpin", out, "next", "location")

	for _, tc := range []struct {
		name    string
		body    any
		status  int
		code    string
		message string
	}{
		{"unknown request", QRRequest{QRCode: b.payload, AuthRequest: "nope"}, 404, "authRequestNotFound",
			"This sign-in request is unknown or has expired. Go back to the application and sign in again."},
		{"malformed request", QRRequest{QRCode: b.payload, AuthRequest: "../x"}, 404, "authRequestNotFound",
			"This sign-in request is unknown or has expired. Go back to the application and sign in again."},
		{"completed request", QRRequest{QRCode: b.payload, AuthRequest: reqID}, 404, "authRequestNotFound",
			"This sign-in request is unknown or has expired. Go back to the application and sign in again."},
		{"another user's badge", QRRequest{QRCode: bob.payload, AuthRequest: "req-bob-hint"}, 400, "unexpectedUser",
			"This is not the badge of carol@contoso.com."},
		{"wrong type", `{"qrCode": "x", "authRequest": 5}`, 400, "BadRequest", "The property 'authRequest' has the wrong type."},
	} {
		if tc.name == "another user's badge" {
			f.mu.Lock()
			f.requests["req-bob-hint"] = Pending{AppID: appID, AppName: appName, UserID: "carol-id", UPN: "carol@contoso.com"}
			f.mu.Unlock()
		}
		resp, out := post(t, base+"qr", tc.body)
		wantKeys(t, tc.name, out, "error")
		e, _ := out["error"].(map[string]any)
		wantKeys(t, tc.name+": error", e, "code", "message")
		if resp.StatusCode != tc.status || e["code"] != tc.code || e["message"] != tc.message {
			t.Errorf("%s: %d %v, want %d %s %q", tc.name, resp.StatusCode, out, tc.status, tc.code, tc.message)
		}
	}
	if n := len(f.completions()); n != 2 {
		t.Fatalf("%d completions, want 2", n)
	}
}

// TestPageAuthorizeContext: the page for a pending request names the
// application (escaped) and the login hint's user, and carries the
// request for the script; a malformed, unknown, repeated or empty request
// gets a page with only a message (no form, no script, no redirect); a
// store that is down, 503.
func TestPageAuthorizeContext(t *testing.T) {
	t.Parallel()
	e, f, b := authzEnv(t)
	base := e.pageServer()
	escName := html.EscapeString(appName)

	res, body := get(t, base+"?authRequest="+reqID)
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'self'") ||
		res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("page: %d %v", res.StatusCode, res.Header)
	}
	for _, want := range []string{
		`<title>Sign in to ` + escName + `</title>`,
		`<h1 id="title">Sign in to <span id="app-name">` + escName + `</span></h1>`,
		`data-auth-request="` + reqID + `"`,
		`<h2 id="scan-title">Scan your badge</h2>`,
		`<form id="scan-form"`, `<form id="pin-form"`, `/signin/assets/signin.js"></script>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, appName) || strings.Contains(body, "<b>") {
		t.Errorf("the application's name is not escaped:\n%s", body)
	}

	_, body = get(t, base+"?authRequest="+hintedReq)
	if want := `<h2 id="scan-title"><span id="login-hint">` + b.user.UPN + `</span>: scan your badge</h2>`; !strings.Contains(body, want) {
		t.Errorf("the hinted page lacks %s:\n%s", want, body)
	}
	// Without the parameter, today's page: no application, no request.
	_, body = get(t, base)
	if strings.Contains(body, "data-auth-request") || strings.Contains(body, "app-name") || !strings.Contains(body, `<h1 id="title">Sign in</h1>`) {
		t.Errorf("the page without a request:\n%s", body)
	}

	asked := len(f.asked())
	unknown := html.EscapeString("This sign-in request is unknown or has expired. Go back to the application and sign in again.")
	for _, tc := range []struct {
		name, query string
		lookup      bool
	}{
		{"unknown", "authRequest=nope", true},
		{"at the longest", "authRequest=" + strings.Repeat("a", MaxRequestIDLen), true},
		{"too long", "authRequest=" + strings.Repeat("a", MaxRequestIDLen+1), false},
		{"bad characters", "authRequest=" + url.QueryEscape("<script>"), false},
		{"a dot", "authRequest=a.b", false},
		{"empty", "authRequest=", false},
		{"twice", "authRequest=" + reqID + "&authRequest=" + reqID, false},
	} {
		res, body := get(t, base+"?"+tc.query)
		if res.StatusCode != 404 || !strings.Contains(body, `<p id="message" role="alert" class="message error">`+unknown+`</p>`) ||
			res.Header.Get("Location") != "" || !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("%s: %d %v\n%s", tc.name, res.StatusCode, res.Header, body)
		}
		for _, not := range []string{"<form", "<script", "data-base", "<input", "http-equiv"} {
			if strings.Contains(body, not) {
				t.Errorf("%s: the page has %s:\n%s", tc.name, not, body)
			}
		}
		if n := len(f.asked()); (n > asked) != tc.lookup {
			t.Errorf("%s: looked up: %v, want %v", tc.name, n > asked, tc.lookup)
		}
		asked = len(f.asked())
	}

	for _, tc := range []struct {
		err    error
		status int
		msg    string
	}{
		{store.ErrUnavailable, 503, "The service is temporarily unavailable. Please retry later."},
		{fmt.Errorf("a bug"), 500, "Something went wrong. Please try again."},
	} {
		f.mu.Lock()
		f.pendingErr = tc.err
		f.mu.Unlock()
		res, body := get(t, base+"?authRequest="+reqID)
		if res.StatusCode != tc.status || !strings.Contains(body, html.EscapeString(tc.msg)) || strings.Contains(body, "<form") ||
			strings.Contains(body, "a bug") {
			t.Errorf("%v: %d\n%s", tc.err, res.StatusCode, body)
		}
	}
}
