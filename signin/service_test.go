package signin

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/qr"
	"github.com/qrpin/qrpin/store"
)

const goodPIN = "48150392"

func TestSignInIssuesTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.addUser("ana@contoso.com", goodPIN)
	ctx := t.Context()
	if err := e.st.CreateRoleAssignment(ctx, store.RoleAssignment{ID: uuid.NewString(), PrincipalID: b.user.ID,
		RoleDefinitionID: auth.GlobalReader}); err != nil {
		t.Fatal(err)
	}
	// A role scoped to an administrative unit is never in wids (Entra's
	// hold tenant-wide roles only): the management service reads it.
	unit := store.AdministrativeUnit{ID: uuid.NewString(), DisplayName: "Store 1"}
	if err := e.st.CreateUnit(ctx, unit); err != nil {
		t.Fatal(err)
	}
	if err := e.st.CreateRoleAssignment(ctx, store.RoleAssignment{ID: uuid.NewString(), PrincipalID: b.user.ID,
		RoleDefinitionID: auth.AuthenticationAdministrator, UnitID: unit.ID}); err != nil {
		t.Fatal(err)
	}
	e.update(b.user.ID, func(m *method.Method) { m.Lockout.Failures = 3 })
	e.clock.Advance(time.Hour)
	now := e.clock.Now()
	s := e.start(b)
	if s.PINLength != 8 || !s.Expires.Equal(now.Add(DefaultTransactionTTL)) {
		t.Fatalf("PIN step: %+v", s)
	}
	done, err := e.svc.SubmitPIN(ctx, "192.0.2.1", s.Transaction, goodPIN, true)
	mustOK(t, err, "SubmitPIN")
	if done.Next != StageDone || done.Tokens == nil {
		t.Fatalf("SubmitPIN: got %+v, want tokens", done)
	}
	p, err := e.tokens.Verify(done.Tokens.AccessToken)
	mustOK(t, err, "Verify access token")
	if p.Kind != auth.Delegated || p.ObjectID != b.user.ID || p.UPN != b.user.UPN || p.AppID != AppID ||
		!p.AuthTime.Equal(now) || !slices.Equal(p.DirectoryRoles, []string{auth.GlobalReader}) ||
		!slices.Contains(p.Scopes, "UserAuthMethod-QR.ReadWrite") || !slices.Contains(p.Scopes, "User.Read") {
		t.Fatalf("access token principal: %+v", p)
	}
	id := e.idClaims(done.Tokens.IDToken)
	want := map[string]any{"iss": e.tokens.Issuer, "aud": AppID, "sub": b.user.ID, "oid": b.user.ID, "tid": testTenant,
		"auth_time": float64(now.Unix()), "preferred_username": b.user.UPN, "name": b.user.DisplayName, "ver": "2.0"}
	for k, v := range want {
		if id[k] != v {
			t.Errorf("ID token %s = %v, want %v", k, id[k], v)
		}
	}
	m := e.method(b.user.ID)
	if !m.Standard.LastUsed.Equal(now) {
		t.Errorf("lastUsed = %v, want %v", m.Standard.LastUsed, now)
	}
	if m.Lockout != (method.Lockout{}) {
		t.Errorf("lockout after success = %+v, want cleared", m.Lockout)
	}
	// The handle is single-use.
	_, err = e.svc.SubmitPIN(ctx, "192.0.2.1", s.Transaction, goodPIN, false)
	wantCode(t, err, "invalidTransaction")
}

func TestCodeLifetimeEdges(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.addUser("ana@contoso.com", goodPIN)
	start, expire := t0.Add(time.Hour), t0.Add(3*time.Hour)
	e.update(b.user.ID, func(m *method.Method) { m.Standard.Start, m.Standard.Expire = start, expire })
	for _, tc := range []struct {
		at time.Time
		ok bool
	}{
		{start.Add(-time.Microsecond), false},
		{start, true},
		{expire.Add(-time.Microsecond), true},
		{expire, false},
		{expire.Add(time.Hour), false},
	} {
		e.clock.Set(tc.at)
		_, err := e.svc.StartQR(t.Context(), "192.0.2.1", b.payload)
		if tc.ok {
			mustOK(t, err, "StartQR at "+tc.at.String())
		} else {
			wantCode(t, err, "incorrectQRCode")
		}
	}
	// A code that expires between the QR code and the PIN fails at the PIN.
	e.clock.Set(expire.Add(-time.Second))
	s := e.start(b)
	e.clock.Set(expire)
	_, err := e.svc.SubmitPIN(t.Context(), "192.0.2.1", s.Transaction, goodPIN, false)
	wantCode(t, err, "incorrectQRCode")
	if m := e.method(b.user.ID); m.Lockout.Failures != 0 {
		t.Errorf("an expired code counted a PIN attempt: %+v", m.Lockout)
	}
}

func TestDeletedCodesAndTemporaryCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.addUser("ana@contoso.com", goodPIN)
	s := e.start(b)
	// Deleted between the QR code and the PIN.
	e.update(b.user.ID, func(m *method.Method) { m.Standard = nil })
	_, err := e.svc.SubmitPIN(t.Context(), "192.0.2.1", s.Transaction, goodPIN, false)
	wantCode(t, err, "incorrectQRCode")
	_, err = e.svc.StartQR(t.Context(), "192.0.2.1", b.payload)
	wantCode(t, err, "incorrectQRCode")

	// A temporary code works with the same PIN.
	secret, _ := qr.NewSecret()
	tmp := &method.QRCode{ID: uuid.NewString(), Kind: method.Temporary, Start: t0, Expire: t0.Add(2 * time.Hour),
		Created: t0, Verifier: qr.Verifier(e.pepper, secret)}
	e.update(b.user.ID, func(m *method.Method) { m.Temporary = tmp })
	tb := b
	tb.payload = qr.Payload{TenantID: testTenant, CodeID: tmp.ID, UPN: b.user.UPN, Secret: secret}.Encode()
	s = e.start(tb)
	done, err := e.svc.SubmitPIN(t.Context(), "192.0.2.1", s.Transaction, goodPIN, false)
	mustOK(t, err, "SubmitPIN with the temporary code")
	if done.Next != StageDone {
		t.Fatalf("got %+v", done)
	}
	if m := e.method(b.user.ID); !m.Temporary.LastUsed.Equal(t0) {
		t.Errorf("temporary lastUsed = %v", m.Temporary.LastUsed)
	}

	// Deleting the method stops everything.
	s = e.start(tb)
	mustOK(t, e.st.DeleteMethod(t.Context(), b.user.ID), "DeleteMethod")
	_, err = e.svc.SubmitPIN(t.Context(), "192.0.2.1", s.Transaction, goodPIN, false)
	wantCode(t, err, "incorrectQRCode")
	_, err = e.svc.StartQR(t.Context(), "192.0.2.1", tb.payload)
	wantCode(t, err, "incorrectQRCode")
}

func TestWrongSecretOrTenant(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.addUser("ana@contoso.com", goodPIN)
	p, err := qr.Parse(b.payload)
	mustOK(t, err, "Parse")
	forged := p
	forged.Secret = make([]byte, qr.SecretLen)
	foreign := p
	foreign.TenantID = uuid.NewString()
	for name, payload := range map[string]string{
		"forged secret":  forged.Encode(),
		"foreign tenant": foreign.Encode(),
		"truncated":      b.payload[:len(b.payload)/2],
		"garbage":        "hello world",
		"empty":          "",
		"unknown code":   qr.Payload{TenantID: testTenant, CodeID: uuid.NewString(), UPN: b.user.UPN, Secret: p.Secret}.Encode(),
		"other version":  "QP2." + b.payload[4:],
		"binary":         "\x00\xff\xfe",
	} {
		_, err := e.svc.StartQR(t.Context(), "198.51.100."+string(rune('1'+len(name)%9)), payload)
		if ae := wantCode(t, err, "incorrectQRCode"); ae.Message != "Incorrect QR code" {
			t.Errorf("%s: message %q", name, ae.Message)
		}
	}
	// A UPN that differs in the payload (a renamed user) does not matter:
	// the code id and secret decide.
	renamed := p
	renamed.UPN = "old-name@contoso.com"
	_, err = e.svc.StartQR(t.Context(), "192.0.2.1", renamed.Encode())
	mustOK(t, err, "StartQR after a rename")
}

func TestPolicyScopeAndDisabledUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.addUser("ana@contoso.com", goodPIN)
	ctx := t.Context()
	g := store.Group{ID: uuid.NewString(), DisplayName: "Frontline", MailNickname: "frontline", Created: t0}
	mustOK(t, e.st.CreateGroup(ctx, g), "CreateGroup")
	other := store.Group{ID: uuid.NewString(), DisplayName: "Office", MailNickname: "office", Created: t0}
	mustOK(t, e.st.CreateGroup(ctx, other), "CreateGroup")
	mustOK(t, e.st.AddGroupMember(ctx, g.ID, b.user.ID), "AddGroupMember")
	for _, tc := range []struct {
		name string
		p    func(p *method.Policy)
		ok   bool
	}{
		{"all users", func(p *method.Policy) {}, true},
		{"policy disabled", func(p *method.Policy) { p.State = method.Disabled }, false},
		{"included group", func(p *method.Policy) { p.Include = []method.Target{{TargetType: method.TargetGroup, ID: g.ID}} }, true},
		{"other group only", func(p *method.Policy) { p.Include = []method.Target{{TargetType: method.TargetGroup, ID: other.ID}} }, false},
		{"included user", func(p *method.Policy) { p.Include = []method.Target{{TargetType: method.TargetUser, ID: b.user.ID}} }, true},
		{"excluded group", func(p *method.Policy) { p.Exclude = []method.Target{{TargetType: method.TargetGroup, ID: g.ID}} }, false},
		{"excluded user", func(p *method.Policy) { p.Exclude = []method.Target{{TargetType: method.TargetUser, ID: b.user.ID}} }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.policy(func(p *method.Policy) {
				*p = method.DefaultPolicy()
				p.State = method.Enabled
				tc.p(p)
			})
			_, err := e.svc.StartQR(ctx, "192.0.2.1", b.payload)
			if tc.ok {
				mustOK(t, err, "StartQR")
			} else {
				wantCode(t, err, "incorrectQRCode")
			}
		})
	}
	// Out of scope between the QR code and the PIN: refused at the PIN.
	e.policy(func(p *method.Policy) { *p = method.DefaultPolicy(); p.State = method.Enabled })
	s := e.start(b)
	e.policy(func(p *method.Policy) { p.State = method.Disabled })
	_, err := e.svc.SubmitPIN(ctx, "192.0.2.1", s.Transaction, goodPIN, false)
	wantCode(t, err, "incorrectQRCode")

	// A disabled user.
	e.policy(func(p *method.Policy) { p.State = method.Enabled })
	s = e.start(b)
	_, err = e.st.UpdateUser(ctx, b.user.ID, func(u *store.User) error { u.AccountEnabled = false; return nil })
	mustOK(t, err, "UpdateUser")
	_, err = e.svc.SubmitPIN(ctx, "192.0.2.1", s.Transaction, goodPIN, false)
	wantCode(t, err, "incorrectQRCode")
	_, err = e.svc.StartQR(ctx, "192.0.2.1", b.payload)
	wantCode(t, err, "incorrectQRCode")
}

// TestIDTokenOnlyWhenAsked: the step that completes a sign-in (the PIN, or
// the new PIN after a temporary one) issues an ID token only when its
// request asks for one; the access token always.
func TestIDTokenOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	for _, forced := range []bool{false, true} {
		for _, ask := range []bool{false, true} {
			t.Run(fmt.Sprintf("newPin=%v/idToken=%v", forced, ask), func(t *testing.T) {
				t.Parallel()
				e := newEnv(t)
				b := e.addUser("ana@contoso.com", goodPIN)
				e.update(b.user.ID, func(m *method.Method) { m.PIN.ForceChange = forced })
				done, err := e.svc.SubmitPIN(t.Context(), "192.0.2.1", e.start(b).Transaction, goodPIN, ask)
				mustOK(t, err, "SubmitPIN")
				if forced {
					if done.Tokens != nil {
						t.Fatalf("tokens before the new PIN: %+v", done)
					}
					done, err = e.svc.ChangePIN(t.Context(), "192.0.2.1", done.Transaction, "90817263", ask)
					mustOK(t, err, "ChangePIN")
				}
				if done.Next != StageDone || done.Tokens == nil || done.Tokens.AccessToken == "" {
					t.Fatalf("got %+v, want the access token", done)
				}
				if _, err := e.tokens.Verify(done.Tokens.AccessToken); err != nil {
					t.Fatal(err)
				}
				if got := done.Tokens.IDToken != ""; got != ask {
					t.Fatalf("ID token issued: %v, want %v", got, ask)
				}
				if ask && e.idClaims(done.Tokens.IDToken)["sub"] != b.user.ID {
					t.Fatal("the ID token is not the user's")
				}
			})
		}
	}
}

