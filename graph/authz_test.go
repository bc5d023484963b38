package graph_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
)

// The authorization matrix: every route of routes.go's QR code + PIN,
// policy, user, group and administrative unit API (rows; the
// role-management and application routes that registerRoles and
// registerApplications add are not in it yet), in the /users/{id} form and, where the route has one, the /me form,
// against every kind of caller (columns). Each cell is one request on a
// freshly prepared target, so that a success cell is a valid request that
// really succeeds, and a refused cell proves that the refusal changed
// nothing: the whole database, dumped table by table, is the same before
// and after. Success cells of writes must change the database; reads never
// do. TestAuthzMissingTarget replays the rows on a target that does not
// exist.
//
// Columns (callers). Unless said otherwise a delegated caller is a fresh
// user holding the row's ".All" (or tenant) scope, signed in just now, and
// in the users/{id} form acts on another, fresh user who holds no role; in
// the /me form every caller acts on itself.
//
//	anon     no Authorization header
//	exp      a Global Administrator's token, used after exp + the allowed skew
//	frgn     same claims, signed by a foreign key (other key id), same issuer
//	forg     same claims, signed by a foreign key but naming our key id
//	aud      same claims, audience not Graph
//	del      a Global Administrator's valid token; the user is deleted afterwards
//	dis      a Global Administrator's valid token; the user is disabled afterwards
//	scop     a Global Administrator whose token carries only User.Read
//	app0     an application token without any role
//	app      an application token with the row's .All application permission
//	self     a user without roles, with the row's non-.All scope, acting on
//	         themselves through their own id (users/{id} rows) or /me
//	stal     as self, but signed in 11 minutes ago (auth_time)
//	none..GrA  delegated .All caller holding no role, Global Reader,
//	         Authentication Administrator, Privileged Authentication
//	         Administrator, Global Administrator, Authentication Policy
//	         Administrator, User Administrator, Groups Administrator
//	AA*      Authentication Administrator on a target who is a Global Reader
//	PAA*     Privileged Authentication Administrator on a Global Administrator
//	UA*      User Administrator on an Authentication Administrator
//	sAA      Authentication Administrator scoped to an administrative unit
//	         (not tenant-wide: never in the token), on a direct member of it
//	sAA-     as sAA, on a member of another unit
//	sAAg     as sAA, on a member of a group that is in the unit (not a
//	         member of the unit for management, as in Entra)
//	sAPA     Authentication Policy Administrator scoped to a unit, on a
//	         member (and, on tenant rows, on the tenant's policy)
//
// Cells: 200/201/204 success with exactly that status; 401
// InvalidAuthenticationToken with a WWW-Authenticate: Bearer header; 403
// accessDenied without a claims challenge; CLM 403 accessDenied whose
// WWW-Authenticate carries error="insufficient_claims" and a claims=
// challenge; -- not applicable (the form has no such caller).
var azRows = []azRow{
	//              anon exp  frgn forg aud  del  dis  | scop app0 app  | self stal | none GR   AA   PAA  GA   APA  UA   GrA  | AA*  PAA* UA*  | sAA  sAA- sAAg sAPA
	{name: "GET method", verb: "GET", path: "/v1.0/{u}/authentication/qrCodePinMethod", prep: azPrepMethod, scopes: azMethodRead,
		other: "401  401  401  401  401  401  401  | 403  403  200  | 200  200  | 403  200  200  200  200  403  403  403  | 200  200  403 | 200  403  403  403",
		me:    "401  401  401  401  401  401  401  | 403  403  403  | 200  200  | 200  200  200  200  200  200  200  200  | --   --   -- | --   --   --   --"},
	{name: "PUT method", verb: "PUT", path: "/v1.0/{u}/authentication/qrCodePinMethod", body: `{"standardQRCode":{},"pin":{"code":"{newpin}"}}`, scopes: azMethodWrite,
		other: "401  401  401  401  401  401  401  | 403  403  201  | 201  CLM  | 403  403  201  201  201  403  403  403  | 403  201  403 | 201  403  403  403",
		me:    "401  401  401  401  401  401  401  | 403  403  403  | 201  CLM  | 201  201  201  201  201  201  201  201  | --   --   -- | --   --   --   --"},
	{name: "DELETE method", verb: "DELETE", path: "/v1.0/{u}/authentication/qrCodePinMethod", prep: azPrepMethod, scopes: azMethodWrite,
		other: "401  401  401  401  401  401  401  | 403  403  204  | 204  CLM  | 403  403  204  204  204  403  403  403  | 403  204  403 | 204  403  403  403",
		me:    "401  401  401  401  401  401  401  | 403  403  403  | 204  CLM  | 204  204  204  204  204  204  204  204  | --   --   -- | --   --   --   --"},
	{name: "GET standardQRCode", verb: "GET", path: "/v1.0/{u}/authentication/qrCodePinMethod/standardQRCode", prep: azPrepMethod, scopes: azAuthMethodRead,
		other: "401  401  401  401  401  401  401  | 403  403  200  | 200  200  | 403  200  200  200  200  403  403  403  | 200  200  403 | 200  403  403  403",
		me:    "401  401  401  401  401  401  401  | 403  403  403  | 200  200  | 200  200  200  200  200  200  200  200  | --   --   -- | --   --   --   --"},
	{name: "PATCH standardQRCode", verb: "PATCH", path: "/v1.0/{u}/authentication/qrCodePinMethod/standardQRCode", body: `{}`, prep: azPrepNoStandard, scopes: azMethodWrite,
		other: "401  401  401  401  401  401  401  | 403  403  201  | 201  CLM  | 403  403  201  201  201  403  403  403  | 403  201  403 | 201  403  403  403",
		me:    "401  401  401  401  401  401  401  | 403  403  403  | 201  CLM  | 201  201  201  201  201  201  201  201  | --   --   -- | --   --   --   --"},
	{name: "DELETE standardQRCode", verb: "DELETE", path: "/v1.0/{u}/authentication/qrCodePinMethod/standardQRCode", prep: azPrepMethod, scopes: azAuthMethodWrite,
		other: "401  401  401  401  401  401  401  | 403  403  204  | 204  CLM  | 403  403  204  204  204  403  403  403  | 403  204  403 | 204  403  403  403",
		me:    "401  401  401  401  401  401  401  | 403  403  403  | 204  CLM  | 204  204  204  204  204  204  204  204  | --   --   -- | --   --   --   --"},
	{name: "GET temporaryQRCode", verb: "GET", path: "/v1.0/{u}/authentication/qrCodePinMethod/temporaryQRCode", prep: azPrepTemporary, scopes: azMethodRead,
		other: "401  401  401  401  401  401  401  | 403  403  200  | 200  200  | 403  200  200  200  200  403  403  403  | 200  200  403 | 200  403  403  403",
		me:    "401  401  401  401  401  401  401  | 403  403  403  | 200  200  | 200  200  200  200  200  200  200  200  | --   --   -- | --   --   --   --"},
	{name: "PATCH temporaryQRCode", verb: "PATCH", path: "/v1.0/{u}/authentication/qrCodePinMethod/temporaryQRCode", body: `{"expireDateTime":"{in4h}"}`, prep: azPrepMethod, scopes: azAuthMethodWrite,
		other: "401  401  401  401  401  401  401  | 403  403  201  | 201  CLM  | 403  403  201  201  201  403  403  403  | 403  201  403 | 201  403  403  403",
		me:    "401  401  401  401  401  401  401  | 403  403  403  | 201  CLM  | 201  201  201  201  201  201  201  201  | --   --   -- | --   --   --   --"},
	{name: "DELETE temporaryQRCode", verb: "DELETE", path: "/v1.0/{u}/authentication/qrCodePinMethod/temporaryQRCode", prep: azPrepTemporary, scopes: azMethodWrite,
		other: "401  401  401  401  401  401  401  | 403  403  204  | 204  CLM  | 403  403  204  204  204  403  403  403  | 403  204  403 | 204  403  403  403",
		me:    "401  401  401  401  401  401  401  | 403  403  403  | 204  CLM  | 204  204  204  204  204  204  204  204  | --   --   -- | --   --   --   --"},
	{name: "GET pin", verb: "GET", path: "/v1.0/{u}/authentication/qrCodePinMethod/pin", prep: azPrepMethod, scopes: azAuthMethodRead,
		other: "401  401  401  401  401  401  401  | 403  403  200  | 200  200  | 403  200  200  200  200  403  403  403  | 200  200  403 | 200  403  403  403",
		me:    "401  401  401  401  401  401  401  | 403  403  403  | 200  200  | 200  200  200  200  200  200  200  200  | --   --   -- | --   --   --   --"},
	// Nobody resets their own PIN without an administrator role (D15); an
	// Authentication Administrator holds a role, so is an admin target too.
	{name: "PATCH pin (reset)", verb: "PATCH", path: "/v1.0/{u}/authentication/qrCodePinMethod/pin", body: `{}`, prep: azPrepMethod, scopes: azAuthMethodWrite,
		other: "401  401  401  401  401  401  401  | 403  403  201  | 403  403  | 403  403  201  201  201  403  403  403  | 403  201  403 | 201  403  403  403",
		me:    "401  401  401  401  401  401  401  | 403  403  403  | 403  403  | 403  403  403  201  201  403  403  403  | --   --   -- | --   --   --   --"},
	// pin/unlock (qrpin's extension) is authorized as a reset is.
	{name: "POST pin/unlock", verb: "POST", path: "/beta/{u}/authentication/qrCodePinMethod/pin/unlock", prep: azPrepLocked, scopes: azAuthMethodWrite,
		other: "401  401  401  401  401  401  401  | 403  403  204  | 403  403  | 403  403  204  204  204  403  403  403  | 403  204  403  | 204  403  403  403",
		me:    "401  401  401  401  401  401  401  | 403  403  403  | 403  403  | 403  403  403  204  204  403  403  403  | --   --   --   | --   --   --   --"},
	// updatePin: delegated only, on the caller only, no recent sign-in needed (D13, D15).
	{name: "POST pin/updatePin", verb: "POST", path: "/v1.0/{u}/authentication/qrCodePinMethod/pin/updatePin", body: azUpdateBody, prep: azPrepMethod, scopes: azUpdatePIN,
		other: "401  401  401  401  401  401  401  | 403  403  403  | 204  204  | 403  403  403  403  403  403  403  403  | 403  403  403 | 403  403  403  403",
		me:    "401  401  401  401  401  401  401  | 403  403  403  | 204  204  | 204  204  204  204  204  204  204  204  | --   --   -- | --   --   --   --"},
	{name: "PATCH pin/updatePin", verb: "PATCH", path: "/v1.0/{u}/authentication/qrCodePinMethod/pin/updatePin", body: azUpdateBody, prep: azPrepMethod, scopes: azUpdatePIN,
		other: "401  401  401  401  401  401  401  | 403  403  403  | 204  204  | 403  403  403  403  403  403  403  403  | 403  403  403 | 403  403  403  403",
		me:    "401  401  401  401  401  401  401  | 403  403  403  | 204  204  | 204  204  204  204  204  204  204  204  | --   --   -- | --   --   --   --"},
	{name: "POST updatePin", verb: "POST", path: "/v1.0/{u}/authentication/qrCodePinMethod/updatePin", body: azUpdateBody, prep: azPrepMethod, scopes: azUpdatePIN,
		other: "401  401  401  401  401  401  401  | 403  403  403  | 204  204  | 403  403  403  403  403  403  403  403  | 403  403  403 | 403  403  403  403",
		me:    "401  401  401  401  401  401  401  | 403  403  403  | 204  204  | 204  204  204  204  204  204  204  204  | --   --   -- | --   --   --   --"},
	{name: "PATCH updatePin", verb: "PATCH", path: "/v1.0/{u}/authentication/qrCodePinMethod/updatePin", body: azUpdateBody, prep: azPrepMethod, scopes: azUpdatePIN,
		other: "401  401  401  401  401  401  401  | 403  403  403  | 204  204  | 403  403  403  403  403  403  403  403  | 403  403  403 | 403  403  403  403",
		me:    "401  401  401  401  401  401  401  | 403  403  403  | 204  204  | 204  204  204  204  204  204  204  204  | --   --   -- | --   --   --   --"},
	{name: "GET methods", verb: "GET", path: "/v1.0/{u}/authentication/methods", prep: azPrepMethod, scopes: azAuthMethodRead,
		other: "401  401  401  401  401  401  401  | 403  403  200  | 200  200  | 403  200  200  200  200  403  403  403  | 200  200  403 | 200  403  403  403",
		me:    "401  401  401  401  401  401  401  | 403  403  403  | 200  200  | 200  200  200  200  200  200  200  200  | --   --   -- | --   --   --   --"},
	//              anon exp  frgn forg aud  del  dis  | scop app0 app  | self stal | none GR   AA   PAA  GA   APA  UA   GrA  | AA*  PAA* UA*  | sAA  sAA- sAAg sAPA
	// Users: reading needs no role (User.Read suffices for oneself); writing
	// needs Global Administrator, or User Administrator on a user without a role.
	{name: "GET user", verb: "GET", path: "/v1.0/{u}", scopes: azUserRead,
		other: "401  401  401  401  401  401  401  | 403  403  200  | 200  200  | 200  200  200  200  200  200  200  200  | 200  200  200 | 200  200  200  200",
		me:    "401  401  401  401  401  401  401  | 200  403  403  | 200  200  | 200  200  200  200  200  200  200  200  | --   --   -- | --   --   --   --"},
	{name: "PATCH user", verb: "PATCH", path: "/v1.0/{u}", body: `{"displayName":"Renamed"}`, scopes: azUserWrite,
		other: "401  401  401  401  401  401  401  | 403  403  204  | 403  403  | 403  403  403  403  204  403  204  403  | 403  403  403 | 403  403  403  403",
		me:    "401  401  401  401  401  401  401  | 403  403  403  | 403  403  | 403  403  403  403  204  403  403  403  | --   --   -- | --   --   --   --"},
	// A user may not delete themselves (GA on /me: 400, nothing deleted).
	{name: "DELETE user", verb: "DELETE", path: "/v1.0/{u}", scopes: azUserWrite,
		other: "401  401  401  401  401  401  401  | 403  403  204  | 403  403  | 403  403  403  403  204  403  204  403  | 403  403  403 | 403  403  403  403",
		me:    "401  401  401  401  401  401  401  | 403  403  403  | 403  403  | 403  403  403  403  400  403  403  403  | --   --   -- | --   --   --   --"},
	{name: "GET users", verb: "GET", path: "/v1.0/users", scopes: azUserRead,
		other: "401  401  401  401  401  401  401  | 403  403  200  | --   --   | 200  200  200  200  200  200  200  200  | --   --   -- | 200  200  200  200"},
	{name: "GET users by employeeId", verb: "GET", path: "/beta/users?$filter=employeeId%20eq%20'E-1'", scopes: azUserRead,
		other: "401  401  401  401  401  401  401  | 403  403  200  | --   --   | 200  200  200  200  200  200  200  200  | --   --   -- | 200  200  200  200"},
	{name: "POST users", verb: "POST", path: "/v1.0/users", body: `{"userPrincipalName":"created{n}@contoso.com","displayName":"Created"}`, scopes: azUserWrite,
		other: "401  401  401  401  401  401  401  | 403  403  201  | --   --   | 403  403  403  403  201  403  201  403  | --   --   -- | 403  403  403  403"},
	//              anon exp  frgn forg aud  del  dis  | scop app0 app  | self stal | none GR   AA   PAA  GA   APA  UA   GrA  | AA*  PAA* UA*  | sAA  sAA- sAAg sAPA
	// Policy (D13, D14).
	{name: "GET policy", verb: "GET", path: "/v1.0/" + azPolicyPath, prep: azPrepPolicy, scopes: azPolicyRead,
		other: "401  401  401  401  401  401  401  | 403  403  200  | --   --   | 403  200  403  403  200  200  403  403  | --   --   -- | 403  403  403  403"},
	{name: "PATCH policy", verb: "PATCH", path: "/beta/" + azPolicyPath, body: `{"@odata.type":"#microsoft.graph.qrCodePinAuthenticationMethodConfiguration","pinLength":12}`, prep: azPrepPolicy, scopes: azPolicyWrite,
		other: "401  401  401  401  401  401  401  | 403  403  200  | --   --   | 403  403  403  403  200  200  403  403  | --   --   -- | 403  403  403  403"},
	{name: "DELETE policy", verb: "DELETE", path: "/v1.0/" + azPolicyPath, prep: azPrepPolicy, scopes: azPolicyWrite,
		other: "401  401  401  401  401  401  401  | 403  403  204  | --   --   | 403  403  403  403  204  204  403  403  | --   --   -- | 403  403  403  403"},
	// Groups: reading needs no role; writing needs Groups, User or Global Administrator.
	{name: "GET groups", verb: "GET", path: "/v1.0/groups", prep: azPrepGroup, scopes: azGroupRead,
		other: "401  401  401  401  401  401  401  | 403  403  200  | --   --   | 200  200  200  200  200  200  200  200  | --   --   -- | 200  200  200  200"},
	{name: "GET group", verb: "GET", path: "/v1.0/groups/{g}", prep: azPrepGroup, scopes: azGroupRead,
		other: "401  401  401  401  401  401  401  | 403  403  200  | --   --   | 200  200  200  200  200  200  200  200  | --   --   -- | 200  200  200  200"},
	{name: "POST groups", verb: "POST", path: "/v1.0/groups", body: `{"displayName":"Created {n}"}`, scopes: azGroupWrite,
		other: "401  401  401  401  401  401  401  | 403  403  201  | --   --   | 403  403  403  403  201  403  201  201  | --   --   -- | 403  403  403  403"},
	{name: "DELETE group", verb: "DELETE", path: "/v1.0/groups/{g}", prep: azPrepGroup, scopes: azGroupWrite,
		other: "401  401  401  401  401  401  401  | 403  403  204  | --   --   | 403  403  403  403  204  403  204  204  | --   --   -- | 403  403  403  403"},
	{name: "GET members", verb: "GET", path: "/v1.0/groups/{g}/members", prep: azPrepMember, scopes: azMemberRead,
		other: "401  401  401  401  401  401  401  | 403  403  200  | --   --   | 200  200  200  200  200  200  200  200  | --   --   -- | 200  200  200  200"},
	{name: "POST member", verb: "POST", path: "/v1.0/groups/{g}/members/$ref", body: `{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/{m}"}`, prep: azPrepGroup, scopes: azMemberWrite,
		other: "401  401  401  401  401  401  401  | 403  403  204  | --   --   | 403  403  403  403  204  403  204  204  | --   --   -- | 403  403  403  403"},
	{name: "DELETE member", verb: "DELETE", path: "/v1.0/groups/{g}/members/{m}/$ref", prep: azPrepMember, scopes: azMemberWrite,
		other: "401  401  401  401  401  401  401  | 403  403  204  | --   --   | 403  403  403  403  204  403  204  204  | --   --   -- | 403  403  403  403"},
	//              anon exp  frgn forg aud  del  dis  | scop app0 app  | self stal | none GR   AA   PAA  GA   APA  UA   GrA  | AA*  PAA* UA*  | sAA  sAA- sAAg sAPA
	// Administrative units: reading needs no role; writing (members
	// included) needs Privileged Role Administrator or Global Administrator.
	{name: "GET units", verb: "GET", path: "/v1.0/directory/administrativeUnits", prep: azPrepUnit, scopes: azUnitRead,
		other: "401  401  401  401  401  401  401  | 403  403  200  | --   --   | 200  200  200  200  200  200  200  200  | --   --   --   | 200  200  200  200"},
	{name: "GET unit", verb: "GET", path: "/beta/directory/administrativeUnits/{au}", prep: azPrepUnit, scopes: azUnitRead,
		other: "401  401  401  401  401  401  401  | 403  403  200  | --   --   | 200  200  200  200  200  200  200  200  | --   --   --   | 200  200  200  200"},
	{name: "POST units", verb: "POST", path: "/v1.0/directory/administrativeUnits", body: `{"displayName":"Store {n}"}`, scopes: azUnitWrite,
		other: "401  401  401  401  401  401  401  | 403  403  201  | --   --   | 403  403  403  403  201  403  403  403  | --   --   --   | 403  403  403  403"},
	{name: "PATCH unit", verb: "PATCH", path: "/v1.0/directory/administrativeUnits/{au}", body: `{"description":"Renamed {n}"}`, prep: azPrepUnit, scopes: azUnitWrite,
		other: "401  401  401  401  401  401  401  | 403  403  204  | --   --   | 403  403  403  403  204  403  403  403  | --   --   --   | 403  403  403  403"},
	{name: "DELETE unit", verb: "DELETE", path: "/v1.0/directory/administrativeUnits/{au}", prep: azPrepUnit, scopes: azUnitWrite,
		other: "401  401  401  401  401  401  401  | 403  403  204  | --   --   | 403  403  403  403  204  403  403  403  | --   --   --   | 403  403  403  403"},
	{name: "GET unit members", verb: "GET", path: "/v1.0/directory/administrativeUnits/{au}/members", prep: azPrepUnitMember, scopes: azUnitRead,
		other: "401  401  401  401  401  401  401  | 403  403  200  | --   --   | 200  200  200  200  200  200  200  200  | --   --   --   | 200  200  200  200"},
	{name: "POST unit member", verb: "POST", path: "/v1.0/directory/administrativeUnits/{au}/members/$ref", body: `{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/{m}"}`, prep: azPrepUnit, scopes: azUnitWrite,
		other: "401  401  401  401  401  401  401  | 403  403  204  | --   --   | 403  403  403  403  204  403  403  403  | --   --   --   | 403  403  403  403"},
	{name: "DELETE unit member", verb: "DELETE", path: "/v1.0/directory/administrativeUnits/{au}/members/{m}/$ref", prep: azPrepUnitMember, scopes: azUnitWrite,
		other: "401  401  401  401  401  401  401  | 403  403  204  | --   --   | 403  403  403  403  204  403  403  403  | --   --   --   | 403  403  403  403"},
}

