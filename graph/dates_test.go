package graph_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// TestDateBounds: every date the API accepts or derives lies between
// 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z (method.MinDate and
// MaxDate), so every date answered parses as RFC 3339 with a four-digit
// year and is accepted when sent back; dates outside, given or derived
// (a default expiry, a client secret's default end), are a 400.
func TestDateBounds(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"v1.0", "beta"} {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			tok := e.admin()
			apps := e.appToken("Application.ReadWrite.All")
			audits := e.appToken("AuditLog.Read.All", "Directory.Read.All")
			method := func(upn string) string {
				return "/" + v + "/users/" + e.user(upn).ID + "/authentication/qrCodePinMethod"
			}
			r := e.do("POST", "/"+v+"/applications", apps, `{"displayName":"billing"}`)
			expect(t, r, http.StatusCreated, "")
			addPassword := "/" + v + "/applications/" + str(t, r.json(t), "id") + "/addPassword"
			filter := func(log, f string) string {
				return "/" + v + "/auditLogs/" + log + "?" + url.Values{"$filter": {f}}.Encode()
			}

			for _, tc := range []struct {
				what, verb, path, token, body string
				status                        int
			}{
				{"default expiry in year 10000", "PUT", method("a@contoso.com"), tok,
					`{"standardQRCode":{"startDateTime":"9999-06-01T00:00:00Z"}}`, http.StatusBadRequest},
				{"start in year 1", "PUT", method("b@contoso.com"), tok,
					`{"standardQRCode":{"startDateTime":"0001-01-01T00:00:00Z"}}`, http.StatusBadRequest},
				{"start before 1970", "PUT", method("c@contoso.com"), tok,
					`{"standardQRCode":{"startDateTime":"1969-12-31T23:59:59Z"}}`, http.StatusBadRequest},
				{"secret ending in year 10001", "POST", addPassword, apps,
					`{"passwordCredential":{"startDateTime":"9999-01-01T00:00:00Z"}}`, http.StatusBadRequest},
				{"secret ending after 9999", "POST", addPassword, apps,
					`{"passwordCredential":{"startDateTime":"9999-01-01T00:00:00Z","endDateTime":"9999-12-31T23:59:59.5Z"}}`, http.StatusBadRequest},
				{"filter before 1970", "GET", filter("signIns", "createdDateTime ge 1969-12-31T00:00:00Z"), audits, "", http.StatusBadRequest},
				{"filter in year 0", "GET", filter("directoryAudits", "activityDateTime le 0000-01-01T00:00:00Z"), audits, "", http.StatusBadRequest},
				{"filter at the last date", "GET", filter("directoryAudits", "activityDateTime le 9999-12-31T23:59:59Z"), audits, "", http.StatusOK},
			} {
				r := e.do(tc.verb, tc.path, tc.token, tc.body)
				if r.status != tc.status {
					t.Errorf("%s: %d %s, want %d", tc.what, r.status, r.body, tc.status)
					continue
				}
				if tc.status == http.StatusBadRequest && r.errCode(t) != "BadRequest" {
					t.Errorf("%s: %s, want BadRequest", tc.what, r.body)
				}
			}

			// At the edge: the answer's dates parse, and go back in.
			m := method("d@contoso.com")
			r = e.do("PUT", m, tok, `{"standardQRCode":{"startDateTime":"9998-12-31T23:59:59Z"}}`)
			expect(t, r, http.StatusCreated, "")
			std := obj(t, r.json(t), "standardQRCode")
			for _, f := range []string{"startDateTime", "expireDateTime", "createdDateTime"} {
				if _, err := time.Parse(time.RFC3339, str(t, std, f)); err != nil {
					t.Errorf("standardQRCode.%s: %v", f, err)
				}
			}
			eq(t, "expireDateTime", str(t, std, "expireDateTime"), "9999-12-31T23:59:59Z")
			expect(t, e.do("PATCH", m+"/standardQRCode", tok, `{"expireDateTime":"`+str(t, std, "expireDateTime")+`"}`), http.StatusOK, "")
			r = e.do("PATCH", m+"/temporaryQRCode", tok, `{"startDateTime":"9999-12-31T20:00:00Z","expireDateTime":"9999-12-31T23:59:59Z"}`)
			expect(t, r, http.StatusCreated, "")

			r = e.do("POST", addPassword, apps, `{"passwordCredential":{"startDateTime":"9997-06-01T00:00:00Z"}}`)
			expect(t, r, http.StatusOK, "")
			end := str(t, r.json(t), "endDateTime")
			if _, err := time.Parse(time.RFC3339, end); err != nil {
				t.Errorf("endDateTime: %v", err)
			}
		})
	}
}
