package graph_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/qrpin/qrpin/store"
)

// failingStore is a store whose user list and application updates fail
// with err: a database that went away mid-request.
type failingStore struct {
	store.Store
	err error
}

func (s failingStore) ListUsers(context.Context, string, int) ([]store.User, error) {
	return nil, s.err
}

func (s failingStore) UpdateApplication(context.Context, string, func(*store.Application) error) (store.Application, error) {
	return store.Application{}, s.err
}

// TestStoreFailureUnavailable: a store that cannot answer, wherever it
// surfaces (a plain read, an update's read-modify-write), is 503
// serviceNotAvailable with Retry-After, never a 500, and is not logged as
// a bug. A request whose context ended meanwhile is answered the same.
func TestStoreFailureUnavailable(t *testing.T) {
	t.Parallel()
	errs := map[string]error{
		"unreachable":     fmt.Errorf("postgres: %w: dial tcp 127.0.0.1:5432: connection refused", store.ErrUnavailable),
		"request ended":   fmt.Errorf("postgres: %w", context.Canceled),
		"deadline passed": fmt.Errorf("postgres: %w", context.DeadlineExceeded),
	}
	for name, storeErr := range errs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnvWith(t, cheapParams, func(st store.Store) store.Store { return failingStore{Store: st, err: storeErr} })
			a := store.Application{ID: uuid.NewString(), AppID: uuid.NewString(), ServicePrincipalID: uuid.NewString(),
				DisplayName: "ci", Created: e.clock.Now()}
			if err := e.store.CreateApplication(t.Context(), a); err != nil {
				t.Fatal(err)
			}
			for _, req := range []struct{ verb, path, token, body string }{
				{"GET", "/v1.0/users", e.admin(), ""},
				{"POST", "/v1.0/applications/" + a.ID + "/addPassword", e.appToken("Application.ReadWrite.All"), `{"passwordCredential": {"displayName": "ci"}}`},
			} {
				r := e.do(req.verb, req.path, req.token, req.body)
				expect(t, r, http.StatusServiceUnavailable, "serviceNotAvailable")
				if msg := r.json(t)["error"].(map[string]any)["message"]; msg != "The service is temporarily unavailable. Please retry later." || r.header.Get("Retry-After") != "5" {
					t.Fatalf("%s %s: message %q, Retry-After %q", req.verb, req.path, msg, r.header.Get("Retry-After"))
				}
			}
			if logs := e.logs.String(); strings.Contains(logs, "internal error") || strings.Contains(logs, "5432") {
				t.Fatalf("a store outage was logged as a bug: %s", logs)
			}
		})
	}
}
