package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/method"
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

// TestServeStaffPage: serve mounts the staff page and registers its
// application, so that the page's sign-in reaches the sign-in page; a
// second start on the same data keeps one application.
func TestServeStaffPage(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "data")
	start := func() (base string, stop func()) {
		t.Helper()
		addr := freeAddr(t)
		c := common{data: data, addr: addr, out: io.Discard}
		ctx, cancel := context.WithCancel(context.Background())
		ready := make(chan net.Addr, 1)
		done := make(chan error, 1)
		go func() { done <- serve(ctx, c, method.DefaultLockout, 1000, func(a net.Addr) { ready <- a }) }()
		select {
		case <-ready:
		case err := <-done:
			t.Fatalf("serve: %v", err)
		}
		return "http://" + addr, func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("shutdown: %v", err)
			}
		}
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for i := range 2 {
		base, stop := start()
		creds := readBootstrap(t, data)
		creds.TokenEndpoint = base + "/" + creds.TenantID + "/oauth2/v2.0/token" // this start's address
		res, err := noFollow.Get(base + "/" + creds.TenantID + "/staff/login")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		auth, _ := url.Parse(res.Header.Get("Location"))
		if res.StatusCode != http.StatusSeeOther || auth.Query().Get("client_id") != admin.StaffAppID {
			t.Fatalf("start %d: login %d to %s", i, res.StatusCode, auth)
		}
		if res, err = noFollow.Get(auth.String()); err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if loc := res.Header.Get("Location"); res.StatusCode != http.StatusFound || !strings.Contains(loc, "/"+creds.TenantID+"/signin?authRequest=") {
			t.Fatalf("start %d: authorize %d to %q, want the sign-in page", i, res.StatusCode, loc)
		}
		req, _ := http.NewRequest("GET", base+"/v1.0/applications", nil)
		req.Header.Set("Authorization", "Bearer "+getToken(t, http.DefaultClient, creds))
		if res, err = http.DefaultClient.Do(req); err != nil {
			t.Fatal(err)
		}
		var list struct {
			Value []map[string]any `json:"value"`
		}
		err = json.NewDecoder(res.Body).Decode(&list)
		res.Body.Close()
		var staffApps []map[string]any
		for _, a := range list.Value {
			if a["appId"] == admin.StaffAppID {
				staffApps = append(staffApps, a)
			}
		}
		if err != nil || len(staffApps) != 1 || staffApps[0]["displayName"] != admin.StaffAppName {
			t.Fatalf("start %d: the staff applications %v (%v)", i, staffApps, err)
		}
		stop()
	}
}