func TestForcedChange(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.addUser("ana@contoso.com", goodPIN)
	e.update(b.user.ID, func(m *method.Method) { m.PIN.ForceChange = true })
	ctx := t.Context()
	s := e.start(b)
	ch, err := e.svc.SubmitPIN(ctx, "192.0.2.1", s.Transaction, goodPIN, false)
	mustOK(t, err, "SubmitPIN")
	if ch.Next != StageNewPIN || ch.Tokens != nil || ch.Transaction == "" {
		t.Fatalf("got %+v, want the new PIN step and no tokens", ch)
	}
	// The PIN handle cannot be used for the new PIN, nor the other way.
	_, err = e.svc.ChangePIN(ctx, "192.0.2.1", s.Transaction, "90817263", false)
	wantCode(t, err, "invalidTransaction")
	// A new PIN that breaks the rules leaves the transaction usable.
	for _, bad := range []string{"1234567", "11111111", "12121212", "abcdefgh", "01234567890"} {
		_, err = e.svc.ChangePIN(ctx, "192.0.2.1", ch.Transaction, bad, false)
		if ae, ok := asErr(err); !ok || (ae.Code != "pinTooShort" && ae.Code != "invalidPin") {
			t.Fatalf("ChangePIN(%s): %v", bad, err)
		}
	}
	// The same PIN again is refused, with a new handle to retry.
	retry, err := e.svc.ChangePIN(ctx, "192.0.2.1", ch.Transaction, goodPIN, false)
	wantCode(t, err, "invalidPin")
	if retry.Next != StageNewPIN || retry.Transaction == "" {
		t.Fatalf("retry step: %+v", retry)
	}
	done, err := e.svc.ChangePIN(ctx, "192.0.2.1", retry.Transaction, "90817263", false)
	mustOK(t, err, "ChangePIN")
	if done.Next != StageDone || done.Tokens == nil {
		t.Fatalf("got %+v, want tokens", done)
	}
	m := e.method(b.user.ID)
	if m.PIN.ForceChange || m.PIN.Length != 8 {
		t.Errorf("PIN after change: %+v", m.PIN)
	}
	if ok, _ := e.hasher.Verify("90817263", m.PIN.Hash); !ok {
		t.Error("the new PIN does not verify")
	}
	// The next sign-in needs no change.
	s = e.start(b)
	done, err = e.svc.SubmitPIN(ctx, "192.0.2.1", s.Transaction, "90817263", false)
	mustOK(t, err, "SubmitPIN with the new PIN")
	if done.Next != StageDone {
		t.Fatalf("got %+v", done)
	}
}

func TestForcedChangeAfterResetDuringSignIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.addUser("ana@contoso.com", goodPIN)
	e.update(b.user.ID, func(m *method.Method) { m.PIN.ForceChange = true })
	s := e.start(b)
	ch, err := e.svc.SubmitPIN(t.Context(), "192.0.2.1", s.Transaction, goodPIN, false)
	mustOK(t, err, "SubmitPIN")
	hash, _ := e.hasher.Hash("55501234")
	e.update(b.user.ID, func(m *method.Method) { m.PIN.Hash = hash }) // an admin reset
	_, err = e.svc.ChangePIN(t.Context(), "192.0.2.1", ch.Transaction, "90817263", false)
	wantCode(t, err, "invalidTransaction")
	if ok, _ := e.hasher.Verify("55501234", e.method(b.user.ID).PIN.Hash); !ok {
		t.Error("the admin's PIN was overwritten")
	}
}

