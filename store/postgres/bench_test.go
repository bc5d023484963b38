package postgres

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/pin"
	"github.com/qrpin/qrpin/pinflow"
	"github.com/qrpin/qrpin/store"
	"github.com/qrpin/qrpin/store/postgres/pgtest"
)

// benchUsersEnv sets how many users BenchmarkScale loads: a number, or
// several separated by commas (default 1000).
const benchUsersEnv = "QRPIN_BENCH_USERS"

// benchData is one loaded database of the scale benchmark.
type benchData struct {
	n                int
	sync, async      *admin.Service // commits waiting for the WAL flush, or not
	ids, upns, codes []string
	explain          *Store
}

// BenchmarkScale measures the management service's hot paths on PostgreSQL
// databases holding QRPIN_BENCH_USERS users (1000 unless set; several
// sizes, comma-separated, are measured side by side, so that they meet the
// same machine), each with a QR code + PIN method, loaded with COPY: GET
// method by object id and by UPN (user lookup, the user's role
// assignments, the method) and the admin PIN reset (the same lookups, then
// UpdateMethod), with commits that wait for the WAL flush (PostgreSQL's
// default) and without (ResetPIN-async-commit: the database's work alone).
// Each iteration picks a user at random. The PIN reset hashes with cheap
// Argon2id parameters, so that it measures the database, not Argon2id
// (whose cost does not depend on the number of users: see pin's
// BenchmarkHash).
//
// With QRPIN_BENCH_PLANS=1 it also logs EXPLAIN ANALYZE of the statements
// behind these paths. See BENCHMARKS.md for the commands and results.
func BenchmarkScale(b *testing.B) {
	sizes := []int{1000}
	if v := os.Getenv(benchUsersEnv); v != "" {
		sizes = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				b.Fatalf("%s=%q: want positive numbers, comma-separated", benchUsersEnv, v)
			}
			sizes = append(sizes, n)
		}
	}
	ctx := context.Background()
	pepper := bytes.Repeat([]byte{7}, 32)
	hasher, err := pin.NewHasher(pepper, pin.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
	if err != nil {
		b.Fatal(err)
	}
	hash, err := hasher.Hash("31415926")
	if err != nil {
		b.Fatal(err)
	}
	tenant := uuid.NewString()
	p := auth.Principal{Kind: auth.Application, ObjectID: uuid.NewString(), AppID: uuid.NewString(), TenantID: tenant,
		Roles: []string{"UserAuthMethod-QR.ReadWrite.All", "User.ReadWrite.All"}}

	var data []*benchData
	for _, n := range sizes {
		// pgtest's schemas do not wait for the WAL flush at commit; the
		// benchmark sets it both ways.
		dsn := pgtest.DSN(b)
		sync, async := openBench(b, dsn, "on"), openBench(b, dsn, "off")
		start := time.Now()
		d := &benchData{n: n, explain: sync}
		d.ids, d.upns, d.codes = loadBenchUsers(ctx, b, async, n, hash)
		if _, err := sync.pool.Exec(ctx, `ANALYZE`); err != nil {
			b.Fatal(err)
		}
		b.Logf("loaded %d users with methods in %v", n, time.Since(start).Round(time.Millisecond))
		d.sync = &admin.Service{Config: pinflow.Config{Store: sync, PINs: hasher, Pepper: pepper, TenantID: tenant, Lockout: method.DefaultLockout}}
		d.async = &admin.Service{Config: pinflow.Config{Store: async, PINs: hasher, Pepper: pepper, TenantID: tenant, Lockout: method.DefaultLockout}}
		data = append(data, d)
	}
	rng := rand.New(rand.NewPCG(1, 2))

	ops := []struct {
		name string
		run  func(d *benchData, i int) error
	}{
		{"GetMethodByID", func(d *benchData, i int) error {
			_, _, err := d.sync.GetMethod(ctx, p, admin.UserRef{Key: d.ids[i]})
			return err
		}},
		{"GetMethodByUPN", func(d *benchData, i int) error {
			_, _, err := d.sync.GetMethod(ctx, p, admin.UserRef{Key: d.upns[i]})
			return err
		}},
		{"ResetPIN", func(d *benchData, i int) error {
			_, err := d.sync.ResetPIN(ctx, p, admin.UserRef{Key: d.ids[i]})
			return err
		}},
		{"ResetPIN-async-commit", func(d *benchData, i int) error {
			_, err := d.async.ResetPIN(ctx, p, admin.UserRef{Key: d.ids[i]})
			return err
		}},
	}
	for _, op := range ops {
		for _, d := range data {
			b.Run(fmt.Sprintf("%s/users=%d", op.name, d.n), func(b *testing.B) {
				for b.Loop() {
					if err := op.run(d, rng.IntN(d.n)); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}

	if os.Getenv("QRPIN_BENCH_PLANS") != "" {
		for _, d := range data {
			i := rng.IntN(d.n)
			b.Logf("plans for user %s (%s) of %d:\n%s", d.ids[i], d.upns[i], d.n,
				explainAll(ctx, b, d.explain, d.ids[i], d.upns[i], d.codes[i]))
		}
	}
}

// openBench opens a Store on dsn with synchronous_commit set to sync, and
// closes it when the benchmark ends.
func openBench(b *testing.B, dsn, sync string) *Store {
	dsn, err := pgtest.WithParam(dsn, "synchronous_commit", sync)
	if err != nil {
		b.Fatal(err)
	}
	s, err := Open(context.Background(), dsn, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// loadBenchUsers loads n users with methods in batches and returns their
// ids, UPNs and standard code ids.
func loadBenchUsers(ctx context.Context, b *testing.B, s *Store, n int, pinHash string) (ids, upns, codes []string) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	const batch = 10000
	for first := 0; first < n; first += batch {
		size := min(batch, n-first)
		users := make([]store.User, size)
		methods := make([]method.Method, size)
		for i := range size {
			u := store.User{ID: uuid.NewString(), UPN: fmt.Sprintf("bench-%d@bench.example", first+i),
				DisplayName: fmt.Sprint("Bench user ", first+i), AccountEnabled: true, Created: now}
			users[i] = u
			methods[i] = method.Method{ID: uuid.NewString(), UserID: u.ID, Created: now,
				Standard: &method.QRCode{ID: uuid.NewString(), Kind: method.Standard, Start: now, Expire: now.AddDate(1, 0, 0),
					Created: now, Verifier: bytes.Repeat([]byte{byte(i)}, 32)},
				PIN: method.PIN{Hash: pinHash, Length: 8, Created: now, Updated: now},
			}
			ids = append(ids, u.ID)
			upns = append(upns, u.UPN)
			codes = append(codes, methods[i].Standard.ID)
		}
		if err := s.Load(ctx, users, methods); err != nil {
			b.Fatal(err)
		}
	}
	return ids, upns, codes
}

// explainAll runs EXPLAIN (ANALYZE, BUFFERS) of each statement in Explained
// for one user, in a transaction it rolls back (ANALYZE runs them).
func explainAll(ctx context.Context, b *testing.B, s *Store, id, upn, code string) string {
	var out strings.Builder
	for _, q := range Explained {
		tx, err := s.pool.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		rows, err := tx.Query(ctx, `EXPLAIN (ANALYZE, BUFFERS) `+q.SQL, q.Args(id, upn, code)...)
		if err != nil {
			b.Fatal(err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			b.Fatal(err)
		}
		tx.Rollback(ctx)
		fmt.Fprintf(&out, "-- %s\n%s\n%s\n\n", q.Name, strings.Join(strings.Fields(q.SQL), " "), strings.Join(lines, "\n"))
	}
	return out.String()
}
