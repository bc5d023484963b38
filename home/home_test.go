package home

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const (
	base   = "https://qrpin.example.com"
	tenant = "7d3f1a2b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"
)

func server() *httptest.Server {
	mux := http.NewServeMux()
	(&Handler{BaseURL: base, TenantID: tenant}).Register(mux)
	return httptest.NewServer(mux)
}

func get(t *testing.T, srv *httptest.Server, method, path, accept string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

// TestJSON: curl (Accept */*), no Accept, and Accept: application/json get
// the addresses as JSON, exactly these fields.
func TestJSON(t *testing.T) {
	t.Parallel()
	srv := server()
	defer srv.Close()
	want := map[string]any{
		"service":             "qrpin",
		"tenantId":            tenant,
		"signInPage":          base + "/" + tenant + "/signin",
		"staffPage":           base + "/" + tenant + "/staff",
		"graphV1":             base + "/v1.0",
		"graphBeta":           base + "/beta",
		"openidConfiguration": base + "/" + tenant + "/v2.0/.well-known/openid-configuration",
		"tokenEndpoint":       base + "/" + tenant + "/oauth2/v2.0/token",
		"docs":                DocsURL,
		"graphDocs":           GraphURL,
	}
	for _, accept := range []string{"", "*/*", "application/json", "application/json, text/html", "text/plain"} {
		res, body := get(t, srv, "GET", "/", accept)
		var got map[string]any
		if err := json.Unmarshal([]byte(body), &got); err != nil || res.StatusCode != 200 ||
			res.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("Accept %q: %d %s %v\n%s", accept, res.StatusCode, res.Header.Get("Content-Type"), err, body)
		}
		if len(got) != len(want) {
			t.Errorf("Accept %q: %d fields, want %d: %v", accept, len(got), len(want), got)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("Accept %q: %s = %v, want %v", accept, k, got[k], v)
			}
		}
	}
}

// TestHTML: a browser's Accept gets a page linking the sign-in page, the
// discovery document and the documentation, with no script.
func TestHTML(t *testing.T) {
	t.Parallel()
	srv := server()
	defer srv.Close()
	for _, accept := range []string{
		"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", // Chromium and Firefox
		"text/html, application/json",
	} {
		res, body := get(t, srv, "GET", "/", accept)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Fatalf("Accept %q: %d %s", accept, res.StatusCode, res.Header.Get("Content-Type"))
		}
		for _, s := range []string{
			`<a href="` + base + "/" + tenant + `/signin">`,
			`<a href="` + base + "/" + tenant + `/staff">`,
			`<a href="` + base + "/" + tenant + `/v2.0/.well-known/openid-configuration">`,
			`<a href="` + DocsURL + `">`,
			`<a href="` + GraphURL + `">`,
			"<code>" + base + "/v1.0</code>",
		} {
			if !strings.Contains(body, s) {
				t.Errorf("Accept %q: the page has no %s\n%s", accept, s, body)
			}
		}
		if strings.Contains(body, "<script") || !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("Accept %q: a script, or CSP %q", accept, res.Header.Get("Content-Security-Policy"))
		}
	}
}

// TestOnlyRoot: only GET (and HEAD) of / itself; other paths are not
// answered here, other methods are 405.
func TestOnlyRoot(t *testing.T) {
	t.Parallel()
	srv := server()
	defer srv.Close()
	if res, _ := get(t, srv, "GET", "/other", ""); res.StatusCode != 404 {
		t.Errorf("GET /other: %d, want 404", res.StatusCode)
	}
	if res, _ := get(t, srv, "POST", "/", ""); res.StatusCode != 405 {
		t.Errorf("POST /: %d, want 405", res.StatusCode)
	}
	if res, body := get(t, srv, "HEAD", "/", ""); res.StatusCode != 200 || body != "" {
		t.Errorf("HEAD /: %d %q", res.StatusCode, body)
	}
}
