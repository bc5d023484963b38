package compat

import (
	"net/http"
	"testing"

	msgraph "github.com/microsoftgraph/msgraph-beta-sdk-go"
	"github.com/microsoftgraph/msgraph-beta-sdk-go/models"
	graphusers "github.com/microsoftgraph/msgraph-beta-sdk-go/users"
	modelsv1 "github.com/microsoftgraph/msgraph-sdk-go/models"
	usersv1 "github.com/microsoftgraph/msgraph-sdk-go/users"
)

// users' employeeId through the SDKs' User model: set on POST, moved by
// PATCH, found by $filter=employeeId eq '...', at most 16 characters; any
// other $filter on users is refused.

func testEmployeeID(t *testing.T, c *msgraph.GraphServiceClient) {
	ctx := ctxT(t)
	mk := func(n, emp string) string {
		u := models.NewUser()
		u.SetUserPrincipalName(ptr(n + "@employee-beta.contoso.com"))
		u.SetDisplayName(ptr(n))
		if emp != "" {
			u.SetEmployeeId(&emp)
		}
		got, err := c.Users().Post(ctx, u, nil)
		wantNoError(t, "POST /users", err)
		if emp != "" && str(got.GetEmployeeId()) != emp {
			t.Fatalf("POST /users: employeeId %s, want %s", str(got.GetEmployeeId()), emp)
		}
		return str(got.GetId())
	}
	kim, lee := mk("kim", "S12-0042"), mk("lee", "S12-0043")
	mk("max", "")
	filter := func(emp string) []string {
		list, err := c.Users().Get(ctx, &graphusers.UsersRequestBuilderGetRequestConfiguration{
			QueryParameters: &graphusers.UsersRequestBuilderGetQueryParameters{Filter: ptr("employeeId eq '" + emp + "'")}})
		wantNoError(t, "GET /users?$filter=employeeId eq", err)
		var ids []string
		for _, u := range list.GetValue() {
			ids = append(ids, str(u.GetId()))
		}
		return ids
	}
	if got := filter("S12-0042"); len(got) != 1 || got[0] != kim {
		t.Fatalf("$filter=employeeId eq 'S12-0042': %v, want [%s]", got, kim)
	}
	// PATCH moves the employee id.
	p := models.NewUser()
	p.SetEmployeeId(ptr("S12-0042"))
	_, err := c.Users().ByUserId(lee).Patch(ctx, p, nil)
	wantNoError(t, "PATCH /users/{id} employeeId", err)
	p.SetEmployeeId(ptr("S12-0099"))
	_, err = c.Users().ByUserId(kim).Patch(ctx, p, nil)
	wantNoError(t, "PATCH /users/{id} employeeId", err)
	if got := filter("S12-0042"); len(got) != 1 || got[0] != lee {
		t.Fatalf("$filter after PATCH: %v, want [%s]", got, lee)
	}
	got, err := c.Users().ByUserId(kim).Get(ctx, nil)
	wantNoError(t, "GET /users/{id}", err)
	if str(got.GetEmployeeId()) != "S12-0099" {
		t.Fatalf("employeeId after PATCH: %s", str(got.GetEmployeeId()))
	}
	// Too long: 400.
	p.SetEmployeeId(ptr("12345678901234567"))
	_, err = c.Users().ByUserId(kim).Patch(ctx, p, nil)
	wantODataError(t, err, http.StatusBadRequest, "Request_BadRequest")
	// Another $filter on users: 400 Request_UnsupportedQuery.
	_, err = c.Users().Get(ctx, &graphusers.UsersRequestBuilderGetRequestConfiguration{
		QueryParameters: &graphusers.UsersRequestBuilderGetQueryParameters{Filter: ptr("displayName eq 'kim'")}})
	wantODataError(t, err, http.StatusBadRequest, "Request_UnsupportedQuery")
}

func testEmployeeIDV1(t *testing.T, c *graphV1) {
	ctx := ctxT(t)
	mk := func(n, emp string) string {
		u := modelsv1.NewUser()
		u.SetUserPrincipalName(ptr(n + "@employee-v1.contoso.com"))
		u.SetDisplayName(ptr(n))
		if emp != "" {
			u.SetEmployeeId(&emp)
		}
		got, err := c.Users().Post(ctx, u, nil)
		wantNoError(t, "POST /users", err)
		if emp != "" && str(got.GetEmployeeId()) != emp {
			t.Fatalf("POST /users: employeeId %s, want %s", str(got.GetEmployeeId()), emp)
		}
		wantModelFields(t, "POST /users", got)
		return str(got.GetId())
	}
	kim, lee := mk("kim", "S12-0042"), mk("lee", "S12-0043")
	mk("max", "")
	filter := func(emp string) []string {
		list, err := c.Users().Get(ctx, &usersv1.UsersRequestBuilderGetRequestConfiguration{
			QueryParameters: &usersv1.UsersRequestBuilderGetQueryParameters{Filter: ptr("employeeId eq '" + emp + "'")}})
		wantNoError(t, "GET /users?$filter=employeeId eq", err)
		var ids []string
		for _, u := range list.GetValue() {
			ids = append(ids, str(u.GetId()))
		}
		return ids
	}
	if got := filter("S12-0042"); len(got) != 1 || got[0] != kim {
		t.Fatalf("$filter=employeeId eq 'S12-0042': %v, want [%s]", got, kim)
	}
	p := modelsv1.NewUser()
	p.SetEmployeeId(ptr("S12-0042"))
	_, err := c.Users().ByUserId(lee).Patch(ctx, p, nil)
	wantNoError(t, "PATCH /users/{id} employeeId", err)
	p.SetEmployeeId(ptr("S12-0099"))
	_, err = c.Users().ByUserId(kim).Patch(ctx, p, nil)
	wantNoError(t, "PATCH /users/{id} employeeId", err)
	if got := filter("S12-0042"); len(got) != 1 || got[0] != lee {
		t.Fatalf("$filter after PATCH: %v, want [%s]", got, lee)
	}
	got, err := c.Users().ByUserId(kim).Get(ctx, nil)
	wantNoError(t, "GET /users/{id}", err)
	if str(got.GetEmployeeId()) != "S12-0099" {
		t.Fatalf("employeeId after PATCH: %s", str(got.GetEmployeeId()))
	}
	p.SetEmployeeId(ptr("12345678901234567"))
	_, err = c.Users().ByUserId(kim).Patch(ctx, p, nil)
	wantODataError(t, err, http.StatusBadRequest, "Request_BadRequest")
	_, err = c.Users().Get(ctx, &usersv1.UsersRequestBuilderGetRequestConfiguration{
		QueryParameters: &usersv1.UsersRequestBuilderGetQueryParameters{Filter: ptr("displayName eq 'kim'")}})
	wantODataError(t, err, http.StatusBadRequest, "Request_UnsupportedQuery")
}
