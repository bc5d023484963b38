package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/qrpin/qrpin/method"
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
	t.Parallel()
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

// TestSignInIdleTimeoutFlag: --signin-idle-timeout, or
// QRPIN_SIGNIN_IDLE_TIMEOUT, sets the sign-in page's idle timeout; 60s by
// default; a negative one is refused.
func TestSignInIdleTimeoutFlag(t *testing.T) {
	for _, tc := range []struct {
		name, env string
		args      []string
		want      time.Duration
		wantErr   bool
	}{
		{"default", "", nil, time.Minute, false},
		{"flag", "", []string{"--signin-idle-timeout=15s"}, 15 * time.Second, false},
		{"environment", "2m", nil, 2 * time.Minute, false},
		{"flag over environment", "2m", []string{"--signin-idle-timeout=20s"}, 20 * time.Second, false},
		{"negative", "", []string{"--signin-idle-timeout=-1s"}, -time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env != "" {
				t.Setenv("QRPIN_SIGNIN_IDLE_TIMEOUT", tc.env)
			}
			var f signinFlags
			fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
			f.flags(fs)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			if err := f.check(); f.idle != tc.want || (err != nil) != tc.wantErr {
				t.Fatalf("idle timeout %v, check %v; want %v, an error: %v", f.idle, err, tc.want, tc.wantErr)
			}
		})
	}
}

// TestServeSignInIdleTimeout: serve hands the idle timeout to the sign-in
// page, and refuses a negative one before it starts.
func TestServeSignInIdleTimeout(t *testing.T) {
	t.Parallel()
	c := common{data: filepath.Join(t.TempDir(), "data"), addr: freeAddr(t)}
	c.signin.idle = 15 * time.Second
	runServe(t, c)
	res, err := http.Get("http://" + c.addr + "/" + readBootstrap(t, c.data).TenantID + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.Contains(string(b), `data-idle-timeout="15000"`) {
		t.Fatalf("sign-in page: %d\n%s", res.StatusCode, b)
	}
	c = common{data: filepath.Join(t.TempDir(), "data2"), addr: freeAddr(t)}
	c.signin.idle = -time.Second
	if err := serve(t.Context(), c, method.DefaultLockout, 1000, nil); err == nil || !strings.Contains(err.Error(), "--signin-idle-timeout") {
		t.Fatalf("serve with a negative idle timeout: %v", err)
	}
}
