package sqlite

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
	"github.com/qrpin/qrpin/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := Open(filepath.Join(t.TempDir(), "qrpin.db"))
		if err != nil {
			t.Fatal(err)
		}
		return sqlStore{s}
	})
}

// sqlStore is a Store with storetest.SQL, for the suite's reads of the
// tables as another build of qrpin would make them.
type sqlStore struct{ *Store }

// Rows runs query on the writer's connection (another qrpin may write),
// not through the statement cache.
func (s sqlStore) Rows(ctx context.Context, query string) ([][]string, error) {
	rows, err := s.w.db.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]string
	for rows.Next() {
		row := make([]string, len(cols))
		dest := make([]any, len(cols))
		for i := range row {
			dest[i] = &row[i]
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// open opens a Store on path and closes it when the test ends.
func open(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var t0 = time.Date(2026, 3, 1, 9, 30, 15, 123456000, time.UTC)

func testMethod(userID string) method.Method {
	return method.Method{
		ID:      "m-" + userID,
		UserID:  userID,
		Created: t0,
		Standard: &method.QRCode{
			ID: "qr-" + userID, Kind: method.Standard,
			Start: t0, Expire: t0.Add(24 * time.Hour), Created: t0,
			Verifier: []byte("verifier-" + userID),
		},
		PIN: method.PIN{Hash: "hash-" + userID, Length: 8, ForceChange: true, Created: t0, Updated: t0},
	}
}

func TestReopenKeepsData(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "qrpin.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	u := store.User{ID: "u1", UPN: "Alice@Contoso.com", DisplayName: "Alice", AccountEnabled: true, Created: t0}
	m := testMethod(u.ID)
	var p method.Policy
	steps := []error{
		s.CreateUser(ctx, u),
		s.CreateMethod(ctx, m),
		s.CreateGroup(ctx, store.Group{ID: "g1", DisplayName: "G"}),
		s.AddGroupMember(ctx, "g1", u.ID),
		s.CreateRoleAssignment(ctx, store.RoleAssignment{ID: "a1", PrincipalID: u.ID, RoleDefinitionID: "r"}),
	}
	p, err = s.UpdatePolicy(ctx, func(p *method.Policy) error { p.State = method.Enabled; return nil })
	steps = append(steps, err)
	_, err = s.Setting(ctx, "k", "v")
	steps = append(steps, err, s.Close())
	if err := errors.Join(steps...); err != nil {
		t.Fatal(err)
	}

	s = open(t, path)
	gotU, err := s.GetUserByUPN(ctx, "alice@contoso.com")
	if err != nil || gotU != u {
		t.Errorf("user after reopen: %+v, %v; want %+v", gotU, err, u)
	}
	gotM, err := s.GetMethodByCode(ctx, m.Standard.ID)
	if err != nil || gotM.ID != m.ID || !bytes.Equal(gotM.Standard.Verifier, m.Standard.Verifier) {
		t.Errorf("method after reopen: %+v, %v", gotM, err)
	}
	if ids, err := s.UserGroupIDs(ctx, u.ID); err != nil || len(ids) != 1 {
		t.Errorf("groups after reopen: %v, %v", ids, err)
	}
	if as, err := s.ListRoleAssignments(ctx, u.ID); err != nil || len(as) != 1 {
		t.Errorf("role assignments after reopen: %v, %v", as, err)
	}
	if got, err := s.GetPolicy(ctx); err != nil || got.State != p.State {
		t.Errorf("policy after reopen: %+v, %v", got, err)
	}
	if v, err := s.Setting(ctx, "k", "other"); err != nil || v != "v" {
		t.Errorf("setting after reopen: %q, %v", v, err)
	}
}

func TestMigrationsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "qrpin.db")
	versions := func(s *Store) (n int, max int64) {
		t.Helper()
		err := s.r.QueryRowContext(t.Context(),
			`SELECT count(*), max(version_id) FROM goose_db_version WHERE is_applied`).Scan(&n, &max)
		if err != nil {
			t.Fatal(err)
		}
		return n, max
	}
	s := open(t, path)
	n, v := versions(s)
	if v < 1 {
		t.Fatalf("schema version %d after the first Open", v)
	}
	must(t, s.CreateUser(t.Context(), store.User{ID: "u1", UPN: "a@b"}))
	must(t, s.Close())
	for range 2 {
		s := open(t, path)
		n2, v2 := versions(s)
		if n2 != n || v2 != v {
			t.Fatalf("reopen changed the migration record: %d rows at version %d, was %d at %d", n2, v2, n, v)
		}
		if _, err := s.GetUser(t.Context(), "u1"); err != nil {
			t.Fatalf("GetUser after reopen: %v", err)
		}
		must(t, s.Close())
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestPragmas(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "qrpin.db"))
	ctx := t.Context()
	for _, tc := range []struct {
		pool          string
		db            querier
		journal       string
		fk, queryOnly int
	}{
		{"write", s.w, "wal", 1, 0},
		{"read", s.r, "wal", 1, 1},
	} {
		var journal string
		var fk, queryOnly, timeout int
		must(t, tc.db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&journal))
		must(t, tc.db.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk))
		must(t, tc.db.QueryRowContext(ctx, `PRAGMA query_only`).Scan(&queryOnly))
		must(t, tc.db.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&timeout))
		if journal != tc.journal || fk != tc.fk || queryOnly != tc.queryOnly || timeout != int(busyTimeout.Milliseconds()) {
			t.Errorf("%s pool: journal_mode %s, foreign_keys %d, query_only %d, busy_timeout %d; want %s, %d, %d, %d",
				tc.pool, journal, fk, queryOnly, timeout, tc.journal, tc.fk, tc.queryOnly, busyTimeout.Milliseconds())
		}
	}
	if got := s.w.db.Stats().MaxOpenConnections; got != 1 {
		t.Errorf("write pool allows %d connections, want 1", got)
	}
	// Writes commit with synchronous=NORMAL (1), WAL's usual level.
	var sync int
	must(t, s.w.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&sync))
	if sync != 1 {
		t.Errorf("write pool: synchronous %d, want 1 (NORMAL)", sync)
	}
}

