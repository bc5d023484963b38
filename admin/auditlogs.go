package admin

import (
	"context"

	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/store"
)

// ListSignInLogs returns up to limit sign-in log entries matching f, newest first.
func (s *Service) ListSignInLogs(ctx context.Context, p auth.Principal, f store.AuditFilter, limit int) ([]store.SignInLog, error) {
	if err := auth.Authorize(p, auth.ReadSignInLogs, auth.Target{}, s.Time()); err != nil {
		return nil, err
	}
	return s.Store.ListSignInLogs(ctx, f, limit)
}

// ListDirectoryAudits returns up to limit directory audit entries matching
// f, newest first.
func (s *Service) ListDirectoryAudits(ctx context.Context, p auth.Principal, f store.AuditFilter, limit int) ([]store.DirectoryAudit, error) {
	if err := auth.Authorize(p, auth.ReadDirectoryAudits, auth.Target{}, s.Time()); err != nil {
		return nil, err
	}
	return s.Store.ListDirectoryAudits(ctx, f, limit)
}
