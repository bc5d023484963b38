package provision

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qrpin/qrpin/graphclient"
	"github.com/qrpin/qrpin/spool"
)

// Actions a row ends with (the results file's action column).
const (
	Created  = "created"  // the method was created: a new badge and PIN
	Existing = "existing" // done before (the spool has its badge and PIN): nothing changed
	Reissued = "reissued" // the user had a method the spool does not hold: revoked, and a new badge and PIN
	Renewed  = "renewed"  // a new standard QR code; the PIN was kept
	Failed   = "failed"
	Skipped  = "skipped" // a row with errors, left alone (--skip-bad-rows)
)

// Spool is where a row's secrets are written, durably, before the row
// counts as done (*spool.Spool).
type Spool interface {
	Append(e spool.Entry) error
	Entries() []spool.Entry
}

// Progress is told how a run goes: the number of rows, then each result.
// Its methods are called from one goroutine.
type Progress interface {
	Start(total int)
	Done(r Result)
}

// Result is how one row ended. It holds no secret.
type Result struct {
	Row    int
	UserID string
	UPN    string
	Action string
	Err    error
}

// Summary counts a run's results by action.
type Summary map[string]int

// Engine provisions rows through Graph into a spool.
type Engine struct {
	Graph *graphclient.Client
	Spool Spool
	// Workers is how many rows are in flight (DefaultWorkers when 0).
	Workers  int
	Progress Progress // nil: none
	// NewControl makes a control number linking a badge to its PIN letter.
	NewControl func() (string, error)
	Now        func() time.Time // time.Now when nil
	// Hook, when set, is called at each step of a row ("created user",
	// "created method", "spooled"), so that tests can stop the process there.
	Hook func(step string, row int)
}

// DefaultWorkers is how many rows are in flight by default: enough that,
// while some rows wait on the network, the server's SQLite writer or the
// spool's fsync, others keep a server's Argon2id hashes going on every
// core of a small machine (8 rather than 4 took a quiet 2-core run from
// 1.37 to 1.30 times the hash-bound limit; see BENCHMARKS.md). A server
// holds one hash's memory (19 MiB at pin.DefaultParams) per row in flight.
const DefaultWorkers = 8

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now().UTC()
	}
	return time.Now().UTC()
}

func (e *Engine) hook(step string, row int) {
	if e.Hook != nil {
		e.Hook(step, row)
	}
}

// ErrBadRows refuses a plan with errors.
var ErrBadRows = errors.New("the file has errors (run with --dry-run to list them, or --skip-bad-rows to provision the other rows)")

// Run provisions the plan's rows: for each, it finds or creates the user,
// adds it to its group, and gives it a badge and a PIN, which it appends
// to the spool before the row counts as done. A row whose user has a
// method the spool holds is left alone ("existing"); one whose method the
// spool does not hold (a run stopped between the create and the spool
// write, or a method made elsewhere) is revoked and reissued. Results go
// to results as CSV (row, user id, UPN, action, error), in the order rows
// finish. When ctx ends, Run starts no new row and returns after the rows
// in flight, with ctx's error. A plan with errors is refused unless
// skipBad, when the bad rows are reported as skipped.
func (e *Engine) Run(ctx context.Context, p *Plan, skipBad bool, results io.Writer) (Summary, error) {
	if p.Errors() > 0 && !skipBad {
		return nil, ErrBadRows
	}
	spooled := latestBadges(e.Spool.Entries())
	return e.each(ctx, len(p.Rows), results, func(ctx context.Context, i int) Result {
		r := p.Rows[i]
		if p.bad[r.Line] {
			return Result{Row: r.Line, UPN: r.UPN, Action: Skipped}
		}
		res := Result{Row: r.Line, UPN: r.UPN}
		res.Action, res.UserID, res.Err = e.row(ctx, p, r, spooled)
		if res.Err != nil {
			res.Action = Failed
		}
		return res
	})
}

// each runs fn for rows 0..n-1 on the engine's workers, writes the results
// and tells Progress.
func (e *Engine) each(ctx context.Context, n int, results io.Writer, fn func(ctx context.Context, i int) Result) (Summary, error) {
	out := csv.NewWriter(results)
	if err := out.Write([]string{"row", "userId", "userPrincipalName", "action", "error"}); err != nil {
		return nil, err
	}
	if e.Progress != nil {
		e.Progress.Start(n)
	}
	workers := e.Workers
	if workers <= 0 {
		workers = DefaultWorkers
	}
	// Rows in flight finish even when ctx ends: their secrets reach the spool.
	work := context.WithoutCancel(ctx)
	next := make(chan int)
	done := make(chan Result)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				done <- fn(work, i)
			}
		})
	}
	go func() {
		defer close(next)
		for i := range n {
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(done) }()
	sum := Summary{}
	var werr error
	for r := range done {
		sum[r.Action]++
		msg := ""
		if r.Err != nil {
			msg = r.Err.Error()
		}
		if werr == nil {
			werr = out.Write([]string{strconv.Itoa(r.Row), r.UserID, r.UPN, r.Action, msg})
			out.Flush()
			if werr == nil {
				werr = out.Error()
			}
		}
		if e.Progress != nil {
			e.Progress.Done(r)
		}
	}
	if werr != nil {
		return sum, fmt.Errorf("write the results: %w", werr)
	}
	return sum, ctx.Err()
}

