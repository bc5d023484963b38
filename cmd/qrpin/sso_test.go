package main

import (
	"testing"
	"time"
)

// TestSSOSessionLifetimeFlag: --sso-session-lifetime defaults to
// QRPIN_SSO_SESSION_LIFETIME, else 0 (no single sign-on session); check
// refuses a negative lifetime and one over 12 hours.
func TestSSOSessionLifetimeFlag(t *testing.T) {
	for _, tc := range []struct {
		env  string
		args []string
		want time.Duration
		ok   bool
	}{
		{"", nil, 0, true},
		{"30m", nil, 30 * time.Minute, true},
		{"30m", []string{"--sso-session-lifetime", "0"}, 0, true},
		{"", []string{"--sso-session-lifetime", "12h"}, 12 * time.Hour, true},
		{"", []string{"--sso-session-lifetime", "12h1s"}, 12*time.Hour + time.Second, false},
		{"", []string{"--sso-session-lifetime=-1m"}, -time.Minute, false},
	} {
		t.Setenv("QRPIN_SSO_SESSION_LIFETIME", tc.env)
		cmd := serveCmd()
		if err := cmd.ParseFlags(tc.args); err != nil {
			t.Fatal(err)
		}
		got, err := cmd.Flags().GetDuration("sso-session-lifetime")
		if err != nil || got != tc.want {
			t.Fatalf("env %q, args %q: --sso-session-lifetime %v (%v), want %v", tc.env, tc.args, got, err, tc.want)
		}
		f := oidcFlags{ssoLifetime: got}
		if err := f.check(); (err == nil) != tc.ok {
			t.Fatalf("--sso-session-lifetime %v: check says %v", got, err)
		}
	}
}
