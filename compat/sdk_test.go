package compat

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	kiotaazure "github.com/microsoft/kiota-authentication-azure-go"
	khttp "github.com/microsoft/kiota-http-go"
	msgraph "github.com/microsoftgraph/msgraph-beta-sdk-go"
	graphgroups "github.com/microsoftgraph/msgraph-beta-sdk-go/groups"
	"github.com/microsoftgraph/msgraph-beta-sdk-go/models"
	"github.com/microsoftgraph/msgraph-beta-sdk-go/models/odataerrors"
	graphusers "github.com/microsoftgraph/msgraph-beta-sdk-go/users"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"

	"github.com/qrpin/qrpin/pin"
)

const graphScope = "https://graph.microsoft.com/.default"

// appCredential is azidentity's ClientSecretCredential for the bootstrap
// administration application, pointed at qrpin's token endpoint.
func (s *server) appCredential(t *testing.T, secret string) *azidentity.ClientSecretCredential {
	t.Helper()
	cred, err := azidentity.NewClientSecretCredential(s.creds.TenantID, s.creds.ClientID, secret, s.appCredentialOptions())
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

// appCredentialOptions point azidentity at qrpin: its URL as the authority
// host, no instance discovery, the development certificate trusted.
func (s *server) appCredentialOptions() *azidentity.ClientSecretCredentialOptions {
	return &azidentity.ClientSecretCredentialOptions{
		ClientOptions: azcore.ClientOptions{
			Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: s.url + "/"},
			Transport: &http.Client{Transport: s.transport()},
		},
		DisableInstanceDiscovery: true,
	}
}

// staticToken is a TokenCredential for a token minted by `qrpin token`.
type staticToken string

func (s staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(s), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// client is the beta SDK's GraphServiceClient for one API version of the
// server, with the SDK's default middleware (retry, redirect, telemetry,
// /me rewriting, ...) over a transport that trusts the dev certificate.
func (s *server) client(t *testing.T, version string, cred azcore.TokenCredential) *msgraph.GraphServiceClient {
	t.Helper()
	auth, err := kiotaazure.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(cred,
		[]string{graphScope}, []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	// The SDK's default middleware, request compression included: it
	// gzips POST/PATCH/PUT bodies, which qrpin inflates.
	opts := msgraph.GetDefaultClientOptions()
	mw := msgraphcore.GetDefaultMiddlewaresWithOptions(&opts)
	hc := &http.Client{Transport: khttp.NewCustomTransportWithParentTransport(s.transport(), mw...)}
	adapter, err := msgraph.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, nil, nil, hc)
	if err != nil {
		t.Fatal(err)
	}
	adapter.SetBaseUrl(s.url + "/" + version)
	return msgraph.NewGraphServiceClient(adapter)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func ptr[T any](v T) *T { return &v }

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// wantTime checks a DateTimeOffset read through a typed getter: present,
// UTC-parsable, not the zero date, and near want (within tol).
func wantTime(t *testing.T, what string, got *time.Time, want time.Time, tol time.Duration) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s is null", what)
	}
	if got.Year() < 2000 {
		t.Fatalf("%s is %v", what, *got)
	}
	if d := got.Sub(want); d < -tol || d > tol {
		t.Fatalf("%s = %v, want %v (±%v)", what, got.UTC(), want.UTC(), tol)
	}
}

// putMethod creates the QR code + PIN method. The SDK (v0.160.0) has no
// Put on the qrCodePinMethod request builder although Graph documents PUT
// (spec E2), so this builds the request with the SDK's own request
// builder, serializer, request adapter and ODataError mapping, and only
// changes the verb.
func putMethod(ctx context.Context, c *msgraph.GraphServiceClient, user string, body models.QrCodePinAuthenticationMethodable,
	headers map[string]string, opts ...abstractions.RequestOption) (models.QrCodePinAuthenticationMethodable, error) {
	ri, err := c.Users().ByUserId(user).Authentication().QrCodePinMethod().ToGetRequestInformation(ctx, nil)
	if err != nil {
		return nil, err
	}
	ri.Method = abstractions.PUT
	for k, v := range headers {
		ri.Headers.Add(k, v)
	}
	ri.AddRequestOptions(opts)
	if err := ri.SetContentFromParsable(ctx, c.GetAdapter(), "application/json", body); err != nil {
		return nil, err
	}
	res, err := c.GetAdapter().Send(ctx, ri, models.CreateQrCodePinAuthenticationMethodFromDiscriminatorValue,
		abstractions.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue})
	if err != nil {
		return nil, err
	}
	if res == nil {
		return nil, errors.New("PUT answered no body")
	}
	return res.(models.QrCodePinAuthenticationMethodable), nil
}

