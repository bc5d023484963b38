// Package store defines the persistence interface every qrpin backend
// implements, its record types and its errors. store/storetest is the
// conformance suite each backend must pass.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/qrpin/qrpin/method"
)

// Errors every backend returns (wrapped or not; test with errors.Is). They
// are not client-facing: services remap the ones they expect, and each HTTP
// edge classifies the rest (internal/httperr).
var (
	// ErrNotFound: the record named does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict: the write would break a uniqueness rule (a UPN in use, a
	// second method for a user, an existing group member).
	ErrConflict = errors.New("store: conflict")
	// ErrUnavailable: the database cannot be reached right now.
	ErrUnavailable = errors.New("store: unavailable")
)

// User is a directory user.
type User struct {
	ID             string // GUID
	UPN            string // unique, compared case-insensitively
	DisplayName    string
	AccountEnabled bool
	// EmployeeID is Graph's employeeId: the identifier the organization
	// gave the worker ("" for none), at most 16 characters. It is not
	// unique, and compared exactly.
	EmployeeID string
	Created    time.Time
}

// Group is a directory group.
type Group struct {
	ID           string // GUID
	DisplayName  string
	Description  string
	MailNickname string
	Created      time.Time
}

// RoleAssignment gives a principal a directory role (by role template id)
// over the whole tenant, or over one administrative unit.
type RoleAssignment struct {
	ID               string
	PrincipalID      string
	RoleDefinitionID string
	// UnitID is the administrative unit the role is scoped to (Graph's
	// directoryScopeId "/administrativeUnits/{UnitID}"); "" for the whole
	// tenant (directoryScopeId "/").
	UnitID string
}

// AdministrativeUnit is a directory administrative unit: a set of users and
// groups that role assignments can be scoped to.
type AdministrativeUnit struct {
	ID          string // GUID
	DisplayName string
	Description string
	// Visibility is Graph's visibility: "" (public membership) or
	// "HiddenMembership".
	Visibility string
	Created    time.Time
}

// UnitMember is one member of an administrative unit: exactly one of User
// and Group is set.
type UnitMember struct {
	User  *User
	Group *Group
}

// ID returns the member's object id.
func (m UnitMember) ID() string {
	if m.User != nil {
		return m.User.ID
	}
	if m.Group != nil {
		return m.Group.ID
	}
	return ""
}

// UserSearch selects users for SearchUsers.
type UserSearch struct {
	// Prefix matches users whose displayName or userPrincipalName begins
	// with it (ASCII letters compared case-insensitively) or whose
	// employeeId begins with it (compared exactly). "" matches everyone.
	Prefix string
	// Scoped limits the search to direct members of UnitIDs (nobody when
	// UnitIDs is empty); unscoped searches every user.
	Scoped  bool
	UnitIDs []string
}

// Application is a registered client application: Graph's application
// object and its service principal in one record.
type Application struct {
	ID                 string // the application object id (GUID)
	AppID              string // the client id (GUID), unique
	ServicePrincipalID string // the service principal's object id (GUID), unique
	DisplayName        string
	Created            time.Time
	Passwords          []Password // client secrets, ordered by KeyID; nil when none
	Grants             []Grant    // application permissions granted to it, ordered by ID; nil when none
	SignIn             AppSignIn  // how the application signs users in through the OpenID provider
}

// AppSignIn is an application's OpenID Connect registration, as Graph's
// application shows it: web (a confidential client, with a client
// secret), spa and publicClient (public clients, PKCE required) redirect
// URIs, and isFallbackPublicClient. The zero AppSignIn signs no user in.
type AppSignIn struct {
	WebRedirectURIs    []string // web.redirectUris, in the order given
	WebLogoutURL       string   // web.logoutUrl: where a sign-out is sent (front channel); "" for none
	SPARedirectURIs    []string // spa.redirectUris
	PublicRedirectURIs []string // publicClient.redirectUris (native and mobile apps)
	// FallbackPublicClient is isFallbackPublicClient: the application may
	// use public client flows without a redirect URI, the device code flow
	// (off by default, as Microsoft advises).
	FallbackPublicClient bool
	// BackchannelLogoutURL is where the OpenID provider POSTs a
	// logout_token (OpenID Connect Back-Channel Logout 1.0) when a single
	// sign-on session that signed a user in to the application ends; ""
	// for none. qrpin's own property: Graph's application has none.
	BackchannelLogoutURL string
}

