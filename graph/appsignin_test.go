package graph_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/qrpin/qrpin/redirect"
)

// signInProps are the application properties the sign-in registration
// shows as.
var signInProps = []string{"isFallbackPublicClient", "publicClient", "spa", "web"}

// signInOf returns the sign-in properties of an application body as
// canonical JSON (keys sorted), failing when one is missing.
func signInOf(t *testing.T, app map[string]any) string {
	t.Helper()
	sub := map[string]any{}
	for _, k := range signInProps {
		v, ok := app[k]
		if !ok {
			t.Fatalf("the application lacks %s: %v", k, app)
		}
		sub[k] = v
	}
	b, err := json.Marshal(sub)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// canonical re-encodes a JSON object with its keys sorted.
func canonical(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// signInShape is the sign-in properties Graph shows for the given values:
// web is the web object's redirectUris and logoutUrl (JSON), the others
// JSON lists, fallback "null" or "true".
func signInShape(t *testing.T, webURIs, logout, spa, public, fallback string) string {
	t.Helper()
	var uris []string
	if err := json.Unmarshal([]byte(webURIs), &uris); err != nil {
		t.Fatal(err)
	}
	settings := []string{}
	for _, u := range uris {
		settings = append(settings, fmt.Sprintf(`{"uri": %q, "index": null}`, u))
	}
	return canonical(t, fmt.Sprintf(`{
		"isFallbackPublicClient": %s,
		"publicClient": {"redirectUris": %s},
		"spa": {"redirectUris": %s},
		"web": {
			"homePageUrl": null,
			"implicitGrantSettings": {"enableAccessTokenIssuance": false, "enableIdTokenIssuance": false},
			"logoutUrl": %s,
			"redirectUriSettings": [%s],
			"redirectUris": %s
		}}`, fallback, public, spa, logout, strings.Join(settings, ","), webURIs))
}

// noSignIn is what an application without a sign-in registration shows.
func noSignIn(t *testing.T) string { return signInShape(t, `[]`, `null`, `[]`, `[]`, `null`) }

// checkSignIn fails unless every read of the application (by id and by
// appId, v1.0 and beta, and its entry in the list) shows want.
func (e *env) checkSignIn(t *testing.T, tok, id, appID, want, what string) {
	t.Helper()
	for _, path := range []string{"/v1.0/applications/" + id, "/beta/applications/" + id, "/v1.0/applications(appId='" + appID + "')"} {
		r := e.do("GET", path, tok, "")
		expect(t, r, http.StatusOK, "")
		if got := signInOf(t, r.json(t)); got != want {
			t.Fatalf("%s: GET %s:\n got %s\nwant %s", what, path, got, want)
		}
	}
	for _, v := range []string{"v1.0", "beta"} {
		r := e.do("GET", "/"+v+"/applications", tok, "")
		expect(t, r, http.StatusOK, "")
		found := false
		for _, a := range r.json(t)["value"].([]any) {
			if app := a.(map[string]any); app["id"] == id {
				found = true
				if got := signInOf(t, app); got != want {
					t.Fatalf("%s: %s list:\n got %s\nwant %s", what, v, got, want)
				}
			}
		}
		if !found {
			t.Fatalf("%s: the %s list lacks the application", what, v)
		}
	}
}

func TestApplicationSignInRoundTrip(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.appAdmin()

	// Without a registration, every property shows, empty.
	plain := e.createApp(tok, "plain")
	if got := signInOf(t, plain); got != noSignIn(t) {
		t.Fatalf("a new application's sign-in properties:\n got %s\nwant %s", got, noSignIn(t))
	}
	e.checkSignIn(t, tok, field(plain, "id"), field(plain, "appId"), noSignIn(t), "plain application")

	// Every property, in both versions; URIs keep their order.
	web := `["https://timesheet.contoso.com/signin-oidc", "http://localhost:5000/cb", "https://a.contoso.com/x?y=1", "http://127.0.0.1/cb", "http://[::1]:8080/"]`
	spa := `["https://spa.contoso.com/", "http://localhost:3000"]`
	public := `["msalb1c0ffee-0000-4000-8000-000000000001://auth", "myapp://callback", "http://localhost", "https://login.contoso.com/native"]`
	long := "https://contoso.com/" + strings.Repeat("p", redirect.MaxLen-len("https://contoso.com/"))
	for _, v := range []string{"v1.0", "beta"} {
		body := fmt.Sprintf(`{"displayName": "timesheet", "isFallbackPublicClient": true,
			"web": {"redirectUris": %s, "logoutUrl": "https://timesheet.contoso.com/signout-oidc",
				"implicitGrantSettings": {"enableIdTokenIssuance": false, "enableAccessTokenIssuance": false}, "homePageUrl": null},
			"spa": {"redirectUris": %s}, "publicClient": {"redirectUris": %s}}`, web, spa, public)
		r := e.do("POST", "/"+v+"/applications", tok, body)
		expect(t, r, http.StatusCreated, "")
		app := r.json(t)
		want := signInShape(t, web, `"https://timesheet.contoso.com/signout-oidc"`, spa, public, `true`)
		if got := signInOf(t, app); got != want {
			t.Fatalf("%s: created application:\n got %s\nwant %s", v, got, want)
		}
		e.checkSignIn(t, tok, field(app, "id"), field(app, "appId"), want, v+" application")
	}

	// A URI of exactly the longest length is kept; isFallbackPublicClient
	// false shows as null, as Graph shows it unset.
	r := e.do("POST", "/v1.0/applications", tok, fmt.Sprintf(`{"displayName": "long", "isFallbackPublicClient": false, "web": {"redirectUris": [%q]}}`, long))
	expect(t, r, http.StatusCreated, "")
	app := r.json(t)
	want := signInShape(t, fmt.Sprintf(`[%q]`, long), `null`, `[]`, `[]`, `null`)
	e.checkSignIn(t, tok, field(app, "id"), field(app, "appId"), want, "longest URI")

	// Null properties are the same as none.
	r = e.do("POST", "/v1.0/applications", tok, `{"displayName": "nulls", "web": null, "spa": {"redirectUris": null}, "publicClient": null, "isFallbackPublicClient": null}`)
	expect(t, r, http.StatusCreated, "")
	app = r.json(t)
	e.checkSignIn(t, tok, field(app, "id"), field(app, "appId"), noSignIn(t), "created with nulls")
}

func TestApplicationSignInLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.appAdmin()
	uris := func(host string, n int) string {
		var l []string
		for i := range n {
			l = append(l, fmt.Sprintf(`"https://%s.contoso.com/%d"`, host, i))
		}
		return "[" + strings.Join(l, ",") + "]"
	}
	// redirect.MaxPerApplication in all is accepted, one more is not.
	half := redirect.MaxPerApplication / 2
	body := fmt.Sprintf(`{"displayName": "full", "web": {"redirectUris": %s}, "spa": {"redirectUris": %s}}`,
		uris("web", half), uris("spa", redirect.MaxPerApplication-half))
	r := e.do("POST", "/v1.0/applications", tok, body)
	expect(t, r, http.StatusCreated, "")
	app := r.json(t)
	id := field(app, "id")
	if n := len(app["web"].(map[string]any)["redirectUris"].([]any)) + len(app["spa"].(map[string]any)["redirectUris"].([]any)); n != redirect.MaxPerApplication {
		t.Fatalf("%d redirect URIs stored, want %d", n, redirect.MaxPerApplication)
	}
	before := e.do("GET", "/v1.0/applications/"+id, tok, "")
	r = e.do("PATCH", "/v1.0/applications/"+id, tok, `{"publicClient": {"redirectUris": ["myapp://one-more"]}}`)
	expect(t, r, http.StatusBadRequest, "Request_BadRequest")
	if msg := errMessage(t, r); !strings.Contains(msg, "publicClient.redirectUris") || !strings.Contains(msg, fmt.Sprint(redirect.MaxPerApplication)) {
		t.Fatalf("message %q", msg)
	}
	if after := e.do("GET", "/v1.0/applications/"+id, tok, ""); string(after.body) != string(before.body) {
		t.Fatalf("a refused PATCH changed the application:\n%s\n%s", before.body, after.body)
	}
	// Replacing a list counts the new list, not the old one.
	r = e.do("PATCH", "/v1.0/applications/"+id, tok, fmt.Sprintf(`{"spa": {"redirectUris": %s}, "publicClient": {"redirectUris": ["myapp://one-more"]}}`,
		uris("spa", redirect.MaxPerApplication-half-1)))
	expect(t, r, http.StatusNoContent, "")
}

// errMessage returns error.message of an OData error body.
func errMessage(t *testing.T, r resp) string {
	t.Helper()
	e, _ := r.json(t)["error"].(map[string]any)
	msg, _ := e["message"].(string)
	return msg
}

func TestApplicationSignInPatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.appAdmin()
	web := `["https://a.contoso.com/cb", "https://b.contoso.com/cb"]`
	spa := `["https://spa.contoso.com/"]`
	public := `["myapp://callback"]`
	r := e.do("POST", "/v1.0/applications", tok, fmt.Sprintf(`{"displayName": "portal", "isFallbackPublicClient": true,
		"web": {"redirectUris": %s, "logoutUrl": "https://a.contoso.com/logout"}, "spa": {"redirectUris": %s}, "publicClient": {"redirectUris": %s}}`,
		web, spa, public))
	expect(t, r, http.StatusCreated, "")
	app := r.json(t)
	id, appID := field(app, "id"), field(app, "appId")
	logout := `"https://a.contoso.com/logout"`
	fallback := `true`

	// Each step sends a PATCH (to either key form, in either version) and
	// says what the registration is then: what it does not send stays.
	for _, step := range []struct {
		what, path, body string
		apply            func()
	}{
		{"a display name only", "/v1.0/applications/" + id, `{"displayName": "renamed"}`, func() {}},
		{"an empty body", "/beta/applications/" + id, `{}`, func() {}},
		{"spa replaced", "/v1.0/applications/" + id, `{"spa": {"redirectUris": ["https://new.contoso.com/", "https://spa.contoso.com/"]}}`,
			func() { spa = `["https://new.contoso.com/", "https://spa.contoso.com/"]` }},
		{"web's logoutUrl only", "/v1.0/applications(appId='" + appID + "')", `{"web": {"logoutUrl": "https://b.contoso.com/bye"}}`,
			func() { logout = `"https://b.contoso.com/bye"` }},
		{"web's redirectUris reordered", "/beta/applications(appId='" + appID + "')", `{"web": {"redirectUris": ["https://b.contoso.com/cb", "https://a.contoso.com/cb"]}}`,
			func() { web = `["https://b.contoso.com/cb", "https://a.contoso.com/cb"]` }},
		{"web's redirectUris emptied", "/v1.0/applications/" + id, `{"web": {"redirectUris": []}}`, func() { web = `[]` }},
		{"web's redirectUris set again, implicit grant off", "/v1.0/applications/" + id,
			`{"web": {"redirectUris": ["https://c.contoso.com/cb"], "implicitGrantSettings": {"enableIdTokenIssuance": false}}}`,
			func() { web = `["https://c.contoso.com/cb"]` }},
		{"logoutUrl null", "/v1.0/applications/" + id, `{"web": {"logoutUrl": null}}`, func() { logout = `null` }},
		{"isFallbackPublicClient false", "/v1.0/applications/" + id, `{"isFallbackPublicClient": false}`, func() { fallback = `null` }},
		{"isFallbackPublicClient true", "/v1.0/applications/" + id, `{"isFallbackPublicClient": true}`, func() { fallback = `true` }},
		{"isFallbackPublicClient null", "/v1.0/applications/" + id, `{"isFallbackPublicClient": null}`, func() { fallback = `null` }},
		{"publicClient's redirectUris null", "/v1.0/applications/" + id, `{"publicClient": {"redirectUris": null}}`, func() { public = `[]` }},
		{"publicClient set, spa null", "/v1.0/applications/" + id, `{"publicClient": {"redirectUris": ["http://localhost"]}, "spa": null}`,
			func() { public, spa = `["http://localhost"]`, `[]` }},
		{"publicClient without redirectUris", "/v1.0/applications/" + id, `{"publicClient": {}}`, func() {}},
		{"web's logoutUrl set again", "/v1.0/applications/" + id, `{"web": {"logoutUrl": "https://c.contoso.com/bye"}}`, func() { logout = `"https://c.contoso.com/bye"` }},
		{"web null", "/v1.0/applications/" + id, `{"web": null}`, func() { web, logout = `[]`, `null` }},
	} {
		r := e.do("PATCH", step.path, tok, step.body)
		expect(t, r, http.StatusNoContent, "")
		if len(r.body) != 0 {
			t.Fatalf("%s: PATCH answered a body: %s", step.what, r.body)
		}
		step.apply()
		e.checkSignIn(t, tok, id, appID, signInShape(t, web, logout, spa, public, fallback), step.what)
	}
	r = e.do("GET", "/v1.0/applications/"+id, tok, "")
	if field(r.json(t), "displayName") != "renamed" {
		t.Fatalf("displayName after the PATCHes: %s", r.body)
	}

	// An application that does not exist: 404, in either key form.
	expect(t, e.do("PATCH", "/v1.0/applications/00000000-0000-4000-8000-000000000000", tok, `{"displayName": "x"}`), http.StatusNotFound, "Request_ResourceNotFound")
	expect(t, e.do("PATCH", "/v1.0/applications(appId='00000000-0000-4000-8000-000000000000')", tok, `{"spa": null}`), http.StatusNotFound, "Request_ResourceNotFound")
	// A caller who may only read applications: 403, nothing changed.
	before := e.do("GET", "/v1.0/applications/"+id, tok, "")
	expect(t, e.do("PATCH", "/v1.0/applications/"+id, e.appToken("Application.Read.All"), `{"spa": {"redirectUris": ["https://x.contoso.com/"]}}`),
		http.StatusForbidden, "accessDenied")
	if after := e.do("GET", "/v1.0/applications/"+id, tok, ""); string(after.body) != string(before.body) {
		t.Fatalf("a refused PATCH changed the application:\n%s\n%s", before.body, after.body)
	}
}

func TestApplicationSignInRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.appAdmin()
	r := e.do("POST", "/v1.0/applications", tok, `{"displayName": "portal", "web": {"redirectUris": ["https://a.contoso.com/cb"], "logoutUrl": "https://a.contoso.com/out"},
		"spa": {"redirectUris": ["https://spa.contoso.com/"]}, "publicClient": {"redirectUris": ["myapp://cb"]}}`)
	expect(t, r, http.StatusCreated, "")
	id := field(r.json(t), "id")
	tooLong := "https://contoso.com/" + strings.Repeat("p", redirect.MaxLen+1-len("https://contoso.com/"))

	// Wrong JSON types get the generic BadRequest code of every body, the
	// rules Entra's Request_BadRequest.
	const typeErr = "BadRequest"
	for _, tc := range []struct {
		what, body, prop string
		code             string // "" for Request_BadRequest
	}{
		{"http outside loopback (web)", `{"web": {"redirectUris": ["https://ok.contoso.com/", "http://contoso.com/cb"]}}`, "'web.redirectUris[1]'", ""},
		{"http outside loopback (spa)", `{"spa": {"redirectUris": ["http://contoso.com/"]}}`, "'spa.redirectUris[0]'", ""},
		{"http on a name that looks like loopback", `{"web": {"redirectUris": ["http://localhost.contoso.com/cb"]}}`, "'web.redirectUris[0]'", ""},
		{"a fragment", `{"web": {"redirectUris": ["https://a.contoso.com/cb#x"]}}`, "'web.redirectUris[0]'", ""},
		{"a fragment (publicClient)", `{"publicClient": {"redirectUris": ["myapp://cb#x"]}}`, "'publicClient.redirectUris[0]'", ""},
		{"a wildcard", `{"web": {"redirectUris": ["https://*.contoso.com/cb"]}}`, "'web.redirectUris[0]'", ""},
		{"userinfo", `{"spa": {"redirectUris": ["https://user:pass@contoso.com/"]}}`, "'spa.redirectUris[0]'", ""},
		{"userinfo (publicClient)", `{"publicClient": {"redirectUris": ["myapp://user@cb"]}}`, "'publicClient.redirectUris[0]'", ""},
		{"too long", fmt.Sprintf(`{"web": {"redirectUris": [%q]}}`, tooLong), "'web.redirectUris[0]'", ""},
		{"empty", `{"spa": {"redirectUris": [""]}}`, "'spa.redirectUris[0]'", ""},
		{"relative", `{"web": {"redirectUris": ["/signin-oidc"]}}`, "'web.redirectUris[0]'", ""},
		{"a space", `{"web": {"redirectUris": ["https://contoso.com/a b"]}}`, "'web.redirectUris[0]'", ""},
		{"a custom scheme on web", `{"web": {"redirectUris": ["myapp://callback"]}}`, "'web.redirectUris[0]'", ""},
		{"a custom scheme on spa", `{"spa": {"redirectUris": ["msal00000000-0000-4000-8000-000000000000://auth"]}}`, "'spa.redirectUris[0]'", ""},
		{"javascript on publicClient", `{"publicClient": {"redirectUris": ["javascript://alert(1)"]}}`, "'publicClient.redirectUris[0]'", ""},
		{"a duplicate (web)", `{"web": {"redirectUris": ["https://a.contoso.com/", "https://b.contoso.com/", "https://a.contoso.com/"]}}`, "'web.redirectUris[2]'", ""},
		{"a duplicate (spa)", `{"spa": {"redirectUris": ["https://s.contoso.com/", "https://s.contoso.com/"]}}`, "'spa.redirectUris[1]'", ""},
		{"a duplicate (publicClient)", `{"publicClient": {"redirectUris": ["myapp://x", "myapp://x"]}}`, "'publicClient.redirectUris[1]'", ""},
		{"logoutUrl over http", `{"web": {"logoutUrl": "http://contoso.com/logout"}}`, "'web.logoutUrl'", ""},
		{"logoutUrl with a fragment", `{"web": {"logoutUrl": "https://contoso.com/logout#x"}}`, "'web.logoutUrl'", ""},
		{"a homePageUrl", `{"web": {"homePageUrl": "https://contoso.com/"}}`, "'web.homePageUrl'", ""},
		{"the implicit grant (ID tokens)", `{"web": {"implicitGrantSettings": {"enableIdTokenIssuance": true}}}`, "'web.implicitGrantSettings'", ""},
		{"the implicit grant (access tokens)", `{"web": {"implicitGrantSettings": {"enableAccessTokenIssuance": true}}}`, "'web.implicitGrantSettings'", ""},
		{"redirectUris not a list", `{"web": {"redirectUris": "https://contoso.com/"}}`, "'web.redirectUris'", typeErr},
		{"a redirect URI not a string", `{"spa": {"redirectUris": [1]}}`, "'spa.redirectUris'", typeErr},
		{"publicClient not an object", `{"publicClient": ["myapp://x"]}`, "'publicClient'", typeErr},
		{"isFallbackPublicClient not a boolean", `{"isFallbackPublicClient": "true"}`, "'isFallbackPublicClient'", typeErr},
		{"a good list with a bad one", `{"spa": {"redirectUris": ["https://fine.contoso.com/"]}, "publicClient": {"redirectUris": ["file:///etc/passwd"]}}`,
			"'publicClient.redirectUris[0]'", ""},
		{"a blank display name", `{"displayName": " ", "spa": {"redirectUris": ["https://fine.contoso.com/"]}}`, "'displayName'", ""},
	} {
		code := tc.code
		if code == "" {
			code = "Request_BadRequest"
		}
		// PATCH: 400 naming the property; the application is as it was.
		before := e.do("GET", "/v1.0/applications/"+id, tok, "")
		r := e.do("PATCH", "/v1.0/applications/"+id, tok, tc.body)
		expect(t, r, http.StatusBadRequest, code)
		if msg := errMessage(t, r); !strings.Contains(msg, tc.prop) {
			t.Errorf("%s: PATCH message %q does not name %s", tc.what, msg, tc.prop)
		}
		if after := e.do("GET", "/v1.0/applications/"+id, tok, ""); string(after.body) != string(before.body) {
			t.Fatalf("%s: a refused PATCH changed the application:\n%s\n%s", tc.what, before.body, after.body)
		}

		// POST: 400 naming the property; no application is added.
		list := e.do("GET", "/v1.0/applications", tok, "")
		body := strings.Replace(tc.body, "{", `{"displayName": "refused", `, 1)
		if strings.Contains(tc.body, `"displayName"`) {
			body = tc.body
		}
		r = e.do("POST", "/beta/applications", tok, body)
		expect(t, r, http.StatusBadRequest, code)
		if msg := errMessage(t, r); !strings.Contains(msg, tc.prop) {
			t.Errorf("%s: POST message %q does not name %s", tc.what, msg, tc.prop)
		}
		if after := e.do("GET", "/v1.0/applications", tok, ""); string(after.body) != string(list.body) {
			t.Fatalf("%s: a refused POST changed the applications:\n%s\n%s", tc.what, list.body, after.body)
		}
	}
}
