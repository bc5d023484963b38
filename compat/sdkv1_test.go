package compat

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoft/kiota-abstractions-go/serialization"
	"github.com/microsoft/kiota-abstractions-go/store"
	kiotaazure "github.com/microsoft/kiota-authentication-azure-go"
	khttp "github.com/microsoft/kiota-http-go"
	kiotajson "github.com/microsoft/kiota-serialization-json-go"
	kiotatext "github.com/microsoft/kiota-serialization-text-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	applicationsv1 "github.com/microsoftgraph/msgraph-sdk-go/applications"
	groupsv1 "github.com/microsoftgraph/msgraph-sdk-go/groups"
	modelsv1 "github.com/microsoftgraph/msgraph-sdk-go/models"
	v1errors "github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	policiesv1 "github.com/microsoftgraph/msgraph-sdk-go/policies"
	reportsv1 "github.com/microsoftgraph/msgraph-sdk-go/reports"
	rolemanagementv1 "github.com/microsoftgraph/msgraph-sdk-go/rolemanagement"
	serviceprincipalsv1 "github.com/microsoftgraph/msgraph-sdk-go/serviceprincipals"
	usersv1 "github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/qrpin/qrpin/pin"
)

// graphV1 is the v1.0 SDK's client for the server's /v1.0, put together as
// the SDK's GraphServiceClient puts itself together (its request adapter
// from msgraph-sdk-go-core with the SDK's client options, kiota's JSON and
// text serializers, a backing store), with the request builders of the
// paths the tests use. The tests do not import the SDK's root package: it
// aggregates the builders of the whole of Graph (drives, sites, teams,
// identity governance, security, ...), which would more than double the
// cold build.
type graphV1 struct {
	adapter abstractions.RequestAdapter
}

// v1ClientOptions are the SDK's own (msgraphsdkgo.GetDefaultClientOptions):
// v1.0 sends no service version in its telemetry header.
var v1ClientOptions = msgraphcore.GraphClientOptions{GraphServiceLibraryVersion: "1.103.0"}

