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

// Errors every backend returns (wrapped or not; test with errors.Is).
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
	Created        time.Time
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
// over the whole tenant.
type RoleAssignment struct {
	ID               string
	PrincipalID      string
	RoleDefinitionID string
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

	CreateUser(ctx context.Context, u User) error // ErrConflict on a UPN in use
	GetUser(ctx context.Context, id string) (User, error)
	GetUserByUPN(ctx context.Context, upn string) (User, error)
	// ListUsers returns up to limit users with ID > after, ordered by ID.
	ListUsers(ctx context.Context, after string, limit int) ([]User, error)
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
	// UserGroupIDs returns the ids of the user's groups, sorted;
	// ErrNotFound when the user is missing.
	UserGroupIDs(ctx context.Context, userID string) ([]string, error)

	// CreateRoleAssignment: ErrConflict when the same principal already
	// holds the same role.
	CreateRoleAssignment(ctx context.Context, a RoleAssignment) error
	// ListRoleAssignments lists a principal's assignments ("" lists all).
	ListRoleAssignments(ctx context.Context, principalID string) ([]RoleAssignment, error)
	DeleteRoleAssignment(ctx context.Context, id string) error

	// CreateMethod stores a new method for m.UserID: ErrNotFound when the
	// user is missing, ErrConflict when the user has a method.
	CreateMethod(ctx context.Context, m method.Method) error
	GetMethod(ctx context.Context, userID string) (method.Method, error)
	// GetMethodByCode finds the method holding the QR code with that id.
	GetMethodByCode(ctx context.Context, codeID string) (method.Method, error)
	// UpdateMethod applies fn to the user's method in one transaction.
	UpdateMethod(ctx context.Context, userID string, fn func(*method.Method) error) (method.Method, error)
	DeleteMethod(ctx context.Context, userID string) error

	// GetPolicy returns the tenant policy (method.DefaultPolicy until set).
	GetPolicy(ctx context.Context) (method.Policy, error)
	UpdatePolicy(ctx context.Context, fn func(*method.Policy) error) (method.Policy, error)
	DeletePolicy(ctx context.Context) error // back to method.DefaultPolicy

	Close() error
}
