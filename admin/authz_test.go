package admin_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
)

// The authorization matrix of the operations on one user (the method, its
// QR codes and PIN, and the user): rows are operations, columns are who
// calls on whom. Each cell runs on a fresh caller and a fresh target; a
// success cell must succeed, a refusal must have the cell's apperr Kind and
// Code and leave the whole store (audit log included) as it was; a
// successful write must write exactly one directory audit entry and a read
// nothing. (audit_test.go checks the entries' fields.)
//
// Columns. A delegated caller holds the row's .All scope (all) unless the
// column says self scope, was signed in just now, and acts on a fresh user
// who holds no role, through the user's object id.
//
//	app0    an application without any permission
//	app     an application with the row's application permission
//	appMe   as app, on /me
//	self    a user without roles, with the row's self scope, on their own id
//	me      as self, on /me
//	stale   as me, signed in 11 minutes ago
//	none    a user without roles
//	GR..UA  a Global Reader, Authentication Administrator, Privileged
//	        Authentication Administrator, Global Administrator, User Administrator
//	AA>adm  an Authentication Administrator on a target who is a Global Reader
//	PAA>adm a Privileged Authentication Administrator on a Global Administrator
//	UA>adm  a User Administrator on an Authentication Administrator
//	GAst    a Global Administrator on /me, signed in 11 minutes ago
//	x:none, x:GA, x:AA, x:app0, x:self  as none, GA, AA, app0 and self, on
//	        a user who does not exist
//	sAA     an Authentication Administrator scoped to an administrative
//	        unit, on a direct member of the unit
//	sAA>out as sAA, on a member of another unit
//	sAA>grp as sAA, on a member of a group that is in the unit (not a
//	        member of the unit for management, as in Entra)
//	sPAA>adm a Privileged Authentication Administrator scoped to a unit, on
//	        a member who is a Global Administrator: a scoped role reads the
//	        methods of a member who holds a directory role, changes none
//	sUA     a User Administrator scoped to a unit, on a member
//
// Cells: ok; 403 Forbidden accessDenied without a claims challenge; CLM
// Forbidden accessDenied with the recent-sign-in claims challenge; 404
// NotFound Request_ResourceNotFound; 400 Invalid Request_BadRequest.
var userCols = []string{"app0", "app", "appMe", "self", "me", "stale", "none", "GR", "AA", "PAA", "GA", "UA",
	"AA>adm", "PAA>adm", "UA>adm", "GAst", "x:none", "x:GA", "x:AA", "x:app0", "x:self",
	"sAA", "sAA>out", "sAA>grp", "sPAA>adm", "sUA"}

// userRow is one operation on a user.
type userRow struct {
	name  string
	self  string // the delegated scope to act on oneself (self, me, stale, x:self)
	all   string // the delegated .All scope, and the application permission
	prep  func(e *env, u store.User)
	op    func(e *env, p auth.Principal, ref admin.UserRef) error
	write bool
	cells string
}

const (
	qrRead     = "UserAuthMethod-QR.Read"
	qrReadAll  = "UserAuthMethod-QR.Read.All"
	qrWrite    = "UserAuthMethod-QR.ReadWrite"
	qrWriteAll = "UserAuthMethod-QR.ReadWrite.All"
)

func withMethod(e *env, u store.User) { e.method(u) }

