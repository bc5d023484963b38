package signin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/qrpin/qrpin/internal/chromiumtest"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/qr"
	"github.com/qrpin/qrpin/store"
)

// browser starts a fresh headless Chromium for the test, at a phone's
// window size; extra flags are added to the standard ones.
func browser(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	return chromiumtest.Context(t, 90*time.Second, append([]chromedp.ExecAllocatorOption{chromedp.WindowSize(480, 900)}, extra...)...)
}

// screenshot saves the page and names the file in the test log.
func screenshot(t *testing.T, ctx context.Context, name string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var b []byte
		if err := chromedp.FullScreenshot(&b, 100).Do(ctx); err != nil {
			return err
		}
		dir := filepath.Join(os.TempDir(), "qrpin-screenshots")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		path := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+"-"+name+".png")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return err
		}
		t.Logf("screenshot: %s", path)
		return nil
	})
}

func run(t *testing.T, ctx context.Context, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(ctx, actions...); err != nil {
		var html string
		chromedp.Run(ctx, chromedp.Text("#message", &html, chromedp.ByQuery))
		t.Fatalf("browser: %v (message on the page: %q)", err, html)
	}
}

func TestBrowserScannerSignIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.addUser("ana@contoso.com", goodPIN)
	base := e.pageServer()
	ctx := browser(t)
	var msg string
	run(t, ctx,
		chromedp.Navigate(base),
		chromedp.WaitVisible("#scan-input", chromedp.ByID),
		screenshot(t, ctx, "1-scan"),
		chromedp.SendKeys("#scan-input", b.payload+"\r", chromedp.ByID), // a keyboard-wedge scanner types, then Enter
		chromedp.WaitVisible("#pin-input", chromedp.ByID),
	)
	// The PIN on the pad.
	for _, d := range goodPIN {
		run(t, ctx, chromedp.Click(`#pin .pad button[aria-label="Digit `+string(d)+`"]`, chromedp.ByQuery))
	}
	run(t, ctx,
		screenshot(t, ctx, "2-pin"),
		chromedp.Click(`#pin-form button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#done", chromedp.ByID),
		chromedp.Text("#message", &msg, chromedp.ByID),
		screenshot(t, ctx, "3-done"),
	)
	if msg != "Signed in." {
		t.Fatalf("message %q", msg)
	}
	if m := e.method(b.user.ID); m.Standard.LastUsed.IsZero() {
		t.Fatal("the sign-in did not reach the server")
	}
}

func TestBrowserForcedChange(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.addUser("ana@contoso.com", goodPIN)
	e.update(b.user.ID, func(m *method.Method) { m.PIN.ForceChange = true })
	base := e.pageServer()
	ctx := browser(t)
	var msg string
	run(t, ctx,
		chromedp.Navigate(base),
		chromedp.WaitVisible("#scan-input", chromedp.ByID),
		chromedp.SendKeys("#scan-input", b.payload+"\r", chromedp.ByID),
		chromedp.WaitVisible("#pin-input", chromedp.ByID),
		chromedp.SendKeys("#pin-input", goodPIN+"\r", chromedp.ByID),
		chromedp.WaitVisible("#newpin-input", chromedp.ByID),
		screenshot(t, ctx, "1-newpin"),
		// A PIN that breaks the rules: the message says why; the screen stays.
		chromedp.SendKeys("#newpin-input", "11111111", chromedp.ByID),
		chromedp.SendKeys("#newpin-confirm", "11111111\r", chromedp.ByID),
		chromedp.WaitVisible(`#message.error`, chromedp.ByQuery),
		chromedp.Text("#message", &msg, chromedp.ByID),
	)
	if !strings.Contains(msg, "PIN") {
		t.Fatalf("message %q", msg)
	}
	run(t, ctx,
		chromedp.WaitVisible("#newpin-input", chromedp.ByID),
		chromedp.SendKeys("#newpin-input", "90817263", chromedp.ByID),
		chromedp.SendKeys("#newpin-confirm", "90817263\r", chromedp.ByID),
		chromedp.WaitVisible("#done", chromedp.ByID),
		screenshot(t, ctx, "2-done"),
	)
	if m := e.method(b.user.ID); m.PIN.ForceChange {
		t.Fatal("the PIN is still temporary")
	}
}

