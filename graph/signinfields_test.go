package graph_test

import (
	"context"
	"testing"
	"time"

	"github.com/qrpin/qrpin/store"
)

// TestSignInClientFields (issue 13, item 5): the client's details a sign-in
// log entry keeps show as v1.0's and beta's userDisplayName,
// correlationId, userAgent and deviceDetail (browser and operating system
// families read from the User-Agent); beta alone adds
// authenticationMethodsUsed and authenticationRequirement.
func TestSignInClientFields(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	ua := "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
	entry := store.SignInLog{ID: store.NewLogID(at), Created: at, UserID: "00000001-0000-4000-8000-000000000000", UPN: "ana@contoso.com",
		UserDisplayName: "Ana López", AppID: "5e1b2c3d-0a5f-4c6e-9b7a-51a9f0c0d1e2", AppName: "qrpin sign-in", IPAddress: "192.0.2.1",
		Step: "pin", CorrelationID: "0b5e1c2d-3a4f-4b6c-8d7e-9f0a1b2c3d4e", UserAgent: ua}
	if err := e.store.AddSignInLog(context.Background(), entry); err != nil {
		t.Fatal(err)
	}
	reader := e.appToken("AuditLog.Read.All", "Directory.Read.All")
	for _, version := range []string{"v1.0", "beta"} {
		got, _ := e.auditValues("/"+version+"/auditLogs/signIns", reader)
		if len(got) != 1 {
			t.Fatalf("%s: %d entries", version, len(got))
		}
		g := got[0]
		eq(t, version+" userDisplayName", g["userDisplayName"], "Ana López")
		eq(t, version+" correlationId", g["correlationId"], entry.CorrelationID)
		eq(t, version+" userAgent", g["userAgent"], ua)
		eq(t, version+" deviceDetail", g["deviceDetail"], map[string]any{"deviceId": "", "displayName": "",
			"operatingSystem": "Ios", "browser": "Safari 17.4", "isCompliant": false, "isManaged": false, "trustType": ""})
		eq(t, version+" clientAppUsed", g["clientAppUsed"], "Browser")
		eq(t, version+" appId", g["appId"], entry.AppID)
		eq(t, version+" appDisplayName", g["appDisplayName"], "qrpin sign-in")
		betaOnly := []string{"authenticationMethodsUsed", "authenticationRequirement", "authenticationDetails", "authenticationProtocol"}
		if version == "v1.0" {
			for _, k := range betaOnly {
				if _, ok := g[k]; ok {
					t.Fatalf("v1.0 signIn has beta's %s", k)
				}
			}
			continue
		}
		eq(t, "authenticationMethodsUsed", g["authenticationMethodsUsed"], []any{"QR code"})
		eq(t, "authenticationRequirement", g["authenticationRequirement"], "singleFactorAuthentication")
	}
}
