package admin_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/internal/fakeclock"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/pin"
	"github.com/qrpin/qrpin/pinflow"
	"github.com/qrpin/qrpin/store"
	"github.com/qrpin/qrpin/store/sqlite/sqlitetest"
)

// testStart is the test clock's starting time.
var testStart = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// cheapParams keeps Argon2id fast in tests.
var cheapParams = pin.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// knownPIN is the PIN of every method env.method stores; otherPIN passes
// the PIN rules too and differs from it.
const (
	knownPIN = "27182818"
	otherPIN = "31415926"
)

// env is an admin.Service on a fresh SQLite store with a test clock. Opening
// a store (and migrating it) is the expensive part, so a test opens one env
// and runs its table rows on fresh users one after another: each row can
// then tell, from the store's commit counter (commits), whether it wrote
// anything at all.
type env struct {
	t      *testing.T
	ctx    context.Context
	svc    *admin.Service
	st     store.Store
	clock  *fakeclock.Clock
	hasher *pin.Hasher
	tenant string
	watch  *sql.Conn // a reader of the database file, for commits
}

// commits returns SQLite's data_version as the env's own read-only
// connection sees it: it changes when, and only when, another connection
// (the store's) commits a change to the database. Two equal values prove
// that nothing at all was written in between, at the cost of one query
// (dumping every table through the Store is far slower with -race).
func (e *env) commits() int64 {
	e.t.Helper()
	var v int64
	if err := e.watch.QueryRowContext(e.ctx, "PRAGMA data_version").Scan(&v); err != nil {
		e.t.Fatal(err)
	}
	return v
}

func newEnv(t *testing.T) *env {
	t.Helper()
	path := filepath.Join(t.TempDir(), "qrpin.db")
	st := sqlitetest.Open(t, path)
	db, err := sql.Open("sqlite", path+"?_query_only=on")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	pepper := bytes.Repeat([]byte{7}, 32)
	hasher, err := pin.NewHasher(pepper, cheapParams)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: context.Background(), st: st, watch: conn, clock: fakeclock.New(testStart), hasher: hasher, tenant: uuid.NewString()}
	e.svc = &admin.Service{Config: pinflow.Config{Store: st, PINs: hasher, Pepper: pepper, TenantID: e.tenant,
		Lockout: method.DefaultLockout, Now: e.clock.Now}}
	return e
}

// user stores a user holding the given directory roles (template ids).
func (e *env) user(roles ...string) store.User {
	e.t.Helper()
	id := uuid.NewString()
	u := store.User{ID: id, UPN: "u" + id[:8] + "@contoso.com", DisplayName: "User " + id[:8], AccountEnabled: true, Created: e.clock.Now()}
	if err := e.st.CreateUser(e.ctx, u); err != nil {
		e.t.Fatal(err)
	}
	for _, r := range roles {
		if err := e.st.CreateRoleAssignment(e.ctx, store.RoleAssignment{ID: uuid.NewString(), PrincipalID: u.ID, RoleDefinitionID: r}); err != nil {
			e.t.Fatal(err)
		}
	}
	return u
}

