package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// A fresh store on a fresh schema costs PostgreSQL about 50 ms of CPU:
// creating the schema, the migrations' tables and indexes, and dropping
// them all again. Deleting a few rows costs about 1 ms. A package whose
// tests open hundreds of stores (graph's API tests on PostgreSQL) spends
// most of its PostgreSQL time on that DDL, so its tests share schemas
// instead: each test still has a schema of its own while it runs, and the
// next test has it emptied.

// reuse is the process's pool of schemas that tests used and emptied.
var reuse struct {
	mu      sync.Mutex
	running bool                // Run is running the tests
	admin   *pgxpool.Pool       // connections to base, for creating, emptying and dropping schemas
	idle    map[string][]string // schemas ready for a test, by keep list
	all     []string            // every schema the pool created and has not dropped
}

// Run runs m's tests (m.Run) and then drops the schemas ReusedDSN kept for
// reuse, returning m.Run's code. A test package whose tests call ReusedDSN
// calls it from its TestMain: os.Exit(pgtest.Run(m)).
func Run(m *testing.M) int {
	reuse.mu.Lock()
	reuse.running = true
	reuse.mu.Unlock()
	code := m.Run()
	reuse.mu.Lock()
	defer reuse.mu.Unlock()
	reuse.running = false
	if reuse.admin == nil {
		return code
	}
	defer reuse.admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, schema := range reuse.all {
		if _, err := reuse.admin.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: dropping the reused schema %s: %v\n", schema, err)
			if code == 0 {
				code = 1
			}
		}
	}
	reuse.all, reuse.idle = nil, nil
	return code
}

// ReusedDSN is DSN for tests that do not change their schema's tables
// (they only read and write rows): it returns a DSN whose connections use
// a schema of the QRPIN_TEST_POSTGRES database that no other test is
// using, but not always a new one. It may be the schema of a test that
// ended, with every row deleted from its tables, except from those keep
// names (such as a migration tool's version table), and its sequences
// restarted. So the schema holds what the earlier test's migrations
// created: a store that migrates it on opening finds it up to date and
// skips the migrations' DDL. The schema is emptied when the test ends, or
// dropped when the test failed or the emptying did.
//
// It needs the package's TestMain to run the tests through Run, which
// drops the schemas at the end; without QRPIN_TEST_POSTGRES the test skips,
// or fails in CI (Unavailable).
func ReusedDSN(t testing.TB, keep ...string) string {
	t.Helper()
	base := BaseDSN(t)
	key := strings.Join(keep, ",")
	reuse.mu.Lock()
	if !reuse.running {
		reuse.mu.Unlock()
		t.Fatal("pgtest: ReusedDSN needs the package's TestMain to call pgtest.Run(m), which drops the reused schemas at the end")
	}
	if reuse.admin == nil {
		cfg, err := pgxpool.ParseConfig(base)
		if err == nil {
			cfg.MaxConns = 4
			reuse.admin, err = pgxpool.NewWithConfig(context.Background(), cfg)
		}
		if err != nil {
			reuse.mu.Unlock()
			t.Fatalf("pgtest: %s: %v", Env, err)
		}
	}
	var schema string
	if idle := reuse.idle[key]; len(idle) > 0 {
		schema = idle[len(idle)-1]
		reuse.idle[key] = idle[:len(idle)-1]
	}
	admin := reuse.admin
	reuse.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if schema == "" {
		b := make([]byte, 8)
		rand.Read(b)
		schema = "qrpin_test_reused_" + hex.EncodeToString(b)
		if _, err := admin.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
			t.Fatalf("pgtest: CREATE SCHEMA %s: %v", schema, err)
		}
		reuse.mu.Lock()
		reuse.all = append(reuse.all, schema)
		reuse.mu.Unlock()
	}
	t.Cleanup(func() { release(t, admin, schema, key, keep) })
	return schemaParams(t, base, schema)
}