func TestBrowserLockoutMessage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.svc.Lockout = method.LockoutPolicy{Threshold: 1, BaseDuration: time.Minute, MaxDuration: time.Hour, DisableAfter: 100}
	b := e.addUser("ana@contoso.com", goodPIN)
	base := e.pageServer()
	ctx := browser(t)
	var msg string
	run(t, ctx,
		chromedp.Navigate(base),
		chromedp.WaitVisible("#scan-input", chromedp.ByID),
		chromedp.SendKeys("#scan-input", b.payload+"\r", chromedp.ByID),
		chromedp.WaitVisible("#pin-input", chromedp.ByID),
		chromedp.SendKeys("#pin-input", wrongPIN+"\r", chromedp.ByID),
		chromedp.WaitVisible(`#message.error`, chromedp.ByQuery),
		chromedp.Text("#message", &msg, chromedp.ByID),
		screenshot(t, ctx, "locked"),
	)
	want := "PIN locked, try again at " + t0.Add(time.Minute).Format(time.RFC3339)
	if msg != want {
		t.Fatalf("message %q, want %q", msg, want)
	}
}

// badgeMJPEG writes a Motion JPEG file for Chromium's fake camera: frames
// of the badge's QR code, scaled up on a white page.
func badgeMJPEG(t *testing.T, payload string) string {
	t.Helper()
	img, err := qr.Render(payload)
	mustOK(t, err, "Render")
	code, err := png.Decode(bytes.NewReader(img.PNG))
	mustOK(t, err, "png.Decode")
	frame := image.NewRGBA(image.Rect(0, 0, 640, 480))
	draw.Draw(frame, frame.Bounds(), &image.Uniform{color.White}, image.Point{}, draw.Src)
	cb := code.Bounds()
	scale := min(440/cb.Dx(), 440/cb.Dy(), 4)
	if scale < 1 {
		scale = 1
	}
	ox, oy := (640-cb.Dx()*scale)/2, (480-cb.Dy()*scale)/2
	for y := 0; y < cb.Dy()*scale; y++ {
		for x := 0; x < cb.Dx()*scale; x++ {
			frame.Set(ox+x, oy+y, code.At(cb.Min.X+x/scale, cb.Min.Y+y/scale))
		}
	}
	var one bytes.Buffer
	mustOK(t, jpeg.Encode(&one, frame, &jpeg.Options{Quality: 95}), "jpeg.Encode")
	var all bytes.Buffer
	for range 30 {
		all.Write(one.Bytes())
	}
	path := filepath.Join(t.TempDir(), "badge.mjpeg")
	mustOK(t, os.WriteFile(path, all.Bytes(), 0o644), "write mjpeg")
	return path
}

func TestBrowserCameraSignIn(t *testing.T) {
	e := newEnv(t)
	b := e.addUser("ana@contoso.com", goodPIN)
	base := e.pageServer()
	video := badgeMJPEG(t, b.payload)
	ctx := browser(t,
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-video-capture", video),
	)
	run(t, ctx,
		chromedp.Navigate(base),
		chromedp.WaitVisible("#camera-button", chromedp.ByID),
		chromedp.Click("#camera-button", chromedp.ByID),
		chromedp.WaitVisible("#pin-input", chromedp.ByID), // the camera read the badge
		screenshot(t, ctx, "1-after-camera"),
		chromedp.SendKeys("#pin-input", goodPIN+"\r", chromedp.ByID),
		chromedp.WaitVisible("#done", chromedp.ByID),
		screenshot(t, ctx, "2-done"),
	)
}

// wire keeps the sign-in requests and answers a test server saw, to find
// every secret of a sign-in in the browser afterwards.
type wire struct {
	cacheable bool // drop the answers' Cache-Control
	mu        sync.Mutex
	exchanges []exchange
}

// exchange is one sign-in request and its answer, as JSON objects.
type exchange struct {
	path     string
	req, res map[string]any
}

// wrap records the JSON sign-in calls (not the camera frames) that reach next.
func (w *wire) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		if r.Method == http.MethodPost && !strings.HasSuffix(r.URL.Path, "/decode") {
			ex := exchange{path: r.URL.Path}
			json.Unmarshal(body, &ex.req)
			json.Unmarshal(rec.Body.Bytes(), &ex.res)
			w.mu.Lock()
			w.exchanges = append(w.exchanges, ex)
			w.mu.Unlock()
		}
		maps.Copy(rw.Header(), rec.Header())
		if w.cacheable {
			rw.Header().Del("Cache-Control")
		}
		rw.WriteHeader(rec.Code)
		rw.Write(rec.Body.Bytes())
	})
}

