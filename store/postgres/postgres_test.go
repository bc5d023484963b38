package postgres

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
	"github.com/qrpin/qrpin/store/postgres/pgtest"
	"github.com/qrpin/qrpin/store/storetest"
)

// open opens a Store on dsn and closes it when the test ends.
func open(t *testing.T, dsn string) *Store {
	t.Helper()
	s, err := Open(t.Context(), dsn, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// TestConformance runs the conformance suite, each test on a schema that
// another test of the suite may have used before, emptied
// (pgtest.ReusedDSN): the suite only reads and writes rows. What a new
// schema does is TestMigrations' part.
func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := Open(t.Context(), pgtest.ReusedDSN(t, "goose_db_version"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		return sqlStore{s}
	})
}

// sqlStore is a Store with storetest.SQL, for the suite's reads of the
// tables as another build of qrpin would make them.
type sqlStore struct{ *Store }

// Rows runs query on the pool.
func (s sqlStore) Rows(ctx context.Context, query string) ([][]string, error) {
	rows, err := s.pool.Query(ctx, query)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) ([]string, error) {
		out := make([]string, len(row.FieldDescriptions()))
		dest := make([]any, len(out))
		for i := range out {
			dest[i] = &out[i]
		}
		return out, row.Scan(dest...)
	})
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

// TestMigrations opens one schema several times, some at once, as processes
// that start together do: the schema is created once and reopening keeps
// the data and the migration record.
func TestMigrations(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			s, err := Open(ctx, dsn, Options{})
			if err == nil {
				s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	must(t, errors.Join(errs...))

	s := open(t, dsn)
	versions := func() (n int, max int64) {
		t.Helper()
		must(t, s.pool.QueryRow(ctx,
			`SELECT count(*), max(version_id) FROM goose_db_version WHERE is_applied`).Scan(&n, &max))
		return n, max
	}
	n, v := versions()
	if v < 1 {
		t.Fatalf("schema version %d", v)
	}
	must(t, s.CreateUser(ctx, store.User{ID: "u1", UPN: "a@b"}))
	for range 2 {
		s2 := open(t, dsn)
		if _, err := s2.GetUser(ctx, "u1"); err != nil {
			t.Fatalf("GetUser after reopen: %v", err)
		}
		s2.Close()
	}
	if n2, v2 := versions(); n2 != n || v2 != v {
		t.Fatalf("reopen changed the migration record: %d rows at version %d, was %d at %d", n2, v2, n, v)
	}
}

// TestByteOrder checks that ids order by bytes whatever the database's
// collation, as SQLite orders them: upper case before lower case, "-" before
// letters, multi-byte UTF-8 last.
func TestByteOrder(t *testing.T) {
	s := open(t, pgtest.DSN(t))
	ctx := t.Context()
	ids := []string{"b", "B", "a-b", "ab", "a_b", "A", "é", "z", "Z9", "a b"}
	for i, id := range ids {
		must(t, s.CreateUser(ctx, store.User{ID: id, UPN: fmt.Sprint(i, "@x")}))
		must(t, s.CreateGroup(ctx, store.Group{ID: id}))
	}
	want := slices.Clone(ids)
	slices.Sort(want) // Go compares strings bytewise
	users, err := s.ListUsers(ctx, "", 0)
	must(t, err)
	groups, err := s.ListGroups(ctx, "", 0)
	must(t, err)
	var gotU, gotG []string
	for _, u := range users {
		gotU = append(gotU, u.ID)
	}
	for _, g := range groups {
		gotG = append(gotG, g.ID)
	}
	if !slices.Equal(gotU, want) || !slices.Equal(gotG, want) {
		t.Fatalf("users %q, groups %q; want %q", gotU, gotG, want)
	}
	// Whatever the database's default collation: every column that lists
	// are ordered by is "C" (every table's id, and the ids of members and
	// passwords).
	rows, err := s.pool.Query(ctx, `
		SELECT table_name || '.' || column_name || ' ' || coalesce(collation_name, 'default')
		FROM information_schema.columns
		WHERE table_schema = current_schema() AND data_type = 'text' AND (column_name = 'id'
			OR (table_name, column_name) IN (('group_members', 'user_id'), ('group_members', 'group_id'),
				('application_passwords', 'key_id'), ('users', 'upn_key')))
		ORDER BY 1`)
	must(t, err)
	cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
	must(t, err)
	if len(cols) < 13 {
		t.Fatalf("id columns: %q", cols)
	}
	for _, c := range cols {
		if !strings.HasSuffix(c, " C") {
			t.Errorf("column %s: want collation C", c)
		}
	}

	page, err := s.ListUsers(ctx, "a", 0)
	must(t, err)
	if len(page) != len(want)-slices.Index(want, "a b") {
		t.Fatalf("users after %q: %v", "a", page)
	}
}

// TestTwoStoresOneDatabase has two Stores, as two processes would, update
// one method at once: the row lock serializes them and no count is lost.
func TestTwoStoresOneDatabase(t *testing.T) {
	ctx := t.Context()
	dsn := pgtest.DSN(t)
	a, b := open(t, dsn), open(t, dsn)
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
		must(t, err)
	}
	for _, s := range []*Store{a, b} {
		m, err := s.GetMethod(ctx, "u1")
		must(t, err)
		if m.Lockout.Failures != 2*perStore {
			t.Fatalf("failures %d, want %d", m.Lockout.Failures, 2*perStore)
		}
	}
}

