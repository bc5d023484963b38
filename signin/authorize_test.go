package signin

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
)

// fakeAuthz is an OpenID provider with the requests it is given: Pending
// answers a request until Complete is called for it; Complete records its
// calls and answers next + "?req=" + the request id.
type fakeAuthz struct {
	mu        sync.Mutex
	requests  map[string]Pending
	done      map[string]bool
	pendings  []string // the ids Pending was asked for
	completes []completion
	next      string
	// pendingErr and completeErr, when set, are what Pending and Complete
	// answer instead.
	pendingErr, completeErr error
}

type completion struct {
	requestID, userID, upn string
	enabled                bool // the user as Complete got them
	authTime               time.Time
}

func newFakeAuthz(requests map[string]Pending) *fakeAuthz {
	return &fakeAuthz{requests: requests, done: map[string]bool{}, next: "https://qrpin.test/" + testTenant + "/oauth2/v2.0/authorize/callback"}
}

func errNoRequest() error {
	return apperr.New(apperr.NotFound, "notFound", "no such request (the provider's words)")
}

func (f *fakeAuthz) Pending(_ context.Context, id string) (Pending, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pendings = append(f.pendings, id)
	if f.pendingErr != nil {
		return Pending{}, f.pendingErr
	}
	p, ok := f.requests[id]
	if !ok || f.done[id] {
		return Pending{}, errNoRequest()
	}
	return p, nil
}

func (f *fakeAuthz) Complete(_ context.Context, id string, u store.User, authTime time.Time) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.completes = append(f.completes, completion{id, u.ID, u.UPN, u.AccountEnabled, authTime})
	if f.completeErr != nil {
		return "", f.completeErr
	}
	if _, ok := f.requests[id]; !ok || f.done[id] {
		return "", errNoRequest()
	}
	f.done[id] = true
	return f.next + "?req=" + id, nil
}

func (f *fakeAuthz) completions() []completion {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]completion(nil), f.completes...)
}

func (f *fakeAuthz) asked() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.pendings...)
}

// The tests' application and its request ids.
const (
	appID     = "7a1c0e55-3b0f-4d2e-8f3a-2c1d0e9f8a7b"
	appName   = "Timesheets <b>&\"'"
	reqID     = "req-Abc_123"
	hintedReq = "req-hinted"
	ghostReq  = "req-ghost"
)

// authzEnv is an env whose service signs in for the fake's requests:
// reqID (no hint), hintedReq (for the returned badge's user) and ghostReq
// (a hint naming no user). Sign-ins are logged to the store.
func authzEnv(t *testing.T) (*env, *fakeAuthz, badge) {
	e := newEnv(t)
	b := e.addUser("ana@contoso.com", goodPIN)
	f := newFakeAuthz(map[string]Pending{
		reqID:     {AppID: appID, AppName: appName, Resource: "Microsoft Graph", Flow: "authorizationCode"},
		hintedReq: {AppID: appID, AppName: appName, UserID: b.user.ID, UPN: b.user.UPN, Resource: "Microsoft Graph", Flow: "authorizationCode"},
		ghostReq:  {AppID: appID, AppName: appName, UPN: "ghost@contoso.com", Resource: "Microsoft Graph", Flow: "authorizationCode"},
	})
	e.svc.Authorizations = f
	e.svc.Record = RecordTo(e.st, nil)
	return e, f, b
}

