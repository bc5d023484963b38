package redirect

import (
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	long := "https://app.example/" + strings.Repeat("a", MaxLen)
	cases := []struct {
		kind Kind
		uri  string
		ok   bool
	}{
		{Web, "https://app.example/callback", true},
		{Web, "https://app.example:8443/cb?tenant=1", true},
		{Web, "http://localhost/cb", true},
		{Web, "http://localhost:5000/cb", true},
		{Web, "http://127.0.0.1/cb", true},
		{Web, "http://[::1]:8080/cb", true},
		{SPA, "https://spa.example", true},
		{Public, "msal5e1b2c3d-0a5f-4c6e-9b7a-51a9f0c0d1e2://auth", true},
		{Public, "myapp://callback", true},
		{Public, "https://login.microsoftonline.com/common/oauth2/nativeclient", true},
		{Public, "http://localhost", true},

		{Web, "", false},
		{Web, long, false},
		{Web, "https://app.example/cb#frag", false},
		{Web, "https://*.example/cb", false},
		{Web, "https://user:pw@app.example/cb", false},
		{Web, "https://user@app.example/cb", false},
		{Web, "/relative/cb", false},
		{Web, "app.example/cb", false},
		{Web, "http://app.example/cb", false},
		{Web, "http://localhost.evil.example/cb", false},
		{Web, "http://127.0.0.2/cb", false},
		{SPA, "http://app.example/cb", false},
		{Web, "myapp://callback", false},
		{SPA, "myapp://callback", false},
		{Public, "javascript://alert(1)", false},
		{Public, "JavaScript:alert(1)", false},
		{Public, "data:text/html,hi", false},
		{Public, "file:///etc/passwd", false},
		{Public, "vbscript:msgbox(1)", false},
		{Public, "blob:https://app.example/0b1c", false},
		{Public, "about:blank", false},
		{Web, "https:///nohost", false},
		{Web, "https://app.example/a b", false},
		{Web, "https://app.example/\x00", false},
		{Web, "https://app.example/é", false},
	}
	for _, c := range cases {
		err := Validate(c.kind, c.uri)
		if (err == nil) != c.ok {
			t.Errorf("Validate(%v, %q) = %v, want ok=%v", c.kind, c.uri, err, c.ok)
		}
		if err != nil && err.Error() == "" {
			t.Errorf("Validate(%v, %q): empty message", c.kind, c.uri)
		}
	}
}

func TestMatch(t *testing.T) {
	t.Parallel()
	registered := []string{
		"https://app.example/callback",
		"https://app.example/cb?x=1",
		"http://localhost/native",
		"http://127.0.0.1:3000/loop",
		"http://[::1]/six",
		"myapp://auth",
	}
	cases := []struct {
		uri string
		ok  bool
	}{
		{"https://app.example/callback", true},
		{"https://app.example/cb?x=1", true},
		{"myapp://auth", true},
		// Loopback: any port, same host, path and query.
		{"http://localhost/native", true},
		{"http://localhost:53124/native", true},
		{"http://127.0.0.1/loop", true},
		{"http://127.0.0.1:49152/loop", true},
		{"http://[::1]:8080/six", true},

		// Near misses.
		{"https://app.example/callback/", false},
		{"https://APP.example/callback", false},
		{"https://app.example/Callback", false},
		{"https://app.example/callback/extra", false},
		{"https://app.example/callback?extra=1", false},
		{"https://app.example/cb?x=2", false},
		{"https://app.example:444/callback", false},
		{"http://app.example/callback", false},
		{"https://app.example/callback#x", false},
		{"https://user@app.example/callback", false},
		{"https://app.example@evil.example/callback", false},
		{"http://user@localhost:5000/native", false},
		{"http://localhost:5000/native/", false},
		{"http://localhost:5000/native?x", false},
		{"http://127.0.0.1:5000/native", false}, // registered for localhost, not 127.0.0.1
		{"http://localhost:5000/loop", false},
		{"http://localhost:abc/native", false},
		{"https://localhost:5000/native", false},
		{"myapp://auth/", false},
		{"MyApp://auth", false},
		{"", false},
		{"https://app.example/callback" + strings.Repeat("a", MaxLen), false},
	}
	for _, c := range cases {
		if got := Match(registered, c.uri); got != c.ok {
			t.Errorf("Match(%q) = %v, want %v", c.uri, got, c.ok)
		}
	}
	if Match(nil, "https://app.example/callback") {
		t.Error("Match(nil, ...) = true")
	}
}
