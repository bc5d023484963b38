package badgeapp

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestSignOutDeletesCookie: signing out deletes the session cookie
// (Max-Age=0 on the wire), not only empties it, and ends the session.
func TestSignOutDeletesCookie(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		cookie bool
	}{
		{"signed in", true},
		{"no session", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := &App{cfg: Config{RedirectURL: "http://127.0.0.1:8081/callback"}, pending: map[string]login{},
				sessions: map[string]*session{"sid": {Name: "Ada", expires: time.Now().Add(time.Hour)}}}
			req := httptest.NewRequest(http.MethodPost, "/logout", nil)
			if tc.cookie {
				req.AddCookie(&http.Cookie{Name: "badgeapp_session", Value: "sid"})
			}
			rec := httptest.NewRecorder()
			a.Handler().ServeHTTP(rec, req)
			if rec.Code != http.StatusSeeOther {
				t.Fatalf("status %d, want 303", rec.Code)
			}
			cs := rec.Result().Cookies()
			if len(cs) != 1 || cs[0].Name != "badgeapp_session" || cs[0].Value != "" || cs[0].MaxAge >= 0 {
				t.Fatalf("cookies %v, want badgeapp_session deleted (Max-Age=0)", cs)
			}
			if _, ok := a.sessions["sid"]; ok == tc.cookie {
				t.Errorf("session kept: %v, want %v", ok, !tc.cookie)
			}
		})
	}
}