// createUser creates a user through the SDK and returns its id.
func createUser(t *testing.T, c *msgraph.GraphServiceClient, upn, name string) string {
	t.Helper()
	u := models.NewUser()
	u.SetUserPrincipalName(&upn)
	u.SetDisplayName(&name)
	u.SetAccountEnabled(ptr(true))
	u.SetMailNickname(ptr(strings.Split(upn, "@")[0]))
	got, err := c.Users().Post(ctxT(t), u, nil)
	wantNoError(t, "POST /users", err)
	if got.GetId() == nil || *got.GetId() == "" || str(got.GetUserPrincipalName()) != upn || str(got.GetDisplayName()) != name {
		t.Fatalf("POST /users answered id %s upn %s name %s", str(got.GetId()), str(got.GetUserPrincipalName()), str(got.GetDisplayName()))
	}
	return *got.GetId()
}

var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// wantImage checks a qrCode's one-time image.
func wantImage(t *testing.T, what string, q models.QrCodeable) {
	t.Helper()
	img := q.GetImage()
	if img == nil {
		t.Fatalf("%s: image is null in the creating response", what)
	}
	if !bytes.HasPrefix(img.GetBinaryValue(), pngMagic) {
		t.Fatalf("%s: image.binaryValue is not a PNG (%d bytes)", what, len(img.GetBinaryValue()))
	}
	if len(img.GetRawContent()) == 0 || img.GetVersion() == nil || *img.GetVersion() < 1 || img.GetErrorCorrectionLevel() == nil {
		t.Fatalf("%s: image rawContent %d bytes, version %v, errorCorrectionLevel %v", what,
			len(img.GetRawContent()), img.GetVersion(), img.GetErrorCorrectionLevel())
	}
}

// TestGoSDK drives every endpoint the beta SDK exposes for QR code + PIN,
// users and groups, on /beta, with an app-only token that azidentity's
// ClientSecretCredential gets from qrpin's token endpoint. The v1.0 SDK
// covers /v1.0 (TestGoSDKv1).
func TestGoSDK(t *testing.T) {
	s := startServer(t)
	cred := s.appCredential(t, s.creds.ClientSecret)
	// The credential itself: a token for Microsoft Graph from qrpin.
	tk, err := cred.GetToken(ctxT(t), policy.TokenRequestOptions{Scopes: []string{graphScope}})
	if err != nil || tk.Token == "" {
		t.Fatalf("ClientSecretCredential.GetToken against qrpin: %v", err)
	}
	const v = "beta"
	t.Run(v, func(t *testing.T) {
		c := s.client(t, v, cred)
		t.Run("Users", func(t *testing.T) { testUsers(t, c, v) })
		t.Run("Groups", func(t *testing.T) { testGroups(t, s, c, v) })
		t.Run("Method", func(t *testing.T) { testMethod(t, s, c, v) })
		t.Run("Policy", func(t *testing.T) { testPolicy(t, c, v) })
		t.Run("Errors", func(t *testing.T) { testErrors(t, s, c, v) })
		t.Run("MethodsPolicy", func(t *testing.T) { testMethodsPolicy(t, c) })
		t.Run("MethodByID", func(t *testing.T) { testMethodByID(t, s, c) })
		t.Run("Batch", func(t *testing.T) { testBatch(t, c) })
		t.Run("EmployeeID", func(t *testing.T) { testEmployeeID(t, c) })
		t.Run("Reports", func(t *testing.T) { testReports(t, c) })
	})
}

