package graph_test

import (
	"bytes"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/qrpin/qrpin/store"
	"github.com/qrpin/qrpin/store/postgres"
	"github.com/qrpin/qrpin/store/postgres/pgtest"
	"github.com/qrpin/qrpin/store/sqlite/sqlitetest"
)

// The API tests run on either backend: SQLite by default, PostgreSQL when
// QRPIN_TEST_BACKEND=postgres (each test then gets a fresh schema of the
// QRPIN_TEST_POSTGRES database). TestAPIOnPostgres runs the package's tests
// again that way, so one `go test` covers both.
const backendEnv = "QRPIN_TEST_BACKEND"

// onPostgres reports whether this run's tests use PostgreSQL.
func onPostgres() bool { return os.Getenv(backendEnv) == "postgres" }

// pgDumps maps each PostgreSQL store a test opened to its dumper.
var pgDumps sync.Map

// pgDumper dumps one PostgreSQL store's schema for dumpStore, on one
// connection kept for the test: the authorization matrix dumps the store
// twice a request, and a connection and a catalog query for each dump were
// most of PostgreSQL's work in this package's run.
type pgDumper struct {
	dsn    string
	mu     sync.Mutex
	conn   *pgx.Conn // opened at the first dump
	tables []string  // the schema's tables, read at the first dump (tests do not change them)
}

func (d *pgDumper) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn != nil {
		d.conn.Close(context.Background())
		d.conn = nil
	}
}

