package staff_test

import (
	"context"
	"flag"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/internal/chromiumtest"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/pinflow"
	"github.com/qrpin/qrpin/signin"
)

// updateDocs writes the README's screenshot, docs/staff-page.png (a
// member's page at the desktop viewport): go test ./staff -run
// TestBrowserManager -update-docs.
var updateDocs = flag.Bool("update-docs", false, "write ../docs/staff-page.png from the browser test")

// chromium returns a headless Chromium's context for the whole test
// (slow under -race on a busy machine).
func chromium(t *testing.T) context.Context { return chromiumtest.Context(t, 5*time.Minute) }

// withSignInPage serves the sign-in page beside the provider, as
// cmd/qrpin does, on the env's store, hasher and clock.
func (e *env) withSignInPage() {
	e.t.Helper()
	svc := &signin.Service{
		Config:         pinflow.Config{Store: e.st, PINs: e.hasher, Pepper: e.svc.Pepper, TenantID: tenant, Lockout: method.DefaultLockout, Now: e.clock.Now},
		Tokens:         &auth.Tokens{Keys: e.keys, Issuer: e.p.Issuer(), Now: e.clock.Now},
		Record:         signin.RecordTo(e.st, nil),
		Authorizations: e.p,
	}
	if _, err := e.st.UpdatePolicy(context.Background(), func(p *method.Policy) error { p.State = method.Enabled; return nil }); err != nil {
		e.t.Fatal(err)
	}
	hd := &signin.Handler{Service: svc}
	hd.Register(e.mux)
	hd.RegisterPage(e.mux)
}

// shots screenshots the page at a phone's viewport and a desktop's, into
// $QRPIN_SCREENSHOTS or the test's temporary directory, and names the
// files in the test log.
func shots(t *testing.T, name string) chromedp.Action {
	dir := os.Getenv("QRPIN_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	return chromedp.ActionFunc(func(ctx context.Context) error {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		for _, vp := range []struct {
			name string
			w, h int64
		}{{"phone", 390, 844}, {"desktop", 1280, 800}} {
			var b []byte
			if err := chromedp.Run(ctx, chromedp.EmulateViewport(vp.w, vp.h), chromedp.FullScreenshot(&b, 100)); err != nil {
				return err
			}
			path := filepath.Join(dir, fmt.Sprintf("staff-%s-%s.png", name, vp.name))
			if err := os.WriteFile(path, b, 0o644); err != nil {
				return err
			}
			t.Logf("screenshot %s (%s, %dx%d): %s", name, vp.name, vp.w, vp.h, path)
			if *updateDocs && name == "member" && vp.name == "desktop" {
				if err := os.WriteFile(filepath.Join("..", "docs", "staff-page.png"), b, 0o644); err != nil {
					return err
				}
				t.Log("wrote ../docs/staff-page.png")
			}
		}
		return chromedp.EmulateViewport(390, 844).Do(ctx)
	})
}

func run(t *testing.T, ctx context.Context, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(ctx, actions...); err != nil {
		var body, loc string
		shot, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		chromedp.Run(shot, chromedp.Location(&loc), chromedp.Text("body", &body, chromedp.ByQuery))
		t.Fatalf("browser: %v (at %s, page: %q)", err, loc, body)
	}
}

