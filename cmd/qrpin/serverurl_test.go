package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/qrpin/qrpin/datadir"
)

// runCmd runs a qrpin command with args and returns what it printed.
func runCmd(t *testing.T, cmd *cobra.Command, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

// TestCLIUsesServersURL: serve on an address that is not the default one
// records its URL in the data directory; `qrpin token` given only --data
// mints a token that this server accepts, and `apps create` and `apps
// add-secret` print its token endpoint. An explicit --addr still wins.
func TestCLIUsesServersURL(t *testing.T) {
	t.Parallel()
	c := common{data: filepath.Join(t.TempDir(), "data"), addr: freeAddr(t)}
	out, _ := runServe(t, c)
	base := "http://" + c.addr
	if got, err := datadir.PublicURL(c.data); got != base || err != nil {
		t.Fatalf("recorded public URL %q, %v; want %q", got, err, base)
	}
	creds := readBootstrap(t, c.data)

	// The startup lines name the database and the sign-in page.
	printed := out.String()
	for _, want := range []string{
		"qrpin listening on " + base + " (tenant " + creds.TenantID + ", data " + c.data + ", database SQLite " + filepath.Join(c.data, "qrpin.db") + ")\n",
		"sign-in page: " + base + "/" + creds.TenantID + "/signin\n",
	} {
		if !strings.Contains(printed, want) {
			t.Errorf("serve printed no %q:\n%s", want, printed)
		}
	}

	tok, err := runCmd(t, tokenCmd(), "--data", c.data, "--app", creds.ClientID)
	if err != nil {
		t.Fatalf("qrpin token: %v\n%s", err, tok)
	}
	if st, m := graphCall(t, http.DefaultClient, strings.TrimSpace(tok), "GET", base+"/v1.0/users", ""); st != 200 {
		t.Fatalf("GET /users with the CLI's token: %d %v", st, m)
	}
	// --addr names another server: the token is that one's, refused here.
	other, err := runCmd(t, tokenCmd(), "--data", c.data, "--app", creds.ClientID, "--addr", "localhost:8080")
	if err != nil {
		t.Fatalf("qrpin token --addr: %v\n%s", err, other)
	}
	if st, m := graphCall(t, http.DefaultClient, strings.TrimSpace(other), "GET", base+"/v1.0/users", ""); st != 401 {
		t.Fatalf("GET /users with a token for localhost:8080: %d %v, want 401", st, m)
	}

	endpoint := "token endpoint: " + base + "/" + creds.TenantID + "/oauth2/v2.0/token\n"
	created, err := runCmd(t, appsCmd(), "create", "--data", c.data, "--name", "printer", "--redirect-uri", "https://printer.example/cb")
	if err != nil || !strings.Contains(created, endpoint) || !strings.Contains(created, "issuer:         "+base+"/"+creds.TenantID+"/v2.0\n") {
		t.Fatalf("apps create: %v\n%s", err, created)
	}
	clientID := regexp.MustCompile(`client id:\s+(\S+)`).FindStringSubmatch(created)[1]
	added, err := runCmd(t, appsCmd(), "add-secret", "--data", c.data, "--app", clientID)
	if err != nil || !strings.Contains(added, endpoint) {
		t.Fatalf("apps add-secret: %v\n%s", err, added)
	}
	added, err = runCmd(t, appsCmd(), "add-secret", "--data", c.data, "--app", clientID, "--public-url", "https://qrpin.example.com/")
	if err != nil || !strings.Contains(added, "token endpoint: https://qrpin.example.com/"+creds.TenantID+"/oauth2/v2.0/token\n") {
		t.Fatalf("apps add-secret --public-url: %v\n%s", err, added)
	}

	// GET / on the server: its addresses (JSON for curl).
	res, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	var home map[string]any
	err = json.NewDecoder(res.Body).Decode(&home)
	res.Body.Close()
	if err != nil || res.StatusCode != 200 || home["signInPage"] != base+"/"+creds.TenantID+"/signin" || home["graphV1"] != base+"/v1.0" {
		t.Fatalf("GET /: %d %v %v", res.StatusCode, home, err)
	}
}

// TestServerURLWithoutRecord: before any serve, the commands derive the URL
// from --addr (and the TLS flags), localhost:8080 by default; a recorded URL
// that is not one is an error naming the file, not a token for nowhere.
func TestServerURLWithoutRecord(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "data")
	out, err := runCmd(t, appsCmd(), "create", "--data", data, "--name", "a")
	if err != nil || !strings.Contains(out, "token endpoint: http://localhost:8080/") {
		t.Fatalf("apps create with no recorded URL: %v\n%s", err, out)
	}
	out, err = runCmd(t, appsCmd(), "create", "--data", data, "--name", "b", "--addr", "127.0.0.1:9443", "--tls-self-signed")
	if err != nil || !strings.Contains(out, "token endpoint: https://127.0.0.1:9443/") {
		t.Fatalf("apps create --addr --tls-self-signed: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(data, datadir.PublicURLFile), []byte("not a URL\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = runCmd(t, appsCmd(), "create", "--data", data, "--name", "c")
	if err == nil || !strings.Contains(err.Error(), datadir.PublicURLFile) {
		t.Fatalf("apps create with a bad recorded URL: %v\n%s", err, out)
	}
}

// TestAddrHelp: --addr says what it means: where serve listens; for the
// commands that mint tokens or print URLs, the server they name; for the
// others, that they do not use it.
func TestAddrHelp(t *testing.T) {
	t.Parallel()
	if u := serveCmd().Flags().Lookup("addr").Usage; !strings.HasPrefix(u, "address (host:port) to listen on") {
		t.Errorf("serve --addr: %q", u)
	}
	if u := appsListCmd().Flags().Lookup("addr").Usage; !strings.Contains(u, "the others do not use it") {
		t.Errorf("apps list --addr: %q", u)
	}
	for name, cmd := range map[string]*cobra.Command{"token": tokenCmd(), "apps create": appsCreateCmd(), "apps update": appsUpdateCmd(), "apps add-secret": appsAddSecretCmd()} {
		if u := cmd.Flags().Lookup("addr").Usage; !strings.HasPrefix(u, "the server's address") || !strings.Contains(u, "recorded in the data directory") {
			t.Errorf("%s --addr: %q", name, u)
		}
	}
}

// TestRedactDSN: the startup line names a PostgreSQL database without its
// password, wherever the URL holds one.
func TestRedactDSN(t *testing.T) {
	t.Parallel()
	for dsn, want := range map[string]string{
		"postgres://qrpin:s3cret@db:5432/qrpin?sslmode=require":                 "postgres://qrpin:xxxxx@db:5432/qrpin?sslmode=require",
		"postgres://postgres@127.0.0.1:5432/qrpin?sslmode=disable":              "postgres://postgres@127.0.0.1:5432/qrpin?sslmode=disable",
		"postgresql://db/qrpin?user=qrpin&password=s3cret&sslpassword=k3y":      "postgresql://db/qrpin?password=xxxxx&sslpassword=xxxxx&user=qrpin",
		"postgres://qrpin:s3cret@db:5432/qrpin?sslmode=require&Password=s3cret": "postgres://qrpin:xxxxx@db:5432/qrpin?Password=xxxxx&sslmode=require",
		"postgres://qrpin:s3cret@db:5432/%zz":                                   "(a URL that does not parse)",
	} {
		got := (&dbFlags{url: dsn}).describe("data")
		if got != "PostgreSQL "+want || strings.Contains(got, "s3cret") || strings.Contains(got, "k3y") {
			t.Errorf("describe(%q) = %q, want %q", dsn, got, "PostgreSQL "+want)
		}
	}
	if got := (&dbFlags{}).describe("data"); got != "SQLite "+filepath.Join("data", "qrpin.db") {
		t.Errorf("SQLite: %q", got)
	}
}
