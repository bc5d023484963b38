package admin

import (
	"context"
	"log/slog"

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
)

type clientAddressKey struct{}

// WithClientAddress returns a context that carries the IP address of the
// client making a change: the directory audit entry of a change a user makes
// records it (initiatedBy.user.ipAddress, as in Entra).
func WithClientAddress(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientAddressKey{}, addr)
}

// change is a management change being made, for the directory audit log.
type change struct {
	category, activity, op string
	targets                []store.AuditTarget
}

// audit records c in the directory audit log when the operation succeeded
// (*errp is nil), with result "success". A change refused to a manager on
// the staff page (a caller through StaffAppID; an apperr.Forbidden error)
// is recorded too, with result "failure": the page lists only the users a
// manager's roles reach, so a refusal there is a crafted request (or an
// attempt on a member who holds an administrator role), and it leaves a
// trace naming the manager. Other failures (bad input, a missing
// user, a store error, any refusal through the Graph API, as in Entra)
// record nothing. Call it deferred, at the top of an operation. A
// failure to write the entry is logged, not returned: the change is made.
func (s *Service) audit(ctx context.Context, p auth.Principal, errp *error, c *change) {
	result := "success"
	if *errp != nil {
		if ae, ok := apperr.As(*errp); !ok || ae.Kind != apperr.Forbidden || p.AppID != StaffAppID {
			return
		}
		result = "failure"
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
