package pgtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

// Cluster is a private, throwaway PostgreSQL server in a test's temporary
// directory, for tests that stop and start the server: never the shared
// one QRPIN_TEST_POSTGRES names.
type Cluster struct {
	t      testing.TB
	bin    string // the directory of initdb and pg_ctl
	dir    string // the data directory
	port   int
	asUser string // run the server as this user ("" for the current one)
}

// NewCluster creates a cluster (initdb), starts it on a free port of
// 127.0.0.1 and stops it when the test ends. Without initdb the test
// skips, or fails when QRPIN_TEST_POSTGRES is set (PostgreSQL is meant to
// be there) or in CI (Unavailable).
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	bin, err := findBin()
	if err != nil {
		if os.Getenv(Env) != "" {
			t.Fatalf("pgtest: %v; it is needed because %s is set", err, Env)
		}
		Unavailable(t, fmt.Sprintf("%v: install PostgreSQL's server (apt-get install postgresql) to run this test", err))
	}
	c := &Cluster{t: t, bin: bin, dir: filepath.Join(t.TempDir(), "pgdata")}
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root: run it as the postgres user,
		// who must be able to reach the data directory.
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("pgtest: running as root, and there is no postgres user to run PostgreSQL as: %v", err)
		}
		c.asUser = u.Username
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		for d := filepath.Dir(c.dir); d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
			if err := os.Chmod(d, 0o711); err != nil { // traverse, not list
				t.Fatal(err)
			}
		}
		if err := os.Mkdir(c.dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(c.dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	c.run("initdb", "-D", c.dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions")
	c.Start()
	t.Cleanup(func() {
		// Whatever state the test left it in.
		cmd := c.command("pg_ctl", "-D", c.dir, "-m", "immediate", "-w", "stop")
		cmd.Run()
	})
	return c
}

// findBin returns the directory holding initdb and pg_ctl: from PATH, or
// Debian's /usr/lib/postgresql/<version>/bin (the newest version).
func findBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("pg_ctl"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(a))))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(b))))
		return va - vb
	})
	if len(dirs) > 0 {
		return filepath.Dir(dirs[len(dirs)-1]), nil
	}
	return "", fmt.Errorf("initdb is not on PATH nor in /usr/lib/postgresql/*/bin")
}

// DSN is the cluster's postgres database, as user postgres.
func (c *Cluster) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// Start starts the server and waits until it accepts connections.
func (c *Cluster) Start() {
	c.t.Helper()
	c.run("pg_ctl", "-D", c.dir, "-l", filepath.Join(c.dir, "server.log"), "-w", "-t", "60",
		"-o", fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off", c.port),
		"start")
}

// Stop stops the server (fast shutdown: sessions are cut) and waits until
// it is down.
func (c *Cluster) Stop() {
	c.t.Helper()
	c.run("pg_ctl", "-D", c.dir, "-m", "fast", "-w", "-t", "60", "stop")
}

func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	path := filepath.Join(c.bin, name)
	if c.asUser != "" {
		return exec.Command("runuser", append([]string{"-u", c.asUser, "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

func (c *Cluster) run(name string, args ...string) {
	c.t.Helper()
	cmd := c.command(name, args...)
	cmd.Dir = os.TempDir() // a directory the postgres user may be in
	if out, err := cmd.CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
		c.t.Fatalf("pgtest: %s: %v\n%s\n%s", name, err, out, log)
	}
}