// TestRetries checks that transient failures are retried invisibly, the
// transaction's function included, and that one that lasts is reported as
// unavailable.
func TestRetries(t *testing.T) {
	s := open(t, pgtest.DSN(t))
	ctx := t.Context()
	must(t, s.CreateUser(ctx, store.User{ID: "u1", UPN: "a@b"}))
	must(t, s.CreateUser(ctx, store.User{ID: "u2", UPN: "c@d"}))

	t.Run("deadlock", func(t *testing.T) {
		// Two transactions lock u1 and u2 in opposite orders, both holding
		// their first lock before either asks for its second: PostgreSQL
		// fails one with 40P01, and the store runs that one again.
		var calls [2]atomic.Int32
		var bothLocked sync.WaitGroup
		bothLocked.Add(2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i, order := range [][2]string{{"u1", "u2"}, {"u2", "u1"}} {
			wg.Go(func() {
				errs[i] = s.writeTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
					n := calls[i].Add(1)
					if _, err := tx.Exec(ctx, `SET LOCAL deadlock_timeout = '20ms'`); err != nil {
						return err
					}
					if _, err := tx.Exec(ctx, `SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, order[0]); err != nil {
						return err
					}
					if n == 1 {
						bothLocked.Done()
						bothLocked.Wait()
					}
					_, err := tx.Exec(ctx, `UPDATE users SET display_name = display_name || $2 WHERE id = $1`, order[1], fmt.Sprint(i))
					return err
				})
			})
		}
		wg.Wait()
		must(t, errors.Join(errs...))
		if n := calls[0].Load() + calls[1].Load(); n != 3 {
			t.Fatalf("the transactions ran %d times in all, want 3 (one retried)", n)
		}
		for _, id := range []string{"u1", "u2"} {
			u, err := s.GetUser(ctx, id)
			must(t, err)
			if len(u.DisplayName) != 1 {
				t.Fatalf("user %s: display name %q, want one mark", id, u.DisplayName)
			}
		}
	})

	for _, code := range []string{serializationFailure, deadlockDetected} {
		t.Run(code, func(t *testing.T) {
			for _, failures := range []int{2, maxAttempts} {
				calls := 0
				err := s.writeTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
					calls++
					if _, err := tx.Exec(ctx, `UPDATE users SET display_name = $1 WHERE id = 'u1'`, fmt.Sprint(calls)); err != nil {
						return err
					}
					if calls <= failures {
						_, err := tx.Exec(ctx, fmt.Sprintf(`DO $$ BEGIN RAISE EXCEPTION 'injected' USING ERRCODE = '%s'; END $$`, code))
						return err
					}
					return nil
				})
				u, gerr := s.GetUser(ctx, "u1")
				must(t, gerr)
				if failures < maxAttempts {
					if err != nil || calls != failures+1 || u.DisplayName != fmt.Sprint(calls) {
						t.Fatalf("%d failures: %v after %d calls, display name %q", failures, err, calls, u.DisplayName)
					}
					continue
				}
				if !errors.Is(err, store.ErrUnavailable) || calls != maxAttempts || u.DisplayName != "3" {
					t.Fatalf("lasting failure: %v after %d calls, display name %q; want %v after %d calls, nothing written",
						err, calls, u.DisplayName, store.ErrUnavailable, maxAttempts)
				}
			}
		})
	}
}

// TestErrors checks the mapping of failures to the store's errors.
func TestErrors(t *testing.T) {
	ctx := t.Context()
	t.Run("unreachable", func(t *testing.T) {
		// Nothing listens on port 1.
		_, err := Open(ctx, "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=5", Options{})
		if !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("Open of an unreachable database: %v, want %v", err, store.ErrUnavailable)
		}
	})
	t.Run("password not in errors", func(t *testing.T) {
		for _, dsn := range []string{
			"postgres://postgres:s3cr3t-pw@127.0.0.1:1/test?sslmode=disable",
			"postgres://postgres:s3cr3t-pw@127.0.0.1:1/test?sslmode=bogus",
			"host=127.0.0.1 port=1 password=s3cr3t-pw sslmode=disable",
			"postgres://postgres:s3cr3t-pw@[::1/test",
		} {
			_, err := Open(ctx, dsn, Options{})
			if err == nil || strings.Contains(err.Error(), "s3cr3t") {
				t.Fatalf("Open(%q): %v", dsn, err)
			}
		}
	})
	t.Run("op timeout", func(t *testing.T) {
		dsn := pgtest.DSN(t)
		s, err := Open(ctx, dsn, Options{OpTimeout: 200 * time.Millisecond})
		must(t, err)
		defer s.Close()
		must(t, s.CreateUser(ctx, store.User{ID: "u1", UPN: "a@b"}))
		// Another session holds the user's row lock: the update waits for
		// it until the bound runs out.
		other := open(t, dsn)
		tx, err := other.pool.Begin(ctx)
		must(t, err)
		defer tx.Rollback(ctx)
		_, err = tx.Exec(ctx, `SELECT 1 FROM users WHERE id = 'u1' FOR UPDATE`)
		must(t, err)
		_, err = s.UpdateUser(ctx, "u1", func(u *store.User) error { u.DisplayName = "x"; return nil })
		if !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("UpdateUser of a locked row: %v, want %v", err, store.ErrUnavailable)
		}
		// The caller's own cancellation is not the database's failure.
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err = s.GetUser(cctx, "u1")
		if !errors.Is(err, context.Canceled) || errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("GetUser with a cancelled context: %v", err)
		}
	})
}

func TestLoad(t *testing.T) {
	s := open(t, pgtest.DSN(t))
	ctx := t.Context()
	var users []store.User
	var methods []method.Method
	for i := range 50 {
		u := store.User{ID: fmt.Sprintf("u%02d", i), UPN: fmt.Sprintf("User%02d@X", i), AccountEnabled: true, Created: t0}
		users = append(users, u)
		if i%2 == 0 {
			m := testMethod(u.ID)
			if i%4 == 0 {
				m.Temporary = &method.QRCode{ID: "tmp-" + u.ID, Kind: method.Temporary, Start: t0, Expire: t0.Add(time.Hour), Verifier: []byte{0, 1}}
			}
			methods = append(methods, m)
		}
	}
	must(t, s.Load(ctx, users, methods))
	got, err := s.ListUsers(ctx, "", 0)
	must(t, err)
	if !slices.Equal(got, users) {
		t.Fatalf("users after Load: %v", got)
	}
	if u, err := s.GetUserByUPN(ctx, "user07@x"); err != nil || u.ID != "u07" {
		t.Fatalf("GetUserByUPN after Load: %v %v", u, err)
	}
	for _, m := range methods {
		g, err := s.GetMethod(ctx, m.UserID)
		must(t, err)
		if g.ID != m.ID || !sameCode(g.Standard, m.Standard) || !sameCode(g.Temporary, m.Temporary) || g.PIN != m.PIN {
			t.Fatalf("method after Load: %+v, want %+v", g, m)
		}
	}
	// A second load of the same ids conflicts and stores nothing.
	err = s.Load(ctx, []store.User{{ID: "new", UPN: "new@x"}}, []method.Method{testMethod("u02"), testMethod("u04")})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("Load of used ids: %v, want %v", err, store.ErrConflict)
	}
	if _, err := s.GetUser(ctx, "new"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("user of a failed Load: %v", err)
	}
	err = s.Load(ctx, nil, []method.Method{testMethod("missing")})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Load of a method without its user: %v, want %v", err, store.ErrNotFound)
	}
}

// TestQueriesUseIndexes checks the plans of the lookups behind the API's
// hot paths: an index, never a scan of a whole table.
func TestQueriesUseIndexes(t *testing.T) {
	s := open(t, pgtest.DSN(t))
	ctx := t.Context()
	// Enough rows that a sequential scan is not the cheapest plan.
	var users []store.User
	var methods []method.Method
	for i := range 2000 {
		u := store.User{ID: fmt.Sprintf("u%05d", i), UPN: fmt.Sprintf("u%05d@x", i)}
		users = append(users, u)
		methods = append(methods, testMethod(u.ID))
	}
	must(t, s.Load(ctx, users, methods))
	_, err := s.pool.Exec(ctx, `INSERT INTO role_assignments SELECT 'a' || id, id, 'r' FROM users`)
	must(t, err)
	must(t, s.CreateUnit(ctx, store.AdministrativeUnit{ID: "unit", DisplayName: "Unit"}))
	_, err = s.pool.Exec(ctx, `INSERT INTO unit_role_assignments SELECT 's' || id, id, 'r', 'unit' FROM users`)
	must(t, err)
	_, err = s.pool.Exec(ctx, `ANALYZE`)
	must(t, err)
	for _, q := range Explained {
		rows, err := s.pool.Query(ctx, `EXPLAIN `+q.SQL, q.Args("u00042", "u00042@x", "qr-u00042")...)
		must(t, err)
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		must(t, err)
		for _, l := range lines {
			if strings.Contains(l, "Seq Scan") {
				t.Errorf("%s scans a table:\n%s", q.Name, strings.Join(lines, "\n"))
				break
			}
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
	s := open(t, pgtest.DSN(t))
	tenant := store.RoleAssignment{ID: "a1", PrincipalID: "u1", RoleDefinitionID: "r"}
	scoped := store.RoleAssignment{ID: "a2", PrincipalID: "u1", RoleDefinitionID: "r", UnitID: "unit"}
	must(t, s.CreateUser(ctx, store.User{ID: "u1", UPN: "a@b"}))
	must(t, s.CreateUnit(ctx, store.AdministrativeUnit{ID: "unit", DisplayName: "Unit"}))
	must(t, s.CreateRoleAssignment(ctx, tenant))
	must(t, s.CreateRoleAssignment(ctx, scoped))

	fsys, err := fs.Sub(migrations, "migrations")
	must(t, err)
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithDisableGlobalRegistry(true))
	must(t, err)
	newest, err := p.GetDBVersion(ctx)
	must(t, err)
	tables := func() (n int) {
		t.Helper()
		must(t, s.pool.QueryRow(ctx,
			`SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'unit_role_assignments'`).Scan(&n))
		return n
	}
	_, err = p.DownTo(ctx, 21)
	must(t, err)
	if n := tables(); n != 0 {
		t.Fatalf("unit_role_assignments after 00022's Down: %d tables, want none", n)
	}
	rows, err := s.pool.Query(ctx, `SELECT id, principal_id, role_definition_id FROM role_assignments`)
	must(t, err)
	got, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) ([3]string, error) {
		var r [3]string
		return r, row.Scan(&r[0], &r[1], &r[2])
	})
	must(t, err)
	if want := [][3]string{{"a1", "u1", "r"}}; !slices.Equal(got, want) {
		t.Fatalf("role_assignments after 00022's Down: %v, want %v", got, want)
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
