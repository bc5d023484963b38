package provision

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qrpin/qrpin/badge"
	"github.com/qrpin/qrpin/spool"
)

// testKey is a passphrase at a cheap scrypt cost.
var testKey = spool.Passphrase("correct horse battery staple").WithScryptWorkFactor(10)

func newSpool(t *testing.T, s *testServer) *spool.Spool {
	t.Helper()
	sp, err := spool.Create(filepath.Join(t.TempDir(), "staff.spool"), s.tenant, testKey)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sp.Close() })
	return sp
}

func newEngine(s *testServer, sp Spool) *Engine {
	return &Engine{Graph: s.client, Spool: sp, NewControl: badge.NewControl, Workers: 3}
}

func mustRead(t *testing.T, csv string) []Row {
	t.Helper()
	rows, problems, err := ReadCSV(strings.NewReader(csv))
	if err != nil || len(problems) > 0 {
		t.Fatalf("ReadCSV: %v %v", problems, err)
	}
	return rows
}

// results parses a results file into "row,upn,action,error" lines by row
// (the user id checked apart), sorted.
func results(t *testing.T, s *testServer, out string) map[string]string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if lines[0] != "row,userId,userPrincipalName,action,error" {
		t.Fatalf("results header %q", lines[0])
	}
	got := map[string]string{}
	for _, l := range lines[1:] {
		f := strings.SplitN(l, ",", 5)
		if f[1] != "" {
			u, err := s.store.GetUser(context.Background(), f[1])
			if err != nil || !strings.EqualFold(u.UPN, f[2]) {
				t.Errorf("results row %s: user id %s is not %s (%v)", f[0], f[1], f[2], err)
			}
		}
		got[f[0]] = f[2] + "," + f[3] + "," + f[4]
	}
	return got
}

const staffCSV = "displayName,userPrincipalName,group,site\n" +
	"Ana Ruiz,ana@contoso.com,Warehouse,Lyon\n" +
	"Bo Li,bo@contoso.com,Warehouse,Lyon\n" +
	"Cy Oduya,cy@contoso.com,,Paris\n" +
	"Di Sato,di@contoso.com,Warehouse,\n"

