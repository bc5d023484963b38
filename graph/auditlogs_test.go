package graph_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/store"
)

// auditValues GETs an audit log list and returns its value array.
func (e *env) auditValues(path, token string) ([]map[string]any, string) {
	e.t.Helper()
	r := e.do("GET", path, token, "")
	expect(e.t, r, 200, "")
	m := r.json(e.t)
	var out []map[string]any
	for _, v := range m["value"].([]any) {
		out = append(out, v.(map[string]any))
	}
	next, _ := m["@odata.nextLink"].(string)
	return out, next
}

func TestDirectoryAudits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	adm := e.admin()
	start := e.clock.Now()
	expect(t, e.do("POST", "/v1.0/users", adm, `{"userPrincipalName": "ana@contoso.com", "displayName": "Ana Ruiz"}`), 201, "")
	e.clock.Advance(time.Minute)
	created := e.do("PUT", "/v1.0/users/ana@contoso.com/authentication/qrCodePinMethod", adm, `{"standardQRCode": {}, "pin": {"code": "48150392"}}`)
	expect(t, created, 201, "")
	e.clock.Advance(time.Minute)
	reset := e.do("PATCH", "/v1.0/users/ana@contoso.com/authentication/qrCodePinMethod/pin", adm, `{}`)
	expect(t, reset, 201, "")
	e.clock.Advance(time.Minute)
	// Failed changes and reads are not audited.
	expect(t, e.do("POST", "/v1.0/users", adm, `{"userPrincipalName": "ana@contoso.com", "displayName": "Ana again"}`), 400, "")
	expect(t, e.do("GET", "/v1.0/users/ana@contoso.com/authentication/qrCodePinMethod", adm, ""), 200, "")

	reader := e.appToken("AuditLog.Read.All")
	got, next := e.auditValues("/v1.0/auditLogs/directoryAudits", reader)
	if next != "" {
		t.Errorf("nextLink on a short page: %s", next)
	}
	var names []string
	for _, a := range got {
		names = append(names, a["activityDisplayName"].(string))
	}
	if strings.Join(names, "|") != "Reset QR code PIN|Add QR code PIN method|Add user" {
		t.Fatalf("activities %v", names)
	}
	first := got[0]
	by := first["initiatedBy"].(map[string]any)
	if by["user"] != nil || by["app"].(map[string]any)["displayName"] != "test app" {
		t.Errorf("initiatedBy %v", by)
	}
	tr := first["targetResources"].([]any)[0].(map[string]any)
	if tr["userPrincipalName"] != "ana@contoso.com" || tr["type"] != "User" || first["result"] != "success" ||
		first["category"] != "UserManagement" || first["activityDateTime"] != start.Add(2*time.Minute).Format(time.RFC3339) {
		t.Errorf("entry %v", first)
	}

	// $top paging, newest first, and the filter kept in nextLink.
	filter := url.QueryEscape("activityDateTime ge " + start.Add(time.Minute).Format(time.RFC3339))
	page, next := e.auditValues("/v1.0/auditLogs/directoryAudits?$top=1&$filter="+filter, reader)
	if len(page) != 1 || page[0]["activityDisplayName"] != "Reset QR code PIN" || next == "" {
		t.Fatalf("page 1: %v %q", page, next)
	}
	page, next = e.auditValues(strings.TrimPrefix(next, e.srv.URL), reader)
	if len(page) != 1 || page[0]["activityDisplayName"] != "Add QR code PIN method" {
		t.Fatalf("page 2: %v", page)
	}
	page, _ = e.auditValues(strings.TrimPrefix(next, e.srv.URL), reader)
	if len(page) != 0 {
		t.Fatalf("page 3 should be empty (the filter excludes 'Add user'): %v", page)
	}

	// A delegated admin's changes name the user.
	boss := e.user("boss@contoso.com", auth.GlobalAdministrator)
	expect(t, e.do("DELETE", "/v1.0/users/ana@contoso.com", e.userToken(boss, "User.ReadWrite.All"), ""), 204, "")
	got, _ = e.auditValues("/v1.0/auditLogs/directoryAudits?$filter="+url.QueryEscape("initiatedBy/user/userPrincipalName eq 'BOSS@contoso.com'"), reader)
	if len(got) != 1 || got[0]["activityDisplayName"] != "Delete user" {
		t.Fatalf("delegated delete: %v", got)
	}
	if u := got[0]["initiatedBy"].(map[string]any)["user"].(map[string]any); u["id"] != boss.ID ||
		u["userPrincipalName"] != "boss@contoso.com" || u["ipAddress"] != "127.0.0.1" {
		t.Fatalf("delegated delete initiated by %v, want boss from 127.0.0.1", u)
	}

	// No secret of the responses is in any entry.
	all := e.do("GET", "/v1.0/auditLogs/directoryAudits", reader, "")
	m := created.json(t)
	raw := m["standardQRCode"].(map[string]any)["image"].(map[string]any)["rawContent"].(string)
	payload, _ := base64.StdEncoding.DecodeString(raw)
	secretField := strings.Split(string(payload), ".")[3]
	for _, secret := range []string{"48150392", reset.json(t)["code"].(string), raw, string(payload), secretField} {
		if strings.Contains(string(all.body), secret) {
			t.Fatalf("a secret is in the directory audits: %s", all.body)
		}
	}
}

