//go:build unix

// This benchmark reads the process's CPU time with getrusage (unix only:
// internal/argonbench).

package signin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qrpin/qrpin/internal/argonbench"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/pin"
	"github.com/qrpin/qrpin/store/sqlite"
)

// BenchmarkSignInVsArgon2 measures, in one run, complete sign-ins over HTTP
// (QR code, then PIN; tokens issued, sign-in logged, SQLite store) against
// bare Argon2id verifications at the same parameters (pin.DefaultParams),
// and reports both rates and their ratio.
//
// Verifications run on GOMAXPROCS goroutines; sign-ins come from as many
// concurrent HTTP clients as the sub-benchmark's name says (one user each).
// The two alternate in many short passes, and each rate is its total count
// over its total time, so that a drift of the machine's speed during the
// run weighs on both alike. Run it with -benchtime=1x.
func BenchmarkSignInVsArgon2(b *testing.B) {
	cpus := runtime.GOMAXPROCS(0)
	for _, clients := range []int{cpus, 2 * cpus} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) { benchSignInVsArgon2(b, clients) })
	}
}

// signInDriver makes complete sign-ins of the sign-in page over HTTP (QR
// code, then PIN) for concurrent clients, one user each, PINs hashed at
// the given parameters, SQLite store, sign-ins logged.
type signInDriver struct {
	e      *env
	hash   string            // a PIN hash of goodPIN at the driver's parameters
	signIn func(w int) error // one sign-in of client w
}

func newSignInDriver(b *testing.B, clients int, params pin.Params) *signInDriver {
	st, err := sqlite.Open(filepath.Join(b.TempDir(), "qrpin.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	e := newEnvParams(b, st, params)
	e.svc.Record = RecordTo(st, nil)
	e.svc.Now = nil // the real clock: lockouts and expiry as in production
	e.tokens.Now = nil
	badges := make([]badge, clients)
	for i := range badges {
		badges[i] = e.addUser(fmt.Sprintf("user%d@contoso.com", i), goodPIN)
		e.update(badges[i].user.ID, func(m *method.Method) {
			m.Standard.Start, m.Standard.Expire = time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)
		})
	}
	url := e.server().URL + "/" + testTenant + "/signin/"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: len(badges)}}

	post := func(path string, body any) (map[string]any, error) {
		buf, _ := json.Marshal(body)
		res, err := client.Post(url+path, "application/json", bytes.NewReader(buf))
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
			return nil, err
		}
		if res.StatusCode != 200 {
			return nil, fmt.Errorf("%s: %d %v", path, res.StatusCode, out)
		}
		return out, nil
	}
	d := &signInDriver{e: e, hash: e.method(badges[0].user.ID).PIN.Hash}
	d.signIn = func(w int) error {
		s, err := post("qr", QRRequest{QRCode: badges[w].payload})
		if err != nil {
			return err
		}
		done, err := post("pin", PINRequest{Transaction: s["transaction"].(string), PIN: goodPIN})
		if err != nil {
			return err
		}
		if done["access_token"] == nil {
			return fmt.Errorf("no token: %v", done)
		}
		return nil
	}
	return d
}

// BenchmarkSignInOverhead measures what a sign-in of BenchmarkSignInVsArgon2
// costs beside its Argon2id verification: the same flow with cheap Argon2id
// parameters (64 KiB, one pass), from GOMAXPROCS clients. It reports the
// process CPU time per sign-in (cpu-ms/op, getrusage, so that the
// machine's load weighs less than on ns/op).
func BenchmarkSignInOverhead(b *testing.B) {
	clients := runtime.GOMAXPROCS(0)
	d := newSignInDriver(b, clients, cheap)
	argonbench.Parallel(b, clients, 5, d.signIn) // warm up connections and caches
	var taken atomic.Int64                       // b.N sign-ins in all, shared out among the clients
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
}

func benchSignInVsArgon2(b *testing.B, clients int) {
	const (
		passes = 8  // alternations of the two measurements
		rounds = 10 // verifications or sign-ins per goroutine or client and pass
	)
	pin.ReserveHeap(pin.DefaultParams) // as qrpin serve does
	d := newSignInDriver(b, clients, pin.DefaultParams)
	verify := func(int) error {
		ok, err := d.e.hasher.Hasher.Verify(goodPIN, d.hash)
		if !ok || err != nil {
			return fmt.Errorf("verify: %v %v", ok, err)
		}
		return nil
	}
	argonbench.Compare(b, clients, passes, rounds, verify, d.signIn)
}