func testUsers(t *testing.T, c *msgraph.GraphServiceClient, v string) {
	ctx := ctxT(t)
	dom := "@users-" + strings.ReplaceAll(v, ".", "") + ".contoso.com"
	ids := map[string]string{}
	for _, n := range []string{"ana", "ben", "cai"} {
		ids[createUser(t, c, n+dom, strings.ToUpper(n[:1])+n[1:]+" Frontline")] = n
	}
	// Get by object id and by userPrincipalName.
	for id, n := range ids {
		u, err := c.Users().ByUserId(id).Get(ctx, nil)
		wantNoError(t, "GET /users/{id}", err)
		if str(u.GetId()) != id || str(u.GetUserPrincipalName()) != n+dom {
			t.Fatalf("GET /users/%s: id %s upn %s", id, str(u.GetId()), str(u.GetUserPrincipalName()))
		}
		u, err = c.Users().ByUserId(n+dom).Get(ctx, nil)
		wantNoError(t, "GET /users/{upn}", err)
		if str(u.GetId()) != id {
			t.Fatalf("GET /users/%s: id %s, want %s", n+dom, str(u.GetId()), id)
		}
	}
	// List with $top 2 and follow @odata.nextLink with the SDK's page iterator.
	first, err := c.Users().Get(ctx, &graphusers.UsersRequestBuilderGetRequestConfiguration{
		QueryParameters: &graphusers.UsersRequestBuilderGetQueryParameters{Top: ptr(int32(2))}})
	wantNoError(t, "GET /users?$top=2", err)
	if len(first.GetValue()) != 2 || first.GetOdataNextLink() == nil {
		t.Fatalf("GET /users?$top=2: %d users, nextLink %s", len(first.GetValue()), str(first.GetOdataNextLink()))
	}
	it, err := msgraphcore.NewPageIterator[models.Userable](first, c.GetAdapter(), models.CreateUserCollectionResponseFromDiscriminatorValue)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	err = it.Iterate(ctx, func(u models.Userable) bool {
		if seen[str(u.GetId())] {
			t.Errorf("user %s listed twice", str(u.GetId()))
		}
		seen[str(u.GetId())] = true
		return true
	})
	wantNoError(t, "paging /users", err)
	for id := range ids {
		if !seen[id] {
			t.Fatalf("user %s missing from the paged listing (%d seen)", id, len(seen))
		}
	}
	// PATCH, then DELETE.
	var anaID string
	for id, n := range ids {
		if n == "ana" {
			anaID = id
		}
	}
	patch := models.NewUser()
	patch.SetDisplayName(ptr("Ana Ruiz"))
	_, err = c.Users().ByUserId(anaID).Patch(ctx, patch, nil)
	wantNoError(t, "PATCH /users/{id}", err)
	u, err := c.Users().ByUserId(anaID).Get(ctx, nil)
	wantNoError(t, "GET /users/{id}", err)
	if str(u.GetDisplayName()) != "Ana Ruiz" {
		t.Fatalf("displayName after PATCH: %s", str(u.GetDisplayName()))
	}
	wantNoError(t, "DELETE /users/{id}", c.Users().ByUserId(anaID).Delete(ctx, nil))
	_, err = c.Users().ByUserId(anaID).Get(ctx, nil)
	wantODataError(t, err, http.StatusNotFound, "Request_ResourceNotFound")
}

func testGroups(t *testing.T, s *server, c *msgraph.GraphServiceClient, v string) {
	ctx := ctxT(t)
	uid := createUser(t, c, "dee@groups-"+strings.ReplaceAll(v, ".", "")+".contoso.com", "Dee Frontline")
	g := models.NewGroup()
	g.SetDisplayName(ptr("Store 12 frontline " + v))
	g.SetMailNickname(ptr("store12" + strings.ReplaceAll(v, ".", "")))
	g.SetSecurityEnabled(ptr(true))
	g.SetMailEnabled(ptr(false))
	created, err := c.Groups().Post(ctx, g, nil)
	wantNoError(t, "POST /groups", err)
	gid := str(created.GetId())
	if gid == "" || gid == "<nil>" || str(created.GetDisplayName()) != "Store 12 frontline "+v {
		t.Fatalf("POST /groups: id %s name %s", gid, str(created.GetDisplayName()))
	}
	got, err := c.Groups().ByGroupId(gid).Get(ctx, nil)
	wantNoError(t, "GET /groups/{id}", err)
	if str(got.GetId()) != gid {
		t.Fatalf("GET /groups/%s: id %s", gid, str(got.GetId()))
	}
	list, err := c.Groups().Get(ctx, nil)
	wantNoError(t, "GET /groups", err)
	found := false
	for _, x := range list.GetValue() {
		found = found || str(x.GetId()) == gid
	}
	if !found {
		t.Fatalf("group %s missing from GET /groups", gid)
	}

	ref := models.NewReferenceCreate()
	ref.SetOdataId(ptr(s.url + "/" + v + "/directoryObjects/" + uid))
	wantNoError(t, "POST /groups/{id}/members/$ref", c.Groups().ByGroupId(gid).Members().Ref().Post(ctx, ref, nil))
	members, err := c.Groups().ByGroupId(gid).Members().Get(ctx, nil)
	wantNoError(t, "GET /groups/{id}/members", err)
	if len(members.GetValue()) != 1 || str(members.GetValue()[0].GetId()) != uid {
		t.Fatalf("members after add: %d", len(members.GetValue()))
	}
	if _, ok := members.GetValue()[0].(models.Userable); !ok {
		t.Fatalf("member is a %T, want the SDK's User (from @odata.type)", members.GetValue()[0])
	}
	wantNoError(t, "DELETE /groups/{id}/members/{id}/$ref", c.Groups().ByGroupId(gid).Members().ByDirectoryObjectId(uid).Ref().Delete(ctx, nil))
	members, err = c.Groups().ByGroupId(gid).Members().Get(ctx, nil)
	wantNoError(t, "GET /groups/{id}/members", err)
	if len(members.GetValue()) != 0 {
		t.Fatalf("members after remove: %d", len(members.GetValue()))
	}
	// The collection form: DELETE .../members/$ref?@id={url}.
	wantNoError(t, "POST /groups/{id}/members/$ref", c.Groups().ByGroupId(gid).Members().Ref().Post(ctx, ref, nil))
	wantNoError(t, "DELETE /groups/{id}/members/$ref?@id=", c.Groups().ByGroupId(gid).Members().Ref().Delete(ctx,
		&graphgroups.ItemMembersRefRequestBuilderDeleteRequestConfiguration{
			QueryParameters: &graphgroups.ItemMembersRefRequestBuilderDeleteQueryParameters{Id: ref.GetOdataId()},
		}))
	members, err = c.Groups().ByGroupId(gid).Members().Get(ctx, nil)
	wantNoError(t, "GET /groups/{id}/members", err)
	if len(members.GetValue()) != 0 {
		t.Fatalf("members after remove by @id: %d", len(members.GetValue()))
	}
	wantNoError(t, "DELETE /groups/{id}", c.Groups().ByGroupId(gid).Delete(ctx, nil))
	_, err = c.Groups().ByGroupId(gid).Get(ctx, nil)
	wantODataError(t, err, http.StatusNotFound, "Request_ResourceNotFound")
}