const azPolicyPath = "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/qrCodePin"

// The PIN every prepared method has, and the one updatePin and PUT set.
const (
	azPIN    = "48150392"
	azNewPIN = "27182845"
)

const azUpdateBody = `{"currentPin":"{pin}","newPin":"{newpin}"}`

// azScopes are a row's scopes: self is the non-.All delegated scope for
// acting on oneself ("" when the row has no self form); all is the .All
// (or tenant-wide) scope, which is also the application permission used.
type azScopes struct{ self, all string }

var (
	azMethodRead      = azScopes{"UserAuthMethod-QR.Read", "UserAuthMethod-QR.Read.All"}
	azMethodWrite     = azScopes{"UserAuthMethod-QR.ReadWrite", "UserAuthMethod-QR.ReadWrite.All"}
	azAuthMethodRead  = azScopes{"UserAuthenticationMethod.Read", "UserAuthenticationMethod.Read.All"}
	azAuthMethodWrite = azScopes{"UserAuthenticationMethod.ReadWrite", "UserAuthenticationMethod.ReadWrite.All"}
	azUpdatePIN       = azScopes{"Directory.AccessAsUser.All", "UserAuthMethod-QR.ReadWrite.All"}
	azUserRead        = azScopes{"User.Read", "User.Read.All"}
	azUserWrite       = azScopes{"User.ReadWrite", "User.ReadWrite.All"}
	azPolicyRead      = azScopes{"", "Policy.Read.AuthenticationMethod"}
	azPolicyWrite     = azScopes{"", "Policy.ReadWrite.AuthenticationMethod"}
	azGroupRead       = azScopes{"", "Group.Read.All"}
	azGroupWrite      = azScopes{"", "Group.ReadWrite.All"}
	azMemberRead      = azScopes{"", "GroupMember.Read.All"}
	azMemberWrite     = azScopes{"", "GroupMember.ReadWrite.All"}
	azUnitRead        = azScopes{"", "AdministrativeUnit.Read.All"}
	azUnitWrite       = azScopes{"", "AdministrativeUnit.ReadWrite.All"}
)