var userRows = []userRow{
	//                                                                            app0 app  appMe self me   stale none GR   AA   PAA  GA   UA   AA>  PAA> UA>  GAst x:no x:GA x:AA x:a0 x:se  sAA  sAA> sAA> sPA> sUA
	{name: "GetMethod", self: qrRead, all: qrReadAll, prep: withMethod, op: getMethod,
		cells: "403  ok   403   ok   ok   ok    403  ok   ok   ok   ok   403  ok   ok   403  ok   403  404  404  403  403  ok   403  403  ok   403"},
	{name: "ListMethods", self: qrRead, all: qrReadAll, prep: withMethod, op: listMethods,
		cells: "403  ok   403   ok   ok   ok    403  ok   ok   ok   ok   403  ok   ok   403  ok   403  404  404  403  403  ok   403  403  ok   403"},
	{name: "GetCode", self: qrRead, all: qrReadAll, prep: withMethod, op: getCode,
		cells: "403  ok   403   ok   ok   ok    403  ok   ok   ok   ok   403  ok   ok   403  ok   403  404  404  403  403  ok   403  403  ok   403"},
	{name: "CreateMethod", self: qrWrite, all: qrWriteAll, op: createMethod, write: true,
		cells: "403  ok   403   ok   ok   CLM   403  403  ok   ok   ok   403  403  ok   403  CLM  403  404  404  403  403  ok   403  403  403  403"},
	{name: "DeleteMethod", self: qrWrite, all: qrWriteAll, prep: withMethod, op: deleteMethod, write: true,
		cells: "403  ok   403   ok   ok   CLM   403  403  ok   ok   ok   403  403  ok   403  CLM  403  404  404  403  403  ok   403  403  403  403"},
	{name: "PatchCode/extend", self: qrWrite, all: qrWriteAll, prep: withMethod, op: extendStandard, write: true,
		cells: "403  ok   403   ok   ok   CLM   403  403  ok   ok   ok   403  403  ok   403  CLM  403  404  404  403  403  ok   403  403  403  403"},
	{name: "PatchCode/temporary", self: qrWrite, all: qrWriteAll, prep: withMethod, op: addTemporary, write: true,
		cells: "403  ok   403   ok   ok   CLM   403  403  ok   ok   ok   403  403  ok   403  CLM  403  404  404  403  403  ok   403  403  403  403"},
	{name: "DeleteCode", self: qrWrite, all: qrWriteAll, prep: withMethod, op: deleteStandard, write: true,
		cells: "403  ok   403   ok   ok   CLM   403  403  ok   ok   ok   403  403  ok   403  CLM  403  404  404  403  403  ok   403  403  403  403"},
	// Nobody resets their own PIN without an administrator role (D15).
	{name: "ResetPIN", self: qrWrite, all: qrWriteAll, prep: withMethod, op: resetPIN, write: true,
		cells: "403  ok   403   403  403  403   403  403  ok   ok   ok   403  403  ok   403  CLM  403  404  404  403  403  ok   403  403  403  403"},
	// Unlocking is authorized as a reset is.
	{name: "UnlockPIN", self: qrWrite, all: qrWriteAll, prep: withLockedMethod, op: unlockPIN, write: true,
		cells: "403  ok   403   403  403  403   403  403  ok   ok   ok   403  403  ok   403  CLM  403  404  404  403  403  ok   403  403  403  403"},
	// updatePin: the caller only, delegated only, no recent sign-in needed
	// (D13, D15); a missing user is someone else: 403 before 404.
	{name: "UpdatePIN", self: qrWrite, all: qrWriteAll, prep: withMethod, op: updatePIN, write: true,
		cells: "403  403  403   ok   ok   ok    403  403  403  403  403  403  403  403  403  ok   403  403  403  403  403  403  403  403  403  403"},
	{name: "GetUser", self: "User.Read", all: "User.Read.All", op: getUser,
		cells: "403  ok   403   ok   ok   ok    ok   ok   ok   ok   ok   ok   ok   ok   ok   ok   404  404  404  403  403  ok   ok   ok   ok   ok"},
	// Changing users needs a role, on oneself too; a User Administrator
	// manages only users without an administrator role.
	{name: "UpdateUser", self: "User.ReadWrite.All", all: "User.ReadWrite.All", op: updateUser, write: true,
		cells: "403  ok   403   403  403  403   403  403  403  403  ok   ok   403  403  403  ok   403  404  403  403  403  403  403  403  403  ok"},
	// ... and nobody deletes their own account.
	{name: "DeleteUser", self: "User.ReadWrite.All", all: "User.ReadWrite.All", op: deleteUser, write: true,
		cells: "403  ok   403   403  403  403   403  403  403  403  ok   ok   403  403  403  400  403  404  403  403  403  403  403  403  403  ok"},
}

func getMethod(e *env, p auth.Principal, ref admin.UserRef) error {
	_, _, err := e.svc.GetMethod(e.ctx, p, ref)
	return err
}

func listMethods(e *env, p auth.Principal, ref admin.UserRef) error {
	_, ms, err := e.svc.ListMethods(e.ctx, p, ref)
	if err == nil && len(ms) != 1 {
		e.t.Errorf("ListMethods returned %d methods, want 1", len(ms))
	}
	return err
}

func getCode(e *env, p auth.Principal, ref admin.UserRef) error {
	_, _, err := e.svc.GetCode(e.ctx, p, ref, method.Standard)
	return err
}

