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

func benchSignInVsArgon2(b *testing.B, clients int) {
	const (
		passes = 8  // alternations of the two measurements
		rounds = 10 // verifications or sign-ins per goroutine or client and pass
	)
	pin.ReserveHeap(pin.DefaultParams) // as qrpin serve does
	st, err := sqlite.Open(filepath.Join(b.TempDir(), "qrpin.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	e := newEnvParams(b, st, pin.DefaultParams)
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
	hash := e.method(badges[0].user.ID).PIN.Hash
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
	signIn := func(w int) error {
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
	verify := func(int) error {
		ok, err := e.hasher.Hasher.Verify(goodPIN, hash)
		if !ok || err != nil {
			return fmt.Errorf("verify: %v %v", ok, err)
		}
		return nil
	}
	argonbench.Compare(b, len(badges), passes, rounds, verify, signIn)
}
