package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/spf13/cobra"

	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
)

func migrateDataCmd() *cobra.Command {
	var from string
	var to dbFlags
	cmd := &cobra.Command{
		Use:   "migrate-data",
		Short: "Copy everything from an embedded (SQLite) data directory into a PostgreSQL database",
		Long: "migrate-data copies users, groups and their members, administrative units and their members,\n" +
			"applications, role assignments, QR code + PIN\n" +
			"methods (codes and lockout state included), the tenant policy, the audit logs and the settings (tenant id, pepper check) from the\n" +
			"SQLite database of a data directory into a PostgreSQL database, then checks that the target holds as\n" +
			"many of each as the source. Stop the servers on the data directory first. Rows the target already\n" +
			"holds are skipped when equal (so the command can run again), and reported when they differ.\n" +
			"Then run every server with --db <the URL> and the same data directory's pepper and keys.",
		Example: `  qrpin migrate-data --from ./qrpin-data --to 'postgres://qrpin:secret@db:5432/qrpin?sslmode=require'`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return migrateData(cmd.Context(), from, to, cmd.OutOrStdout())
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&from, "from", "", "the data directory to copy from: its qrpin.db, pepper and keys")
	fs.StringVar(&to.url, "to", "", "the PostgreSQL URL to copy into")
	to.poolFlags(fs)
	return cmd
}

// migrateData copies the store of the data directory from into the
// PostgreSQL database to names, then verifies the counts.
func migrateData(ctx context.Context, from string, to dbFlags, out io.Writer) error {
	if from == "" || to.url == "" {
		return errors.New("give --from (a data directory) and --to (a postgres:// URL)")
	}
	if !isPostgres(to.url) {
		return errors.New("--to: want a postgres:// or postgresql:// URL")
	}
	if _, err := os.Stat(filepath.Join(from, "qrpin.db")); err != nil {
		return fmt.Errorf("--from: no qrpin database in %s: %w", from, err)
	}
	// The source opens like any command's data directory: its pepper check
	// is recorded if it was not yet, and copied with the other settings.
	src, err := (&common{data: from}).open(ctx)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	defer src.store.Close()
	dst, err := to.openStore(ctx, "")
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	defer dst.Close()

	fmt.Fprintf(out, "copying %s into PostgreSQL\n", filepath.Join(from, "qrpin.db"))
	c := &copier{src: src.store, dst: dst, workers: max(1, int(to.pool.MaxConns))}
	for _, step := range c.steps() {
		n, err := step.copy(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", step.name, err)
		}
		fmt.Fprintf(out, "%-17s %9d copied %9d already there\n", step.name, n.copied.Load(), n.skipped.Load())
	}
	return c.verify(ctx, out)
}

// copier copies one store into another. Its steps run in an order that
// respects references: settings first (the tenant id must be the source's),
// users before their methods and memberships.
type copier struct {
	src, dst store.Store
	workers  int // users copied at once

	users, methods, codes, groups, members, applications, assignments count
	units, unitMembers, signInLogs, audits                            count
}

// count is how many rows of one kind were copied and found already there.
type count struct{ copied, skipped atomic.Int64 }

func (n *count) add(copied bool) {
	if copied {
		n.copied.Add(1)
	} else {
		n.skipped.Add(1)
	}
}

func (n *count) total() int64 { return n.copied.Load() + n.skipped.Load() }

type step struct {
	name string
	copy func(context.Context) (*count, error)
}

