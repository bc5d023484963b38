package signin

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
)

// TestSignInLogEntries: failed steps and completed sign-ins are logged
// (steps that only lead on are not), and no PIN, QR content or handle is
// in any entry.
func TestSignInLogEntries(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.svc.Record = RecordTo(e.st, nil)
	b := e.addUser("ana@contoso.com", goodPIN)
	e.update(b.user.ID, func(m *method.Method) { m.PIN.ForceChange = true })
	ctx := t.Context()
	_, err := e.svc.StartQR(ctx, "198.51.100.7", b.payload[:len(b.payload)/2]) // 1: incorrect QR code
	wantCode(t, err, "incorrectQRCode")
	s := e.start(b)
	retry, err := e.svc.SubmitPIN(ctx, "192.0.2.1", s.Transaction, wrongPIN, false) // 2: invalid PIN
	wantCode(t, err, "invalidPin")
	ch, err := e.svc.SubmitPIN(ctx, "192.0.2.1", retry.Transaction, goodPIN, false)
	mustOK(t, err, "SubmitPIN")
	_, err = e.svc.ChangePIN(ctx, "192.0.2.1", ch.Transaction, "90817263", false) // 3: success
	mustOK(t, err, "ChangePIN")

	logs, err := e.st.ListSignInLogs(ctx, store.AuditFilter{}, 0)
	mustOK(t, err, "ListSignInLogs")
	if len(logs) != 3 {
		t.Fatalf("%d entries, want 3: %+v", len(logs), logs)
	}
	if logs[0].ErrorCode != 0 || logs[0].UserID != b.user.ID || logs[0].AppID != AppID ||
		logs[1].ErrorCode != CodeInvalidPIN || logs[1].UPN != b.user.UPN ||
		logs[2].ErrorCode != CodeIncorrectQR || logs[2].UserID != "" || logs[2].IPAddress != "198.51.100.7" {
		t.Fatalf("entries: %+v", logs)
	}
	dump, _ := json.Marshal(logs)
	for _, secret := range []string{goodPIN, wrongPIN, "90817263", strings.Split(b.payload, ".")[3], s.Transaction, retry.Transaction, ch.Transaction} {
		if strings.Contains(string(dump), secret) {
			t.Fatalf("a secret is in the sign-in log: %s", dump)
		}
	}
}
