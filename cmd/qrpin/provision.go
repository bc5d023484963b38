package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"filippo.io/age"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/qrpin/qrpin/badge"
	"github.com/qrpin/qrpin/provision"
	"github.com/qrpin/qrpin/spool"
)

// provisionFlags are the flags of `qrpin provision`.
type provisionFlags struct {
	graph     graphFlags
	spool     spoolFlags
	print     printFlags
	results   string
	workers   int
	dryRun    bool
	skipBad   bool
	printOnly bool
	renew     bool
	within    string
	group     string
}

func provisionCmd() *cobra.Command {
	var f provisionFlags
	cmd := &cobra.Command{
		Use:   "provision [staff.csv]",
		Short: "Create users from a CSV file, give each a QR code + PIN, and print badge sheets and PIN letters",
		Long: "provision reads a CSV file of workers (Entra's bulk-create template, or the columns displayName,\n" +
			"userPrincipalName, employeeId, group, site, startDate, expireDate), finds or creates each user through the\n" +
			"Graph API, gives each a QR code + PIN method, and writes each badge and PIN to an encrypted spool file\n" +
			"before the row counts as done. Badge sheets and PIN letters are printed from the spool: a crash, Ctrl-C or\n" +
			"lost connection loses nothing, and running the same command again finishes the job. Rows are matched by\n" +
			"employeeId, else userPrincipalName, so done rows are left alone.\n\n" +
			"By default it talks to the local server with the data directory's bootstrap application; --graph-url with\n" +
			"--tenant, --client-id and --client-secret talks to another qrpin or to Microsoft Entra.",
		Example: `  qrpin provision staff.csv --dry-run
  qrpin provision staff.csv --badges badges.pdf --pin-letters pins.pdf
  qrpin provision staff.csv --print-only --badges badges.pdf --pin-letters pins.pdf
  qrpin provision --renew --expiring-within 30d --group Warehouse --spool staff.spool --badges renewed.pdf`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			csvPath := ""
			if len(args) == 1 {
				csvPath = args[0]
			}
			return runProvision(cmd.Context(), f, csvPath, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fs := cmd.Flags()
	f.graph.flags(fs)
	f.spool.flags(fs)
	f.print.flags(fs)
	fs.StringVar(&f.results, "results", "", "results CSV (row, user id, UPN, action, error; no secrets; default <file>.results.csv)")
	fs.IntVar(&f.workers, "workers", provision.DefaultWorkers, "rows in flight")
	fs.BoolVar(&f.dryRun, "dry-run", false, "check every row against the rules and the directory, list the problems, write nothing")
	fs.BoolVar(&f.skipBad, "skip-bad-rows", false, "provision the good rows of a file with errors (the bad ones are reported as skipped)")
	fs.BoolVar(&f.printOnly, "print-only", false, "print the badges and PIN letters of the file's workers from the spool again; change nothing")
	fs.BoolVar(&f.renew, "renew", false, "issue new standard QR codes (the PIN is kept) for badges expiring within --expiring-within")
	fs.StringVar(&f.within, "expiring-within", "30d", "with --renew: renew badges expiring within this (30d, 720h)")
	fs.StringVar(&f.group, "group", "", "with --renew: only the members of this group (display name or id)")
	return cmd
}

// provisionHook, when not nil, is the engine's Hook: told each step of a
// row. The crash test kills the process there.
var provisionHook func(step string, row int)

// runProvision runs `qrpin provision`.
func runProvision(parent context.Context, f provisionFlags, csvPath string, stdout, stderr io.Writer) error {
	if csvPath == "" && !f.renew && !f.printOnly {
		return errors.New("name the CSV file of workers (or --renew)")
	}
	if f.spool.path == "" {
		if csvPath == "" {
			return errors.New("without a CSV file, name the spool: --spool")
		}
		f.spool.path = strings.TrimSuffix(csvPath, filepath.Ext(csvPath)) + ".spool"
	}
	if f.results == "" {
		base := f.spool.path
		if csvPath != "" {
			base = csvPath
		}
		f.results = strings.TrimSuffix(base, filepath.Ext(base)) + ".results.csv"
	}
	pr, err := f.print.print()
	if err != nil {
		return err
	}
	if err := distinctOutputs(csvPath, f.spool.path, map[string]string{"--results": f.results, "--badges": pr.Badges, "--pin-letters": pr.Letters}); err != nil {
		return err
	}
	var rows []provision.Row
	var readProblems []provision.Problem
	if csvPath != "" {
		in, err := os.Open(csvPath)
		if err != nil {
			return err
		}
		rows, readProblems, err = provision.ReadCSV(in)
		in.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", csvPath, err)
		}
	}
	if f.printOnly {
		sp, err := f.spool.open(f.graph.tenantHint())
		if err != nil {
			return err
		}
		defer sp.Close()
		return printSpool(stdout, pr, sp.Entries(), byUPN(rows))
	}
	g, tenant, err := f.graph.client()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() { <-ctx.Done(); stop() }() // a second Ctrl-C kills at once

	var plan *provision.Plan
	if csvPath != "" {
		if plan, err = provision.Check(ctx, g, rows, readProblems, time.Now()); err != nil {
			return err
		}
		for _, p := range plan.Problems {
			fmt.Fprintln(stderr, p)
		}
		fmt.Fprintf(stdout, "%s: %d rows, %d already in the directory, %d errors\n", csvPath, len(rows), plan.Existing(), plan.Errors())
		if f.dryRun {
			if plan.Errors() > 0 {
				return fmt.Errorf("%d errors: nothing was written", plan.Errors())
			}
			return nil
		}
		if plan.Errors() > 0 && !f.skipBad {
			return fmt.Errorf("%s has %d errors: nothing was written (fix them, or --skip-bad-rows)", csvPath, plan.Errors())
		}
	} else if f.dryRun {
		return errors.New("--dry-run checks a CSV file: name one")
	}
	sp, err := f.spool.openOrCreate(tenant)
	if err != nil {
		return err
	}
	defer sp.Close()
	results, err := os.OpenFile(f.results, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer results.Close()
	e := &provision.Engine{Graph: g, Spool: sp, Workers: f.workers, NewControl: badge.NewControl, Progress: newProgress(stderr), Hook: provisionHook}
	var sum provision.Summary
	var keep func(spool.Entry) bool
	var runErr error
	if f.renew {
		within, err := parseWithin(f.within)
		if err != nil {
			return err
		}
		r := provision.Renewal{Within: within, Group: f.group}
		if plan != nil && f.group == "" {
			r.Users = plan.Users()
		}
		var printed map[string]bool
		sum, printed, runErr = e.Renew(ctx, r, results)
		keep = func(en spool.Entry) bool { return printed[en.UserID] }
		pr.Letters = "" // the PINs were kept
	} else {
		sum, runErr = e.Run(ctx, plan, f.skipBad, results)
		keep = byUPN(rows)
	}
	if err := results.Sync(); err != nil && runErr == nil {
		runErr = err
	}
	fmt.Fprintf(stdout, "%s; results in %s, secrets in the spool %s\n", summary(sum), f.results, f.spool.path)
	if sum == nil {
		return runErr
	}
	if err := printSpool(stdout, pr, sp.Entries(), keep); err != nil {
		return errors.Join(runErr, err)
	}
	if runErr == nil && sum[provision.Failed] > 0 {
		runErr = fmt.Errorf("%d rows failed (see %s): run the same command again to retry them", sum[provision.Failed], f.results)
	}
	if errors.Is(runErr, context.Canceled) {
		runErr = errors.New("stopped: the rows done are in the spool and the PDFs; run the same command again to finish")
	}
	return runErr
}

// distinctOutputs refuses an output file (by flag) that is the CSV file or
// the spool: writing it would destroy the input, or every badge and PIN.
func distinctOutputs(csvPath, spoolPath string, outputs map[string]string) error {
	for flag, out := range outputs {
		for what, in := range map[string]string{"the CSV file": csvPath, "the spool": spoolPath} {
			if sameFile(out, in) {
				return fmt.Errorf("%s %s is %s: name another file", flag, out, what)
			}
		}
	}
	return nil
}

// sameFile reports whether the paths name one file (or would).
func sameFile(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	ia, errA := os.Stat(a)
	ib, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(ia, ib)
}

// summary says how many rows ended with each action.
func summary(sum provision.Summary) string {
	var parts []string
	for _, a := range []string{provision.Created, provision.Reissued, provision.Renewed, provision.Existing, provision.Skipped, provision.Failed} {
		if n := sum[a]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, a))
		}
	}
	if len(parts) == 0 {
		return "nothing to do"
	}
	return strings.Join(parts, ", ")
}