func TestRaisedPINLength(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.addUser("ana@contoso.com", goodPIN)
	e.policy(func(p *method.Policy) { p.PINLength = 10 })
	s := e.start(b)
	if s.PINLength != 10 {
		t.Errorf("pinLength = %d, want 10", s.PINLength)
	}
	ch, err := e.svc.SubmitPIN(t.Context(), "192.0.2.1", s.Transaction, goodPIN, false)
	mustOK(t, err, "SubmitPIN")
	if ch.Next != StageNewPIN {
		t.Fatalf("got %+v, want the new PIN step", ch)
	}
	_, err = e.svc.ChangePIN(t.Context(), "192.0.2.1", ch.Transaction, "90817263", false)
	wantCode(t, err, "pinTooShort")
	done, err := e.svc.ChangePIN(t.Context(), "192.0.2.1", ch.Transaction, "9081726354", false)
	mustOK(t, err, "ChangePIN")
	if done.Next != StageDone || e.method(b.user.ID).PIN.Length != 10 {
		t.Fatalf("got %+v", done)
	}
	// A PIN as long as the policy wants needs no change.
	s = e.start(b)
	done, err = e.svc.SubmitPIN(t.Context(), "192.0.2.1", s.Transaction, "9081726354", false)
	mustOK(t, err, "SubmitPIN")
	if done.Next != StageDone {
		t.Fatalf("got %+v", done)
	}
}

func TestReplayAndExpiredTransactions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.addUser("ana@contoso.com", goodPIN)
	ctx := t.Context()
	s := e.start(b)
	e.clock.Advance(DefaultTransactionTTL)
	_, err := e.svc.SubmitPIN(ctx, "192.0.2.1", s.Transaction, goodPIN, false)
	wantCode(t, err, "invalidTransaction")
	s = e.start(b)
	e.clock.Advance(DefaultTransactionTTL - time.Microsecond)
	_, err = e.svc.SubmitPIN(ctx, "192.0.2.1", s.Transaction, goodPIN, false)
	mustOK(t, err, "SubmitPIN just before expiry")
	for _, h := range []string{"", "x", strings.Repeat("A", 43), strings.Repeat("!", 43), s.Transaction + "A"} {
		_, err = e.svc.SubmitPIN(ctx, "192.0.2.1", h, goodPIN, false)
		wantCode(t, err, "invalidTransaction")
	}
	if n := e.method(b.user.ID).Lockout.Failures; n != 0 {
		t.Errorf("bad handles counted %d failures", n)
	}
}

func TestMalformedPINCountsNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.addUser("ana@contoso.com", goodPIN)
	s := e.start(b)
	for _, bad := range []string{"", "12ab5678", "１２３４５６７８", strings.Repeat("1", 21), " 48150392"} {
		_, err := e.svc.SubmitPIN(t.Context(), "192.0.2.1", s.Transaction, bad, false)
		wantCode(t, err, "invalidPin")
	}
	if e.hasher.verifies.Load() != 0 {
		t.Errorf("%d verifications for malformed PINs", e.hasher.verifies.Load())
	}
	// The transaction is still good.
	_, err := e.svc.SubmitPIN(t.Context(), "192.0.2.1", s.Transaction, goodPIN, false)
	mustOK(t, err, "SubmitPIN")
}

func TestConcurrentUseOfOneTransaction(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.addUser("ana@contoso.com", goodPIN)
	s := e.start(b)
	errs := race(20, func(int) error {
		_, err := e.svc.SubmitPIN(t.Context(), "192.0.2.1", s.Transaction, goodPIN, false)
		return err
	})
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else {
			wantCode(t, err, "invalidTransaction")
		}
	}
	if ok != 1 {
		t.Fatalf("%d sign-ins with one transaction, want 1", ok)
	}
}

func TestNoSecretInEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.addUser("ana@contoso.com", goodPIN)
	s := e.start(b)
	retry, _ := e.svc.SubmitPIN(t.Context(), "192.0.2.1", s.Transaction, "99990000", false)
	_, err := e.svc.SubmitPIN(t.Context(), "192.0.2.1", retry.Transaction, goodPIN, false)
	mustOK(t, err, "SubmitPIN")
	p, _ := qr.Parse(b.payload)
	secret := strings.Split(b.payload, ".")[3]
	if len(e.events) != 3 || !e.events[2].Done || e.events[1].ErrorCode != CodeInvalidPIN || e.events[0].ErrorCode != 0 {
		t.Fatalf("events: %+v", e.events)
	}
	for _, ev := range e.events {
		text := strings.Join([]string{ev.FailureReason, ev.UPN, ev.UserID, ev.IPAddress, ev.Step}, "|")
		for _, s := range []string{goodPIN, "99990000", secret, s.Transaction, string(p.Secret)} {
			if strings.Contains(text, s) {
				t.Fatalf("event %+v holds a secret", ev)
			}
		}
	}
}