// azPrep is the state a row needs before its request, so that a permitted
// caller's request is valid and succeeds.
type azPrep int

const (
	azPrepNone       azPrep = iota
	azPrepMethod            // the target has a method: live standard code, PIN azPIN
	azPrepNoStandard        // the target has a method without a standard code
	azPrepTemporary         // as azPrepMethod, plus a live temporary code
	azPrepPolicy            // the tenant policy differs from the defaults
	azPrepGroup             // a group exists ({g})
	azPrepMember            // a group exists and the target ({m}) is a member
	azPrepLocked            // as azPrepMethod, the PIN locked for a day after too many wrong PINs
	azPrepUnit              // an administrative unit exists ({au})
	azPrepUnitMember        // an administrative unit exists and the target ({m}) is a member
)

type azRow struct {
	name, verb, path, body string
	prep                   azPrep
	scopes                 azScopes
	other, me              string // expected cells; me is "" when the route has no /me form
}

// azKind says how a column builds its caller and picks its target.
type azKind int

const (
	azAnon azKind = iota
	azExpired
	azForeign
	azForged
	azAudience
	azDeleted
	azDisabled
	azWrongScope
	azAppNoRole
	azApp
	azSelf
	azStale
	azRole        // delegated .All caller with role, on a target without roles
	azRoleOnAdmin // delegated .All caller with role, on a target holding targetRole
	azScoped      // delegated .All caller with role scoped to a unit, on a target placed by scope
)

