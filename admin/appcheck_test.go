package admin_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/internal/fakeclock"
	"github.com/qrpin/qrpin/pinflow"
	"github.com/qrpin/qrpin/store/sqlite"
	"github.com/qrpin/qrpin/store/sqlite/sqlitetest"
)

// TestAppCheckTTL: two servers (two Services, each with its own store on
// one database file, as two processes) remember an application check for
// AppCheckTTL. An application deleted on one server is refused there at
// once, and on the other once AppCheckTTL has passed since its last check,
// not before; without a TTL the store is read on every request.
func TestAppCheckTTL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "qrpin.db")
	stA := sqlitetest.Open(t, path)
	stB, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stB.Close() })
	clock := fakeclock.New(testStart)
	const ttl = 2 * time.Second
	const tenant = "8a3b2c1d-0000-4000-8000-00000000c0de"
	svc := func(cfg pinflow.Config, ttl time.Duration) *admin.Service {
		cfg.TenantID, cfg.Now = tenant, clock.Now
		return &admin.Service{Config: cfg, AppCheckTTL: ttl}
	}
	a := svc(pinflow.Config{Store: stA}, ttl)
	b := svc(pinflow.Config{Store: stB}, ttl)
	uncached := svc(pinflow.Config{Store: stB}, 0)
	local := admin.Local(tenant)

	newApp := func(name string) auth.Principal {
		app, err := a.CreateApplication(ctx, local, name)
		if err != nil {
			t.Fatal(err)
		}
		return auth.Principal{Kind: auth.Application, ObjectID: app.ServicePrincipalID, AppID: app.AppID, TenantID: tenant}
	}
	accepts := func(s *admin.Service, p auth.Principal, want bool, what string) {
		t.Helper()
		_, err := s.Authenticate(ctx, p)
		if want && err != nil {
			t.Errorf("%s: %v, want accepted", what, err)
		}
		if e, ok := apperr.As(err); !want && (!ok || e.Kind != apperr.Unauthenticated) {
			t.Errorf("%s: %v, want 401", what, err)
		}
	}
	del := func(s *admin.Service, p auth.Principal) {
		t.Helper()
		if err := s.DeleteApplication(ctx, local, admin.AppRef{AppID: p.AppID}); err != nil {
			t.Fatal(err)
		}
	}

	// Deleted on A: refused on A at once, on B after the TTL.
	p := newApp("one")
	accepts(a, p, true, "A before the deletion")
	accepts(b, p, true, "B before the deletion")
	accepts(uncached, p, true, "B without a TTL before the deletion")
	del(a, p)
	accepts(a, p, false, "A right after deleting it")
	accepts(uncached, p, false, "B without a TTL right after the deletion")
	clock.Advance(ttl - time.Millisecond)
	accepts(b, p, true, "B within the TTL of its last check") // the bound, not sooner
	clock.Advance(time.Millisecond)
	accepts(b, p, false, "B at the TTL after its last check")

	// A token naming the right service principal with another client id is
	// refused from the remembered check too.
	q := newApp("two")
	accepts(b, q, true, "B, second application")
	wrong := q
	wrong.AppID = p.AppID
	accepts(b, wrong, false, "B, a token naming another client id")

	// An unknown application is refused.
	accepts(b, auth.Principal{Kind: auth.Application, ObjectID: "nobody", AppID: "nobody", TenantID: tenant}, false, "unknown application")
}
