package oidc

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/oauth2"

	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/pin"
	"github.com/qrpin/qrpin/pinflow"
	"github.com/qrpin/qrpin/qr"
	"github.com/qrpin/qrpin/signin"
	"github.com/qrpin/qrpin/store"
)

// cheap are Argon2id parameters small enough for tests.
var cheap = pin.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

const goodPIN = "48150392"

// withSignInPage mounts the real sign-in page and API (package signin)
// with the provider as its Authorizations, as serve does.
func (e *env) withSignInPage() { e.withSignInPageAt(cheap, e.clock.Now) }

// withSignInPageAt is withSignInPage hashing PINs at params, with the
// clock now (nil: the real one).
func (e *env) withSignInPageAt(params pin.Params, now func() time.Time) {
	e.t.Helper()
	h, err := pin.NewHasher(e.pepper, params)
	if err != nil {
		e.t.Fatal(err)
	}
	e.hasher = h
	svc := &signin.Service{
		Config:         pinflow.Config{Store: e.st, PINs: h, Pepper: e.pepper, TenantID: testTenant, Now: now},
		Tokens:         &auth.Tokens{Keys: e.keys, Issuer: e.p.Issuer(), Now: now},
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

// badge gives the env's user a method with a live standard QR code and
// goodPIN, and returns the badge's payload.
func (e *env) badge() string { return e.badgeFor(e.user) }

// badgeFor is badge for the user u (the sign-in page's hasher hashes the
// PIN).
func (e *env) badgeFor(u store.User) string {
	e.t.Helper()
	ctx := context.Background()
	if err := e.st.DeleteMethod(ctx, u.ID); err != nil {
		e.t.Fatal(err)
	}
	hash, err := e.hasher.Hash(goodPIN)
	if err != nil {
		e.t.Fatal(err)
	}
	secret, err := qr.NewSecret()
	if err != nil {
		e.t.Fatal(err)
	}
	then := e.clock.Now().Add(-time.Hour)
	c := &method.QRCode{ID: uuid.NewString(), Kind: method.Standard, Start: then, Expire: then.Add(48 * time.Hour),
		Created: then, Verifier: qr.Verifier(e.pepper, secret)}
	m := method.Method{ID: uuid.NewString(), UserID: u.ID, Created: then, Standard: c,
		PIN: method.PIN{Hash: hash, Length: len(goodPIN), Created: then, Updated: then}}
	if err := e.st.CreateMethod(ctx, m); err != nil {
		e.t.Fatal(err)
	}
	return qr.Payload{TenantID: testTenant, CodeID: c.ID, UPN: u.UPN, Secret: secret}.Encode()
}

func (e *env) postJSON(rawURL string, v any) (*http.Response, map[string]any) {
	e.t.Helper()
	b, _ := json.Marshal(v)
	res, err := e.http.Post(rawURL, "application/json", bytes.NewReader(b))
	if err != nil {
		e.t.Fatal(err)
	}
	return res, readJSON(e.t, res)
}

// TestSignInPageEndToEnd: an application's sign-in through the real
// sign-in page's API: authorize, the page, the badge and PIN, the
// provider's callback, the code exchange (x/oauth2, PKCE), the ID token
// (go-oidc); the sign-in log names the application, resource and flow.
func TestSignInPageEndToEnd(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.withSignInPage()
	payload := e.badge()
	a := e.newApp("Timesheets", webApp)
	cfg := e.oauth2(a, webApp.WebRedirectURIs[0])
	verifier := oauth2.GenerateVerifier()
	id := e.startAuthorize(cfg.AuthCodeURL("st-7", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", "n-7")))

	res := e.get(e.tenantURL("/signin?authRequest=" + id))
	if page := body(res); res.StatusCode != 200 || !strings.Contains(page, "Timesheets") {
		t.Fatalf("sign-in page: %d", res.StatusCode)
	}
	res, out := e.postJSON(e.tenantURL("/signin/qr"), signin.QRRequest{QRCode: payload, AuthRequest: id})
	if res.StatusCode != 200 || out["next"] != "pin" {
		t.Fatalf("qr: %d %v", res.StatusCode, out)
	}
	res, out = e.postJSON(e.tenantURL("/signin/pin"), signin.PINRequest{Transaction: out["transaction"].(string), PIN: goodPIN})
	loc, _ := out["location"].(string)
	if res.StatusCode != 200 || out["next"] != "redirect" || loc != e.tenantURL("/oauth2/v2.0/authorize/callback?id="+id) {
		t.Fatalf("pin: %d %v", res.StatusCode, out)
	}
	res = e.get(loc)
	res.Body.Close()
	back, err := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusFound || err != nil || back.Query().Get("state") != "st-7" ||
		!strings.HasPrefix(back.String(), webApp.WebRedirectURIs[0]+"?") {
		t.Fatalf("callback: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	tok, err := cfg.Exchange(context.Background(), back.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	idt, err := e.idVerifier(a).Verify(context.Background(), tok.Extra("id_token").(string))
	if err != nil || idt.Nonce != "n-7" || idt.Subject != e.p.pairwise(a.AppID, e.user.ID) {
		t.Fatalf("ID token: %+v %v", idt, err)
	}
	logs, err := e.st.ListSignInLogs(context.Background(), store.AuditFilter{}, 0)
	if err != nil || len(logs) != 1 {
		t.Fatalf("sign-in logs: %+v %v", logs, err)
	}
	if l := logs[0]; l.AppID != a.AppID || l.AppName != "Timesheets" || l.Resource != "Microsoft Graph" ||
		l.Flow != FlowAuthorizationCode || l.UserID != e.user.ID || l.ErrorCode != 0 {
		t.Errorf("sign-in log entry %+v", l)
	}
}