// Password is a client secret of an application. Only a verifier of the
// secret is kept.
type Password struct {
	KeyID       string // GUID
	DisplayName string
	Hint        string // the secret's first characters, as Entra shows them
	Verifier    []byte
	Start       time.Time
	End         time.Time
}

// Grant is an app role assignment: one application permission (an app role
// of a resource such as Microsoft Graph) granted to an application.
type Grant struct {
	ID         string // GUID
	AppRoleID  string // the permission's app role id
	ResourceID string // the resource's service principal id
	Created    time.Time
}

// SignIn is a sign-in transaction in progress: a QR code was accepted and
// the next step (Stage) is awaited. It is short-lived and single-use. The
// handle the client holds is never stored: ID is a hash of it.
type SignIn struct {
	ID     string // a hash of the client's handle
	UserID string
	CodeID string // the QR code presented
	Stage  string // what comes next: "pin" or "newPin"
	PINRef string // a fingerprint of the PIN hash checked ("" before the PIN)
	// AuthRequest is the OpenID provider's authorization request the user
	// signs in for ("" for a sign-in to qrpin itself): an id of at most
	// 128 characters of [A-Za-z0-9_-].
	AuthRequest string
	Created     time.Time
	Expires     time.Time
}

// SignInLog is one sign-in attempt (a step that failed, or the sign-in
// that completed), as Graph's signIn resource shows it. It never holds a
// PIN, a QR code's content or a transaction handle.
type SignInLog struct {
	ID            string // time-ordered: a later entry has a greater id
	Created       time.Time
	UserID        string // "" when the QR code named no known user
	UPN           string
	AppID         string
	AppName       string
	IPAddress     string
	ErrorCode     int // 0: success
	FailureReason string
	Step          string // the step attempted ("qrCode", "pin", "newPin")
	Resource      string // resourceDisplayName: the resource an application signed in for ("" for qrpin's own sign-in page: Microsoft Graph)
	Flow          string // the OpenID provider's flow ("authorizationCode", "deviceCode"); "" for qrpin's own sign-in page
	// UserDisplayName is the user's displayName at the time ("" when no user is known).
	UserDisplayName string
	// CorrelationID ties the entry to the client's request (its
	// client-request-id, or one of qrpin's own): a GUID, or "".
	CorrelationID string
	// UserAgent is the client's User-Agent header, at most
	// MaxUserAgent bytes of printable ASCII ("" when none was sent).
	UserAgent string
}

// MaxUserAgent bounds the User-Agent a sign-in log entry keeps: an
// anonymous client chooses it.
const MaxUserAgent = 512

// AuthRequest is an OpenID Connect authorization request waiting for, or
// done with, its sign-in: the authorization code flow's (Flow "code") or
// the device code flow's (Flow "device"). It is short-lived. Secrets are
// kept only as hashes: the authorization code as CodeHash, the device
// code as the ID of a device request. Once its code is exchanged it stays
// as a tombstone (Redeemed) until Expires, so that a replayed code is
// recognised.
type AuthRequest struct {
	ID       string // random (code flow) or a hash of the device code (device flow)
	Flow     string // "code" or "device"
	ClientID string // the application's appId
	// AppName and Resource are the application's displayName and the
	// display name of the resource its scopes ask for, as they were when
	// the request was made: what the sign-in page and its log show.
	AppName, Resource string
	RedirectURI       string // as requested and matched ("" in the device flow)
	Scopes            []string
	State             string
	Nonce             string
	ResponseMode      string
	CodeChallenge     string // PKCE S256 challenge; "" when none
	LoginHint         string // the UPN the request names; "" when none
	UserID            string // who signed in; "" until then
	AuthTime          time.Time
	CodeHash          string // SHA-256 of the authorization code issued (hex); "" until issued
	SessionID         string // the single sign-on session (SSOSession.ID) the sign-in began or reused; "" for none
	UserCode          string // device flow: the code the worker types; "" otherwise
	Redeemed          bool   // its code or device code was exchanged for tokens
	Created           time.Time
	Expires           time.Time
}

