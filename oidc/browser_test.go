package oidc

import (
	"context"
	"crypto/rand"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/qrpin/qrpin/internal/chromiumtest"
	"github.com/qrpin/qrpin/store"
)

// chromium returns a headless Chromium's context for a test.
func chromium(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	return chromiumtest.Context(t, time.Minute, extra...)
}

// relyingParty is a small web application signing its users in through
// qrpin with x/oauth2 (PKCE) and go-oidc, as an application would.
type relyingParty struct {
	cfg      *oauth2.Config
	verifier *gooidc.IDTokenVerifier
	logout   string
	mu       sync.Mutex
	pending  map[string][2]string // state: verifier, nonce
	idToken  string
	token    *oauth2.Token // the code exchange's tokens
}

func (rp *relyingParty) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/login":
		state, verifier, nonce := rand.Text(), oauth2.GenerateVerifier(), rand.Text()
		rp.mu.Lock()
		rp.pending[state] = [2]string{verifier, nonce}
		rp.mu.Unlock()
		http.Redirect(w, r, rp.cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", nonce)), http.StatusFound)
	case "/callback":
		rp.mu.Lock()
		p, ok := rp.pending[r.URL.Query().Get("state")]
		delete(rp.pending, r.URL.Query().Get("state"))
		rp.mu.Unlock()
		if !ok {
			http.Error(w, "unknown state", http.StatusBadRequest)
			return
		}
		tok, err := rp.cfg.Exchange(r.Context(), r.URL.Query().Get("code"), oauth2.VerifierOption(p[0]))
		if err != nil {
			http.Error(w, "exchange: "+err.Error(), http.StatusBadGateway)
			return
		}
		raw, _ := tok.Extra("id_token").(string)
		idt, err := rp.verifier.Verify(r.Context(), raw)
		if err != nil || idt.Nonce != p[1] {
			http.Error(w, fmt.Sprintf("ID token: %v", err), http.StatusBadGateway)
			return
		}
		var c struct{ Name string }
		idt.Claims(&c)
		rp.mu.Lock()
		rp.idToken, rp.token = raw, tok
		rp.mu.Unlock()
		fmt.Fprintf(w, `<!doctype html><title>Timesheets</title><p id="hello">Hello %s</p>`, html.EscapeString(c.Name))
	case "/logout":
		rp.mu.Lock()
		hint := rp.idToken
		rp.mu.Unlock()
		http.Redirect(w, r, rp.logout+"?"+url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {"http://" + r.Host + "/bye"}}.Encode(), http.StatusFound)
	case "/bye":
		fmt.Fprint(w, `<!doctype html><title>Timesheets</title><p id="bye">Signed out of Timesheets</p>`)
	default:
		http.NotFound(w, r)
	}
}

// TestBrowserRelyingParty: a worker signs in to an application in
// Chromium, as they would: the application sends the browser to qrpin,
// the sign-in page names the application and takes the badge (typed, as
// a scanner does) and the PIN, and the browser lands back on the
// application, which exchanged the code and verified the ID token; it
// refreshes its tokens, and its sign-out goes through qrpin's logout and
// back.
func TestBrowserRelyingParty(t *testing.T) {
	t.Parallel()
	ctx := chromium(t)
	e := newEnv(t)
	e.withSignInPage()
	payload := e.badge()
	rp := &relyingParty{pending: map[string][2]string{}, logout: e.tenantURL("/oauth2/v2.0/logout")}
	rpSrv := httptest.NewServer(rp)
	t.Cleanup(rpSrv.Close)
	a := e.newApp("Timesheets", store.AppSignIn{WebRedirectURIs: []string{"http://127.0.0.1/callback"},
		WebLogoutURL: "http://127.0.0.1/bye"})
	rp.cfg = e.oauth2(a, rpSrv.URL+"/callback")
	rp.verifier = e.idVerifier(a)

	var title, hello, bye string
	err := chromedp.Run(ctx,
		chromedp.Navigate(rpSrv.URL+"/login"),
		chromedp.WaitVisible("#scan-input", chromedp.ByID),
		chromedp.Text("#title", &title, chromedp.ByID),
		chromedp.SendKeys("#scan-input", payload+"\r", chromedp.ByID),
		chromedp.WaitVisible("#pin-input", chromedp.ByID),
		chromedp.SendKeys("#pin-input", goodPIN+"\r", chromedp.ByID),
		chromedp.WaitVisible("#hello", chromedp.ByID),
		chromedp.Text("#hello", &hello, chromedp.ByID),
	)
	failed := func(err error) {
		t.Helper()
		var msg string
		chromedp.Run(ctx, chromedp.Text("body", &msg, chromedp.ByQuery))
		t.Fatalf("browser: %v (page: %q)", err, msg)
	}
	if err != nil {
		failed(err)
	}

	// The application refreshes as x/oauth2 does when its access token
	// has expired: a new access token, ID token and (rotated) refresh
	// token, for the same worker.
	first := rp.token
	if first == nil || first.RefreshToken == "" {
		t.Fatalf("the code exchange gave no refresh token: %+v", first)
	}
	next, err := rp.cfg.TokenSource(t.Context(), &oauth2.Token{RefreshToken: first.RefreshToken}).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if next.AccessToken == "" || next.RefreshToken == "" || next.RefreshToken == first.RefreshToken {
		t.Errorf("refresh: access token %t, refresh token %t, rotated %t", next.AccessToken != "", next.RefreshToken != "", next.RefreshToken != first.RefreshToken)
	}
	raw, _ := next.Extra("id_token").(string)
	idt, err := rp.verifier.Verify(t.Context(), raw)
	if err != nil {
		t.Fatalf("refreshed ID token: %v", err)
	}
	firstID, _ := rp.verifier.Verify(t.Context(), rp.idToken)
	if firstID == nil || idt.Subject != firstID.Subject {
		t.Errorf("refreshed ID token's sub %q, the sign-in's %v", idt.Subject, firstID)
	}

	if err := chromedp.Run(ctx,
		chromedp.Navigate(rpSrv.URL+"/logout"),
		chromedp.WaitVisible("#bye", chromedp.ByID),
		chromedp.Text("#bye", &bye, chromedp.ByID),
	); err != nil {
		failed(err)
	}
	if title != "Sign in to Timesheets" || hello != "Hello "+e.user.DisplayName || bye != "Signed out of Timesheets" {
		t.Errorf("title %q, landed %q, signed out %q", title, hello, bye)
	}
}