func createMethod(e *env, p auth.Principal, ref admin.UserRef) error {
	_, err := e.svc.CreateMethod(e.ctx, p, ref, admin.CreateMethodInput{Standard: &admin.CodeInput{}, PIN: knownPIN})
	return err
}

func deleteMethod(e *env, p auth.Principal, ref admin.UserRef) error {
	return e.svc.DeleteMethod(e.ctx, p, ref)
}

func extendStandard(e *env, p auth.Principal, ref admin.UserRef) error {
	res, err := e.svc.PatchCode(e.ctx, p, ref, method.Standard, admin.CodeInput{Expire: e.clock.Now().AddDate(0, 0, 30)})
	if err == nil && res.Created {
		e.t.Error("PatchCode created a standard QR code, want the live one extended")
	}
	return err
}

func addTemporary(e *env, p auth.Principal, ref admin.UserRef) error {
	res, err := e.svc.PatchCode(e.ctx, p, ref, method.Temporary, admin.CodeInput{Expire: e.clock.Now().Add(2 * time.Hour)})
	if err == nil && !res.Created {
		e.t.Error("PatchCode did not create the temporary QR code")
	}
	return err
}

func deleteStandard(e *env, p auth.Principal, ref admin.UserRef) error {
	return e.svc.DeleteCode(e.ctx, p, ref, method.Standard)
}

func resetPIN(e *env, p auth.Principal, ref admin.UserRef) error {
	_, err := e.svc.ResetPIN(e.ctx, p, ref)
	return err
}

func unlockPIN(e *env, p auth.Principal, ref admin.UserRef) error {
	_, err := e.svc.UnlockPIN(e.ctx, p, ref)
	return err
}

// withLockedMethod stores a method whose PIN is locked for a day after
// too many wrong PINs.
func withLockedMethod(e *env, u store.User) {
	e.method(u)
	if _, err := e.st.UpdateMethod(e.ctx, u.ID, func(m *method.Method) error {
		m.Lockout = method.Lockout{Failures: 12, LockedUntil: e.clock.Now().AddDate(0, 0, 1)}
		return nil
	}); err != nil {
		e.t.Fatal(err)
	}
}

func updatePIN(e *env, p auth.Principal, ref admin.UserRef) error {
	return e.svc.UpdatePIN(e.ctx, p, ref, knownPIN, otherPIN)
}

func getUser(e *env, p auth.Principal, ref admin.UserRef) error {
	_, err := e.svc.GetUser(e.ctx, p, ref)
	return err
}

func updateUser(e *env, p auth.Principal, ref admin.UserRef) error {
	name := "Renamed"
	return e.svc.UpdateUser(e.ctx, p, ref, admin.UserInput{DisplayName: &name})
}

func deleteUser(e *env, p auth.Principal, ref admin.UserRef) error {
	return e.svc.DeleteUser(e.ctx, p, ref)
}