func testMethod(t *testing.T, s *server, c *msgraph.GraphServiceClient, v string) {
	ctx := ctxT(t)
	upn := "eva@method-" + strings.ReplaceAll(v, ".", "") + ".contoso.com"
	uid := createUser(t, c, upn, "Eva Frontline")
	qr := c.Users().ByUserId(uid).Authentication().QrCodePinMethod()
	before := time.Now()

	// E2 create (PUT): a standard QR code with explicit dates and a PIN.
	start := time.Now().UTC().Truncate(time.Second)
	expire := start.Add(30 * 24 * time.Hour)
	body := models.NewQrCodePinAuthenticationMethod()
	std := models.NewQrCode()
	std.SetStartDateTime(&start)
	std.SetExpireDateTime(&expire)
	body.SetStandardQRCode(std)
	p := models.NewQrPin()
	p.SetCode(ptr("48150392"))
	body.SetPin(p)
	m, err := putMethod(ctx, c, uid, body, nil)
	wantNoError(t, "PUT qrCodePinMethod", err)
	methodID := str(m.GetId())
	if methodID == "" || methodID == "<nil>" {
		t.Fatal("PUT: no id")
	}
	wantTime(t, "method createdDateTime", m.GetCreatedDateTime(), before, time.Minute)
	if m.GetStandardQRCode() == nil {
		t.Fatal("PUT: standardQRCode is null")
	}
	wantImage(t, "PUT standardQRCode", m.GetStandardQRCode())
	wantTime(t, "standardQRCode startDateTime", m.GetStandardQRCode().GetStartDateTime(), start, 0)
	wantTime(t, "standardQRCode expireDateTime", m.GetStandardQRCode().GetExpireDateTime(), expire, 0)
	if m.GetTemporaryQRCode() != nil {
		t.Fatal("PUT: temporaryQRCode is not null")
	}
	if m.GetPin() == nil || str(m.GetPin().GetCode()) != "48150392" || m.GetPin().GetForceChangePinNextSignIn() == nil ||
		!*m.GetPin().GetForceChangePinNextSignIn() {
		t.Fatalf("PUT: pin code %s, forceChangePinNextSignIn %v", str(m.GetPin().GetCode()), m.GetPin().GetForceChangePinNextSignIn())
	}
	pinCreated := m.GetPin().GetCreatedDateTime()
	wantTime(t, "pin createdDateTime", pinCreated, before, time.Minute)

	// E1 get: secrets are gone.
	m, err = qr.Get(ctx, nil)
	wantNoError(t, "GET qrCodePinMethod", err)
	if str(m.GetId()) != methodID || m.GetStandardQRCode() == nil || m.GetStandardQRCode().GetImage() != nil ||
		m.GetPin() == nil || m.GetPin().GetCode() != nil {
		t.Fatalf("GET qrCodePinMethod: id %s, standard %v, pin %v", str(m.GetId()), m.GetStandardQRCode(), m.GetPin())
	}
	wantTime(t, "GET standardQRCode expireDateTime", m.GetStandardQRCode().GetExpireDateTime(), expire, 0)

	// GET pin (the SDK exposes it): no code, still temporary.
	qp, err := qr.Pin().Get(ctx, nil)
	wantNoError(t, "GET pin", err)
	if qp.GetCode() != nil || qp.GetForceChangePinNextSignIn() == nil || !*qp.GetForceChangePinNextSignIn() {
		t.Fatalf("GET pin: code %s force %v", str(qp.GetCode()), qp.GetForceChangePinNextSignIn())
	}

	// E9 admin reset: PATCH pin with the documentation's body; a new PIN
	// is generated (the code sent is ignored), read through typed getters.
	reset := models.NewQrPin()
	reset.SetCode(ptr("09599786"))
	qp, err = qr.Pin().Patch(ctx, reset, nil)
	wantNoError(t, "PATCH pin (reset)", err)
	code := str(qp.GetCode())
	if err := pin.Check(code, 8); err != nil || code == "09599786" {
		t.Fatalf("reset PIN %q: %v", code, err)
	}
	if qp.GetForceChangePinNextSignIn() == nil || !*qp.GetForceChangePinNextSignIn() {
		t.Fatal("reset: forceChangePinNextSignIn is not true")
	}
	// qrpin reads spec D2 ("createdDateTime, updatedDateTime = now") as
	// both being the reset time; Part B's example keeps the PIN's first
	// createdDateTime. See COMPATIBILITY.md.
	wantTime(t, "reset pin createdDateTime", qp.GetCreatedDateTime(), *pinCreated, time.Minute)
	wantTime(t, "reset pin updatedDateTime", qp.GetUpdatedDateTime(), time.Now(), time.Minute)
	if qp.GetUpdatedDateTime().Before(*qp.GetCreatedDateTime()) {
		t.Fatal("reset: updatedDateTime before createdDateTime")
	}

	// DELETE pin: the SDK exposes it; the PIN goes only with the method (405).
	err = qr.Pin().Delete(ctx, nil)
	wantODataError(t, err, http.StatusMethodNotAllowed, odataCodeOf(t, err))

	// E10 updatePin, as the user (/me, a delegated token from `qrpin token`).
	me := s.client(t, v, staticToken(s.userToken(t, upn, "UserAuthMethod-QR.ReadWrite")))
	wrong := graphusers.NewItemAuthenticationQrCodePinMethodPinUpdatePinPostRequestBody()
	wrong.SetCurrentPin(ptr("11223344"))
	wrong.SetNewPin(ptr("36918207"))
	if code == "11223344" {
		wrong.SetCurrentPin(ptr("44332211"))
	}
	wantODataError(t, me.Me().Authentication().QrCodePinMethod().Pin().UpdatePin().Post(ctx, wrong, nil), http.StatusBadRequest, "incorrectPin")
	upd := graphusers.NewItemAuthenticationQrCodePinMethodPinUpdatePinPostRequestBody()
	upd.SetCurrentPin(&code)
	upd.SetNewPin(ptr("36918207"))
	wantNoError(t, "POST /me/.../pin/updatePin", me.Me().Authentication().QrCodePinMethod().Pin().UpdatePin().Post(ctx, upd, nil))
	qp, err = qr.Pin().Get(ctx, nil)
	wantNoError(t, "GET pin", err)
	if qp.GetForceChangePinNextSignIn() == nil || *qp.GetForceChangePinNextSignIn() {
		t.Fatal("after updatePin: forceChangePinNextSignIn is not false")
	}
	// An application may not change a user's PIN (delegated only).
	wantODataError(t, qr.Pin().UpdatePin().Post(ctx, upd, nil), http.StatusForbidden, "accessDenied")

	// E4/E6/E8/E5 standard QR code: get, move expiry (200, no image),
	// delete, create again (201, image).
	sq, err := qr.StandardQRCode().Get(ctx, nil)
	wantNoError(t, "GET standardQRCode", err)
	if sq.GetImage() != nil || sq.GetId() == nil {
		t.Fatal("GET standardQRCode: image shown or no id")
	}
	later := start.Add(100 * 24 * time.Hour)
	upExp := models.NewQrCode()
	upExp.SetExpireDateTime(&later)
	sq, err = qr.StandardQRCode().Patch(ctx, upExp, nil)
	wantNoError(t, "PATCH standardQRCode (expiry)", err)
	if sq == nil || sq.GetImage() != nil {
		t.Fatal("PATCH standardQRCode (update): no qrCode, or an image")
	}
	wantTime(t, "updated expireDateTime", sq.GetExpireDateTime(), later, 0)
	wantTime(t, "updated startDateTime", sq.GetStartDateTime(), start, 0)
	wantNoError(t, "DELETE standardQRCode", qr.StandardQRCode().Delete(ctx, nil))
	_, err = qr.StandardQRCode().Get(ctx, nil)
	wantODataError(t, err, http.StatusNotFound, "itemNotFound")
	nstart := time.Now().UTC().Truncate(time.Second)
	nq := models.NewQrCode()
	nq.SetStartDateTime(&nstart)
	nq.SetExpireDateTime(ptr(nstart.Add(365 * 24 * time.Hour)))
	sq, err = qr.StandardQRCode().Patch(ctx, nq, nil)
	wantNoError(t, "PATCH standardQRCode (create)", err)
	wantImage(t, "PATCH standardQRCode (create)", sq)

	// E7/E4/E8 temporary QR code: none yet; over 12 hours refused; create;
	// a second refused; get; delete.
	_, err = qr.TemporaryQRCode().Get(ctx, nil)
	wantODataError(t, err, http.StatusNotFound, "itemNotFound")
	tstart := time.Now().UTC().Truncate(time.Second)
	tooLong := models.NewQrCode()
	tooLong.SetStartDateTime(&tstart)
	tooLong.SetExpireDateTime(ptr(tstart.Add(13 * time.Hour)))
	_, err = qr.TemporaryQRCode().Patch(ctx, tooLong, nil)
	wantODataError(t, err, http.StatusBadRequest, "qrCodeLifeTimeExceedLimit")
	tq := models.NewQrCode()
	tq.SetStartDateTime(&tstart)
	tq.SetExpireDateTime(ptr(tstart.Add(8 * time.Hour)))
	tmp, err := qr.TemporaryQRCode().Patch(ctx, tq, nil)
	wantNoError(t, "PATCH temporaryQRCode", err)
	wantImage(t, "PATCH temporaryQRCode", tmp)
	wantTime(t, "temporaryQRCode expireDateTime", tmp.GetExpireDateTime(), tstart.Add(8*time.Hour), 0)
	_, err = qr.TemporaryQRCode().Patch(ctx, tq, nil)
	wantODataError(t, err, http.StatusBadRequest, "ActiveQRCodeExisted")
	got, err := qr.TemporaryQRCode().Get(ctx, nil)
	wantNoError(t, "GET temporaryQRCode", err)
	if got.GetImage() != nil || str(got.GetId()) != str(tmp.GetId()) {
		t.Fatal("GET temporaryQRCode: image shown or another id")
	}

	// GET .../authentication/methods lists the method with its type.
	list, err := c.Users().ByUserId(uid).Authentication().Methods().Get(ctx, nil)
	wantNoError(t, "GET authentication/methods", err)
	found := false
	for _, am := range list.GetValue() {
		if q, ok := am.(models.QrCodePinAuthenticationMethodable); ok && str(q.GetId()) == methodID {
			found = true
		}
	}
	if !found {
		t.Fatalf("authentication/methods (%d entries) lacks the qrCodePinAuthenticationMethod %s", len(list.GetValue()), methodID)
	}

	wantNoError(t, "DELETE temporaryQRCode", qr.TemporaryQRCode().Delete(ctx, nil))
	_, err = qr.TemporaryQRCode().Get(ctx, nil)
	wantODataError(t, err, http.StatusNotFound, "itemNotFound")

	// E3 delete the method.
	wantNoError(t, "DELETE qrCodePinMethod", qr.Delete(ctx, nil))
	_, err = qr.Get(ctx, nil)
	wantODataError(t, err, http.StatusNotFound, "itemNotFound")
}

