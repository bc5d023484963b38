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
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/oauth2"

	"github.com/qrpin/qrpin/internal/argonbench"
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
	argonbench.Parallel(b, clients, 5, d.signIn) // warm up connections and caches
	d.conns.Store(0)
	var taken atomic.Int64 // b.N sign-ins in all, shared out among the clients
	b.ResetTimer()
	before := argonbench.CPUTime(b)
	argonbench.Parallel(b, clients, 1, func(w int) error {
		for taken.Add(1) <= int64(b.N) {
			if err := d.signIn(w); err != nil {
				return err
			}
		}
		return nil
	})
	cpu := argonbench.CPUTime(b) - before
	b.StopTimer()
	b.ReportMetric(cpu.Seconds()*1000/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(d.conns.Load())/float64(b.N), "conns/op")
}

func benchAuthCode(b *testing.B, clients int) {
	const (
		passes = 8  // alternations of the two measurements
		rounds = 10 // verifications or sign-ins per goroutine or client and pass
	)
	pin.ReserveHeap(pin.DefaultParams) // as qrpin serve does
	d := newSignInDriver(b, clients, pin.DefaultParams)
	e, signIn := d.e, d.signIn
	hash, err := e.hasher.Hash(goodPIN)
	if err != nil {
		b.Fatal(err)
	}
	verify := func(int) error {
		ok, err := e.hasher.Verify(goodPIN, hash)
		if !ok || err != nil {
			return fmt.Errorf("verify: %v %v", ok, err)
		}
		return nil
	}
	argonbench.Compare(b, clients, passes, rounds, verify, signIn)
}