var azColumns = []struct {
	name       string
	kind       azKind
	role       string // the caller's directory role
	targetRole string // azRoleOnAdmin: the target's directory role; azScoped: where the target is
}{
	{"anon", azAnon, "", ""},
	{"exp", azExpired, "", ""},
	{"frgn", azForeign, "", ""},
	{"forg", azForged, "", ""},
	{"aud", azAudience, "", ""},
	{"del", azDeleted, "", ""},
	{"dis", azDisabled, "", ""},
	{"scop", azWrongScope, "", ""},
	{"app0", azAppNoRole, "", ""},
	{"app", azApp, "", ""},
	{"self", azSelf, "", ""},
	{"stal", azStale, "", ""},
	{"none", azRole, "", ""},
	{"GR", azRole, auth.GlobalReader, ""},
	{"AA", azRole, auth.AuthenticationAdministrator, ""},
	{"PAA", azRole, auth.PrivilegedAuthenticationAdministrator, ""},
	{"GA", azRole, auth.GlobalAdministrator, ""},
	{"APA", azRole, auth.AuthenticationPolicyAdministrator, ""},
	{"UA", azRole, auth.UserAdministrator, ""},
	{"GrA", azRole, auth.GroupsAdministrator, ""},
	{"AA*", azRoleOnAdmin, auth.AuthenticationAdministrator, auth.GlobalReader},
	{"PAA*", azRoleOnAdmin, auth.PrivilegedAuthenticationAdministrator, auth.GlobalAdministrator},
	{"UA*", azRoleOnAdmin, auth.UserAdministrator, auth.AuthenticationAdministrator},
	{"sAA", azScoped, auth.AuthenticationAdministrator, azInUnit},
	{"sAA-", azScoped, auth.AuthenticationAdministrator, azInOtherUnit},
	{"sAAg", azScoped, auth.AuthenticationAdministrator, azInGroupInUnit},
	{"sAPA", azScoped, auth.AuthenticationPolicyAdministrator, azInUnit},
}

