package clientaddr

import (
	"net/http"
	"testing"
)

func TestOf(t *testing.T) {
	for remote, want := range map[string]string{
		"192.0.2.7:51234":      "192.0.2.7",
		"[2001:db8::1]:443":    "2001:db8::1",
		"192.0.2.7":            "192.0.2.7",
		"@":                    "@",
		"":                     "",
		"[2001:db8::1%eth0]:1": "2001:db8::1%eth0",
	} {
		r := &http.Request{RemoteAddr: remote, Header: http.Header{"X-Forwarded-For": {"203.0.113.9"}}}
		if got := Of(r); got != want {
			t.Errorf("Of(%q) = %q, want %q", remote, got, want)
		}
	}
}