func (e *env) logs() []store.SignInLog {
	e.t.Helper()
	logs, err := e.st.ListSignInLogs(e.t.Context(), store.AuditFilter{}, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return logs
}

// TestAuthorizeCompletesRequest: after the PIN (or the forced new PIN), the
// service completes the request once, for the user, at the step's time,
// and answers the provider's URL and no token; the sign-in log names the
// application, for the failure on the way as for the success.
func TestAuthorizeCompletesRequest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		forceChange bool
		req         string
	}{
		{"PIN", false, reqID},
		{"forced new PIN", true, reqID},
		{"PIN, login hint", false, hintedReq},
		{"forced new PIN, login hint", true, hintedReq},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, f, b := authzEnv(t)
			if tc.forceChange {
				e.update(b.user.ID, func(m *method.Method) { m.PIN.ForceChange = true })
			}
			ctx := t.Context()
			e.clock.Advance(time.Hour)
			s, err := e.svc.StartQRFor(ctx, "192.0.2.1", b.payload, tc.req)
			mustOK(t, err, "StartQRFor")
			if s.Next != StagePIN || s.Transaction == "" || s.Tokens != nil || s.Location != "" {
				t.Fatalf("QR step: %+v", s)
			}
			// A wrong PIN: no completion, a retry handle that keeps the request.
			retry, err := e.svc.SubmitPIN(ctx, "192.0.2.1", s.Transaction, wrongPIN, false)
			wantCode(t, err, "invalidPin")
			if len(f.completions()) != 0 {
				t.Fatalf("Complete called after a wrong PIN: %+v", f.completions())
			}
			e.clock.Advance(time.Minute)
			step, err := e.svc.SubmitPIN(ctx, "192.0.2.1", retry.Transaction, goodPIN, false)
			mustOK(t, err, "SubmitPIN")
			if tc.forceChange {
				if step.Next != StageNewPIN || len(f.completions()) != 0 {
					t.Fatalf("got %+v (completions %+v), want the new PIN step and no completion", step, f.completions())
				}
				e.clock.Advance(time.Minute)
				// A new PIN equal to the old one: a retry, no completion.
				retry, err := e.svc.ChangePIN(ctx, "192.0.2.1", step.Transaction, goodPIN, false)
				wantCode(t, err, "invalidPin")
				if len(f.completions()) != 0 {
					t.Fatalf("Complete called after a refused new PIN: %+v", f.completions())
				}
				step, err = e.svc.ChangePIN(ctx, "192.0.2.1", retry.Transaction, "90817263", false)
				mustOK(t, err, "ChangePIN")
			}
			want := Step{Next: StageRedirect, Location: f.next + "?req=" + tc.req}
			if step != want {
				t.Fatalf("last step: %+v, want %+v (no token, no handle)", step, want)
			}
			got := f.completions()
			if len(got) != 1 || got[0] != (completion{tc.req, b.user.ID, b.user.UPN, true, e.clock.Now()}) {
				t.Fatalf("completions %+v, want one for %s, user %s at %v", got, tc.req, b.user.ID, e.clock.Now())
			}
			if m := e.method(b.user.ID); m.Lockout.Failures != 0 || !m.Standard.LastUsed.Equal(t0.Add(time.Hour+time.Minute)) {
				t.Errorf("method after the sign-in: lockout %+v, lastUsed %v", m.Lockout, m.Standard.LastUsed)
			}
			// Newest first: the success, (the refused new PIN,) the wrong PIN.
			logs := e.logs()
			wantLogs := 2
			if tc.forceChange {
				wantLogs = 3
			}
			if len(logs) != wantLogs || logs[0].ErrorCode != 0 || logs[len(logs)-1].ErrorCode != CodeInvalidPIN {
				t.Fatalf("sign-in logs: %+v", logs)
			}
			for _, l := range logs {
				if l.AppID != appID || l.AppName != appName || l.UserID != b.user.ID ||
					l.Resource != "Microsoft Graph" || l.Flow != "authorizationCode" {
					t.Errorf("log entry %+v: want the application %s %q, its resource and flow", l, appID, appName)
				}
			}
		})
	}
}

// TestAuthorizeWithoutRequestIssuesTokens: with a provider configured, a
// sign-in for no request is today's: tokens, qrpin's own application in the
// log, no call to the provider.
func TestAuthorizeWithoutRequestIssuesTokens(t *testing.T) {
	t.Parallel()
	e, f, b := authzEnv(t)
	s, err := e.svc.StartQRFor(t.Context(), "192.0.2.1", b.payload, "")
	mustOK(t, err, "StartQRFor")
	done, err := e.svc.SubmitPIN(t.Context(), "192.0.2.1", s.Transaction, goodPIN, false)
	mustOK(t, err, "SubmitPIN")
	if done.Next != StageDone || done.Tokens == nil || done.Tokens.AccessToken == "" || done.Location != "" {
		t.Fatalf("got %+v, want tokens", done)
	}
	if len(f.asked()) != 0 || len(f.completions()) != 0 {
		t.Fatalf("the provider was asked: %v %+v", f.asked(), f.completions())
	}
	if logs := e.logs(); len(logs) != 1 || logs[0].AppID != AppID || logs[0].AppName != AppName {
		t.Fatalf("sign-in logs: %+v", logs)
	}
}