// Where an azScoped column's target is.
const (
	azInUnit        = "in the unit"
	azInOtherUnit   = "in another unit"
	azInGroupInUnit = "in a group in the unit"
)

// Expected cell values besides plain statuses.
const (
	azNA     = 0    // --: not applicable
	azClaims = -403 // CLM: 403 with a claims challenge
)

// azParse reads one line of expected cells.
func azParse(t *testing.T, row, line string) []int {
	t.Helper()
	var out []int
	for _, f := range strings.Fields(line) {
		switch f {
		case "|":
		case "--":
			out = append(out, azNA)
		case "CLM":
			out = append(out, azClaims)
		case "200", "201", "204", "400", "401", "403":
			n, _ := strconv.Atoi(f)
			out = append(out, n)
		default:
			t.Fatalf("row %s: unknown cell %q", row, f)
		}
	}
	if len(out) != len(azColumns) {
		t.Fatalf("row %s: %d cells, want %d", row, len(out), len(azColumns))
	}
	return out
}

// TestAuthzMatrix runs every cell of azRows: the rows in parallel, each
// endpoint (both its forms) on its own server.
func TestAuthzMatrix(t *testing.T) {
	t.Parallel()
	runAzMatrix(t, false)
}

// TestAuthzMatrixInBatch runs every cell of azRows again, each request
// sent as the one request of a JSON batch with the caller's token: inside
// a batch a request is authorized as if sent alone (a caller without a
// valid token has the whole batch refused with the same 401). On SQLite
// only: batching does not touch the store, TestAuthzMatrix covers
// PostgreSQL, and the matrix is among the package's costliest tests.
func TestAuthzMatrixInBatch(t *testing.T) {
	if onPostgres() {
		t.Skip("batching is the same on every backend; TestAuthzMatrix runs on PostgreSQL")
	}
	t.Parallel()
	runAzMatrix(t, true)
}

func runAzMatrix(t *testing.T, inBatch bool) {
	foreign := azForeignKeys(t)
	rows, cells := 0, 0
	for _, row := range azRows {
		forms := []bool{false}
		if row.me != "" {
			if !strings.Contains(row.path, "{u}") {
				t.Fatalf("row %s: a /me form needs a {u} path", row.name)
			}
			forms = append(forms, true)
		}
		wants := map[bool][]int{false: azParse(t, row.name, row.other)}
		if row.me != "" {
			wants[true] = azParse(t, row.name+" (me)", row.me)
		}
		for _, me := range forms {
			rows++
			for _, w := range wants[me] {
				if w != azNA {
					cells++
				}
			}
		}
		t.Run(row.name, func(t *testing.T) {
			t.Parallel()
			z := newAzEnv(t, foreign)
			z.inBatch = inBatch
			for _, me := range forms {
				for i, w := range wants[me] {
					if w != azNA {
						z.cell(row, me, i, w)
					}
				}
			}
		})
	}
	t.Logf("authorization matrix: %d rows x %d callers, %d applicable cells", rows, len(azColumns), cells)
}

