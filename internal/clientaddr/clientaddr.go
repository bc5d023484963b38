// Package clientaddr names the client of an HTTP request, as sign-in logs
// and directory audits record it, and the bucket that rate limits and
// throttles count it in.
package clientaddr

import (
	"net"
	"net/http"

	"github.com/go-chi/httprate"
)

// Of returns the IP address of r's client: the host part of r.RemoteAddr
// (RemoteAddr itself when it has no port). Forwarding headers such as
// X-Forwarded-For are not read: any client could write them.
func Of(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Bucket returns what rate limits and throttles count a client address
// under: an IPv4 address itself (also when IPv4-mapped), an IPv6 address
// its /64 network, which one client usually holds whole, so that walking
// through it does not escape a limit.
func Bucket(addr string) string {
	return httprate.CanonicalizeIP(addr)
}