func (c *copier) steps() []step {
	return []step{
		{"settings", c.copySettings},
		{"users", c.copyUsers},
		{"methods", func(context.Context) (*count, error) { return &c.methods, nil }}, // copied with their users
		{"QR codes", func(context.Context) (*count, error) { return &c.codes, nil }},
		{"groups", c.copyGroups},
		{"group members", func(context.Context) (*count, error) { return &c.members, nil }}, // with their groups
		{"units", c.copyUnits},
		{"unit members", func(context.Context) (*count, error) { return &c.unitMembers, nil }}, // with their units
		{"applications", c.copyApplications},
		{"role assignments", c.copyRoleAssignments},
		{"policy", c.copyPolicy},
		{"sign-in logs", func(ctx context.Context) (*count, error) {
			return &c.signInLogs, copyLog(ctx, &c.signInLogs, c.src.ListSignInLogs, c.dst.AddSignInLog,
				func(e store.SignInLog) string { return e.ID })
		}},
		{"directory audits", func(ctx context.Context) (*count, error) {
			return &c.audits, copyLog(ctx, &c.audits, c.src.ListDirectoryAudits, c.dst.AddDirectoryAudit,
				func(e store.DirectoryAudit) string { return e.ID })
		}},
	}
}

// created turns the error of a Create call into whether it created the
// row: a conflict means the row may be there already, and same checks
// that it is (and equal).
func created(err error, same func() error) (bool, error) {
	if errors.Is(err, store.ErrConflict) {
		return false, same()
	}
	return err == nil, err
}