func testPolicy(t *testing.T, c *msgraph.GraphServiceClient, v string) {
	ctx := ctxT(t)
	pol := c.Policies().AuthenticationMethodsPolicy().AuthenticationMethodConfigurations().ByAuthenticationMethodConfigurationId("qrCodePin")
	check := func(what string, got models.AuthenticationMethodConfigurationable, state models.AuthenticationMethodState, pinLen, days int32, include string) {
		t.Helper()
		q, ok := got.(models.QrCodePinAuthenticationMethodConfigurationable)
		if !ok {
			t.Fatalf("%s: a %T, want the SDK's QrCodePinAuthenticationMethodConfiguration (from @odata.type)", what, got)
		}
		// Beta's id is "QRCodePin" (its documentation says "always
		// QRCodePin"); v1.0's is "qrCodePin".
		if str(q.GetId()) != "QRCodePin" || q.GetState() == nil || *q.GetState() != state ||
			q.GetPinLength() == nil || *q.GetPinLength() != pinLen ||
			q.GetStandardQRCodeLifetimeInDays() == nil || *q.GetStandardQRCodeLifetimeInDays() != days {
			t.Fatalf("%s: id %s state %v pinLength %v lifetime %v", what, str(q.GetId()), q.GetState(), q.GetPinLength(), q.GetStandardQRCodeLifetimeInDays())
		}
		it := q.GetIncludeTargets()
		if len(it) != 1 || str(it[0].GetId()) != include || it[0].GetTargetType() == nil ||
			*it[0].GetTargetType() != models.GROUP_AUTHENTICATIONMETHODTARGETTYPE {
			t.Fatalf("%s: includeTargets %v", what, it)
		}
		if q.GetExcludeTargets() == nil {
			t.Fatalf("%s: excludeTargets missing", what)
		}
	}
	// E11 defaults (spec D12).
	got, err := pol.Get(ctx, nil)
	wantNoError(t, "GET policy", err)
	check("GET policy (defaults)", got, models.DISABLED_AUTHENTICATIONMETHODSTATE, 8, 365, "all_users")

	// E12 update, with a group target; 200 + the updated object.
	g := models.NewGroup()
	g.SetDisplayName(ptr("QR users " + v))
	g.SetMailNickname(ptr("qrusers" + strings.ReplaceAll(v, ".", "")))
	grp, err := c.Groups().Post(ctx, g, nil)
	wantNoError(t, "POST /groups", err)
	body := models.NewQrCodePinAuthenticationMethodConfiguration()
	body.SetState(ptr(models.ENABLED_AUTHENTICATIONMETHODSTATE))
	body.SetPinLength(ptr(int32(10)))
	body.SetStandardQRCodeLifetimeInDays(ptr(int32(200)))
	target := models.NewAuthenticationMethodTarget()
	target.SetId(grp.GetId())
	target.SetTargetType(ptr(models.GROUP_AUTHENTICATIONMETHODTARGETTYPE))
	target.SetIsRegistrationRequired(ptr(false))
	body.SetIncludeTargets([]models.AuthenticationMethodTargetable{target})
	body.SetExcludeTargets([]models.ExcludeTargetable{})
	got, err = pol.Patch(ctx, body, nil)
	wantNoError(t, "PATCH policy", err)
	if got == nil {
		t.Fatal("PATCH policy answered no object")
	}
	check("PATCH policy", got, models.ENABLED_AUTHENTICATIONMETHODSTATE, 10, 200, str(grp.GetId()))
	got, err = pol.Get(ctx, nil)
	wantNoError(t, "GET policy", err)
	check("GET policy (updated)", got, models.ENABLED_AUTHENTICATIONMETHODSTATE, 10, 200, str(grp.GetId()))

	// The policy's pinLength governs generated PINs.
	uid := createUser(t, c, "fay@policy-"+strings.ReplaceAll(v, ".", "")+".contoso.com", "Fay Frontline")
	m := models.NewQrCodePinAuthenticationMethod()
	m.SetStandardQRCode(models.NewQrCode())
	created, err := putMethod(ctx, c, uid, m, nil)
	wantNoError(t, "PUT qrCodePinMethod (generated PIN)", err)
	if created.GetPin() == nil || len(str(created.GetPin().GetCode())) != 10 {
		t.Fatalf("generated PIN under pinLength 10: %q", str(created.GetPin().GetCode()))
	}
	wantTime(t, "default standard expiry (200 days)", created.GetStandardQRCode().GetExpireDateTime(),
		*created.GetStandardQRCode().GetStartDateTime(), 200*24*time.Hour+time.Minute)

	// Out of range: 400.
	bad := models.NewQrCodePinAuthenticationMethodConfiguration()
	bad.SetPinLength(ptr(int32(7)))
	_, err = pol.Patch(ctx, bad, nil)
	wantODataError(t, err, http.StatusBadRequest, "BadRequest")

	// E13 delete: back to the defaults.
	wantNoError(t, "DELETE policy", pol.Delete(ctx, nil))
	got, err = pol.Get(ctx, nil)
	wantNoError(t, "GET policy", err)
	check("GET policy (after DELETE)", got, models.DISABLED_AUTHENTICATIONMETHODSTATE, 8, 365, "all_users")
}