// TestAuthzMissingTarget replays the matrix's users/{id} rows on a user
// (by id and by userPrincipalName), and its group rows on a group, that
// does not exist: a caller the matrix refuses is still refused with 403
// and learns nothing; a caller the matrix lets through gets 404.
func TestAuthzMissingTarget(t *testing.T) {
	t.Parallel()
	z := newAzEnv(t, azForeignKeys(t))
	e := z.e
	kinds := map[azKind]bool{azWrongScope: true, azAppNoRole: true, azApp: true, azRole: true}
	for _, row := range azRows {
		user, group := strings.Contains(row.path, "{u}"), strings.Contains(row.path, "{g}")
		if !user && !group {
			continue
		}
		want := azParse(t, row.name, row.other)
		missing := []string{uuid.NewString(), "nobody" + z.next() + "@contoso.com"}
		if group {
			missing = missing[:1]
		}
		for _, key := range missing {
			for i, col := range azColumns {
				if !kinds[col.kind] {
					continue
				}
				tok, _ := z.token(row, i, nil)
				member := e.user("member" + z.next() + "@contoso.com") // {m} exists; the user or group is missing
				path := strings.NewReplacer("{u}", "users/"+key, "{g}", key, "{m}", member.ID).Replace(row.path)
				label := fmt.Sprintf("%s %s [%s]", row.verb, path, col.name)
				r := e.do(row.verb, path, tok, z.body(row.body, member))
				switch want[i] {
				case http.StatusForbidden, azClaims:
					z.checkDenied(label, r, false)
				default:
					if r.status != http.StatusNotFound || r.errCode(t) != "Request_ResourceNotFound" {
						t.Errorf("%s: got %d %s, want 404 Request_ResourceNotFound", label, r.status, r.body)
					}
				}
			}
		}
	}
}

// azForeignKeys returns a key set the server does not know.
var (
	azForeignOnce sync.Once
	azForeignSet  *auth.KeySet
	azForeignErr  error
)

func azForeignKeys(t *testing.T) *auth.KeySet {
	azForeignOnce.Do(func() {
		azForeignSet, azForeignErr = auth.LoadOrCreateKeys(t.TempDir())
	})
	if azForeignErr != nil {
		t.Fatal(azForeignErr)
	}
	return azForeignSet
}

// azHashes caches the hash of azPIN per pepper: Argon2id is slow on purpose.
var azHashes sync.Map

// azEnv is one row's server plus what its cells need.
type azEnv struct {
	t       *testing.T
	e       *env
	db      *sql.DB   // SQLite: read-only, for dumps
	tables  []azTable // SQLite: the tables the dumps read
	foreign *auth.Tokens
	foreKey *auth.KeySet
	wrongAu *auth.Tokens
	pinHash string
	n       int
	inBatch bool   // cells send their request inside a JSON batch
	unit    string // the unit of the last azScoped caller made
}

// newUnit stores an administrative unit and returns its id.
func (z *azEnv) newUnit() string {
	id := uuid.NewString()
	if err := z.e.store.CreateUnit(context.Background(), store.AdministrativeUnit{ID: id, DisplayName: "Store " + z.next(), Created: z.e.clock.Now()}); err != nil {
		z.t.Fatal(err)
	}
	return id
}

// addToUnit adds a user or group to a unit, straight in the store.
func (z *azEnv) addToUnit(unit, member string) {
	if err := z.e.store.AddUnitMember(context.Background(), unit, member); err != nil {
		z.t.Fatal(err)
	}
}

func newAzEnv(t *testing.T, foreign *auth.KeySet) *azEnv {
	e := newEnv(t)
	h, ok := azHashes.Load(string(e.pepper))
	if !ok {
		s, err := e.hasher.Hash(azPIN)
		if err != nil {
			t.Fatal(err)
		}
		h, _ = azHashes.LoadOrStore(string(e.pepper), s)
	}
	return &azEnv{
		t: t, e: e, foreKey: foreign, pinHash: h.(string),
		foreign: &auth.Tokens{Keys: foreign, Issuer: e.tokens.Issuer, Audiences: e.tokens.Audiences, Now: e.clock.Now},
		wrongAu: &auth.Tokens{Keys: e.tokens.Keys, Issuer: e.tokens.Issuer, Audiences: []string{"api://not-graph"}, Now: e.clock.Now},
	}
}

func (z *azEnv) next() string {
	z.n++
	return fmt.Sprint(z.n)
}

// token builds the caller of column i for row: its token and, for
// delegated callers, its user. prepare, when not nil, runs after the token
// is minted and before its defect (expiry, deletion, disabling) is applied;
// it gets the caller's user (zero for applications).
func (z *azEnv) token(row azRow, i int, prepare func(caller store.User)) (string, store.User) {
	e, col := z.e, azColumns[i]
	if col.kind == azAppNoRole || col.kind == azApp {
		tok := e.appToken()
		if col.kind == azApp {
			tok = e.appToken(row.scopes.all)
		}
		if prepare != nil {
			prepare(store.User{})
		}
		return tok, store.User{}
	}
	var roles, scopes []string
	authTime := e.clock.Now()
	switch col.kind {
	case azSelf, azStale:
		scopes = []string{row.scopes.self}
		if col.kind == azStale {
			authTime = authTime.Add(-auth.RecentSignIn - time.Minute)
		}
	case azWrongScope:
		roles, scopes = []string{auth.GlobalAdministrator}, []string{"User.Read"}
	case azRole, azRoleOnAdmin:
		scopes = []string{row.scopes.all}
		if col.role != "" {
			roles = []string{col.role}
		}
	case azScoped:
		scopes = []string{row.scopes.all}
	default: // the 401 columns: a caller who could do everything but for the token
		roles = []string{auth.GlobalAdministrator}
		for _, s := range []string{row.scopes.self, row.scopes.all} {
			if s != "" {
				scopes = append(scopes, s)
			}
		}
	}
	u := e.user("caller"+z.next()+"@contoso.com", roles...)
	if col.kind == azScoped { // the role over a unit of its own; the token has no wids
		z.unit = z.newUnit()
		if err := e.store.CreateRoleAssignment(context.Background(), store.RoleAssignment{ID: uuid.NewString(),
			PrincipalID: u.ID, RoleDefinitionID: col.role, UnitID: z.unit}); err != nil {
			z.t.Fatal(err)
		}
	}
	p := auth.Principal{Kind: auth.Delegated, ObjectID: u.ID, AppID: uuid.NewString(), TenantID: e.tenant,
		UPN: u.UPN, Scopes: scopes, DirectoryRoles: roles, AuthTime: authTime}
	var tok string
	var err error
	switch col.kind {
	case azForeign:
		tok, err = z.foreign.Mint(p, time.Hour)
	case azForged:
		tok, err = z.forge(p)
	case azAudience:
		tok, err = z.wrongAu.Mint(p, time.Hour)
	case azAnon:
	default:
		tok = e.mint(p)
	}
	if err != nil {
		z.t.Fatal(err)
	}
	if prepare != nil {
		prepare(u)
	}
	ctx := context.Background()
	switch col.kind {
	case azExpired:
		e.clock.Advance(time.Hour + auth.DefaultSkew + time.Second)
	case azDeleted:
		if err := e.store.DeleteUser(ctx, u.ID); err != nil {
			z.t.Fatal(err)
		}
	case azDisabled:
		if _, err := e.store.UpdateUser(ctx, u.ID, func(u *store.User) error { u.AccountEnabled = false; return nil }); err != nil {
			z.t.Fatal(err)
		}
	}
	return tok, u
}

