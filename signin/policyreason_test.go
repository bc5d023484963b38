package signin

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/qrpin/qrpin/internal/syncbuf"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
)

// TestPolicyRefusalReasons (issue 13, item 12): a good badge of a user the
// policy does not let sign in (disabled policy, not included, excluded)
// gets the worker the generic "Incorrect QR code", while the sign-in log
// entry and the server's log say which rule refused it.
func TestPolicyRefusalReasons(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	logs := &syncbuf.Buffer{}
	e.svc.Record = RecordTo(e.st, slog.New(slog.NewTextHandler(logs, nil)))
	b := e.addUser("ana@contoso.com", goodPIN)
	ctx := t.Context()
	g := store.Group{ID: uuid.NewString(), DisplayName: "Frontline", MailNickname: "frontline", Created: t0}
	mustOK(t, e.st.CreateGroup(ctx, g), "CreateGroup")
	mustOK(t, e.st.AddGroupMember(ctx, g.ID, b.user.ID), "AddGroupMember")
	other := uuid.NewString()

	lastEntry := func(t *testing.T) store.SignInLog {
		t.Helper()
		es, err := e.st.ListSignInLogs(ctx, store.AuditFilter{}, 1)
		mustOK(t, err, "ListSignInLogs")
		if len(es) != 1 {
			t.Fatalf("%d sign-in log entries, want 1", len(es))
		}
		return es[0]
	}
	check := func(t *testing.T, err error, step, reason string) {
		t.Helper()
		ae := wantCode(t, err, "incorrectQRCode")
		if ae.Message != "Incorrect QR code" {
			t.Fatalf("the worker is told %q, want the generic message", ae.Message)
		}
		le := lastEntry(t)
		if le.ErrorCode != CodeNotInScope || le.FailureReason != reason || le.Step != step || le.UserID != b.user.ID {
			t.Fatalf("sign-in log entry %+v, want code %d, step %s, reason %q", le, CodeNotInScope, step, reason)
		}
		line := ""
		for l := range strings.Lines(logs.String()) {
			line = l
		}
		for _, want := range []string{"level=WARN", "not enabled for the user", "user=" + b.user.ID, "upn=ana@contoso.com", reason} {
			if !strings.Contains(line, want) {
				t.Fatalf("last log line %q lacks %q", line, want)
			}
		}
	}

	for _, tc := range []struct {
		name   string
		p      func(p *method.Policy)
		reason string
	}{
		{"disabled", func(p *method.Policy) { p.State = method.Disabled }, ReasonPolicyDisabled},
		{"disabled and excluded", func(p *method.Policy) {
			p.State = method.Disabled
			p.Exclude = []method.Target{{TargetType: method.TargetUser, ID: b.user.ID}}
		}, ReasonPolicyDisabled},
		{"not included", func(p *method.Policy) { p.Include = []method.Target{{TargetType: method.TargetGroup, ID: other}} }, ReasonNotIncluded},
		{"excluded user", func(p *method.Policy) { p.Exclude = []method.Target{{TargetType: method.TargetUser, ID: b.user.ID}} }, ReasonExcluded},
		{"excluded group", func(p *method.Policy) { p.Exclude = []method.Target{{TargetType: method.TargetGroup, ID: g.ID}} }, ReasonExcluded},
	} {
		e.policy(func(p *method.Policy) { *p = method.DefaultPolicy(); p.State = method.Enabled; tc.p(p) })
		_, err := e.svc.StartQR(ctx, "192.0.2.1", b.payload)
		t.Run(tc.name, func(t *testing.T) { check(t, err, "qrCode", tc.reason) })
	}

	// Disabled between the QR code and the PIN: refused at the PIN, as clearly.
	e.policy(func(p *method.Policy) { *p = method.DefaultPolicy(); p.State = method.Enabled })
	s := e.start(b)
	e.policy(func(p *method.Policy) { p.State = method.Disabled })
	_, err := e.svc.SubmitPIN(ctx, "192.0.2.1", s.Transaction, goodPIN, false)
	check(t, err, StagePIN, ReasonPolicyDisabled)
	if strings.Contains(logs.String(), goodPIN) {
		t.Fatal("the PIN is in the log")
	}
}
