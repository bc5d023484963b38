package signin

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
)

// appServer serves the sign-in page and API for e's service with the fake
// provider f, and what the provider and the application would: f's next
// URL (/cb, which sends the browser on to the application, as the
// provider's callback does) and the application's page (/app). It returns
// the sign-in page's URL and the record of the sign-in calls.
func (e *env) appServer(f *fakeAuthz, idle time.Duration) (string, *wire) {
	mux := http.NewServeMux()
	h := &Handler{Service: e.svc, IdleTimeout: idle}
	h.Register(mux)
	h.RegisterPage(mux)
	mux.HandleFunc("GET /cb", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/app?code=for-"+r.URL.Query().Get("req"), http.StatusSeeOther)
	})
	mux.HandleFunc("GET /app", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><title>Timesheets</title><p id="landed">Welcome to Timesheets</p>`))
	})
	w := &wire{}
	srv := newServer(e.t, w.wrap(mux))
	f.mu.Lock()
	f.next = srv + "/cb"
	f.mu.Unlock()
	return srv + "/" + testTenant + "/signin", w
}

// TestBrowserAuthorizeSignIn: the provider sends the browser to the page
// with a request; the page names the application and the hinted user,
// takes the badge and the PIN (and a new PIN), and replaces itself with
// the provider's URL, which lands on the application: the request
// completed once for the worker, no token in any answer, and the sign-in
// page gone from the tab's history (Back does not return to the PIN).
func TestBrowserAuthorizeSignIn(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		forceChange bool
	}{
		{"PIN", false},
		{"forced PIN change", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, f, b := authzEnv(t)
			if tc.forceChange {
				e.update(b.user.ID, func(m *method.Method) { m.PIN.ForceChange = true })
			}
			base, w := e.appServer(f, time.Hour)
			ctx := browser(t)
			var title, hint, doc, landed string
			run(t, ctx,
				chromedp.Navigate(base+"?authRequest="+hintedReq),
				chromedp.WaitVisible("#scan-input", chromedp.ByID),
				chromedp.Text("#title", &title, chromedp.ByID),
				chromedp.Text("#scan-title", &hint, chromedp.ByID),
				chromedp.Title(&doc),
				screenshot(t, ctx, "1-scan"),
			)
			if want := "Sign in to " + appName; title != want || doc != want {
				t.Fatalf("title %q, document title %q, want %q", title, doc, want)
			}
			if want := b.user.UPN + ": scan your badge"; hint != want {
				t.Fatalf("heading %q, want %q", hint, want)
			}
			run(t, ctx,
				chromedp.SendKeys("#scan-input", b.payload+"\r", chromedp.ByID),
				chromedp.WaitVisible("#pin-input", chromedp.ByID),
				chromedp.SendKeys("#pin-input", b.pin+"\r", chromedp.ByID),
			)
			if tc.forceChange {
				run(t, ctx,
					chromedp.WaitVisible("#newpin-input", chromedp.ByID),
					chromedp.SendKeys("#newpin-input", newKioskPIN, chromedp.ByID),
					chromedp.SendKeys("#newpin-confirm", newKioskPIN+"\r", chromedp.ByID),
				)
			}
			run(t, ctx,
				chromedp.WaitVisible("#landed", chromedp.ByID),
				chromedp.Text("#landed", &landed, chromedp.ByID),
				screenshot(t, ctx, "2-landed"),
			)
			var loc string
			var hist []*cdppage.NavigationEntry
			run(t, ctx,
				chromedp.Location(&loc),
				chromedp.ActionFunc(func(ctx context.Context) error {
					var err error
					_, hist, err = cdppage.GetNavigationHistory().Do(ctx)
					return err
				}),
			)
			if landed != "Welcome to Timesheets" || !strings.HasSuffix(loc, "/app?code=for-"+hintedReq) {
				t.Fatalf("landed on %s (%q)", loc, landed)
			}
			for _, h := range hist {
				if strings.Contains(h.URL, "/signin") {
					t.Errorf("the sign-in page is still in the history: %s", h.URL)
				}
			}
			got := f.completions()
			if len(got) != 1 || got[0].requestID != hintedReq || got[0].userID != b.user.ID || !got[0].authTime.Equal(t0) {
				t.Fatalf("completions %+v", got)
			}
			w.mu.Lock()
			defer w.mu.Unlock()
			last := w.exchanges[len(w.exchanges)-1]
			if ks := keys(last.res); len(ks) != 2 || last.res["next"] != "redirect" {
				t.Fatalf("the last answer: %v", last.res)
			}
			for _, ex := range w.exchanges {
				if _, ok := ex.res["access_token"]; ok {
					t.Fatalf("an answer holds a token: %s %v", ex.path, ex.res)
				}
				if ex.path == "/"+testTenant+"/signin/qr" && ex.req["authRequest"] != hintedReq {
					t.Fatalf("the badge went without the request: %v", ex.req)
				}
			}
		})
	}
}

// TestBrowserAuthorizeOtherBadge: with a login hint, another user's badge
// is refused on the page, which stays on the scan screen, naming the
// expected user only.
func TestBrowserAuthorizeOtherBadge(t *testing.T) {
	t.Parallel()
	e, f, _ := authzEnv(t)
	bob := e.addUser("bob@contoso.com", goodPIN)
	base, _ := e.appServer(f, time.Hour)
	ctx := browser(t)
	var msg string
	run(t, ctx,
		chromedp.Navigate(base+"?authRequest="+hintedReq),
		chromedp.WaitVisible("#scan-input", chromedp.ByID),
		chromedp.SendKeys("#scan-input", bob.payload+"\r", chromedp.ByID),
		chromedp.WaitVisible("#message.error", chromedp.ByQuery),
		chromedp.Text("#message", &msg, chromedp.ByID),
		chromedp.WaitVisible("#scan-input", chromedp.ByID),
		chromedp.WaitNotVisible("#pin", chromedp.ByID),
	)
	if msg != "This is not the badge of ana@contoso.com." {
		t.Fatalf("message %q", msg)
	}
	if n := len(f.completions()); n != 0 {
		t.Fatalf("%d completions", n)
	}
}

// TestBrowserAuthorizeIdleWipe: in an authorize context, the idle timeout
// wipes a half-done sign-in as it does for qrpin's own: back to the scan
// screen for the same application, the handle and the typed digits gone.
func TestBrowserAuthorizeIdleWipe(t *testing.T) {
	t.Parallel()
	e, f, b := authzEnv(t)
	_, err := e.st.UpdateUser(t.Context(), b.user.ID, func(u *store.User) error { u.DisplayName = "Ana Ruiz"; return nil })
	mustOK(t, err, "UpdateUser")
	base, w := e.appServer(f, 2*time.Second)
	ctx := browser(t)
	run(t, ctx,
		chromedp.Navigate(base+"?authRequest="+reqID),
		chromedp.WaitVisible("#scan-input", chromedp.ByID),
		chromedp.SendKeys("#scan-input", b.payload+"\r", chromedp.ByID),
		chromedp.WaitVisible("#pin-input", chromedp.ByID),
		chromedp.SendKeys("#pin-input", b.pin[:4], chromedp.ByID),
	)
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second) // a deadline for the wipe, not a measure of it
	defer cancel()
	var title string
	run(t, wctx,
		chromedp.WaitVisible("#scan-input", chromedp.ByID),
		chromedp.WaitNotVisible("#pin", chromedp.ByID),
		chromedp.Text("#title", &title, chromedp.ByID),
	)
	if title != "Sign in to "+appName {
		t.Fatalf("title after the wipe %q", title)
	}
	forgotten(t, ctx, "after the idle timeout", b, append(w.secrets(t, false), b.pin[:4]))
	if n := len(f.completions()); n != 0 {
		t.Fatalf("%d completions", n)
	}
}

// TestBrowserAuthorizeUnsafeLocation: the page follows only an http(s)
// location (the service sends no other, and the page does not rely on
// that): a script URL, or none, leaves it on the page with an error,
// wiped.
func TestBrowserAuthorizeUnsafeLocation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, answer string }{
		{"script URL", `{"next":"redirect","location":"javascript:document.title='followed'"}`},
		{"no location", `{"next":"redirect"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, _, b := authzEnv(t)
			mux := http.NewServeMux()
			h := &Handler{Service: e.svc, IdleTimeout: time.Hour}
			h.RegisterPage(mux)
			mux.HandleFunc("POST /{tenant}/signin/qr", func(w http.ResponseWriter, r *http.Request) {
				w.Write([]byte(`{"next":"pin","transaction":"t1","pinLength":8}`))
			})
			mux.HandleFunc("POST /{tenant}/signin/pin", func(w http.ResponseWriter, r *http.Request) {
				w.Write([]byte(tc.answer))
			})
			base := newServer(t, mux) + "/" + testTenant + "/signin"
			ctx := browser(t)
			var msg, title, loc string
			run(t, ctx,
				chromedp.Navigate(base+"?authRequest="+reqID),
				chromedp.WaitVisible("#scan-input", chromedp.ByID),
				chromedp.SendKeys("#scan-input", b.payload+"\r", chromedp.ByID),
				chromedp.WaitVisible("#pin-input", chromedp.ByID),
				chromedp.SendKeys("#pin-input", b.pin+"\r", chromedp.ByID),
				chromedp.WaitVisible("#message.error", chromedp.ByQuery),
				chromedp.Text("#message", &msg, chromedp.ByID),
				chromedp.Title(&title),
				chromedp.Location(&loc),
			)
			if msg != "Something went wrong. Please try again." || title == "followed" || !strings.Contains(loc, "/signin?authRequest=") {
				t.Fatalf("message %q, title %q, location %s", msg, title, loc)
			}
			forgotten(t, ctx, "after a refused location", b, []string{b.payload, b.pin, "t1"})
		})
	}
}