// byUPN keeps the spool entries of the rows' users (all of them when there
// are no rows).
func byUPN(rows []provision.Row) func(spool.Entry) bool {
	if rows == nil {
		return nil
	}
	upns := map[string]bool{}
	for _, r := range rows {
		upns[strings.ToLower(r.UPN)] = true
	}
	return func(e spool.Entry) bool { return upns[strings.ToLower(e.UPN)] }
}

// printSpool writes the PDFs of the entries keep accepts.
func printSpool(stdout io.Writer, pr provision.Print, entries []spool.Entry, keep func(spool.Entry) bool) error {
	if pr.Badges == "" && pr.Letters == "" {
		return nil
	}
	badges, letters := provision.Printable(entries, keep)
	warnings, err := pr.Write(badges, letters)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintln(stdout, "badges: warning:", w)
	}
	if pr.Badges != "" {
		fmt.Fprintf(stdout, "%d badges in %s\n", len(badges), pr.Badges)
	}
	if pr.Letters != "" {
		fmt.Fprintf(stdout, "%d PIN letters in %s\n", len(letters), pr.Letters)
	}
	return nil
}

// parseWithin reads --expiring-within: days ("30d") or a Go duration.
func parseWithin(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err == nil && n > 0 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	} else if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	return 0, fmt.Errorf("--expiring-within %q: give days (30d) or a duration (720h)", s)
}

