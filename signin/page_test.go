package signin

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"runtime"
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
// "too large" 413, and holds no decoder turn and none of the frame budget.
func TestDecodeFrameBrokenUpload(t *testing.T) {
	e := newEnv(t)
	mux := http.NewServeMux()
	(&Handler{Service: e.svc}).RegisterPage(mux)
	r := httptest.NewRequest("POST", "/"+testTenant+"/signin/decode", iotest.ErrReader(io.ErrUnexpectedEOF))
	r.ContentLength = 1000 // declared, as every frame must be, then broken off
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	var out ErrorResponse
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if w.Code != 400 || out.Error.Message != "The camera frame could not be read." || len(frameTurns) != 0 {
		t.Fatalf("broken upload: %d %+v, %d turns taken", w.Code, out, len(frameTurns))
	}
	if !frameBytes.TryAcquire(frameBudget) {
		t.Fatal("the broken upload still holds some of the frame budget")
	}
	frameBytes.Release(frameBudget)
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

// startUpload starts a frame upload on a connection of its own: the
// request line and headers (Expect: 100-continue, and header), no body.
// It returns the connection, its reader and the server's first answer:
// 100 Continue when the handler starts to read the body, else its final
// answer, given without reading it.
func startUpload(base, header string) (net.Conn, *bufio.Reader, *http.Response, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, nil, nil, err
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		return nil, nil, nil, err
	}
	_, err = fmt.Fprintf(conn, "POST %s/decode HTTP/1.1\r\nHost: %s\r\nContent-Type: image/jpeg\r\nExpect: 100-continue\r\n%s\r\n\r\n", u.Path, u.Host, header)
	if err != nil {
		conn.Close()
		return nil, nil, nil, err
	}
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		conn.Close()
		return nil, nil, nil, err
	}
	return conn, br, res, nil
}

// errorCode reads the code of an error answer.
func errorCode(t *testing.T, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	var out ErrorResponse
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatalf("%d: not an error answer: %v", res.StatusCode, err)
	}
	return out.Error.Code
}

// TestDecodeFrameRefusedUnread: a frame too large by its declared length,
// one that declares none, and one that finds the frame budget spent are
// refused before a byte of their body is read (no 100 Continue).
func TestDecodeFrameRefusedUnread(t *testing.T) {
	base, _, _ := badgeFrame(t)
	for _, tc := range []struct {
		name, header string
		spent        bool // the frame budget is all taken
		status       int
		code         string
	}{
		{"declared over the maximum", fmt.Sprintf("Content-Length: %d", maxFrame+1), false, 413, "requestTooLarge"},
		{"no length declared", "Transfer-Encoding: chunked", false, 400, "BadRequest"},
		{"budget spent", "Content-Length: 1000", true, 429, "TooManyRequests"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.spent {
				if !frameBytes.TryAcquire(frameBudget) {
					t.Fatal("the frame budget is taken before the test")
				}
				defer frameBytes.Release(frameBudget)
			}
			conn, _, res, err := startUpload(base, tc.header)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if res.StatusCode != tc.status {
				t.Fatalf("first answer %d %s, want %d before the body is read", res.StatusCode, res.Status, tc.status)
			}
			if code := errorCode(t, res); code != tc.code || (tc.status == 429) != (res.Header.Get("Retry-After") == "1") {
				t.Fatalf("%d %s, Retry-After %q; want %s", res.StatusCode, code, res.Header.Get("Retry-After"), tc.code)
			}
		})
	}
	if !frameBytes.TryAcquire(frameBudget) {
		t.Fatal("a refused upload holds some of the frame budget")
	}
	frameBytes.Release(frameBudget)
}

// TestDecodeFrameSlowUploads: 50 uploads of the largest frame that stall
// after their headers hold no more than the frame budget: as many as it
// holds start (the server reads their bodies: 100 Continue), the others
// get 429 at once without their body being read, the heap grows by no
// more than the budget, and once the slow ones are gone frames decode
// again.
func TestDecodeFrameSlowUploads(t *testing.T) {
	base, payload, png := badgeFrame(t)
	const uploads = 50
	admitted := frameBudget / maxFrame
	var before, during runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	conns := make([]net.Conn, uploads)
	answers := make([]*http.Response, uploads)
	errs := race(uploads, func(i int) error {
		conn, _, res, err := startUpload(base, fmt.Sprintf("Content-Length: %d", maxFrame))
		if err != nil {
			return err
		}
		conns[i], answers[i] = conn, res
		if res.StatusCode == 100 { // it trickles: a byte, then nothing
			_, err = conn.Write([]byte{0xff})
		}
		return err
	})
	t.Cleanup(func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	})
	reading, refused := 0, 0
	for i, err := range errs {
		if err != nil {
			t.Fatalf("upload %d: %v", i, err)
		}
		switch res := answers[i]; res.StatusCode {
		case 100:
			reading++
		case 429:
			if code := errorCode(t, res); code != "TooManyRequests" || res.Header.Get("Retry-After") != "1" {
				t.Errorf("upload %d: 429 %s, Retry-After %q", i, code, res.Header.Get("Retry-After"))
			}
			refused++
		default:
			t.Errorf("upload %d: %s", i, res.Status)
		}
	}
	if reading != admitted || refused != uploads-admitted {
		t.Fatalf("%d uploads read, %d refused; want %d read (the frame budget's worth), %d refused", reading, refused, admitted, uploads-admitted)
	}
	runtime.GC()
	runtime.ReadMemStats(&during)
	const slack = 8 << 20
	grown := int64(during.HeapInuse) - int64(before.HeapInuse)
	t.Logf("the heap grew by %d bytes with %d slow uploads (budget %d)", grown, uploads, frameBudget)
	if grown > frameBudget+slack {
		t.Errorf("the heap grew by %d bytes with the slow uploads, over the budget %d + %d", grown, frameBudget, slack)
	}
	if res, err := http.Post(base+"/decode", "image/png", bytes.NewReader(png)); err != nil {
		t.Fatal(err)
	} else if code := errorCode(t, res); res.StatusCode != 429 || code != "TooManyRequests" {
		t.Fatalf("a small frame while the budget is spent: %d %s", res.StatusCode, code)
	}
	// The slow uploads give up: the budget is whole again, and frames decode.
	for _, c := range conns {
		c.Close()
	}
	deadline := time.NewTimer(30 * time.Second) // a deadline, not a measure
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !frameBytes.TryAcquire(frameBudget) {
		select {
		case <-deadline.C:
			t.Fatal("the frame budget is still taken after the slow uploads closed")
		case <-tick.C:
		}
	}
	frameBytes.Release(frameBudget)
	res, err := http.Post(base+"/decode", "image/png", bytes.NewReader(png))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct{ QRCode string }
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != 200 || out.QRCode != payload {
		t.Fatalf("a frame after the slow uploads: %d %q %v", res.StatusCode, out.QRCode, err)
	}
}
