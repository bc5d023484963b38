package main

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qrpin/qrpin/method"
)

// Behind a trusted proxy the token endpoint's per-address limit counts the
// forwarded client, each in its own bucket; from a peer that is not
// trusted (or with no --trusted-proxies) the headers are ignored and every
// request counts against the peer.
func TestTrustedProxiesKeyTheRateLimit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		proxies []string
		// second is whether a request forwarded for another client, after
		// two for the first, is still let through.
		second bool
	}{
		{"trusted peer", []string{"192.0.2.0/24", "127.0.0.1"}, true},
		{"trusted peer, as a CIDR", []string{"127.0.0.0/8"}, true},
		{"untrusted peer", []string{"10.0.0.0/8"}, false},
		{"no trusted proxies", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := common{data: filepath.Join(t.TempDir(), "data"), addr: freeAddr(t), proxies: tc.proxies}
			c.token.addrLimit = 2
			runServe(t, c)
			creds := readBootstrap(t, c.data)
			get := func(header, value string) int { // a GET counts too: the limit comes first
				t.Helper()
				req, _ := http.NewRequest(http.MethodGet, creds.TokenEndpoint, nil)
				req.Header.Set(header, value)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				return res.StatusCode
			}
			for i, h := range []string{"X-Forwarded-For", "Forwarded"} {
				first, other := []string{"203.0.113.1", "for=203.0.113.11"}[i], []string{"203.0.113.2", `for="203.0.113.12:4711"`}[i]
				if i == 1 && !tc.second {
					break // the peer's bucket is spent already
				}
				for n := range 2 {
					if st := get(h, first); st != http.StatusBadRequest {
						t.Fatalf("%s request %d for the first client: %d, want 400 (GET refused, not limited)", h, n+1, st)
					}
				}
				if st := get(h, first); st != http.StatusTooManyRequests {
					t.Fatalf("%s: a third request for the first client: %d, want 429", h, st)
				}
				want := http.StatusTooManyRequests
				if tc.second {
					want = http.StatusBadRequest
				}
				if st := get(h, other); st != want {
					t.Fatalf("%s: a request for another client: %d, want %d", h, st, want)
				}
			}
		})
	}
}

// A bad --trusted-proxies entry stops the start with an error naming it.
func TestTrustedProxiesBadEntry(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"10.0.0.0/33", "proxy.internal", "10.0.0.1-10.0.0.9"} {
		c := common{data: filepath.Join(t.TempDir(), "data"), addr: freeAddr(t), proxies: []string{"127.0.0.1", bad}, out: &strings.Builder{}}
		err := serve(context.Background(), c, method.DefaultLockout, 1000, func(_ net.Addr) { t.Errorf("serve listens with --trusted-proxies %q", bad) })
		if err == nil || !strings.Contains(err.Error(), "--trusted-proxies") || !strings.Contains(err.Error(), bad) {
			t.Fatalf("--trusted-proxies %q: %v, want an error naming it", bad, err)
		}
	}
}