// secrets returns what the sign-in calls sent and got that the page must
// forget: the badge's content, the PINs, the transaction handles and the
// tokens. With signedIn, it fails the test unless the calls got an access
// token and no ID token (the page asks for none: it uses no token).
func (w *wire) secrets(t *testing.T, signedIn bool) []string {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	tokens := 0
	for _, ex := range w.exchanges {
		for _, k := range []string{"qrCode", "pin", "newPin", "transaction"} {
			if s, _ := ex.req[k].(string); s != "" {
				out = append(out, s)
			}
		}
		for _, k := range []string{"transaction", "access_token", "id_token"} {
			if s, _ := ex.res[k].(string); s != "" {
				out = append(out, s)
				tokens += strings.Count(k, "token")
			}
		}
	}
	if signedIn && tokens != 1 {
		t.Fatalf("the sign-in got %d tokens, want an access token alone", tokens)
	}
	return out
}

// last returns the request of the last call to path.
func (w *wire) last(path string) map[string]any {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := len(w.exchanges) - 1; i >= 0; i-- {
		if strings.HasSuffix(w.exchanges[i].path, path) {
			return w.exchanges[i].req
		}
	}
	return nil
}

// kioskServer serves the sign-in page with the given idle timeout and
// returns its URL and the record of its sign-in calls. With cacheable, it
// drops the Cache-Control headers, so that Chromium keeps the page in its
// back/forward cache.
func (e *env) kioskServer(idle time.Duration, cacheable bool) (string, *wire) {
	mux := http.NewServeMux()
	h := &Handler{Service: e.svc, IdleTimeout: idle}
	h.Register(mux)
	h.RegisterPage(mux)
	w := &wire{cacheable: cacheable}
	return newServer(e.t, w.wrap(mux)) + "/" + testTenant + "/signin", w
}

// kioskUser is a worker whose display name differs from the UPN, so that
// either can be looked for.
func (e *env) kioskUser(forceChange bool) badge {
	e.t.Helper()
	b := e.addUser("ana@contoso.com", goodPIN)
	_, err := e.st.UpdateUser(e.t.Context(), b.user.ID, func(u *store.User) error { u.DisplayName = "Ana Ruiz"; return nil })
	if err != nil {
		e.t.Fatal(err)
	}
	if forceChange {
		e.update(b.user.ID, func(m *method.Method) { m.PIN.ForceChange = true })
	}
	return b
}

// newKioskPIN is the PIN chosen on a forced change in the kiosk tests.
const newKioskPIN = "90817263"

// signInOnPage signs b in on the page at base, through the forced PIN
// change when there is one, up to the done screen.
func signInOnPage(t *testing.T, ctx context.Context, base string, b badge, forceChange bool) {
	t.Helper()
	run(t, ctx,
		chromedp.Navigate(base),
		chromedp.WaitVisible("#scan-input", chromedp.ByID),
		chromedp.SendKeys("#scan-input", b.payload+"\r", chromedp.ByID),
		chromedp.WaitVisible("#pin-input", chromedp.ByID),
		chromedp.SendKeys("#pin-input", b.pin+"\r", chromedp.ByID),
	)
	if forceChange {
		run(t, ctx,
			chromedp.WaitVisible("#newpin-input", chromedp.ByID),
			chromedp.SendKeys("#newpin-input", newKioskPIN, chromedp.ByID),
			chromedp.SendKeys("#newpin-confirm", newKioskPIN+"\r", chromedp.ByID),
		)
	}
	run(t, ctx, chromedp.WaitVisible("#done", chromedp.ByID))
}

