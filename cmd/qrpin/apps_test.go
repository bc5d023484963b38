package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/pinflow"
)

// runApps runs `qrpin apps args...` and returns what it printed.
func runApps(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := appsCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func TestAppsCommands(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "data")
	out, err := runApps(t, "create", "--data", data, "--name", "badge printer", "--grant", "UserAuthMethod-QR.ReadWrite.All,user.read.all")
	if err != nil {
		t.Fatalf("apps create: %v\n%s", err, out)
	}
	clientID := regexp.MustCompile(`client id:\s+(\S+)`).FindStringSubmatch(out)
	secret := regexp.MustCompile(`client secret:\s+(\S+)`).FindStringSubmatch(out)
	if clientID == nil || secret == nil || len(secret[1]) != admin.SecretLength {
		t.Fatalf("apps create prints no credentials:\n%s", out)
	}

	c := common{data: data}
	check := func(wantRoles []string, wantSecrets int) {
		t.Helper()
		d, err := c.open(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer d.store.Close()
		svc := &admin.Service{Config: pinflow.Config{Store: d.store, Pepper: d.pepper, TenantID: d.tenantID}}
		a, err := d.store.GetApplicationByAppID(context.Background(), clientID[1])
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(admin.GrantedRoles(a), ","); got != strings.Join(wantRoles, ",") || len(a.Passwords) != wantSecrets {
			t.Fatalf("roles %s and %d secrets, want %v and %d", got, len(a.Passwords), wantRoles, wantSecrets)
		}
		// The printed secret works.
		if _, err := svc.ClientCredentials(context.Background(), clientID[1], secret[1]); err != nil {
			t.Fatalf("the printed secret: %v", err)
		}
	}
	check([]string{"User.Read.All", "UserAuthMethod-QR.ReadWrite.All"}, 1)

	if out, err := runApps(t, "grant", "--data", data, "--app", clientID[1], "--permission", "Policy.ReadWrite.AuthenticationMethod"); err != nil {
		t.Fatalf("apps grant: %v\n%s", err, out)
	}
	out, err = runApps(t, "add-secret", "--data", data, "--app", clientID[1], "--days", "30")
	if err != nil || !strings.Contains(out, "client secret:") {
		t.Fatalf("apps add-secret: %v\n%s", err, out)
	}
	check([]string{"Policy.ReadWrite.AuthenticationMethod", "User.Read.All", "UserAuthMethod-QR.ReadWrite.All"}, 2)

	out, err = runApps(t, "list", "--data", data)
	if err != nil || !strings.Contains(out, clientID[1]) || !strings.Contains(out, "badge printer") ||
		!strings.Contains(out, secret[1][:admin.HintLength]+"...") || strings.Contains(out, secret[1]) {
		t.Fatalf("apps list: %v\n%s", err, out)
	}

	for _, args := range [][]string{
		{"create", "--data", data, "--name", "x", "--grant", "Mail.Send"},
		{"grant", "--data", data, "--app", clientID[1], "--permission", "Nope.All"},
		{"grant", "--data", data, "--app", "no-such-app", "--permission", "User.Read.All"},
		{"grant", "--data", data, "--app", clientID[1], "--permission", "User.Read.All"}, // granted already
		{"add-secret", "--data", data, "--app", clientID[1], "--days", "1000"},
		{"create", "--data", data},
	} {
		if out, err := runApps(t, args...); err == nil {
			t.Fatalf("apps %v: no error\n%s", args, out)
		}
	}
	// A refused create creates nothing.
	out, _ = runApps(t, "list", "--data", data)
	if strings.Count(out, "\n") != 2 {
		t.Fatalf("applications after refused commands:\n%s", out)
	}

	if out, err := runApps(t, "delete", "--data", data, "--app", clientID[1]); err != nil {
		t.Fatalf("apps delete: %v\n%s", err, out)
	}
	out, _ = runApps(t, "list", "--data", data)
	if strings.Contains(out, clientID[1]) {
		t.Fatalf("a deleted application is listed:\n%s", out)
	}
	if len(auth.AppRoles) < 20 {
		t.Fatal("fewer permissions than the brief's twenty")
	}
}