// TestAuthorizeFailuresCompleteNothing: a locked PIN, a disabled user or a
// deleted method between the steps, a request gone before the PIN: the
// request is not completed.
func TestAuthorizeFailuresCompleteNothing(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		before func(t *testing.T, e *env, f *fakeAuthz, b badge) // between the QR code and the PIN
		pin    string
		code   string
	}{
		{"wrong PIN locks", func(t *testing.T, e *env, f *fakeAuthz, b badge) {
			e.svc.Lockout = method.LockoutPolicy{Threshold: 1, BaseDuration: time.Minute, MaxDuration: time.Hour, DisableAfter: 100}
		}, wrongPIN, "pinLocked"},
		{"user disabled", func(t *testing.T, e *env, f *fakeAuthz, b badge) {
			_, err := e.st.UpdateUser(e.t.Context(), b.user.ID, func(u *store.User) error { u.AccountEnabled = false; return nil })
			mustOK(t, err, "UpdateUser")
		}, goodPIN, "incorrectQRCode"},
		{"method deleted", func(t *testing.T, e *env, f *fakeAuthz, b badge) {
			mustOK(t, e.st.DeleteMethod(e.t.Context(), b.user.ID), "DeleteMethod")
		}, goodPIN, "incorrectQRCode"},
		{"request completed elsewhere", func(t *testing.T, e *env, f *fakeAuthz, b badge) {
			f.mu.Lock()
			f.done[reqID] = true
			f.mu.Unlock()
		}, goodPIN, "authRequestNotFound"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, f, b := authzEnv(t)
			s, err := e.svc.StartQRFor(t.Context(), "192.0.2.1", b.payload, reqID)
			mustOK(t, err, "StartQRFor")
			tc.before(t, e, f, b)
			before := e.hasher.verifies.Load()
			_, err = e.svc.SubmitPIN(t.Context(), "192.0.2.1", s.Transaction, tc.pin, false)
			wantCode(t, err, tc.code)
			if n := len(f.completions()); n != 0 {
				t.Fatalf("Complete called %d times", n)
			}
			if tc.code == "authRequestNotFound" {
				if e.hasher.verifies.Load() != before {
					t.Error("a PIN was checked for a request that is gone")
				}
				if logs := e.logs(); len(logs) != 1 || logs[0].ErrorCode != CodeAuthRequest || logs[0].UserID != b.user.ID {
					t.Errorf("sign-in logs: %+v", logs)
				}
			}
		})
	}
}

// TestAuthorizeCompleteRefused: a request that the provider refuses to
// complete (it expired between the PIN and the completion) fails the step,
// logged; a provider failure is returned as it is; an unsafe next URL is
// not passed on.
func TestAuthorizeCompleteRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		err     error
		next    string
		code    string // "" for an error that is no apperr
		logCode int
	}{
		{"gone", errNoRequest(), "", "authRequestNotFound", CodeAuthRequest},
		{"store down", store.ErrUnavailable, "", "", 0},
		{"script URL", nil, "javascript:alert(1)//", "", 0},
		{"protocol-relative URL", nil, "//evil.example/cb", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, f, b := authzEnv(t)
			f.completeErr = tc.err
			if tc.next != "" {
				f.next = tc.next
			}
			s, err := e.svc.StartQRFor(t.Context(), "192.0.2.1", b.payload, reqID)
			mustOK(t, err, "StartQRFor")
			step, err := e.svc.SubmitPIN(t.Context(), "192.0.2.1", s.Transaction, goodPIN, false)
			if step.Location != "" || step.Tokens != nil {
				t.Fatalf("step %+v", step)
			}
			switch {
			case tc.code != "":
				wantCode(t, err, tc.code)
			case tc.err != nil:
				if !errors.Is(err, tc.err) {
					t.Fatalf("got %v, want %v", err, tc.err)
				}
			default:
				if _, ok := apperr.As(err); ok || err == nil {
					t.Fatalf("got %v, want an internal error", err)
				}
			}
			logs := e.logs()
			if tc.logCode != 0 && (len(logs) != 1 || logs[0].ErrorCode != tc.logCode || logs[0].AppID != appID) {
				t.Fatalf("sign-in logs: %+v", logs)
			}
			if tc.logCode == 0 && len(logs) != 0 {
				t.Fatalf("sign-in logs: %+v, want none", logs)
			}
		})
	}
}

// TestAuthorizeLoginHint: a request for a user refuses another user's
// badge at the QR step (the message names the expected user, never the
// badge's), logged as an incorrect QR code and throttled like one; a hint
// naming no user refuses every badge.
func TestAuthorizeLoginHint(t *testing.T) {
	t.Parallel()
	e, f, ana := authzEnv(t)
	e.svc.Throttle = Throttle{Limit: 2}
	bob := e.addUser("bob@contoso.com", goodPIN)
	ctx := t.Context()
	for _, tc := range []struct {
		req, msg string
	}{
		{hintedReq, "This is not the badge of ana@contoso.com."},
		{ghostReq, "This is not the badge of ghost@contoso.com."},
	} {
		s, err := e.svc.StartQRFor(ctx, "198.51.100.1", bob.payload, tc.req)
		ae := wantCode(t, err, "unexpectedUser")
		if ae.Kind != apperr.Invalid || ae.Message != tc.msg || strings.Contains(ae.Message, "bob") || s.Transaction != "" {
			t.Fatalf("%s: %+v %+v", tc.req, ae, s)
		}
	}
	// Throttled as incorrect QR codes are: the third failure is refused.
	_, err := e.svc.StartQRFor(ctx, "198.51.100.1", bob.payload, hintedReq)
	wantCode(t, err, "TooManyRequests")
	logs := e.logs()
	if len(logs) != 2 {
		t.Fatalf("sign-in logs: %+v", logs)
	}
	for _, l := range logs {
		if l.ErrorCode != CodeIncorrectQR || l.UserID != bob.user.ID || l.AppID != appID || l.Step != "qrCode" ||
			!strings.Contains(l.FailureReason, "login_hint") {
			t.Errorf("log entry %+v", l)
		}
	}
	// Ana's badge, for ana's request, from another address: the PIN step.
	s, err := e.svc.StartQRFor(ctx, "192.0.2.1", ana.payload, hintedReq)
	mustOK(t, err, "StartQRFor with the hinted user's badge")
	_, err = e.svc.StartQRFor(ctx, "192.0.2.1", ana.payload, ghostReq)
	wantCode(t, err, "unexpectedUser")
	done, err := e.svc.SubmitPIN(ctx, "192.0.2.1", s.Transaction, goodPIN, false)
	mustOK(t, err, "SubmitPIN")
	if done.Next != StageRedirect || len(f.completions()) != 1 || f.completions()[0].userID != ana.user.ID {
		t.Fatalf("got %+v, completions %+v", done, f.completions())
	}
}

