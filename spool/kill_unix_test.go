//go:build unix

package spool

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"filippo.io/age"
)

// TestKilled kills (SIGKILL) a child process that appends from several
// goroutines, three times over, reopening the spool each time: every entry
// whose Append returned nil in any round is there, once, and the file
// opens with every entry intact.
func TestKilled(t *testing.T) {
	if os.Getenv("SPOOL_KILL_CHILD") != "" {
		killChild()
		return
	}
	t.Parallel()
	id := newIdentity(t)
	path := filepath.Join(tempDir(t), "run.spool")
	mustClose(t, mustCreate(t, path, Identities(id)))

	acked := map[string]bool{}
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKilled$", "-test.count=1")
		cmd.Env = append(os.Environ(), "SPOOL_KILL_CHILD="+path, "SPOOL_KILL_ID="+id.String(), fmt.Sprint("SPOOL_KILL_ROUND=", round))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		n, killed := 0, false
		for sc.Scan() {
			line := sc.Text()
			if u, ok := strings.CutPrefix(line, "acked "); ok {
				acked[u] = true
				if n++; n == 10 && !killed {
					cmd.Process.Kill() // mid-run: other Appends are in flight
					killed = true
				}
			} else if line != "" && !strings.HasPrefix(line, "PASS") && !strings.HasPrefix(line, "ok") {
				t.Errorf("child: %s", line)
			}
		}
		cmd.Wait()
		if !killed {
			t.Fatalf("round %d: the child ended after %d acks without being killed", round, n)
		}
		s := mustOpen(t, path, Identities(id))
		seen := map[string]bool{}
		for _, e := range s.Entries() {
			if seen[e.UserID] {
				t.Errorf("round %d: %s twice", round, e.UserID)
			}
			seen[e.UserID] = true
		}
		for u := range acked {
			if !seen[u] {
				t.Errorf("round %d: acked entry %s is missing", round, u)
			}
		}
		mustClose(t, s)
	}
}

// killChild appends until killed, printing each acknowledged user id.
func killChild() {
	id, err := age.ParseX25519Identity(os.Getenv("SPOOL_KILL_ID"))
	if err != nil {
		fmt.Println("error", err)
		return
	}
	s, err := Open(os.Getenv("SPOOL_KILL_CHILD"), tenant, Identities(id))
	if err != nil {
		fmt.Println("error", err)
		return
	}
	round := os.Getenv("SPOOL_KILL_ROUND")
	var (
		wg sync.WaitGroup
		mu sync.Mutex
	)
	for w := range 4 {
		wg.Go(func() {
			for i := 0; i < 100000; i++ {
				e := entry(i)
				e.UserID = fmt.Sprintf("r%s-w%d-%d", round, w, i)
				if err := s.Append(e); err != nil {
					fmt.Println("error", err)
					return
				}
				mu.Lock()
				fmt.Println("acked", e.UserID)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}
