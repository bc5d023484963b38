package admin

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/internal/fakeclock"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/pin"
	"github.com/qrpin/qrpin/pinflow"
	"github.com/qrpin/qrpin/store"
	"github.com/qrpin/qrpin/store/sqlite/sqlitetest"
)

// "The new PIN must differ" is the PIN flow's rule (pinflow.CheckNew and
// SetPIN): a newPin equal to the typed currentPin is refused with
// invalidPin before any Argon2id, whether currentPin is right or not, and
// counts no attempt, as updatePin always answered.
func TestUpdatePINNewEqualsCurrent(t *testing.T) {
	t.Parallel()
	const current, wrong = "48150392", "99990000"
	tests := []struct {
		name         string
		currentPin   string
		newPin       string
		wantCode     string
		wantFailures int
	}{
		{"equal to the right current PIN", current, current, "invalidPin", 0},
		{"equal to a wrong current PIN", wrong, wrong, "invalidPin", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := sqlitetest.Open(t, filepath.Join(t.TempDir(), "qrpin.db"))
			h, err := pin.NewHasher(bytes.Repeat([]byte{7}, 32), pin.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
			if err != nil {
				t.Fatal(err)
			}
			t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
			svc := &Service{Config: pinflow.Config{Store: st, PINs: h, Lockout: method.DefaultLockout, Now: fakeclock.New(t0).Now}}
			u := store.User{ID: uuid.NewString(), UPN: "ana@contoso.com", DisplayName: "Ana", AccountEnabled: true, Created: t0}
			if err := st.CreateUser(t.Context(), u); err != nil {
				t.Fatal(err)
			}
			hash, err := h.Hash(current)
			if err != nil {
				t.Fatal(err)
			}
			pinBefore := method.PIN{Hash: hash, Length: len(current), ForceChange: true, Created: t0, Updated: t0}
			if err := st.CreateMethod(t.Context(), method.Method{ID: uuid.NewString(), UserID: u.ID, Created: t0, PIN: pinBefore}); err != nil {
				t.Fatal(err)
			}
			ana := auth.Principal{Kind: auth.Delegated, ObjectID: u.ID, UPN: u.UPN, Scopes: []string{"UserAuthMethod-QR.ReadWrite"}}

			err = svc.UpdatePIN(t.Context(), ana, UserRef{Me: true}, tt.currentPin, tt.newPin)
			if ae, ok := apperr.As(err); !ok || ae.Kind != apperr.Invalid || ae.Code != tt.wantCode {
				t.Fatalf("got %v, want 400 %s", err, tt.wantCode)
			}
			m, err := st.GetMethod(t.Context(), u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if m.PIN != pinBefore || m.Lockout.Failures != tt.wantFailures {
				t.Fatalf("stored PIN %+v, lockout %+v; want the PIN unchanged and %d failures", m.PIN, m.Lockout, tt.wantFailures)
			}
		})
	}
}
