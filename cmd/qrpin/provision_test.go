package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/qrpin/qrpin/badge"
	"github.com/qrpin/qrpin/badge/badgetest"
	"github.com/qrpin/qrpin/pin"
	"github.com/qrpin/qrpin/spool"
)

// cheapHash are Argon2id parameters for servers that make many PINs in tests.
var cheapHash = pin.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// provisionServer is a running qrpin (cheap hashing, the QR code + PIN
// policy enabled for every user) and a working directory with an age
// identity for spools.
type provisionServer struct {
	c        common
	creds    bootstrapCredentials
	token    string
	dir      string
	identity string // an age identity file
}

func newProvisionServer(t *testing.T) *provisionServer {
	t.Helper()
	dir := t.TempDir()
	c := common{data: filepath.Join(dir, "data"), addr: freeAddr(t), hashParams: &cheapHash}
	runServeRate(t, c, 1<<20) // the crash test's runs make thousands of requests
	s := &provisionServer{c: c, creds: readBootstrap(t, c.data), dir: dir, identity: filepath.Join(dir, "operator.key")}
	s.token = getToken(t, http.DefaultClient, s.creds)
	if st, m := s.graph(t, "PATCH", "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/qrCodePin",
		`{"@odata.type":"#microsoft.graph.qrCodePinAuthenticationMethodConfiguration","state":"enabled"}`); st != 200 {
		t.Fatalf("enable the policy: %d %v", st, m)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.identity, []byte(id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *provisionServer) graph(t *testing.T, verb, path, body string) (int, map[string]any) {
	t.Helper()
	return graphCall(t, http.DefaultClient, s.token, verb, s.creds.GraphURL+path, body)
}

// file writes a file in the working directory and returns its path.
func (s *provisionServer) file(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(s.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// flags are provision's flags for this server and its identity.
func (s *provisionServer) flags() provisionFlags {
	f := provisionFlags{workers: 4, within: "30d"}
	f.graph.data = s.c.data
	f.spool.identity = s.identity
	f.print.layout, f.print.style = "a4", "page"
	return f
}

// spoolEntries reads a spool with the server's identity.
func (s *provisionServer) spoolEntries(t *testing.T, path string) []spool.Entry {
	t.Helper()
	k, err := spool.IdentityFile(s.identity)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := spool.Open(path, s.creds.TenantID, k)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	return sp.Entries()
}

// signIn signs in through the sign-in API with a badge's payload and a
// PIN; ok is true when the PIN was accepted (the next step is a new PIN,
// since provisioned PINs are temporary, or done).
func (s *provisionServer) signIn(t *testing.T, payload, code string) (ok bool, why string) {
	t.Helper()
	base := strings.TrimSuffix(s.creds.GraphURL, "/v1.0") + "/" + s.creds.TenantID + "/signin/"
	post := func(step string, body any) (int, map[string]any) {
		b, _ := json.Marshal(body)
		res, err := http.Post(base+step, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(res.Body).Decode(&m)
		return res.StatusCode, m
	}
	st, m := post("qr", map[string]string{"qrCode": payload})
	if st != 200 || m["next"] != "pin" {
		return false, fmt.Sprintf("QR code: %d %v", st, m)
	}
	st, m = post("pin", map[string]string{"transaction": m["transaction"].(string), "pin": code})
	if st != 200 || (m["next"] != "newPin" && m["next"] != "done") {
		return false, fmt.Sprintf("PIN: %d %v", st, m)
	}
	return true, ""
}

// The command provisions a file against the local server from its
// bootstrap application, writes the results and the PDFs, and a second
// run changes nothing; a dry run of a bad file lists its problems and
// writes nothing.
func TestProvisionCommand(t *testing.T) {
	t.Parallel()
	s := newProvisionServer(t)
	if st, m := s.graph(t, "POST", "/groups", `{"displayName":"Warehouse","mailNickname":"warehouse"}`); st != 201 {
		t.Fatalf("group: %d %v", st, m)
	}
	csv := s.file(t, "staff.csv", "displayName;userPrincipalName;group;site\n"+
		"Ana Ruiz;ana@contoso.com;Warehouse;Lyon\nBo Li;bo@contoso.com;;Paris\nCy Oduya;cy@contoso.com;Warehouse;\n")
	f := s.flags()
	f.print.badges, f.print.letters = filepath.Join(s.dir, "badges.pdf"), filepath.Join(s.dir, "pins.pdf")
	var out, errOut bytes.Buffer
	if err := runProvision(t.Context(), f, csv, &out, &errOut); err != nil {
		t.Fatalf("provision: %v\n%s\n%s", err, out.String(), errOut.String())
	}
	results := filepath.Join(s.dir, "staff.results.csv")
	spoolPath := filepath.Join(s.dir, "staff.spool")
	want := csv + ": 3 rows, 0 already in the directory, 0 errors\n" +
		"3 created; results in " + results + ", secrets in the spool " + spoolPath + "\n" +
		"3 badges in " + f.print.badges + "\n3 PIN letters in " + f.print.letters + "\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
	entries := s.spoolEntries(t, spoolPath)
	if len(entries) != 3 {
		t.Fatalf("%d spool entries", len(entries))
	}
	res, err := os.ReadFile(results)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if ok, why := s.signIn(t, e.Payload, e.PIN); !ok {
			t.Errorf("%s does not sign in: %s", e.UPN, why)
		}
		if !bytes.Contains(res, []byte(fmt.Sprintf(",%s,%s,created,\n", e.UserID, e.UPN))) {
			t.Errorf("results lack %s:\n%s", e.UPN, res)
		}
		if bytes.Contains(res, []byte(e.PIN)) || bytes.Contains(res, []byte(e.Payload)) {
			t.Errorf("the results hold a secret of %s", e.UPN)
		}
	}
	for _, p := range []string{f.print.badges, f.print.letters, results, spoolPath} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 || fi.Size() == 0 {
			t.Errorf("%s: %v %v", p, fi, err)
		}
	}

	out.Reset()
	if err := runProvision(t.Context(), f, csv, &out, &errOut); err != nil {
		t.Fatalf("second run: %v", err)
	}
	if !strings.Contains(out.String(), ": 3 rows, 3 already in the directory, 0 errors\n3 existing;") || len(s.spoolEntries(t, spoolPath)) != 3 {
		t.Errorf("second run:\n%s", out.String())
	}

	bad := s.file(t, "bad.csv", "displayName,userPrincipalName,group\nDi,di@@contoso.com,Nowhere\nAna,ana@contoso.com,\n")
	out.Reset()
	errOut.Reset()
	f.dryRun = true
	err = runProvision(t.Context(), f, bad, &out, &errOut)
	if err == nil || err.Error() != "2 errors: nothing was written" {
		t.Fatalf("dry run of a bad file: %v", err)
	}
	wantErr := `row 2 (userPrincipalName): error: "di@@contoso.com" is not a valid userPrincipalName (name@domain, letters, digits and ' . - _ ! # ^ ~)` + "\n" +
		`row 2 (group): error: there is no group "Nowhere"` + "\n"
	if errOut.String() != wantErr {
		t.Errorf("problems:\n%s\nwant:\n%s", errOut.String(), wantErr)
	}
	for _, p := range []string{"bad.spool", "bad.results.csv"} {
		if _, err := os.Stat(filepath.Join(s.dir, p)); err == nil {
			t.Errorf("the dry run wrote %s", p)
		}
	}
	f.dryRun = false
	if err := runProvision(t.Context(), f, bad, &out, &errOut); err == nil || !strings.Contains(err.Error(), "has 2 errors: nothing was written") {
		t.Errorf("real run of a bad file: %v", err)
	}
}

// The README's sample file checks clean once its groups exist; after a
// run, --print-only prints it again from the spool, `qrpin badge` writes
// one badge that scans to its payload, and --renew replaces the badge that
// expires soon and prints it alone.
func TestProvisionSampleFile(t *testing.T) {
	t.Parallel()
	s := newProvisionServer(t)
	for _, g := range []string{"Warehouse", "Night shift"} {
		if st, m := s.graph(t, "POST", "/groups", `{"displayName":"`+g+`","mailNickname":"g"}`); st != 201 {
			t.Fatalf("group: %d %v", st, m)
		}
	}
	sample, err := os.ReadFile("../../examples/staff.csv")
	if err != nil {
		t.Fatal(err)
	}
	soon := time.Now().UTC().AddDate(0, 0, 10).Format(time.DateOnly)
	csv := s.file(t, "staff.csv", strings.Replace(string(sample), ",2027-06-30", ","+soon, 1))
	f := s.flags()
	var out, errOut bytes.Buffer
	f.dryRun = true
	if err := runProvision(t.Context(), f, csv, &out, &errOut); err != nil || errOut.Len() != 0 {
		t.Fatalf("dry run of the sample: %v\n%s", err, errOut.String())
	}
	f.dryRun = false
	if err := runProvision(t.Context(), f, csv, &out, &errOut); err != nil {
		t.Fatalf("provision the sample: %v\n%s", err, errOut.String())
	}
	spoolPath := filepath.Join(s.dir, "staff.spool")
	entries := s.spoolEntries(t, spoolPath)
	if len(entries) != 5 {
		t.Fatalf("%d entries", len(entries))
	}

	f.printOnly = true
	f.print.badges, f.print.letters = filepath.Join(s.dir, "again.pdf"), filepath.Join(s.dir, "again-pins.pdf")
	out.Reset()
	if err := runProvision(t.Context(), f, csv, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if want := "5 badges in " + f.print.badges + "\n5 PIN letters in " + f.print.letters + "\n"; out.String() != want {
		t.Errorf("print-only said %q, want %q", out.String(), want)
	}
	pdf, _ := os.ReadFile(f.print.badges)
	codes := badgetest.Scan(t, pdf, badge.LayoutA4, "")
	spooled := map[string]bool{}
	for _, e := range entries {
		spooled[e.Payload] = true
	}
	for _, c := range codes {
		delete(spooled, c.Text)
	}
	if len(codes) != 5 || len(spooled) != 0 {
		t.Errorf("the reprint holds %d badges; %d spooled badges are not among them", len(codes), len(spooled))
	}

	png := filepath.Join(s.dir, "ana.png")
	cmd := badgeCmd()
	cmd.SetArgs([]string{"--user", "E-1001", "--spool", spoolPath, "--identity", s.identity, "--data", s.c.data, "--out", png})
	cmd.SetOut(&out)
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	img, err := os.ReadFile(png)
	if err != nil {
		t.Fatal(err)
	}
	var ana spool.Entry
	for _, e := range entries {
		if e.EmployeeID == "E-1001" {
			ana = e
		}
	}
	if got := scanPNG(t, img); got != ana.Payload {
		t.Errorf("qrpin badge wrote a PNG that scans to %q, want Ana's payload", got)
	}

	f.printOnly, f.renew = false, true
	f.print.badges, f.print.letters = filepath.Join(s.dir, "renewed.pdf"), filepath.Join(s.dir, "renewed-pins.pdf")
	out.Reset()
	if err := runProvision(t.Context(), f, csv, &out, &errOut); err != nil {
		t.Fatalf("renew: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "\n1 renewed;") || !strings.Contains(out.String(), "1 badges in "+f.print.badges+"\n") {
		t.Errorf("renew said:\n%s", out.String())
	}
	if _, err := os.Stat(f.print.letters); err == nil {
		t.Error("a renewal printed PIN letters")
	}
	pdf, _ = os.ReadFile(f.print.badges)
	renewed := s.spoolEntries(t, spoolPath)[5]
	if codes := badgetest.Scan(t, pdf, badge.LayoutA4, ""); len(codes) != 1 || codes[0].Text != renewed.Payload || renewed.Action != spool.ActionRenewed {
		t.Errorf("the renewal sheet holds %v; the renewed entry %+v", codes, renewed)
	}
}

// scanPNG decodes the one QR code of a PNG image.
func scanPNG(t *testing.T, b []byte) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	gray := image.NewGray(img.Bounds())
	draw.Draw(gray, gray.Bounds(), img, img.Bounds().Min, draw.Src)
	found := badgetest.Symbols(t, []*image.Gray{gray})
	if len(found) != 1 {
		t.Fatalf("%d QR codes in the image", len(found))
	}
	return found[0]
}

// A spool of another tenant, or one the key does not open, is refused
// with the spool's error, before anything is written.
func TestProvisionSpoolRefused(t *testing.T) {
	t.Parallel()
	s := newProvisionServer(t)
	csv := s.file(t, "staff.csv", "displayName,userPrincipalName\nAna,ana@contoso.com\n")
	other, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	sp, err := spool.Create(filepath.Join(s.dir, "staff.spool"), "another-tenant", spool.Identities(other))
	if err != nil {
		t.Fatal(err)
	}
	sp.Close()
	f := s.flags()
	var out, errOut bytes.Buffer
	err = runProvision(t.Context(), f, csv, &out, &errOut)
	if !errors.Is(err, spool.ErrTenant) || !strings.Contains(err.Error(), `is for tenant "another-tenant", not tenant "`+s.creds.TenantID+`"`) {
		t.Errorf("another tenant's spool: %v", err)
	}
	os.Remove(filepath.Join(s.dir, "staff.spool"))
	sp, err = spool.Create(filepath.Join(s.dir, "staff.spool"), s.creds.TenantID, spool.Identities(other))
	if err != nil {
		t.Fatal(err)
	}
	sp.Close()
	if err := runProvision(t.Context(), f, csv, &out, &errOut); !errors.Is(err, spool.ErrWrongKey) {
		t.Errorf("a spool for another key: %v", err)
	}
	if st, m := s.graph(t, "GET", "/users", ""); st != 200 || len(m["value"].([]any)) != 0 {
		t.Errorf("users were created: %v", m)
	}
}

// An output file that is the spool or the CSV file is refused before
// anything is written: --badges over the spool would replace every badge
// and PIN with a PDF.
func TestProvisionOutputOverInput(t *testing.T) {
	t.Parallel()
	s := newProvisionServer(t)
	csv := s.file(t, "staff.csv", "displayName,userPrincipalName\nAna Ruiz,ana@contoso.com\n")
	f := s.flags()
	var out, errOut bytes.Buffer
	if err := runProvision(t.Context(), f, csv, &out, &errOut); err != nil {
		t.Fatalf("provision: %v\n%s", err, errOut.String())
	}
	spoolPath := filepath.Join(s.dir, "staff.spool")
	for _, tc := range []struct {
		set  func(*provisionFlags)
		want string
	}{
		{func(f *provisionFlags) { f.print.badges = filepath.Join(s.dir, ".", "staff.spool") }, "--badges " + filepath.Join(s.dir, "staff.spool") + " is the spool: name another file"},
		{func(f *provisionFlags) { f.print.letters = spoolPath }, "--pin-letters " + spoolPath + " is the spool: name another file"},
		{func(f *provisionFlags) { f.results = csv }, "--results " + csv + " is the CSV file: name another file"},
	} {
		g := s.flags()
		tc.set(&g)
		if err := runProvision(t.Context(), g, csv, &out, &errOut); err == nil || err.Error() != tc.want {
			t.Errorf("runProvision = %v; want %q", err, tc.want)
		}
	}
	if entries := s.spoolEntries(t, spoolPath); len(entries) != 1 || entries[0].PIN == "" {
		t.Errorf("the spool holds %v after the refused runs", entries)
	}
	if b, err := os.ReadFile(csv); err != nil || !strings.HasPrefix(string(b), "displayName,") {
		t.Errorf("the CSV file is now %q, %v", b, err)
	}
}
