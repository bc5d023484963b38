package signin

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/internal/fakeclock"
	"github.com/qrpin/qrpin/internal/testkeys"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/pin"
	"github.com/qrpin/qrpin/pinflow"
	"github.com/qrpin/qrpin/qr"
	"github.com/qrpin/qrpin/store"
	"github.com/qrpin/qrpin/store/sqlite/sqlitetest"
)

// t0 is the tests' "now".
var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// cheap are Argon2id parameters small enough for many hashes in a test.
var cheap = pin.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// clock is the tests' settable clock.
type clock = fakeclock.Clock

// countingHasher counts PIN verifications.
type countingHasher struct {
	*pin.Hasher
	verifies atomic.Int64
}

func (h *countingHasher) Verify(code, encoded string) (bool, error) {
	h.verifies.Add(1)
	return h.Hasher.Verify(code, encoded)
}

// env is a sign-in service on a fresh SQLite store.
type env struct {
	t      testing.TB
	st     store.Store
	svc    *Service
	clock  *clock
	hasher *countingHasher
	pepper []byte
	tokens *auth.Tokens
	events []Event
	mu     sync.Mutex
}

const testTenant = "8d6f7c1e-2b3a-4c5d-9e8f-0a1b2c3d4e5f"

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvOn(t, sqlitetest.Open(t, filepath.Join(t.TempDir(), "qrpin.db")))
}

func newEnvOn(t testing.TB, st store.Store) *env {
	return newEnvParams(t, st, cheap)
}

// newEnvParams is newEnvOn with the given Argon2id parameters.
func newEnvParams(t testing.TB, st store.Store, params pin.Params) *env {
	t.Helper()
	pepper := bytes.Repeat([]byte{7}, 32)
	h, err := pin.NewHasher(pepper, params)
	if err != nil {
		t.Fatal(err)
	}
	keys := testkeys.KeySet(t)
	c := fakeclock.New(t0)
	tokens := &auth.Tokens{Keys: keys, Issuer: auth.Issuer("http://qrpin.test", testTenant), Now: c.Now}
	e := &env{t: t, st: st, clock: c, hasher: &countingHasher{Hasher: h}, pepper: pepper, tokens: tokens}
	e.svc = &Service{
		Config: pinflow.Config{Store: st, PINs: e.hasher, Pepper: pepper, TenantID: testTenant,
			Lockout: method.DefaultLockout, Now: c.Now},
		Tokens: tokens,
		Record: func(_ context.Context, ev Event) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.events = append(e.events, ev)
		},
	}
	_, err = st.UpdatePolicy(t.Context(), func(p *method.Policy) error {
		p.State = method.Enabled
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// badge is a user with a method, their badge payload and PIN.
type badge struct {
	user    store.User
	codeID  string
	payload string
	pin     string
}

// addUser creates an enabled user with a method: a standard code active
// from t0 for a day and the given PIN (not temporary).
func (e *env) addUser(upn, code string) badge {
	e.t.Helper()
	ctx := e.t.Context()
	u := store.User{ID: uuid.NewString(), UPN: upn, DisplayName: upn, AccountEnabled: true, Created: t0}
	if err := e.st.CreateUser(ctx, u); err != nil {
		e.t.Fatal(err)
	}
	secret, err := qr.NewSecret()
	if err != nil {
		e.t.Fatal(err)
	}
	c := &method.QRCode{ID: uuid.NewString(), Kind: method.Standard, Start: t0, Expire: t0.Add(24 * time.Hour),
		Created: t0, Verifier: qr.Verifier(e.pepper, secret)}
	hash, err := e.hasher.Hash(code)
	if err != nil {
		e.t.Fatal(err)
	}
	m := method.Method{ID: uuid.NewString(), UserID: u.ID, Created: t0, Standard: c,
		PIN: method.PIN{Hash: hash, Length: len(code), Created: t0, Updated: t0}}
	if err := e.st.CreateMethod(ctx, m); err != nil {
		e.t.Fatal(err)
	}
	p := qr.Payload{TenantID: testTenant, CodeID: c.ID, UPN: upn, Secret: secret}.Encode()
	return badge{user: u, codeID: c.ID, payload: p, pin: code}
}

// idClaims verifies an ID token's signature with the key set's public keys
// (RS256) and returns its claims.
func (e *env) idClaims(token string) jwt.MapClaims {
	e.t.Helper()
	keys := e.tokens.Keys.PublicKeys()
	var c jwt.MapClaims
	_, err := jwt.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		for _, k := range keys {
			if k.KID == t.Header["kid"] {
				return k.Key, nil
			}
		}
		return nil, fmt.Errorf("unknown kid %v", t.Header["kid"])
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation())
	if err != nil {
		e.t.Fatalf("ID token: %v", err)
	}
	return c
}

// update changes a user's stored method.
func (e *env) update(userID string, fn func(m *method.Method)) {
	e.t.Helper()
	if _, err := e.st.UpdateMethod(e.t.Context(), userID, func(m *method.Method) error { fn(m); return nil }); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) method(userID string) method.Method {
	e.t.Helper()
	m, err := e.st.GetMethod(e.t.Context(), userID)
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

func (e *env) policy(fn func(p *method.Policy)) {
	e.t.Helper()
	if _, err := e.st.UpdatePolicy(e.t.Context(), func(p *method.Policy) error { fn(p); return nil }); err != nil {
		e.t.Fatal(err)
	}
}

// start scans b's badge and wants the PIN step.
func (e *env) start(b badge) Step {
	e.t.Helper()
	s, err := e.svc.StartQR(e.t.Context(), "192.0.2.1", b.payload)
	if err != nil {
		e.t.Fatalf("StartQR: %v", err)
	}
	if s.Next != StagePIN || s.Transaction == "" {
		e.t.Fatalf("StartQR: got %+v, want the PIN step", s)
	}
	return s
}

// wantCode fails unless err is an *apperr.Error with that code.
func wantCode(t *testing.T, err error, code string) *apperr.Error {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Code != code {
		t.Fatalf("got error %v, want code %s", err, code)
	}
	return e
}

func mustOK(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func asErr(err error) (*apperr.Error, bool) { return apperr.As(err) }

// race runs f(0) ... f(n-1) in n goroutines released together and returns
// their errors by index.
func race(n int, f func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// newServer serves h until the test ends and returns its URL.
func newServer(t testing.TB, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