// RefreshToken is one refresh token of a family: the chain of tokens that
// one sign-in began, each use replacing the token by a new one (rotation).
// Only a hash of the token is kept (ID).
type RefreshToken struct {
	ID            string // SHA-256 of the token (hex)
	FamilyID      string // the authorization request that began the family
	ClientID      string
	UserID        string
	Scopes        []string
	AuthTime      time.Time
	FamilyCreated time.Time // when the family began
	Created       time.Time
	IdleExpires   time.Time // unused until then, it expires
	Expires       time.Time // the family's absolute expiry
	Confidential  bool      // issued to a confidential client (web platform): refreshing needs its secret
	Rotated       bool      // it was used and replaced by a newer token
	SessionID     string    // the single sign-on session of the sign-in (SSOSession.ID); "" for none
}

// SSOSession is the OpenID provider's optional single sign-on session: a
// browser that signed a user in, and may sign them in again without the
// badge until Expires. The handle in the browser's cookie is never
// stored: ID is its SHA-256 (hex).
type SSOSession struct {
	ID       string // SHA-256 of the cookie's handle (hex)
	UserID   string
	AuthTime time.Time // when the user signed in with badge and PIN
	Created  time.Time
	Expires  time.Time
	// ClientIDs are the applications (appIds) the session signed the user
	// in to, in the order first served, each once: the ones back-channel
	// logout notifies.
	ClientIDs []string
}

// StaffSession is a manager's session on the staff page (package staff):
// a browser signed in through the OpenID provider. The handle in the
// browser's cookie is never stored: ID is its SHA-256 (hex).
type StaffSession struct {
	ID       string // SHA-256 of the cookie's handle (hex)
	UserID   string
	AuthTime time.Time // when the manager last signed in with badge and PIN
	Created  time.Time
	LastSeen time.Time // the last request the session served (the idle timeout runs from it)
	Expires  time.Time // the absolute end, whatever the use
}

// DirectoryAudit is one management change, as Graph's directoryAudit
// resource shows it.
type DirectoryAudit struct {
	ID               string // time-ordered: a later entry has a greater id
	Time             time.Time
	Category         string // UserManagement, GroupManagement, ApplicationManagement, RoleManagement, Policy
	Activity         string // activityDisplayName, such as "Reset QR code PIN"
	OperationType    string // Add, Update, Delete, Assign, Unassign
	InitiatorKind    string // "user" or "app"
	InitiatorID      string // the user's id or the application's service principal id
	InitiatorName    string // the user's UPN, or the application's display name
	InitiatorAppID   string // the client id of the application used
	InitiatorAddress string
	Targets          []AuditTarget
	Result           string // "success"
}

// AuditTarget is one targetResource of a directory audit.
type AuditTarget struct {
	ID          string `json:"id"`
	Type        string `json:"type"` // User, Group, Application, ServicePrincipal, Policy, Role
	DisplayName string `json:"displayName,omitempty"`
	UPN         string `json:"userPrincipalName,omitempty"`
}

// Counts are how many users, groups and QR code + PIN methods a store
// holds (Graph's $count, the registration reports).
type Counts struct {
	Users, Groups, Methods int
}

// AuditFilter selects log entries; zero fields select everything. Before
// pages: only entries with an id less than it (the last id of the
// previous page). Entries come newest first.
type AuditFilter struct {
	From, To time.Time // inclusive bounds on the entry's time
	UserID   string    // sign-ins: the user; directory audits: the initiating user
	UPN      string    // likewise, compared case-insensitively
	Before   string
}

