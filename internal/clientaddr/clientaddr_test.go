package clientaddr

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestOfAndBucket(t *testing.T) {
	t.Parallel()
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
		// A forwarding header is anyone's to write: without a Resolver it
		// is not read.
		r := &http.Request{RemoteAddr: tc.remote, Header: http.Header{"X-Forwarded-For": {"203.0.113.9"}}}
		if got := Of(r); got != tc.addr {
			t.Errorf("Of(%q) = %q, want %q", tc.remote, got, tc.addr)
		}
		if got := Bucket(tc.addr); got != tc.bucket {
			t.Errorf("Bucket(%q) = %q, want %q", tc.addr, got, tc.bucket)
		}
	}
}

func TestParsePrefixes(t *testing.T) {
	t.Parallel()
	got, err := ParsePrefixes([]string{" 10.1.2.3/8", "", "192.0.2.7", "2001:db8::/32", "::1"})
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"),
		netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("::1/128")}
	if err != nil || len(got) != len(want) {
		t.Fatalf("ParsePrefixes = %v, %v; want %v", got, err, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ParsePrefixes = %v, want %v", got, want)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "10.0.0.0/", "proxy.example.com", "fe80::1%eth0", "10.0.0.0/8/8", "*"} {
		if _, err := ParsePrefixes([]string{"10.0.0.0/8", bad}); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("ParsePrefixes(%q): error %v, want one naming it", bad, err)
		}
	}
}