// clientV1 is the v1.0 SDK's client with its default middleware (retry,
// redirect, telemetry, request compression, /me rewriting, ...) over a
// transport that trusts the dev certificate.
func (s *server) clientV1(t *testing.T, cred azcore.TokenCredential) *graphV1 {
	t.Helper()
	auth, err := kiotaazure.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(cred,
		[]string{graphScope}, []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	opts := v1ClientOptions
	mw := msgraphcore.GetDefaultMiddlewaresWithOptions(&opts)
	hc := &http.Client{Transport: khttp.NewCustomTransportWithParentTransport(s.transport(), mw...)}
	adapter, err := msgraphcore.NewGraphRequestAdapterBaseWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(
		auth, v1ClientOptions, nil, nil, hc)
	if err != nil {
		t.Fatal(err)
	}
	abstractions.RegisterDefaultSerializer(func() serialization.SerializationWriterFactory {
		return kiotajson.NewJsonSerializationWriterFactory()
	})
	abstractions.RegisterDefaultSerializer(func() serialization.SerializationWriterFactory {
		return kiotatext.NewTextSerializationWriterFactory()
	})
	abstractions.RegisterDefaultDeserializer(func() serialization.ParseNodeFactory { return kiotajson.NewJsonParseNodeFactory() })
	abstractions.RegisterDefaultDeserializer(func() serialization.ParseNodeFactory { return kiotatext.NewTextParseNodeFactory() })
	adapter.SetBaseUrl(s.url + "/v1.0")
	adapter.EnableBackingStore(store.BackingStoreFactoryInstance)
	return &graphV1{adapter: adapter}
}

// GetAdapter is the client's request adapter.
func (g *graphV1) GetAdapter() abstractions.RequestAdapter { return g.adapter }

func (g *graphV1) path() map[string]string {
	return map[string]string{"baseurl": g.adapter.GetBaseUrl()}
}

func (g *graphV1) Users() *usersv1.UsersRequestBuilder {
	return usersv1.NewUsersRequestBuilderInternal(g.path(), g.adapter)
}

func (g *graphV1) Groups() *groupsv1.GroupsRequestBuilder {
	return groupsv1.NewGroupsRequestBuilderInternal(g.path(), g.adapter)
}

func (g *graphV1) Policies() *policiesv1.PoliciesRequestBuilder {
	return policiesv1.NewPoliciesRequestBuilderInternal(g.path(), g.adapter)
}

func (g *graphV1) Reports() *reportsv1.ReportsRequestBuilder {
	return reportsv1.NewReportsRequestBuilderInternal(g.path(), g.adapter)
}

func (g *graphV1) Applications() *applicationsv1.ApplicationsRequestBuilder {
	return applicationsv1.NewApplicationsRequestBuilderInternal(g.path(), g.adapter)
}

func (g *graphV1) ServicePrincipals() *serviceprincipalsv1.ServicePrincipalsRequestBuilder {
	return serviceprincipalsv1.NewServicePrincipalsRequestBuilderInternal(g.path(), g.adapter)
}

func (g *graphV1) RoleManagement() *rolemanagementv1.RoleManagementRequestBuilder {
	return rolemanagementv1.NewRoleManagementRequestBuilderInternal(g.path(), g.adapter)
}

// v1Send sends a request the v1.0 SDK (v1.103.0) has no request builder
// for: it has the QR code + PIN models, but nothing under
// /users/{id}/authentication/qrCodePinMethod, nor DELETE on a generic
// authentication method. The request is built as the SDK's generated
// builders build theirs: a RequestInformation on a URL template under
// {+baseurl} whose path parameters the SDK escapes, the body written by the
// SDK's JSON serializer, sent by its request adapter (with its middleware)
// and errors mapped to its ODataError. With create nil the answer must have
// no content.
func v1Send(ctx context.Context, c *graphV1, method abstractions.HttpMethod, template string,
	params map[string]string, body serialization.Parsable, create serialization.ParsableFactory,
	headers map[string]string, opts ...abstractions.RequestOption) (serialization.Parsable, error) {
	ri := abstractions.NewRequestInformationWithMethodAndUrlTemplateAndPathParameters(method, "{+baseurl}"+template, params)
	ri.Headers.TryAdd("Accept", "application/json")
	for k, v := range headers {
		ri.Headers.Add(k, v)
	}
	ri.AddRequestOptions(opts)
	if body != nil {
		if err := ri.SetContentFromParsable(ctx, c.GetAdapter(), "application/json", body); err != nil {
			return nil, err
		}
	}
	mapping := abstractions.ErrorMappings{"XXX": v1errors.CreateODataErrorFromDiscriminatorValue}
	if create == nil {
		return nil, c.GetAdapter().SendNoContent(ctx, ri, mapping)
	}
	res, err := c.GetAdapter().Send(ctx, ri, create, mapping)
	if err != nil {
		return nil, err
	}
	if res == nil {
		return nil, errors.New(method.String() + " " + template + " answered no body")
	}
	return res, nil
}

// qrV1 is one user's /authentication/qrCodePinMethod through the v1.0
// SDK's models and request adapter (see v1Send).
type qrV1 struct {
	c    *graphV1
	base string // URL template of the method
	user map[string]string
}

func qrMethodV1(c *graphV1, user string) qrV1 {
	return qrV1{c: c, base: "/users/{user%2Did}/authentication/qrCodePinMethod", user: map[string]string{"user%2Did": user}}
}

// meQRV1 is /me/authentication/qrCodePinMethod.
func meQRV1(c *graphV1) qrV1 {
	return qrV1{c: c, base: "/me/authentication/qrCodePinMethod", user: map[string]string{}}
}

func (q qrV1) put(ctx context.Context, body modelsv1.QrCodePinAuthenticationMethodable, headers map[string]string,
	opts ...abstractions.RequestOption) (modelsv1.QrCodePinAuthenticationMethodable, error) {
	res, err := v1Send(ctx, q.c, abstractions.PUT, q.base, q.user, body, modelsv1.CreateQrCodePinAuthenticationMethodFromDiscriminatorValue, headers, opts...)
	if err != nil {
		return nil, err
	}
	return res.(modelsv1.QrCodePinAuthenticationMethodable), nil
}

func (q qrV1) get(ctx context.Context) (modelsv1.QrCodePinAuthenticationMethodable, error) {
	res, err := v1Send(ctx, q.c, abstractions.GET, q.base, q.user, nil, modelsv1.CreateQrCodePinAuthenticationMethodFromDiscriminatorValue, nil)
	if err != nil {
		return nil, err
	}
	return res.(modelsv1.QrCodePinAuthenticationMethodable), nil
}

func (q qrV1) delete(ctx context.Context, sub string) error {
	_, err := v1Send(ctx, q.c, abstractions.DELETE, q.base+sub, q.user, nil, nil, nil)
	return err
}

// code is GET (body nil) or PATCH of standardQRCode or temporaryQRCode.
func (q qrV1) code(ctx context.Context, kind string, body modelsv1.QrCodeable) (modelsv1.QrCodeable, error) {
	method := abstractions.GET
	if body != nil {
		method = abstractions.PATCH
	}
	res, err := v1Send(ctx, q.c, method, q.base+"/"+kind, q.user, body, modelsv1.CreateQrCodeFromDiscriminatorValue, nil)
	if err != nil {
		return nil, err
	}
	return res.(modelsv1.QrCodeable), nil
}

// pin is GET (body nil) or PATCH (the admin reset) of the method's pin.
func (q qrV1) pin(ctx context.Context, body modelsv1.QrPinable) (modelsv1.QrPinable, error) {
	method := abstractions.GET
	if body != nil {
		method = abstractions.PATCH
	}
	res, err := v1Send(ctx, q.c, method, q.base+"/pin", q.user, body, modelsv1.CreateQrPinFromDiscriminatorValue, nil)
	if err != nil {
		return nil, err
	}
	return res.(modelsv1.QrPinable), nil
}

// updatePin is POST .../pin/updatePin (204).
func (q qrV1) updatePin(ctx context.Context, current, next string) error {
	_, err := v1Send(ctx, q.c, abstractions.POST, q.base+"/pin/updatePin", q.user, updatePinBody{current, next}, nil, nil)
	return err
}

// updatePinBody is updatePin's request body, for which the v1.0 SDK has no
// model; the SDK's JSON serializer writes it.
type updatePinBody struct{ currentPin, newPin string }

func (b updatePinBody) Serialize(w serialization.SerializationWriter) error {
	if err := w.WriteStringValue("currentPin", &b.currentPin); err != nil {
		return err
	}
	return w.WriteStringValue("newPin", &b.newPin)
}

func (updatePinBody) GetFieldDeserializers() map[string]func(serialization.ParseNode) error {
	return map[string]func(serialization.ParseNode) error{}
}

// wantModelFields checks that the v1.0 SDK's models know every property
// qrpin sent: kiota keeps what a model lacks in its AdditionalData, where
// only annotations may be (names with an "@": "@odata.context",
// "includeTargets@odata.context"; OData property names have none).
func wantModelFields(t *testing.T, what string, objs ...serialization.AdditionalDataHolder) {
	t.Helper()
	for _, o := range objs {
		if o == nil {
			continue
		}
		var extra []string
		for k := range o.GetAdditionalData() {
			if !strings.Contains(k, "@") {
				extra = append(extra, k)
			}
		}
		if len(extra) > 0 {
			sort.Strings(extra)
			t.Fatalf("%s: the v1.0 SDK's %T has no properties %v that qrpin sent", what, o, extra)
		}
	}
}

// wantMethodFields checks wantModelFields on a method and its parts.
func wantMethodFields(t *testing.T, what string, m modelsv1.QrCodePinAuthenticationMethodable) {
	t.Helper()
	objs := []serialization.AdditionalDataHolder{m}
	for _, q := range []modelsv1.QrCodeable{m.GetStandardQRCode(), m.GetTemporaryQRCode()} {
		if q != nil {
			objs = append(objs, q)
			if q.GetImage() != nil {
				objs = append(objs, q.GetImage())
			}
		}
	}
	if m.GetPin() != nil {
		objs = append(objs, m.GetPin())
	}
	wantModelFields(t, what, objs...)
}

// wantImageV1 checks a qrCode's one-time image.
func wantImageV1(t *testing.T, what string, q modelsv1.QrCodeable) {
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

// createUserV1 creates a user through the v1.0 SDK and returns its id.
func createUserV1(t *testing.T, c *graphV1, upn, name string) string {
	t.Helper()
	u := modelsv1.NewUser()
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

// TestGoSDKv1 drives, with Microsoft Graph's v1.0 Go SDK on /v1.0, every
// endpoint TestGoSDK drives with the beta SDK on /beta: users, groups, the
// QR code + PIN method, the tenant policy and the documented errors. The
// SDK's typed models parse every answer, and know every property qrpin
// sends on the QR code + PIN resources and the policy.
func TestGoSDKv1(t *testing.T) {
	s := startServer(t)
	c := s.clientV1(t, s.appCredential(t, s.creds.ClientSecret))
	t.Run("Users", func(t *testing.T) { testUsersV1(t, c) })
	t.Run("Groups", func(t *testing.T) { testGroupsV1(t, s, c) })
	t.Run("Method", func(t *testing.T) { testMethodV1(t, s, c) })
	t.Run("Policy", func(t *testing.T) { testPolicyV1(t, c) })
	t.Run("Errors", func(t *testing.T) { testErrorsV1(t, s, c) })
	t.Run("MethodsPolicy", func(t *testing.T) { testMethodsPolicyV1(t, c) })
	t.Run("MethodByID", func(t *testing.T) { testMethodByIDV1(t, s, c) })
	t.Run("Batch", func(t *testing.T) { testBatchV1(t, c) })
	t.Run("EmployeeID", func(t *testing.T) { testEmployeeIDV1(t, c) })
	t.Run("Reports", func(t *testing.T) { testReportsV1(t, c) })
}

func testUsersV1(t *testing.T, c *graphV1) {
	ctx := ctxT(t)
	const dom = "@users-v1.contoso.com"
	ids := map[string]string{}
	for _, n := range []string{"ana", "ben", "cai"} {
		ids[createUserV1(t, c, n+dom, strings.ToUpper(n[:1])+n[1:]+" Frontline")] = n
	}
	for id, n := range ids {
		u, err := c.Users().ByUserId(id).Get(ctx, nil)
		wantNoError(t, "GET /users/{id}", err)
		if str(u.GetId()) != id || str(u.GetUserPrincipalName()) != n+dom {
			t.Fatalf("GET /users/%s: id %s upn %s", id, str(u.GetId()), str(u.GetUserPrincipalName()))
		}
		wantModelFields(t, "GET /users/{id}", u)
		u, err = c.Users().ByUserId(n+dom).Get(ctx, nil)
		wantNoError(t, "GET /users/{upn}", err)
		if str(u.GetId()) != id {
			t.Fatalf("GET /users/%s: id %s, want %s", n+dom, str(u.GetId()), id)
		}
	}
	first, err := c.Users().Get(ctx, &usersv1.UsersRequestBuilderGetRequestConfiguration{
		QueryParameters: &usersv1.UsersRequestBuilderGetQueryParameters{Top: ptr(int32(2))}})
	wantNoError(t, "GET /users?$top=2", err)
	if len(first.GetValue()) != 2 || first.GetOdataNextLink() == nil {
		t.Fatalf("GET /users?$top=2: %d users, nextLink %s", len(first.GetValue()), str(first.GetOdataNextLink()))
	}
	wantModelFields(t, "GET /users?$top=2", first)
	it, err := msgraphcore.NewPageIterator[modelsv1.Userable](first, c.GetAdapter(), modelsv1.CreateUserCollectionResponseFromDiscriminatorValue)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	err = it.Iterate(ctx, func(u modelsv1.Userable) bool {
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
	var anaID string
	for id, n := range ids {
		if n == "ana" {
			anaID = id
		}
	}
	patch := modelsv1.NewUser()
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

func testGroupsV1(t *testing.T, s *server, c *graphV1) {
	ctx := ctxT(t)
	uid := createUserV1(t, c, "dee@groups-v1.contoso.com", "Dee Frontline")
	g := modelsv1.NewGroup()
	g.SetDisplayName(ptr("Store 12 frontline v1.0"))
	g.SetMailNickname(ptr("store12v1"))
	g.SetSecurityEnabled(ptr(true))
	g.SetMailEnabled(ptr(false))
	created, err := c.Groups().Post(ctx, g, nil)
	wantNoError(t, "POST /groups", err)
	gid := str(created.GetId())
	if gid == "" || gid == "<nil>" || str(created.GetDisplayName()) != "Store 12 frontline v1.0" {
		t.Fatalf("POST /groups: id %s name %s", gid, str(created.GetDisplayName()))
	}
	got, err := c.Groups().ByGroupId(gid).Get(ctx, nil)
	wantNoError(t, "GET /groups/{id}", err)
	if str(got.GetId()) != gid {
		t.Fatalf("GET /groups/%s: id %s", gid, str(got.GetId()))
	}
	wantModelFields(t, "GET /groups/{id}", got)
	list, err := c.Groups().Get(ctx, nil)
	wantNoError(t, "GET /groups", err)
	found := false
	for _, x := range list.GetValue() {
		found = found || str(x.GetId()) == gid
	}
	if !found {
		t.Fatalf("group %s missing from GET /groups", gid)
	}

	ref := modelsv1.NewReferenceCreate()
	ref.SetOdataId(ptr(s.url + "/v1.0/directoryObjects/" + uid))
	members := func(want int) {
		t.Helper()
		m, err := c.Groups().ByGroupId(gid).Members().Get(ctx, nil)
		wantNoError(t, "GET /groups/{id}/members", err)
		if len(m.GetValue()) != want {
			t.Fatalf("group has %d members, want %d", len(m.GetValue()), want)
		}
		if want == 1 {
			if _, ok := m.GetValue()[0].(modelsv1.Userable); !ok || str(m.GetValue()[0].GetId()) != uid {
				t.Fatalf("member is a %T %s, want the SDK's User %s (from @odata.type)", m.GetValue()[0], str(m.GetValue()[0].GetId()), uid)
			}
		}
	}
	wantNoError(t, "POST /groups/{id}/members/$ref", c.Groups().ByGroupId(gid).Members().Ref().Post(ctx, ref, nil))
	members(1)
	wantNoError(t, "DELETE /groups/{id}/members/{id}/$ref", c.Groups().ByGroupId(gid).Members().ByDirectoryObjectId(uid).Ref().Delete(ctx, nil))
	members(0)
	wantNoError(t, "POST /groups/{id}/members/$ref", c.Groups().ByGroupId(gid).Members().Ref().Post(ctx, ref, nil))
	members(1)
	wantNoError(t, "DELETE /groups/{id}/members/$ref?@id=", c.Groups().ByGroupId(gid).Members().Ref().Delete(ctx,
		&groupsv1.ItemMembersRefRequestBuilderDeleteRequestConfiguration{
			QueryParameters: &groupsv1.ItemMembersRefRequestBuilderDeleteQueryParameters{Id: ref.GetOdataId()},
		}))
	members(0)
	wantNoError(t, "DELETE /groups/{id}", c.Groups().ByGroupId(gid).Delete(ctx, nil))
	_, err = c.Groups().ByGroupId(gid).Get(ctx, nil)
	wantODataError(t, err, http.StatusNotFound, "Request_ResourceNotFound")
}

func testMethodV1(t *testing.T, s *server, c *graphV1) {
	ctx := ctxT(t)
	const upn = "eva@method-v1.contoso.com"
	uid := createUserV1(t, c, upn, "Eva Frontline")
	qr := qrMethodV1(c, uid)
	before := time.Now()

	// E2 create (PUT): a standard QR code with explicit dates and a PIN.
	start := time.Now().UTC().Truncate(time.Second)
	expire := start.Add(30 * 24 * time.Hour)
	body := modelsv1.NewQrCodePinAuthenticationMethod()
	std := modelsv1.NewQrCode()
	std.SetStartDateTime(&start)
	std.SetExpireDateTime(&expire)
	body.SetStandardQRCode(std)
	p := modelsv1.NewQrPin()
	p.SetCode(ptr("48150392"))
	body.SetPin(p)
	m, err := qr.put(ctx, body, nil)
	wantNoError(t, "PUT qrCodePinMethod", err)
	wantMethodFields(t, "PUT qrCodePinMethod", m)
	methodID := str(m.GetId())
	if methodID == "" || methodID == "<nil>" {
		t.Fatal("PUT: no id")
	}
	wantTime(t, "method createdDateTime", m.GetCreatedDateTime(), before, time.Minute)
	if m.GetStandardQRCode() == nil {
		t.Fatal("PUT: standardQRCode is null")
	}
	wantImageV1(t, "PUT standardQRCode", m.GetStandardQRCode())
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
	m, err = qr.get(ctx)
	wantNoError(t, "GET qrCodePinMethod", err)
	wantMethodFields(t, "GET qrCodePinMethod", m)
	if str(m.GetId()) != methodID || m.GetStandardQRCode() == nil || m.GetStandardQRCode().GetImage() != nil ||
		m.GetPin() == nil || m.GetPin().GetCode() != nil {
		t.Fatalf("GET qrCodePinMethod: id %s, standard %v, pin %v", str(m.GetId()), m.GetStandardQRCode(), m.GetPin())
	}
	wantTime(t, "GET standardQRCode expireDateTime", m.GetStandardQRCode().GetExpireDateTime(), expire, 0)

	// GET pin: no code, still temporary.
	qp, err := qr.pin(ctx, nil)
	wantNoError(t, "GET pin", err)
	wantModelFields(t, "GET pin", qp)
	if qp.GetCode() != nil || qp.GetForceChangePinNextSignIn() == nil || !*qp.GetForceChangePinNextSignIn() {
		t.Fatalf("GET pin: code %s force %v", str(qp.GetCode()), qp.GetForceChangePinNextSignIn())
	}

	// E9 admin reset with the documentation's body: a new PIN is
	// generated (the code sent is ignored).
	reset := modelsv1.NewQrPin()
	reset.SetCode(ptr("09599786"))
	qp, err = qr.pin(ctx, reset)
	wantNoError(t, "PATCH pin (reset)", err)
	wantModelFields(t, "PATCH pin (reset)", qp)
	code := str(qp.GetCode())
	if err := pin.Check(code, 8); err != nil || code == "09599786" {
		t.Fatalf("reset PIN %q: %v", code, err)
	}
	if qp.GetForceChangePinNextSignIn() == nil || !*qp.GetForceChangePinNextSignIn() {
		t.Fatal("reset: forceChangePinNextSignIn is not true")
	}
	wantTime(t, "reset pin createdDateTime", qp.GetCreatedDateTime(), *pinCreated, time.Minute)
	wantTime(t, "reset pin updatedDateTime", qp.GetUpdatedDateTime(), time.Now(), time.Minute)
	if qp.GetUpdatedDateTime().Before(*qp.GetCreatedDateTime()) {
		t.Fatal("reset: updatedDateTime before createdDateTime")
	}

	// DELETE pin: the PIN goes only with the method (405).
	err = qr.delete(ctx, "/pin")
	wantODataError(t, err, http.StatusMethodNotAllowed, odataCodeOf(t, err))

	// E10 updatePin, as the user (/me, a delegated token from `qrpin token`).
	me := meQRV1(s.clientV1(t, staticToken(s.userToken(t, upn, "UserAuthMethod-QR.ReadWrite"))))
	wrong := "11223344"
	if code == wrong {
		wrong = "44332211"
	}
	wantODataError(t, me.updatePin(ctx, wrong, "36918207"), http.StatusBadRequest, "incorrectPin")
	wantNoError(t, "POST /me/.../pin/updatePin", me.updatePin(ctx, code, "36918207"))
	qp, err = qr.pin(ctx, nil)
	wantNoError(t, "GET pin", err)
	if qp.GetForceChangePinNextSignIn() == nil || *qp.GetForceChangePinNextSignIn() {
		t.Fatal("after updatePin: forceChangePinNextSignIn is not false")
	}
	// An application may not change a user's PIN (delegated only).
	wantODataError(t, qr.updatePin(ctx, "36918207", "52739164"), http.StatusForbidden, "accessDenied")

	// E4/E6/E8/E5 standard QR code: get, move expiry (200, no image),
	// delete, create again (201, image).
	sq, err := qr.code(ctx, "standardQRCode", nil)
	wantNoError(t, "GET standardQRCode", err)
	wantModelFields(t, "GET standardQRCode", sq)
	if sq.GetImage() != nil || sq.GetId() == nil {
		t.Fatal("GET standardQRCode: image shown or no id")
	}
	later := start.Add(100 * 24 * time.Hour)
	upExp := modelsv1.NewQrCode()
	upExp.SetExpireDateTime(&later)
	sq, err = qr.code(ctx, "standardQRCode", upExp)
	wantNoError(t, "PATCH standardQRCode (expiry)", err)
	wantModelFields(t, "PATCH standardQRCode (expiry)", sq)
	if sq.GetImage() != nil {
		t.Fatal("PATCH standardQRCode (update): an image")
	}
	wantTime(t, "updated expireDateTime", sq.GetExpireDateTime(), later, 0)
	wantTime(t, "updated startDateTime", sq.GetStartDateTime(), start, 0)
	wantNoError(t, "DELETE standardQRCode", qr.delete(ctx, "/standardQRCode"))
	_, err = qr.code(ctx, "standardQRCode", nil)
	wantODataError(t, err, http.StatusNotFound, "itemNotFound")
	nstart := time.Now().UTC().Truncate(time.Second)
	nq := modelsv1.NewQrCode()
	nq.SetStartDateTime(&nstart)
	nq.SetExpireDateTime(ptr(nstart.Add(365 * 24 * time.Hour)))
	sq, err = qr.code(ctx, "standardQRCode", nq)
	wantNoError(t, "PATCH standardQRCode (create)", err)
	wantModelFields(t, "PATCH standardQRCode (create)", sq, sq.GetImage())
	wantImageV1(t, "PATCH standardQRCode (create)", sq)

	// E7/E4/E8 temporary QR code: none yet; over 12 hours refused; create;
	// a second refused; get; delete.
	_, err = qr.code(ctx, "temporaryQRCode", nil)
	wantODataError(t, err, http.StatusNotFound, "itemNotFound")
	tstart := time.Now().UTC().Truncate(time.Second)
	tooLong := modelsv1.NewQrCode()
	tooLong.SetStartDateTime(&tstart)
	tooLong.SetExpireDateTime(ptr(tstart.Add(13 * time.Hour)))
	_, err = qr.code(ctx, "temporaryQRCode", tooLong)
	wantODataError(t, err, http.StatusBadRequest, "qrCodeLifeTimeExceedLimit")
	tq := modelsv1.NewQrCode()
	tq.SetStartDateTime(&tstart)
	tq.SetExpireDateTime(ptr(tstart.Add(8 * time.Hour)))
	tmp, err := qr.code(ctx, "temporaryQRCode", tq)
	wantNoError(t, "PATCH temporaryQRCode", err)
	wantModelFields(t, "PATCH temporaryQRCode", tmp, tmp.GetImage())
	wantImageV1(t, "PATCH temporaryQRCode", tmp)
	wantTime(t, "temporaryQRCode expireDateTime", tmp.GetExpireDateTime(), tstart.Add(8*time.Hour), 0)
	_, err = qr.code(ctx, "temporaryQRCode", tq)
	wantODataError(t, err, http.StatusBadRequest, "ActiveQRCodeExisted")
	got, err := qr.code(ctx, "temporaryQRCode", nil)
	wantNoError(t, "GET temporaryQRCode", err)
	if got.GetImage() != nil || str(got.GetId()) != str(tmp.GetId()) {
		t.Fatal("GET temporaryQRCode: image shown or another id")
	}

	// GET .../authentication/methods (the SDK's builder) lists the method
	// typed from its @odata.type.
	list, err := c.Users().ByUserId(uid).Authentication().Methods().Get(ctx, nil)
	wantNoError(t, "GET authentication/methods", err)
	found := false
	for _, am := range list.GetValue() {
		if q, ok := am.(modelsv1.QrCodePinAuthenticationMethodable); ok && str(q.GetId()) == methodID {
			found = true
			wantMethodFields(t, "GET authentication/methods", q)
		}
	}
	if !found {
		t.Fatalf("authentication/methods (%d entries) lacks the qrCodePinAuthenticationMethod %s", len(list.GetValue()), methodID)
	}

	wantNoError(t, "DELETE temporaryQRCode", qr.delete(ctx, "/temporaryQRCode"))
	_, err = qr.code(ctx, "temporaryQRCode", nil)
	wantODataError(t, err, http.StatusNotFound, "itemNotFound")

	// E3 delete the method.
	wantNoError(t, "DELETE qrCodePinMethod", qr.delete(ctx, ""))
	_, err = qr.get(ctx)
	wantODataError(t, err, http.StatusNotFound, "itemNotFound")
}

func testPolicyV1(t *testing.T, c *graphV1) {
	ctx := ctxT(t)
	pol := c.Policies().AuthenticationMethodsPolicy().AuthenticationMethodConfigurations().ByAuthenticationMethodConfigurationId("qrCodePin")
	check := func(what string, got modelsv1.AuthenticationMethodConfigurationable, state modelsv1.AuthenticationMethodState, pinLen, days int32, include string) {
		t.Helper()
		q, ok := got.(modelsv1.QrCodePinAuthenticationMethodConfigurationable)
		if !ok {
			t.Fatalf("%s: a %T, want the SDK's QrCodePinAuthenticationMethodConfiguration (from @odata.type)", what, got)
		}
		if str(q.GetId()) != "qrCodePin" || q.GetState() == nil || *q.GetState() != state ||
			q.GetPinLength() == nil || *q.GetPinLength() != pinLen ||
			q.GetStandardQRCodeLifetimeInDays() == nil || *q.GetStandardQRCodeLifetimeInDays() != days {
			t.Fatalf("%s: id %s state %v pinLength %v lifetime %v", what, str(q.GetId()), q.GetState(), q.GetPinLength(), q.GetStandardQRCodeLifetimeInDays())
		}
		it := q.GetIncludeTargets()
		if len(it) != 1 || str(it[0].GetId()) != include || it[0].GetTargetType() == nil ||
			*it[0].GetTargetType() != modelsv1.GROUP_AUTHENTICATIONMETHODTARGETTYPE {
			t.Fatalf("%s: includeTargets %v", what, it)
		}
		if q.GetExcludeTargets() == nil {
			t.Fatalf("%s: excludeTargets missing", what)
		}
		objs := []serialization.AdditionalDataHolder{q, it[0]}
		for _, x := range q.GetExcludeTargets() {
			objs = append(objs, x)
		}
		wantModelFields(t, what, objs...)
	}
	got, err := pol.Get(ctx, nil)
	wantNoError(t, "GET policy", err)
	check("GET policy (defaults)", got, modelsv1.DISABLED_AUTHENTICATIONMETHODSTATE, 8, 365, "all_users")

	g := modelsv1.NewGroup()
	g.SetDisplayName(ptr("QR users v1.0"))
	g.SetMailNickname(ptr("qrusersv1"))
	grp, err := c.Groups().Post(ctx, g, nil)
	wantNoError(t, "POST /groups", err)
	body := modelsv1.NewQrCodePinAuthenticationMethodConfiguration()
	body.SetState(ptr(modelsv1.ENABLED_AUTHENTICATIONMETHODSTATE))
	body.SetPinLength(ptr(int32(10)))
	body.SetStandardQRCodeLifetimeInDays(ptr(int32(200)))
	target := modelsv1.NewAuthenticationMethodTarget()
	target.SetId(grp.GetId())
	target.SetTargetType(ptr(modelsv1.GROUP_AUTHENTICATIONMETHODTARGETTYPE))
	target.SetIsRegistrationRequired(ptr(false))
	body.SetIncludeTargets([]modelsv1.AuthenticationMethodTargetable{target})
	body.SetExcludeTargets([]modelsv1.ExcludeTargetable{})
	got, err = pol.Patch(ctx, body, nil)
	wantNoError(t, "PATCH policy", err)
	if got == nil {
		t.Fatal("PATCH policy answered no object")
	}
	check("PATCH policy", got, modelsv1.ENABLED_AUTHENTICATIONMETHODSTATE, 10, 200, str(grp.GetId()))
	got, err = pol.Get(ctx, nil)
	wantNoError(t, "GET policy", err)
	check("GET policy (updated)", got, modelsv1.ENABLED_AUTHENTICATIONMETHODSTATE, 10, 200, str(grp.GetId()))

	// The policy's pinLength governs generated PINs.
	uid := createUserV1(t, c, "fay@policy-v1.contoso.com", "Fay Frontline")
	m := modelsv1.NewQrCodePinAuthenticationMethod()
	m.SetStandardQRCode(modelsv1.NewQrCode())
	created, err := qrMethodV1(c, uid).put(ctx, m, nil)
	wantNoError(t, "PUT qrCodePinMethod (generated PIN)", err)
	if created.GetPin() == nil || len(str(created.GetPin().GetCode())) != 10 {
		t.Fatalf("generated PIN under pinLength 10: %q", str(created.GetPin().GetCode()))
	}
	wantTime(t, "default standard expiry (200 days)", created.GetStandardQRCode().GetExpireDateTime(),
		*created.GetStandardQRCode().GetStartDateTime(), 200*24*time.Hour+time.Minute)

	bad := modelsv1.NewQrCodePinAuthenticationMethodConfiguration()
	bad.SetPinLength(ptr(int32(7)))
	_, err = pol.Patch(ctx, bad, nil)
	wantODataError(t, err, http.StatusBadRequest, "BadRequest")

	wantNoError(t, "DELETE policy", pol.Delete(ctx, nil))
	got, err = pol.Get(ctx, nil)
	wantNoError(t, "GET policy", err)
	check("GET policy (after DELETE)", got, modelsv1.DISABLED_AUTHENTICATIONMETHODSTATE, 8, 365, "all_users")
}

func testErrorsV1(t *testing.T, s *server, c *graphV1) {
	ctx := ctxT(t)
	uid := createUserV1(t, c, "gus@errors-v1.contoso.com", "Gus Frontline")
	body := modelsv1.NewQrCodePinAuthenticationMethod()
	body.SetStandardQRCode(modelsv1.NewQrCode())
	pn := modelsv1.NewQrPin()
	pn.SetCode(ptr("48150392"))
	body.SetPin(pn)
	_, err := qrMethodV1(c, uid).put(ctx, body, nil)
	wantNoError(t, "PUT qrCodePinMethod", err)

	// Create twice: 400 tooManyQRCodePinMethod, with our client-request-id echoed.
	const crid = "0d6c2b4e-7f1a-4e8b-9c3d-2a5b6c7d8e9f"
	_, err = qrMethodV1(c, uid).put(ctx, body, map[string]string{"client-request-id": crid})
	if oe := wantODataError(t, err, http.StatusBadRequest, "tooManyQRCodePinMethod"); oe.clientRequestID != crid {
		t.Fatalf("innerError.client-request-id %q, want the client's %q", oe.clientRequestID, crid)
	}

	uid2 := createUserV1(t, c, "hal@errors-v1.contoso.com", "Hal Frontline")
	noStd := modelsv1.NewQrCodePinAuthenticationMethod()
	noStd.SetPin(pn)
	_, err = qrMethodV1(c, uid2).put(ctx, noStd, nil)
	wantODataError(t, err, http.StatusBadRequest, "standardQRCodeRequired")
	short := modelsv1.NewQrCodePinAuthenticationMethod()
	short.SetStandardQRCode(modelsv1.NewQrCode())
	sp := modelsv1.NewQrPin()
	sp.SetCode(ptr("1234"))
	short.SetPin(sp)
	_, err = qrMethodV1(c, uid2).put(ctx, short, nil)
	wantODataError(t, err, http.StatusBadRequest, "pinTooShort")
	sp.SetCode(ptr("12121212"))
	_, err = qrMethodV1(c, uid2).put(ctx, short, nil)
	wantODataError(t, err, http.StatusBadRequest, "invalidPin")

	_, err = qrMethodV1(c, "nobody@errors.contoso.com").get(ctx)
	wantODataError(t, err, http.StatusNotFound, "Request_ResourceNotFound")

	// A wrong client secret: azidentity reports Entra's error, and no
	// request reaches the API.
	bad := s.clientV1(t, s.appCredential(t, "wrong-secret"))
	_, err = bad.Users().Get(ctx, nil)
	var authErr *azidentity.AuthenticationFailedError
	if !errors.As(err, &authErr) || authErr.RawResponse == nil || authErr.RawResponse.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a wrong secret: %v", err)
	}
	forged := s.clientV1(t, staticToken("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."))
	_, err = forged.Users().Get(ctx, nil)
	wantODataError(t, err, http.StatusUnauthorized, "InvalidAuthenticationToken")
	// An application token on /me: 403 accessDenied.
	_, err = meQRV1(c).get(ctx)
	wantODataError(t, err, http.StatusForbidden, "accessDenied")
}
