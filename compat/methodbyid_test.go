package compat

import (
	"net/http"
	"testing"
	"time"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	khttp "github.com/microsoft/kiota-http-go"
	msgraph "github.com/microsoftgraph/msgraph-beta-sdk-go"
	"github.com/microsoftgraph/msgraph-beta-sdk-go/models"
	"github.com/microsoftgraph/msgraph-beta-sdk-go/models/odataerrors"
	modelsv1 "github.com/microsoftgraph/msgraph-sdk-go/models"
)

// Graph's generic GET and DELETE /users/{id}/authentication/methods/{id}
// for the QR code + PIN method (issue 13, item 2), with the id the methods
// list names; the created method's Location header, qrPin.id (v1.0) and
// lastUsedDateTime (beta) (item 3). Neither SDK has DELETE on a generic
// method: it is built like putMethod (beta) and with v1Send (v1.0).

// otherMethodID is the id Entra gives every user's password method.
const otherMethodID = "28c10230-6103-485e-b985-444c60001490"

// wantLocation checks the Location header a PUT answered.
func wantLocation(t *testing.T, s *server, version, uid string, h *khttp.HeadersInspectionOptions) {
	t.Helper()
	want := s.url + "/" + version + "/users/" + uid + "/authentication/qrCodePinMethod"
	if got := h.GetResponseHeaders().Get("Location"); len(got) != 1 || got[0] != want {
		t.Fatalf("PUT qrCodePinMethod: Location %q, want %q", got, want)
	}
}

func inspectResponseHeaders() *khttp.HeadersInspectionOptions {
	h := khttp.NewHeadersInspectionOptions()
	h.InspectResponseHeaders = true
	return h
}

func testMethodByID(t *testing.T, s *server, c *msgraph.GraphServiceClient) {
	ctx := ctxT(t)
	uid := createUser(t, c, "ivy@byid-beta.contoso.com", "Ivy Frontline")
	body := models.NewQrCodePinAuthenticationMethod()
	body.SetStandardQRCode(models.NewQrCode())
	h := inspectResponseHeaders()
	created, err := putMethod(ctx, c, uid, body, nil, h)
	wantNoError(t, "PUT qrCodePinMethod", err)
	wantLocation(t, s, "beta", uid, h)
	id := str(created.GetId())

	methods := c.Users().ByUserId(uid).Authentication().Methods()
	got, err := methods.ByAuthenticationMethodId(id).Get(ctx, nil)
	wantNoError(t, "GET authentication/methods/{id}", err)
	m, ok := got.(models.QrCodePinAuthenticationMethodable)
	if !ok || str(m.GetId()) != id || m.GetStandardQRCode() == nil || m.GetPin() == nil || m.GetPin().GetCode() != nil {
		t.Fatalf("GET authentication/methods/%s: a %T, id %s", id, got, str(got.GetId()))
	}
	// Never used: beta's lastUsedDateTime is the zero date (spec D8).
	if lu := m.GetLastUsedDateTime(); lu == nil || !lu.Equal(time.Time{}) {
		t.Fatalf("GET authentication/methods/{id}: lastUsedDateTime %v, want 0001-01-01T00:00:00Z", lu)
	}
	wantTime(t, "GET authentication/methods/{id} createdDateTime", m.GetCreatedDateTime(), *created.GetCreatedDateTime(), 0)

	_, err = methods.ByAuthenticationMethodId(otherMethodID).Get(ctx, nil)
	wantODataError(t, err, http.StatusNotFound, "itemNotFound")
	deleteByID := func(id string) error {
		ri, err := methods.ByAuthenticationMethodId(id).ToGetRequestInformation(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		ri.Method = abstractions.DELETE
		return c.GetAdapter().SendNoContent(ctx, ri, abstractions.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue})
	}
	wantODataError(t, deleteByID(otherMethodID), http.StatusNotFound, "itemNotFound")
	wantNoError(t, "DELETE authentication/methods/{id}", deleteByID(id))
	_, err = c.Users().ByUserId(uid).Authentication().QrCodePinMethod().Get(ctx, nil)
	wantODataError(t, err, http.StatusNotFound, "itemNotFound")
	_, err = methods.ByAuthenticationMethodId(id).Get(ctx, nil)
	wantODataError(t, err, http.StatusNotFound, "itemNotFound")
	wantODataError(t, deleteByID(id), http.StatusNotFound, "itemNotFound")
}

func testMethodByIDV1(t *testing.T, s *server, c *graphV1) {
	ctx := ctxT(t)
	uid := createUserV1(t, c, "ivy@byid-v1.contoso.com", "Ivy Frontline")
	body := modelsv1.NewQrCodePinAuthenticationMethod()
	body.SetStandardQRCode(modelsv1.NewQrCode())
	h := inspectResponseHeaders()
	created, err := qrMethodV1(c, uid).put(ctx, body, nil, h)
	wantNoError(t, "PUT qrCodePinMethod", err)
	wantLocation(t, s, "v1.0", uid, h)
	id := str(created.GetId())
	// v1.0's qrPin is an entity: its id is the method's.
	if created.GetPin() == nil || str(created.GetPin().GetId()) != id {
		t.Fatalf("PUT qrCodePinMethod: pin.id %v, want the method's id %s", created.GetPin(), id)
	}

	methods := c.Users().ByUserId(uid).Authentication().Methods()
	got, err := methods.ByAuthenticationMethodId(id).Get(ctx, nil)
	wantNoError(t, "GET authentication/methods/{id}", err)
	m, ok := got.(modelsv1.QrCodePinAuthenticationMethodable)
	if !ok || str(m.GetId()) != id || m.GetStandardQRCode() == nil || m.GetPin() == nil || m.GetPin().GetCode() != nil {
		t.Fatalf("GET authentication/methods/%s: a %T, id %s", id, got, str(got.GetId()))
	}
	// v1.0 has no lastUsedDateTime on a method: wantMethodFields fails on
	// any property the v1.0 models lack.
	wantMethodFields(t, "GET authentication/methods/{id}", m)
	if str(m.GetPin().GetId()) != id {
		t.Fatalf("GET authentication/methods/{id}: pin.id %s, want %s", str(m.GetPin().GetId()), id)
	}
	wantTime(t, "GET authentication/methods/{id} createdDateTime", m.GetCreatedDateTime(), *created.GetCreatedDateTime(), 0)

	_, err = methods.ByAuthenticationMethodId(otherMethodID).Get(ctx, nil)
	wantODataError(t, err, http.StatusNotFound, "itemNotFound")
	deleteByID := func(id string) error {
		_, err := v1Send(ctx, c, abstractions.DELETE, "/users/{user%2Did}/authentication/methods/{authenticationMethod%2Did}",
			map[string]string{"user%2Did": uid, "authenticationMethod%2Did": id}, nil, nil, nil)
		return err
	}
	wantODataError(t, deleteByID(otherMethodID), http.StatusNotFound, "itemNotFound")
	wantNoError(t, "DELETE authentication/methods/{id}", deleteByID(id))
	_, err = qrMethodV1(c, uid).get(ctx)
	wantODataError(t, err, http.StatusNotFound, "itemNotFound")
	_, err = methods.ByAuthenticationMethodId(id).Get(ctx, nil)
	wantODataError(t, err, http.StatusNotFound, "itemNotFound")
	wantODataError(t, deleteByID(id), http.StatusNotFound, "itemNotFound")
}