// dump returns the tables and, by table, their rows as dumpRow renders
// them, read in one snapshot.
func (d *pgDumper) dump(t *testing.T) ([]string, map[string][]string) {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	ctx := context.Background()
	if d.conn == nil {
		conn, err := pgx.Connect(ctx, d.dsn)
		if err != nil {
			t.Fatal(err)
		}
		d.conn = conn
	}
	if d.tables == nil {
		// The tables information_schema.tables lists (base, partitioned,
		// view, foreign), without its slow view.
		rows, err := d.conn.Query(ctx, `SELECT c.relname::text FROM pg_class c
			WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
				AND c.relkind IN ('r', 'p', 'v', 'f')
			ORDER BY c.relname`)
		if err != nil {
			t.Fatal(err)
		}
		if d.tables, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			t.Fatal(err)
		}
	}
	rowsOf := map[string][]string{}
	err := pgx.BeginTxFunc(ctx, d.conn, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, table := range d.tables {
			b.Queue(`SELECT * FROM ` + pgx.Identifier{table}.Sanitize())
		}
		br := tx.SendBatch(ctx, b)
		defer br.Close()
		for _, table := range d.tables {
			rows, err := br.Query()
			if err != nil {
				return err
			}
			var cols []string
			for _, f := range rows.FieldDescriptions() {
				cols = append(cols, f.Name)
			}
			for rows.Next() {
				vals, err := rows.Values()
				if err != nil {
					rows.Close()
					return err
				}
				rowsOf[table] = append(rowsOf[table], dumpRow(cols, vals))
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return br.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
	return d.tables, rowsOf
}

// openTestStore opens an empty store for one test, closed when it ends: a
// SQLite database at sqlitePath, or a fresh PostgreSQL schema.
func openTestStore(t testing.TB, sqlitePath string) store.Store {
	t.Helper()
	var st store.Store
	switch b := os.Getenv(backendEnv); b {
	case "", "sqlite":
		return sqlitetest.Open(t, sqlitePath) // closed when t ends
	case "postgres":
		if os.Getenv(pgtest.Env) == "" {
			t.Fatalf("%s=postgres needs %s", backendEnv, pgtest.SkipMessage)
		}
		// A schema an earlier test used, emptied (or a new one): the API
		// tests only read and write rows, and migrating a new schema for
		// each of them was most of PostgreSQL's work in this run. goose
		// keeps its version rows there, so Open finds the schema up to
		// date (were they deleted, Open would fail creating the tables
		// again).
		dsn := pgtest.ReusedDSN(t, "goose_db_version")
		s, err := postgres.Open(context.Background(), dsn, postgres.Options{MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		d := &pgDumper{dsn: dsn}
		pgDumps.Store(store.Store(s), d)
		t.Cleanup(func() { pgDumps.Delete(store.Store(s)); d.close() })
		st = s
	default:
		t.Fatalf("%s=%q: want sqlite or postgres", backendEnv, b)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestAPIOnPostgres runs this package's other tests again on PostgreSQL (the
// same test binary, so the same -race build), and fails when they fail
// there. It needs QRPIN_TEST_POSTGRES (without it, it skips, or fails in
// CI); a -run pattern carries over.
//
// That run is the package's longest test, and a parallel test starts only
// when a slot of -parallel frees, which under -race took a quarter of the
// run: so when no -run, -skip or -list selects tests, TestMain starts the
// run before the tests and TestAPIOnPostgres only waits for it. TestMain
// also gives the package one parallel test more than the CPUs (the default
// of -parallel) when -parallel is not given: TestAPIOnPostgres holds a
// slot while it waits, and the other tests would otherwise share the rest.
func TestMain(m *testing.M) {
	flag.Parse()
	f := flag.Lookup("test.parallel")
	parallelGiven = f.Value.String() != f.DefValue
	if !parallelGiven && !onPostgres() && os.Getenv(pgtest.Env) != "" {
		f.Value.Set(strconv.Itoa(runtime.GOMAXPROCS(0) + 1))
	}
	ctx, cancel := context.WithCancel(context.Background())
	if !onPostgres() && os.Getenv(pgtest.Env) != "" && flagsEmpty("test.run", "test.skip", "test.list") {
		args := postgresRunArgs()
		if d, _ := time.ParseDuration(flag.Lookup("test.timeout").Value.String()); d > 0 {
			args = append(args, "-test.timeout="+d.String()) // it starts with this process
		}
		earlyRun = startPostgresRun(ctx, args)
	}
	code := pgtest.Run(m) // m.Run, then drops the schemas ReusedDSN kept
	cancel()
	if run := takeEarlyRun(); run != nil {
		run.wait() // TestAPIOnPostgres did not run (-failfast): reap the child
	}
	os.Exit(code)
}

// flagsEmpty reports whether each named flag is empty.
func flagsEmpty(names ...string) bool {
	for _, name := range names {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return false
		}
	}
	return true
}

// parallelGiven reports whether -parallel was given (TestAPIOnPostgres
// passes it on to its child, and only then).
var parallelGiven bool

// pgParallel is how many API tests the PostgreSQL run runs at once, unless
// -parallel is given.
const pgParallel = 8

// postgresRun is the run of the API tests on PostgreSQL, a child process.
type postgresRun struct {
	cmd   *exec.Cmd
	args  []string
	out   bytes.Buffer // its output, complete once wait returns
	start error
}

// earlyRun is the run TestMain started, until TestAPIOnPostgres takes it.
var (
	earlyMu  sync.Mutex
	earlyRun *postgresRun
)

func takeEarlyRun() *postgresRun {
	earlyMu.Lock()
	defer earlyMu.Unlock()
	run := earlyRun
	earlyRun = nil
	return run
}

// postgresRunArgs returns the child's flags but -test.timeout.
func postgresRunArgs() []string {
	const self = "TestAPIOnPostgres"
	args := []string{"-test.count=1"}
	skip := "^" + self + "$"
	if f := flag.Lookup("test.skip"); f != nil && f.Value.String() != "" {
		skip += "|" + f.Value.String()
	}
	args = append(args, "-test.skip="+skip)
	if f := flag.Lookup("test.run"); f != nil {
		// "-run TestAPIOnPostgres" asks for this test: the child runs everything.
		if run := f.Value.String(); run != "" && !regexp.MustCompile(`^\^?`+self+`\$?$`).MatchString(run) {
			args = append(args, "-test.run="+run)
		}
	}
	// The PostgreSQL run waits on round trips more than it computes: more
	// tests at once than the CPUs (test.parallel's default) halve its time.
	// Each test's store holds at most 4 connections, its dumps one more,
	// and pgtest's schema pool 4 in all: well within PostgreSQL's default
	// 100.
	args = append(args, fmt.Sprintf("-test.parallel=%d", pgParallel))
	for _, name := range []string{"test.v", "test.short", "test.failfast"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != f.DefValue {
			args = append(args, "-"+name+"="+f.Value.String())
		}
	}
	if parallelGiven {
		args = append(args, "-test.parallel="+flag.Lookup("test.parallel").Value.String())
	}
	return args
}

// startPostgresRun starts this test binary again with args, on PostgreSQL;
// cancelling ctx kills it.
func startPostgresRun(ctx context.Context, args []string) *postgresRun {
	run := &postgresRun{args: args}
	run.cmd = exec.CommandContext(ctx, os.Args[0], args...)
	run.cmd.Env = append(os.Environ(), backendEnv+"=postgres")
	run.cmd.Stdout = &run.out
	run.cmd.Stderr = &run.out
	run.start = run.cmd.Start()
	return run
}

// wait waits for the run to end and returns why it failed, if it did.
func (run *postgresRun) wait() error {
	if run.start != nil {
		return run.start
	}
	return run.cmd.Wait()
}

func TestAPIOnPostgres(t *testing.T) {
	t.Parallel()
	if onPostgres() {
		t.Skip("this is the PostgreSQL run")
	}
	if os.Getenv(pgtest.Env) == "" {
		pgtest.Unavailable(t, pgtest.SkipMessage+"; the API tests then run on PostgreSQL too")
	}
	run := takeEarlyRun()
	if run == nil {
		args := postgresRunArgs()
		if d, ok := t.Deadline(); ok {
			args = append(args, "-test.timeout="+time.Until(d).Round(time.Second).String())
		}
		run = startPostgresRun(t.Context(), args)
	}
	if err := run.wait(); err != nil {
		t.Fatalf("the API tests fail on PostgreSQL (%v): %s %s\n%s", err, os.Args[0], strings.Join(run.args, " "), run.out.Bytes())
	}
	if testing.Verbose() {
		t.Logf("the API tests on PostgreSQL:\n%s", run.out.Bytes())
	}
}

// dumpStore renders every table of the env's store as text, for either
// backend: "== table (n rows)", then one line per row (sorted), each
// "column=value | ...", with text as it is, bytes in hex (x'..'), times in
// RFC 3339 UTC and NULL as NULL.
func dumpStore(t *testing.T, e *env) string {
	t.Helper()
	ctx := context.Background()
	var tables []string
	rowsOf := map[string][]string{}
	if d, ok := pgDumps.Load(e.store); ok {
		tables, rowsOf = d.(*pgDumper).dump(t)
	} else {
		db, err := sql.Open("sqlite", e.dbPath+"?_query_only=on")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				t.Fatal(err)
			}
			tables = append(tables, name)
		}
		rows.Close()
		for _, table := range tables {
			rows, err := db.QueryContext(ctx, `SELECT * FROM "`+strings.ReplaceAll(table, `"`, `""`)+`"`)
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				rowsOf[table] = append(rowsOf[table], dumpRow(cols, vals))
			}
			if err := rows.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
	var sb strings.Builder
	for _, table := range tables {
		lines := rowsOf[table]
		slices.Sort(lines)
		fmt.Fprintf(&sb, "== %s (%d rows)\n", table, len(lines))
		for _, l := range lines {
			sb.WriteString(l)
			sb.WriteByte('\n')
		}
	}
	return sb.String()
}

func dumpRow(cols []string, vals []any) string {
	fields := make([]string, len(cols))
	for i, v := range vals {
		var s string
		switch v := v.(type) {
		case nil:
			s = "NULL"
		case []byte:
			s = fmt.Sprintf("x'%x'", v)
		case time.Time:
			s = v.UTC().Format(time.RFC3339Nano)
		default:
			s = fmt.Sprint(v)
		}
		fields[i] = cols[i] + "=" + s
	}
	return strings.Join(fields, " | ")
}

// TestDumpStore checks dumpStore on this run's backend: it shows what the
// store holds.
func TestDumpStore(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.user("dump.me@contoso.com")
	dump := dumpStore(t, e)
	for _, want := range []string{"== users (1 rows)", "id=" + u.ID, "upn=dump.me@contoso.com", "== settings (0 rows)"} {
		if !strings.Contains(dump, want) {
			t.Fatalf("the dump lacks %q:\n%s", want, dump)
		}
	}
}
