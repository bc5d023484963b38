package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/qrpin/qrpin/store/postgres/pgtest"
)

// TestREADMEPostgres runs the README's "Running on PostgreSQL" commands as
// written (psql, then `go run ./cmd/qrpin migrate-data` and `serve`, the
// qrpin ones in this process), in a fresh database of the
// QRPIN_TEST_POSTGRES server: the database the README names, its URLs'
// server part that one's. The server serves the tenant copied from the
// SQLite data directory and names the database without its password.
func TestREADMEPostgres(t *testing.T) {
	t.Parallel()
	base, err := url.Parse(pgtest.BaseDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("psql"); err != nil {
		pgtest.Unavailable(t, "psql is not installed (apt-get install postgresql-client)")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := readmeBlocks(t, string(readme), "## Running on PostgreSQL")
	if len(blocks) == 0 {
		t.Fatal("the README's PostgreSQL section has no shell block")
	}
	lines := shellLines(blocks[0])
	if len(lines) != 3 || lines[0][0] != "psql" || strings.Join(lines[1][:3], " ") != "go run ./cmd/qrpin" ||
		strings.Join(lines[2][:3], " ") != "go run ./cmd/qrpin" || lines[1][3] != "migrate-data" || lines[2][3] != "serve" {
		t.Fatalf("the README's PostgreSQL commands are not psql, go run ./cmd/qrpin migrate-data, serve: %q", lines)
	}

	b := make([]byte, 6)
	rand.Read(b)
	db := "qrpin_readme_" + hex.EncodeToString(b)
	// The README's URLs, on the test server, with the database renamed.
	dsn := func(readmeURL string) string {
		u, err := url.Parse(readmeURL)
		if err != nil {
			t.Fatalf("the README's URL %q: %v", readmeURL, err)
		}
		u.Scheme, u.User, u.Host = base.Scheme, base.User, base.Host
		if u.Path == "/qrpin" {
			u.Path = "/" + db
		}
		return u.String()
	}
	args := func(l []string) []string {
		out := make([]string, len(l))
		for i, a := range l {
			out[i] = a
			if isPostgres(a) {
				out[i] = dsn(a)
			}
		}
		return out
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "qrpin-data")
	c := common{data: data} // the first session's data directory
	d, err := c.open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tenant := d.tenantID
	d.store.Close()

	psql := args(lines[0])
	if len(psql) != 4 || psql[2] != "-c" || psql[3] != "CREATE DATABASE qrpin" {
		t.Fatalf("the README's psql command is not psql URL -c 'CREATE DATABASE qrpin': %q", lines[0])
	}
	psql[3] = "CREATE DATABASE " + db
	if out, err := exec.Command(psql[0], psql[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%q: %v\n%s", psql, err, out)
	}
	t.Cleanup(func() { pgtest.Exec(t, base.String(), `DROP DATABASE IF EXISTS `+db+` WITH (FORCE)`) })

	inDir := func(l []string) []string { // ./qrpin-data is the test's
		for i, a := range l {
			l[i] = strings.ReplaceAll(a, "./qrpin-data", data)
		}
		return l
	}
	if out, err := runCmd(t, migrateDataCmd(), inDir(args(lines[1][4:]))...); err != nil {
		t.Fatalf("migrate-data: %v\n%s", err, out)
	}

	addr := freeAddr(t)                                                                        // not the README's default: the test shares the machine
	serveArgs := append(inDir(args(lines[2][4:])), "--addr", addr, "--management-addr", "off") // the default port may be taken on a shared machine
	cmd := serveCmd()
	r, w := io.Pipe()
	cmd.SetOut(w)
	cmd.SetArgs(serveArgs)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx); w.Close() }()
	lineCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "qrpin listening on ") {
				lineCh <- sc.Text()
			}
		}
		io.Copy(io.Discard, r)
	}()
	var startup string
	select {
	case startup = <-lineCh:
	case err := <-done:
		cancel()
		t.Fatalf("serve %q: %v", serveArgs, err)
	}
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	i := slices.Index(lines[2], "--db")
	if i < 0 || i+1 == len(lines[2]) {
		t.Fatalf("the README's serve command has no --db: %q", lines[2])
	}
	wantDB := "database PostgreSQL " + strings.Replace(dsn(lines[2][i+1]), base.User.String()+"@", redactedUser(base.User)+"@", 1) + ")"
	if !strings.HasSuffix(startup, wantDB) || (hasPassword(base.User) && strings.Contains(startup, password(base.User))) {
		t.Errorf("startup line %q, want it to end with %q", startup, wantDB)
	}
	res, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	var home map[string]any
	err = json.NewDecoder(res.Body).Decode(&home)
	res.Body.Close()
	if err != nil || home["tenantId"] != tenant {
		t.Fatalf("GET / on the PostgreSQL server: %v %v, want tenant %s", home, err, tenant)
	}
}

func hasPassword(u *url.Userinfo) bool { _, ok := u.Password(); return ok }
func password(u *url.Userinfo) string  { p, _ := u.Password(); return p }

// redactedUser is u as url.URL.Redacted shows it.
func redactedUser(u *url.Userinfo) string {
	if hasPassword(u) {
		return url.UserPassword(u.Username(), "xxxxx").String()
	}
	return u.String()
}

// shellLines splits a shell block into commands (a trailing backslash
// continues a line) and each into words, with 'single quotes' as the shell
// reads them: enough for the README's commands, which use nothing else.
func shellLines(block string) [][]string {
	var lines [][]string
	for _, l := range strings.Split(strings.ReplaceAll(block, "\\\n", " "), "\n") {
		var words []string
		var word strings.Builder
		inWord, quoted := false, false
		for _, r := range l {
			switch {
			case r == '\'':
				quoted, inWord = !quoted, true
			case (r == ' ' || r == '\t') && !quoted:
				if inWord {
					words, inWord = append(words, word.String()), false
					word.Reset()
				}
			default:
				word.WriteRune(r)
				inWord = true
			}
		}
		if inWord {
			words = append(words, word.String())
		}
		if len(words) > 0 {
			lines = append(lines, words)
		}
	}
	return lines
}
