package compat

import (
	"net/http"
	"slices"
	"sort"
	"testing"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	msgraph "github.com/microsoftgraph/msgraph-beta-sdk-go"
	"github.com/microsoftgraph/msgraph-beta-sdk-go/models"
	graphreports "github.com/microsoftgraph/msgraph-beta-sdk-go/reports"
	graphusers "github.com/microsoftgraph/msgraph-beta-sdk-go/users"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	modelsv1 "github.com/microsoftgraph/msgraph-sdk-go/models"
	reportsv1 "github.com/microsoftgraph/msgraph-sdk-go/reports"
	usersv1 "github.com/microsoftgraph/msgraph-sdk-go/users"
)

// The authentication methods reports (issue 13, item 4) through the SDKs'
// request builders: userRegistrationDetails (list, $filter, one by id)
// and usersRegisteredByMethod, whose counts must agree with the users the
// server holds; and the query options of item 6 on users: $count=true
// (with ConsistencyLevel: eventual) and $select.

// qrReportName is the QR code + PIN method's name in the reports.
const qrReportName = "qrCode"

func eventual() *abstractions.RequestHeaders {
	h := abstractions.NewRequestHeaders()
	h.Add("ConsistencyLevel", "eventual")
	return h
}

func testReports(t *testing.T, c *msgraph.GraphServiceClient) {
	ctx := ctxT(t)
	with := createUser(t, c, "nia@reports-beta.contoso.com", "Nia Reports")
	without := createUser(t, c, "oto@reports-beta.contoso.com", "Oto Reports")
	m := models.NewQrCodePinAuthenticationMethod()
	m.SetStandardQRCode(models.NewQrCode())
	_, err := putMethod(ctx, c, with, m, nil)
	wantNoError(t, "PUT qrCodePinMethod", err)

	// Every user, by paging, and $count=true's count.
	first, err := c.Users().Get(ctx, &graphusers.UsersRequestBuilderGetRequestConfiguration{Headers: eventual(),
		QueryParameters: &graphusers.UsersRequestBuilderGetQueryParameters{Count: ptr(true), Top: ptr(int32(5))}})
	wantNoError(t, "GET /users?$count=true", err)
	var users []string
	it, err := msgraphcore.NewPageIterator[models.Userable](first, c.GetAdapter(), models.CreateUserCollectionResponseFromDiscriminatorValue)
	if err != nil {
		t.Fatal(err)
	}
	wantNoError(t, "paging /users", it.Iterate(ctx, func(u models.Userable) bool { users = append(users, str(u.GetId())); return true }))
	if first.GetOdataCount() == nil || *first.GetOdataCount() != int64(len(users)) {
		t.Fatalf("GET /users?$count=true: @odata.count %v, %d users listed", first.GetOdataCount(), len(users))
	}

	// $select: only the properties named.
	sel, err := c.Users().ByUserId(with).Get(ctx, &graphusers.UserItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &graphusers.UserItemRequestBuilderGetQueryParameters{Select: []string{"id", "displayName"}}})
	wantNoError(t, "GET /users/{id}?$select=id,displayName", err)
	if str(sel.GetId()) != with || str(sel.GetDisplayName()) != "Nia Reports" || sel.GetUserPrincipalName() != nil {
		t.Fatalf("$select=id,displayName: id %s displayName %s userPrincipalName %s", str(sel.GetId()), str(sel.GetDisplayName()), str(sel.GetUserPrincipalName()))
	}

	details := c.Reports().AuthenticationMethods().UserRegistrationDetails()
	registered := func(filter string) []string {
		t.Helper()
		list, err := details.Get(ctx, &graphreports.AuthenticationMethodsUserRegistrationDetailsRequestBuilderGetRequestConfiguration{
			QueryParameters: &graphreports.AuthenticationMethodsUserRegistrationDetailsRequestBuilderGetQueryParameters{Filter: &filter}})
		wantNoError(t, "GET userRegistrationDetails?$filter="+filter, err)
		var ids []string
		for _, r := range list.GetValue() {
			ids = append(ids, str(r.GetId()))
		}
		sort.Strings(ids)
		return ids
	}
	withQR := registered("methodsRegistered/any(m: m eq '" + qrReportName + "')")
	if !slices.Contains(withQR, with) || slices.Contains(withQR, without) {
		t.Fatalf("userRegistrationDetails with %s: %v (want %s in, %s out)", qrReportName, withQR, with, without)
	}
	if got := registered("startswith(userPrincipalName, 'oto@reports-beta')"); len(got) != 1 || got[0] != without {
		t.Fatalf("userRegistrationDetails startswith(userPrincipalName): %v, want [%s]", got, without)
	}
	one, err := details.ByUserRegistrationDetailsId(with).Get(ctx, nil)
	wantNoError(t, "GET userRegistrationDetails/{id}", err)
	if str(one.GetUserPrincipalName()) != "nia@reports-beta.contoso.com" || len(one.GetMethodsRegistered()) != 1 ||
		one.GetMethodsRegistered()[0] != qrReportName || one.GetIsMfaRegistered() == nil || *one.GetIsMfaRegistered() {
		t.Fatalf("userRegistrationDetails/%s: upn %s methodsRegistered %v isMfaRegistered %v", with,
			str(one.GetUserPrincipalName()), one.GetMethodsRegistered(), one.GetIsMfaRegistered())
	}
	none, err := details.ByUserRegistrationDetailsId(without).Get(ctx, nil)
	wantNoError(t, "GET userRegistrationDetails/{id}", err)
	if len(none.GetMethodsRegistered()) != 0 {
		t.Fatalf("userRegistrationDetails/%s: methodsRegistered %v", without, none.GetMethodsRegistered())
	}
	_, err = details.Get(ctx, &graphreports.AuthenticationMethodsUserRegistrationDetailsRequestBuilderGetRequestConfiguration{
		QueryParameters: &graphreports.AuthenticationMethodsUserRegistrationDetailsRequestBuilderGetQueryParameters{Filter: ptr("userType ne 'guest'")}})
	wantODataError(t, err, http.StatusBadRequest, "Request_UnsupportedQuery")

	sum, err := c.Reports().AuthenticationMethods().UsersRegisteredByMethod().Get(ctx, nil)
	wantNoError(t, "GET usersRegisteredByMethod()", err)
	counts := sum.GetUserRegistrationMethodCounts()
	if sum.GetTotalUserCount() == nil || *sum.GetTotalUserCount() != int64(len(users)) || len(counts) != 1 ||
		str(counts[0].GetAuthenticationMethod()) != qrReportName || counts[0].GetUserCount() == nil ||
		*counts[0].GetUserCount() != int64(len(registered("methodsRegistered/any(m: m eq '"+qrReportName+"')"))) {
		t.Fatalf("usersRegisteredByMethod: totalUserCount %v (%d users), counts %v", sum.GetTotalUserCount(), len(users), counts)
	}
}