// row provisions one row and returns its action and user id.
func (e *Engine) row(ctx context.Context, p *Plan, r Row, spooled *badgeIndex) (action, userID string, err error) {
	u, fresh, err := e.user(ctx, p, r)
	if err != nil {
		return "", "", err
	}
	if r.Group != "" {
		if err := e.Graph.AddMember(ctx, p.groups[strings.ToLower(r.Group)], u.ID); err != nil {
			return "", u.ID, fmt.Errorf("add to group %s: %w", r.Group, err)
		}
	}
	var m *graphclient.Method
	if !fresh { // a user just created has no method
		if m, err = e.Graph.Method(ctx, u.ID); err != nil {
			return "", u.ID, fmt.Errorf("read the method: %w", err)
		}
	}
	action = Created
	if m != nil {
		if m.Standard != nil && spooled.has(u.ID, m.Standard.ID) {
			return Existing, u.ID, nil
		}
		action = Reissued
		if err := e.Graph.DeleteMethod(ctx, u.ID); err != nil {
			return "", u.ID, fmt.Errorf("revoke the method the spool does not hold: %w", err)
		}
	}
	// Both dates, as Entra requires: by default from now for the policy's lifetime.
	start, expire := r.Start, r.Expire
	if start.IsZero() {
		start = e.now()
	}
	if expire.IsZero() {
		expire = start.Add(p.lifetime)
	}
	made, err := e.Graph.CreateMethod(ctx, u.ID, start, expire)
	if graphclient.IsCode(err, "tooManyQRCodePinMethod") {
		// A create whose answer was lost (a retry after a dropped
		// connection), or another tool's: nobody holds those secrets.
		action = Reissued
		if err = e.Graph.DeleteMethod(ctx, u.ID); err == nil {
			made, err = e.Graph.CreateMethod(ctx, u.ID, start, expire)
		}
	}
	if err != nil {
		return "", u.ID, fmt.Errorf("create the method: %w", err)
	}
	e.hook("created method", r.Line)
	entry, err := e.entry(r, u, made.Standard, made.PINCode(), action, "")
	if err != nil {
		return "", u.ID, err
	}
	if err := e.Spool.Append(entry); err != nil {
		return "", u.ID, fmt.Errorf("write the spool (the badge and PIN just made are lost; a new run reissues them): %w", err)
	}
	spooled.add(entry)
	e.hook("spooled", r.Line)
	return action, u.ID, nil
}

// entry is the spool entry of a new code (and PIN, "" when kept); control
// is the control number to keep ("": a new one).
func (e *Engine) entry(r Row, u *graphclient.User, code *graphclient.QRCode, pin, action, control string) (spool.Entry, error) {
	payload, err := code.Payload()
	if err != nil {
		return spool.Entry{}, err
	}
	if payload == "" {
		return spool.Entry{}, errors.New("the server's answer has no QR code image")
	}
	if control == "" {
		if control, err = e.NewControl(); err != nil {
			return spool.Entry{}, err
		}
	}
	return spool.Entry{
		Row: r.Line, UserID: u.ID, UPN: u.UPN, DisplayName: u.DisplayName, EmployeeID: u.EmployeeID,
		Site: r.Site, CodeID: code.ID, Payload: payload, Expires: code.Expire, PIN: pin,
		Control: control, Action: action, Written: e.now(),
	}, nil
}

// user finds the row's user, or creates it (fresh).
func (e *Engine) user(ctx context.Context, p *Plan, r Row) (u *graphclient.User, fresh bool, err error) {
	if u := p.existing[r.Line]; u != nil {
		return u, false, nil
	}
	in := graphclient.NewUser{UPN: r.UPN, DisplayName: r.DisplayName, EmployeeID: r.EmployeeID, AccountEnabled: !r.Blocked}
	made, err := e.Graph.CreateUser(ctx, in)
	if err == nil {
		e.hook("created user", r.Line)
		return &made, true, nil
	}
	if !graphclient.IsStatus(err, http.StatusBadRequest) {
		return nil, false, fmt.Errorf("create the user: %w", err)
	}
	// The UPN is taken: by this user, created by a request whose answer
	// was lost, or created since the check.
	got, lerr := e.Graph.UserByUPN(ctx, r.UPN)
	if lerr != nil || got == nil || (r.EmployeeID != "" && got.EmployeeID != r.EmployeeID) {
		return nil, false, fmt.Errorf("create the user: %w", err)
	}
	return got, false, nil
}