func (c *copier) copySettings(ctx context.Context) (*count, error) {
	var n count
	settings, err := c.src.ListSettings(ctx)
	if err != nil {
		return nil, err
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range settings {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range keys {
		v, err := c.dst.Setting(ctx, k, settings[k])
		if err != nil {
			return nil, err
		}
		if v != settings[k] {
			// Never print values: pepper_check must not help guess a pepper.
			return nil, fmt.Errorf("the target's %q differs from the source's: the target database belongs to "+
				"another qrpin installation (copy into an empty database)", k)
		}
		n.add(true)
	}
	return &n, nil
}

func (c *copier) copyUsers(ctx context.Context) (*count, error) {
	after := ""
	for {
		page, err := c.src.ListUsers(ctx, after, 1000)
		if err != nil || len(page) == 0 {
			return &c.users, err
		}
		if err := forEach(ctx, c.workers, page, c.copyUser); err != nil {
			return nil, err
		}
		after = page[len(page)-1].ID
	}
}

// copyUser copies a user and their method.
func (c *copier) copyUser(ctx context.Context, u store.User) error {
	ok, err := created(c.dst.CreateUser(ctx, u), func() error {
		got, err := c.dst.GetUser(ctx, u.ID)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("user %s: the target has another user with the UPN %s", u.ID, u.UPN)
		}
		if err == nil && !sameUser(got, u) {
			err = fmt.Errorf("user %s differs in the target", u.ID)
		}
		return err
	})
	if err != nil {
		return err
	}
	c.users.add(ok)

	m, err := c.src.GetMethod(ctx, u.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	ok, err = created(c.dst.CreateMethod(ctx, m), func() error {
		got, err := c.dst.GetMethod(ctx, u.ID)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("method of user %s: a QR code id is another user's in the target", u.ID)
		}
		if err == nil && !sameMethod(got, m) {
			err = fmt.Errorf("method of user %s differs in the target (was the source in use during the copy?)", u.ID)
		}
		return err
	})
	if err != nil {
		return err
	}
	c.methods.add(ok)
	for _, k := range []method.Kind{method.Standard, method.Temporary} {
		if m.Code(k) != nil {
			c.codes.add(ok)
		}
	}
	return nil
}

func (c *copier) copyGroups(ctx context.Context) (*count, error) {
	after := ""
	for {
		page, err := c.src.ListGroups(ctx, after, 1000)
		if err != nil || len(page) == 0 {
			return &c.groups, err
		}
		for _, g := range page {
			if err := c.copyGroup(ctx, g); err != nil {
				return nil, err
			}
		}
		after = page[len(page)-1].ID
	}
}

// copyGroup copies a group and its members.
func (c *copier) copyGroup(ctx context.Context, g store.Group) error {
	ok, err := created(c.dst.CreateGroup(ctx, g), func() error {
		got, err := c.dst.GetGroup(ctx, g.ID)
		if err == nil && !(got.DisplayName == g.DisplayName && got.Description == g.Description &&
			got.MailNickname == g.MailNickname && got.Created.Equal(g.Created)) {
			err = fmt.Errorf("group %s differs in the target", g.ID)
		}
		return err
	})
	if err != nil {
		return err
	}
	c.groups.add(ok)
	after := ""
	for {
		page, err := c.src.ListGroupMembers(ctx, g.ID, after, 1000)
		if err != nil || len(page) == 0 {
			return err
		}
		err = forEach(ctx, c.workers, page, func(ctx context.Context, u store.User) error {
			// A conflict: the user is a member already, which is all there is to compare.
			ok, err := created(c.dst.AddGroupMember(ctx, g.ID, u.ID), func() error { return nil })
			if err == nil {
				c.members.add(ok)
			}
			return err
		})
		if err != nil {
			return err
		}
		after = page[len(page)-1].ID
	}
}

func (c *copier) copyUnits(ctx context.Context) (*count, error) {
	after := ""
	for {
		page, err := c.src.ListUnits(ctx, after, 1000)
		if err != nil || len(page) == 0 {
			return &c.units, err
		}
		for _, u := range page {
			if err := c.copyUnit(ctx, u); err != nil {
				return nil, err
			}
		}
		after = page[len(page)-1].ID
	}
}

// copyUnit copies an administrative unit and its members (users and
// groups, copied before it).
func (c *copier) copyUnit(ctx context.Context, u store.AdministrativeUnit) error {
	ok, err := created(c.dst.CreateUnit(ctx, u), func() error {
		got, err := c.dst.GetUnit(ctx, u.ID)
		if err == nil && !(got.DisplayName == u.DisplayName && got.Description == u.Description &&
			got.Visibility == u.Visibility && got.Created.Equal(u.Created)) {
			err = fmt.Errorf("administrative unit %s differs in the target", u.ID)
		}
		return err
	})
	if err != nil {
		return err
	}
	c.units.add(ok)
	after := ""
	for {
		page, err := c.src.ListUnitMembers(ctx, u.ID, after, 1000)
		if err != nil || len(page) == 0 {
			return err
		}
		err = forEach(ctx, c.workers, page, func(ctx context.Context, m store.UnitMember) error {
			ok, err := created(c.dst.AddUnitMember(ctx, u.ID, m.ID()), func() error { return nil })
			if err == nil {
				c.unitMembers.add(ok)
			}
			return err
		})
		if err != nil {
			return err
		}
		after = page[len(page)-1].ID()
	}
}

func (c *copier) copyApplications(ctx context.Context) (*count, error) {
	after := ""
	for {
		page, err := c.src.ListApplications(ctx, after, 100)
		if err != nil || len(page) == 0 {
			return &c.applications, err
		}
		for _, a := range page {
			ok, err := created(c.dst.CreateApplication(ctx, a), func() error {
				got, err := c.dst.GetApplication(ctx, a.ID)
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("application %s: the target has another application with its appId or service principal", a.ID)
				}
				if err == nil && !sameApplication(got, a) {
					err = fmt.Errorf("application %s differs in the target", a.ID)
				}
				return err
			})
			if err != nil {
				return nil, err
			}
			c.applications.add(ok)
		}
		after = page[len(page)-1].ID
	}
}

