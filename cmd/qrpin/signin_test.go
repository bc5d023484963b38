package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"
)

// signInCall posts a sign-in step to the server.
func signInCall(t *testing.T, url string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	res, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(res.Body).Decode(&m); err != nil {
		t.Fatalf("%s: %d, not JSON: %v", url, res.StatusCode, err)
	}
	return res.StatusCode, m
}

// TestServeSignIn: on `serve`, a user given the method through Graph signs
// in with the badge's content and the PIN, sets a new PIN, and the access
// token works on the /me endpoints.
func TestServeSignIn(t *testing.T) {
	c := common{data: filepath.Join(t.TempDir(), "data"), addr: freeAddr(t)}
	runServe(t, c)
	creds := readBootstrap(t, c.data)
	token := getToken(t, http.DefaultClient, creds)
	base := "http://" + c.addr
	if st, m := graphCall(t, http.DefaultClient, token, "POST", base+"/v1.0/users", `{"userPrincipalName": "ana@contoso.com", "displayName": "Ana Ruiz"}`); st != 201 {
		t.Fatalf("create user: %d %v", st, m)
	}
	st, m := graphCall(t, http.DefaultClient, token, "PUT", base+"/v1.0/users/ana@contoso.com/authentication/qrCodePinMethod", `{"standardQRCode": {}, "pin": {"code": "48150392"}}`)
	if st != 201 {
		t.Fatalf("create method: %d %v", st, m)
	}
	raw, err := base64.StdEncoding.DecodeString(m["standardQRCode"].(map[string]any)["image"].(map[string]any)["rawContent"].(string))
	if err != nil {
		t.Fatal(err)
	}
	signin := base + "/" + creds.TenantID + "/signin/"
	// The policy is disabled by default: the badge is not accepted yet.
	if st, m := signInCall(t, signin+"qr", map[string]string{"qrCode": string(raw)}); st != 400 || m["error"].(map[string]any)["message"] != "Incorrect QR code" {
		t.Fatalf("sign-in with the policy disabled: %d %v", st, m)
	}
	if st, m := graphCall(t, http.DefaultClient, token, "PATCH", base+"/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/qrCodePin", `{"@odata.type": "#microsoft.graph.qrCodePinAuthenticationMethodConfiguration", "state": "enabled"}`); st != 200 {
		t.Fatalf("enable policy: %d %v", st, m)
	}
	st, m = signInCall(t, signin+"qr", map[string]string{"qrCode": string(raw) + "\n"})
	if st != 200 || m["next"] != "pin" {
		t.Fatalf("qr: %d %v", st, m)
	}
	st, m = signInCall(t, signin+"pin", map[string]string{"transaction": m["transaction"].(string), "pin": "48150392"})
	if st != 200 || m["next"] != "newPin" {
		t.Fatalf("pin: %d %v", st, m)
	}
	st, m = signInCall(t, signin+"newpin", map[string]string{"transaction": m["transaction"].(string), "newPin": "90817263"})
	if st != 200 || m["next"] != "done" {
		t.Fatalf("newpin: %d %v", st, m)
	}
	user := m["access_token"].(string)
	st, m = graphCall(t, http.DefaultClient, user, "GET", base+"/v1.0/me/authentication/qrCodePinMethod", "")
	if st != 200 || m["pin"].(map[string]any)["forceChangePinNextSignIn"] != false {
		t.Fatalf("GET /me with the sign-in's token: %d %v", st, m)
	}
	// Self-service writes need a recent sign-in: this one is.
	st, m = graphCall(t, http.DefaultClient, user, "PATCH", base+"/v1.0/me/authentication/qrCodePinMethod/standardQRCode", `{"expireDateTime": "2099-01-01T00:00:00Z"}`)
	if st == 401 || st == 403 {
		t.Fatalf("self-service write with the sign-in's token: %d %v", st, m)
	}
}
