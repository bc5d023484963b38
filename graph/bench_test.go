package graph_test

import (
	"net/http"
	"testing"

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