func TestSignInLogs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	t0 := e.clock.Now()
	for i := range 5 {
		entry := store.SignInLog{ID: store.NewLogID(t0.Add(time.Duration(i) * time.Minute)), Created: t0.Add(time.Duration(i) * time.Minute),
			UserID: fmt.Sprintf("0000000%d-0000-4000-8000-000000000000", i%2), UPN: fmt.Sprintf("user%d@contoso.com", i%2),
			AppID: "5e1b2c3d-0a5f-4c6e-9b7a-51a9f0c0d1e2", AppName: "qrpin sign-in", IPAddress: "192.0.2.1", Step: "pin"}
		if i == 3 {
			entry.ErrorCode, entry.FailureReason = 50126, "Invalid PIN."
		}
		if err := e.store.AddSignInLog(ctx, entry); err != nil {
			t.Fatal(err)
		}
	}
	reader := e.appToken("AuditLog.Read.All", "Directory.Read.All")
	got, _ := e.auditValues("/beta/auditLogs/signIns", reader)
	if len(got) != 5 {
		t.Fatalf("%d entries", len(got))
	}
	failed := got[1]
	st := failed["status"].(map[string]any)
	ad := failed["authenticationDetails"].([]any)[0].(map[string]any)
	if st["errorCode"] != float64(50126) || st["failureReason"] != "Invalid PIN." || ad["authenticationMethod"] != "QR code" ||
		ad["succeeded"] != false || failed["userPrincipalName"] != "user1@contoso.com" || failed["ipAddress"] != "192.0.2.1" {
		t.Errorf("failed entry %v", failed)
	}
	if ok := got[0]["status"].(map[string]any); ok["errorCode"] != float64(0) || ok["failureReason"] != nil {
		t.Errorf("successful entry %v", got[0])
	}
	q := url.QueryEscape("userId eq '00000001-0000-4000-8000-000000000000' and createdDateTime le " + t0.Add(2*time.Minute).Format(time.RFC3339))
	got, _ = e.auditValues("/v1.0/auditLogs/signIns?$filter="+q, reader)
	if len(got) != 1 || got[0]["createdDateTime"] != t0.Add(time.Minute).Format(time.RFC3339) {
		t.Fatalf("filtered: %v", got)
	}
	got, _ = e.auditValues("/v1.0/auditLogs/signIns?$filter="+url.QueryEscape("userPrincipalName eq 'USER0@contoso.com'"), reader)
	if len(got) != 3 {
		t.Fatalf("by UPN: %d entries", len(got))
	}
	for _, bad := range []string{"userId ne 'x'", "createdDateTime gt 2026-01-01T00:00:00Z", "createdDateTime ge yesterday",
		"appId eq 'x'", "userId eq 'x' or userId eq 'y'", "userId eq x", "userId eq ''", "userId"} {
		expect(t, e.do("GET", "/v1.0/auditLogs/signIns?$filter="+url.QueryEscape(bad), reader, ""), 400, "Request_UnsupportedQuery")
	}
}

func TestAuditLogPermissions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	signIns, audits := "/v1.0/auditLogs/signIns", "/v1.0/auditLogs/directoryAudits"
	expect(t, e.do("GET", audits, e.appToken("User.Read.All"), ""), 403, "accessDenied")
	expect(t, e.do("GET", signIns, e.appToken("AuditLog.Read.All"), ""), 403, "accessDenied") // needs Directory.Read.All too
	expect(t, e.do("GET", audits, e.appToken("AuditLog.Read.All"), ""), 200, "")
	for _, role := range []string{"4a5d8f65-41da-4de4-8968-e035b65339cf", "5d6b6bb7-de71-4623-b4af-96380a352509",
		"194ae4cb-b126-40b2-bd5b-6091b380977d", auth.GlobalReader, auth.GlobalAdministrator} {
		u := e.user(role[:8]+"@contoso.com", role)
		expect(t, e.do("GET", audits, e.userToken(u, "AuditLog.Read.All"), ""), 200, "")
		expect(t, e.do("GET", signIns, e.userToken(u, "AuditLog.Read.All", "Directory.Read.All"), ""), 200, "")
		expect(t, e.do("GET", signIns, e.userToken(u, "AuditLog.Read.All"), ""), 403, "accessDenied")
	}
	for _, role := range []string{auth.AuthenticationAdministrator, auth.UserAdministrator} {
		u := e.user(role[:8]+"@contoso.com", role)
		expect(t, e.do("GET", audits, e.userToken(u, "AuditLog.Read.All"), ""), 403, "accessDenied")
	}
	expect(t, e.do("GET", audits, "", ""), 401, "")
}

