// Package chromiumtest starts the headless Chromium the browser tests
// drive. Without Chromium those tests skip, and fail when CI=true (.ci/run
// installs it).
package chromiumtest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Path returns the installed Chromium's path, or skips t (fails it when
// CI=true).
func Path(t testing.TB) string {
	t.Helper()
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

// Context starts a fresh headless Chromium for t, with a profile of its
// own, and returns its context, ended after timeout or with t; extra
// options are added to the standard ones.
func Context(t testing.TB, timeout time.Duration, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path := Path(t)
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
	opts := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
	}, extra...)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, timeout)
	t.Cleanup(cancel3)
	return ctx
}
