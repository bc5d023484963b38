package main

import (
	"net/url"
	"strings"
	"testing"
)

// TestPlainHTTPRefused: provisioning sends a client secret, tokens and new
// PINs, so it speaks plain http only to this machine.
func TestPlainHTTPRefused(t *testing.T) {
	t.Parallel()
	for raw, refused := range map[string]bool{
		"http://localhost:8080/v1.0":        false,
		"http://LOCALHOST:8080":             false,
		"http://127.0.0.1:8080/v1.0":        false,
		"http://127.8.9.10":                 false,
		"http://[::1]:8080/beta":            false,
		"https://qrpin.example.com/v1.0":    false,
		"https://graph.microsoft.com/v1.0":  false,
		"http://qrpin.example.com/v1.0":     true,
		"http://10.0.0.5:8080":              true,
		"http://localhost.example.com:8080": true,
		"http://[2001:db8::1]:8080":         true,
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		err = plainHTTPRefused(u)
		if (err != nil) != refused {
			t.Errorf("%s: refused %v, want %v (%v)", raw, err != nil, refused, err)
		}
		if err != nil && !strings.Contains(err.Error(), u.Host) {
			t.Errorf("%s: the error does not name the host: %v", raw, err)
		}
	}
	// Through the flags: nothing is sent, the command fails first.
	g := graphFlags{url: "http://qrpin.example.com", tenant: "t", clientID: "c", clientSecret: "s3cret-value"}
	_, _, err := g.client()
	if err == nil || !strings.Contains(err.Error(), "refusing plain http") || strings.Contains(err.Error(), "s3cret-value") {
		t.Fatalf("client() = %v", err)
	}
	g = graphFlags{url: "https://qrpin.example.com", authorityHost: "http://login.example.com", tenant: "t", clientID: "c", clientSecret: "s"}
	if _, _, err := g.client(); err == nil || !strings.Contains(err.Error(), "login.example.com") {
		t.Fatalf("client() with a plain http token endpoint = %v", err)
	}
}