// printFlags say what to print.
type printFlags struct {
	badges, letters      string
	layout, paper, style string
}

func (p *printFlags) flags(fs *pflag.FlagSet) {
	fs.StringVar(&p.badges, "badges", "", "write the badge sheets to this PDF")
	fs.StringVar(&p.letters, "pin-letters", "", "write the PIN letters to this PDF (never on the badge sheets)")
	fs.StringVar(&p.layout, "layout", string(badge.LayoutA4), "badge layout: cr80 (cards), label2in (2-inch labels), a4 or letter (sheets)")
	fs.StringVar(&p.paper, "paper", "", "paper the cards, labels and letters are printed on: a4 or letter (default: the layout's, else a4)")
	fs.StringVar(&p.style, "letter-style", string(badge.StylePage), "PIN letters: page (one worker per page) or mailer (fold and seal)")
}

func (p *printFlags) print() (provision.Print, error) {
	layout, err := badge.ParseLayout(p.layout)
	if err != nil {
		return provision.Print{}, fmt.Errorf("--layout: %w", err)
	}
	var paper badge.Paper // "": the layout's own (A4 for cards and labels)
	if p.paper != "" {
		if paper, err = badge.ParsePaper(p.paper); err != nil {
			return provision.Print{}, fmt.Errorf("--paper: %w", err)
		}
	}
	style, err := badge.ParseLetterStyle(p.style)
	if err != nil {
		return provision.Print{}, fmt.Errorf("--letter-style: %w", err)
	}
	if p.badges != "" && p.badges == p.letters {
		return provision.Print{}, errors.New("--badges and --pin-letters must be different files: a PIN is never printed beside its badge")
	}
	return provision.Print{Badges: p.badges, Letters: p.letters, Layout: layout, Paper: paper, Style: style}, nil
}

