package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"

	"github.com/qrpin/qrpin/store"
)

// AddSignInLog appends a sign-in log entry.
func (s *Store) AddSignInLog(ctx context.Context, e store.SignInLog) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO signin_logs
		(id, created, user_id, upn, upn_key, app_id, app_name, ip_address, error_code, failure_reason, step, resource, flow,
		 user_display_name, correlation_id, user_agent)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.Created.UnixMicro(), e.UserID, e.UPN, strings.ToLower(e.UPN), e.AppID, e.AppName,
		e.IPAddress, e.ErrorCode, e.FailureReason, e.Step, e.Resource, e.Flow, e.UserDisplayName, e.CorrelationID, e.UserAgent)
	return dbErr(err)
}

// auditWhere builds the WHERE clause of an audit listing.
func auditWhere(f store.AuditFilter, timeCol, userCol, upnCol string) (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, arg any) {
		conds = append(conds, cond)
		args = append(args, arg)
	}
	if !f.From.IsZero() {
		add(timeCol+" >= ?", f.From.UnixMicro())
	}
	if !f.To.IsZero() {
		add(timeCol+" <= ?", f.To.UnixMicro())
	}
	if f.UserID != "" {
		add(userCol+" = ?", f.UserID)
	}
	if f.UPN != "" {
		add(upnCol+" = ?", strings.ToLower(f.UPN))
	}
	if f.Before != "" {
		add("id < ?", f.Before)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// ListSignInLogs lists sign-in log entries, newest first.
func (s *Store) ListSignInLogs(ctx context.Context, f store.AuditFilter, limit int) ([]store.SignInLog, error) {
	where, args := auditWhere(f, "created", "user_id", "upn_key")
	var out []store.SignInLog
	err := s.read(ctx, func(tx querier) error {
		out = nil
		rows, err := tx.QueryContext(ctx, `SELECT id, created, user_id, upn, app_id, app_name, ip_address, error_code, failure_reason, step, resource, flow,
			user_display_name, correlation_id, user_agent FROM signin_logs`+where+` ORDER BY id DESC LIMIT ?`, append(args, sqlLimit(limit))...)
		if err != nil {
			return dbErr(err)
		}
		defer rows.Close()
		for rows.Next() {
			var e store.SignInLog
			var created sql.NullInt64
			if err := rows.Scan(&e.ID, &created, &e.UserID, &e.UPN, &e.AppID, &e.AppName, &e.IPAddress,
				&e.ErrorCode, &e.FailureReason, &e.Step, &e.Resource, &e.Flow, &e.UserDisplayName, &e.CorrelationID, &e.UserAgent); err != nil {
				return dbErr(err)
			}
			e.Created = fromMicros(created)
			out = append(out, e)
		}
		return dbErr(rows.Err())
	})
	return out, err
}

// AddDirectoryAudit appends a directory audit entry.
func (s *Store) AddDirectoryAudit(ctx context.Context, e store.DirectoryAudit) error {
	targets, err := json.Marshal(nonNil(e.Targets))
	if err != nil {
		return err
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO directory_audits
		(id, time, category, activity, operation_type, initiator_kind, initiator_id, initiator_name, initiator_name_key,
		 initiator_app_id, initiator_address, targets, result)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.Time.UnixMicro(), e.Category, e.Activity, e.OperationType, e.InitiatorKind, e.InitiatorID,
		e.InitiatorName, strings.ToLower(e.InitiatorName), e.InitiatorAppID, e.InitiatorAddress, string(targets), e.Result)
	return dbErr(err)
}

func nonNil(ts []store.AuditTarget) []store.AuditTarget {
	if ts == nil {
		return []store.AuditTarget{}
	}
	return ts
}

// ListDirectoryAudits lists directory audit entries, newest first.
func (s *Store) ListDirectoryAudits(ctx context.Context, f store.AuditFilter, limit int) ([]store.DirectoryAudit, error) {
	where, args := auditWhere(f, "time", "initiator_id", "initiator_name_key")
	var out []store.DirectoryAudit
	err := s.read(ctx, func(tx querier) error {
		out = nil
		rows, err := tx.QueryContext(ctx, `SELECT id, time, category, activity, operation_type, initiator_kind, initiator_id,
			initiator_name, initiator_app_id, initiator_address, targets, result
			FROM directory_audits`+where+` ORDER BY id DESC LIMIT ?`, append(args, sqlLimit(limit))...)
		if err != nil {
			return dbErr(err)
		}
		defer rows.Close()
		for rows.Next() {
			var e store.DirectoryAudit
			var t sql.NullInt64
			var targets string
			if err := rows.Scan(&e.ID, &t, &e.Category, &e.Activity, &e.OperationType, &e.InitiatorKind, &e.InitiatorID,
				&e.InitiatorName, &e.InitiatorAppID, &e.InitiatorAddress, &targets, &e.Result); err != nil {
				return dbErr(err)
			}
			e.Time = fromMicros(t)
			if err := json.Unmarshal([]byte(targets), &e.Targets); err != nil {
				return err
			}
			out = append(out, e)
		}
		return dbErr(rows.Err())
	})
	return out, err
}
