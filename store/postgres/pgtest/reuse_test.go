package pgtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(Run(m)) }

// query returns the first column of a query's rows on dsn, as text.
func query(t *testing.T, dsn, sql string, args ...any) []string {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(t.Context(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
}

// TestReusedDSN: the next test (sequential subtests, with a keep list of
// their own) has the schema of the one before, its tables still there,
// their rows deleted (foreign keys in any direction notwithstanding), but
// the kept table's rows, and its sequences restarted. A schema in use is
// no other test's; a test with another keep list never has one of them.
func TestReusedDSN(t *testing.T) {
	keep := []string{"versions_of_test_reused_dsn"}
	var first string
	t.Run("first", func(t *testing.T) {
		dsn := ReusedDSN(t, keep...)
		first = query(t, dsn, `SELECT current_schema()::text`)[0]
		if !strings.HasPrefix(first, "qrpin_test_reused_") {
			t.Fatalf("schema %q, want a qrpin_test_reused_ one", first)
		}
		Exec(t, dsn, `
			CREATE TABLE versions_of_test_reused_dsn (v int);
			INSERT INTO versions_of_test_reused_dsn VALUES (1), (2);
			CREATE SEQUENCE counter;
			SELECT nextval('counter'), nextval('counter');
			-- created children first, so that neither the names' order nor
			-- the creation order is the order the rows can be deleted in
			CREATE TABLE c (id int PRIMARY KEY);
			CREATE TABLE b (id int PRIMARY KEY, c int REFERENCES c);
			CREATE TABLE a (id int PRIMARY KEY, b int REFERENCES b, parent int REFERENCES a);
			INSERT INTO c VALUES (1);
			INSERT INTO b VALUES (1, 1);
			INSERT INTO a VALUES (1, 1, NULL), (2, 1, 1);`)
		other := ReusedDSN(t, keep...)
		if s := query(t, other, `SELECT current_schema()::text`)[0]; s == first {
			t.Fatalf("two schemas in use at once are both %s", s)
		}
	})
	// Both schemas of the first test are idle now; the second test has the
	// first's back (the last one released), the third, with another keep
	// list, has neither.
	t.Run("second", func(t *testing.T) {
		dsn := ReusedDSN(t, keep...)
		if s := query(t, dsn, `SELECT current_schema()::text`)[0]; s != first {
			t.Fatalf("schema %s, want the first test's %s, emptied", s, first)
		}
		got := query(t, dsn, `SELECT (SELECT count(*) FROM a) || ' ' || (SELECT count(*) FROM b) || ' ' || (SELECT count(*) FROM c)`)[0]
		if got != "0 0 0" {
			t.Errorf("rows left in a, b, c: %s, want 0 0 0", got)
		}
		if got := query(t, dsn, `SELECT string_agg(v::text, ',' ORDER BY v) FROM versions_of_test_reused_dsn`)[0]; got != "1,2" {
			t.Errorf("the kept table holds %q, want 1,2", got)
		}
		if got := query(t, dsn, `SELECT nextval('counter')::text`)[0]; got != "1" {
			t.Errorf("the sequence goes on at %s, want 1 (restarted)", got)
		}
	})
	t.Run("third", func(t *testing.T) {
		for range 2 {
			dsn := ReusedDSN(t, "another keep list")
			if s := query(t, dsn, `SELECT count(*)::text FROM pg_tables WHERE schemaname = current_schema()`)[0]; s != "0" {
				t.Fatalf("a schema with %s tables, want a new one (no schema of this keep list was released)", s)
			}
		}
	})
}

// TestReusedSchemaOfAFailedTestDropped: the schema of a test that failed
// is dropped, not kept for another test; so is one whose rows cannot be
// deleted, and that test fails saying why.
func TestReusedSchemaOfAFailedTestDropped(t *testing.T) {
	base := BaseDSN(t)
	for _, tc := range []struct {
		name   string
		failed bool
		setup  string
		errs   []string
	}{
		{"failed", true, `CREATE TABLE x (id int)`, nil},
		{"kept table references a deleted one", false, `CREATE TABLE x (id int PRIMARY KEY); CREATE TABLE kept (x int REFERENCES x)`,
			[]string{"emptying the schema", "table kept, whose rows are kept, references table x, whose rows are not"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var schema string
			rec := &recorder{TB: t, failed: tc.failed}
			func() {
				// The cleanups of ReusedDSN run as the inner test ends;
				// rec stands for that test.
				dsn := ReusedDSN(rec, "kept")
				schema = query(t, dsn, `SELECT current_schema()::text`)[0]
				Exec(t, dsn, tc.setup)
			}()
			rec.cleanup()
			if n := query(t, base, `SELECT count(*)::text FROM pg_namespace WHERE nspname = $1`, schema)[0]; n != "0" {
				t.Errorf("the schema %s is still there", schema)
			}
			reuse.mu.Lock()
			inPool := slices.Contains(reuse.idle["kept"], schema) || slices.Contains(reuse.all, schema)
			reuse.mu.Unlock()
			if inPool {
				t.Errorf("the dropped schema %s is still in the pool", schema)
			}
			msg := strings.Join(rec.errs, "\n")
			for _, want := range tc.errs {
				if !strings.Contains(msg, want) {
					t.Errorf("the errors %q lack %q", msg, want)
				}
			}
			if len(tc.errs) == 0 && msg != "" {
				t.Errorf("errors %q, want none", msg)
			}
		})
	}
}

// recorder is a test whose cleanups run when cleanup is called and whose
// errors are recorded, not reported.
type recorder struct {
	testing.TB
	failed   bool
	cleanups []func()
	errs     []string
}

func (r *recorder) Failed() bool              { return r.failed }
func (r *recorder) Cleanup(f func())          { r.cleanups = append(r.cleanups, f) }
func (r *recorder) Errorf(f string, a ...any) { r.errs = append(r.errs, fmt.Sprintf(f, a...)) }
func (r *recorder) cleanup() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

// TestReferencingFirst: every table comes after the tables that reference
// it; a cycle, or a kept table referencing an emptied one, is an error.
func TestReferencingFirst(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		referencedBy map[string][]string
		want         string // the order, or the error
	}{
		{"none", map[string][]string{}, ""},
		{"chain", map[string][]string{"c": {"b"}, "b": {"a"}, "a": nil}, "a b c"},
		{"diamond", map[string][]string{"d": {"b", "c"}, "b": {"a"}, "c": {"a"}, "a": nil}, "a b c d"},
		{"cycle", map[string][]string{"a": {"b"}, "b": {"a"}}, "the foreign keys of table a form a cycle: its rows cannot be deleted table by table"},
		{"kept references", map[string][]string{"a": {"kept"}}, "table kept, whose rows are kept, references table a, whose rows are not"},
	} {
		order, err := referencingFirst(tc.referencedBy)
		got := strings.Join(order, " ")
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

// runChildEnv makes TestRunChild the child of TestRunDropsReusedSchemas.
const runChildEnv = "PGTEST_RUN_CHILD"

// TestRunDropsReusedSchemas: when the tests end, Run drops the schemas
// ReusedDSN kept. A child process runs TestRunChild, which prints the
// schemas it had; they are gone when the child has exited.
func TestRunDropsReusedSchemas(t *testing.T) {
	t.Parallel()
	base := BaseDSN(t)
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestRunChild$", "-test.v")
	cmd.Env = append(os.Environ(), runChildEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the child: %v\n%s", err, out)
	}
	schemas := regexp.MustCompile(`schema (qrpin_test_reused_[0-9a-f]+)`).FindAllStringSubmatch(string(out), -1)
	if len(schemas) != 2 {
		t.Fatalf("the child printed %d schemas, want 2:\n%s", len(schemas), out)
	}
	for _, m := range schemas {
		if n := query(t, base, `SELECT count(*)::text FROM pg_namespace WHERE nspname = $1`, m[1])[0]; n != "0" {
			t.Errorf("the schema %s is still there after the child's Run", m[1])
		}
	}
}

// TestRunChild is TestRunDropsReusedSchemas's child: it takes two schemas
// (the second while the first is in use) and names them.
func TestRunChild(t *testing.T) {
	if os.Getenv(runChildEnv) == "" {
		t.Skip("the child of TestRunDropsReusedSchemas")
	}
	for range 2 {
		dsn := ReusedDSN(t)
		t.Logf("schema %s", query(t, dsn, `SELECT current_schema()::text`)[0])
	}
}
