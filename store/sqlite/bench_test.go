package sqlite

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
)

// benchStore opens a Store holding one user with a method.
func benchStore(b *testing.B) *Store {
	b.Helper()
	s, err := Open(filepath.Join(b.TempDir(), "qrpin.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	ctx := b.Context()
	if err := s.CreateUser(ctx, store.User{ID: "u1", UPN: "a@b", AccountEnabled: true, Created: t0}); err != nil {
		b.Fatal(err)
	}
	if err := s.CreateMethod(ctx, testMethod("u1")); err != nil {
		b.Fatal(err)
	}
	return s
}

func BenchmarkGetMethod(b *testing.B) {
	s := benchStore(b)
	ctx := b.Context()
	for b.Loop() {
		if _, err := s.GetMethod(ctx, "u1"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUpdateMethod(b *testing.B) {
	s := benchStore(b)
	ctx := b.Context()
	for b.Loop() {
		if _, err := s.UpdateMethod(ctx, "u1", func(m *method.Method) error {
			m.Lockout.Failures++
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAddSignInLog(b *testing.B) {
	s := benchStore(b)
	ctx := b.Context()
	i := 0
	for b.Loop() {
		i++
		if err := s.AddSignInLog(ctx, store.SignInLog{
			ID: fmt.Sprintf("%016d", i), Created: t0, UserID: "u1", UPN: "a@b",
			AppID: "app", AppName: "App", IPAddress: "192.0.2.1", Step: "pin",
		}); err != nil {
			b.Fatal(err)
		}
	}
}

// benchApp stores an application with a client secret, a grant and two
// redirect URIs (what the OpenID provider reads at each step of a sign-in).
func benchApp(b *testing.B, s *Store) store.Application {
	b.Helper()
	a := store.Application{ID: "a1", AppID: "c1", ServicePrincipalID: "sp1", DisplayName: "App", Created: t0,
		Passwords: []store.Password{{KeyID: "k1", DisplayName: "s", Hint: "abc", Verifier: []byte{1, 2, 3}, Start: t0, End: t0.AddDate(1, 0, 0)}},
		Grants:    []store.Grant{{ID: "g1", AppRoleID: "r1", ResourceID: "res", Created: t0}},
		SignIn:    store.AppSignIn{WebRedirectURIs: []string{"https://app.example/cb", "https://app.example/cb2"}}}
	if err := s.CreateApplication(b.Context(), a); err != nil {
		b.Fatal(err)
	}
	return a
}

func BenchmarkGetApplicationByAppID(b *testing.B) {
	s := benchStore(b)
	benchApp(b, s)
	ctx := b.Context()
	for b.Loop() {
		if _, err := s.GetApplicationByAppID(ctx, "c1"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetMethodByCode(b *testing.B) {
	s := benchStore(b)
	ctx := b.Context()
	id := testMethod("u1").Standard.ID
	for b.Loop() {
		if _, err := s.GetMethodByCode(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUserGroupIDs(b *testing.B) {
	s := benchStore(b)
	ctx := b.Context()
	for b.Loop() {
		if _, err := s.UserGroupIDs(ctx, "u1"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetApplicationName(b *testing.B) {
	s := benchStore(b)
	benchApp(b, s)
	ctx := b.Context()
	for b.Loop() {
		if _, err := s.GetApplicationName(ctx, "c1"); err != nil {
			b.Fatal(err)
		}
	}
}
