// Package clientaddr names the client of an HTTP request, as sign-in logs
// and directory audits record it, and the bucket that rate limits and
// throttles count it in.
//
// Behind a reverse proxy the peer of every request is the proxy: a
// Resolver, installed once at the top of the server, believes the
// proxy's X-Forwarded-For or Forwarded header from the peers it trusts
// only, and Of returns what it resolved.
package clientaddr

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/go-chi/httprate"
)

// Of returns the IP address of r's client: the one a Resolver put in r's
// context, or else the host part of r.RemoteAddr (RemoteAddr itself when
// it has no port). Forwarding headers are read by a Resolver only, for
// peers it trusts: any client could write them.
func Of(r *http.Request) string {
	if addr, ok := r.Context().Value(ctxKey{}).(string); ok {
		return addr
	}
	return peer(r.RemoteAddr)
}

// peer is the host part of a RemoteAddr.
func peer(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return remote
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

type ctxKey struct{}

// maxHops bounds how many entries of a forwarding header a Resolver walks
// (from the right) before it settles for the nearest trusted hop: no chain
// of proxies is that long, and a client's garbage costs no more than this.
const maxHops = 32

// maxEntry is the longest header entry parsed as an address; longer ones
// are no address ("[v6%zone]:port" with a long zone is the longest real one).
const maxEntry = 80

// Resolver resolves the client address of requests whose peer is one of
// its trusted proxies, from the forwarding headers those proxies write.
//
// X-Forwarded-For, all of its header lines in order, is a list each proxy
// appends its own peer to: the Resolver walks it from the right, skips the
// addresses inside Trusted, and takes the first one that is not (the
// client as the outermost trusted proxy saw it); when every entry is
// trusted, the leftmost. Entries may carry a port ("192.0.2.1:4711",
// "[2001:db8::1]:4711"). An entry that is no address ("unknown", garbage)
// ends the walk on the nearest trusted hop: what is left of it was written
// by no proxy that is trusted.
//
// Forwarded (RFC 7239) is read the same way, from its for= parameters
// (quoted or not, IPv6 in brackets, with a port or not); an "unknown" or
// obfuscated ("_hidden") node is no address. It is read only when the
// request has no X-Forwarded-For: that is the header nearly every proxy
// writes, and one that writes only Forwarded must drop a client's
// X-Forwarded-For.
//
// Without trusted proxies, or for any other peer, the headers are ignored
// and the client is the peer.
type Resolver struct {
	Trusted []netip.Prefix
}

// ParsePrefixes parses a list of trusted proxies: CIDR prefixes
// ("10.0.0.0/8", "2001:db8::/32") or single addresses. Empty entries are
// skipped.
func ParsePrefixes(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("%q is neither a CIDR prefix (such as 10.0.0.0/8 or fd00::/8) nor an IP address", s)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// Handler returns next with the client address of every request resolved
// and put in its context, for Of.
func (res *Resolver) Handler(next http.Handler) http.Handler {
	if len(res.Trusted) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr := res.Resolve(r)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, addr)))
	})
}

// Resolve returns the client address of r (see Resolver).
func (res *Resolver) Resolve(r *http.Request) string {
	host := peer(r.RemoteAddr)
	p, err := netip.ParseAddr(host)
	if err != nil || !res.trusted(p) {
		return host
	}
	if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
		return res.walk(xff, host, parseXFFEntry)
	}
	if fwd := r.Header.Values("Forwarded"); len(fwd) > 0 {
		return res.walk(fwd, host, parseForwardedEntry)
	}
	return host
}

// trusted reports whether a is inside a trusted prefix (an IPv4-mapped
// address as its IPv4 address too; a zone does not matter).
func (res *Resolver) trusted(a netip.Addr) bool {
	a = a.WithZone("")
	for _, p := range res.Trusted {
		if p.Contains(a) || p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

// walk walks the comma-separated entries of the header lines from the
// right (see Resolver); nearest is the trusted peer.
func (res *Resolver) walk(lines []string, nearest string, parse func(string) (netip.Addr, bool)) string {
	hops := 0
	for i := len(lines) - 1; i >= 0; i-- {
		rest := lines[i]
		for last := false; !last; {
			entry := rest
			if j := strings.LastIndexByte(rest, ','); j >= 0 {
				entry, rest = rest[j+1:], rest[:j]
			} else {
				last = true
			}
			if hops++; hops > maxHops {
				return nearest
			}
			entry = strings.TrimSpace(entry)
			if entry == "" { // an empty line or entry names no hop
				continue
			}
			a, ok := parse(entry)
			if !ok {
				return nearest
			}
			if !res.trusted(a) {
				return a.String()
			}
			nearest = a.String()
		}
	}
	return nearest
}

// parseXFFEntry parses an X-Forwarded-For entry: an address, with a port
// or not.
func parseXFFEntry(s string) (netip.Addr, bool) {
	return parseNode(s)
}

// parseForwardedEntry parses the for= parameter of a Forwarded element.
func parseForwardedEntry(s string) (netip.Addr, bool) {
	if len(s) > 4*maxEntry {
		return netip.Addr{}, false
	}
	for _, pair := range strings.Split(s, ";") {
		name, value, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(name), "for") {
			continue
		}
		value = strings.TrimSpace(value)
		if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
			value = strings.ReplaceAll(value[1:len(value)-1], `\`, "")
		}
		return parseNode(value)
	}
	return netip.Addr{}, false
}

// parseNode parses an address with an optional port: "192.0.2.1",
// "192.0.2.1:80", "2001:db8::1", "[2001:db8::1]", "[2001:db8::1]:80".
// "unknown", obfuscated identifiers and garbage are no address.
func parseNode(s string) (netip.Addr, bool) {
	if s == "" || len(s) > maxEntry {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		var ap netip.AddrPort
		if ap, err = netip.ParseAddrPort(s); err == nil {
			a = ap.Addr()
		}
	}
	if err != nil && len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		if a, err = netip.ParseAddr(s[1 : len(s)-1]); err == nil && !a.Is6() {
			err = fmt.Errorf("an IPv4 address in brackets")
		}
	}
	if err != nil {
		return netip.Addr{}, false
	}
	return a.WithZone(""), true // a zone names an interface of the writer, not of this host
}