// TestTwoStoresOneFile has two Stores, as two processes would, update one
// method at once: the busy timeout and BEGIN IMMEDIATE serialize them.
func TestTwoStoresOneFile(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "qrpin.db")
	a, b := open(t, path), open(t, path)
	must(t, a.CreateUser(ctx, store.User{ID: "u1", UPN: "a@b"}))
	must(t, a.CreateMethod(ctx, testMethod("u1")))

	const perStore = 25
	var wg sync.WaitGroup
	errs := make(chan error, 2*perStore)
	for _, s := range []*Store{a, b} {
		for range perStore {
			wg.Go(func() {
				_, err := s.UpdateMethod(ctx, "u1", func(m *method.Method) error {
					m.Lockout.Failures++
					return nil
				})
				errs <- err
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("UpdateMethod: %v", err)
		}
	}
	for _, s := range []*Store{a, b} {
		m, err := s.GetMethod(ctx, "u1")
		must(t, err)
		if m.Lockout.Failures != 2*perStore {
			t.Fatalf("failures %d, want %d", m.Lockout.Failures, 2*perStore)
		}
	}
}

func TestOpenBadPath(t *testing.T) {
	for _, path := range []string{"", ":memory:", filepath.Join(t.TempDir(), "a?b.db"), filepath.Join(t.TempDir(), "missing", "dir", "qrpin.db")} {
		if s, err := Open(path); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", path)
		}
	}
}

// TestScopedRolesMigration takes migration 00022 down and up again: down
// keeps the tenant-wide assignments and drops the scoped ones with their
// table (an older qrpin has none); up brings the table back, empty, and the
// store uses it again.
func TestScopedRolesMigration(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := open(t, filepath.Join(t.TempDir(), "qrpin.db"))
	tenant := store.RoleAssignment{ID: "a1", PrincipalID: "u1", RoleDefinitionID: "r"}
	scoped := store.RoleAssignment{ID: "a2", PrincipalID: "u1", RoleDefinitionID: "r", UnitID: "unit"}
	must(t, s.CreateUser(ctx, store.User{ID: "u1", UPN: "a@b"}))
	must(t, s.CreateUnit(ctx, store.AdministrativeUnit{ID: "unit", DisplayName: "Unit"}))
	must(t, s.CreateRoleAssignment(ctx, tenant))
	must(t, s.CreateRoleAssignment(ctx, scoped))

	fsys, err := fs.Sub(migrations, "migrations")
	must(t, err)
	p, err := goose.NewProvider(goose.DialectSQLite3, s.w.db, fsys, goose.WithDisableGlobalRegistry(true))
	must(t, err)
	newest, err := p.GetDBVersion(ctx)
	must(t, err)
	tables := func() (n int) {
		t.Helper()
		must(t, s.w.db.QueryRowContext(ctx,
			`SELECT count(*) FROM sqlite_schema WHERE name = 'unit_role_assignments'`).Scan(&n))
		return n
	}
	_, err = p.DownTo(ctx, 21)
	must(t, err)
	if n := tables(); n != 0 {
		t.Fatalf("unit_role_assignments after 00022's Down: %d tables, want none", n)
	}
	var rows [][3]string
	q, err := s.w.db.QueryContext(ctx, `SELECT id, principal_id, role_definition_id FROM role_assignments`)
	must(t, err)
	for q.Next() {
		var r [3]string
		must(t, q.Scan(&r[0], &r[1], &r[2]))
		rows = append(rows, r)
	}
	must(t, q.Err())
	if want := [][3]string{{"a1", "u1", "r"}}; !slices.Equal(rows, want) {
		t.Fatalf("role_assignments after 00022's Down: %v, want %v", rows, want)
	}

	_, err = p.UpTo(ctx, newest)
	must(t, err)
	if n := tables(); n != 1 {
		t.Fatalf("unit_role_assignments after 00022's Up: %d tables, want one", n)
	}
	as, err := s.ListRoleAssignments(ctx, "u1")
	must(t, err)
	if want := []store.RoleAssignment{tenant}; !slices.Equal(as, want) {
		t.Fatalf("role assignments after down and up: %+v, want %+v", as, want)
	}
	must(t, s.CreateRoleAssignment(ctx, scoped))
	must(t, s.DeleteUnit(ctx, "unit"))
	as, err = s.ListRoleAssignments(ctx, "")
	must(t, err)
	if want := []store.RoleAssignment{tenant}; !slices.Equal(as, want) {
		t.Fatalf("role assignments after DeleteUnit: %+v, want %+v (the foreign key cascades)", as, want)
	}
}
