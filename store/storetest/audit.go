package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qrpin/qrpin/store"
)

var auditTests = []test{
	{"Audit/SignInLogs", testSignInLogs},
	{"Audit/DirectoryAudits", testDirectoryAudits},
}

func testSignInLogs(t *testing.T, s store.Store) {
	ctx := t.Context()
	var all []store.SignInLog
	for i := range 6 {
		e := store.SignInLog{ID: fmt.Sprintf("%03d", i), Created: t0.Add(minute(i)), UserID: "u" + fmt.Sprint(i%2),
			UPN: fmt.Sprintf("User%d@Contoso.com", i%2), AppID: "app", AppName: "qrpin sign-in", IPAddress: "192.0.2.1",
			ErrorCode: 50126 * (i % 3 / 2), FailureReason: "", Step: "pin"}
		if i == 4 { // an application's sign-in through the OpenID provider
			e.AppName, e.Resource, e.Flow = "Timesheets", "Microsoft Graph", "authorizationCode"
		}
		if i%2 == 1 { // the client's details (migration 00018), the longest User-Agent kept
			e.UserDisplayName, e.CorrelationID = "Ana López", fmt.Sprintf("6f1c0a52-3b7e-4d8f-9a21-%012d", i)
			e.UserAgent = "Mozilla/5.0 (Linux; Android 14) " + strings.Repeat("x", store.MaxUserAgent-32)
		}
		must(t, s.AddSignInLog(ctx, e), "AddSignInLog")
		all = append([]store.SignInLog{e}, all...)
	}
	check(t, s.AddSignInLog(ctx, all[0]), store.ErrConflict, "AddSignInLog with an id in use")
	got, err := s.ListSignInLogs(ctx, store.AuditFilter{}, 0)
	must(t, err, "ListSignInLogs")
	equal(t, got, all, "all entries, newest first")
	got, err = s.ListSignInLogs(ctx, store.AuditFilter{Before: "004"}, 2)
	must(t, err, "ListSignInLogs page")
	equal(t, got, all[2:4], "the page before 004")
	got, err = s.ListSignInLogs(ctx, store.AuditFilter{From: t0.Add(minute(1)), To: t0.Add(minute(3))}, 0)
	must(t, err, "ListSignInLogs by time")
	equal(t, got, all[2:5], "entries from minute 1 to 3, bounds included")
	got, err = s.ListSignInLogs(ctx, store.AuditFilter{UserID: "u1"}, 0)
	must(t, err, "ListSignInLogs by user")
	equal(t, got, []store.SignInLog{all[0], all[2], all[4]}, "user u1's entries")
	got, err = s.ListSignInLogs(ctx, store.AuditFilter{UPN: "user0@contoso.COM"}, 0)
	must(t, err, "ListSignInLogs by UPN")
	equal(t, got, []store.SignInLog{all[1], all[3], all[5]}, "user0's entries, UPN in any case")
	got, err = s.ListSignInLogs(ctx, store.AuditFilter{UPN: "nobody\x00@contoso.com"}, 0)
	must(t, err, "ListSignInLogs by a UPN no entry can hold")
	equal(t, len(got), 0, "no entries")
}

func testDirectoryAudits(t *testing.T, s store.Store) {
	ctx := t.Context()
	var all []store.DirectoryAudit
	for i := range 5 {
		e := store.DirectoryAudit{ID: fmt.Sprintf("%03d", i), Time: t0.Add(minute(i)), Category: "UserManagement",
			Activity: "Reset QR code PIN", OperationType: "Update", InitiatorKind: "user", InitiatorID: "admin" + fmt.Sprint(i%2),
			InitiatorName: fmt.Sprintf("Admin%d@contoso.com", i%2), InitiatorAppID: "app", InitiatorAddress: "192.0.2.7",
			Targets: []store.AuditTarget{{ID: "u", Type: "User", UPN: "ana@contoso.com"}}, Result: "success"}
		if i == 4 {
			e.Targets = []store.AuditTarget{}
		}
		must(t, s.AddDirectoryAudit(ctx, e), "AddDirectoryAudit")
		all = append([]store.DirectoryAudit{e}, all...)
	}
	check(t, s.AddDirectoryAudit(ctx, all[0]), store.ErrConflict, "AddDirectoryAudit with an id in use")
	got, err := s.ListDirectoryAudits(ctx, store.AuditFilter{}, 0)
	must(t, err, "ListDirectoryAudits")
	equal(t, got, all, "all entries, newest first")
	got, err = s.ListDirectoryAudits(ctx, store.AuditFilter{Before: "003", From: t0.Add(minute(1))}, 1)
	must(t, err, "ListDirectoryAudits page")
	equal(t, got, all[2:3], "one entry before 003 from minute 1")
	got, err = s.ListDirectoryAudits(ctx, store.AuditFilter{UserID: "admin1"}, 0)
	must(t, err, "by initiator")
	equal(t, got, []store.DirectoryAudit{all[1], all[3]}, "admin1's entries")
	got, err = s.ListDirectoryAudits(ctx, store.AuditFilter{UPN: "ADMIN0@contoso.com", To: t0.Add(minute(2))}, 0)
	must(t, err, "by initiator UPN and time")
	equal(t, got, []store.DirectoryAudit{all[2], all[4]}, "admin0's entries up to minute 2")
}

func minute(i int) time.Duration { return time.Duration(i) * time.Minute }
