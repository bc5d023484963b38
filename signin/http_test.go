package signin

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/qrpin/qrpin/internal/httperr"
	"github.com/qrpin/qrpin/method"
)

func (e *env) server() *httptest.Server {
	mux := http.NewServeMux()
	(&Handler{Service: e.svc}).Register(mux)
	srv := httptest.NewServer(mux)
	e.t.Cleanup(srv.Close)
	return srv
}

func post(t *testing.T, url string, body any) (*http.Response, map[string]any) {
	t.Helper()
	var b []byte
	switch v := body.(type) {
	case string:
		b = []byte(v)
	default:
		b, _ = json.Marshal(v)
	}
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s: answer is not JSON: %v", url, err)
	}
	return resp, out
}

func errCode(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func TestHTTPFlow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.svc.Lockout = method.LockoutPolicy{Threshold: 2, BaseDuration: time.Minute, MaxDuration: time.Hour, DisableAfter: 100}
	b := e.addUser("ana@contoso.com", goodPIN)
	e.update(b.user.ID, func(m *method.Method) { m.PIN.ForceChange = true })
	base := e.server().URL + "/" + testTenant + "/signin/"

	resp, out := post(t, base+"qr", QRRequest{QRCode: b.payload + "\r\n"}) // as a scanner types it
	if resp.StatusCode != 200 || out["next"] != "pin" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("qr: %d %v", resp.StatusCode, out)
	}
	tx := out["transaction"].(string)
	resp, out = post(t, base+"pin", PINRequest{Transaction: tx, PIN: wrongPIN})
	if resp.StatusCode != 400 || errCode(out) != "invalidPin" || out["transaction"] == "" {
		t.Fatalf("wrong pin: %d %v", resp.StatusCode, out)
	}
	tx = out["transaction"].(string)
	resp, out = post(t, base+"pin", PINRequest{Transaction: tx, PIN: goodPIN})
	if resp.StatusCode != 200 || out["next"] != "newPin" {
		t.Fatalf("pin: %d %v", resp.StatusCode, out)
	}
	tx = out["transaction"].(string)
	resp, out = post(t, base+"newpin", NewPINRequest{Transaction: tx, NewPIN: "90817263", IDToken: true})
	if resp.StatusCode != 200 || out["next"] != "done" || out["access_token"] == nil || out["id_token"] == nil || out["token_type"] != "Bearer" {
		t.Fatalf("newpin: %d %v", resp.StatusCode, out)
	}
	resp, out = post(t, base+"newpin", NewPINRequest{Transaction: tx, NewPIN: "90817263"})
	if resp.StatusCode != 400 || errCode(out) != "invalidTransaction" {
		t.Fatalf("replay: %d %v", resp.StatusCode, out)
	}
	// Not asked for, no ID token: the access token alone.
	_, out = post(t, base+"qr", QRRequest{QRCode: b.payload})
	resp, out = post(t, base+"pin", PINRequest{Transaction: out["transaction"].(string), PIN: "90817263"})
	if _, ok := out["id_token"]; resp.StatusCode != 200 || out["next"] != "done" || out["access_token"] == nil || ok {
		t.Fatalf("pin without idToken: %d %v", resp.StatusCode, out)
	}

	// Lockout: 429 with Retry-After and the time.
	for i := range 2 {
		_, out = post(t, base+"qr", QRRequest{QRCode: b.payload})
		resp, out = post(t, base+"pin", PINRequest{Transaction: out["transaction"].(string), PIN: wrongPIN})
		if i == 1 && (resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "60" || errCode(out) != "pinLocked" ||
			!strings.Contains(out["error"].(map[string]any)["message"].(string), "try again at")) {
			t.Fatalf("lock: %d %v %v", resp.StatusCode, resp.Header, out)
		}
	}

	// Another tenant.
	resp, out = post(t, strings.Replace(base, testTenant, "00000000-0000-0000-0000-000000000001", 1)+"qr", QRRequest{QRCode: b.payload})
	if resp.StatusCode != 404 {
		t.Fatalf("other tenant: %d %v", resp.StatusCode, out)
	}
}

func TestHTTPBadBodies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	base := e.server().URL + "/" + testTenant + "/signin/"
	for _, tc := range []struct {
		path, body string
		status     int
	}{
		{"qr", `{"qrCode": 5}`, 400},
		{"qr", `{"qrCode": "x"`, 400},
		{"qr", `[]`, 400},
		{"qr", ``, 400},
		{"qr", `{"qrCode": "` + strings.Repeat("A", maxBody) + `"}`, 413},
		{"pin", `{"transaction": null, "pin": null}`, 400},
		{"pin", `{"transaction": "abc", "pin": "12345678"}`, 400},
		{"newpin", `{"newPin": 12345678}`, 400},
		{"newpin", `{"transaction": "abc", "newPin": "48150392"}`, 400},
	} {
		resp, out := post(t, base+tc.path, tc.body)
		if resp.StatusCode != tc.status {
			t.Errorf("%s %s: %d %v, want %d", tc.path, tc.body[:min(len(tc.body), 40)], resp.StatusCode, out, tc.status)
		}
	}
}

// FuzzDecodeRequest: decoding never panics, and what decodes re-encodes to
// a request that decodes the same.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{`{"qrCode":"QP1.x"}`, `{"transaction":"a","pin":"1"}`, `{"newPin":1}`, `[]`, `null`, `{"pin":"\u0000"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var p PINRequest
		if err := DecodeRequest(body, &p); err != nil {
			if _, status, _ := httperr.Classify(err); status != 400 && status != 413 {
				t.Fatalf("status %d for %q", status, body)
			}
			return
		}
		b, _ := json.Marshal(p)
		var q PINRequest
		if err := DecodeRequest(b, &q); err != nil || q != p {
			t.Fatalf("round trip: %v %+v %+v", err, p, q)
		}
	})
}

// FuzzSignInHTTP sends arbitrary bodies to each endpoint: the answer is
// never a 500 and always JSON.
func FuzzSignInHTTP(f *testing.F) {
	for _, s := range []string{`{"qrCode":"QP1.AAAA"}`, `{"transaction":"` + strings.Repeat("A", 43) + `","pin":"12345678"}`, `{"newPin":"90817263"}`, `{`, ``} {
		f.Add(uint8(0), s)
		f.Add(uint8(1), s)
		f.Add(uint8(2), s)
	}
	e := newEnv(f)
	e.addUser("ana@contoso.com", goodPIN)
	mux := http.NewServeMux()
	(&Handler{Service: e.svc}).Register(mux)
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		path := []string{"qr", "pin", "newpin"}[int(which)%3]
		r := httptest.NewRequest("POST", "/"+testTenant+"/signin/"+path, strings.NewReader(body))
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		if w.Code >= 500 || !json.Valid(w.Body.Bytes()) {
			t.Fatalf("%s %q: %d %s", path, body, w.Code, w.Body)
		}
	})
}