// TestAuthorizeUnknownRequest: a malformed request id is refused without a
// look-up (and counts nothing); an unknown one is looked up and counts
// towards the throttle; neither logs a sign-in. A service without a
// provider knows no request.
func TestAuthorizeUnknownRequest(t *testing.T) {
	t.Parallel()
	e, f, b := authzEnv(t)
	e.svc.Throttle = Throttle{Limit: 1}
	ctx := t.Context()
	for _, id := range []string{strings.Repeat("a", MaxRequestIDLen+1), "a b", "a/b", "a.b", "a=", "é", "a\x00", "%41", "a\nb"} {
		_, err := e.svc.StartQRFor(ctx, "198.51.100.1", b.payload, id)
		if ae := wantCode(t, err, "authRequestNotFound"); ae.Kind != apperr.NotFound {
			t.Fatalf("%q: %+v", id, ae)
		}
		_, err = e.svc.Pending(ctx, id)
		wantCode(t, err, "authRequestNotFound")
	}
	if asked := f.asked(); len(asked) != 0 {
		t.Fatalf("malformed ids were looked up: %q", asked)
	}
	long := strings.Repeat("a", MaxRequestIDLen)
	for i, id := range []string{long, "unknown"} {
		_, err := e.svc.StartQRFor(ctx, "198.51.100.1", b.payload, id)
		if i == 0 {
			wantCode(t, err, "authRequestNotFound")
		} else {
			wantCode(t, err, "TooManyRequests") // the limit is 1
		}
	}
	if asked := f.asked(); len(asked) != 2 || asked[0] != long {
		t.Fatalf("looked up %q, want the two well-formed ids", asked)
	}
	if logs := e.logs(); len(logs) != 0 {
		t.Fatalf("sign-in logs: %+v, want none", logs)
	}
	// The provider's own NotFound error becomes the page's.
	_, err := e.svc.Pending(ctx, "unknown")
	if ae := wantCode(t, err, "authRequestNotFound"); !strings.Contains(ae.Message, "Go back to the application") {
		t.Fatalf("message %q", ae.Message)
	}
	p, err := e.svc.Pending(ctx, reqID)
	mustOK(t, err, "Pending")
	if p != (Pending{AppID: appID, AppName: appName, Resource: "Microsoft Graph", Flow: "authorizationCode"}) {
		t.Fatalf("Pending: %+v", p)
	}

	plain := newEnv(t)
	pb := plain.addUser("ana@contoso.com", goodPIN)
	_, err = plain.svc.StartQRFor(ctx, "192.0.2.1", pb.payload, reqID)
	wantCode(t, err, "authRequestNotFound")
	_, err = plain.svc.Pending(ctx, reqID)
	wantCode(t, err, "authRequestNotFound")
}

func TestNavigable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		loc string
		ok  bool
	}{
		{"https://qrpin.test/t/oauth2/v2.0/authorize/callback?id=1", true},
		{"http://127.0.0.1:8080/cb", true},
		{"/t/oauth2/v2.0/authorize/callback?id=1", true},
		{"", false},
		{"javascript:alert(1)", false},
		{"JAVASCRIPT:alert(1)", false},
		{"data:text/html,hi", false},
		{"//evil.example/", false},
		{"/\\evil.example/", false},
		{"https://user@qrpin.test/", false},
		{"https:///path", false},
		{"relative/path", false},
		{"https://qrpin.test/\r\nSet-Cookie: a", false},
	} {
		if got := navigable(tc.loc); got != tc.ok {
			t.Errorf("navigable(%q) = %v, want %v", tc.loc, got, tc.ok)
		}
	}
}
