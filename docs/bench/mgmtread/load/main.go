// Command load drives closed-loop GETs (each client sends its next request
// when the answer is read) at qrpin and at a bare handler in alternating
// rounds, and prints req/s, the servers' CPU per request (user + system,
// from /proc/<pid>/stat; with -pgdb also that of the PostgreSQL backends
// serving the database) and the req/s ratio, with the median per client
// count. It is the stand-in of issue 14's measurement until `qrpin bench`.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func cpu(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		panic(err)
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+k) * 10 * time.Millisecond
}

type target struct {
	name, url, token string
	pid              int
	pgdb             string
}

// pgPids lists the PostgreSQL backends serving database db.
func pgPids(db string) []int {
	if db == "" {
		return nil
	}
	out, err := exec.Command("psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc",
		"select pid from pg_stat_activity where datname = '"+db+"'").Output()
	if err != nil {
		panic(err)
	}
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		n, _ := strconv.Atoi(f)
		pids = append(pids, n)
	}
	return pids
}

func cpuAll(pids []int) time.Duration {
	var d time.Duration
	for _, p := range pids {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p)); err == nil {
			s := string(b)
			f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
			u, _ := strconv.ParseInt(f[11], 10, 64)
			k, _ := strconv.ParseInt(f[12], 10, 64)
			d += time.Duration(u+k) * 10 * time.Millisecond
		}
	}
	return d
}

var lastPG time.Duration

func run(t target, clients int, d time.Duration) (float64, time.Duration, int64) {
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	cl := &http.Client{Transport: tr}
	var n, bad atomic.Int64
	stop := time.Now().Add(d)
	pids := pgPids(t.pgdb)
	p0 := cpuAll(pids)
	c0 := cpu(t.pid)
	t0 := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				req, _ := http.NewRequest("GET", t.url, nil)
				req.Header.Set("Authorization", "Bearer "+t.token)
				resp, err := cl.Do(req)
				if err != nil {
					bad.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					bad.Add(1)
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	el := time.Since(t0)
	c1 := cpu(t.pid)
	p1 := cpuAll(pids)
	tr.CloseIdleConnections()
	cnt := n.Load()
	lastPG = (p1 - p0) / time.Duration(max(cnt, 1))
	return float64(cnt) / el.Seconds(), (c1 - c0) / time.Duration(max(cnt, 1)), bad.Load()
}

func main() {
	var a, b target
	flag.StringVar(&a.url, "url", "", "qrpin url")
	flag.StringVar(&a.token, "token", "", "token")
	flag.IntVar(&a.pid, "pid", 0, "qrpin pid")
	flag.StringVar(&a.pgdb, "pgdb", "", "PostgreSQL database of qrpin (its backends' CPU is reported)")
	flag.StringVar(&b.url, "bare", "", "bare url")
	flag.IntVar(&b.pid, "barepid", 0, "bare pid")
	clients := flag.String("clients", "8,16", "")
	dur := flag.Duration("d", 5*time.Second, "")
	rounds := flag.Int("rounds", 3, "")
	flag.Parse()
	b.token = "x"
	for _, cs := range strings.Split(*clients, ",") {
		c, _ := strconv.Atoi(cs)
		var ratios []float64
		for r := 0; r < *rounds; r++ {
			qr, qc, qb := run(a, c, *dur)
			pg := lastPG
			br, bc, _ := run(b, c, *dur)
			ratios = append(ratios, qr/br)
			fmt.Printf("clients=%d round=%d qrpin %.0f req/s %v cpu/req +pg %v (bad %d) | bare %.0f req/s %v cpu/req | ratio %.3f\n",
				c, r+1, qr, qc.Round(100*time.Nanosecond), pg.Round(100*time.Nanosecond), qb, br, bc.Round(100*time.Nanosecond), qr/br)
		}
		sort.Float64s(ratios)
		fmt.Printf("clients=%d median ratio %.3f\n", c, ratios[len(ratios)/2])
	}
}