// A run creates the users, adds them to their groups, gives each a badge
// and a PIN that sign in, spools them before they count, and writes a
// results file without secrets; a second run changes nothing.
func TestRunProvisions(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	warehouse := s.group("Warehouse")
	sp := newSpool(t, s)
	rows := mustRead(t, staffCSV)
	ctx := context.Background()
	plan, err := Check(ctx, s.client, rows, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if plan.Errors() != 0 {
		t.Fatalf("problems: %v", plan.Problems)
	}
	var out bytes.Buffer
	sum, err := newEngine(s, sp).Run(ctx, plan, false, &out)
	if err != nil || !reflect.DeepEqual(sum, Summary{Created: 4}) {
		t.Fatalf("Run = %v, %v\n%s", sum, err, out.String())
	}
	want := map[string]string{
		"2": "ana@contoso.com,created,", "3": "bo@contoso.com,created,",
		"4": "cy@contoso.com,created,", "5": "di@contoso.com,created,",
	}
	if got := results(t, s, out.String()); !reflect.DeepEqual(got, want) {
		t.Errorf("results = %v, want %v", got, want)
	}
	entries := sp.Entries()
	if len(entries) != 4 {
		t.Fatalf("%d spool entries, want 4", len(entries))
	}
	members, err := s.store.ListGroupMembers(ctx, warehouse, "", 10)
	if err != nil || len(members) != 3 {
		t.Errorf("warehouse members: %v %v", members, err)
	}
	for _, e := range entries {
		if !s.signsIn(e.UserID, e.Payload, e.PIN) || e.PIN == "" || e.Control == "" || e.Action != spool.ActionCreated {
			t.Errorf("entry of %s: does not sign in or is incomplete: %+v", e.UPN, e)
		}
		if year := time.Now().AddDate(0, 0, 365); e.Expires.Before(year.Add(-time.Hour)) || e.Expires.After(year.Add(time.Hour)) {
			t.Errorf("%s's badge expires %v, want the policy's 365 days from now", e.UPN, e.Expires)
		}
		if strings.Contains(out.String(), e.PIN) || strings.Contains(out.String(), e.Payload) {
			t.Errorf("the results file holds a secret of %s", e.UPN)
		}
		u, _ := s.store.GetUser(ctx, e.UserID)
		if u.DisplayName != e.DisplayName || !u.AccountEnabled {
			t.Errorf("user %+v, entry %+v", u, e)
		}
	}
	sites := map[string]string{}
	for _, e := range entries {
		sites[e.UPN] = e.Site
	}
	if want := map[string]string{"ana@contoso.com": "Lyon", "bo@contoso.com": "Lyon", "cy@contoso.com": "Paris", "di@contoso.com": ""}; !reflect.DeepEqual(sites, want) {
		t.Errorf("sites %v, want %v", sites, want)
	}

	// Again: every row is done.
	plan, err = Check(ctx, s.client, rows, nil, time.Now())
	if err != nil || plan.Errors() != 0 || plan.Existing() != 4 {
		t.Fatalf("second check: %v %v, %d existing", plan.Problems, err, plan.Existing())
	}
	out.Reset()
	sum, err = newEngine(s, sp).Run(ctx, plan, false, &out)
	if err != nil || !reflect.DeepEqual(sum, Summary{Existing: 4}) || len(sp.Entries()) != 4 {
		t.Fatalf("second run = %v, %v, %d entries", sum, err, len(sp.Entries()))
	}
	for _, e := range entries {
		if !s.signsIn(e.UserID, e.Payload, e.PIN) {
			t.Errorf("%s's badge stopped working after a second run", e.UPN)
		}
	}
}

// A user with a method the spool does not hold (a run killed between the
// create and the spool write) gets a fresh badge and PIN; the old ones stop
// working.
func TestRunReissuesUnspooled(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.group("Warehouse")
	ctx := context.Background()
	bo := s.user("bo@contoso.com", "")
	lost, err := s.client.CreateMethod(ctx, bo.ID, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	lostPayload, _ := lost.Standard.Payload()
	if !s.signsIn(bo.ID, lostPayload, lost.PINCode()) {
		t.Fatal("the lost badge does not work to begin with")
	}
	sp := newSpool(t, s)
	plan, err := Check(ctx, s.client, mustRead(t, staffCSV), nil, time.Now())
	if err != nil || plan.Errors() != 0 {
		t.Fatal(plan.Problems, err)
	}
	var out bytes.Buffer
	sum, err := newEngine(s, sp).Run(ctx, plan, false, &out)
	if err != nil || !reflect.DeepEqual(sum, Summary{Created: 3, Reissued: 1}) {
		t.Fatalf("Run = %v, %v", sum, err)
	}
	if got := results(t, s, out.String())["3"]; got != "bo@contoso.com,reissued," {
		t.Errorf("Bo's result %q", got)
	}
	if s.signsIn(bo.ID, lostPayload, "") {
		t.Error("the unspooled badge still signs in")
	}
	for _, e := range sp.Entries() {
		if e.UserID == bo.ID && (e.Action != spool.ActionReissued || !s.signsIn(bo.ID, e.Payload, e.PIN)) {
			t.Errorf("Bo's entry %+v", e)
		}
	}
}

// dropFirst is a transport that sends the first request matching verb and
// path suffix to the server, then loses its answer (as a dropped
// connection would).
type dropFirst struct {
	verb, suffix string
	mu           sync.Mutex
	dropped      int
}

func (d *dropFirst) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := http.DefaultTransport.RoundTrip(r)
	d.mu.Lock()
	defer d.mu.Unlock()
	if err == nil && d.dropped == 0 && r.Method == d.verb && strings.HasSuffix(r.URL.Path, d.suffix) {
		d.dropped++
		res.Body.Close()
		return nil, errors.New("connection reset by peer")
	}
	return res, err
}

// The answers of a create lost on the way are retried safely: the user is
// found rather than created twice, and a method whose secrets were lost is
// reissued.
func TestRunLostAnswers(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ verb, suffix, action string }{
		{http.MethodPost, "/v1.0/users", Created},
		{http.MethodPut, "/qrCodePinMethod", Reissued},
	} {
		t.Run(tt.verb, func(t *testing.T) {
			t.Parallel()
			s := newServer(t)
			drop := &dropFirst{verb: tt.verb, suffix: tt.suffix}
			s.client.HTTP = &http.Client{Transport: drop}
			s.client.Sleep = func(context.Context, time.Duration) error { return nil }
			sp := newSpool(t, s)
			rows := mustRead(t, "displayName,userPrincipalName\nAna Ruiz,ana@contoso.com\n")
			plan, err := Check(context.Background(), s.client, rows, nil, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			sum, err := newEngine(s, sp).Run(context.Background(), plan, false, &out)
			if err != nil || !reflect.DeepEqual(sum, Summary{tt.action: 1}) || drop.dropped != 1 {
				t.Fatalf("Run = %v, %v (dropped %d)\n%s", sum, err, drop.dropped, out.String())
			}
			users, _ := s.store.ListUsers(context.Background(), "", 10)
			es := sp.Entries()
			if len(users) != 1 || len(es) != 1 || !s.signsIn(users[0].ID, es[0].Payload, es[0].PIN) {
				t.Errorf("users %v, entries %d: want one user whose spooled badge signs in", users, len(es))
			}
		})
	}
}

// Check reports every problem with its row before anything is written;
// Run refuses a plan with errors unless bad rows are skipped.
func TestCheckProblems(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.group("Warehouse")
	s.group("Twice")
	s.group("Twice")
	in := "displayName,userPrincipalName,employeeId,group,startDate,expireDate\n" +
		"Ana Ruiz,ana@contoso.com,,Warehouse,,\n" + // 2: fine
		"Bo Li,bo@@contoso.com,,,,\n" + // 3: bad UPN
		"Ana Again,ANA@contoso.com,,,,\n" + // 4: duplicate of row 2
		"Cy,cy@contoso.com,,Nowhere,,\n" + // 5: no such group
		"Di,di@contoso.com,,Twice,,\n" + // 6: ambiguous group
		"Ed,ed@contoso.com,E12345678901234567,,,\n" + // 7: employee id too long
		"Fi,fi@contoso.com,,,2026-01-01,2025-01-01\n" + // 8: expired
		"Gu,gu@contoso.com,,,2030-01-01,2029-06-01\n" + // 9: before its start
		"Ha,ha@contoso.com,,,2030-01-01,2031-06-01\n" + // 10: too long
		"Io,io@contoso.com,,,2030-01-01T08:00:00Z,2030-01-01T20:00:00Z\n" // 11: too short
	rows, problems, err := ReadCSV(strings.NewReader(in))
	if err != nil || len(problems) != 0 {
		t.Fatal(problems, err)
	}
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	plan, err := Check(context.Background(), s.client, rows, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range plan.Problems {
		got = append(got, p.String())
	}
	want := []string{
		"file: warning: the QR code + PIN policy is disabled: nobody signs in with a badge until it is enabled",
		`row 3 (userPrincipalName): error: "bo@@contoso.com" is not a valid userPrincipalName (name@domain, letters, digits and ' . - _ ! # ^ ~)`,
		"row 4 (userPrincipalName): error: ANA@contoso.com is also on row 2",
		`row 5 (group): error: there is no group "Nowhere"`,
		`row 6 (group): error: 2 groups are named "Twice": give the group's id`,
		"row 7 (employeeId): error: the employee id is longer than 16 characters",
		"row 8 (expireDate): error: the expiry 2025-01-01 is in the past",
		"row 9 (expireDate): error: the expiry 2029-06-01 is not after the start 2030-01-01",
		"row 10 (expireDate): error: a badge may be valid for at most 395 days",
		"row 11 (expireDate): error: a badge must be valid for at least a day",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n got %q\nwant %q", got, want)
	}
	if plan.Errors() != 9 {
		t.Errorf("Errors() = %d", plan.Errors())
	}

	sp := newSpool(t, s)
	var out bytes.Buffer
	if _, err := newEngine(s, sp).Run(context.Background(), plan, false, &out); !errors.Is(err, ErrBadRows) {
		t.Fatalf("Run of a plan with errors: %v", err)
	}
	if users, _ := s.store.ListUsers(context.Background(), "", 10); len(users) != 0 || out.Len() != 0 || len(sp.Entries()) != 0 {
		t.Fatalf("a refused run wrote: %d users, %q", len(users), out.String())
	}
	sum, err := newEngine(s, sp).Run(context.Background(), plan, true, &out)
	if err != nil || !reflect.DeepEqual(sum, Summary{Created: 1, Skipped: 9}) {
		t.Fatalf("Run skipping bad rows = %v, %v", sum, err)
	}
	if got := results(t, s, out.String()); got["2"] != "ana@contoso.com,created," || got["3"] != "bo@@contoso.com,skipped," {
		t.Errorf("results %v", got)
	}
}

// Users outside the policy's scope are warned about, by their row's group.
func TestCheckPolicyScope(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	in, out := s.group("Frontline"), s.group("Contractors")
	body := fmt.Sprintf(`{"@odata.type":"#microsoft.graph.qrCodePinAuthenticationMethodConfiguration","state":"enabled","includeTargets":[{"targetType":"group","id":%q}],"excludeTargets":[{"targetType":"group","id":%q}]}`, in, out)
	if err := s.client.Do(context.Background(), http.MethodPatch, "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/qrCodePin",
		jsonRaw(body), nil); err != nil {
		t.Fatal(err)
	}
	rows := mustRead(t, "displayName,userPrincipalName,group\nA,a@contoso.com,Frontline\nB,b@contoso.com,Contractors\nC,c@contoso.com,\n")
	plan, err := Check(context.Background(), s.client, rows, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range plan.Problems {
		got = append(got, p.String())
	}
	want := []string{
		`row 3 (group): warning: the policy excludes group "Contractors": this badge will not sign in`,
		"row 4: warning: the user is outside the policy's include targets: this badge will not sign in until the policy includes them",
	}
	if !reflect.DeepEqual(got, want) || plan.Errors() != 0 {
		t.Errorf("problems:\n got %q\nwant %q", got, want)
	}
}

// jsonRaw is a JSON body sent as it is.
type jsonRaw string

func (j jsonRaw) MarshalJSON() ([]byte, error) { return []byte(j), nil }

// countdown cancels a context after n results.
type countdown struct {
	n      int
	cancel context.CancelFunc
	got    []Result
}

func (c *countdown) Start(int) {}
func (c *countdown) Done(r Result) {
	c.got = append(c.got, r)
	if len(c.got) == c.n {
		c.cancel()
	}
}

// Ctrl-C (the context ending) starts no new row; the rows in flight finish
// and are spooled.
func TestRunStopsCleanly(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	var sb strings.Builder
	sb.WriteString("displayName,userPrincipalName\n")
	for i := range 40 {
		fmt.Fprintf(&sb, "W%d,w%d@contoso.com\n", i, i)
	}
	sp := newSpool(t, s)
	plan, err := Check(context.Background(), s.client, mustRead(t, sb.String()), nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := newEngine(s, sp)
	cd := &countdown{n: 2, cancel: cancel}
	e.Progress = cd
	var out bytes.Buffer
	sum, err := e.Run(ctx, plan, false, &out)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, %v; want canceled", sum, err)
	}
	n := sum[Created]
	if n < 2 || n > 2+e.Workers+1 || len(sum) != 1 {
		t.Errorf("summary %v: want the 2 rows before Ctrl-C and the ones in flight", sum)
	}
	users, _ := s.store.ListUsers(context.Background(), "", 100)
	if len(users) != n || len(sp.Entries()) != n || strings.Count(out.String(), ",created,") != n {
		t.Errorf("%d users, %d entries, results %q; want %d each", len(users), len(sp.Entries()), out.String(), n)
	}
}

// Renew replaces the badges that expire soon with new codes that sign in
// with the PIN the worker has; the control number stays their letter's; a
// second renewal finds them done; a code created but not spooled is
// renewed again.
func TestRenew(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	ctx := context.Background()
	soon := time.Now().UTC().AddDate(0, 0, 10).Format(time.DateOnly)
	rows := mustRead(t, "displayName,userPrincipalName,expireDate\n"+
		"Ana,ana@contoso.com,"+soon+"\nBo,bo@contoso.com,\nCy,cy@contoso.com,"+soon+"\n")
	sp := newSpool(t, s)
	plan, err := Check(ctx, s.client, rows, nil, time.Now())
	if err != nil || plan.Errors() != 0 {
		t.Fatal(plan.Problems, err)
	}
	e := newEngine(s, sp)
	if _, err := e.Run(ctx, plan, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	first := map[string]spool.Entry{}
	for _, en := range sp.Entries() {
		first[en.UPN] = en
	}
	s.user("nomethod@contoso.com", "") // no method: left alone

	var out bytes.Buffer
	sum, printed, err := e.Renew(ctx, Renewal{Within: 30 * 24 * time.Hour}, &out)
	if err != nil || !reflect.DeepEqual(sum, Summary{Renewed: 2}) || len(printed) != 2 {
		t.Fatalf("Renew = %v, %v, %v\n%s", sum, printed, err, out.String())
	}
	badges, letters := Printable(sp.Entries(), func(en spool.Entry) bool { return printed[en.UserID] })
	if len(badges) != 2 || len(letters) != 2 {
		t.Fatalf("printable: %d badges, %d letters", len(badges), len(letters))
	}
	for _, b := range badges {
		old := first[b.UPN]
		if b.Action != spool.ActionRenewed || b.PIN != "" || b.Control != old.Control || b.CodeID == old.CodeID {
			t.Errorf("renewed entry %+v (was %+v)", b, old)
		}
		if !s.signsIn(b.UserID, b.Payload, old.PIN) {
			t.Errorf("%s's renewed badge does not sign in with the PIN kept", b.UPN)
		}
		if s.signsIn(b.UserID, old.Payload, "") {
			t.Errorf("%s's old badge still signs in", b.UPN)
		}
		if !b.Expires.After(time.Now().AddDate(0, 0, 300)) {
			t.Errorf("%s's new badge expires %v", b.UPN, b.Expires)
		}
	}
	if !s.signsIn(first["bo@contoso.com"].UserID, first["bo@contoso.com"].Payload, first["bo@contoso.com"].PIN) {
		t.Error("Bo's badge, not due, was changed")
	}

	// Ana's new code is replaced behind the spool's back (as by a run
	// killed after the create): renewed again. Cy is done.
	ana := first["ana@contoso.com"].UserID
	if err := s.client.DeleteStandardCode(ctx, ana); err != nil {
		t.Fatal(err)
	}
	if _, err := s.client.CreateStandardCode(ctx, ana, time.Now(), time.Now().AddDate(0, 0, 200)); err != nil {
		t.Fatal(err)
	}
	sum, printed, err = e.Renew(ctx, Renewal{Within: 30 * 24 * time.Hour}, io.Discard)
	if err != nil || !reflect.DeepEqual(sum, Summary{Renewed: 1, Existing: 1}) || len(printed) != 2 {
		t.Fatalf("second Renew = %v, %v, %v", sum, printed, err)
	}
	badges, _ = Printable(sp.Entries(), func(en spool.Entry) bool { return printed[en.UserID] })
	for _, b := range badges {
		if !s.signsIn(b.UserID, b.Payload, first[b.UPN].PIN) {
			t.Errorf("%s: the printed badge does not sign in", b.UPN)
		}
	}
}

// Rows are matched by employee id, else UPN: a second run with a changed
// UPN finds the user by employee id; an employee id or UPN that belongs to
// another user is an error.
func TestCheckDirectory(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	ana := s.user("ana@contoso.com", "E1")
	s.user("bo@contoso.com", "E2")
	s.user("twin1@contoso.com", "E9")
	s.user("twin2@contoso.com", "E9")
	rows := mustRead(t, "displayName,userPrincipalName,employeeId\n"+
		"Ana,ana@contoso.com,E1\n"+ // 2: found by employee id
		"Bob,bob@contoso.com,E2\n"+ // 3: E2 is bo@
		"Bo,bo@contoso.com,E3\n"+ // 4: bo@ has E2
		"Tw,twin1@contoso.com,E9\n"+ // 5: E9 is two users
		"New,new@contoso.com,E4\n") // 6: new
	plan, err := Check(context.Background(), s.client, rows, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range plan.Problems {
		if !p.Warning {
			got = append(got, p.String())
		}
	}
	want := []string{
		"row 3 (employeeId): error: employee id E2 belongs to bo@contoso.com in the directory",
		"row 4 (userPrincipalName): error: bo@contoso.com is in the directory with employee id E2",
		"row 5 (employeeId): error: employee id E9 belongs to 2 users in the directory",
	}
	if !reflect.DeepEqual(got, want) || plan.Existing() != 1 || plan.existing[2].ID != ana.ID {
		t.Errorf("problems:\n got %q\nwant %q\n(%d existing)", got, want, plan.Existing())
	}
	sp := newSpool(t, s)
	sum, err := newEngine(s, sp).Run(context.Background(), plan, true, io.Discard)
	if err != nil || !reflect.DeepEqual(sum, Summary{Created: 2, Skipped: 3}) {
		t.Fatalf("Run = %v, %v", sum, err)
	}
	made, err := s.store.GetUserByUPN(context.Background(), "new@contoso.com")
	if err != nil || made.EmployeeID != "E4" || made.DisplayName != "New" {
		t.Errorf("new user %+v, %v", made, err)
	}
}

// fullDisk is a spool whose appends fail, as on a full disk.
type fullDisk struct{ Spool }

func (fullDisk) Append(spool.Entry) error {
	return errors.New("write staff.spool: no space left on device")
}

// A spool write that fails fails its row (reported, never counted done);
// the next run reissues that worker's badge and PIN, which nobody holds.
func TestRunSpoolFails(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	sp := newSpool(t, s)
	rows := mustRead(t, "displayName,userPrincipalName\nAna,ana@contoso.com\n")
	plan, err := Check(context.Background(), s.client, rows, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	sum, err := newEngine(s, fullDisk{sp}).Run(context.Background(), plan, false, &out)
	if err != nil || !reflect.DeepEqual(sum, Summary{Failed: 1}) {
		t.Fatalf("Run = %v, %v", sum, err)
	}
	want := "ana@contoso.com,failed,write the spool (the badge and PIN just made are lost; a new run reissues them): write staff.spool: no space left on device"
	if got := results(t, s, out.String())["2"]; got != want {
		t.Errorf("result %q, want %q", got, want)
	}
	plan, err = Check(context.Background(), s.client, rows, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sum, err = newEngine(s, sp).Run(context.Background(), plan, false, io.Discard)
	if err != nil || !reflect.DeepEqual(sum, Summary{Reissued: 1}) {
		t.Fatalf("second Run = %v, %v", sum, err)
	}
	e := sp.Entries()[0]
	if !s.signsIn(e.UserID, e.Payload, e.PIN) {
		t.Error("the reissued badge does not sign in")
	}
}

// A renewal for a group renews its members' badges alone; an unknown group
// is an error.
func TestRenewGroup(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.group("Warehouse")
	ctx := context.Background()
	soon := time.Now().UTC().AddDate(0, 0, 5).Format(time.DateOnly)
	rows := mustRead(t, "displayName,userPrincipalName,group,expireDate\n"+
		"Ana,ana@contoso.com,Warehouse,"+soon+"\nBo,bo@contoso.com,,"+soon+"\n")
	sp := newSpool(t, s)
	plan, err := Check(ctx, s.client, rows, nil, time.Now())
	if err != nil || plan.Errors() != 0 {
		t.Fatal(plan.Problems, err)
	}
	e := newEngine(s, sp)
	if _, err := e.Run(ctx, plan, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	sum, printed, err := e.Renew(ctx, Renewal{Within: 7 * 24 * time.Hour, Group: "warehouse"}, &out)
	if err != nil || !reflect.DeepEqual(sum, Summary{Renewed: 1}) || len(printed) != 1 {
		t.Fatalf("Renew = %v, %v, %v", sum, printed, err)
	}
	if !strings.Contains(out.String(), ",ana@contoso.com,renewed,\n") {
		t.Errorf("results:\n%s", out.String())
	}
	if _, _, err := e.Renew(ctx, Renewal{Within: time.Hour, Group: "Nowhere"}, io.Discard); err == nil || err.Error() != `there is no group "Nowhere"` {
		t.Errorf("unknown group: %v", err)
	}
}

// A renewal whose window is longer than the policy's lifetime finds the
// badges it renewed done on a second run: it does not revoke the badges it
// just printed.
func TestRenewWindowBeyondLifetime(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	ctx := context.Background()
	rows := mustRead(t, "displayName,userPrincipalName\nAna,ana@contoso.com\n")
	sp := newSpool(t, s)
	plan, err := Check(ctx, s.client, rows, nil, time.Now())
	if err != nil || plan.Errors() != 0 {
		t.Fatal(plan.Problems, err)
	}
	e := newEngine(s, sp)
	if _, err := e.Run(ctx, plan, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	within := 400 * 24 * time.Hour // the policy's lifetime is 365 days
	sum, _, err := e.Renew(ctx, Renewal{Within: within}, io.Discard)
	if err != nil || !reflect.DeepEqual(sum, Summary{Renewed: 1}) {
		t.Fatalf("Renew = %v, %v", sum, err)
	}
	renewed := sp.Entries()[len(sp.Entries())-1]
	sum, printed, err := e.Renew(ctx, Renewal{Within: within}, io.Discard)
	if err != nil || !reflect.DeepEqual(sum, Summary{Existing: 1}) || !printed[renewed.UserID] {
		t.Fatalf("second Renew = %v, %v, %v; want the renewal found done", sum, printed, err)
	}
	if !s.signsIn(renewed.UserID, renewed.Payload, "") {
		t.Error("the badge renewed first no longer signs in")
	}
}
