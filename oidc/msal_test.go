package oidc

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/chromedp/chromedp"

	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/store"
)

// Microsoft's own library, MSAL for Go, with qrpin as its authority
// (https: MSAL takes no other authority; instance discovery off, as for
// any authority outside Microsoft's clouds).

func (e *env) authority() string { return e.base + "/" + testTenant }

// homeAccountID is the worker's account as MSAL keys it from Entra's
// client_info: "{oid}.{tid}".
func (e *env) homeAccountID() string { return e.user.ID + "." + testTenant }

// TestMSALConfidentialAuthCode: a confidential client's authorization
// code flow (AuthCodeURL, then AcquireTokenByAuthCode with its secret);
// the access token is a Graph token qrpin's Graph API accepts, and the
// account is the worker.
func TestMSALConfidentialAuthCode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// Tokens of 4 minutes: MSAL takes a cached access token only while it
	// has 5 minutes left, so AcquireTokenSilent redeems the refresh token.
	e := newEnvServer(t, "sqlite", true, func(c *Config) { c.TokenTTL = 4 * time.Minute })
	a := e.newApp("Timesheets", webApp)
	cred, err := confidential.NewCredFromSecret(a.secret)
	if err != nil {
		t.Fatal(err)
	}
	client, err := confidential.New(e.authority(), a.AppID, cred,
		confidential.WithHTTPClient(e.srv.Client()), confidential.WithInstanceDiscovery(false))
	if err != nil {
		t.Fatal(err)
	}
	uri := webApp.WebRedirectURIs[0]
	authURL, err := client.AuthCodeURL(ctx, a.AppID, uri, []string{"User.Read"})
	if err != nil {
		t.Fatal(err)
	}
	loc := e.finish(e.startAuthorize(authURL), e.user)
	res, err := client.AcquireTokenByAuthCode(ctx, loc.Query().Get("code"), uri, []string{"User.Read"})
	if err != nil {
		t.Fatalf("AcquireTokenByAuthCode: %v", err)
	}
	p, err := e.graphTokens().Verify(res.AccessToken)
	if err != nil || p.ObjectID != e.user.ID || p.AppID != a.AppID || p.Kind != auth.Delegated {
		t.Fatalf("Graph verifier: %+v %v", p, err)
	}
	if res.Account.PreferredUsername != e.user.UPN || res.IDToken.Oid != e.user.ID || res.Account.HomeAccountID != e.homeAccountID() {
		t.Errorf("account %+v, ID token %+v; want home account id %s", res.Account, res.IDToken, e.homeAccountID())
	}
	// The refresh token MSAL cached gives a new access token silently
	// (client_info=1 again: the account MSAL keyed is the same).
	silent, err := client.AcquireTokenSilent(ctx, []string{"User.Read"}, confidential.WithSilentAccount(res.Account))
	if err != nil || silent.AccessToken == "" {
		t.Errorf("AcquireTokenSilent: %v", err)
	}
	if silent.AccessToken == res.AccessToken || silent.Account.HomeAccountID != e.homeAccountID() {
		t.Errorf("AcquireTokenSilent: the same access token (no refresh), or account %+v", silent.Account)
	}
	if acct, err := client.Account(ctx, e.homeAccountID()); err != nil || acct.PreferredUsername != e.user.UPN {
		t.Errorf("MSAL's account %s after the refresh: %+v, %v", e.homeAccountID(), acct, err)
	}
}

// TestMSALPublicInteractive: a public client's AcquireTokenInteractive,
// its open-URL hook handed to Chromium, which signs the worker in on the
// sign-in page; MSAL's loopback redirect (http://localhost on any port)
// takes the code, with PKCE.
func TestMSALPublicInteractive(t *testing.T) {
	t.Parallel()
	bctx := chromium(t, chromedp.Flag("ignore-certificate-errors", true))
	e := newEnvServer(t, "sqlite", true, nil)
	e.withSignInPage()
	payload := e.badge()
	a := e.newApp("Scanner", store.AppSignIn{PublicRedirectURIs: []string{"http://localhost"}})
	client, err := public.New(a.AppID, public.WithAuthority(e.authority()),
		public.WithHTTPClient(e.srv.Client()), public.WithInstanceDiscovery(false))
	if err != nil {
		t.Fatal(err)
	}
	browsed := make(chan error, 1)
	res, err := client.AcquireTokenInteractive(context.Background(), []string{"User.Read"},
		public.WithOpenURL(func(u string) error {
			go func() {
				browsed <- chromedp.Run(bctx,
					chromedp.Navigate(u),
					chromedp.WaitVisible("#scan-input", chromedp.ByID),
					chromedp.SendKeys("#scan-input", payload+"\r", chromedp.ByID),
					chromedp.WaitVisible("#pin-input", chromedp.ByID),
					chromedp.SendKeys("#pin-input", goodPIN+"\r", chromedp.ByID),
					chromedp.WaitReady("body", chromedp.ByQuery),
				)
			}()
			return nil
		}))
	if err != nil {
		t.Fatalf("AcquireTokenInteractive: %v (browser: %v)", err, nonBlocking(browsed))
	}
	if p, err := e.graphTokens().Verify(res.AccessToken); err != nil || p.ObjectID != e.user.ID || p.AppID != a.AppID {
		t.Fatalf("Graph verifier: %+v %v", p, err)
	}
	if res.Account.PreferredUsername != e.user.UPN || res.Account.HomeAccountID != e.homeAccountID() {
		t.Errorf("account %+v, want home account id %s", res.Account, e.homeAccountID())
	}
}

func nonBlocking(c chan error) error {
	select {
	case err := <-c:
		return err
	default:
		return nil
	}
}

// TestMSALDeviceCode: MSAL's device code flow for a fallback public
// client: the worker completes the code on the verification page's
// sign-in; MSAL's polling gets the tokens.
func TestMSALDeviceCode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnvServer(t, "sqlite", true, nil)
	a := e.newApp("Kiosk", nativeApp)
	client, err := public.New(a.AppID, public.WithAuthority(e.authority()),
		public.WithHTTPClient(e.srv.Client()), public.WithInstanceDiscovery(false))
	if err != nil {
		t.Fatal(err)
	}
	dc, err := client.AcquireTokenByDeviceCode(ctx, []string{"User.Read"})
	if err != nil {
		t.Fatalf("AcquireTokenByDeviceCode: %v", err)
	}
	if dc.Result.VerificationURL != e.tenantURL("/oauth2/v2.0/deviceauth") {
		t.Errorf("verification URL %q", dc.Result.VerificationURL)
	}
	res := e.get(e.tenantURL("/oauth2/v2.0/deviceauth?user_code=" + url.QueryEscape(dc.Result.UserCode)))
	res.Body.Close()
	loc, _ := url.Parse(res.Header.Get("Location"))
	if loc == nil || !strings.HasSuffix(loc.Path, "/signin") {
		t.Fatalf("verification page: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if _, err := e.p.Complete(ctx, loc.Query().Get("authRequest"), e.user, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	ar, err := dc.AuthenticationResult(ctx)
	if err != nil {
		t.Fatalf("AuthenticationResult: %v", err)
	}
	if p, err := e.graphTokens().Verify(ar.AccessToken); err != nil || p.ObjectID != e.user.ID {
		t.Fatalf("Graph verifier: %+v %v", p, err)
	}
	if ar.Account.HomeAccountID != e.homeAccountID() {
		t.Errorf("account %+v, want home account id %s", ar.Account, e.homeAccountID())
	}
}
