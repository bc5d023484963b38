package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/store"
)

// TestRolesList: `qrpin roles list` lists every role qrpin knows with its
// template id, and who holds it (by UPN), "-" for nobody.
func TestRolesList(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "data")
	c := common{data: data}
	d, err := c.open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []store.User{
		{ID: "11111111-1111-4111-8111-111111111111", UPN: "zoe@contoso.com", DisplayName: "Zoe", AccountEnabled: true},
		{ID: "22222222-2222-4222-8222-222222222222", UPN: "ana@contoso.com", DisplayName: "Ana", AccountEnabled: true},
	} {
		if err := d.store.CreateUser(context.Background(), u); err != nil {
			t.Fatal(err)
		}
	}
	d.store.Close()
	for _, a := range [][]string{{"zoe@contoso.com", "Global Reader"}, {"ana@contoso.com", "global reader"}, {"ana@contoso.com", auth.AuthenticationAdministrator}} {
		if out, err := runCmd(t, rolesCmd(), "assign", "--data", data, "--user", a[0], "--role", a[1]); err != nil {
			t.Fatalf("roles assign %v: %v\n%s", a, err, out)
		}
	}
	out, err := runCmd(t, rolesCmd(), "list", "--data", data)
	if err != nil {
		t.Fatalf("roles list: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(auth.Roles)+1 || strings.Fields(lines[0])[0] != "ROLE" {
		t.Fatalf("roles list: %d lines, want a header and %d roles:\n%s", len(lines), len(auth.Roles), out)
	}
	for i, r := range auth.Roles {
		want := "-"
		switch r.ID {
		case auth.GlobalReader:
			want = "ana@contoso.com, zoe@contoso.com"
		case auth.AuthenticationAdministrator:
			want = "ana@contoso.com"
		}
		line := lines[i+1]
		name, rest, _ := strings.Cut(line, "  ")
		fields := strings.Fields(rest)
		if name != r.DisplayName || len(fields) < 2 || fields[0] != r.ID || strings.Join(fields[1:], " ") != want {
			t.Errorf("line %q, want %s, %s, %s", line, r.DisplayName, r.ID, want)
		}
	}
}