// pageContents is everything of the page that script or a person at the
// device can read: web storage, IndexedDB, Cache Storage, cookies, the
// DOM and its text, the inputs' values, the enumerable globals, history
// state and the URL.
const pageContents = `(async () => {
  const out = [];
  for (const s of [localStorage, sessionStorage]) {
    for (let i = 0; i < s.length; i++) { out.push("storage " + s.key(i) + "=" + s.getItem(s.key(i))); }
  }
  for (const d of await indexedDB.databases()) { out.push("indexedDB " + d.name); }
  for (const k of await caches.keys()) { out.push("cache " + k); }
  out.push("cookie " + document.cookie);
  out.push("html " + document.documentElement.outerHTML);
  out.push("text " + document.documentElement.innerText);
  document.querySelectorAll("input").forEach(i => out.push("input " + i.id + "=" + i.value));
  for (const k of Object.keys(window)) {
    try { const v = window[k]; out.push("global " + k + "=" + (typeof v === "string" ? v : JSON.stringify(v))); } catch (e) {}
  }
  out.push("history " + JSON.stringify(history.state) + " " + location.href);
  return out.join("\n");
})()`

// forgotten fails the test when the page holds any of secrets or b's
// name (UPN or display name).
func forgotten(t *testing.T, ctx context.Context, when string, b badge, secrets []string) {
	t.Helper()
	var got string
	run(t, ctx, chromedp.Evaluate(pageContents, &got, func(p *cdpruntime.EvaluateParams) *cdpruntime.EvaluateParams {
		return p.WithAwaitPromise(true)
	}))
	if !strings.Contains(got, "Scan your badge") || !strings.Contains(got, "input pin-input=") {
		t.Fatalf("%s: the page's contents lack the page itself:\n%s", when, got)
	}
	// The page's origin (its port) and tenant id are in its URL and markup
	// and are no one's secret, but their digits can hold a few digits typed
	// into the PIN field: they are taken out before the search.
	var known []string
	run(t, ctx, chromedp.Evaluate(`[location.origin, location.pathname.split("/")[1]]`, &known))
	for _, k := range known {
		if k != "" {
			got = strings.ReplaceAll(got, k, "<known>")
		}
	}
	for _, s := range append(secrets, b.user.UPN, "Ana Ruiz", newKioskPIN) {
		if i := secretIndex(got, s); i >= 0 {
			line := got[strings.LastIndex(got[:i], "\n")+1:]
			line, _, _ = strings.Cut(line, "\n")
			t.Errorf("%s: the page still holds %.12q... in %.80q", when, s, line)
		}
	}
}

// secretIndex returns where s is in got, or -1. A few typed digits (a
// half-typed PIN) count only as a number of their own, not inside a longer
// one: the page's timing values (performance.timeOrigin and the like) are
// long runs of digits that hold any four digits now and then.
func secretIndex(got, s string) int {
	if len(s) >= 6 || strings.Trim(s, "0123456789") != "" {
		return strings.Index(got, s)
	}
	loc := regexp.MustCompile(`(?:^|\D)` + s + `(?:\D|$)`).FindStringIndex(got)
	if loc == nil {
		return -1
	}
	return loc[0] + strings.Index(got[loc[0]:loc[1]], s)
}

// TestBrowserNothingLeft: after a sign-in, on the done screen, after "Sign
// in someone else" and after a reload, nothing of the worker can be read
// from the page: no token, PIN, badge content, transaction handle or name.
func TestBrowserNothingLeft(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		forceChange bool
	}{
		{"PIN", false},
		{"forced PIN change", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			b := e.kioskUser(tc.forceChange)
			base, w := e.kioskServer(time.Hour, false)
			ctx := browser(t)
			signInOnPage(t, ctx, base, b, tc.forceChange)
			secrets := w.secrets(t, true)
			forgotten(t, ctx, "on the done screen", b, secrets)
			run(t, ctx,
				chromedp.Click("#done .restart", chromedp.ByQuery),
				chromedp.WaitVisible("#scan-input", chromedp.ByID),
				chromedp.WaitNotVisible("#done", chromedp.ByID),
			)
			forgotten(t, ctx, `after "Sign in someone else"`, b, secrets)
			run(t, ctx,
				chromedp.Reload(),
				chromedp.WaitVisible("#scan-input", chromedp.ByID),
			)
			forgotten(t, ctx, "after a reload", b, secrets)
		})
	}
}

