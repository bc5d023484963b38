package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
)

// TestUnitsAndUnlockCLI: IT makes a store's team with the command line
// (a unit, its members, a lead scoped to it) and unlocks a worker's PIN;
// each change is audited, and roles list shows the scoped assignment.
func TestUnitsAndUnlockCLI(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "data")
	c := common{data: data}
	d, err := c.open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	worker := store.User{ID: "11111111-1111-4111-8111-111111111111", UPN: "ann@contoso.com", DisplayName: "Ann", AccountEnabled: true}
	lead := store.User{ID: "22222222-2222-4222-8222-222222222222", UPN: "lead@contoso.com", DisplayName: "Lead", AccountEnabled: true}
	for _, u := range []store.User{worker, lead} {
		must(t, d.store.CreateUser(ctx, u))
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	pinBefore := method.PIN{Hash: "h", Length: 8, Created: now, Updated: now}
	must(t, d.store.CreateMethod(ctx, method.Method{ID: "m", UserID: worker.ID, Created: now, PIN: pinBefore,
		Lockout: method.Lockout{Failures: 7, LockedUntil: now.Add(time.Hour)}}))
	d.store.Close()

	run := func(cmd func() *cobra.Command, args ...string) string {
		t.Helper()
		out, err := runCmd(t, cmd(), append(args, "--data", data)...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return out
	}
	if out := run(unitsCmd, "create", "--name", "Store 12"); !strings.HasPrefix(out, "created ") {
		t.Fatalf("units create: %q", out)
	}
	run(unitsCmd, "add-member", "--unit", "store 12", "--user", worker.UPN)
	if out := run(rolesCmd, "assign", "--user", lead.UPN, "--role", "Authentication Administrator", "--unit", "Store 12"); !strings.Contains(out, "lead@contoso.com now holds Authentication Administrator over Store 12") {
		t.Fatalf("roles assign --unit: %q", out)
	}
	if out, err := runCmd(t, rolesCmd(), "assign", "--user", lead.UPN, "--role", "Global Administrator", "--unit", "Store 12", "--data", data); err == nil {
		t.Fatalf("a Global Administrator role over a unit was assigned: %s", out)
	}
	if out, err := runCmd(t, unitsCmd(), "add-member", "--unit", "Store 99", "--user", worker.UPN, "--data", data); err == nil || !strings.Contains(err.Error(), "no administrative unit") {
		t.Fatalf("add-member to a missing unit: %v %s", err, out)
	}
	if out := run(unitsCmd, "list"); !strings.Contains(out, "Store 12  1") {
		t.Fatalf("units list:\n%s", out)
	}
	if out := run(rolesCmd, "list"); !strings.Contains(out, "lead@contoso.com (over Store 12)") {
		t.Fatalf("roles list:\n%s", out)
	}
	if out := run(usersCmd, "unlock-pin", "--user", worker.UPN); out != "unlocked the PIN of ann@contoso.com\n" {
		t.Fatalf("unlock-pin: %q", out)
	}
	if out, err := runCmd(t, usersCmd(), "unlock-pin", "--user", lead.UPN, "--data", data); err == nil {
		t.Fatalf("unlock-pin of a user without a method: %s", out)
	}
	run(unitsCmd, "remove-member", "--unit", "Store 12", "--user", worker.ID)

	d, err = c.open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer d.store.Close()
	m, err := d.store.GetMethod(ctx, worker.ID)
	must(t, err)
	if m.Lockout != (method.Lockout{}) || m.PIN != pinBefore {
		t.Errorf("after unlock-pin: lockout %+v, PIN %+v", m.Lockout, m.PIN)
	}
	as, err := d.store.ListRoleAssignments(ctx, lead.ID)
	must(t, err)
	if len(as) != 1 || as[0].UnitID == "" || as[0].RoleDefinitionID != auth.AuthenticationAdministrator {
		t.Errorf("lead's assignments %+v", as)
	}
	audits, err := d.store.ListDirectoryAudits(ctx, store.AuditFilter{}, 0)
	must(t, err)
	var got []string
	for _, a := range audits {
		got = append(got, a.Activity)
	}
	want := []string{"Remove member from administrative unit", "Unlock QR code PIN", "Add member to role",
		"Add member to administrative unit", "Add administrative unit"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("audited %q, want %q (newest first)", got, want)
	}
}