func TestResolve(t *testing.T) {
	t.Parallel()
	trusted, err := ParsePrefixes([]string{"10.0.0.0/8", "192.0.2.1", "fd00::/8"})
	if err != nil {
		t.Fatal(err)
	}
	res := &Resolver{Trusted: trusted}
	const proxy = "10.0.0.1:443"
	long := strings.Repeat("203.0.113.1, ", 100000) + "10.0.0.9" // about 1.3 MB
	manyTrusted := strings.Repeat("10.0.0.7,", 2*maxHops) + "10.0.0.8"
	for _, tc := range []struct {
		name   string
		remote string
		header http.Header
		want   string
	}{
		{"no header", proxy, nil, "10.0.0.1"},
		{"untrusted peer: XFF ignored", "198.51.100.9:1", http.Header{"X-Forwarded-For": {"203.0.113.5"}}, "198.51.100.9"},
		{"untrusted peer: Forwarded ignored", "198.51.100.9:1", http.Header{"Forwarded": {"for=203.0.113.5"}}, "198.51.100.9"},
		{"unparsable peer", "@", http.Header{"X-Forwarded-For": {"203.0.113.5"}}, "@"},
		{"XFF one hop", proxy, http.Header{"X-Forwarded-For": {"203.0.113.5"}}, "203.0.113.5"},
		{"XFF rightmost untrusted", proxy, http.Header{"X-Forwarded-For": {"198.51.100.1, 203.0.113.5, 10.2.3.4"}}, "203.0.113.5"},
		{"XFF spoofed left part ignored", proxy, http.Header{"X-Forwarded-For": {"10.9.9.9, 203.0.113.5"}}, "203.0.113.5"},
		{"XFF no spaces", proxy, http.Header{"X-Forwarded-For": {"198.51.100.1,203.0.113.5,192.0.2.1"}}, "203.0.113.5"},
		{"XFF several lines in order", proxy, http.Header{"X-Forwarded-For": {"198.51.100.1, 203.0.113.5", "10.2.3.4", "192.0.2.1"}}, "203.0.113.5"},
		{"XFF last line untrusted", proxy, http.Header{"X-Forwarded-For": {"198.51.100.1", "203.0.113.6"}}, "203.0.113.6"},
		{"XFF all trusted: leftmost", proxy, http.Header{"X-Forwarded-For": {"10.7.7.7, 10.2.3.4", "192.0.2.1"}}, "10.7.7.7"},
		{"XFF empty entries and lines", proxy, http.Header{"X-Forwarded-For": {"203.0.113.5, ,", "", " "}}, "203.0.113.5"},
		{"XFF only empty", proxy, http.Header{"X-Forwarded-For": {""}}, "10.0.0.1"},
		{"XFF port", proxy, http.Header{"X-Forwarded-For": {"203.0.113.5:4711, 10.2.3.4:80"}}, "203.0.113.5"},
		{"XFF IPv6", proxy, http.Header{"X-Forwarded-For": {"2001:db8::5"}}, "2001:db8::5"},
		{"XFF IPv6 bracketed", proxy, http.Header{"X-Forwarded-For": {"[2001:db8::5]"}}, "2001:db8::5"},
		{"XFF IPv6 with port", proxy, http.Header{"X-Forwarded-For": {"[2001:db8::5]:4711, [fd00::1]:443"}}, "2001:db8::5"},
		{"XFF IPv6 zone dropped", proxy, http.Header{"X-Forwarded-For": {"fe80::5%eth0"}}, "fe80::5"},
		{"XFF IPv4-mapped trusted hop", proxy, http.Header{"X-Forwarded-For": {"203.0.113.5, ::ffff:10.2.3.4"}}, "203.0.113.5"},
		{"XFF IPv4-mapped client", proxy, http.Header{"X-Forwarded-For": {"::ffff:203.0.113.5"}}, "::ffff:203.0.113.5"},
		{"IPv4-mapped trusted peer", "[::ffff:10.0.0.1]:443", http.Header{"X-Forwarded-For": {"203.0.113.5"}}, "203.0.113.5"},
		{"IPv6 trusted peer", "[fd00::2]:443", http.Header{"X-Forwarded-For": {"203.0.113.5"}}, "203.0.113.5"},
		{"XFF garbage: the peer", proxy, http.Header{"X-Forwarded-For": {"not-an-ip"}}, "10.0.0.1"},
		{"XFF unknown: the peer", proxy, http.Header{"X-Forwarded-For": {"unknown"}}, "10.0.0.1"},
		{"XFF garbage behind trusted hops: the nearest", proxy, http.Header{"X-Forwarded-For": {"203.0.113.5, junk, 10.2.3.4"}}, "10.2.3.4"},
		{"XFF bracketed IPv4 is garbage", proxy, http.Header{"X-Forwarded-For": {"[203.0.113.5]"}}, "10.0.0.1"},
		{"XFF huge entry is garbage", proxy, http.Header{"X-Forwarded-For": {strings.Repeat("1", 1<<20)}}, "10.0.0.1"},
		{"XFF huge header: rightmost untrusted", proxy, http.Header{"X-Forwarded-For": {long}}, "203.0.113.1"},
		{"XFF too many trusted hops: the nearest walked", proxy, http.Header{"X-Forwarded-For": {"203.0.113.5," + manyTrusted}}, "10.0.0.7"},
		{"XFF thousands of empty lines", proxy, http.Header{"X-Forwarded-For": append([]string{"203.0.113.5"}, make([]string, 5000)...)}, "10.0.0.1"},
		{"Forwarded", proxy, http.Header{"Forwarded": {"for=203.0.113.5;proto=https;by=10.0.0.1"}}, "203.0.113.5"},
		{"Forwarded case and spaces", proxy, http.Header{"Forwarded": {"Proto=https; For = 203.0.113.5"}}, "203.0.113.5"},
		{"Forwarded quoted with port", proxy, http.Header{"Forwarded": {`for="203.0.113.5:4711"`}}, "203.0.113.5"},
		{"Forwarded IPv6", proxy, http.Header{"Forwarded": {`for="[2001:db8:cafe::17]:4711"`}}, "2001:db8:cafe::17"},
		{"Forwarded IPv6 without port", proxy, http.Header{"Forwarded": {`for="[2001:db8:cafe::17]"`}}, "2001:db8:cafe::17"},
		{"Forwarded rightmost untrusted", proxy, http.Header{"Forwarded": {"for=198.51.100.1, for=203.0.113.5", `for="[fd00::3]:80";proto=http`}}, "203.0.113.5"},
		{"Forwarded all trusted: leftmost", proxy, http.Header{"Forwarded": {"for=10.3.3.3, for=10.2.2.2"}}, "10.3.3.3"},
		{"Forwarded unknown: the nearest", proxy, http.Header{"Forwarded": {"for=203.0.113.5, for=unknown, for=10.2.2.2"}}, "10.2.2.2"},
		{"Forwarded obfuscated: the peer", proxy, http.Header{"Forwarded": {"for=198.51.100.1, for=_hidden"}}, "10.0.0.1"},
		{"Forwarded element without for", proxy, http.Header{"Forwarded": {"for=203.0.113.5, proto=https"}}, "10.0.0.1"},
		{"Forwarded unquoted IPv6 read as it is", proxy, http.Header{"Forwarded": {"for=2001:db8::1:4711"}}, "2001:db8::1:4711"},
		{"Forwarded garbage", proxy, http.Header{"Forwarded": {`for="`, "for=;;;"}}, "10.0.0.1"},
		{"both: X-Forwarded-For wins", proxy, http.Header{"X-Forwarded-For": {"203.0.113.5"}, "Forwarded": {"for=198.51.100.1"}}, "203.0.113.5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr, r.Header = tc.remote, tc.header
			if r.Header == nil {
				r.Header = http.Header{}
			}
			if got := res.Resolve(r); got != tc.want {
				t.Fatalf("Resolve = %q, want %q", got, tc.want)
			}
			// Through the middleware, Of returns the same.
			var of string
			res.Handler(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { of = Of(r) })).ServeHTTP(httptest.NewRecorder(), r)
			if of != tc.want {
				t.Fatalf("Of behind the Handler = %q, want %q", of, tc.want)
			}
		})
	}
}

// Without trusted proxies the Handler changes nothing: Of is the peer.
func TestHandlerWithoutTrustedProxies(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "10.0.0.1:443"
	r.Header.Set("X-Forwarded-For", "203.0.113.5")
	r.Header.Set("Forwarded", "for=203.0.113.6")
	var of string
	(&Resolver{}).Handler(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { of = Of(r) })).ServeHTTP(httptest.NewRecorder(), r)
	if of != "10.0.0.1" {
		t.Fatalf("Of = %q, want the peer 10.0.0.1", of)
	}
}
