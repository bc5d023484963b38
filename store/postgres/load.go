package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
)

// Load stores many new users and their methods at once, in one transaction
// of three COPYs: far faster than CreateUser and CreateMethod one by one,
// for load tests and benchmarks. Every method's user must be among users or
// stored already. Like the Create* calls it returns store.ErrConflict when
// an id or UPN is in use and store.ErrNotFound when a method's user is
// missing, and then stores nothing.
func (s *Store) Load(ctx context.Context, users []store.User, methods []method.Method) error {
	return s.writeTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"users"},
			[]string{"id", "upn", "upn_key", "display_name", "account_enabled", "employee_id", "created"},
			pgx.CopyFromSlice(len(users), func(i int) ([]any, error) {
				u := users[i]
				return []any{u.ID, u.UPN, upnKey(u.UPN), u.DisplayName, u.AccountEnabled, u.EmployeeID, timeArg(u.Created)}, nil
			}))
		if err != nil {
			return err
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"methods"},
			[]string{"id", "user_id", "created",
				"pin_hash", "pin_length", "pin_force_change", "pin_created", "pin_updated",
				"lockout_failures", "lockout_locked_until", "lockout_disabled"},
			pgx.CopyFromSlice(len(methods), func(i int) ([]any, error) {
				m := methods[i]
				return []any{m.ID, m.UserID, timeArg(m.Created),
					m.PIN.Hash, m.PIN.Length, m.PIN.ForceChange, timeArg(m.PIN.Created), timeArg(m.PIN.Updated),
					m.Lockout.Failures, timeArg(m.Lockout.LockedUntil), m.Lockout.Disabled}, nil
			}))
		if err != nil {
			return err
		}
		type code struct {
			userID string
			kind   method.Kind
			c      *method.QRCode
		}
		var codes []code
		for _, m := range methods {
			for _, k := range kinds {
				if c := m.Code(k); c != nil {
					codes = append(codes, code{m.UserID, k, c})
				}
			}
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"qr_codes"},
			[]string{"id", "user_id", "kind", "start", "expire", "created", "last_used", "verifier"},
			pgx.CopyFromSlice(len(codes), func(i int) ([]any, error) {
				c := codes[i]
				verifier := c.c.Verifier
				if verifier == nil {
					verifier = []byte{}
				}
				return []any{c.c.ID, c.userID, string(c.kind), timeArg(c.c.Start), timeArg(c.c.Expire),
					timeArg(c.c.Created), timeArg(c.c.LastUsed), verifier}, nil
			}))
		return err
	})
}
