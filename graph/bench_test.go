package graph_test

import (
	"fmt"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/pin"
)

// BenchmarkResetPIN measures the seed endpoint end to end over HTTP (PATCH
// .../qrCodePinMethod/pin on SQLite, the default store): token check,
// authorization, PIN generation, one Argon2id hash at pin.DefaultParams, one
// transaction. Compare with BenchmarkHash in pin/ for the hash's share.
func BenchmarkResetPIN(b *testing.B) {
	e := newEnvParams(b, pin.DefaultParams)
	tok := e.admin()
	u := e.user("bench@contoso.com")
	path := "/v1.0/users/" + u.ID + "/authentication/qrCodePinMethod"
	expect(b, e.do("PUT", path, tok, `{"standardQRCode":{}}`), http.StatusCreated, "")
	b.ResetTimer()
	for b.Loop() {
		r := e.do("PATCH", path+"/pin", tok, "")
		if r.status != http.StatusCreated {
			b.Fatalf("reset: %d %s", r.status, r.body)
		}
	}
	b.StopTimer()
	if code, _ := e.do("PATCH", path+"/pin", tok, "").json(b)["code"].(string); pin.Check(code, 8) != nil {
		b.Fatalf("reset gave %q", code)
	}
}

// BenchmarkManagementRead measures the management read issue 14 tracks, end
// to end over HTTP: GET .../qrCodePinMethod with an application token
// (token verification, the calling application's check, the user and the
// method read), on the backend the run uses (SQLite, or PostgreSQL with
// QRPIN_TEST_BACKEND=postgres). Run it with -benchmem; with -cpuprofile it
// shows where a request's CPU goes (the client's share included).
func BenchmarkManagementRead(b *testing.B) {
	e := newEnv(b)
	tok := e.appToken("UserAuthMethod-QR.ReadWrite.All")
	u := e.user("bench@contoso.com")
	path := "/v1.0/users/" + u.ID + "/authentication/qrCodePinMethod"
	expect(b, e.do("PUT", path, tok, `{"standardQRCode":{}}`), http.StatusCreated, "")
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if r := e.do("GET", path, tok, ""); r.status != http.StatusOK {
				b.Errorf("read: %d %s", r.status, r.body)
				return
			}
		}
	})
}

// BenchmarkProvisionUser measures what `qrpin bench --workloads provision`
// asks of the server for each user, end to end over HTTP on SQLite: POST
// /users, then PUT .../qrCodePinMethod with a PIN, both with an application
// token. PINs are hashed at the harness's cheap parameters, so that what is
// measured is the work besides the hash (compare BenchmarkHash in pin/ for
// the hash itself). Run it with -benchmem and -cpuprofile.
func BenchmarkProvisionUser(b *testing.B) {
	e := newEnv(b)
	tok := e.appToken("User.ReadWrite.All", "UserAuthMethod-QR.ReadWrite.All")
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		n++
		r := e.do("POST", "/v1.0/users", tok, fmt.Sprintf(
			`{"accountEnabled":true,"displayName":"bench %d","userPrincipalName":"bench%d@contoso.com"}`, n, n))
		if r.status != http.StatusCreated {
			b.Fatalf("create user: %d %s", r.status, r.body)
		}
		id, _ := r.json(b)["id"].(string)
		r = e.do("PUT", "/v1.0/users/"+id+"/authentication/qrCodePinMethod", tok,
			`{"standardQRCode":{},"pin":{"code":"19283746"}}`)
		if r.status != http.StatusCreated {
			b.Fatalf("create method: %d %s", r.status, r.body)
		}
	}
}

// BenchmarkGetMethod is BenchmarkManagementRead as `qrpin serve` runs it:
// the calling application's check cached for admin.DefaultAppCheckTTL (the
// test clock stands still, so it is read once), so that a request is the
// token cache, one statement (GetUserWithMethod) and the handler's own
// work: routing, JSON encoding, headers and the log line. It reports the
// process's CPU time per request (cpu-ns/op, the in-process client's
// included), which waiting on a loaded machine does not inflate. Run it
// with -benchmem, on SQLite and on PostgreSQL (QRPIN_TEST_BACKEND=postgres).
func BenchmarkGetMethod(b *testing.B) {
	e := newEnvOpts(b, envOptions{params: cheapParams, appCheckTTL: admin.DefaultAppCheckTTL})
	tok := e.appToken("UserAuthMethod-QR.ReadWrite.All")
	u := e.user("bench@contoso.com")
	path := "/v1.0/users/" + u.ID + "/authentication/qrCodePinMethod"
	expect(b, e.do("PUT", path, tok, `{"standardQRCode":{}}`), http.StatusCreated, "")
	if got := e.do("GET", path, tok, "").json(b)["id"]; got == nil || got == "" {
		b.Fatalf("read: no id in %v", got)
	}
	b.ReportAllocs()
	start := cpuTime(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if r := e.do("GET", path, tok, ""); r.status != http.StatusOK {
				b.Errorf("read: %d %s", r.status, r.body)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the process's CPU time so far, user and system, every thread.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
