package issuer_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/issuer"
	"github.com/qrpin/qrpin/store"
)

// failingStore is a store whose application lookups by client id fail
// with err: a database that went away mid-request.
type failingStore struct {
	store.Store
	err error
}

func (s failingStore) GetApplicationByAppID(context.Context, string) (store.Application, error) {
	return store.Application{}, s.err
}

// clientsFunc is an issuer.Clients that answers with a function: the
// token endpoint tested against its contract alone.
type clientsFunc func(ctx context.Context, clientID, secret string) (auth.Principal, error)

func (f clientsFunc) ClientCredentials(ctx context.Context, clientID, secret string) (auth.Principal, error) {
	return f(ctx, clientID, secret)
}

func throttled() error {
	e := apperr.New(apperr.Throttled, "TooManyRequests", "Slow down.")
	e.RetryAfter = 90 * time.Second
	return e
}

// TestTokenErrorsThroughTheTable: an error that is not an OAuth error takes
// its status from the one Kind-to-status table: a transient one is Entra's
// temporarily_unavailable with the error's Retry-After, another
// client-facing one invalid_request with its message.
func TestTokenErrorsThroughTheTable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		err    error
		status int
		code   string
		aadsts int
		retry  string
		text   string
	}{
		{"throttled", throttled(), http.StatusTooManyRequests, "temporarily_unavailable", 90033, "90", "A transient error has occurred."},
		{"invalid", apperr.BadRequest("The thing is wrong."), http.StatusBadRequest, "invalid_request", 9002313, "", "The thing is wrong."},
		{"bug", errors.New("nil map write"), http.StatusInternalServerError, "server_error", 90033, "", "An internal error occurred."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newTokenEnv(t, func(te *issuer.TokenEndpoint) {
				te.Admin = clientsFunc(func(context.Context, string, string) (auth.Principal, error) {
					return auth.Principal{}, tc.err
				})
			})
			r := e.request(e.form())
			e.expectError(r, tc.status, tc.code, tc.aadsts)
			if desc, _ := r.body["error_description"].(string); !strings.Contains(desc, tc.text) || r.header.Get("Retry-After") != tc.retry {
				t.Fatalf("error_description %q, Retry-After %q; want %q, %q", desc, r.header.Get("Retry-After"), tc.text, tc.retry)
			}
			if logged := strings.Contains(e.logs.String(), "internal error"); logged != (tc.status == 500) {
				t.Fatalf("logged as a bug: %v, want %v: %s", logged, tc.status == 500, e.logs.String())
			}
		})
	}
}

// TestTokenStoreFailureUnavailable: a store that cannot answer is Entra's
// transient error, 503 temporarily_unavailable with Retry-After, not a
// logged server_error; so is a request whose context ended meanwhile.
func TestTokenStoreFailureUnavailable(t *testing.T) {
	t.Parallel()
	for name, storeErr := range map[string]error{
		"unreachable":     fmt.Errorf("postgres: %w: dial tcp 127.0.0.1:5432: connection refused", store.ErrUnavailable),
		"request ended":   fmt.Errorf("postgres: %w", context.Canceled),
		"deadline passed": fmt.Errorf("postgres: %w", context.DeadlineExceeded),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newTokenEnv(t, func(te *issuer.TokenEndpoint) {
				cfg := te.Admin.(*admin.Service).Config // the env's service sets up through the store itself
				cfg.Store = failingStore{Store: cfg.Store, err: storeErr}
				te.Admin = &admin.Service{Config: cfg}
			})
			r := e.request(e.form())
			e.expectError(r, http.StatusServiceUnavailable, "temporarily_unavailable", 90033)
			if r.header.Get("Retry-After") != "5" {
				t.Fatalf("Retry-After %q, want 5", r.header.Get("Retry-After"))
			}
			if logs := e.logs.String(); strings.Contains(logs, "internal error") || strings.Contains(logs, "5432") {
				t.Fatalf("a store outage was logged as a bug: %s", logs)
			}
		})
	}
}

// TestTokenAgainstClientsContract drives the endpoint with a fake Clients:
// each credential error of the contract is its Entra invalid_client error,
// and a principal becomes a token with its roles, whoever checked it.
func TestTokenAgainstClientsContract(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		err    error
		aadsts int
	}{
		{"unknown client", admin.ErrUnknownClient, 700016},
		{"invalid secret", admin.ErrInvalidSecret, 7000215},
		{"expired secret", admin.ErrExpiredSecret, 7000222},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newTokenEnv(t, func(te *issuer.TokenEndpoint) {
				te.Admin = clientsFunc(func(context.Context, string, string) (auth.Principal, error) {
					return auth.Principal{}, fmt.Errorf("checking: %w", tc.err)
				})
			})
			e.expectError(e.request(e.form()), http.StatusUnauthorized, "invalid_client", tc.aadsts)
		})
	}
	t.Run("principal", func(t *testing.T) {
		t.Parallel()
		var gotID, gotSecret string
		var e *tokenEnv
		e = newTokenEnv(t, func(te *issuer.TokenEndpoint) {
			te.Admin = clientsFunc(func(_ context.Context, id, secret string) (auth.Principal, error) {
				gotID, gotSecret = id, secret
				return auth.Principal{Kind: auth.Application, ObjectID: e.app.ServicePrincipalID, AppID: e.app.AppID,
					TenantID: tenant, Roles: []string{"User.Read.All"}}, nil
			})
		})
		p := e.expectToken(e.request(e.form()))
		if gotID != e.app.AppID || gotSecret != e.secret {
			t.Fatalf("Clients was asked for %q with another secret, want %q and the form's secret", gotID, e.app.AppID)
		}
		if p.AppID != e.app.AppID || len(p.Roles) != 1 || p.Roles[0] != "User.Read.All" {
			t.Fatalf("token principal %+v, want the one Clients gave", p)
		}
	})
}