// Store is what qrpin keeps. Every method is safe for concurrent use, and
// every read-modify-write (the Update* methods) runs in one transaction, so
// rules checked inside fn hold under concurrency and across processes.
// Update functions may be called more than once (on retry) and must not
// have side effects outside the value they are given; changes they make to
// a record's ids are ignored, and an error they return is returned
// unchanged with nothing written.
//
// Common rules: Get*, Update* and Delete* of a missing record return
// ErrNotFound (DeletePolicy excepted); creating a record with an id in use
// (user, group, assignment, method, QR code: QR code ids are unique across
// users) returns ErrConflict and writes nothing; "ordered by ID" is byte
// order; a limit of 0 or less means no limit. A QR code's Kind is the slot
// (Standard or Temporary) it is stored in.
type Store interface {
	// Setting returns the value stored under key, storing value first if
	// the key is not set yet (so every process agrees on the first value).
	Setting(ctx context.Context, key, value string) (string, error)
	// ListSettings returns every stored setting, by key (to copy a store).
	ListSettings(ctx context.Context) (map[string]string, error)

	CreateUser(ctx context.Context, u User) error // ErrConflict on a UPN in use
	GetUser(ctx context.Context, id string) (User, error)
	GetUserByUPN(ctx context.Context, upn string) (User, error)
	// ListUsers returns up to limit users with ID > after, ordered by ID.
	ListUsers(ctx context.Context, after string, limit int) ([]User, error)
	// ListUsersByEmployeeID returns up to limit users whose EmployeeID is
	// employeeID (compared exactly) with ID > after, ordered by ID. An
	// empty employeeID finds nobody.
	ListUsersByEmployeeID(ctx context.Context, employeeID, after string, limit int) ([]User, error)
	// UpdateUser applies fn to the stored user in one transaction.
	// ErrConflict when the new UPN is in use.
	UpdateUser(ctx context.Context, id string, fn func(*User) error) (User, error)
	// DeleteUser deletes the user, their method, group memberships and role
	// assignments.
	DeleteUser(ctx context.Context, id string) error

	CreateGroup(ctx context.Context, g Group) error
	GetGroup(ctx context.Context, id string) (Group, error)
	// ListGroups returns up to limit groups with ID > after, ordered by ID.
	ListGroups(ctx context.Context, after string, limit int) ([]Group, error)
	DeleteGroup(ctx context.Context, id string) error // and its memberships
	// AddGroupMember: ErrNotFound when the group or user is missing,
	// ErrConflict when the user is already a member.
	AddGroupMember(ctx context.Context, groupID, userID string) error
	RemoveGroupMember(ctx context.Context, groupID, userID string) error // ErrNotFound when not a member
	// ListGroupMembers returns up to limit members with ID > after, ordered
	// by ID; ErrNotFound when the group is missing.
	ListGroupMembers(ctx context.Context, groupID, after string, limit int) ([]User, error)
	// Count returns the store's Counts, read in one snapshot.
	Count(ctx context.Context) (Counts, error)
	// CountGroupMembers returns how many members a group has; ErrNotFound
	// when the group is missing.
	CountGroupMembers(ctx context.Context, groupID string) (int, error)
	// UserGroupIDs returns the ids of the user's groups, sorted;
	// ErrNotFound when the user is missing.
	UserGroupIDs(ctx context.Context, userID string) ([]string, error)

	// SearchUsers returns up to limit users that q selects with ID > after,
	// ordered by ID.
	SearchUsers(ctx context.Context, q UserSearch, after string, limit int) ([]User, error)

	// CreateRoleAssignment: ErrConflict when the id is in use by any
	// assignment, tenant-wide or scoped (one id space), or the same
	// principal already holds the same role over the same scope (UnitID).
	// A scoped assignment is a user's (PrincipalID a user's id) and is
	// stored only while its unit and its user exist, checked in the
	// insert's transaction (ErrNotFound when either is missing), so a
	// concurrent DeleteUnit or DeleteUser never leaves one behind. Scoped
	// assignments are kept apart from tenant-wide ones, where a qrpin built
	// before units (which would read them as tenant-wide) does not look.
	CreateRoleAssignment(ctx context.Context, a RoleAssignment) error
	// ListRoleAssignments lists a principal's assignments ("" lists all).
	ListRoleAssignments(ctx context.Context, principalID string) ([]RoleAssignment, error)
	DeleteRoleAssignment(ctx context.Context, id string) error

	// CreateUnit stores a new administrative unit (ErrConflict when its id
	// is in use).
	CreateUnit(ctx context.Context, u AdministrativeUnit) error
	GetUnit(ctx context.Context, id string) (AdministrativeUnit, error)
	// ListUnits returns up to limit units with ID > after, ordered by ID.
	ListUnits(ctx context.Context, after string, limit int) ([]AdministrativeUnit, error)
	// UpdateUnit applies fn to the stored unit in one transaction; fn
	// cannot change ID.
	UpdateUnit(ctx context.Context, id string, fn func(*AdministrativeUnit) error) (AdministrativeUnit, error)
	// DeleteUnit deletes the unit, its memberships and the role assignments
	// scoped to it.
	DeleteUnit(ctx context.Context, id string) error
	// AddUnitMember adds the user or group with id memberID to the unit:
	// ErrNotFound when the unit or the member is missing, ErrConflict when
	// it is a member already.
	AddUnitMember(ctx context.Context, unitID, memberID string) error
	// RemoveUnitMember: ErrNotFound when memberID is not a member.
	RemoveUnitMember(ctx context.Context, unitID, memberID string) error
	// ListUnitMembers returns up to limit members (users and groups) with
	// ID > after, ordered by ID; ErrNotFound when the unit is missing.
	ListUnitMembers(ctx context.Context, unitID, after string, limit int) ([]UnitMember, error)
	// UserUnitIDs returns the ids of the units the user is a direct member
	// of, sorted (a unit holding one of the user's groups is not one of
	// them); none for a missing user. Deleting a user or a group removes its
	// memberships.
	UserUnitIDs(ctx context.Context, userID string) ([]string, error)

	// CreateMethod stores a new method for m.UserID: ErrNotFound when the
	// user is missing, ErrConflict when the user has a method.
	CreateMethod(ctx context.Context, m method.Method) error
	GetMethod(ctx context.Context, userID string) (method.Method, error)
	// GetUserWithMethod returns the user with that id and their method, in
	// one read: ErrNotFound when there is no such user or the user has no
	// method (GetUser tells which).
	GetUserWithMethod(ctx context.Context, userID string) (User, method.Method, error)
	// GetMethodByCode finds the method holding the QR code with that id.
	GetMethodByCode(ctx context.Context, codeID string) (method.Method, error)
	// UpdateMethod applies fn to the user's method in one transaction.
	UpdateMethod(ctx context.Context, userID string, fn func(*method.Method) error) (method.Method, error)
	DeleteMethod(ctx context.Context, userID string) error

	// CreateApplication stores a new application with its passwords and
	// grants: ErrConflict when its id, appId or service principal id is in
	// use, a grant id is in use, or two passwords share a KeyID or two grants
	// the same AppRoleID and ResourceID.
	CreateApplication(ctx context.Context, a Application) error
	GetApplication(ctx context.Context, id string) (Application, error)
	GetApplicationByAppID(ctx context.Context, appID string) (Application, error)
	GetApplicationByServicePrincipal(ctx context.Context, servicePrincipalID string) (Application, error)
	// GetAppIDByServicePrincipal returns the client id (appId) of the
	// application whose service principal has that object id: one indexed
	// read of the applications row alone, what checking an application's
	// access token needs on every request.
	GetAppIDByServicePrincipal(ctx context.Context, servicePrincipalID string) (string, error)
	// GetApplicationName returns the display name of the application with
	// that client id: one indexed read of the applications row alone, what
	// a directory audit entry names an application caller by.
	GetApplicationName(ctx context.Context, appID string) (string, error)
	// ListApplications returns up to limit applications with ID > after, ordered by ID.
	ListApplications(ctx context.Context, after string, limit int) ([]Application, error)
	// UpdateApplication applies fn to the stored application (passwords and
	// grants included) in one transaction; fn cannot change ID, AppID or
	// ServicePrincipalID. ErrConflict on the uniqueness rules of
	// CreateApplication.
	UpdateApplication(ctx context.Context, id string, fn func(*Application) error) (Application, error)
	// DeleteApplication deletes the application, its passwords and grants,
	// and the role assignments of its service principal.
	DeleteApplication(ctx context.Context, id string) error

	// GetPolicy returns the tenant policy (method.DefaultPolicy until set).
	GetPolicy(ctx context.Context) (method.Policy, error)
	UpdatePolicy(ctx context.Context, fn func(*method.Policy) error) (method.Policy, error)
	DeletePolicy(ctx context.Context) error // back to method.DefaultPolicy

	// CreateSignIn stores a sign-in transaction (ErrConflict when its id is
	// in use, ErrNotFound when its user is missing) and deletes the ones
	// expired at its Created time.
	CreateSignIn(ctx context.Context, si SignIn) error
	// TakeSignIn deletes the sign-in transaction with that id and returns
	// it, in one step, so that exactly one caller gets it: ErrNotFound when
	// it is missing, already taken, or expired at now (Expires <= now).
	// Deleting a user deletes their transactions.
	TakeSignIn(ctx context.Context, id string, now time.Time) (SignIn, error)

	// CreateAuthRequest stores an authorization request (ErrConflict when
	// its id, code hash or user code is in use) and deletes the ones
	// expired at its Created time.
	CreateAuthRequest(ctx context.Context, r AuthRequest) error
	// GetAuthRequest, GetAuthRequestByCode (by CodeHash) and
	// GetAuthRequestByUserCode return a stored request, expired or not
	// (the caller compares Expires with its clock); ErrNotFound when none
	// is stored. An empty code hash or user code finds nothing.
	GetAuthRequest(ctx context.Context, id string) (AuthRequest, error)
	GetAuthRequestByCode(ctx context.Context, codeHash string) (AuthRequest, error)
	GetAuthRequestByUserCode(ctx context.Context, userCode string) (AuthRequest, error)
	// UpdateAuthRequest applies fn to the stored request in one
	// transaction; fn cannot change ID. ErrConflict when the new code hash
	// or user code is in use.
	UpdateAuthRequest(ctx context.Context, id string, fn func(*AuthRequest) error) (AuthRequest, error)
	// RedeemAuthRequest marks the request id redeemed and, when rt is not
	// nil, stores the refresh token its exchange issues (deleting the ones
	// expired at rt.Created, as CreateRefreshToken does), in one
	// transaction, so that exactly one exchange redeems a request and no
	// exchange that lost can see the winner's family before it is stored:
	// ErrNotFound when id is missing, ErrConflict when it was redeemed
	// already or rt's id is in use (nothing written then).
	RedeemAuthRequest(ctx context.Context, id string, rt *RefreshToken) error

	// CreateRefreshToken stores a refresh token (ErrConflict when its id is
	// in use) and deletes the ones expired (absolutely or idle) at its
	// Created time.
	CreateRefreshToken(ctx context.Context, t RefreshToken) error
	// GetRefreshToken returns a stored refresh token, expired, rotated or
	// not; ErrNotFound when none is stored.
	GetRefreshToken(ctx context.Context, id string) (RefreshToken, error)
	// RotateRefreshToken marks the token id rotated and stores next, in one
	// transaction, so that exactly one caller rotates a token: ErrNotFound
	// when id is missing, ErrConflict when it was rotated already or
	// next's id is in use (nothing written then).
	RotateRefreshToken(ctx context.Context, id string, next RefreshToken) error
	// DeleteRefreshFamily deletes every refresh token of the family.
	DeleteRefreshFamily(ctx context.Context, familyID string) error
	// PruneOIDC deletes the authorization requests (device requests
	// included), the refresh tokens and the single sign-on sessions expired
	// at now (Expires <= now; a refresh token's IdleExpires too), in
	// statements of at most batch rows
	// each as PruneLogs does, and returns how many it deleted.
	PruneOIDC(ctx context.Context, now time.Time, batch int) (int, error)

	// CreateSSOSession stores a single sign-on session (ErrConflict when
	// its id is in use) and deletes the ones expired at its Created time.
	CreateSSOSession(ctx context.Context, s SSOSession) error
	// GetSSOSession returns a stored session, expired or not; ErrNotFound
	// when none is stored.
	GetSSOSession(ctx context.Context, id string) (SSOSession, error)
	// UpdateSSOSession applies fn to the stored session in one
	// transaction; fn cannot change ID.
	UpdateSSOSession(ctx context.Context, id string, fn func(*SSOSession) error) (SSOSession, error)
	// TakeSSOSession deletes the session with that id and returns it, in
	// one step, so that exactly one caller gets it (expired or not):
	// ErrNotFound when it is missing or already taken.
	TakeSSOSession(ctx context.Context, id string) (SSOSession, error)

	// CreateStaffSession stores a staff page session (ErrConflict when its
	// id is in use) and deletes the ones expired at its Created time.
	CreateStaffSession(ctx context.Context, s StaffSession) error
	// UpdateStaffSession applies fn to the stored session in one
	// transaction (ErrNotFound when none is stored; fn's error is returned
	// and nothing changed); fn cannot change ID.
	UpdateStaffSession(ctx context.Context, id string, fn func(*StaffSession) error) (StaffSession, error)
	// DeleteStaffSession deletes the session with that id; deleting one
	// that is not stored is no error.
	DeleteStaffSession(ctx context.Context, id string) error
	// PruneStaffSessions deletes the staff page sessions expired at now
	// (Expires <= now), in statements of at most batch rows each as
	// PruneLogs does, and returns how many it deleted.
	PruneStaffSessions(ctx context.Context, now time.Time, batch int) (int, error)

	// AddSignInLog and AddDirectoryAudit append a log entry (ErrConflict
	// when its id is in use); the List methods return up to limit entries
	// that match f, newest (greatest id) first.
	AddSignInLog(ctx context.Context, e SignInLog) error
	ListSignInLogs(ctx context.Context, f AuditFilter, limit int) ([]SignInLog, error)
	AddDirectoryAudit(ctx context.Context, e DirectoryAudit) error
	ListDirectoryAudits(ctx context.Context, f AuditFilter, limit int) ([]DirectoryAudit, error)
	// PruneLogs deletes the sign-in log entries and directory audits older
	// than before (Created or Time < before), in statements of at most
	// batch rows each (one statement when batch <= 0), so that no statement
	// holds a long lock, and returns how many it deleted.
	PruneLogs(ctx context.Context, before time.Time, batch int) (int, error)

	// Throttle windows count failures per key (a client address's bucket),
	// one row per key: a window opens at a key's first failure and is open
	// until its end. ThrottleFailures returns the failures of key's window
	// open at now (end > now) and its end; 0 and the zero time when none is.
	ThrottleFailures(ctx context.Context, key string, now time.Time) (int, time.Time, error)
	// AddThrottleFailure counts one failure of key at now, atomically: in
	// key's window open at now, or else in a new window that ends at end.
	// It returns the window's failures, this one included, and its end.
	AddThrottleFailure(ctx context.Context, key string, now, end time.Time) (int, time.Time, error)
	// PruneThrottle deletes the windows ended at now (end <= now), in
	// statements of at most batch rows each as PruneLogs does, and returns
	// how many it deleted.
	PruneThrottle(ctx context.Context, now time.Time, batch int) (int, error)

	Close() error
}

// Schema is what every backend also implements, for readiness checks: the
// migration version its database is at, and the version its embedded
// migrations bring a database to. They differ when another process (a newer
// qrpin) migrated the database further, or a migration is missing.
type Schema interface {
	SchemaVersion(ctx context.Context) (current, want int64, err error)
}