// TestBrowserManager: a unit-scoped Authentication Administrator, in
// Chromium, signs in with their badge and PIN, finds a worker, resets
// their PIN, issues a temporary code that then signs the worker in on the
// sign-in page, unlocks a locked worker, cannot see a worker outside the
// unit nor act on them with a crafted form (403, audited), and signs out.
// Every screen is shot at a phone's and a desktop's viewport.
func TestBrowserManager(t *testing.T) {
	t.Parallel()
	ctx := chromium(t)
	e := newEnv(t)
	e.withSignInPage()
	e.team()
	memberURL := e.url("/users/" + e.worker.ID)

	// Sign in with the badge (typed, as a scanner does) and the PIN.
	var heading string
	run(t, ctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(e.url("")),
		chromedp.WaitVisible("#scan-input", chromedp.ByID),
		shots(t, "1-sign-in"),
		chromedp.SendKeys("#scan-input", e.manager.Payload+"\r", chromedp.ByID),
		chromedp.WaitVisible("#pin-input", chromedp.ByID),
		chromedp.SendKeys("#pin-input", e.manager.PIN+"\r", chromedp.ByID),
		chromedp.WaitVisible("#q", chromedp.ByID),
		chromedp.Text("h1", &heading, chromedp.ByQuery),
		shots(t, "2-home"),
	)
	if heading != "My staff" {
		t.Fatalf("after sign-in: %q", heading)
	}

	// Search, open the worker.
	var status, facts string
	run(t, ctx,
		chromedp.SendKeys("#q", "ann\r", chromedp.ByID),
		chromedp.WaitVisible("#status", chromedp.ByID),
		chromedp.Text("#status", &status, chromedp.ByID),
		shots(t, "3-search"),
		chromedp.Click(".people a", chromedp.ByQuery),
		chromedp.WaitVisible("#facts", chromedp.ByID),
		chromedp.Text("#facts", &facts, chromedp.ByID),
		shots(t, "member"),
	)
	if status != "1 person matches." || !strings.Contains(facts, "Yes, expires") {
		t.Errorf("search %q, member facts %q", status, facts)
	}

	// Reset the PIN: shown once, large.
	var newPIN string
	run(t, ctx,
		chromedp.Click("#reset-pin", chromedp.ByID),
		chromedp.WaitVisible("#new-pin", chromedp.ByID),
		chromedp.Text("#new-pin", &newPIN, chromedp.ByID),
		shots(t, "4-new-pin"),
	)
	if ok, _ := e.hasher.Verify(newPIN, e.method(e.worker).PIN.Hash); !ok {
		t.Fatalf("the PIN shown %q is not the worker's", newPIN)
	}

	// A temporary code for a forgotten badge.
	var src string
	var ok bool
	run(t, ctx,
		chromedp.Click("#done", chromedp.ByID),
		chromedp.WaitVisible("#temporary-code", chromedp.ByID),
		chromedp.Click("#temporary-code", chromedp.ByID),
		chromedp.WaitVisible("#qr", chromedp.ByID),
		chromedp.AttributeValue("#qr", "src", &src, &ok, chromedp.ByID),
		shots(t, "5-temporary-code"),
	)
	payload := decodePage(t, `id="qr" class="qr" src="`+html.EscapeString(src)+`"`)
	temp := e.method(e.worker).Temporary
	if temp == nil || payload.CodeID != temp.ID {
		t.Fatalf("the code shown %s is not the stored temporary code %+v", payload.CodeID, temp)
	}

	// The worker signs in with it on the sign-in page (a tab of its own),
	// choosing a new PIN since the reset's is temporary.
	wctx, cancel := chromedp.NewContext(ctx)
	defer cancel()
	run(t, wctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(e.base+"/"+tenant+"/signin"),
		chromedp.WaitVisible("#scan-input", chromedp.ByID),
		chromedp.SendKeys("#scan-input", payload.Encode()+"\r", chromedp.ByID),
		chromedp.WaitVisible("#pin-input", chromedp.ByID),
		chromedp.SendKeys("#pin-input", newPIN+"\r", chromedp.ByID),
		chromedp.WaitVisible("#newpin-input", chromedp.ByID),
		chromedp.SendKeys("#newpin-input", "90817263", chromedp.ByID),
		chromedp.SendKeys("#newpin-confirm", "90817263\r", chromedp.ByID),
		chromedp.WaitVisible("#done", chromedp.ByID),
	)
	if m := e.method(e.worker); m.PIN.ForceChange || m.Temporary.LastUsed.IsZero() {
		t.Errorf("after the worker's sign-in: force change %v, temporary code used %v", m.PIN.ForceChange, m.Temporary.LastUsed)
	}

	// A locked worker is unlocked.
	if _, err := e.st.UpdateMethod(context.Background(), e.worker.ID, func(m *method.Method) error {
		m.Lockout.LockedUntil, m.Lockout.Failures = e.clock.Now().Add(time.Hour), 5
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var pinState string
	run(t, ctx,
		chromedp.Navigate(memberURL),
		chromedp.WaitVisible("#unlock", chromedp.ByID),
		shots(t, "6-locked"),
		chromedp.Click("#unlock", chromedp.ByID),
		chromedp.WaitVisible("#status", chromedp.ByID),
		chromedp.Text("#status", &status, chromedp.ByID),
		chromedp.Text("#pin-state", &pinState, chromedp.ByID),
		shots(t, "7-unlocked"),
	)
	if status != "The PIN of Ann Lee is unlocked." || pinState != "OK" {
		t.Errorf("after unlock: %q, PIN %q", status, pinState)
	}
	if m := e.method(e.worker); m.Lockout != (method.Lockout{}) {
		t.Errorf("stored lockout %+v", m.Lockout)
	}

	// Outside the unit: neither the page nor a crafted form.
	n := len(e.audits())
	var problem string
	run(t, ctx,
		chromedp.Navigate(e.url("/users/"+e.outsider.ID)),
		chromedp.WaitVisible("#problem", chromedp.ByID),
		chromedp.Text("#problem", &problem, chromedp.ByID),
		shots(t, "8-outside-unit"),
	)
	if !strings.Contains(problem, "You cannot manage this person") {
		t.Errorf("outsider's page: %q", problem)
	}
	before := e.method(e.outsider)
	craft := fmt.Sprintf(`(() => { const f = document.createElement("form"); f.method = "post";
		f.action = %q; const i = document.createElement("input"); i.name = "csrf";
		i.value = document.querySelector("input[name=csrf]").value; f.appendChild(i);
		document.body.appendChild(f); f.submit(); return true; })()`, "/"+tenant+"/staff/users/"+e.outsider.ID+"/reset-pin")
	var done bool
	problem = ""
	run(t, ctx,
		chromedp.Navigate(memberURL),
		chromedp.WaitVisible("#reset-pin", chromedp.ByID),
		chromedp.Evaluate(craft, &done),
		chromedp.WaitVisible("#problem", chromedp.ByID),
		chromedp.Text("#problem", &problem, chromedp.ByID),
	)
	if !strings.Contains(problem, "You cannot manage this person") || e.method(e.outsider).PIN.Hash != before.PIN.Hash {
		t.Errorf("crafted reset for the outsider: %q", problem)
	}
	// Newest first: the crafted reset, then the refused page.
	a := e.auditsAfter(n)
	if len(a) != 2 || a[0].Activity != "Reset QR code PIN" || a[1].Activity != "Get QR code method" {
		t.Fatalf("audits of the refused page and the crafted reset %+v", a)
	}
	for _, x := range a {
		if x.Result != "failure" || x.InitiatorID != e.manager.ID || x.Targets[0].ID != e.outsider.ID {
			t.Errorf("audit %+v", x)
		}
	}

	// Sign out: the signed-out page, and the next visit signs in afresh.
	var signedOut string
	run(t, ctx,
		chromedp.Navigate(e.url("")),
		chromedp.WaitVisible(".signout button", chromedp.ByQuery),
		chromedp.Click(".signout button", chromedp.ByQuery),
		chromedp.WaitVisible("#signin-again", chromedp.ByID),
		chromedp.Text("h1", &signedOut, chromedp.ByQuery),
		shots(t, "9-signed-out"),
		chromedp.Navigate(e.url("")),
		chromedp.WaitVisible("#scan-input", chromedp.ByID),
	)
	if signedOut != "You are signed out" {
		t.Errorf("after sign out: %q", signedOut)
	}
	if strings.Contains(e.logs.String(), newPIN) || strings.Contains(e.logs.String(), e.manager.PIN) {
		t.Error("a PIN is in the logs")
	}
}

// TestBrowserFreshSignIn: in Chromium, a PIN reset more than 10 minutes
// after the sign-in goes back through the sign-in page for the manager's
// own badge and PIN (their name shown as the login hint), then back to
// the member, where the reset goes through; a user who manages nobody is
// told so.
func TestBrowserFreshSignIn(t *testing.T) {
	t.Parallel()
	ctx := chromium(t)
	e := newEnv(t)
	e.withSignInPage()
	e.team()
	signIn := func(m member) chromedp.Tasks {
		return chromedp.Tasks{
			chromedp.WaitVisible("#scan-input", chromedp.ByID),
			chromedp.SendKeys("#scan-input", m.Payload+"\r", chromedp.ByID),
			chromedp.WaitVisible("#pin-input", chromedp.ByID),
			chromedp.SendKeys("#pin-input", m.PIN+"\r", chromedp.ByID),
		}
	}
	run(t, ctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(e.url("/users/"+e.worker.ID)),
		signIn(e.manager),
		chromedp.WaitVisible("#reset-pin", chromedp.ByID),
	)
	for range 3 { // used, so not idle, but signed in 12 minutes ago
		e.clock.Advance(4 * time.Minute)
		run(t, ctx, chromedp.Reload(), chromedp.WaitVisible("#reset-pin", chromedp.ByID))
	}
	var hint, newPIN string
	run(t, ctx,
		chromedp.Click("#reset-pin", chromedp.ByID),
		chromedp.WaitVisible("#login-hint", chromedp.ByID),
		chromedp.Text("#login-hint", &hint, chromedp.ByID),
		shots(t, "10-sign-in-again"),
	)
	if hint != e.manager.UPN {
		t.Fatalf("the fresh sign-in's hint %q, want %q", hint, e.manager.UPN)
	}
	if m := e.method(e.worker); m.PIN.ForceChange {
		t.Fatal("the PIN was reset before the fresh sign-in")
	}
	run(t, ctx,
		signIn(e.manager),
		chromedp.WaitVisible("#reset-pin", chromedp.ByID),
		chromedp.Click("#reset-pin", chromedp.ByID),
		chromedp.WaitVisible("#new-pin", chromedp.ByID),
		chromedp.Text("#new-pin", &newPIN, chromedp.ByID),
	)
	if ok, _ := e.hasher.Verify(newPIN, e.method(e.worker).PIN.Hash); !ok {
		t.Fatal("the PIN shown after the fresh sign-in is not the worker's")
	}

	var heading string
	run(t, ctx,
		chromedp.Click(".signout button", chromedp.ByQuery),
		chromedp.WaitVisible("#signin-again", chromedp.ByID),
		chromedp.Click("#signin-again", chromedp.ByID),
		signIn(e.nb),
		chromedp.WaitVisible("#nobody", chromedp.ByID),
		chromedp.Text("h1", &heading, chromedp.ByQuery),
		shots(t, "11-manages-nobody"),
	)
	if heading != "You manage nobody" {
		t.Errorf("a user who manages nobody sees %q", heading)
	}
}
