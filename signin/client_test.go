package signin

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/qrpin/qrpin/store"
)

// TestSignInLogClient: a sign-in's log entries keep the user's display
// name, the client's User-Agent (printable ASCII, at most
// store.MaxUserAgent bytes) and its client-request-id as the correlation
// id when that is a GUID (else one of qrpin's own).
func TestSignInLogClient(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.svc.Record = RecordTo(e.st, nil)
	b := e.addUser("ana@contoso.com", goodPIN)
	base := e.server().URL + "/" + testTenant + "/signin/"
	send := func(path string, body any, ua, crid string) {
		t.Helper()
		j, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", base+path, bytes.NewReader(j))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", ua)
		if crid != "" {
			req.Header.Set("client-request-id", crid)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	chrome := "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36"
	crid := "0B5E1C2D-3A4F-4B6C-8D7E-9F0A1B2C3D4E"
	send("qr", QRRequest{QRCode: "not a badge"}, chrome, crid)                                // 3: incorrect QR code
	send("qr", QRRequest{QRCode: "not a badge"}, "evil\t[31m"+strings.Repeat("é", 2000), "x") // 2: a tab, non-ASCII, huge
	send("qr", QRRequest{QRCode: b.payload}, chrome, "")
	logs, err := e.st.ListSignInLogs(t.Context(), store.AuditFilter{}, 0)
	mustOK(t, err, "ListSignInLogs")
	if len(logs) != 2 {
		t.Fatalf("%d entries, want 2 (the good QR code only leads on)", len(logs))
	}
	if logs[1].UserAgent != chrome || logs[1].CorrelationID != strings.ToLower(crid) {
		t.Fatalf("entry: %+v, want the User-Agent and the client-request-id", logs[1])
	}
	if logs[0].UserAgent != "evil[31m" || len(logs[0].UserAgent) > store.MaxUserAgent {
		t.Fatalf("User-Agent kept %q, want only its printable ASCII", logs[0].UserAgent)
	}
	if _, err := uuid.Parse(logs[0].CorrelationID); err != nil || logs[0].CorrelationID == logs[1].CorrelationID {
		t.Fatalf("correlation id %q, want a new GUID for a client-request-id that is none", logs[0].CorrelationID)
	}
	if got := userAgent("a\x00b\x1bc\x7fd\ne"); got != "abcde" {
		t.Fatalf("control characters kept: %q", got)
	}
	if got := userAgent(strings.Repeat("a", 3*store.MaxUserAgent)); len(got) != store.MaxUserAgent {
		t.Fatalf("a long User-Agent keeps %d bytes, want %d", len(got), store.MaxUserAgent)
	}

	// A completed sign-in names the user's display name.
	e2 := newEnv(t)
	e2.svc.Record = RecordTo(e2.st, nil)
	b2 := e2.addUser("ben@contoso.com", goodPIN)
	s := e2.start(b2)
	_, err = e2.svc.SubmitPIN(t.Context(), "192.0.2.1", s.Transaction, goodPIN, false)
	mustOK(t, err, "SubmitPIN")
	logs, err = e2.st.ListSignInLogs(t.Context(), store.AuditFilter{}, 0)
	mustOK(t, err, "ListSignInLogs")
	if len(logs) != 1 || logs[0].UserDisplayName != b2.user.DisplayName || logs[0].UserDisplayName == "" {
		t.Fatalf("entries %+v, want the user's display name %q", logs, b2.user.DisplayName)
	}
}