// TestBrowserIdleWipe: after the idle timeout without input, the page wipes
// a signed-in screen, and a half-done sign-in (the PIN pad showing, digits
// typed): back to the scan screen, the transaction handle dropped.
func TestBrowserIdleWipe(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		reach func(t *testing.T, ctx context.Context, base string, b badge)
	}{
		{"signed in", func(t *testing.T, ctx context.Context, base string, b badge) {
			signInOnPage(t, ctx, base, b, false)
		}},
		{"PIN pad", func(t *testing.T, ctx context.Context, base string, b badge) {
			run(t, ctx,
				chromedp.Navigate(base),
				chromedp.WaitVisible("#scan-input", chromedp.ByID),
				chromedp.SendKeys("#scan-input", b.payload+"\r", chromedp.ByID),
				chromedp.WaitVisible("#pin-input", chromedp.ByID),
				chromedp.SendKeys("#pin-input", b.pin[:4], chromedp.ByID),
			)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			b := e.kioskUser(false)
			// Short, yet long enough for the steps before it to run
			// without a pause that long between two of them.
			base, w := e.kioskServer(2*time.Second, false)
			ctx := browser(t)
			tc.reach(t, ctx, base, b)
			wctx, cancel := context.WithTimeout(ctx, 30*time.Second) // a deadline for the wipe, not a measure of it
			defer cancel()
			run(t, wctx,
				chromedp.WaitVisible("#scan-input", chromedp.ByID),
				chromedp.WaitNotVisible("#pin", chromedp.ByID),
				chromedp.WaitNotVisible("#done", chromedp.ByID),
			)
			secrets := append(w.secrets(t, tc.name == "signed in"), b.pin[:4])
			forgotten(t, ctx, "after the idle timeout", b, secrets)
			// The handle is gone, not only hidden: a PIN sent now (by
			// script: the form is hidden) goes with none.
			var msg string
			run(t, ctx,
				chromedp.Evaluate(`document.getElementById("pin-input").value = "1234"; document.getElementById("pin-form").requestSubmit()`, nil),
				chromedp.WaitVisible("#message.error", chromedp.ByQuery),
				chromedp.Text("#message", &msg, chromedp.ByID),
			)
			if req := w.last("/pin"); req == nil || req["transaction"] != "" {
				t.Fatalf("a PIN sent after the idle timeout went with the transaction %v (message %q)", req["transaction"], msg)
			}
		})
	}
}

// until polls expr in the page until it is true (across navigations: an
// evaluation in a page being left fails, and is tried again).
func until(expr string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			var ok bool
			if err := chromedp.Evaluate(expr, &ok).Do(ctx); err == nil && ok {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("waiting for %s: %w", expr, ctx.Err())
			case <-tick.C:
			}
		}
	})
}

// TestBrowserBackForward: leaving a signed-in page and coming back shows
// the scan screen with nothing of the worker, whether the browser loads
// the page again (it is no-store) or restores it from the back/forward
// cache (as a browser may do even for no-store pages: the test server
// serves it cacheable to make Chromium do it), and on a pageshow from the
// cache.
func TestBrowserBackForward(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		cacheable bool // the test server drops the page's Cache-Control: no-store
		back      bool // leave the page and go back; else a pageshow event from the cache
	}{
		{"back, loaded again", false, true},
		{"back, from the back/forward cache", true, true},
		{"pageshow from the cache", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			b := e.kioskUser(false)
			base, w := e.kioskServer(time.Hour, tc.cacheable)
			ctx := browser(t)
			signInOnPage(t, ctx, base, b, false)
			secrets := w.secrets(t, true)
			if tc.back {
				var restored bool
				run(t, ctx,
					chromedp.Evaluate(`window.qrpinTestMarker = true`, nil),
					chromedp.Navigate(base+"/assets/signin.css"),
					chromedp.Evaluate(`history.back()`, nil), // not NavigateBack: a page from the cache fires no load event
					until(`location.pathname.endsWith("/signin") && document.readyState === "complete"`),
					chromedp.Evaluate(`window.qrpinTestMarker === true`, &restored),
				)
				if restored != tc.cacheable {
					t.Fatalf("restored from the back/forward cache: %v, want %v (else this case tests nothing)", restored, tc.cacheable)
				}
			} else {
				run(t, ctx, chromedp.Evaluate(`window.dispatchEvent(new PageTransitionEvent("pageshow", {persisted: true}))`, nil))
			}
			wctx, cancel := context.WithTimeout(ctx, 30*time.Second) // a deadline, not a measure
			defer cancel()
			run(t, wctx, until(`!document.getElementById("scan").hidden && document.getElementById("done").hidden`))
			forgotten(t, ctx, "after coming back", b, secrets)
		})
	}
}
