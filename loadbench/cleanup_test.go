package loadbench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/qrpin/qrpin/graphclient"
)

type staticToken string

func (s staticToken) Token(context.Context) (string, error) { return string(s), nil }

// TestCleanupLeftovers: a clean-up that cannot delete everything says the
// run's id and every user and application left, not only the first; what
// it deleted (or was already gone) it does not name.
func TestCleanupLeftovers(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method != http.MethodDelete:
			w.WriteHeader(http.StatusMethodNotAllowed)
		case strings.HasSuffix(r.URL.Path, "/users/gone"):
			w.WriteHeader(http.StatusNotFound)
		case strings.HasSuffix(r.URL.Path, "/users/deleted"):
			w.WriteHeader(http.StatusNoContent)
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"error": {"code": "Authorization_RequestDenied", "message": "no"}}`))
		}
	}))
	defer srv.Close()
	r := &run{id: "0a1b2c3d", users: []string{"user-3", "gone", "user-1", "deleted", "user-2"}, app: "app-9"}
	r.admin = graphclient.Client{BaseURL: srv.URL + "/v1.0", HTTP: srv.Client(), Tokens: staticToken("t")}
	err := r.cleanup()
	if err == nil {
		t.Fatal("the clean-up failed and said nothing")
	}
	msg := err.Error()
	for _, want := range []string{
		"clean-up of bench run 0a1b2c3d: 3 users left behind",
		"their UPNs start qrpin-bench-0a1b2c3d-, their ids: user-1 user-2 user-3",
		`clean-up of bench run 0a1b2c3d: the application "qrpin bench 0a1b2c3d" left behind`,
		"its id: app-9",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("the clean-up error lacks %q:\n%s", want, msg)
		}
	}
	for _, not := range []string{"gone", "deleted"} {
		if strings.Contains(msg, not) {
			t.Errorf("the clean-up error names %q, which is not left:\n%s", not, msg)
		}
	}
	if err := r.cleanup(); err != nil { // nothing is remembered twice
		t.Errorf("a second clean-up: %v", err)
	}
}
