package signin

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/qrpin/qrpin/qr"
)

func (e *env) pageServer() string {
	mux := http.NewServeMux()
	h := &Handler{Service: e.svc}
	h.Register(mux)
	h.RegisterPage(mux)
	srv := newServer(e.t, mux)
	return srv + "/" + testTenant + "/signin"
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestPageAndAssets(t *testing.T) {
	e := newEnv(t)
	base := e.pageServer()
	res, html := get(t, base)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Fatalf("page: %d %v", res.StatusCode, res.Header)
	}
	for _, want := range []string{`<label for="scan-input"`, `id="scan-input"`, `autofocus`, `<label for="pin-input"`,
		`<label for="newpin-input"`, `role="alert"`, `inputmode="numeric"`, `src="/` + testTenant + `/signin/assets/signin.js"`} {
		if !strings.Contains(html, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	all := html
	for _, name := range []string{"signin.js", "signin.css"} {
		res, body := get(t, base+"/assets/"+name)
		if res.StatusCode != 200 || len(body) < 100 {
			t.Fatalf("%s: %d", name, res.StatusCode)
		}
		all += body
	}
	// Nothing is fetched from elsewhere: no absolute URL in the page or its files.
	if m := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`).FindString(all); m != "" {
		t.Errorf("an external reference: %s", m)
	}
	for _, path := range []string{"/assets/other.js", "/assets/..%2fpage.go"} {
		if res, _ := get(t, base+path); res.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", path, res.StatusCode)
		}
	}
	if res, _ := get(t, strings.Replace(base, testTenant, "00000000-0000-0000-0000-000000000009", 1)); res.StatusCode != 404 {
		t.Errorf("another tenant's page: %d", res.StatusCode)
	}
}

// badgeFrame starts a page server for a user with a badge and returns its
// base URL, the badge's payload and its PNG image.
func badgeFrame(t *testing.T) (base, payload string, png []byte) {
	e := newEnv(t)
	b := e.addUser("ana@contoso.com", goodPIN)
	img, err := qr.Render(b.payload)
	mustOK(t, err, "Render")
	return e.pageServer(), b.payload, img.PNG
}

func TestDecodeFrame(t *testing.T) {
	base, payload, png := badgeFrame(t)
	for _, tc := range []struct {
		name string
		body []byte
		want string
	}{
		{"badge", png, payload},
		{"garbage", []byte("not an image"), ""},
		{"empty", nil, ""},
		{"truncated png", png[:len(png)/2], ""},
	} {
		res, err := http.Post(base+"/decode", "image/png", bytes.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		var out struct{ QRCode string }
		json.NewDecoder(res.Body).Decode(&out)
		res.Body.Close()
		if res.StatusCode != 200 || out.QRCode != tc.want {
			t.Errorf("%s: %d %q, want %q", tc.name, res.StatusCode, out.QRCode, tc.want)
		}
	}
	res, err := http.Post(base+"/decode", "image/png", bytes.NewReader(make([]byte, maxFrame+1)))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 413 {
		t.Errorf("a huge frame: %d", res.StatusCode)
	}
}

// TestDecodeFrameBrokenUpload: an upload that breaks off is a 400, not a
// "too large" 413, and holds no decoder turn.
func TestDecodeFrameBrokenUpload(t *testing.T) {
	e := newEnv(t)
	mux := http.NewServeMux()
	(&Handler{Service: e.svc}).RegisterPage(mux)
	r := httptest.NewRequest("POST", "/"+testTenant+"/signin/decode", iotest.ErrReader(io.ErrUnexpectedEOF))
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	var out ErrorResponse
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if w.Code != 400 || out.Error.Message != "The camera frame could not be read." || len(frameTurns) != 0 {
		t.Fatalf("broken upload: %d %+v, %d turns taken", w.Code, out, len(frameTurns))
	}
}

// TestDecodeFrameBusy: with every decoder turn taken, a frame gets 429 with
// Retry-After at once, and is decoded again when a turn is free.
func TestDecodeFrameBusy(t *testing.T) {
	base, payload, png := badgeFrame(t)
	post := func() (*http.Response, map[string]any) {
		t.Helper()
		res, err := http.Post(base+"/decode", "image/png", bytes.NewReader(png))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return res, out
	}
	for range cap(frameTurns) {
		frameTurns <- struct{}{}
	}
	res, out := post()
	for range cap(frameTurns) {
		<-frameTurns
	}
	errObj, _ := out["error"].(map[string]any)
	if res.StatusCode != 429 || res.Header.Get("Retry-After") != "1" || errObj["code"] != "TooManyRequests" || out["qrCode"] != nil {
		t.Fatalf("busy decoder: %d Retry-After %q %v", res.StatusCode, res.Header.Get("Retry-After"), out)
	}
	if res, out := post(); res.StatusCode != 200 || out["qrCode"] != payload {
		t.Fatalf("after: %d %v", res.StatusCode, out)
	}
	if len(frameTurns) != 0 {
		t.Fatalf("%d decoder turns still taken", len(frameTurns))
	}
}

// FuzzDecodeQR: any bytes decode to a text or nothing, without a panic.
func FuzzDecodeQR(f *testing.F) {
	img, _ := qr.Render("hello")
	f.Add(img.PNG)
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Fuzz(func(t *testing.T, b []byte) { DecodeQR(b) })
}

// TestPageIdleTimeout: the page gets its idle timeout, in milliseconds,
// from the Handler (a data- attribute: the CSP allows no inline script).
func TestPageIdleTimeout(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name string
		idle time.Duration
		want string
	}{
		{"default", 0, `data-idle-timeout="60000"`},
		{"set", 1500 * time.Millisecond, `data-idle-timeout="1500"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mux := http.NewServeMux()
			(&Handler{Service: e.svc, IdleTimeout: tc.idle}).RegisterPage(mux)
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, httptest.NewRequest("GET", "/"+testTenant+"/signin", nil))
			if w.Code != 200 || !strings.Contains(w.Body.String(), tc.want) || strings.Contains(w.Body.String(), "<script>") {
				t.Fatalf("page: %d, want %s in\n%s", w.Code, tc.want, w.Body)
			}
		})
	}
}
