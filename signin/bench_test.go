package signin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/pin"
	"github.com/qrpin/qrpin/store/sqlite"
)

// BenchmarkSignInVsArgon2 measures, in one run, complete sign-ins over HTTP
// (QR code, then PIN; tokens issued, sign-in logged, SQLite store) against
// bare Argon2id verifications at the same parameters (pin.DefaultParams),
// and reports both rates and their ratio. Both run on GOMAXPROCS
// goroutines (verifications) or concurrent HTTP clients (sign-ins). Each
// measurement runs twice, alternating, and the better of each counts (the
// first pass warms up). Run it with -benchtime=1x.
func BenchmarkSignInVsArgon2(b *testing.B) {
	const rounds = 30
	st, err := sqlite.Open(filepath.Join(b.TempDir(), "qrpin.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	e := newEnvParams(b, st, pin.DefaultParams)
	e.svc.Record = RecordTo(st, nil)
	e.svc.Now = nil // the real clock: lockouts and expiry as in production
	e.tokens.Now = nil
	cpus := runtime.GOMAXPROCS(0)
	badges := make([]badge, cpus)
	for i := range badges {
		badges[i] = e.addUser(fmt.Sprintf("user%d@contoso.com", i), goodPIN)
		e.update(badges[i].user.ID, func(m *method.Method) {
			m.Standard.Start, m.Standard.Expire = time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)
		})
	}
	hash := e.method(badges[0].user.ID).PIN.Hash
	url := e.server().URL + "/" + testTenant + "/signin/"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: len(badges)}}

	parallel := func(workers int, f func(w int) error) time.Duration {
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
	signIn(0) // warm up connections and caches
	b.ResetTimer()
	for range b.N {
		var rawRate, e2eRate float64
		for range 2 {
			rawRate = max(rawRate, float64(cpus*rounds)/parallel(cpus, verify).Seconds())
			e2eRate = max(e2eRate, float64(len(badges)*rounds)/parallel(len(badges), signIn).Seconds())
		}
		b.ReportMetric(rawRate, "argon2id/s")
		b.ReportMetric(e2eRate, "signins/s")
		b.ReportMetric(e2eRate/rawRate, "ratio")
	}
}
