package main

import (
	"testing"
	"time"
)

// TestStaffFlags: the staff page's session bounds default to
// QRPIN_STAFF_IDLE_TIMEOUT and QRPIN_STAFF_SESSION_LIFETIME, else 10m and
// 1h; check takes 0 for the default and refuses a negative value, an idle
// timeout over the lifetime and a lifetime over 12 hours.
func TestStaffFlags(t *testing.T) {
	for _, tc := range []struct {
		idleEnv, lifeEnv string
		args             []string
		idle, life       time.Duration
		ok               bool
	}{
		{"", "", nil, 10 * time.Minute, time.Hour, true},
		{"5m", "2h", nil, 5 * time.Minute, 2 * time.Hour, true},
		{"5m", "", []string{"--staff-idle-timeout", "15m"}, 15 * time.Minute, time.Hour, true},
		{"", "", []string{"--staff-session-lifetime", "12h"}, 10 * time.Minute, 12 * time.Hour, true},
		{"", "", []string{"--staff-session-lifetime", "12h1s"}, 10 * time.Minute, 12*time.Hour + time.Second, false},
		{"", "", []string{"--staff-session-lifetime", "5m"}, 10 * time.Minute, 5 * time.Minute, false},
		{"", "", []string{"--staff-idle-timeout", "0"}, 0, time.Hour, true},
		{"", "", []string{"--staff-idle-timeout", "0", "--staff-session-lifetime", "5m"}, 0, 5 * time.Minute, false},
		{"", "", []string{"--staff-idle-timeout=-1m"}, -time.Minute, time.Hour, false},
	} {
		t.Setenv("QRPIN_STAFF_IDLE_TIMEOUT", tc.idleEnv)
		t.Setenv("QRPIN_STAFF_SESSION_LIFETIME", tc.lifeEnv)
		cmd := serveCmd()
		if err := cmd.ParseFlags(tc.args); err != nil {
			t.Fatal(err)
		}
		idle, err1 := cmd.Flags().GetDuration("staff-idle-timeout")
		life, err2 := cmd.Flags().GetDuration("staff-session-lifetime")
		if err1 != nil || err2 != nil || idle != tc.idle || life != tc.life {
			t.Fatalf("env %q %q, args %q: %v %v, want %v %v", tc.idleEnv, tc.lifeEnv, tc.args, idle, life, tc.idle, tc.life)
		}
		f := staffFlags{idle: idle, lifetime: life}
		if err := f.check(); (err == nil) != tc.ok {
			t.Fatalf("idle %v, lifetime %v: check says %v", idle, life, err)
		}
	}
}