// forge signs p's claims with the foreign key while naming the server's
// own key id: only the signature can tell.
func (z *azEnv) forge(p auth.Principal) (string, error) {
	tok, err := z.foreign.Mint(p, time.Hour)
	if err != nil {
		return "", err
	}
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(tok, claims); err != nil {
		return "", err
	}
	kid, _, err := z.e.tokens.Keys.SigningKey()
	if err != nil {
		return "", err
	}
	_, priv, err := z.foreKey.SigningKey()
	if err != nil {
		return "", err
	}
	j := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	j.Header["kid"] = kid
	return j.SignedString(priv)
}

// body fills a row's body template.
func (z *azEnv) body(tmpl string, member store.User) string {
	return strings.NewReplacer(
		"{pin}", azPIN,
		"{newpin}", azNewPIN,
		"{in4h}", z.e.clock.Now().Add(4*time.Hour).UTC().Format(time.RFC3339),
		"{n}", z.next(),
		"{m}", member.ID,
	).Replace(tmpl)
}

// cell runs column i of row in the given form and checks the outcome.
func (z *azEnv) cell(row azRow, me bool, i int, want int) {
	t, e, col := z.t, z.e, azColumns[i]
	ctx := context.Background()
	form := " users/{id}"
	switch {
	case me:
		form = " me"
	case !strings.Contains(row.path, "{u}"):
		form = ""
	}
	label := fmt.Sprintf("%s%s [%s]", row.name, form, col.name)

	// The target: the caller itself for /me and the self columns, else a
	// fresh user (holding targetRole for the admin-target columns).
	var target store.User
	selfTarget := me || col.kind == azSelf || col.kind == azStale
	if !selfTarget {
		var roles []string
		if col.kind == azRoleOnAdmin {
			roles = []string{col.targetRole}
		}
		target = e.user("target"+z.next()+"@contoso.com", roles...)
	}
	var group string
	tok, _ := z.token(row, i, func(caller store.User) {
		if selfTarget {
			target = caller // zero for an application on /me
		}
		if target.ID != "" {
			z.prepUser(row.prep, target)
		}
	})
	switch row.prep {
	case azPrepPolicy:
		if _, err := e.store.UpdatePolicy(ctx, func(p *method.Policy) error {
			p.State, p.PINLength, p.StandardLifetimeDays = "enabled", 10, 200
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	case azPrepGroup, azPrepMember:
		group = uuid.NewString()
		if err := e.store.CreateGroup(ctx, store.Group{ID: group, DisplayName: "Group " + z.next(), Created: e.clock.Now()}); err != nil {
			t.Fatal(err)
		}
		if row.prep == azPrepMember {
			if target.ID == "" {
				target = e.user("member" + z.next() + "@contoso.com")
			}
			if err := e.store.AddGroupMember(ctx, group, target.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	var unit string
	switch row.prep {
	case azPrepUnit, azPrepUnitMember:
		unit = z.newUnit()
		if row.prep == azPrepUnitMember {
			if target.ID == "" {
				target = e.user("member" + z.next() + "@contoso.com")
			}
			z.addToUnit(unit, target.ID)
		}
	}
	if target.ID == "" && strings.Contains(row.body+row.path, "{m}") {
		target = e.user("member" + z.next() + "@contoso.com")
	}
	if col.kind == azScoped && target.ID != "" && !selfTarget {
		switch col.targetRole {
		case azInUnit:
			z.addToUnit(z.unit, target.ID)
		case azInOtherUnit:
			z.addToUnit(z.newUnit(), target.ID)
		case azInGroupInUnit:
			g := uuid.NewString()
			if err := e.store.CreateGroup(ctx, store.Group{ID: g, DisplayName: "Group " + z.next(), Created: e.clock.Now()}); err != nil {
				t.Fatal(err)
			}
			if err := e.store.AddGroupMember(ctx, g, target.ID); err != nil {
				t.Fatal(err)
			}
			z.addToUnit(z.unit, g)
		}
	}

	seg := "users/" + target.ID
	if me {
		seg = "me"
	}
	path := strings.NewReplacer("{u}", seg, "{g}", group, "{au}", unit, "{m}", target.ID).Replace(row.path)
	body := z.body(row.body, target)

	before := z.dump()
	r := z.do(row.verb, path, tok, body)
	after := z.dump()

	switch want {
	case http.StatusUnauthorized:
		if r.status != want {
			t.Errorf("%s: got %d, want 401: %s", label, r.status, r.body)
			break
		}
		if code := r.errCode(t); code != "InvalidAuthenticationToken" {
			t.Errorf("%s: error code %q, want InvalidAuthenticationToken", label, code)
		}
		if h := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(h, "Bearer") {
			t.Errorf("%s: WWW-Authenticate %q, want a Bearer challenge", label, h)
		}
	case http.StatusForbidden:
		z.checkDenied(label, r, false)
	case azClaims:
		z.checkDenied(label, r, true)
	default:
		if r.status != want {
			t.Errorf("%s: got %d, want %d: %s", label, r.status, want, r.body)
			break
		}
		if want == http.StatusNoContent && len(r.body) != 0 {
			t.Errorf("%s: 204 with a body: %s", label, r.body)
		}
		if want != http.StatusNoContent {
			r.json(t)
		}
	}
	success := want == http.StatusOK || want == http.StatusCreated || want == http.StatusNoContent
	switch {
	case (!success || row.verb == http.MethodGet) && before != after:
		t.Errorf("%s: the database changed:\n%s", label, azDiff(before, after))
	case success && row.verb != http.MethodGet && r.status == want && before == after:
		t.Errorf("%s: %d but the database did not change", label, r.status)
	}
}

// do sends a cell's request, alone or (inBatch) as the one request of a
// JSON batch: then it returns the batch's answer when the batch itself is
// refused, else the request's response within it.
func (z *azEnv) do(verb, path, tok, body string) resp {
	t := z.t
	t.Helper()
	if !z.inBatch {
		return z.e.do(verb, path, tok, body)
	}
	version, rel, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	req := map[string]any{"id": "1", "method": verb, "url": "/" + rel}
	if body != "" {
		req["headers"] = map[string]string{"Content-Type": "application/json"}
		req["body"] = json.RawMessage(body)
	}
	b, err := json.Marshal(map[string]any{"requests": []any{req}})
	if err != nil {
		t.Fatal(err)
	}
	r := z.e.do("POST", "/"+version+"/$batch", tok, string(b))
	if r.status != http.StatusOK {
		return r
	}
	var out struct {
		Responses []struct {
			Status  int               `json:"status"`
			Headers map[string]string `json:"headers"`
			Body    json.RawMessage   `json:"body"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(r.body, &out); err != nil || len(out.Responses) != 1 {
		t.Fatalf("batch answer %s (%v)", r.body, err)
	}
	inner := resp{status: out.Responses[0].Status, header: http.Header{}, body: out.Responses[0].Body}
	for k, v := range out.Responses[0].Headers {
		inner.header.Set(k, v)
	}
	return inner
}

// checkDenied checks a 403 accessDenied, with or without the recent
// sign-in claims challenge.
func (z *azEnv) checkDenied(label string, r resp, claims bool) {
	t := z.t
	t.Helper()
	if r.status != http.StatusForbidden {
		t.Errorf("%s: got %d, want 403: %s", label, r.status, r.body)
		return
	}
	if code := r.errCode(t); code != "accessDenied" {
		t.Errorf("%s: error code %q, want accessDenied", label, code)
	}
	h := r.header.Get("WWW-Authenticate")
	if !claims {
		if strings.Contains(h, "insufficient_claims") {
			t.Errorf("%s: a claims challenge where signing in again cannot help: %s", label, h)
		}
		return
	}
	if !strings.HasPrefix(h, "Bearer") || !strings.Contains(h, `error="insufficient_claims"`) {
		t.Errorf("%s: WWW-Authenticate %q, want Bearer ... error=\"insufficient_claims\"", label, h)
		return
	}
	m := regexp.MustCompile(`claims="([^"]+)"`).FindStringSubmatch(h)
	if m == nil {
		t.Errorf("%s: WWW-Authenticate %q has no claims=", label, h)
		return
	}
	raw, err := base64.StdEncoding.DecodeString(m[1])
	var req map[string]any
	if err == nil {
		err = json.Unmarshal(raw, &req)
	}
	if err != nil || req["access_token"] == nil {
		t.Errorf("%s: claims=%q is not a base64 claims request for the access token (%v)", label, m[1], err)
	}
}

// prepUser gives the target the state the row needs.
func (z *azEnv) prepUser(p azPrep, u store.User) {
	e := z.e
	now := e.clock.Now().UTC().Truncate(time.Microsecond)
	code := func(kind method.Kind, life time.Duration) *method.QRCode {
		v := make([]byte, 32)
		rand.Read(v)
		return &method.QRCode{ID: uuid.NewString(), Kind: kind, Start: now, Expire: now.Add(life), Created: now, Verifier: v}
	}
	m := method.Method{ID: uuid.NewString(), UserID: u.ID, Created: now,
		PIN: method.PIN{Hash: z.pinHash, Length: len(azPIN), ForceChange: true, Created: now, Updated: now}}
	switch p {
	case azPrepMethod:
		m.Standard = code(method.Standard, 365*24*time.Hour)
	case azPrepLocked:
		m.Standard = code(method.Standard, 365*24*time.Hour)
		m.Lockout = method.Lockout{Failures: 12, LockedUntil: now.Add(24 * time.Hour)}
	case azPrepNoStandard:
	case azPrepTemporary:
		m.Standard = code(method.Standard, 365*24*time.Hour)
		m.Temporary = code(method.Temporary, 4*time.Hour)
	default:
		return
	}
	if err := e.store.CreateMethod(context.Background(), m); err != nil {
		z.t.Fatal(err)
	}
}

// dump returns the whole database as text, as dumpStore does; on SQLite
// through one read-only connection kept for the row, with the table list
// read and each table's SELECT prepared at the first dump (opening a
// connection per dump would double the matrix's running time, and
// preparing the statements again for each dump was most of the rest).
func (z *azEnv) dump() string {
	if onPostgres() {
		return dumpStore(z.t, z.e)
	}
	ctx := context.Background()
	if z.db == nil {
		db, err := sql.Open("sqlite", z.e.dbPath+"?_query_only=on")
		if err != nil {
			z.t.Fatal(err)
		}
		z.t.Cleanup(func() { db.Close() })
		db.SetMaxOpenConns(1) // the statements stay prepared on it
		z.db = db
		rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`)
		if err != nil {
			z.t.Fatal(err)
		}
		tables, err := azScan(rows, false)
		if err != nil {
			z.t.Fatal(err)
		}
		for _, table := range tables {
			stmt, err := db.PrepareContext(ctx, `SELECT * FROM "`+strings.ReplaceAll(table, `"`, `""`)+`"`)
			if err != nil {
				z.t.Fatal(err)
			}
			z.tables = append(z.tables, azTable{table, stmt})
		}
	}
	var sb strings.Builder
	for _, table := range z.tables {
		rows, err := table.stmt.QueryContext(ctx)
		if err != nil {
			z.t.Fatal(err)
		}
		lines, err := azScan(rows, true)
		if err != nil {
			z.t.Fatal(err)
		}
		slices.Sort(lines)
		fmt.Fprintf(&sb, "== %s (%d rows)\n%s", table.name, len(lines), strings.Join(append(lines, ""), "\n"))
	}
	return sb.String()
}

// azTable is a SQLite table and its prepared SELECT *.
type azTable struct {
	name string
	stmt *sql.Stmt
}

// azScan returns each row as dumpRow renders it (rowsToo), or the first
// column's value, and closes rows.
func azScan(rows *sql.Rows, rowsToo bool) ([]string, error) {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		if rowsToo {
			out = append(out, dumpRow(cols, vals))
		} else {
			out = append(out, fmt.Sprint(vals[0]))
		}
	}
	return out, rows.Err()
}

// azDiff lists the lines only in a and only in b.
func azDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []string
	for _, l := range al {
		if !slices.Contains(bl, l) {
			out = append(out, "- "+l)
		}
	}
	for _, l := range bl {
		if !slices.Contains(al, l) {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}
