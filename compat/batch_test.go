package compat

import (
	"testing"

	msgraph "github.com/microsoftgraph/msgraph-beta-sdk-go"
	"github.com/microsoftgraph/msgraph-beta-sdk-go/models"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	modelsv1 "github.com/microsoftgraph/msgraph-sdk-go/models"
)

// JSON batching (POST /$batch) through msgraph-sdk-go-core's BatchRequest,
// which both SDKs use: the requests are the SDKs' own RequestInformation
// (their builders' To...RequestInformation), one depending on another, and
// the answers are parsed with the SDKs' models.

// wantBatchStatus checks the statuses of a batch's answers by item.
func wantBatchStatus(t *testing.T, resp msgraphcore.BatchResponse, want map[msgraphcore.BatchItem]int32) {
	t.Helper()
	got := resp.GetStatusCodes()
	for item, status := range want {
		if got[*item.GetId()] != status {
			t.Fatalf("batch item %s (%s %s): status %d, want %d (all: %v)", *item.GetId(), *item.GetMethod(), *item.GetUrl(),
				got[*item.GetId()], status, got)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("batch answered %d items, want %d", len(got), len(want))
	}
}

// wantBatchError checks a failed batch item's body, as msgraph-sdk-go-core
// parses it (strings as *string): Graph's error envelope with the code and
// a message.
func wantBatchError(t *testing.T, resp msgraphcore.BatchResponse, item msgraphcore.BatchItem, code string) {
	t.Helper()
	body := resp.GetResponseById(*item.GetId()).GetBody()
	e, _ := body["error"].(map[string]any)
	text := func(v any) string {
		if p, ok := v.(*string); ok && p != nil {
			return *p
		}
		return ""
	}
	if e == nil || text(e["code"]) != code || text(e["message"]) == "" {
		t.Fatalf("batch item %s: body %v, want error code %s", *item.GetId(), body, code)
	}
}

func testBatch(t *testing.T, c *msgraph.GraphServiceClient) {
	ctx := ctxT(t)
	const upn = "jo@batch-beta.contoso.com"
	u := models.NewUser()
	u.SetUserPrincipalName(ptr(upn))
	u.SetDisplayName(ptr("Jo Batch"))
	u.SetEmployeeId(ptr("E-1001"))
	post, err := c.Users().ToPostRequestInformation(ctx, u, nil)
	wantNoError(t, "POST /users request", err)
	get, err := c.Users().ByUserId(upn).ToGetRequestInformation(ctx, nil)
	wantNoError(t, "GET /users/{upn} request", err)
	missing, err := c.Users().ByUserId("nobody@batch-beta.contoso.com").ToGetRequestInformation(ctx, nil)
	wantNoError(t, "GET /users/{upn} request", err)
	pol, err := c.Policies().AuthenticationMethodsPolicy().AuthenticationMethodConfigurations().
		ByAuthenticationMethodConfigurationId("qrCodePin").ToGetRequestInformation(ctx, nil)
	wantNoError(t, "GET policy request", err)

	batch := msgraphcore.NewBatchRequest(c.GetAdapter())
	postItem, err := batch.AddBatchRequestStep(*post)
	wantNoError(t, "batch step", err)
	getItem, err := batch.AddBatchRequestStep(*get)
	wantNoError(t, "batch step", err)
	getItem.DependsOnItem(postItem)
	missingItem, err := batch.AddBatchRequestStep(*missing)
	wantNoError(t, "batch step", err)
	polItem, err := batch.AddBatchRequestStep(*pol)
	wantNoError(t, "batch step", err)
	resp, err := batch.Send(ctx, c.GetAdapter())
	wantNoError(t, "POST /$batch", err)
	wantBatchStatus(t, resp, map[msgraphcore.BatchItem]int32{postItem: 201, getItem: 200, missingItem: 404, polItem: 200})

	created, err := msgraphcore.GetBatchResponseById[models.Userable](resp, *postItem.GetId(), models.CreateUserFromDiscriminatorValue)
	wantNoError(t, "batch: POST /users answer", err)
	read, err := msgraphcore.GetBatchResponseById[models.Userable](resp, *getItem.GetId(), models.CreateUserFromDiscriminatorValue)
	wantNoError(t, "batch: GET /users/{upn} answer", err)
	if str(created.GetId()) == "<nil>" || str(read.GetId()) != str(created.GetId()) || str(read.GetEmployeeId()) != "E-1001" {
		t.Fatalf("batch: created %s, read %s with employeeId %s", str(created.GetId()), str(read.GetId()), str(read.GetEmployeeId()))
	}
	wantBatchError(t, resp, missingItem, "Request_ResourceNotFound")
	cfg, err := msgraphcore.GetBatchResponseById[models.AuthenticationMethodConfigurationable](resp, *polItem.GetId(),
		models.CreateAuthenticationMethodConfigurationFromDiscriminatorValue)
	wantNoError(t, "batch: GET policy answer", err)
	if _, ok := cfg.(models.QrCodePinAuthenticationMethodConfigurationable); !ok {
		t.Fatalf("batch: the policy is a %T", cfg)
	}

	// A request that depends on a failed one is not run: 424.
	batch = msgraphcore.NewBatchRequest(c.GetAdapter())
	missingItem, err = batch.AddBatchRequestStep(*missing)
	wantNoError(t, "batch step", err)
	del, err := c.Users().ByUserId(upn).ToDeleteRequestInformation(ctx, nil)
	wantNoError(t, "DELETE /users/{upn} request", err)
	delItem, err := batch.AddBatchRequestStep(*del)
	wantNoError(t, "batch step", err)
	delItem.DependsOnItem(missingItem)
	resp, err = batch.Send(ctx, c.GetAdapter())
	wantNoError(t, "POST /$batch", err)
	wantBatchStatus(t, resp, map[msgraphcore.BatchItem]int32{missingItem: 404, delItem: 424})
	_, err = c.Users().ByUserId(upn).Get(ctx, nil)
	wantNoError(t, "GET /users/{upn} after the refused DELETE", err)
}

func testBatchV1(t *testing.T, c *graphV1) {
	ctx := ctxT(t)
	const upn = "jo@batch-v1.contoso.com"
	u := modelsv1.NewUser()
	u.SetUserPrincipalName(ptr(upn))
	u.SetDisplayName(ptr("Jo Batch"))
	u.SetEmployeeId(ptr("E-1001"))
	post, err := c.Users().ToPostRequestInformation(ctx, u, nil)
	wantNoError(t, "POST /users request", err)
	get, err := c.Users().ByUserId(upn).ToGetRequestInformation(ctx, nil)
	wantNoError(t, "GET /users/{upn} request", err)
	missing, err := c.Users().ByUserId("nobody@batch-v1.contoso.com").ToGetRequestInformation(ctx, nil)
	wantNoError(t, "GET /users/{upn} request", err)
	pol, err := c.Policies().AuthenticationMethodsPolicy().AuthenticationMethodConfigurations().
		ByAuthenticationMethodConfigurationId("qrCodePin").ToGetRequestInformation(ctx, nil)
	wantNoError(t, "GET policy request", err)

	batch := msgraphcore.NewBatchRequest(c.GetAdapter())
	postItem, err := batch.AddBatchRequestStep(*post)
	wantNoError(t, "batch step", err)
	getItem, err := batch.AddBatchRequestStep(*get)
	wantNoError(t, "batch step", err)
	getItem.DependsOnItem(postItem)
	missingItem, err := batch.AddBatchRequestStep(*missing)
	wantNoError(t, "batch step", err)
	polItem, err := batch.AddBatchRequestStep(*pol)
	wantNoError(t, "batch step", err)
	resp, err := batch.Send(ctx, c.GetAdapter())
	wantNoError(t, "POST /$batch", err)
	wantBatchStatus(t, resp, map[msgraphcore.BatchItem]int32{postItem: 201, getItem: 200, missingItem: 404, polItem: 200})

	created, err := msgraphcore.GetBatchResponseById[modelsv1.Userable](resp, *postItem.GetId(), modelsv1.CreateUserFromDiscriminatorValue)
	wantNoError(t, "batch: POST /users answer", err)
	read, err := msgraphcore.GetBatchResponseById[modelsv1.Userable](resp, *getItem.GetId(), modelsv1.CreateUserFromDiscriminatorValue)
	wantNoError(t, "batch: GET /users/{upn} answer", err)
	if str(created.GetId()) == "<nil>" || str(read.GetId()) != str(created.GetId()) || str(read.GetEmployeeId()) != "E-1001" {
		t.Fatalf("batch: created %s, read %s with employeeId %s", str(created.GetId()), str(read.GetId()), str(read.GetEmployeeId()))
	}
	wantModelFields(t, "batch: GET /users/{upn}", read)
	wantBatchError(t, resp, missingItem, "Request_ResourceNotFound")
	cfg, err := msgraphcore.GetBatchResponseById[modelsv1.AuthenticationMethodConfigurationable](resp, *polItem.GetId(),
		modelsv1.CreateAuthenticationMethodConfigurationFromDiscriminatorValue)
	wantNoError(t, "batch: GET policy answer", err)
	if _, ok := cfg.(modelsv1.QrCodePinAuthenticationMethodConfigurationable); !ok {
		t.Fatalf("batch: the policy is a %T", cfg)
	}

	batch = msgraphcore.NewBatchRequest(c.GetAdapter())
	missingItem, err = batch.AddBatchRequestStep(*missing)
	wantNoError(t, "batch step", err)
	del, err := c.Users().ByUserId(upn).ToDeleteRequestInformation(ctx, nil)
	wantNoError(t, "DELETE /users/{upn} request", err)
	delItem, err := batch.AddBatchRequestStep(*del)
	wantNoError(t, "batch step", err)
	delItem.DependsOnItem(missingItem)
	resp, err = batch.Send(ctx, c.GetAdapter())
	wantNoError(t, "POST /$batch", err)
	wantBatchStatus(t, resp, map[msgraphcore.BatchItem]int32{missingItem: 404, delItem: 424})
	_, err = c.Users().ByUserId(upn).Get(ctx, nil)
	wantNoError(t, "GET /users/{upn} after the refused DELETE", err)
}
