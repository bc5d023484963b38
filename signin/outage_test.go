package signin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/internal/syncbuf"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
)

// failingStore is a store whose throttle reads and method lookups by code
// fail with err: a database that went away mid-request, seen from the two
// sides of a sign-in (the throttle, the service).
type failingStore struct {
	store.Store
	err error
}

func (s failingStore) ThrottleFailures(context.Context, string, time.Time) (int, time.Time, error) {
	return 0, time.Time{}, s.err
}

func (s failingStore) GetMethodByCode(context.Context, string) (method.Method, error) {
	return method.Method{}, s.err
}

// TestStoreFailureIsUnavailable: a store that cannot answer, wherever it
// surfaces in a sign-in, is 503 serviceNotAvailable with Retry-After, never
// a 500, and is not logged as a bug.
func TestStoreFailureIsUnavailable(t *testing.T) {
	t.Parallel()
	errs := map[string]error{
		"unreachable":     fmt.Errorf("postgres: %w: dial tcp 127.0.0.1:5432: connection refused", store.ErrUnavailable),
		"request ended":   fmt.Errorf("postgres: %w", context.Canceled),
		"deadline passed": fmt.Errorf("postgres: %w", context.DeadlineExceeded),
	}
	for name, storeErr := range errs {
		for _, tc := range []struct {
			where   string
			payload func(b badge) string
		}{
			{"throttle", func(badge) string { return "not a badge" }}, // a bad code consults the throttle
			{"service", func(b badge) string { return b.payload }},    // a good code looks up its method
		} {
			t.Run(name+"/"+tc.where, func(t *testing.T) {
				t.Parallel()
				e := newEnv(t)
				b := e.addUser("ann@contoso.com", "483920")
				e.svc.Throttle = Throttle{Limit: 5}
				e.svc.Store = failingStore{Store: e.st, err: storeErr}
				logs := &syncbuf.Buffer{}
				mux := http.NewServeMux()
				(&Handler{Service: e.svc, Log: slog.New(slog.NewTextHandler(logs, nil))}).Register(mux)
				srv := httptest.NewServer(mux)
				t.Cleanup(srv.Close)

				resp, out := post(t, srv.URL+"/"+testTenant+"/signin/qr", QRRequest{QRCode: tc.payload(b)})
				if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "5" {
					t.Fatalf("status %d, Retry-After %q, want 503 and 5: %v", resp.StatusCode, resp.Header.Get("Retry-After"), out)
				}
				want := map[string]any{"code": "serviceNotAvailable", "message": "The service is temporarily unavailable. Please retry later."}
				if got, _ := out["error"].(map[string]any); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("error %v, want %v", out["error"], want)
				}
				if strings.Contains(logs.String(), "level=ERROR") || strings.Contains(logs.String(), "5432") {
					t.Fatalf("a store outage was logged as a bug: %s", logs.String())
				}
			})
		}
	}
}

// TestWriteUnclassifiedIsABug: an error the edge cannot classify (a Kind
// outside the one table, a plain error) is a logged 500, not a 400.
func TestWriteUnclassifiedIsABug(t *testing.T) {
	t.Parallel()
	for name, err := range map[string]error{
		"kind outside the table": &apperr.Error{Code: "madeUp", Message: "A message no client should see."},
		"plain error":            errors.New("nil map write"),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			logs := &syncbuf.Buffer{}
			h := &Handler{Log: slog.New(slog.NewTextHandler(logs, nil))}
			rec := httptest.NewRecorder()
			h.write(rec, httptest.NewRequest("POST", "/t/signin/pin", nil), Step{}, err)
			if rec.Code != http.StatusInternalServerError {
				t.Fatalf("status %d, want 500", rec.Code)
			}
			want := `{"error":{"code":"internalServerError","message":"Something went wrong. Please try again."}}` + "\n"
			if rec.Body.String() != want {
				t.Fatalf("body %s, want %s", rec.Body, want)
			}
			if !strings.Contains(logs.String(), "level=ERROR") {
				t.Fatalf("the bug was not logged: %q", logs.String())
			}
		})
	}
}
