package provision

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/graph"
	"github.com/qrpin/qrpin/graphclient"
	"github.com/qrpin/qrpin/internal/testkeys"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/pin"
	"github.com/qrpin/qrpin/pinflow"
	"github.com/qrpin/qrpin/qr"
	"github.com/qrpin/qrpin/store"
	"github.com/qrpin/qrpin/store/sqlite/sqlitetest"
)

// cheapParams are Argon2id parameters small enough for tests.
var cheapParams = pin.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// testServer is a real qrpin Graph API on a fresh SQLite store, and a
// client of it with an administrator application's token.
type testServer struct {
	t      testing.TB
	srv    *httptest.Server
	store  store.Store
	pepper []byte
	hasher *pin.Hasher
	tenant string
	client *graphclient.Client
}

type staticToken string

func (s staticToken) Token(context.Context) (string, error) { return string(s), nil }

func newServer(t testing.TB) *testServer {
	t.Helper()
	return newServerParams(t, cheapParams)
}

// newServerParams is newServer hashing PINs at params.
func newServerParams(t testing.TB, params pin.Params) *testServer {
	t.Helper()
	st := sqlitetest.Open(t, filepath.Join(t.TempDir(), "qrpin.db"))
	pepper := bytes.Repeat([]byte{9}, 32)
	hasher, err := pin.NewHasher(pepper, params)
	if err != nil {
		t.Fatal(err)
	}
	s := &testServer{t: t, store: st, pepper: pepper, hasher: hasher, tenant: uuid.NewString()}
	s.srv = httptest.NewUnstartedServer(nil)
	base := "http://" + s.srv.Listener.Addr().String()
	tokens := &auth.Tokens{Keys: testkeys.KeySet(t), Issuer: auth.Issuer(base, s.tenant), Audiences: auth.GraphAudiences}
	api := &graph.Server{
		Admin:     &admin.Service{Config: pinflow.Config{Store: st, PINs: hasher, Pepper: pepper, TenantID: s.tenant, Lockout: method.DefaultLockout}},
		Tokens:    tokens,
		Log:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		RateLimit: 1 << 20,
	}
	s.srv.Config.Handler = api.Handler()
	s.srv.Start()
	t.Cleanup(s.srv.Close)

	a := store.Application{ID: uuid.NewString(), AppID: uuid.NewString(), ServicePrincipalID: uuid.NewString(),
		DisplayName: "provisioning", Created: time.Now().UTC()}
	if err := st.CreateApplication(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	tok, err := tokens.Mint(auth.Principal{Kind: auth.Application, ObjectID: a.ServicePrincipalID, AppID: a.AppID, TenantID: s.tenant,
		Roles: []string{"UserAuthMethod-QR.ReadWrite.All", "User.ReadWrite.All", "Group.ReadWrite.All", "Policy.ReadWrite.AuthenticationMethod"}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	s.client = &graphclient.Client{BaseURL: base + "/v1.0", Tokens: staticToken(tok)}
	return s
}

// group creates a group and returns its id.
func (s *testServer) group(name string) string {
	s.t.Helper()
	g := store.Group{ID: uuid.NewString(), DisplayName: name, MailNickname: name, Created: time.Now().UTC()}
	if err := s.store.CreateGroup(context.Background(), g); err != nil {
		s.t.Fatal(err)
	}
	return g.ID
}

// user creates a user and returns it.
func (s *testServer) user(upn, employeeID string) store.User {
	s.t.Helper()
	u := store.User{ID: uuid.NewString(), UPN: upn, DisplayName: upn, EmployeeID: employeeID, AccountEnabled: true, Created: time.Now().UTC()}
	if err := s.store.CreateUser(context.Background(), u); err != nil {
		s.t.Fatal(err)
	}
	return u
}

// signsIn reports whether payload and code are the working badge and PIN
// of the user: the payload's code is the user's standard QR code, its
// secret matches, and the PIN matches the method's hash.
func (s *testServer) signsIn(userID, payload, code string) bool {
	s.t.Helper()
	p, err := qr.Parse(payload)
	if err != nil || p.TenantID != s.tenant {
		return false
	}
	m, err := s.store.GetMethod(context.Background(), userID)
	if err != nil || m.Standard == nil || m.Standard.ID != p.CodeID || !qr.Verify(s.pepper, p.Secret, m.Standard.Verifier) {
		return false
	}
	if code == "" {
		return true
	}
	ok, err := s.hasher.Verify(code, m.PIN.Hash)
	return err == nil && ok
}
