// Package clientaddr names the client of an HTTP request, as sign-in logs,
// directory audits and the bad-QR throttle record it.
package clientaddr

import (
	"net"
	"net/http"
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
