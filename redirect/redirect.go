// Package redirect holds the rules for OAuth 2.0 redirect URIs: which ones
// an application may register (Validate), as Microsoft Entra allows them,
// and whether the one an authorization request names is registered
// (Match): exact string comparison, except that a loopback URI matches on
// any port (RFC 8252, section 7.3).
package redirect

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Kind is the platform a redirect URI is registered for: Graph's web, spa
// and publicClient objects of an application.
type Kind int

// Kinds of redirect URIs.
const (
	Web    Kind = iota // web.redirectUris: a confidential client (server-side, client secret)
	SPA                // spa.redirectUris: a single-page application (public, PKCE)
	Public             // publicClient.redirectUris: native and mobile apps (public, PKCE)
)

func (k Kind) String() string {
	switch k {
	case Web:
		return "web"
	case SPA:
		return "spa"
	case Public:
		return "publicClient"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Limits Entra sets on redirect URIs.
const (
	MaxLen            = 256 // characters of one URI
	MaxPerApplication = 256 // URIs of one application, all kinds together
)

// Validate reports why uri may not be registered as a redirect URI of the
// given kind, or nil when it may. Every URI must be absolute, at most
// MaxLen printable ASCII characters, and hold no fragment, no wildcard and
// no user information. Web and SPA URIs must be https, or http on a
// loopback host (localhost, 127.0.0.1, [::1]); public client URIs may also
// use an application's own scheme (msal{client id}://auth, myapp://callback),
// but not one a browser runs or reads locally (javascript, data, file,
// vbscript, blob, about). The error's message names no more than the rule broken.
func Validate(kind Kind, uri string) error {
	switch {
	case uri == "":
		return errors.New("a redirect URI must not be empty")
	case len(uri) > MaxLen:
		return fmt.Errorf("a redirect URI must be at most %d characters long", MaxLen)
	case !printableASCII(uri):
		return errors.New("a redirect URI must be printable ASCII, without spaces")
	case strings.Contains(uri, "#"):
		return errors.New("a redirect URI must not contain a fragment")
	case strings.Contains(uri, "*"):
		return errors.New("a redirect URI must not contain a wildcard")
	}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme == "" {
		return errors.New("a redirect URI must be an absolute URI")
	}
	if u.User != nil {
		return errors.New("a redirect URI must not contain user information")
	}
	scheme := strings.ToLower(u.Scheme)
	switch scheme {
	case "https":
		if u.Host == "" {
			return errors.New("an https redirect URI must name a host")
		}
		return nil
	case "http":
		if u.Host == "" || !loopbackHost(u.Hostname()) {
			return errors.New("an http redirect URI must be on localhost, 127.0.0.1 or [::1]; use https elsewhere")
		}
		return nil
	case "javascript", "data", "file", "vbscript", "blob", "about":
		return fmt.Errorf("a redirect URI must not use the %s scheme", scheme)
	}
	if kind != Public {
		return fmt.Errorf("a %s redirect URI must use https (or http on a loopback host)", kind)
	}
	return nil
}

// Match reports whether requested is one of the registered redirect URIs.
// The comparison is exact (case, trailing slash, path, query and port all
// count), except that an http URI on a loopback host matches a registered
// http URI on the same loopback host whatever either one's port, as native
// apps listen on a port the system gives them. A requested URI with a
// fragment or user information never matches.
func Match(registered []string, requested string) bool {
	if requested == "" || len(requested) > MaxLen || strings.Contains(requested, "#") {
		return false
	}
	if u, err := url.Parse(requested); err != nil || u.User != nil || u.Scheme == "" {
		return false
	}
	for _, r := range registered {
		if r == requested {
			return true
		}
	}
	want, ok := withoutLoopbackPort(requested)
	if !ok {
		return false
	}
	for _, r := range registered {
		if got, ok := withoutLoopbackPort(r); ok && got == want {
			return true
		}
	}
	return false
}

// withoutLoopbackPort returns uri without the port of its authority, when
// uri is an http URI on a loopback host; ok is false for any other URI.
func withoutLoopbackPort(uri string) (string, bool) {
	const prefix = "http://"
	if !strings.HasPrefix(uri, prefix) {
		return "", false
	}
	rest := uri[len(prefix):]
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	authority := rest[:end]
	host := authority
	if h, port, err := net.SplitHostPort(authority); err == nil {
		if !digits(port) {
			return "", false
		}
		host = h
	} else if strings.HasPrefix(authority, "[") && strings.HasSuffix(authority, "]") {
		host = authority[1 : len(authority)-1]
	}
	if !loopbackHost(host) {
		return "", false
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return prefix + host + rest[end:], true
}

// loopbackHost reports whether host (without brackets or port) is one of
// the loopback names Entra accepts for http redirect URIs.
func loopbackHost(host string) bool {
	switch strings.Trim(host, "[]") {
	case "localhost", "127.0.0.1", "::1":
		return true
	}
	return false
}

func digits(s string) bool {
	if s == "" || len(s) > 5 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}