// testErrors checks the documented error cases surface as ODataError with
// the right code, request id, and the client's client-request-id echoed.
func testErrors(t *testing.T, s *server, c *msgraph.GraphServiceClient, v string) {
	ctx := ctxT(t)
	uid := createUser(t, c, "gus@errors-"+strings.ReplaceAll(v, ".", "")+".contoso.com", "Gus Frontline")
	body := models.NewQrCodePinAuthenticationMethod()
	body.SetStandardQRCode(models.NewQrCode())
	pn := models.NewQrPin()
	pn.SetCode(ptr("48150392"))
	body.SetPin(pn)
	_, err := putMethod(ctx, c, uid, body, nil)
	wantNoError(t, "PUT qrCodePinMethod", err)

	// Create twice: 400 tooManyQRCodePinMethod, with our client-request-id echoed.
	const crid = "9c1f6f0e-2b1d-4c4e-8d0a-5f3e2a1b0c9d"
	_, err = putMethod(ctx, c, uid, body, map[string]string{"client-request-id": crid})
	oe := wantODataError(t, err, http.StatusBadRequest, "tooManyQRCodePinMethod")
	if got := oe.clientRequestID; got != crid {
		t.Fatalf("innerError.client-request-id %q, want the client's %q", got, crid)
	}

	// PUT without a standard QR code: standardQRCodeRequired.
	uid2 := createUser(t, c, "hal@errors-"+strings.ReplaceAll(v, ".", "")+".contoso.com", "Hal Frontline")
	noStd := models.NewQrCodePinAuthenticationMethod()
	noStd.SetPin(pn)
	_, err = putMethod(ctx, c, uid2, noStd, nil)
	wantODataError(t, err, http.StatusBadRequest, "standardQRCodeRequired")
	// A short PIN: pinTooShort. A periodic PIN: invalidPin.
	short := models.NewQrCodePinAuthenticationMethod()
	short.SetStandardQRCode(models.NewQrCode())
	sp := models.NewQrPin()
	sp.SetCode(ptr("1234"))
	short.SetPin(sp)
	_, err = putMethod(ctx, c, uid2, short, nil)
	wantODataError(t, err, http.StatusBadRequest, "pinTooShort")
	sp.SetCode(ptr("12121212"))
	_, err = putMethod(ctx, c, uid2, short, nil)
	wantODataError(t, err, http.StatusBadRequest, "invalidPin")

	// A user who does not exist.
	_, err = c.Users().ByUserId("nobody@errors.contoso.com").Authentication().QrCodePinMethod().Get(ctx, nil)
	wantODataError(t, err, http.StatusNotFound, "Request_ResourceNotFound")

	// A wrong client secret: azidentity reports Entra's error, and the SDK
	// gets no token (so no request reaches the API).
	bad := s.client(t, v, s.appCredential(t, "wrong-secret"))
	_, err = bad.Users().Get(ctx, nil)
	var authErr *azidentity.AuthenticationFailedError
	if !errors.As(err, &authErr) || authErr.RawResponse == nil || authErr.RawResponse.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a wrong secret: %v", err)
	}
	// A token qrpin did not sign: 401 InvalidAuthenticationToken.
	forged := s.client(t, v, staticToken("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."))
	_, err = forged.Users().Get(ctx, nil)
	wantODataError(t, err, http.StatusUnauthorized, "InvalidAuthenticationToken")
	// An application token on /me: 403 accessDenied.
	_, err = c.Me().Authentication().QrCodePinMethod().Get(ctx, nil)
	wantODataError(t, err, http.StatusForbidden, "accessDenied")
}

// TestGoSDKGzipRequestBodies pins down that the SDK's compressed request
// bodies (Content-Encoding: gzip, its default) reach qrpin intact.
func TestGoSDKGzipRequestBodies(t *testing.T) {
	s := startServer(t)
	c := s.client(t, "beta", s.appCredential(t, s.creds.ClientSecret))
	u := models.NewUser()
	u.SetUserPrincipalName(ptr("gzip@contoso.com"))
	u.SetDisplayName(ptr("Gzip Body"))
	created, err := c.Users().Post(ctxT(t), u, nil)
	wantNoError(t, "POST /users with a gzipped body", err)
	if got := str(created.GetUserPrincipalName()); got != "gzip@contoso.com" {
		t.Fatalf("created user %q", got)
	}
}
