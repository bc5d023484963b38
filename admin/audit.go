package admin

import (
	"context"
	"log/slog"
	"time"

	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/store"
)

// Directory audit categories (Graph's directoryAudit category).
const (
	CategoryUser        = "UserManagement"
	CategoryGroup       = "GroupManagement"
	CategoryApplication = "ApplicationManagement"
	CategoryRole        = "RoleManagement"
	CategoryPolicy      = "Policy"
)

// Directory audit operation types.
const (
	OpAdd      = "Add"
	OpUpdate   = "Update"
	OpDelete   = "Delete"
	OpAssign   = "Assign"
	OpUnassign = "Unassign"
	OpOther    = "Other" // a refused read on the staff page
)

type clientAddressKey struct{}

// WithClientAddress returns a context that carries the IP address of the
// client making a change: the directory audit entry of a change a user makes
// records it (initiatedBy.user.ipAddress, as in Entra).
func WithClientAddress(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientAddressKey{}, addr)
}

// change is a management change being made, for the directory audit log.
// A read (read set) is recorded only when refused on the staff page.
type change struct {
	category, activity, op string
	targets                []store.AuditTarget
	read                   bool
}

// Refusals on the staff page are recorded at most once a refusalWindow for
// one manager, activity and target, and at most refusalsPerManager times a
// refusalWindow for one manager in all, so that a manager who crafts
// requests in a loop leaves a trace without flooding the audit log. The
// counts are throttle windows of the store (refusalKey), shared by every
// process on it and pruned with the other windows.
const (
	refusalWindow      = time.Minute
	refusalsPerManager = 10
)

// refusalKey is the throttle key counting a manager's audited refusals;
// with an activity and a target, those of that pair only.
func refusalKey(managerID string, more ...string) string {
	k := "staff-refusal:" + managerID
	for _, m := range more {
		k += "|" + m
	}
	return k
}

// recordRefusal reports whether a refusal to p of c is to be recorded
// (the bounds above). When the counts cannot be read, it is.
func (s *Service) recordRefusal(ctx context.Context, p auth.Principal, c *change) bool {
	now, end := s.Time(), s.Time().Add(refusalWindow)
	target := ""
	if len(c.targets) > 0 {
		target = c.targets[0].ID
	}
	n, _, err := s.Store.AddThrottleFailure(ctx, refusalKey(p.ObjectID, c.activity, target), now, end)
	if err == nil && n > 1 {
		return false
	}
	if err == nil {
		n, _, err = s.Store.AddThrottleFailure(ctx, refusalKey(p.ObjectID), now, end)
	}
	if err != nil {
		slog.Warn("cannot count a refusal for the directory audit log", "activity", c.activity, "err", err)
		return true
	}
	return n <= refusalsPerManager
}

// audit records c in the directory audit log when the operation succeeded
// (*errp is nil), with result "success". A change refused to a manager on
// the staff page (a caller through StaffAppID; an apperr.Forbidden error)
// is recorded too, with result "failure": the page lists only the users a
// manager's roles reach, so a refusal there is a crafted request (or an
// attempt on a member who holds an administrator role), and it leaves a
// trace naming the manager (bounded: recordRefusal). A read (c.read) is
// recorded only then, never when it succeeds. Other failures (bad input, a missing
// user, a store error, any refusal through the Graph API, as in Entra)
// record nothing. Call it deferred, at the top of an operation. A
// failure to write the entry is logged, not returned: the change is made.
func (s *Service) audit(ctx context.Context, p auth.Principal, errp *error, c *change) {
	result := "success"
	if *errp != nil {
		if ae, ok := apperr.As(*errp); !ok || ae.Kind != apperr.Forbidden || p.AppID != StaffAppID ||
			!s.recordRefusal(context.WithoutCancel(ctx), p, c) {
			return
		}
		result = "failure"
	} else if c.read {
		return
	}
	e := store.DirectoryAudit{
		ID:             store.NewLogID(s.Time()),
		Time:           s.Time(),
		Category:       c.category,
		Activity:       c.activity,
		OperationType:  c.op,
		InitiatorID:    p.ObjectID,
		InitiatorAppID: p.AppID,
		Targets:        c.targets,
		Result:         result,
	}
	if p.Kind == auth.Delegated {
		e.InitiatorKind, e.InitiatorName = "user", p.UPN
		e.InitiatorAddress, _ = ctx.Value(clientAddressKey{}).(string)
	} else {
		e.InitiatorKind = "app"
		if name, err := s.Store.GetApplicationName(context.WithoutCancel(ctx), p.AppID); err == nil {
			e.InitiatorName = name
		}
	}
	if err := s.Store.AddDirectoryAudit(context.WithoutCancel(ctx), e); err != nil {
		slog.Warn("cannot write a directory audit entry", "activity", c.activity, "err", err)
	}
}

func userTarget(u store.User) []store.AuditTarget {
	if u.ID == "" { // refused before the user was found
		return nil
	}
	return []store.AuditTarget{{ID: u.ID, Type: "User", DisplayName: u.DisplayName, UPN: u.UPN}}
}

func groupTarget(g store.Group) store.AuditTarget {
	return store.AuditTarget{ID: g.ID, Type: "Group", DisplayName: g.DisplayName}
}

func appTarget(a store.Application) []store.AuditTarget {
	return []store.AuditTarget{{ID: a.ID, Type: "Application", DisplayName: a.DisplayName}}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
