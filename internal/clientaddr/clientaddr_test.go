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

func TestBucket(t *testing.T) {
	for addr, want := range map[string]string{
		"203.0.113.9":          "203.0.113.9",
		"::ffff:203.0.113.9":   "203.0.113.9",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::",
		"2001:db8:1:2::1":      "2001:db8:1:2::",
		"not an address":       "not an address",
		"":                     "",
	} {
		if got := Bucket(addr); got != want {
			t.Errorf("Bucket(%q) = %q, want %q", addr, got, want)
		}
	}
}
