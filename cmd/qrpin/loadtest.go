package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/pin"
	"github.com/qrpin/qrpin/qr"
	"github.com/qrpin/qrpin/store"
	"github.com/qrpin/qrpin/store/postgres"
)

func loadTestUsersCmd() *cobra.Command {
	var c common
	var o loadOptions
	cmd := &cobra.Command{
		Use:   "load-test-users",
		Short: "Put many synthetic users, each with a QR code + PIN method, into a PostgreSQL database quickly",
		Long: "load-test-users adds --count users named <prefix>-<n>@<domain>, each with a QR code + PIN method (a\n" +
			"standard QR code and the one PIN --pin, hashed once), for load tests and benchmarks. It writes with\n" +
			"PostgreSQL's COPY, --batch users per transaction. The QR codes' secrets are not kept.",
		Example: `  qrpin load-test-users --db postgres://postgres@127.0.0.1:5432/qrpin --count 1000000 --pin 31415926`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !isPostgres(c.db.url) {
				return errNotPostgres
			}
			d, err := c.open(cmd.Context())
			if err != nil {
				return err
			}
			defer d.store.Close()
			return loadTestUsers(cmd.Context(), d, o, cmd.OutOrStdout())
		},
	}
	c.flags(cmd.Flags())
	fs := cmd.Flags()
	fs.IntVar(&o.count, "count", 1000, "users to add")
	fs.IntVar(&o.batch, "batch", 10000, "users per transaction")
	fs.StringVar(&o.prefix, "prefix", "load", "UPN prefix: users are <prefix>-<n>@<domain>, n from 1")
	fs.StringVar(&o.domain, "domain", "loadtest.example", "UPN domain")
	fs.StringVar(&o.pin, "pin", "", "every user's PIN (a valid PIN of the policy's length; required)")
	return cmd
}

// errNotPostgres refuses load-test-users on another database.
var errNotPostgres = errors.New("load-test-users writes to PostgreSQL only: --db must be a postgres:// URL")

type loadOptions struct {
	count, batch   int
	prefix, domain string
	pin            string
}

// loadTestUsers adds o.count synthetic users with methods through the
// PostgreSQL store's Load.
func loadTestUsers(ctx context.Context, d *deps, o loadOptions, out io.Writer) error {
	pg, ok := d.store.(*postgres.Store)
	if !ok {
		return errNotPostgres
	}
	policy, err := d.store.GetPolicy(ctx)
	if err != nil {
		return err
	}
	if err := pin.Check(o.pin, policy.PINLength); err != nil {
		return fmt.Errorf("--pin: %w", err)
	}
	hasher, err := pin.NewHasher(d.pepper, pin.DefaultParams)
	if err != nil {
		return err
	}
	hash, err := hasher.Hash(o.pin)
	if err != nil {
		return err
	}
	if o.batch < 1 {
		o.batch = 1
	}
	start := time.Now()
	now := start.UTC().Truncate(time.Microsecond)
	for first := 1; first <= o.count; first += o.batch {
		n := min(o.batch, o.count-first+1)
		users := make([]store.User, n)
		methods := make([]method.Method, n)
		for i := range n {
			u := store.User{
				ID:             uuid.NewString(),
				UPN:            fmt.Sprintf("%s-%d@%s", o.prefix, first+i, o.domain),
				DisplayName:    fmt.Sprintf("Load test user %d", first+i),
				AccountEnabled: true,
				Created:        now,
			}
			secret, err := qr.NewSecret()
			if err != nil {
				return err
			}
			users[i] = u
			methods[i] = method.Method{
				ID: uuid.NewString(), UserID: u.ID, Created: now,
				Standard: &method.QRCode{
					ID: uuid.NewString(), Kind: method.Standard, Created: now,
					Start: now, Expire: now.AddDate(0, 0, policy.StandardLifetimeDays),
					Verifier: qr.Verifier(d.pepper, secret),
				},
				PIN: method.PIN{Hash: hash, Length: len(o.pin), ForceChange: false, Created: now, Updated: now},
			}
		}
		if err := pg.Load(ctx, users, methods); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("users %d to %d: %w (loaded before? choose another --prefix)", first, first+n-1, err)
			}
			return err
		}
		fmt.Fprintf(out, "%d users\n", first+n-1)
	}
	elapsed := time.Since(start)
	fmt.Fprintf(out, "loaded %d users with methods in %v (%.0f users/s)\n",
		o.count, elapsed.Round(time.Millisecond), float64(o.count)/elapsed.Seconds())
	return nil
}
