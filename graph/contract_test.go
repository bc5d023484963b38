package graph_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/graph"
	"github.com/qrpin/qrpin/internal/fakeclock"
	"github.com/qrpin/qrpin/internal/testkeys"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/qr"
	"github.com/qrpin/qrpin/store"
)

// fakeManagement answers the few calls a contract test makes; any other
// call panics (through the nil embedded interface), failing the test.
type fakeManagement struct {
	graph.Management
	resetPIN  func(admin.UserRef) (admin.ResetPINResult, error)
	patchCode func(admin.UserRef, method.Kind, admin.CodeInput) (admin.PatchedCode, error)
}

func (f *fakeManagement) Authenticate(_ context.Context, p auth.Principal) (auth.Principal, error) {
	return p, nil
}

func (f *fakeManagement) ResetPIN(_ context.Context, _ auth.Principal, ref admin.UserRef) (admin.ResetPINResult, error) {
	return f.resetPIN(ref)
}

func (f *fakeManagement) PatchCode(_ context.Context, _ auth.Principal, ref admin.UserRef, kind method.Kind, in admin.CodeInput) (admin.PatchedCode, error) {
	return f.patchCode(ref, kind, in)
}

// TestHandlersAgainstTheContract drives Graph handlers with a fake
// management service: the handler turns what the service returns into the
// documented status and body, and nothing else decides them (no store).
func TestHandlersAgainstTheContract(t *testing.T) {
	t.Parallel()
	clk := fakeclock.New(testStart)
	srv := httptest.NewUnstartedServer(nil)
	t.Cleanup(srv.Close)
	base := "http://" + srv.Listener.Addr().String()
	tenant := uuid.NewString()
	tokens := &auth.Tokens{Keys: testkeys.KeySet(t), Issuer: auth.Issuer(base, tenant), Audiences: auth.GraphAudiences, Now: clk.Now}
	fake := &fakeManagement{}
	srv.Config.Handler = (&graph.Server{Admin: fake, Tokens: tokens, Now: clk.Now}).Handler()
	srv.Start()
	tok, err := tokens.Mint(auth.Principal{Kind: auth.Application, ObjectID: uuid.NewString(), AppID: uuid.NewString(),
		TenantID: tenant, Roles: []string{"UserAuthMethod-QR.ReadWrite.All"}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	call := func(verb, path, body string) resp {
		t.Helper()
		e := &env{t: t, srv: srv}
		return e.do(verb, path, tok, body)
	}
	user := store.User{ID: uuid.NewString(), UPN: "ana@contoso.com"}
	methodPath := "/v1.0/users/" + user.UPN + "/authentication/qrCodePinMethod"

	t.Run("reset PIN", func(t *testing.T) {
		var asked admin.UserRef
		fake.resetPIN = func(ref admin.UserRef) (admin.ResetPINResult, error) {
			asked = ref
			return admin.ResetPINResult{User: user, Code: "27182818",
				PIN: method.PIN{Length: 8, ForceChange: true, Created: testStart, Updated: testStart}}, nil
		}
		r := call("PATCH", methodPath+"/pin", `{}`)
		expect(t, r, http.StatusCreated, "")
		j := r.json(t)
		if asked.Key != user.UPN || asked.Me {
			t.Fatalf("ResetPIN asked for %+v, want the path's user", asked)
		}
		if j["code"] != "27182818" || j["forceChangePinNextSignIn"] != true || j["@odata.type"] != "#microsoft.graph.qrPin" {
			t.Fatalf("reset answer %v", j)
		}
		want := fmt.Sprintf("users('%s')/authentication/qrCodePinMethod/pin", user.ID)
		if ctx, _ := j["@odata.context"].(string); !strings.Contains(ctx, want) {
			t.Fatalf("@odata.context %q, want it to name %s (the user the service returned)", ctx, want)
		}
	})
	t.Run("standard code extended", func(t *testing.T) {
		code := method.QRCode{ID: uuid.NewString(), Start: testStart, Expire: testStart.AddDate(0, 0, 30), Created: testStart}
		fake.patchCode = func(_ admin.UserRef, kind method.Kind, in admin.CodeInput) (admin.PatchedCode, error) {
			if kind != method.Standard || !in.Expire.Equal(code.Expire) {
				t.Errorf("PatchCode(%v, %+v), want the standard code and the body's expiry", kind, in)
			}
			return admin.PatchedCode{User: user, Code: admin.NewCode{Code: code}}, nil
		}
		r := call("PATCH", methodPath+"/standardQRCode", `{"expireDateTime":"`+code.Expire.Format(time.RFC3339)+`"}`)
		expect(t, r, http.StatusOK, "")
		if j := r.json(t); j["id"] != code.ID || j["image"] != nil {
			t.Fatalf("extended code %v, want its id and image null", j)
		}
	})
	t.Run("temporary code created", func(t *testing.T) {
		img := qr.Image{PNG: []byte("\x89PNG fake"), Version: 5, ErrorCorrectionLevel: "m", RawContent: []byte("QP1.x")}
		code := method.QRCode{ID: uuid.NewString(), Start: testStart, Expire: testStart.Add(time.Hour), Created: testStart}
		fake.patchCode = func(admin.UserRef, method.Kind, admin.CodeInput) (admin.PatchedCode, error) {
			return admin.PatchedCode{User: user, Code: admin.NewCode{Code: code, Image: img}, Created: true}, nil
		}
		r := call("PATCH", methodPath+"/temporaryQRCode", `{}`)
		expect(t, r, http.StatusCreated, "")
		image, _ := r.json(t)["image"].(map[string]any)
		if image["binaryValue"] != base64.StdEncoding.EncodeToString(img.PNG) || image["version"] != float64(5) {
			t.Fatalf("created code's image %v, want the one the service made", image)
		}
	})
	t.Run("store unreachable", func(t *testing.T) {
		fake.resetPIN = func(admin.UserRef) (admin.ResetPINResult, error) {
			return admin.ResetPINResult{}, fmt.Errorf("postgres: %w", store.ErrUnavailable)
		}
		r := call("PATCH", methodPath+"/pin", `{}`)
		expect(t, r, http.StatusServiceUnavailable, "serviceNotAvailable")
		if r.header.Get("Retry-After") != "5" {
			t.Fatalf("Retry-After %q, want 5", r.header.Get("Retry-After"))
		}
	})
}