// spoolFlags say where the spool is and how it is encrypted.
type spoolFlags struct {
	path, passphraseFile, recipient, identity string
	// scryptLogN is the passphrase's scrypt cost for a new spool (0: age's
	// default); tests lower it.
	scryptLogN int
}

func (s *spoolFlags) flags(fs *pflag.FlagSet) {
	fs.StringVar(&s.path, "spool", "", "the encrypted spool of badges and PINs (default: the CSV file's name with .spool)")
	fs.StringVar(&s.passphraseFile, "passphrase-file", "", "read the spool's passphrase from this file (else QRPIN_SPOOL_PASSPHRASE, else a prompt)")
	fs.StringVar(&s.recipient, "recipient", "", "encrypt a new spool to this age public key (age1...); reading it needs --identity")
	fs.StringVar(&s.identity, "identity", "", "the age identity file (age-keygen) the spool is encrypted to")
}

// key returns the spool's key; create says the spool is new (a prompted
// passphrase is asked twice).
func (s *spoolFlags) key(create bool) (spool.Key, error) {
	switch {
	case s.identity != "":
		return spool.IdentityFile(s.identity)
	case s.recipient != "":
		if !create {
			return spool.Key{}, fmt.Errorf("the spool %s exists: reading it needs --identity, not --recipient", s.path)
		}
		r, err := age.ParseX25519Recipient(s.recipient)
		if err != nil {
			return spool.Key{}, fmt.Errorf("--recipient: %w", err)
		}
		return spool.Recipients(r), nil
	}
	pass, err := s.passphrase(create)
	if err != nil {
		return spool.Key{}, err
	}
	k := spool.Passphrase(pass)
	if s.scryptLogN > 0 {
		k = k.WithScryptWorkFactor(s.scryptLogN)
	}
	return k, nil
}

// passphrase reads the passphrase: --passphrase-file, QRPIN_SPOOL_PASSPHRASE
// or the terminal.
func (s *spoolFlags) passphrase(create bool) (string, error) {
	if s.passphraseFile != "" {
		b, err := os.ReadFile(s.passphraseFile)
		if err != nil {
			return "", err
		}
		p := strings.TrimRight(string(b), "\r\n")
		if p == "" {
			return "", fmt.Errorf("%s is empty", s.passphraseFile)
		}
		return p, nil
	}
	if p := os.Getenv("QRPIN_SPOOL_PASSPHRASE"); p != "" {
		return p, nil
	}
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return "", errors.New("the spool needs a passphrase: --passphrase-file, QRPIN_SPOOL_PASSPHRASE, --identity, or run on a terminal")
	}
	ask := func(prompt string) (string, error) {
		fmt.Fprint(os.Stderr, prompt)
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(os.Stderr)
		return string(b), err
	}
	p, err := ask("Spool passphrase: ")
	if err != nil || p == "" {
		return "", errors.Join(errors.New("no passphrase"), err)
	}
	if create {
		again, err := ask("Again: ")
		if err != nil {
			return "", err
		}
		if again != p {
			return "", errors.New("the passphrases differ")
		}
	}
	return p, nil
}

// open opens an existing spool of tenant.
func (s *spoolFlags) open(tenant string) (*spool.Spool, error) {
	k, err := s.key(false)
	if err != nil {
		return nil, err
	}
	if tenant == "" {
		return nil, errors.New("name the spool's tenant: --tenant, or --data for the local server's")
	}
	return spool.Open(s.path, tenant, k)
}

// openOrCreate opens the spool for tenant, or creates it.
func (s *spoolFlags) openOrCreate(tenant string) (*spool.Spool, error) {
	_, err := os.Stat(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		k, err := s.key(true)
		if err != nil {
			return nil, err
		}
		return spool.Create(s.path, tenant, k)
	}
	return s.open(tenant)
}
