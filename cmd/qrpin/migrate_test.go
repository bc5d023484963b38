package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/pin"
	"github.com/qrpin/qrpin/store"
	"github.com/qrpin/qrpin/store/postgres"
	"github.com/qrpin/qrpin/store/postgres/pgtest"
)

// fillSource puts some of everything into the data directory's store:
// users with and without methods (codes, lockout states), groups with
// members, role assignments, a policy.
func fillSource(t *testing.T, st store.Store) {
	t.Helper()
	ctx := t.Context()
	t0 := time.Date(2026, 3, 1, 9, 30, 15, 123456000, time.UTC)
	var users []store.User
	for i := range 57 {
		u := store.User{ID: uuid.NewString(), UPN: fmt.Sprintf("User%02d@Contoso.com", i), DisplayName: fmt.Sprint("User ", i),
			AccountEnabled: i%5 != 0, Created: t0.Add(time.Duration(i) * time.Minute)}
		must(t, st.CreateUser(ctx, u))
		users = append(users, u)
		if i%3 == 0 {
			continue
		}
		m := method.Method{ID: uuid.NewString(), UserID: u.ID, Created: t0,
			Standard: &method.QRCode{ID: uuid.NewString(), Kind: method.Standard, Start: t0, Expire: t0.AddDate(1, 0, 0),
				Created: t0, LastUsed: t0.Add(time.Hour), Verifier: []byte{0, 1, 2, byte(i)}},
			PIN:     method.PIN{Hash: "$argon2id$v=19$m=19456,t=2,p=1$" + u.ID, Length: 8 + i%4, ForceChange: i%2 == 0, Created: t0, Updated: t0},
			Lockout: method.Lockout{Failures: i % 7},
		}
		if i%4 == 0 {
			m.Temporary = &method.QRCode{ID: uuid.NewString(), Kind: method.Temporary, Start: t0, Expire: t0.Add(3 * time.Hour),
				Created: t0, Verifier: []byte("tmp")}
			m.Lockout.LockedUntil = t0.Add(10 * time.Minute)
			m.Lockout.Disabled = i%8 == 0
		}
		must(t, st.CreateMethod(ctx, m))
	}
	for g := range 3 {
		grp := store.Group{ID: uuid.NewString(), DisplayName: fmt.Sprint("Group ", g), Description: "d", MailNickname: fmt.Sprint("g", g), Created: t0}
		must(t, st.CreateGroup(ctx, grp))
		for i := g; i < len(users); i += 2 + g {
			must(t, st.AddGroupMember(ctx, grp.ID, users[i].ID))
		}
	}
	for i, r := range []string{"62e90394-69f5-4237-9190-012177145e10", "c4e39bd9-1100-46d3-8c65-fb160da0071f"} {
		must(t, st.CreateRoleAssignment(ctx, store.RoleAssignment{ID: uuid.NewString(), PrincipalID: users[i].ID, RoleDefinitionID: r}))
	}
	// Administrative units, with users and a group as members, and a role
	// scoped to one of them.
	groups, err := st.ListGroups(ctx, "", 0)
	must(t, err)
	for u := range 2 {
		unit := store.AdministrativeUnit{ID: uuid.NewString(), DisplayName: fmt.Sprint("Store ", u), Description: "d", Created: t0}
		if u == 1 {
			unit.Visibility = "HiddenMembership"
		}
		must(t, st.CreateUnit(ctx, unit))
		for i := u; i < 10; i += 3 {
			must(t, st.AddUnitMember(ctx, unit.ID, users[i].ID))
		}
		must(t, st.AddUnitMember(ctx, unit.ID, groups[u].ID))
		if u == 0 {
			must(t, st.CreateRoleAssignment(ctx, store.RoleAssignment{ID: uuid.NewString(), PrincipalID: users[20].ID,
				RoleDefinitionID: "c4e39bd9-1100-46d3-8c65-fb160da0071f", UnitID: unit.ID}))
		}
	}
	for i := range 3 {
		a := store.Application{ID: uuid.NewString(), AppID: uuid.NewString(), ServicePrincipalID: uuid.NewString(),
			DisplayName: fmt.Sprint("App ", i), Created: t0}
		if i > 0 {
			a.Passwords = []store.Password{{KeyID: uuid.NewString(), DisplayName: "ci", Hint: "abc", Verifier: []byte{1, 2, byte(i)}, Start: t0, End: t0.AddDate(2, 0, 0)}}
			a.Grants = []store.Grant{{ID: uuid.NewString(), AppRoleID: uuid.NewString(), ResourceID: uuid.NewString(), Created: t0}}
			// Sign-in registrations move too, their URIs in order.
			a.SignIn = store.AppSignIn{PublicRedirectURIs: []string{"myapp://callback", "http://localhost"}, FallbackPublicClient: i == 2}
			if i == 1 {
				a.SignIn.WebRedirectURIs = []string{"https://z.contoso.com/cb", "https://a.contoso.com/cb"}
				a.SignIn.WebLogoutURL = "https://z.contoso.com/out"
				a.SignIn.SPARedirectURIs = []string{"https://spa.contoso.com/"}
			}
		}
		must(t, st.CreateApplication(ctx, a))
		must(t, st.CreateRoleAssignment(ctx, store.RoleAssignment{ID: uuid.NewString(), PrincipalID: a.ServicePrincipalID, RoleDefinitionID: "62e90394-69f5-4237-9190-012177145e10"}))
	}
	for i := range 4 {
		must(t, st.AddSignInLog(ctx, store.SignInLog{ID: fmt.Sprintf("log-%03d", i), Created: t0.Add(time.Duration(i) * time.Second),
			UserID: users[i].ID, UPN: users[i].UPN, AppID: "app", AppName: "App", IPAddress: "192.0.2.1", ErrorCode: i, Step: "pin"}))
		must(t, st.AddDirectoryAudit(ctx, store.DirectoryAudit{ID: fmt.Sprintf("audit-%03d", i), Time: t0, Category: "UserManagement",
			Activity: "Add user", OperationType: "Add", InitiatorKind: "app", InitiatorID: "sp", InitiatorName: "App",
			Targets: []store.AuditTarget{{ID: users[i].ID, Type: "User", UPN: users[i].UPN}}, Result: "success"}))
	}
	_, err = st.UpdatePolicy(ctx, func(p *method.Policy) error {
		p.State, p.PINLength = method.Enabled, 10
		p.Exclude = []method.Target{{TargetType: method.TargetGroup, ID: uuid.NewString()}}
		return nil
	})
	must(t, err)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// snapshot is everything a store holds, read through the Store interface.
type snapshot struct {
	Settings    map[string]string
	Users       []store.User
	Methods     map[string]method.Method
	Groups      []store.Group
	Members     map[string][]string
	Units       []store.AdministrativeUnit
	UnitMembers map[string][]string
	Apps        []store.Application
	Assignments []store.RoleAssignment
	Policy      method.Policy
	SignInLogs  []store.SignInLog
	Audits      []store.DirectoryAudit
}

func takeSnapshot(t *testing.T, st store.Store) snapshot {
	t.Helper()
	ctx := t.Context()
	var s snapshot
	var err error
	s.Settings, err = st.ListSettings(ctx)
	must(t, err)
	s.Users, err = st.ListUsers(ctx, "", 0)
	must(t, err)
	s.Methods = map[string]method.Method{}
	for _, u := range s.Users {
		if m, err := st.GetMethod(ctx, u.ID); err == nil {
			s.Methods[u.ID] = m
		}
	}
	s.Groups, err = st.ListGroups(ctx, "", 0)
	must(t, err)
	s.Members = map[string][]string{}
	for _, g := range s.Groups {
		ms, err := st.ListGroupMembers(ctx, g.ID, "", 0)
		must(t, err)
		for _, m := range ms {
			s.Members[g.ID] = append(s.Members[g.ID], m.ID)
		}
	}
	s.Units, err = st.ListUnits(ctx, "", 0)
	must(t, err)
	s.UnitMembers = map[string][]string{}
	for _, u := range s.Units {
		ms, err := st.ListUnitMembers(ctx, u.ID, "", 0)
		must(t, err)
		for _, m := range ms {
			s.UnitMembers[u.ID] = append(s.UnitMembers[u.ID], m.ID())
		}
	}
	s.Apps, err = st.ListApplications(ctx, "", 0)
	must(t, err)
	s.Assignments, err = st.ListRoleAssignments(ctx, "")
	must(t, err)
	s.Policy, err = st.GetPolicy(ctx)
	must(t, err)
	s.SignInLogs, err = st.ListSignInLogs(ctx, store.AuditFilter{}, 0)
	must(t, err)
	s.Audits, err = st.ListDirectoryAudits(ctx, store.AuditFilter{}, 0)
	must(t, err)
	return s
}

// TestMigrateData copies a SQLite data directory into PostgreSQL, twice,
// and checks that the target holds what the source does and that a server
// on the target opens with the source's pepper and tenant.
func TestMigrateData(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dsn := pgtest.DSN(t)
	src := common{data: filepath.Join(t.TempDir(), "data")}
	d, err := src.open(ctx)
	must(t, err)
	fillSource(t, d.store)
	want := takeSnapshot(t, d.store)
	must(t, d.store.Close())
	if len(want.Methods) != 38 || want.Settings["tenant_id"] == "" || want.Settings[pepperCheckKey] == "" {
		t.Fatalf("source: %d methods, settings %v", len(want.Methods), want.Settings)
	}

	to := dbFlags{url: dsn, pool: postgres.Options{MaxConns: 4}}
	var out bytes.Buffer
	must(t, migrateData(ctx, src.data, to, &out))
	if !strings.Contains(out.String(), "verified: the target holds the source's 57 users, 38 methods (48 QR codes), 3 groups (62 members), 2 administrative units (9 members), 3 applications, 6 role assignments, 4 sign-in log entries and 4 directory audits") {
		t.Fatalf("first run:\n%s", &out)
	}
	dst, err := postgres.Open(ctx, dsn, postgres.Options{})
	must(t, err)
	defer dst.Close()
	if got := takeSnapshot(t, dst); !reflect.DeepEqual(got, want) {
		t.Fatalf("the target holds\n%+v\nwant\n%+v", got, want)
	}

	// Again: everything is there already, and equal.
	out.Reset()
	must(t, migrateData(ctx, src.data, to, &out))
	for _, line := range []string{
		fmt.Sprintf("%-17s %9d copied %9d already there", "users", 0, 57),
		fmt.Sprintf("%-17s %9d copied %9d already there", "QR codes", 0, 48),
		fmt.Sprintf("%-17s %9d copied %9d already there", "group members", 0, 62),
		fmt.Sprintf("%-17s %9d copied %9d already there", "unit members", 0, 9),
		"verified",
	} {
		if !strings.Contains(out.String(), line) {
			t.Fatalf("second run lacks %q:\n%s", line, &out)
		}
	}
	if got := takeSnapshot(t, dst); !reflect.DeepEqual(got, want) {
		t.Fatalf("after the second run the target holds\n%+v\nwant\n%+v", got, want)
	}

	// A server on the target: the source's data directory, pepper and tenant.
	srv := common{data: src.data, db: to}
	d, err = srv.open(ctx)
	must(t, err)
	if d.tenantID != want.Settings["tenant_id"] {
		t.Fatalf("tenant on the target %s, want %s", d.tenantID, want.Settings["tenant_id"])
	}
	must(t, d.store.Close())

	// A row changed in the target since: reported, not overwritten.
	var victim string
	for id := range want.Methods {
		victim = id
		break
	}
	_, err = dst.UpdateMethod(ctx, victim, func(m *method.Method) error { m.Lockout.Failures++; return nil })
	must(t, err)
	err = migrateData(ctx, src.data, to, &out)
	if err == nil || !strings.Contains(err.Error(), "method of user "+victim+" differs in the target") {
		t.Fatalf("rerun onto a changed target: %v", err)
	}

	// A target that another installation initialized is refused.
	other := pgtest.DSN(t)
	o := common{data: filepath.Join(t.TempDir(), "other"), db: dbFlags{url: other}}
	d, err = o.open(ctx)
	must(t, err)
	must(t, d.store.Close())
	err = migrateData(ctx, src.data, dbFlags{url: other}, &out)
	if err == nil || !strings.Contains(err.Error(), "belongs to another qrpin installation") {
		t.Fatalf("migrate into another installation's database: %v", err)
	}

	// And a target with rows of its own fails the count check.
	extra := pgtest.DSN(t)
	e, err := postgres.Open(ctx, extra, postgres.Options{})
	must(t, err)
	must(t, e.CreateUser(ctx, store.User{ID: uuid.NewString(), UPN: "stranger@contoso.com"}))
	e.Close()
	err = migrateData(ctx, src.data, dbFlags{url: extra}, &out)
	if err == nil || !strings.Contains(err.Error(), "users: the source has 57, the target 58") {
		t.Fatalf("migrate into a database with other users: %v", err)
	}
}

func TestMigrateDataArguments(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	empty := t.TempDir()
	for _, tc := range []struct {
		from, to, want string
	}{
		{"", "postgres://x", "give --from"},
		{empty, "", "give --from"},
		{empty, "mysql://x", "want a postgres://"},
		{empty, "postgres://u:hunter2@127.0.0.1:1/x", "no qrpin database in " + empty},
	} {
		err := migrateData(ctx, tc.from, dbFlags{url: tc.to}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("migrate-data --from %q --to %q: %v; want %q", tc.from, tc.to, err, tc.want)
		}
	}
}

// TestLoadTestUsers loads a few thousand users through COPY and checks
// they are whole: users, methods with codes, the one PIN.
func TestLoadTestUsers(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c := common{data: filepath.Join(t.TempDir(), "data"), db: dbFlags{url: pgtest.DSN(t)}}
	d, err := c.open(ctx)
	must(t, err)
	defer d.store.Close()
	o := loadOptions{count: 2500, batch: 1000, prefix: "load", domain: "x.example", pin: "31415926"}
	var out bytes.Buffer
	must(t, loadTestUsers(ctx, d, o, &out))
	if !strings.Contains(out.String(), "loaded 2500 users with methods") {
		t.Fatalf("output:\n%s", &out)
	}
	users, err := d.store.ListUsers(ctx, "", 0)
	must(t, err)
	if len(users) != 2500 {
		t.Fatalf("%d users, want 2500", len(users))
	}
	hasher, err := pin.NewHasher(d.pepper, pin.DefaultParams)
	must(t, err)
	for _, upn := range []string{"load-1@x.example", "LOAD-2500@x.example"} {
		u, err := d.store.GetUserByUPN(ctx, upn)
		must(t, err)
		m, err := d.store.GetMethod(ctx, u.ID)
		must(t, err)
		if ok, err := hasher.Verify(o.pin, m.PIN.Hash); !ok || err != nil || m.Standard == nil || len(m.Standard.Verifier) == 0 {
			t.Fatalf("method of %s: %+v (PIN verifies: %v %v)", upn, m, ok, err)
		}
	}
	// The same names again conflict; a bad PIN is refused.
	if err := loadTestUsers(ctx, d, o, &out); err == nil || !strings.Contains(err.Error(), "choose another --prefix") {
		t.Fatalf("second load with the same prefix: %v", err)
	}
	o.prefix, o.pin = "other", "1234"
	if err := loadTestUsers(ctx, d, o, &out); err == nil || !strings.Contains(err.Error(), "--pin") {
		t.Fatalf("load with a short PIN: %v", err)
	}
}
