//go:build unix

// This benchmark reads the process's CPU time with getrusage (unix only).

package oidc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/qrpin/qrpin/pin"
	"github.com/qrpin/qrpin/signin"
)

// BenchmarkAuthCodeSignInVsArgon2 measures, in one run, complete
// authorization code sign-ins of an application over HTTP (authorize, the
// sign-in page's QR code and PIN steps, the provider's callback, the code
// exchange with the client's secret and PKCE: tokens issued, sign-in
// logged, SQLite store) against bare Argon2id verifications at the same
// parameters (pin.DefaultParams), and reports both rates and their ratio,
// as signin's BenchmarkSignInVsArgon2 does for the sign-in page alone.
// Run it with -benchtime=1x.
func BenchmarkAuthCodeSignInVsArgon2(b *testing.B) {
	cpus := runtime.GOMAXPROCS(0)
	for _, clients := range []int{cpus, 2 * cpus} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) { benchAuthCode(b, clients) })
	}
}

// signInDriver makes complete authorization code sign-ins over HTTP for
// clients concurrent clients (one user each), PINs hashed at params.
type signInDriver struct {
	e      *env
	signIn func(w int) error // one sign-in of client w
	conns  atomic.Int64      // TCP connections the clients opened
}

func newSignInDriver(b *testing.B, clients int, params pin.Params) *signInDriver {
	e := newEnvWith(b, "sqlite", func(c *Config) { c.Now = nil }) // the real clock, as in production
	e.withSignInPageAt(params, nil)
	d := &signInDriver{e: e}
	a := e.newApp("Timesheets", webApp)
	uri := webApp.WebRedirectURIs[0]
	payloads := make([]string, clients)
	for i := range payloads {
		payloads[i] = e.badgeFor(e.newUser(fmt.Sprintf("user%d@contoso.com", i)))
	}
	dialer := &net.Dialer{}
	jar, err := cookiejar.New(nil) // the authorization requests' binding cookies, as the browsers keep them
	if err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Jar: jar, Transport: &http.Transport{MaxIdleConnsPerHost: clients,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			d.conns.Add(1)
			return dialer.DialContext(ctx, network, addr)
		}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	cfg := e.oauth2(a, uri)
	location := func(res *http.Response, err error) (*url.URL, error) {
		if err != nil {
			return nil, err
		}
		// Read to its end, as a browser does, so that the connection is
		// kept alive for the next request.
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusFound {
			return nil, fmt.Errorf("%s: %d", res.Request.URL.Path, res.StatusCode)
		}
		return url.Parse(res.Header.Get("Location"))
	}
	post := func(path string, body any) (map[string]any, error) {
		buf, _ := json.Marshal(body)
		res, err := client.Post(e.tenantURL("/signin/"+path), "application/json", bytes.NewReader(buf))
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != 200 {
			return nil, fmt.Errorf("%s: %d %v %v", path, res.StatusCode, out, err)
		}
		return out, nil
	}
	d.signIn = func(w int) error {
		verifier := oauth2.GenerateVerifier()
		login, err := location(client.Get(cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier))))
		if err != nil {
			return err
		}
		s, err := post("qr", signin.QRRequest{QRCode: payloads[w], AuthRequest: login.Query().Get("authRequest")})
		if err != nil {
			return err
		}
		done, err := post("pin", signin.PINRequest{Transaction: s["transaction"].(string), PIN: goodPIN})
		if err != nil {
			return err
		}
		back, err := location(client.Get(done["location"].(string)))
		if err != nil {
			return err
		}
		req, _ := http.NewRequest(http.MethodPost, cfg.Endpoint.TokenURL,
			strings.NewReader(codeForm(back.Query().Get("code"), verifier, uri, a.AppID).Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(a.AppID, a.secret)
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		var tok map[string]any
		err = json.NewDecoder(res.Body).Decode(&tok)
		res.Body.Close()
		if err != nil || tok["id_token"] == nil {
			return fmt.Errorf("token: %d %v %v", res.StatusCode, tok, err)
		}
		return nil
	}
	return d
}

