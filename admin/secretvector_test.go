package admin

import (
	"context"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/pinflow"
	"github.com/qrpin/qrpin/store"
	"github.com/qrpin/qrpin/store/sqlite/sqlitetest"
)

// The known-answer vector of client secret verifiers: what the database
// keeps for a client secret, made once with the code as it was, under the
// pepper of bytes 0 to 31.
//
// A change that alters it (the "qrpin client secret v1" domain separation,
// the binding to the application and key id, the HMAC) makes every client
// secret of every existing database fail at the token endpoint: it needs
// a verifier version read beside the old one, or a migration, never an
// edit of these strings.
const (
	vectorAppID    = "3f1c2a9e-6b4d-4e8f-9a7c-1d2e3f4a5b6c"
	vectorKeyID    = "9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
	vectorSecret   = "Qr8pinClientSecretKnownAnswerVector0001a"
	vectorVerifier = "3cad82162a17a3e7e09773291130b384f756ea4cb52b18ecb44fd6fd084a9bf0"
)

// vectorPepper is the pepper of the vector: bytes 0 to 31.
func vectorPepper() []byte {
	p := make([]byte, 32)
	for i := range p {
		p[i] = byte(i)
	}
	return p
}

// TestSecretVerifierKnownAnswer: an application, a key id, a secret and
// the pepper give the verifier they always gave.
func TestSecretVerifierKnownAnswer(t *testing.T) {
	t.Parallel()
	s := &Service{Config: pinflow.Config{Pepper: vectorPepper()}}
	if got := hex.EncodeToString(s.secretVerifier(vectorAppID, vectorKeyID, vectorSecret)); got != vectorVerifier {
		t.Fatalf("client secret verifier %s, want %s (existing databases hold the latter: a change here needs a migration)", got, vectorVerifier)
	}
}

// TestClientCredentialsKnownAnswer: a client secret stored (as its
// verifier) by an earlier version still authenticates its application,
// and no other secret or pepper does.
func TestClientCredentialsKnownAnswer(t *testing.T) {
	t.Parallel()
	st := sqlitetest.Open(t, filepath.Join(t.TempDir(), "qrpin.db"))
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	verifier, _ := hex.DecodeString(vectorVerifier)
	a := store.Application{ID: "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a", AppID: vectorAppID, ServicePrincipalID: "7e6d5c4b-3a29-4187-9654-3a2b1c0d9e8f",
		DisplayName: "known answer", Created: now,
		Passwords: []store.Password{{KeyID: vectorKeyID, Hint: vectorSecret[:HintLength], Verifier: verifier, Start: now, End: now.Add(time.Hour)}}}
	if err := st.CreateApplication(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	other := vectorPepper()
	other[0] ^= 1
	for _, tc := range []struct {
		name   string
		id     string
		pepper []byte
		secret string
		want   error
	}{
		{"its secret", vectorAppID, vectorPepper(), vectorSecret, nil},
		{"its client id in upper case", strings.ToUpper(vectorAppID), vectorPepper(), vectorSecret, nil},
		{"its client id padded", " " + vectorAppID + "\n", vectorPepper(), vectorSecret, ErrUnknownClient},
		{"another secret", vectorAppID, vectorPepper(), vectorSecret[:SecretLength-1] + "b", ErrInvalidSecret},
		{"another pepper", vectorAppID, other, vectorSecret, ErrInvalidSecret},
	} {
		s := &Service{Config: pinflow.Config{Store: st, Pepper: tc.pepper, TenantID: "72f988bf-86f1-41af-91ab-2d7cd011db47", Now: func() time.Time { return now }}}
		p, err := s.ClientCredentials(context.Background(), tc.id, tc.secret)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: ClientCredentials: %v, want %v (existing databases hold this verifier: a change here needs a migration)", tc.name, err, tc.want)
		}
		if err == nil && (p.AppID != vectorAppID || p.ObjectID != a.ServicePrincipalID) {
			t.Errorf("%s: principal %+v", tc.name, p)
		}
	}
}

// TestApplicationCredentials: the check of a secret against an application
// already read (the code exchange's) agrees with ClientCredentials: its
// secret passes within its validity, another secret or pepper is
// ErrInvalidSecret, outside its validity ErrExpiredSecret; it reads no store.
func TestApplicationCredentials(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	verifier, _ := hex.DecodeString(vectorVerifier)
	a := store.Application{ID: "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a", AppID: vectorAppID, ServicePrincipalID: "7e6d5c4b-3a29-4187-9654-3a2b1c0d9e8f",
		Passwords: []store.Password{{KeyID: vectorKeyID, Verifier: verifier, Start: now, End: now.Add(time.Hour)}}}
	other := vectorPepper()
	other[0] ^= 1
	for _, tc := range []struct {
		name   string
		pepper []byte
		secret string
		at     time.Time
		want   error
	}{
		{"its secret", vectorPepper(), vectorSecret, now, nil},
		{"its secret at its last moment", vectorPepper(), vectorSecret, now.Add(time.Hour - time.Microsecond), nil},
		{"its secret before its start", vectorPepper(), vectorSecret, now.Add(-time.Second), ErrExpiredSecret},
		{"its secret at its end", vectorPepper(), vectorSecret, now.Add(time.Hour), ErrExpiredSecret},
		{"another secret", vectorPepper(), vectorSecret[:SecretLength-1] + "b", now, ErrInvalidSecret},
		{"another pepper", other, vectorSecret, now, ErrInvalidSecret},
	} {
		s := &Service{Config: pinflow.Config{Pepper: tc.pepper, TenantID: "72f988bf-86f1-41af-91ab-2d7cd011db47", Now: func() time.Time { return tc.at }}}
		p, err := s.ApplicationCredentials(a, tc.secret)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: ApplicationCredentials: %v, want %v", tc.name, err, tc.want)
		}
		if err == nil && (p.AppID != vectorAppID || p.ObjectID != a.ServicePrincipalID || p.Kind != auth.Application) {
			t.Errorf("%s: principal %+v", tc.name, p)
		}
	}
}
