package provision

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/graphclient"
	"github.com/qrpin/qrpin/method"
)

// Problem is something wrong with a row (or, with Row 0, the file).
// Warnings do not stop a run; errors do, unless bad rows are skipped.
type Problem struct {
	Row     int
	Field   string // the column, when one is to blame
	Message string
	Warning bool
}

func (p Problem) String() string {
	kind := "error"
	if p.Warning {
		kind = "warning"
	}
	where := "file"
	if p.Row > 0 {
		where = fmt.Sprintf("row %d", p.Row)
	}
	if p.Field != "" {
		where += " (" + p.Field + ")"
	}
	return where + ": " + kind + ": " + p.Message
}

// Plan is a checked file: its rows, what is wrong with them, and what the
// directory already holds for each.
type Plan struct {
	Rows     []Row
	Problems []Problem
	existing map[int]*graphclient.User // by Row.Line: the user the row matches
	groups   map[string]string         // group display name or id, lower case: its id
	bad      map[int]bool              // rows with an error
	lifetime time.Duration             // the policy's standard QR code lifetime
}

// Errors returns how many problems are errors (not warnings).
func (p *Plan) Errors() int {
	n := 0
	for _, pr := range p.Problems {
		if !pr.Warning {
			n++
		}
	}
	return n
}

// Existing returns how many rows match a user the directory already has.
func (p *Plan) Existing() int { return len(p.existing) }

// Check validates every row against the rules and the directory, writing
// nothing: userPrincipalName syntax, employee id length, dates and the code's
// lifetime, duplicates within the file and against the directory (a UPN or
// employee id that belongs to another user), groups that do not exist, and
// the policy's scope (a user outside the policy's include targets, or
// excluded, is a warning: their badge will not sign in). readProblems are
// the reader's, kept in the plan.
func Check(ctx context.Context, g *graphclient.Client, rows []Row, readProblems []Problem, now time.Time) (*Plan, error) {
	p := &Plan{Rows: rows, Problems: slices.Clone(readProblems), existing: map[int]*graphclient.User{}, groups: map[string]string{}, bad: map[int]bool{}}
	for _, pr := range readProblems {
		if !pr.Warning {
			p.bad[pr.Row] = true
		}
	}
	add := func(r Row, field, format string, args ...any) {
		p.Problems = append(p.Problems, Problem{Row: r.Line, Field: field, Message: fmt.Sprintf(format, args...)})
		p.bad[r.Line] = true
	}
	byUPN, byEmployee := map[string]int{}, map[string]int{}
	for _, r := range rows {
		if !admin.ValidUPN(r.UPN) {
			add(r, "userPrincipalName", "%q is not a valid userPrincipalName (name@domain, letters, digits and ' . - _ ! # ^ ~)", r.UPN)
		}
		if first, dup := byUPN[strings.ToLower(r.UPN)]; dup {
			add(r, "userPrincipalName", "%s is also on row %d", r.UPN, first)
		} else {
			byUPN[strings.ToLower(r.UPN)] = r.Line
		}
		if r.EmployeeID != "" {
			if utf8.RuneCountInString(r.EmployeeID) > admin.MaxEmployeeIDLength {
				add(r, "employeeId", "the employee id is longer than %d characters", admin.MaxEmployeeIDLength)
			}
			if first, dup := byEmployee[r.EmployeeID]; dup {
				add(r, "employeeId", "employee id %s is also on row %d", r.EmployeeID, first)
			} else {
				byEmployee[r.EmployeeID] = r.Line
			}
		}
		checkDates(r, now, add)
	}
	groups, err := g.Groups(ctx)
	if err != nil {
		return nil, fmt.Errorf("list the groups: %w", err)
	}
	names := map[string]int{}
	for _, gr := range groups {
		names[strings.ToLower(gr.DisplayName)]++
		p.groups[strings.ToLower(gr.ID)] = gr.ID
		p.groups[strings.ToLower(gr.DisplayName)] = gr.ID
	}
	for _, r := range rows {
		if r.Group == "" {
			continue
		}
		key := strings.ToLower(r.Group)
		if _, ok := p.groups[key]; !ok {
			add(r, "group", "there is no group %q", r.Group)
		} else if names[key] > 1 {
			add(r, "group", "%d groups are named %q: give the group's id", names[key], r.Group)
		}
	}
	if err := p.matchUsers(ctx, g, add); err != nil {
		return nil, err
	}
	policy, err := g.Policy(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the QR code + PIN policy: %w", err)
	}
	p.checkScope(policy)
	p.lifetime = time.Duration(max(policy.StandardLifetimeDays, 1)) * 24 * time.Hour
	slices.SortStableFunc(p.Problems, func(a, b Problem) int { return a.Row - b.Row })
	return p, nil
}