func testReportsV1(t *testing.T, c *graphV1) {
	ctx := ctxT(t)
	with := createUserV1(t, c, "nia@reports-v1.contoso.com", "Nia Reports")
	without := createUserV1(t, c, "oto@reports-v1.contoso.com", "Oto Reports")
	m := modelsv1.NewQrCodePinAuthenticationMethod()
	m.SetStandardQRCode(modelsv1.NewQrCode())
	_, err := qrMethodV1(c, with).put(ctx, m, nil)
	wantNoError(t, "PUT qrCodePinMethod", err)

	first, err := c.Users().Get(ctx, &usersv1.UsersRequestBuilderGetRequestConfiguration{Headers: eventual(),
		QueryParameters: &usersv1.UsersRequestBuilderGetQueryParameters{Count: ptr(true), Top: ptr(int32(5))}})
	wantNoError(t, "GET /users?$count=true", err)
	wantModelFields(t, "GET /users?$count=true", first)
	var users []string
	it, err := msgraphcore.NewPageIterator[modelsv1.Userable](first, c.GetAdapter(), modelsv1.CreateUserCollectionResponseFromDiscriminatorValue)
	if err != nil {
		t.Fatal(err)
	}
	wantNoError(t, "paging /users", it.Iterate(ctx, func(u modelsv1.Userable) bool { users = append(users, str(u.GetId())); return true }))
	if first.GetOdataCount() == nil || *first.GetOdataCount() != int64(len(users)) {
		t.Fatalf("GET /users?$count=true: @odata.count %v, %d users listed", first.GetOdataCount(), len(users))
	}

	sel, err := c.Users().ByUserId(with).Get(ctx, &usersv1.UserItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &usersv1.UserItemRequestBuilderGetQueryParameters{Select: []string{"id", "displayName"}}})
	wantNoError(t, "GET /users/{id}?$select=id,displayName", err)
	if str(sel.GetId()) != with || str(sel.GetDisplayName()) != "Nia Reports" || sel.GetUserPrincipalName() != nil {
		t.Fatalf("$select=id,displayName: id %s displayName %s userPrincipalName %s", str(sel.GetId()), str(sel.GetDisplayName()), str(sel.GetUserPrincipalName()))
	}

	details := c.Reports().AuthenticationMethods().UserRegistrationDetails()
	registered := func(filter string) []string {
		t.Helper()
		list, err := details.Get(ctx, &reportsv1.AuthenticationMethodsUserRegistrationDetailsRequestBuilderGetRequestConfiguration{
			QueryParameters: &reportsv1.AuthenticationMethodsUserRegistrationDetailsRequestBuilderGetQueryParameters{Filter: &filter}})
		wantNoError(t, "GET userRegistrationDetails?$filter="+filter, err)
		wantModelFields(t, "GET userRegistrationDetails", list)
		var ids []string
		for _, r := range list.GetValue() {
			wantModelFields(t, "GET userRegistrationDetails", r)
			ids = append(ids, str(r.GetId()))
		}
		sort.Strings(ids)
		return ids
	}
	withQR := registered("methodsRegistered/any(m: m eq '" + qrReportName + "')")
	if !slices.Contains(withQR, with) || slices.Contains(withQR, without) {
		t.Fatalf("userRegistrationDetails with %s: %v (want %s in, %s out)", qrReportName, withQR, with, without)
	}
	if got := registered("startswith(userPrincipalName, 'oto@reports-v1')"); len(got) != 1 || got[0] != without {
		t.Fatalf("userRegistrationDetails startswith(userPrincipalName): %v, want [%s]", got, without)
	}
	one, err := details.ByUserRegistrationDetailsId(with).Get(ctx, nil)
	wantNoError(t, "GET userRegistrationDetails/{id}", err)
	wantModelFields(t, "GET userRegistrationDetails/{id}", one)
	if str(one.GetUserPrincipalName()) != "nia@reports-v1.contoso.com" || len(one.GetMethodsRegistered()) != 1 ||
		one.GetMethodsRegistered()[0] != qrReportName || one.GetIsMfaRegistered() == nil || *one.GetIsMfaRegistered() {
		t.Fatalf("userRegistrationDetails/%s: upn %s methodsRegistered %v isMfaRegistered %v", with,
			str(one.GetUserPrincipalName()), one.GetMethodsRegistered(), one.GetIsMfaRegistered())
	}
	none, err := details.ByUserRegistrationDetailsId(without).Get(ctx, nil)
	wantNoError(t, "GET userRegistrationDetails/{id}", err)
	if len(none.GetMethodsRegistered()) != 0 {
		t.Fatalf("userRegistrationDetails/%s: methodsRegistered %v", without, none.GetMethodsRegistered())
	}
	_, err = details.Get(ctx, &reportsv1.AuthenticationMethodsUserRegistrationDetailsRequestBuilderGetRequestConfiguration{
		QueryParameters: &reportsv1.AuthenticationMethodsUserRegistrationDetailsRequestBuilderGetQueryParameters{Filter: ptr("userType ne 'guest'")}})
	wantODataError(t, err, http.StatusBadRequest, "Request_UnsupportedQuery")

	sum, err := c.Reports().AuthenticationMethods().UsersRegisteredByMethod().Get(ctx, nil)
	wantNoError(t, "GET usersRegisteredByMethod()", err)
	wantModelFields(t, "GET usersRegisteredByMethod()", sum)
	counts := sum.GetUserRegistrationMethodCounts()
	if sum.GetTotalUserCount() == nil || *sum.GetTotalUserCount() != int64(len(users)) || len(counts) != 1 ||
		str(counts[0].GetAuthenticationMethod()) != qrReportName || counts[0].GetUserCount() == nil ||
		*counts[0].GetUserCount() != int64(len(registered("methodsRegistered/any(m: m eq '"+qrReportName+"')"))) {
		t.Fatalf("usersRegisteredByMethod: totalUserCount %v (%d users), counts %v", sum.GetTotalUserCount(), len(users), counts)
	}
	wantModelFields(t, "usersRegisteredByMethod count", counts[0])
}
