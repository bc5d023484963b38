package signin

import (
	"context"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/qrpin/qrpin/store"
)

// client is what a sign-in's HTTP request says of its client, for the
// sign-in log: its User-Agent (capped) and its correlation id.
type client struct {
	userAgent     string
	correlationID string
}

type clientKey struct{}

// WithClient returns r's context carrying what the sign-in log keeps of
// r's client (RecordTo reads it): the User-Agent header, at most
// store.MaxUserAgent bytes of printable ASCII (other bytes dropped), and
// the client-request-id header when it is a GUID, the correlation id
// Entra's sign-in logs show. An anonymous client chooses both, so neither
// is kept beyond those bounds.
func WithClient(r *http.Request) context.Context {
	c := client{userAgent: userAgent(r.Header.Get("User-Agent"))}
	if id, err := uuid.Parse(r.Header.Get("client-request-id")); err == nil && len(r.Header.Get("client-request-id")) == 36 {
		c.correlationID = id.String()
	}
	return context.WithValue(r.Context(), clientKey{}, c)
}

func clientOf(ctx context.Context) client {
	c, _ := ctx.Value(clientKey{}).(client)
	return c
}

// userAgent keeps the printable ASCII of a User-Agent header, up to
// store.MaxUserAgent bytes (the rest is dropped; the header itself is
// bounded by the server's header size limit).
func userAgent(h string) string {
	var b strings.Builder
	for i := 0; i < len(h) && b.Len() < store.MaxUserAgent; i++ {
		if c := h[i]; c >= ' ' && c <= '~' {
			b.WriteByte(c)
		}
	}
	return strings.TrimSpace(b.String())
}