// TestSignInLogsOfApplications: the sign-ins of applications through the
// OpenID provider, exactly as each version shows them: the application
// (appId, appDisplayName), the resource (Microsoft Graph, or the
// application's own API: resourceId its appId) and, in beta only,
// authenticationProtocol from the flow (oAuth2 for the authorization code
// flow, deviceCode, none for the sign-in page's own sign-in).
func TestSignInLogsOfApplications(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	const (
		user       = "00000001-0000-4000-8000-000000000000"
		timesheet  = "6f9619ff-8b86-4011-b42d-00c04fc964ff"
		kiosk      = "7a1c0b2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d"
		graphAppID = "00000003-0000-0000-c000-000000000000" // Microsoft Graph's appId
	)
	entries := []store.SignInLog{
		{AppID: "5e1b2c3d-0a5f-4c6e-9b7a-51a9f0c0d1e2", AppName: "qrpin sign-in"},
		{AppID: timesheet, AppName: "Timesheets", Resource: "Microsoft Graph", Flow: "authorizationCode"},
		{AppID: kiosk, AppName: "Kiosk", Resource: "Kiosk", Flow: "deviceCode", ErrorCode: 50126, FailureReason: "Invalid PIN."},
	}
	ids := make([]string, len(entries))
	for i, entry := range entries {
		entry.Created = at.Add(time.Duration(i) * time.Minute)
		ids[i] = store.NewLogID(entry.Created)
		entry.ID, entry.UserID, entry.UPN, entry.IPAddress, entry.Step = ids[i], user, "ana@contoso.com", "192.0.2.1", "pin"
		if err := e.store.AddSignInLog(ctx, entry); err != nil {
			t.Fatal(err)
		}
	}
	// Newest first; v1.0's shapes (beta adds authenticationProtocol,
	// authenticationMethodsUsed, authenticationRequirement and
	// authenticationDetails). Entries without the client's details
	// (written before migration 00018) show them null and empty.
	details := make([]string, 3)
	entry := func(minute int, appID, appName, resourceID, resourceName, status, detail string) string {
		ts := at.Add(time.Duration(minute) * time.Minute).Format(time.RFC3339)
		details[2-minute] = `[{"authenticationMethod": "QR code", "authenticationMethodDetail": "QR code and PIN",
				"authenticationStepDateTime": "` + ts + `", "authenticationStepRequirement": "Primary authentication", ` + detail + `}]`
		return `{"id": "` + ids[minute] + `", "createdDateTime": "` + ts + `",
			"userId": "` + user + `", "userPrincipalName": "ana@contoso.com", "userDisplayName": null,
			"appId": "` + appID + `", "appDisplayName": "` + appName + `",
			"ipAddress": "192.0.2.1", "clientAppUsed": "Browser", "correlationId": null, "userAgent": null,
			"deviceDetail": {"deviceId": "", "displayName": "", "operatingSystem": "", "browser": "", "isCompliant": false, "isManaged": false, "trustType": ""},
			"isInteractive": true,
			"resourceId": "` + resourceID + `", "resourceDisplayName": "` + resourceName + `", "conditionalAccessStatus": "notApplied",
			"status": ` + status + `}`
	}
	ok := `{"errorCode": 0, "failureReason": null, "additionalDetails": null}`
	okDetail := `"authenticationStepResultDetail": "Correct QR code and PIN", "succeeded": true`
	v1 := []string{
		entry(2, kiosk, "Kiosk", kiosk, "Kiosk", `{"errorCode": 50126, "failureReason": "Invalid PIN.", "additionalDetails": null}`,
			`"authenticationStepResultDetail": "Failed at the PIN step: Invalid PIN.", "succeeded": false`),
		entry(1, timesheet, "Timesheets", graphAppID, "Microsoft Graph", ok, okDetail),
		entry(0, "5e1b2c3d-0a5f-4c6e-9b7a-51a9f0c0d1e2", "qrpin sign-in", graphAppID, "Microsoft Graph", ok, okDetail),
	}
	protocols := []string{"deviceCode", "oAuth2", "none"}
	reader := e.appToken("AuditLog.Read.All", "Directory.Read.All")
	for _, version := range []string{"v1.0", "beta"} {
		got, _ := e.auditValues("/"+version+"/auditLogs/signIns", reader)
		if len(got) != len(v1) {
			t.Fatalf("%s: %d entries, want %d", version, len(got), len(v1))
		}
		for i, g := range got {
			var want map[string]any
			if err := json.Unmarshal([]byte(v1[i]), &want); err != nil {
				t.Fatal(err)
			}
			if version == "beta" {
				want["authenticationProtocol"] = protocols[i]
				want["authenticationMethodsUsed"] = []any{"QR code"}
				want["authenticationRequirement"] = "singleFactorAuthentication"
				var d any
				if err := json.Unmarshal([]byte(details[i]), &d); err != nil {
					t.Fatal(err)
				}
				want["authenticationDetails"] = d
			}
			gb, _ := json.Marshal(g)
			wb, _ := json.Marshal(want)
			if string(gb) != string(wb) {
				t.Errorf("%s entry %d:\n got %s\nwant %s", version, i, gb, wb)
			}
		}
	}
}
