package compat

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// TestJSClient runs compat/js (the Microsoft Graph JavaScript client with
// @azure/identity, under Node's test runner) against a qrpin server:
// `npm ci` from the committed package-lock.json, then `node --test`.
func TestJSClient(t *testing.T) {
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed, and CI must run the JavaScript client test: %v", tool, err)
			}
			t.Skipf("%s is not installed (Node 20 and npm are needed for the JavaScript client test): %v", tool, err)
		}
	}
	s := startServer(t)
	dir, err := filepath.Abs("js")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(),
			"QRPIN_URL="+s.url,
			"QRPIN_TENANT_ID="+s.creds.TenantID,
			"QRPIN_CLIENT_ID="+s.creds.ClientID,
			"QRPIN_CLIENT_SECRET="+s.creds.ClientSecret,
			"NODE_EXTRA_CA_CERTS="+s.caFile,
			"NO_UPDATE_NOTIFIER=1", "npm_config_fund=false", "npm_config_audit=false",
		)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return string(out)
	}
	run("npm", "ci", "--no-audit", "--no-fund")
	out := run("node", "--test", "--test-reporter=tap")
	t.Logf("node --test:\n%s", out)
	// Every test ran and passed: none skipped (a missing variable would skip).
	pass := regexp.MustCompile(`(?m)^# pass (\d+)$`).FindStringSubmatch(out)
	if pass == nil || pass[1] == "0" ||
		!regexp.MustCompile(`(?m)^# fail 0$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^# skipped 0$`).MatchString(out) {
		t.Fatalf("node --test did not pass every test:\n%s", out)
	}
}