// parallel runs f rounds times on each of workers goroutines and returns
// how long that took.
func parallel(b *testing.B, workers, rounds int, f func(w int) error) time.Duration {
	var wg sync.WaitGroup
	errs := make([]error, workers)
	start := time.Now()
	for w := range workers {
		wg.Go(func() {
			for range rounds {
				if err := f(w); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	d := time.Since(start)
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	return d
}

// BenchmarkAuthCodeSignInOverhead measures what a sign-in of
// BenchmarkAuthCodeSignInVsArgon2 costs beside its Argon2id verification:
// the same flow with cheap Argon2id parameters (64 KiB, one pass), from
// GOMAXPROCS clients. It reports the process CPU time per sign-in
// (cpu-ms/op, getrusage, so that the machine's load weighs less than on
// ns/op) and the TCP connections the clients opened per sign-in
// (conns/op: 0 when every request reuses a kept-alive connection).
func BenchmarkAuthCodeSignInOverhead(b *testing.B) {
	clients := runtime.GOMAXPROCS(0)
	d := newSignInDriver(b, clients, cheap)
	parallel(b, clients, 5, d.signIn) // warm up connections and caches
	d.conns.Store(0)
	var taken atomic.Int64 // b.N sign-ins in all, shared out among the clients
	b.ResetTimer()
	before := cpuTime(b)
	parallel(b, clients, 1, func(w int) error {
		for taken.Add(1) <= int64(b.N) {
			if err := d.signIn(w); err != nil {
				return err
			}
		}
		return nil
	})
	cpu := cpuTime(b) - before
	b.StopTimer()
	b.ReportMetric(cpu.Seconds()*1000/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(d.conns.Load())/float64(b.N), "conns/op")
}

func benchAuthCode(b *testing.B, clients int) {
	const (
		passes = 8  // alternations of the two measurements
		rounds = 10 // verifications or sign-ins per goroutine or client and pass
	)
	d := newSignInDriver(b, clients, pin.DefaultParams)
	e, signIn := d.e, d.signIn
	hash, err := e.hasher.Hash(goodPIN)
	if err != nil {
		b.Fatal(err)
	}
	verify := func(int) (err error) {
		var ok bool
		pprof.Do(context.Background(), pprof.Labels("pass", "raw"), func(context.Context) { ok, err = e.hasher.Verify(goodPIN, hash) })
		if !ok || err != nil {
			return fmt.Errorf("verify: %v %v", ok, err)
		}
		return nil
	}
	timed := func(wall, cpu *time.Duration, pass func() time.Duration) {
		before := cpuTime(b)
		*wall += pass()
		*cpu += cpuTime(b) - before
	}
	cpus := runtime.GOMAXPROCS(0)
	parallel(b, clients, rounds, signIn) // warm up connections and caches
	b.ResetTimer()
	for range b.N {
		var rawTime, e2eTime, rawCPU, e2eCPU time.Duration
		for range passes {
			timed(&rawTime, &rawCPU, func() time.Duration { return parallel(b, cpus, rounds, verify) })
			timed(&e2eTime, &e2eCPU, func() time.Duration { return parallel(b, clients, rounds, signIn) })
		}
		verifications, signIns := float64(passes*cpus*rounds), float64(passes*clients*rounds)
		rawRate, e2eRate := verifications/rawTime.Seconds(), signIns/e2eTime.Seconds()
		b.ReportMetric(rawRate, "argon2id/s")
		b.ReportMetric(e2eRate, "signins/s")
		b.ReportMetric(e2eRate/rawRate, "ratio")
		rawCPUEach, e2eCPUEach := rawCPU.Seconds()/verifications, e2eCPU.Seconds()/signIns
		b.ReportMetric(rawCPUEach/e2eCPUEach, "cpu-ratio")
		b.ReportMetric(rawCPUEach*1000, "argon2id-cpu-ms")
		b.ReportMetric(e2eCPUEach*1000, "signin-cpu-ms")
		b.ReportMetric(e2eCPU.Seconds()/e2eTime.Seconds()/float64(cpus), "busy")
		b.ReportMetric(rawCPU.Seconds()/rawTime.Seconds()/float64(cpus), "raw-busy")
	}
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