// checkDates checks a row's start and expiry: the expiry after the start
// and now, the lifetime within Graph's 1 to 395 days.
func checkDates(r Row, now time.Time, add func(Row, string, string, ...any)) {
	start := r.Start
	if start.IsZero() || start.Before(now) {
		start = now
	}
	if r.Expire.IsZero() {
		return
	}
	switch life := r.Expire.Sub(start); {
	case !r.Expire.After(now):
		add(r, "expireDate", "the expiry %s is in the past", r.Expire.Format(time.DateOnly))
	case !r.Start.IsZero() && !r.Expire.After(r.Start):
		add(r, "expireDate", "the expiry %s is not after the start %s", r.Expire.Format(time.DateOnly), r.Start.Format(time.DateOnly))
	case life < method.MinStandardLifetime:
		add(r, "expireDate", "a badge must be valid for at least a day")
	case life > method.MaxStandardLifetime:
		add(r, "expireDate", "a badge may be valid for at most %d days", method.MaxStandardLifetime/(24*time.Hour))
	}
}

// matchUsers finds the directory's user for each row: by employee id, else
// by userPrincipalName. An employee id or UPN that belongs to another user
// is an error.
func (p *Plan) matchUsers(ctx context.Context, g *graphclient.Client, add func(Row, string, string, ...any)) error {
	found, err := lookup(ctx, g, p.Rows)
	if err != nil {
		return err
	}
	for i, r := range p.Rows {
		f := found[i]
		switch {
		case len(f.byEmployee) > 1:
			add(r, "employeeId", "employee id %s belongs to %d users in the directory", r.EmployeeID, len(f.byEmployee))
		case len(f.byEmployee) == 1 && !strings.EqualFold(f.byEmployee[0].UPN, r.UPN):
			add(r, "employeeId", "employee id %s belongs to %s in the directory", r.EmployeeID, f.byEmployee[0].UPN)
		case len(f.byEmployee) == 1:
			u := f.byEmployee[0]
			p.existing[r.Line] = &u
		case f.byUPN != nil && f.byUPN.EmployeeID != "" && r.EmployeeID != "" && f.byUPN.EmployeeID != r.EmployeeID:
			add(r, "userPrincipalName", "%s is in the directory with employee id %s", r.UPN, f.byUPN.EmployeeID)
		case f.byUPN != nil:
			p.existing[r.Line] = f.byUPN
		}
	}
	return nil
}

// checkScope warns about rows whose users the policy does not include (by
// the row's group) or excludes, and when the policy is disabled.
func (p *Plan) checkScope(policy graphclient.Policy) {
	if !strings.EqualFold(policy.State, "enabled") {
		p.Problems = append(p.Problems, Problem{Warning: true, Message: "the QR code + PIN policy is disabled: nobody signs in with a badge until it is enabled"})
	}
	included, excluded := map[string]bool{}, map[string]bool{}
	for _, t := range policy.IncludeTargets {
		included[strings.ToLower(t.ID)] = true
	}
	for _, t := range policy.ExcludeTargets {
		excluded[strings.ToLower(t.ID)] = true
	}
	for _, r := range p.Rows {
		group := strings.ToLower(p.groups[strings.ToLower(r.Group)])
		switch {
		case p.bad[r.Line]:
		case group != "" && excluded[group]:
			p.Problems = append(p.Problems, Problem{Row: r.Line, Field: "group", Warning: true,
				Message: fmt.Sprintf("the policy excludes group %q: this badge will not sign in", r.Group)})
		case !included[graphclient.AllUsers] && (group == "" || !included[group]):
			p.Problems = append(p.Problems, Problem{Row: r.Line, Warning: true,
				Message: "the user is outside the policy's include targets: this badge will not sign in until the policy includes them"})
		}
	}
}
