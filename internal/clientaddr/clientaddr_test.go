package clientaddr

import (
	"net/http"
	"testing"
)

func TestOfAndBucket(t *testing.T) {
	for _, tc := range []struct{ remote, addr, bucket string }{
		{"192.0.2.7:51234", "192.0.2.7", "192.0.2.7"},
		{"192.0.2.7", "192.0.2.7", "192.0.2.7"}, // no port
		{"[::ffff:192.0.2.7]:443", "::ffff:192.0.2.7", "192.0.2.7"},
		{"[2001:db8:1:2:3:4:5:6]:443", "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::"},
		{"[2001:db8:1:2::1]:443", "2001:db8:1:2::1", "2001:db8:1:2::"},
		{"[2001:db8::1%eth0]:1", "2001:db8::1%eth0", "2001:db8::1%eth0"},
		{"@", "@", "@"},
		{"", "", ""},
	} {
		// A forwarding header is anyone's to write: it is not read.
		r := &http.Request{RemoteAddr: tc.remote, Header: http.Header{"X-Forwarded-For": {"203.0.113.9"}}}
		if got := Of(r); got != tc.addr {
			t.Errorf("Of(%q) = %q, want %q", tc.remote, got, tc.addr)
		}
		if got := Bucket(tc.addr); got != tc.bucket {
			t.Errorf("Bucket(%q) = %q, want %q", tc.addr, got, tc.bucket)
		}
	}
}
