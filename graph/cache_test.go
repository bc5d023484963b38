package graph_test

import (
	"net/http"
	"testing"
	"time"
)

// TestNoStore: every answer that carries a one-time secret (a PIN, a
// badge image, a client secret) tells caches not to keep it, on v1.0 and
// beta. qrpin sends Cache-Control: no-store and Pragma: no-cache on every
// Graph answer, so reads and errors are checked too.
func TestNoStore(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"v1.0", "beta"} {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			tok := e.admin()
			appTok := e.appToken("Application.ReadWrite.All")
			u := e.user("ana@contoso.com")
			m := "/" + v + "/users/" + u.ID + "/authentication/qrCodePinMethod"
			steps := []struct {
				what, verb, path, token, body string
				status                        int
			}{
				{"PUT method", "PUT", m, tok, `{"standardQRCode":{}}`, http.StatusCreated},
				{"PATCH pin (reset)", "PATCH", m + "/pin", tok, `{}`, http.StatusCreated},
				{"PATCH temporaryQRCode", "PATCH", m + "/temporaryQRCode", tok,
					`{"expireDateTime":"` + rfc(e.clock.Now().Add(8*time.Hour)) + `"}`, http.StatusCreated},
				{"DELETE standardQRCode", "DELETE", m + "/standardQRCode", tok, "", http.StatusNoContent},
				{"PATCH standardQRCode (create)", "PATCH", m + "/standardQRCode", tok, `{}`, http.StatusCreated},
				{"GET method", "GET", m, tok, "", http.StatusOK},
				{"an error", "GET", m + "/nothing", tok, "", http.StatusBadRequest},
				{"no token", "GET", m, "", "", http.StatusUnauthorized},
			}
			for _, s := range steps {
				r := e.do(s.verb, s.path, s.token, s.body)
				expect(t, r, s.status, "")
				noStore(t, s.what, r)
			}

			r := e.do("POST", "/"+v+"/applications", appTok, `{"displayName":"billing"}`)
			expect(t, r, http.StatusCreated, "")
			noStore(t, "POST applications", r)
			r = e.do("POST", "/"+v+"/applications/"+str(t, r.json(t), "id")+"/addPassword", appTok, `{}`)
			expect(t, r, http.StatusOK, "")
			if str(t, r.json(t), "secretText") == "" {
				t.Fatal("addPassword: no secretText")
			}
			noStore(t, "addPassword", r)
		})
	}
}

func noStore(t *testing.T, what string, r resp) {
	t.Helper()
	if got := r.header.Values("Cache-Control"); len(got) != 1 || got[0] != "no-store" {
		t.Errorf("%s: Cache-Control %q, want no-store", what, got)
	}
	if got := r.header.Get("Pragma"); got != "no-cache" {
		t.Errorf("%s: Pragma %q, want no-cache", what, got)
	}
}
