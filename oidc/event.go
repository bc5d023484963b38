package oidc

import (
	"context"
	"log/slog"
	"time"

	"github.com/qrpin/qrpin/store"
)

// Event is a completed authorization, for the sign-in logs: who signed in
// to which application, for which resource, by which flow. It never holds
// a code or token.
type Event struct {
	Time     time.Time
	UserID   string
	UPN      string
	AppID    string // the application's client id
	AppName  string
	Resource string // the resource's display name (Microsoft Graph, or the application)
	Flow     string // "authorizationCode" or "deviceCode"
}

// Flows as sign-in logs name them.
const (
	FlowAuthorizationCode = "authorizationCode"
	FlowDeviceCode        = "deviceCode"
)

func (p *Provider) record(ctx context.Context, ev Event) {
	if p.cfg.Record != nil {
		p.cfg.Record(ctx, ev)
	}
}

// RecordTo returns a Config.Record that writes each completed
// authorization to the store's sign-in log, naming the application, the
// resource and the flow. A failure to write is logged (without the
// entry's content) and does not change the answer.
func RecordTo(st store.Store, log *slog.Logger) func(context.Context, Event) {
	return func(ctx context.Context, ev Event) {
		e := store.SignInLog{
			ID:       store.NewLogID(ev.Time),
			Created:  ev.Time,
			UserID:   ev.UserID,
			UPN:      ev.UPN,
			AppID:    ev.AppID,
			AppName:  ev.AppName,
			Resource: ev.Resource,
			Flow:     ev.Flow,
		}
		if err := st.AddSignInLog(context.WithoutCancel(ctx), e); err != nil && log != nil {
			log.Warn("cannot write a sign-in log entry", "err", err)
		}
	}
}
