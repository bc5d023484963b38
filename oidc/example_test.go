package oidc

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/qrpin/qrpin/examples/badgeapp"
	"github.com/qrpin/qrpin/store"
)

// TestBrowserBadgeApp runs the README's example application
// (examples/badgeapp) against the provider in Chromium: "Sign in with
// your badge", the sign-in page, back to the application signed in as the
// worker; "Sign out" through qrpin's logout back to its home page.
func TestBrowserBadgeApp(t *testing.T) {
	t.Parallel()
	ctx := chromium(t)
	e := newEnv(t)
	e.withSignInPage()
	payload := e.badge()
	a := e.newApp("Badge app", store.AppSignIn{WebRedirectURIs: []string{"http://127.0.0.1/callback"},
		WebLogoutURL: "http://127.0.0.1/"})
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	t.Cleanup(srv.Close)
	app, err := badgeapp.New(context.Background(), badgeapp.Config{Issuer: e.p.Issuer(), ClientID: a.AppID,
		ClientSecret: a.secret, RedirectURL: srv.URL + "/callback", HTTPClient: http.DefaultClient})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = app.Handler()

	var who, signin string
	err = chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.Click("#signin", chromedp.ByID),
		chromedp.WaitVisible("#scan-input", chromedp.ByID),
		chromedp.SendKeys("#scan-input", payload+"\r", chromedp.ByID),
		chromedp.WaitVisible("#pin-input", chromedp.ByID),
		chromedp.SendKeys("#pin-input", goodPIN+"\r", chromedp.ByID),
		chromedp.WaitVisible("#who", chromedp.ByID),
		chromedp.Text("#who", &who, chromedp.ByID),
		chromedp.Click("#signout", chromedp.ByID),
		chromedp.WaitVisible("#signin", chromedp.ByID),
		chromedp.Text("#signin", &signin, chromedp.ByID),
	)
	if err != nil {
		var page string
		chromedp.Run(ctx, chromedp.Text("body", &page, chromedp.ByQuery))
		t.Fatalf("browser: %v (page: %q)", err, page)
	}
	if want := "Signed in as " + e.user.DisplayName + " (" + e.user.UPN + ")"; who != want || signin != "Sign in with your badge" {
		t.Errorf("signed in %q, want %q; after sign-out %q", who, want, signin)
	}
}