// userCell sets up one column: the caller, the target user (nil when it
// does not exist) and the reference to it.
func (e *env) userCell(col string, r userRow) (auth.Principal, *store.User, admin.UserRef) {
	now, stale := e.clock.Now(), e.clock.Now().Add(-auth.RecentSignIn-time.Minute)
	other := func(roles ...string) (*store.User, admin.UserRef) {
		u := e.user(roles...)
		return &u, admin.UserRef{Key: u.ID}
	}
	missing := admin.UserRef{Key: uuid.NewString()}
	as := func(authTime time.Time, scope string, roles ...string) (auth.Principal, store.User) {
		u := e.user(roles...)
		return e.delegated(u, authTime, scope), u
	}
	switch col {
	case "app0", "x:app0":
		_, p := e.app()
		if col == "x:app0" {
			return p, nil, missing
		}
		t, ref := other()
		return p, t, ref
	case "app", "appMe":
		_, p := e.app(r.all)
		if col == "appMe" {
			return p, nil, admin.UserRef{Me: true}
		}
		t, ref := other()
		return p, t, ref
	case "self", "me", "stale":
		at := now
		if col == "stale" {
			at = stale
		}
		p, u := as(at, r.self)
		if col == "self" {
			return p, &u, admin.UserRef{Key: u.ID}
		}
		return p, &u, admin.UserRef{Me: true}
	case "GAst":
		p, u := as(stale, r.all, auth.GlobalAdministrator)
		return p, &u, admin.UserRef{Me: true}
	case "x:self":
		p, _ := as(now, r.self)
		return p, nil, missing
	case "sAA", "sAA>out", "sAA>grp", "sPAA>adm", "sUA":
		role := map[string]string{"sAA": auth.AuthenticationAdministrator, "sPAA>adm": auth.PrivilegedAuthenticationAdministrator,
			"sUA": auth.UserAdministrator}[col]
		if role == "" {
			role = auth.AuthenticationAdministrator
		}
		unit, elsewhere := e.unit(), e.unit()
		caller := e.user()
		e.scopedRole(caller, role, unit)
		var target store.User
		switch col {
		case "sPAA>adm":
			target = e.user(auth.GlobalAdministrator)
		default:
			target = e.user()
		}
		switch col {
		case "sAA>out":
			e.unitMember(elsewhere, target.ID)
		case "sAA>grp":
			e.unitMember(unit, e.group(target).ID)
		default:
			e.unitMember(unit, target.ID)
		}
		return e.delegated(caller, now, r.all), &target, admin.UserRef{Key: target.ID}
	}
	roles := map[string]string{"none": "", "GR": auth.GlobalReader, "AA": auth.AuthenticationAdministrator,
		"PAA": auth.PrivilegedAuthenticationAdministrator, "GA": auth.GlobalAdministrator, "UA": auth.UserAdministrator}
	targetRoles := map[string]string{"AA>adm": auth.GlobalReader, "PAA>adm": auth.GlobalAdministrator,
		"UA>adm": auth.AuthenticationAdministrator}
	callerCol, targetMissing := strings.CutPrefix(col, "x:")
	var targetRole string
	if tr, ok := targetRoles[col]; ok {
		callerCol, targetRole = strings.TrimSuffix(col, ">adm"), tr
	}
	role, ok := roles[callerCol]
	if !ok {
		e.t.Fatalf("unknown column %q", col)
	}
	var callerRoles []string
	if role != "" {
		callerRoles = []string{role}
	}
	p, _ := as(now, r.all, callerRoles...)
	if targetMissing {
		return p, nil, missing
	}
	var tRoles []string
	if targetRole != "" {
		tRoles = []string{targetRole}
	}
	t, ref := other(tRoles...)
	return p, t, ref
}

// checkCell checks err against a cell of the matrix.
func checkCell(t *testing.T, err error, cell string) {
	t.Helper()
	switch cell {
	case "ok":
		wantErr(t, err, 0, "")
	case "403", "CLM":
		wantErr(t, err, apperr.Forbidden, "accessDenied")
		ae, _ := apperr.As(err)
		if got, want := ae.Challenge != "", cell == "CLM"; got != want {
			t.Fatalf("claims challenge %q, want one: %v (%s)", ae.Challenge, want, ae.Message)
		}
		if want := `error="insufficient_claims"`; cell == "CLM" && !strings.Contains(ae.Challenge, want) {
			t.Fatalf("challenge %q lacks %s", ae.Challenge, want)
		}
	case "404":
		wantErr(t, err, apperr.NotFound, "Request_ResourceNotFound")
	case "400":
		wantErr(t, err, apperr.Invalid, "Request_BadRequest")
	default:
		t.Fatalf("unknown cell %q", cell)
	}
}

func TestAuthorizeUserOperations(t *testing.T) {
	t.Parallel()
	for _, r := range userRows {
		cells := strings.Fields(r.cells)
		if len(cells) != len(userCols) {
			t.Fatalf("%s: %d cells for %d columns", r.name, len(cells), len(userCols))
		}
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			for i, col := range userCols {
				t.Run(col, func(t *testing.T) {
					e.t = t
					p, target, ref := e.userCell(col, r)
					if target != nil && r.prep != nil {
						r.prep(e, *target)
					}
					mark := e.mark()
					before := e.commits()
					err := r.op(e, p, ref)
					checkCell(t, err, cells[i])
					if cells[i] != "ok" || !r.write {
						if e.commits() != before {
							t.Error("the store changed")
						}
						return
					}
					if e.commits() == before { // the watch sees writes
						t.Error("a successful change committed nothing")
					}
					if n := len(e.auditsSince(mark)); n != 1 {
						t.Errorf("%d directory audit entries written, want 1", n)
					}
				})
			}
		})
	}
}
