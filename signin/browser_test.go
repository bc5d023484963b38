package signin

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/qr"
)

// chromiumPath finds Debian's Chromium. Without it the browser tests skip,
// and fail when CI=true (.ci/run installs it).
func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed, and CI=true: the browser tests must run (apt-get install -y chromium)")
	}
	t.Skip("chromium is not installed: the browser tests skip (apt-get install -y chromium, or run .ci/run)")
	return ""
}

// browser starts a fresh headless Chromium for the test; extra flags are
// added to the standard ones.
func browser(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	// The profile directory is removed after the browser is stopped (the
	// cleanups run last first). Not t.TempDir: Chromium's helper processes
	// can still write into the profile for a moment after the browser has
	// exited, and TempDir fails the test when its removal does.
	profile, err := os.MkdirTemp("", "qrpin-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for range 50 {
			if err = os.RemoveAll(profile); err == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("left the browser profile %s: %v", profile, err)
	})
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(480, 900),
	}
	opts = append(opts, extra...)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel3)
	return ctx
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