// delegated returns u's principal as an access token would describe it: the
// given scopes, u's stored roles as wids, signed in at authTime.
func (e *env) delegated(u store.User, authTime time.Time, scopes ...string) auth.Principal {
	e.t.Helper()
	as, err := e.st.ListRoleAssignments(e.ctx, u.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	p := auth.Principal{Kind: auth.Delegated, ObjectID: u.ID, AppID: uuid.NewString(), TenantID: e.tenant,
		UPN: u.UPN, Scopes: scopes, AuthTime: authTime}
	for _, a := range as {
		if a.UnitID == "" { // scoped roles are never in a token
			p.DirectoryRoles = append(p.DirectoryRoles, a.RoleDefinitionID)
		}
	}
	return p
}

// unit stores an administrative unit.
func (e *env) unit() store.AdministrativeUnit {
	e.t.Helper()
	id := uuid.NewString()
	u := store.AdministrativeUnit{ID: id, DisplayName: "Store " + id[:8], Created: e.clock.Now()}
	if err := e.st.CreateUnit(e.ctx, u); err != nil {
		e.t.Fatal(err)
	}
	return u
}

// unitMember adds a user or group to a unit, straight in the store.
func (e *env) unitMember(u store.AdministrativeUnit, memberID string) {
	e.t.Helper()
	if err := e.st.AddUnitMember(e.ctx, u.ID, memberID); err != nil {
		e.t.Fatal(err)
	}
}

// scopedRole gives u a role over a unit, straight in the store.
func (e *env) scopedRole(u store.User, role string, unit store.AdministrativeUnit) {
	e.t.Helper()
	if err := e.st.CreateRoleAssignment(e.ctx, store.RoleAssignment{ID: uuid.NewString(), PrincipalID: u.ID,
		RoleDefinitionID: role, UnitID: unit.ID}); err != nil {
		e.t.Fatal(err)
	}
}

// app stores an application and returns its principal, holding the given
// application permissions.
func (e *env) app(perms ...string) (store.Application, auth.Principal) {
	e.t.Helper()
	id := uuid.NewString()
	a := store.Application{ID: id, AppID: uuid.NewString(), ServicePrincipalID: uuid.NewString(),
		DisplayName: "App " + id[:8], Created: e.clock.Now()}
	if err := e.st.CreateApplication(e.ctx, a); err != nil {
		e.t.Fatal(err)
	}
	return a, auth.Principal{Kind: auth.Application, ObjectID: a.ServicePrincipalID, AppID: a.AppID,
		TenantID: e.tenant, Roles: perms}
}

// method stores a QR code + PIN method for u, with a standard QR code live
// for a year and knownPIN, straight in the store (no audit entry).
func (e *env) method(u store.User) method.Method {
	e.t.Helper()
	now := e.clock.Now()
	hash, err := e.hasher.Hash(knownPIN)
	if err != nil {
		e.t.Fatal(err)
	}
	m := method.Method{
		ID: uuid.NewString(), UserID: u.ID, Created: now,
		Standard: &method.QRCode{ID: uuid.NewString(), Kind: method.Standard, Start: now,
			Expire: now.AddDate(1, 0, 0), Created: now, Verifier: []byte("verifier " + u.ID)},
		PIN: method.PIN{Hash: hash, Length: len(knownPIN), Created: now, Updated: now},
	}
	if err := e.st.CreateMethod(e.ctx, m); err != nil {
		e.t.Fatal(err)
	}
	return m
}

// group stores a group with the given members.
func (e *env) group(members ...store.User) store.Group {
	e.t.Helper()
	id := uuid.NewString()
	g := store.Group{ID: id, DisplayName: "Group " + id[:8], Created: e.clock.Now()}
	if err := e.st.CreateGroup(e.ctx, g); err != nil {
		e.t.Fatal(err)
	}
	for _, m := range members {
		if err := e.st.AddGroupMember(e.ctx, g.ID, m.ID); err != nil {
			e.t.Fatal(err)
		}
	}
	return g
}

func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// wantErr fails the test unless err is an *apperr.Error of that kind and
// code. An empty code expects err to be nil.
func wantErr(t *testing.T, err error, kind apperr.Kind, code string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("err = %v, want nil", err)
		}
		return
	}
	ae, ok := apperr.As(err)
	if !ok {
		t.Fatalf("err = %v (%T), want apperr %d %s", err, err, kind, code)
	}
	if ae.Kind != kind || ae.Code != code {
		t.Fatalf("err = kind %d code %q (%s), want kind %d code %q", ae.Kind, ae.Code, ae.Message, kind, code)
	}
}

// mark moves the clock on by a second and returns the new time: the
// directory audit entries written from then on are auditsSince(mark).
func (e *env) mark() time.Time {
	e.clock.Advance(time.Second)
	return e.clock.Now()
}

// auditsSince returns the directory audit entries written at or after t,
// newest first.
func (e *env) auditsSince(t time.Time) []store.DirectoryAudit {
	e.t.Helper()
	as, err := e.st.ListDirectoryAudits(e.ctx, store.AuditFilter{From: t}, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return as
}

// patchOf returns a policy body reader that gives patch.
func patchOf(patch admin.PolicyPatch) func() (admin.PolicyPatch, error) {
	return func() (admin.PolicyPatch, error) { return patch, nil }
}
