package provision

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/qrpin/qrpin/graphclient"
	"github.com/qrpin/qrpin/spool"
)

// Renewal says which badges Renew replaces.
type Renewal struct {
	// Within: a standard QR code expiring within it (or already expired or
	// deleted) is replaced.
	Within time.Duration
	// Group, when set, limits the renewal to the group's members (display
	// name or id); Users, when set, to these users; neither: every user.
	Group string
	Users []graphclient.User
}

// Renew issues new standard QR codes (the PIN is kept) for the users in
// scope whose badge expires within r.Within, appending each to the spool
// with an empty PIN before it counts as done. A user is renewed again when
// the spool's newest badge of theirs is not their current code (a renewal
// stopped between the create and the spool write), and counts as done
// ("existing") when the spool holds their current code from a renewal
// within r.Within (an earlier, interrupted run of the same renewal). Users
// without a method, or whose badge is not due, are left alone and not
// reported. It returns the users whose renewed badges are to be printed.
func (e *Engine) Renew(ctx context.Context, r Renewal, results io.Writer) (Summary, map[string]bool, error) {
	users, err := e.scope(ctx, r)
	if err != nil {
		return nil, nil, err
	}
	policy, err := e.Graph.Policy(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("read the QR code + PIN policy: %w", err)
	}
	lifetime := time.Duration(max(policy.StandardLifetimeDays, 1)) * 24 * time.Hour
	spooled := latestBadges(e.Spool.Entries())
	now := e.now()
	type due struct {
		u    graphclient.User
		done bool // renewed before, in this window
	}
	methods, err := e.methods(ctx, users)
	if err != nil {
		return nil, nil, err
	}
	var todo []due
	for i, u := range users {
		m := methods[i]
		if m == nil {
			continue
		}
		last, known := spooled.get(u.ID)
		current := m.Standard != nil && known && last.CodeID == m.Standard.ID
		switch {
		case current && last.Action == spool.ActionRenewed && now.Sub(last.Written) < r.Within:
			// Before the expiry test: a window longer than the
			// policy's lifetime would otherwise renew it again.
			todo = append(todo, due{u: u, done: true})
		case m.Standard == nil, !m.Standard.Expire.After(now.Add(r.Within)):
			todo = append(todo, due{u: u})
		case known && !current:
			todo = append(todo, due{u: u}) // created, not spooled: nobody holds it
		}
	}
	printed := map[string]bool{}
	for _, d := range todo {
		printed[d.u.ID] = true
	}
	sum, err := e.each(ctx, len(todo), results, func(ctx context.Context, i int) Result {
		d := todo[i]
		res := Result{UserID: d.u.ID, UPN: d.u.UPN, Action: Existing}
		if d.done {
			return res
		}
		res.Action = Renewed
		if res.Err = e.renew(ctx, d.u, spooled, lifetime); res.Err != nil {
			res.Action = Failed
		}
		return res
	})
	return sum, printed, err
}

// renew replaces the user's standard QR code and spools the new one, with
// the control number of the user's last badge (their PIN letter's).
func (e *Engine) renew(ctx context.Context, u graphclient.User, spooled *badgeIndex, lifetime time.Duration) error {
	if err := e.Graph.DeleteStandardCode(ctx, u.ID); err != nil {
		return fmt.Errorf("revoke the expiring QR code: %w", err)
	}
	start := e.now()
	code, err := e.Graph.CreateStandardCode(ctx, u.ID, start, start.Add(lifetime))
	if err == nil && code.Image == nil || graphclient.IsCode(err, "ActiveQRCodeExisted") {
		// A create whose answer was lost, retried: the code it made is
		// active and nobody holds it.
		if err = e.Graph.DeleteStandardCode(ctx, u.ID); err == nil {
			code, err = e.Graph.CreateStandardCode(ctx, u.ID, start, start.Add(lifetime))
		}
	}
	if err != nil {
		return fmt.Errorf("create the new QR code: %w", err)
	}
	e.hook("created code", 0)
	last, _ := spooled.get(u.ID)
	entry, err := e.entry(Row{Site: last.Site}, &u, &code, "", Renewed, last.Control)
	if err != nil {
		return err
	}
	if err := e.Spool.Append(entry); err != nil {
		return fmt.Errorf("write the spool (the QR code just made is lost; a new run renews it again): %w", err)
	}
	spooled.add(entry)
	return nil
}

// methods reads the users' methods in JSON batches (nil: none).
func (e *Engine) methods(ctx context.Context, users []graphclient.User) ([]*graphclient.Method, error) {
	reqs := make([]graphclient.BatchRequest, len(users))
	for i, u := range users {
		reqs[i] = graphclient.BatchRequest{URL: graphclient.MethodPath(u.ID)}
	}
	answers, err := e.Graph.Batch(ctx, reqs)
	if err != nil {
		return nil, err
	}
	out := make([]*graphclient.Method, len(users))
	for i, a := range answers {
		if a.Status == http.StatusNotFound {
			continue
		}
		var m graphclient.Method
		if err := decodeAnswer(a, &m); err != nil {
			return nil, fmt.Errorf("read the method of %s: %w", users[i].UPN, err)
		}
		out[i] = &m
	}
	return out, nil
}

// scope returns the users a renewal considers.
func (e *Engine) scope(ctx context.Context, r Renewal) ([]graphclient.User, error) {
	switch {
	case r.Group != "":
		groups, err := e.Graph.Groups(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the groups: %w", err)
		}
		var ids []string
		for _, g := range groups {
			if strings.EqualFold(g.ID, r.Group) || strings.EqualFold(g.DisplayName, r.Group) {
				ids = append(ids, g.ID)
			}
		}
		switch len(ids) {
		case 0:
			return nil, fmt.Errorf("there is no group %q", r.Group)
		case 1:
		default:
			return nil, fmt.Errorf("%d groups are named %q: give the group's id", len(ids), r.Group)
		}
		return e.Graph.Members(ctx, ids[0])
	case r.Users != nil:
		return r.Users, nil
	default:
		return e.Graph.ListUsers(ctx)
	}
}

// Users returns the directory's users the plan's rows match (for a renewal
// of the users of a file).
func (p *Plan) Users() []graphclient.User {
	out := []graphclient.User{}
	for _, r := range p.Rows {
		if u := p.existing[r.Line]; u != nil {
			out = append(out, *u)
		}
	}
	return out
}
