package signin

import (
	"context"
	"log/slog"

	"github.com/google/uuid"

	"github.com/qrpin/qrpin/store"
)

// RecordTo returns a Service.Record that writes sign-ins to the store's
// sign-in log: every failed step, and each completed sign-in (a step that
// only leads to the next is not a sign-in), each naming the application
// signed in to: Event.AppID and AppName when set (an authorization
// request's, with its Resource and Flow), else qrpin's own sign-in page. A failure to write is logged
// (without the entry's content) and does not change the sign-in's answer.
// A sign-in the policy refuses (CodeNotInScope: a good badge of a user the
// method is not enabled for) is also logged as a warning naming the user
// and the reason, so that an administrator sees why in the server's log.
func RecordTo(st store.Store, log *slog.Logger) func(context.Context, Event) {
	return func(ctx context.Context, ev Event) {
		if ev.ErrorCode == 0 && !ev.Done {
			return
		}
		if ev.ErrorCode == CodeNotInScope && log != nil {
			log.Warn("sign-in refused: the QR code + PIN method is not enabled for the user",
				"user", ev.UserID, "upn", ev.UPN, "reason", ev.FailureReason)
		}
		appID, appName := AppID, AppName
		if ev.AppID != "" || ev.AppName != "" { // a sign-in for an authorization request
			appID, appName = ev.AppID, ev.AppName
		}
		cl := clientOf(ctx)
		if cl.correlationID == "" {
			cl.correlationID = uuid.NewString()
		}
		e := store.SignInLog{
			ID:            store.NewLogID(ev.Time),
			Created:       ev.Time,
			UserID:        ev.UserID,
			UPN:           ev.UPN,
			AppID:         appID,
			AppName:       appName,
			IPAddress:     ev.IPAddress,
			ErrorCode:     ev.ErrorCode,
			FailureReason: ev.FailureReason,
			Step:          ev.Step,
			Resource:      ev.Resource,
			Flow:          ev.Flow,

			UserDisplayName: ev.UserDisplayName,
			CorrelationID:   cl.correlationID,
			UserAgent:       cl.userAgent,
		}
		if err := st.AddSignInLog(context.WithoutCancel(ctx), e); err != nil && log != nil {
			log.Warn("cannot write a sign-in log entry", "err", err)
		}
	}
}
