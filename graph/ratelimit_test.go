package graph_test

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/qrpin/qrpin/graph"
)

// TestRateLimit: past RateLimit requests in RateWindow, a client address
// gets 429 TooManyRequests with Retry-After, before any authentication; an
// IPv6 client counts by its /64 network, and other clients are not affected.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	h := (&graph.Server{RateLimit: 3}).Handler()
	get := func(addr string) (int, string, string) {
		r := httptest.NewRequest("GET", "/v1.0/users", nil)
		r.RemoteAddr = addr
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		var body struct {
			Error struct{ Code string }
		}
		json.Unmarshal(w.Body.Bytes(), &body)
		return w.Code, body.Error.Code, w.Header().Get("Retry-After")
	}
	for _, addr := range []string{"192.0.2.1:1000", "192.0.2.1:1001", "192.0.2.1:1002"} {
		if status, code, _ := get(addr); status != 401 || code != "InvalidAuthenticationToken" {
			t.Fatalf("%s: %d %s, want 401 (no token)", addr, status, code)
		}
	}
	if status, code, retry := get("192.0.2.1:1003"); status != 429 || code != "TooManyRequests" || retry != "10" {
		t.Fatalf("over the limit: %d %s Retry-After %q", status, code, retry)
	}
	if status, _, _ := get("192.0.2.2:1000"); status != 401 {
		t.Fatalf("another client: %d, want 401", status)
	}
	for i, addr := range []string{"[2001:db8:1:2::1]:1", "[2001:db8:1:2::2]:1", "[2001:db8:1:2::3]:1", "[2001:db8:1:2::4]:1"} {
		want := 401
		if i == 3 {
			want = 429
		}
		if status, _, _ := get(addr); status != want {
			t.Fatalf("%s: %d, want %d", addr, status, want)
		}
	}
	if status, _, _ := get("[2001:db8:1:3::1]:1"); status != 401 {
		t.Fatalf("another /64: %d, want 401", status)
	}
}