// release empties schema for the next test, or drops it when the test
// failed or the emptying did.
func release(t testing.TB, admin *pgxpool.Pool, schema, key string, keep []string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var err error
	if !t.Failed() {
		if err = empty(ctx, admin, schema, keep); err == nil {
			reuse.mu.Lock()
			if reuse.idle == nil {
				reuse.idle = map[string][]string{}
			}
			reuse.idle[key] = append(reuse.idle[key], schema)
			reuse.mu.Unlock()
			return
		}
	}
	reuse.mu.Lock()
	reuse.all = slices.DeleteFunc(reuse.all, func(s string) bool { return s == schema })
	reuse.mu.Unlock()
	if _, derr := admin.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`); derr != nil {
		t.Errorf("pgtest: DROP SCHEMA %s: %v", schema, derr)
	}
	if err != nil {
		t.Errorf("pgtest: emptying the schema %s for the next test: %v", schema, err)
	}
}

// empty deletes, in one transaction, every row of schema's tables but
// those keep names, referencing tables before the tables they reference,
// and restarts its sequences.
func empty(ctx context.Context, admin *pgxpool.Pool, schema string, keep []string) error {
	return pgx.BeginFunc(ctx, admin, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT c.relname, c.relkind = 'S',
				coalesce(array_agg(r.relname) FILTER (WHERE r.relname IS NOT NULL AND r.oid <> c.oid), '{}')
			FROM pg_class c
			JOIN pg_namespace n ON n.oid = c.relnamespace
			LEFT JOIN pg_constraint f ON f.contype = 'f' AND f.confrelid = c.oid
			LEFT JOIN pg_class r ON r.oid = f.conrelid
			WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'S')
			GROUP BY c.relname, c.relkind`, schema)
		if err != nil {
			return err
		}
		var sequences []string
		referencedBy := map[string][]string{} // table: the tables with a foreign key to it
		for rows.Next() {
			var name string
			var isSequence bool
			var refs []string
			if err := rows.Scan(&name, &isSequence, &refs); err != nil {
				return err
			}
			switch {
			case isSequence:
				sequences = append(sequences, name)
			case !slices.Contains(keep, name):
				referencedBy[name] = refs
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		order, err := referencingFirst(referencedBy)
		if err != nil {
			return err
		}
		var sql strings.Builder
		for _, table := range order {
			fmt.Fprintf(&sql, "DELETE FROM %s;", pgx.Identifier{schema, table}.Sanitize())
		}
		for _, seq := range sequences {
			fmt.Fprintf(&sql, "ALTER SEQUENCE %s RESTART;", pgx.Identifier{schema, seq}.Sanitize())
		}
		if sql.Len() == 0 {
			return nil
		}
		_, err = tx.Exec(ctx, sql.String())
		return err
	})
}

// referencingFirst orders tables so that every table comes after the
// tables with a foreign key to it (referencedBy lists them; tables not in
// it are the kept ones, whose rows stay). It fails on a cycle.
func referencingFirst(referencedBy map[string][]string) ([]string, error) {
	names := make([]string, 0, len(referencedBy))
	for name := range referencedBy {
		names = append(names, name)
	}
	slices.Sort(names)
	var order []string
	state := map[string]int{} // 1: being visited, 2: placed
	var visit func(name string) error
	visit = func(name string) error {
		switch state[name] {
		case 1:
			return fmt.Errorf("the foreign keys of table %s form a cycle: its rows cannot be deleted table by table", name)
		case 2:
			return nil
		}
		state[name] = 1
		for _, ref := range referencedBy[name] {
			if _, ok := referencedBy[ref]; !ok {
				return fmt.Errorf("table %s, whose rows are kept, references table %s, whose rows are not", ref, name)
			}
			if err := visit(ref); err != nil {
				return err
			}
		}
		state[name] = 2
		order = append(order, name)
		return nil
	}
	for _, name := range names {
		if err := visit(name); err != nil {
			return nil, err
		}
	}
	return order, nil
}
