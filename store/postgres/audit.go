package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/qrpin/qrpin/store"
)

// AddSignInLog appends a sign-in log entry.
func (s *Store) AddSignInLog(ctx context.Context, e store.SignInLog) error {
	_, err := s.exec(ctx, `INSERT INTO signin_logs
		(id, created, user_id, upn, upn_key, app_id, app_name, ip_address, error_code, failure_reason, step, resource, flow,
		 user_display_name, correlation_id, user_agent)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		e.ID, e.Created, e.UserID, e.UPN, strings.ToLower(e.UPN), e.AppID, e.AppName,
		e.IPAddress, e.ErrorCode, e.FailureReason, e.Step, e.Resource, e.Flow, e.UserDisplayName, e.CorrelationID, e.UserAgent)
	return err
}

// auditWhere builds the WHERE clause of an audit listing; its arguments
// are $1 ... $n.
func auditWhere(f store.AuditFilter, timeCol, userCol, upnCol string) (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, arg any) {
		args = append(args, arg)
		conds = append(conds, fmt.Sprintf(cond, len(args)))
	}
	if !f.From.IsZero() {
		add(timeCol+" >= $%d", f.From)
	}
	if !f.To.IsZero() {
		add(timeCol+" <= $%d", f.To)
	}
	if f.UserID != "" {
		add(userCol+" = $%d", f.UserID)
	}
	if f.UPN != "" {
		add(upnCol+" = $%d", strings.ToLower(f.UPN))
	}
	if f.Before != "" {
		add("id < $%d", f.Before)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// ListSignInLogs lists sign-in log entries, newest first.
func (s *Store) ListSignInLogs(ctx context.Context, f store.AuditFilter, limit int) ([]store.SignInLog, error) {
	if !textOK(f.UserID, f.UPN, f.Before) { // no stored text holds these
		return nil, nil
	}
	where, args := auditWhere(f, "created", "user_id", "upn_key")
	args = append(args, sqlLimit(limit))
	var out []store.SignInLog
	err := s.read(ctx, func(ctx context.Context, q querier) error {
		out = nil
		rows, err := q.Query(ctx, fmt.Sprintf(`SELECT id, created, user_id, upn, app_id, app_name, ip_address, error_code, failure_reason, step, resource, flow,
			user_display_name, correlation_id, user_agent FROM signin_logs%s ORDER BY id DESC LIMIT $%d`, where, len(args)), args...)
		if err != nil {
			return err
		}
		var e store.SignInLog
		_, err = pgx.ForEachRow(rows, []any{&e.ID, &e.Created, &e.UserID, &e.UPN, &e.AppID, &e.AppName, &e.IPAddress,
			&e.ErrorCode, &e.FailureReason, &e.Step, &e.Resource, &e.Flow, &e.UserDisplayName, &e.CorrelationID, &e.UserAgent}, func() error {
			e.Created = e.Created.UTC()
			out = append(out, e)
			return nil
		})
		return err
	})
	return out, err
}

// AddDirectoryAudit appends a directory audit entry.
func (s *Store) AddDirectoryAudit(ctx context.Context, e store.DirectoryAudit) error {
	targets := e.Targets
	if targets == nil {
		targets = []store.AuditTarget{}
	}
	b, err := json.Marshal(targets)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, `INSERT INTO directory_audits
		(id, time, category, activity, operation_type, initiator_kind, initiator_id, initiator_name, initiator_name_key,
		 initiator_app_id, initiator_address, targets, result)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		e.ID, e.Time, e.Category, e.Activity, e.OperationType, e.InitiatorKind, e.InitiatorID,
		e.InitiatorName, strings.ToLower(e.InitiatorName), e.InitiatorAppID, e.InitiatorAddress, string(b), e.Result)
	return err
}

// ListDirectoryAudits lists directory audit entries, newest first.
func (s *Store) ListDirectoryAudits(ctx context.Context, f store.AuditFilter, limit int) ([]store.DirectoryAudit, error) {
	if !textOK(f.UserID, f.UPN, f.Before) { // no stored text holds these
		return nil, nil
	}
	where, args := auditWhere(f, "time", "initiator_id", "initiator_name_key")
	args = append(args, sqlLimit(limit))
	var out []store.DirectoryAudit
	err := s.read(ctx, func(ctx context.Context, q querier) error {
		out = nil
		rows, err := q.Query(ctx, fmt.Sprintf(`SELECT id, time, category, activity, operation_type, initiator_kind, initiator_id,
			initiator_name, initiator_app_id, initiator_address, targets, result
			FROM directory_audits%s ORDER BY id DESC LIMIT $%d`, where, len(args)), args...)
		if err != nil {
			return err
		}
		var e store.DirectoryAudit
		var targets string
		_, err = pgx.ForEachRow(rows, []any{&e.ID, &e.Time, &e.Category, &e.Activity, &e.OperationType, &e.InitiatorKind,
			&e.InitiatorID, &e.InitiatorName, &e.InitiatorAppID, &e.InitiatorAddress, &targets, &e.Result}, func() error {
			e.Time = e.Time.UTC()
			e.Targets = nil
			if err := json.Unmarshal([]byte(targets), &e.Targets); err != nil {
				return err
			}
			out = append(out, e)
			return nil
		})
		return err
	})
	return out, err
}
