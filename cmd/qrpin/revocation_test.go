package main

import (
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/qrpin/qrpin/store/postgres/pgtest"
)

// TestRevocationAcrossServers runs two `qrpin serve` processes on one
// database (one SQLite file in a shared data directory; one PostgreSQL
// database) and revokes access through the first: a disabled user's token
// is refused by both at once (users are checked on every request), and a
// deleted application's token by the first at once and by the second once
// it checks the application again (--app-check-ttl, the bound the README
// states), whatever either server remembers of the token.
func TestRevocationAcrossServers(t *testing.T) {
	t.Parallel()
	bin := buildQrpin(t)
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			data := filepath.Join(t.TempDir(), "data")
			const public = "https://qrpin.example" // both behind one address
			flags := []string{"--data", data, "--public-url", public}
			if backend == "postgres" {
				flags = append(flags, "--db", pgtest.DSN(t), "--db-max-conns", "4")
			}
			clientID := func(out string) string {
				t.Helper()
				m := regexp.MustCompile(`client id:\s+(\S+)`).FindStringSubmatch(out)
				if m == nil {
					t.Fatalf("qrpin apps create printed no client id:\n%s", out)
				}
				return m[1]
			}
			admin := clientID(qrpinCmd(t, bin, append([]string{"apps", "create", "--name", "admin", "--grant",
				"User.ReadWrite.All,UserAuthMethod-QR.ReadWrite.All,Application.ReadWrite.All"}, flags...)...))
			reader := clientID(qrpinCmd(t, bin, append([]string{"apps", "create", "--name", "reader", "--grant",
				"UserAuthMethod-QR.Read.All"}, flags...)...))
			adminToken := qrpinCmd(t, bin, append([]string{"token", "--app", admin}, flags...)...)
			readerToken := qrpinCmd(t, bin, append([]string{"token", "--app", reader}, flags...)...)

			const ttl = 200 * time.Millisecond
			serveFlags := append([]string{"--app-check-ttl", ttl.String()}, flags...)
			a, b := startServer(t, bin, serveFlags...), startServer(t, bin, serveFlags...)

			want := func(r reply, status int, what string) {
				t.Helper()
				if r.status != status {
					t.Fatalf("%s: %d, want %d: %s", what, r.status, status, r.raw)
				}
			}
			r := call(t, adminToken, "POST", a.url+"/v1.0/users",
				`{"userPrincipalName": "ana@contoso.com", "displayName": "Ana", "accountEnabled": true}`)
			want(r, 201, "create user")
			user := "/v1.0/users/" + r.str("id")
			want(call(t, adminToken, "PUT", a.url+user+"/authentication/qrCodePinMethod", `{"standardQRCode": {}}`), 201, "create method")
			userToken := qrpinCmd(t, bin, append([]string{"token", "--user", "ana@contoso.com", "--scopes", "UserAuthMethod-QR.Read"}, flags...)...)
			me := "/v1.0/me/authentication/qrCodePinMethod"
			read := user + "/authentication/qrCodePinMethod"
			for _, s := range []*server{a, b} { // twice: the second answer may come from what each remembers
				for range 2 {
					want(call(t, readerToken, "GET", s.url+read, ""), 200, "application read")
					want(call(t, userToken, "GET", s.url+me, ""), 200, "user's own read")
				}
			}

			want(call(t, adminToken, "PATCH", a.url+user, `{"accountEnabled": false}`), 204, "disable the user")
			for _, s := range []*server{a, b} {
				r := call(t, userToken, "GET", s.url+me, "")
				want(r, 401, "a disabled user's token")
				if r.errCode() != "InvalidAuthenticationToken" {
					t.Errorf("a disabled user's token: %s", r.raw)
				}
			}

			want(call(t, adminToken, "DELETE", a.url+"/v1.0/applications(appId='"+reader+"')", ""), 204, "delete the application")
			want(call(t, readerToken, "GET", a.url+read, ""), 401, "the deleted application's token, on the server that deleted it")
			// The other server refuses it once it checks the application
			// again (--app-check-ttl): ask until it does, within a deadline
			// far beyond the TTL (no fixed wait; no duration asserted).
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				if r = call(t, readerToken, "GET", b.url+read, ""); r.status != 200 || time.Now().After(deadline) {
					break
				}
			}
			want(r, 401, "the deleted application's token on the other server, after --app-check-ttl")
			if r.errCode() != "InvalidAuthenticationToken" {
				t.Errorf("the deleted application's token: %s", r.raw)
			}
			want(call(t, adminToken, "GET", b.url+read, ""), 200, "another application's token")
		})
	}
}