func (c *copier) copyRoleAssignments(ctx context.Context) (*count, error) {
	n := &c.assignments
	list, err := c.src.ListRoleAssignments(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, a := range list {
		ok, err := created(c.dst.CreateRoleAssignment(ctx, a), func() error {
			held, err := c.dst.ListRoleAssignments(ctx, a.PrincipalID)
			if err == nil && !slices.Contains(held, a) {
				err = fmt.Errorf("role assignment %s differs in the target", a.ID)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		n.add(ok)
	}
	return n, nil
}

// copyPolicy sets the target's policy to the source's, unless it is that
// already. A target policy that is neither the default nor the source's is
// reported.
func (c *copier) copyPolicy(ctx context.Context) (*count, error) {
	var n count
	want, err := c.src.GetPolicy(ctx)
	if err != nil {
		return nil, err
	}
	_, err = c.dst.UpdatePolicy(ctx, func(p *method.Policy) error {
		switch {
		case samePolicy(*p, want):
			n.skipped.Store(1)
			return errSame
		case samePolicy(*p, method.DefaultPolicy()):
			*p = want
			n.copied.Store(1)
			return nil
		}
		return errors.New("the target's policy differs from the source's and from the default")
	})
	if errors.Is(err, errSame) {
		err = nil
	}
	return &n, err
}

// copyLog copies a log, newest entry first, a page at a time. Entries do
// not change: one whose id the target holds is there already.
func copyLog[E any](ctx context.Context, n *count, list func(context.Context, store.AuditFilter, int) ([]E, error),
	add func(context.Context, E) error, id func(E) string) error {
	var f store.AuditFilter
	for {
		page, err := list(ctx, f, 1000)
		if err != nil || len(page) == 0 {
			return err
		}
		for _, e := range page {
			ok, err := created(add(ctx, e), func() error { return nil })
			if err != nil {
				return err
			}
			n.add(ok)
		}
		f.Before = id(page[len(page)-1])
	}
}

// countLog counts a log's entries.
func countLog[E any](ctx context.Context, list func(context.Context, store.AuditFilter, int) ([]E, error), id func(E) string) (int64, error) {
	var f store.AuditFilter
	var n int64
	for {
		page, err := list(ctx, f, 1000)
		if err != nil || len(page) == 0 {
			return n, err
		}
		n += int64(len(page))
		f.Before = id(page[len(page)-1])
	}
}

// errSame stops an update that would change nothing.
var errSame = errors.New("same")

// verify counts what the target holds and checks it against what was
// copied or found there: the target must hold exactly the source's rows.
func (c *copier) verify(ctx context.Context, out io.Writer) error {
	var users, methods, codes, groups, members int64
	after := ""
	for {
		page, err := c.dst.ListUsers(ctx, after, 1000)
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		if len(page) == 0 {
			break
		}
		var pageMethods, pageCodes atomic.Int64
		err = forEach(ctx, c.workers, page, func(ctx context.Context, u store.User) error {
			m, err := c.dst.GetMethod(ctx, u.ID)
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			pageMethods.Add(1)
			for _, c := range []*method.QRCode{m.Standard, m.Temporary} {
				if c != nil {
					pageCodes.Add(1)
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		users += int64(len(page))
		methods += pageMethods.Load()
		codes += pageCodes.Load()
		after = page[len(page)-1].ID
	}
	after = ""
	for {
		page, err := c.dst.ListGroups(ctx, after, 1000)
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		if len(page) == 0 {
			break
		}
		for _, g := range page {
			ms, err := c.dst.ListGroupMembers(ctx, g.ID, "", 0)
			if err != nil {
				return fmt.Errorf("verify: %w", err)
			}
			members += int64(len(ms))
		}
		groups += int64(len(page))
		after = page[len(page)-1].ID
	}
	var units, unitMembers int64
	after = ""
	for {
		page, err := c.dst.ListUnits(ctx, after, 1000)
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		if len(page) == 0 {
			break
		}
		for _, u := range page {
			ms, err := c.dst.ListUnitMembers(ctx, u.ID, "", 0)
			if err != nil {
				return fmt.Errorf("verify: %w", err)
			}
			unitMembers += int64(len(ms))
		}
		units += int64(len(page))
		after = page[len(page)-1].ID
	}
	var applications int64
	after = ""
	for {
		page, err := c.dst.ListApplications(ctx, after, 100)
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		if len(page) == 0 {
			break
		}
		applications += int64(len(page))
		after = page[len(page)-1].ID
	}
	assignments, err := c.dst.ListRoleAssignments(ctx, "")
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	signInLogs, err := countLog(ctx, c.dst.ListSignInLogs, func(e store.SignInLog) string { return e.ID })
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	audits, err := countLog(ctx, c.dst.ListDirectoryAudits, func(e store.DirectoryAudit) string { return e.ID })
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	var bad []string
	for _, k := range []struct {
		name         string
		source, dest int64
	}{
		{"users", c.users.total(), users},
		{"methods", c.methods.total(), methods},
		{"QR codes", c.codes.total(), codes},
		{"groups", c.groups.total(), groups},
		{"group members", c.members.total(), members},
		{"units", c.units.total(), units},
		{"unit members", c.unitMembers.total(), unitMembers},
		{"applications", c.applications.total(), applications},
		{"sign-in logs", c.signInLogs.total(), signInLogs},
		{"directory audits", c.audits.total(), audits},
		{"role assignments", c.assignments.total(), int64(len(assignments))},
	} {
		if k.source != k.dest {
			bad = append(bad, fmt.Sprintf("%s: the source has %d, the target %d", k.name, k.source, k.dest))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("verify: the target does not hold exactly the source's rows (it had rows of its own?):\n  %s",
			joinLines(bad))
	}
	fmt.Fprintf(out, "verified: the target holds the source's %d users, %d methods (%d QR codes), %d groups (%d members), "+
		"%d administrative units (%d members), %d applications, %d role assignments, %d sign-in log entries and %d directory audits\n",
		users, methods, codes, groups, members, units, unitMembers, applications, len(assignments), signInLogs, audits)
	return nil
}

func joinLines(lines []string) string {
	var b bytes.Buffer
	for i, l := range lines {
		if i > 0 {
			b.WriteString("\n  ")
		}
		b.WriteString(l)
	}
	return b.String()
}

// forEach runs fn on each item, at most workers at once, and returns the
// first error (the others stop at their next item).
func forEach[T any](ctx context.Context, workers int, items []T, fn func(context.Context, T) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan T)
	var wg sync.WaitGroup
	for range min(workers, len(items)) {
		wg.Go(func() {
			for it := range next {
				if err := fn(ctx, it); err != nil {
					cancel(err)
				}
			}
		})
	}
	for _, it := range items {
		if ctx.Err() != nil {
			break
		}
		next <- it
	}
	close(next)
	wg.Wait()
	return context.Cause(ctx)
}

func sameUser(a, b store.User) bool {
	return a.ID == b.ID && a.UPN == b.UPN && a.DisplayName == b.DisplayName &&
		a.AccountEnabled == b.AccountEnabled && a.Created.Equal(b.Created)
}

// sameMethod reports whether two stores hold a and b alike (an empty and a
// nil verifier are alike).
func sameMethod(a, b method.Method) bool {
	for _, m := range []*method.Method{&a, &b} {
		for _, c := range []**method.QRCode{&m.Standard, &m.Temporary} {
			if *c != nil && len((*c).Verifier) == 0 {
				cc := **c
				cc.Verifier = nil
				*c = &cc
			}
		}
	}
	return reflect.DeepEqual(a, b)
}

// sameApplication reports whether two stores hold a and b alike (an empty
// and a nil verifier are alike).
func sameApplication(a, b store.Application) bool {
	for _, x := range []*store.Application{&a, &b} {
		ps := slices.Clone(x.Passwords)
		for i := range ps {
			if len(ps[i].Verifier) == 0 {
				ps[i].Verifier = nil
			}
		}
		x.Passwords = ps
	}
	return reflect.DeepEqual(a, b)
}

func samePolicy(a, b method.Policy) bool {
	return a.State == b.State && a.PINLength == b.PINLength && a.StandardLifetimeDays == b.StandardLifetimeDays &&
		slices.Equal(a.Include, b.Include) && slices.Equal(a.Exclude, b.Exclude)
}
