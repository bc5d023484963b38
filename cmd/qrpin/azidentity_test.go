package main

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/qrpin/qrpin/pin"
)

// TestAzidentityClientSecretCredential is issue 3's proof: Microsoft's own
// identity library, azidentity's ClientSecretCredential, pointed at qrpin
// (a custom cloud, instance discovery off, qrpin's development certificate
// trusted), gets a token for Microsoft Graph with the bootstrap
// application's credentials, and that token resets a user's PIN.
func TestAzidentityClientSecretCredential(t *testing.T) {
	t.Parallel()
	c := common{data: filepath.Join(t.TempDir(), "data"), addr: freeAddr(t)}
	c.tls.selfSigned = true
	runServe(t, c)
	creds := readBootstrap(t, c.data)
	client := trustingClient(t, filepath.Join(c.data, devCertFile))

	cred, err := azidentity.NewClientSecretCredential(creds.TenantID, creds.ClientID, creds.ClientSecret,
		&azidentity.ClientSecretCredentialOptions{
			ClientOptions: azcore.ClientOptions{
				Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: "https://" + c.addr + "/"},
				Transport: client,
			},
			DisableInstanceDiscovery: true,
		})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tk, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	if err != nil {
		t.Fatalf("azidentity GetToken: %v", err)
	}
	if tk.Token == "" || time.Until(tk.ExpiresOn) < 50*time.Minute {
		t.Fatalf("token %q expires %v", tk.Token, tk.ExpiresOn)
	}

	graph := creds.GraphURL
	call := func(verb, path, body string, want int) map[string]any {
		t.Helper()
		st, m := graphCall(t, client, tk.Token, verb, graph+path, body)
		if st != want {
			t.Fatalf("%s %s: %d %v, want %d", verb, path, st, m, want)
		}
		return m
	}
	call("POST", "/users", `{"userPrincipalName": "ana@contoso.com", "displayName": "Ana Ruiz"}`, http.StatusCreated)
	call("PUT", "/users/ana@contoso.com/authentication/qrCodePinMethod", `{"standardQRCode": {}, "pin": {"code": "48150392"}}`, http.StatusCreated)
	m := call("PATCH", "/users/ana@contoso.com/authentication/qrCodePinMethod/pin",
		`{"@odata.type": "#microsoft.graph.qrPin", "code": "09599786"}`, http.StatusCreated)
	code, _ := m["code"].(string)
	if pin.Check(code, 8) != nil || code == "09599786" || m["forceChangePinNextSignIn"] != true {
		t.Fatalf("PIN reset: %v", m)
	}

	// A second GetToken is served from azidentity's cache: the same token.
	again, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	if err != nil || again.Token != tk.Token {
		t.Fatalf("second GetToken: %v", err)
	}
	// A wrong secret is refused with Entra's error, which azidentity reports.
	bad, err := azidentity.NewClientSecretCredential(creds.TenantID, creds.ClientID, "wrong-secret",
		&azidentity.ClientSecretCredentialOptions{
			ClientOptions: azcore.ClientOptions{
				Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: "https://" + c.addr + "/"},
				Transport: client,
			},
			DisableInstanceDiscovery: true,
		})
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	var authErr *azidentity.AuthenticationFailedError
	if err == nil || !errors.As(err, &authErr) || authErr.RawResponse == nil || authErr.RawResponse.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GetToken with a wrong secret: %v", err)
	}
}
