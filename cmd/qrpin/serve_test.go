package main

import (
	"context"
	"encoding/json"
	"image/png"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/pin"
)

// TestServeREADMESession starts `qrpin serve` on an empty data directory and
// runs the README's first curl session against it: the commands' wiring,
// first-start setup and graceful shutdown, end to end.
func TestServeREADMESession(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	c := common{data: filepath.Join(t.TempDir(), "data"), addr: addr, out: io.Discard}

	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, c, method.DefaultLockout, 1000, func(a net.Addr) { ready <- a }) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}

	// The data directory was created with the pepper outside the database.
	fi, err := os.Stat(filepath.Join(c.data, "pepper"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("pepper file: %v %v", fi, err)
	}

	// The token, as the README gets it: from the token endpoint, with the
	// bootstrap application's credentials the first start wrote.
	creds := readBootstrap(t, c.data)
	token := getToken(t, http.DefaultClient, creds)

	base := "http://" + addr
	call := func(verb, path, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(verb, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s %s: %d %s", verb, path, res.StatusCode, b)
		}
		return res.StatusCode, m
	}
	if st, m := call("POST", "/v1.0/users", `{"userPrincipalName": "ana@contoso.com", "displayName": "Ana Ruiz"}`); st != 201 {
		t.Fatalf("create user: %d %v", st, m)
	}
	st, m := call("PUT", "/v1.0/users/ana@contoso.com/authentication/qrCodePinMethod", `{"standardQRCode": {}, "pin": {"code": "48150392"}}`)
	if st != 201 || m["pin"].(map[string]any)["code"] != "48150392" || m["standardQRCode"].(map[string]any)["image"] == nil {
		t.Fatalf("create method: %d %v", st, m)
	}
	st, m = call("PATCH", "/v1.0/users/ana@contoso.com/authentication/qrCodePinMethod/pin", `{"@odata.type": "#microsoft.graph.qrPin", "code": "09599786"}`)
	code, _ := m["code"].(string)
	if st != 201 || code == "09599786" || code == "48150392" || pin.Check(code, 8) != nil || m["forceChangePinNextSignIn"] != true {
		t.Fatalf("reset PIN: %d %v", st, m)
	}
	st, m = call("GET", "/v1.0/users/ana@contoso.com/authentication/qrCodePinMethod", "")
	if st != 200 || m["pin"].(map[string]any)["code"] != nil || m["standardQRCode"].(map[string]any)["image"] != nil {
		t.Fatalf("read method: %d %v", st, m)
	}

	// The README's own commands, pasted into a shell (as a newcomer would),
	// work against the same server.
	runREADMESession(t, c)

	// The OpenID provider is mounted with no flag of its own: discovery
	// names its endpoints, and they answer.
	checkProvider(t, base, creds.TenantID)

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("graceful shutdown: %v", err)
	}
}

// runREADMESession runs, pasted into one shell as a newcomer would, the
// shell blocks of the README's "A first session with curl" (getting the
// token, then the seed's session) and of "Signing in with the QR code and
// PIN" (enabling the policy, the badge and the sign-in), with the server's
// address and data directory put in, and checks what they print and the
// badge image they write.
func runREADMESession(t *testing.T, c common) {
	t.Helper()
	for _, tool := range []string{"curl", "jq", "base64"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not installed, and CI=true: the README's commands must run", tool)
			}
			t.Logf("%s is not installed: the README's commands are not run (the same requests were made above)", tool)
			return
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	first := readmeBlocks(t, string(readme), "## A first session with curl")
	if len(first) < 2 {
		t.Fatalf("%d shell blocks in the README's first session", len(first))
	}
	signIn := readmeBlocks(t, string(readme), "## Signing in with the QR code and PIN")
	if len(signIn) != 2 {
		t.Fatalf("%d shell blocks in the README's sign-in section, want 2 (the policy, the sign-in)", len(signIn))
	}
	// The token, the seed's session, the sign-in; the user is another one
	// than above. The badge's content is kept to compare with the image.
	script := "set -e\n" + first[0] + "\necho \"TOKEN ${#TOKEN}\"\n" + first[1] + signIn[0] + signIn[1] +
		"printf '%s' \"$QR\" > qr.txt\n"
	script = strings.ReplaceAll(script, "ana@contoso.com", "ben@contoso.com")
	script = strings.NewReplacer("http://localhost:8080", "http://"+c.addr, "qrpin-data/", c.data+"/").Replace(script)
	dir := t.TempDir()
	sh := exec.Command("sh", "-c", script)
	sh.Dir = dir
	out, err := sh.CombinedOutput()
	got := string(out)
	if err != nil || strings.Contains(got, "TOKEN 0\n") || !strings.Contains(got, `"userPrincipalName":"ben@contoso.com"`) ||
		!strings.Contains(got, `"forceChangePinNextSignIn":true`) || !strings.Contains(got, `"code":null`) ||
		!strings.Contains(got, `"state":"enabled"`) || !strings.Contains(got, `"id_token":"`) ||
		!strings.Contains(got, `{"next":"pin",`) || !strings.Contains(got, `{"next":"newPin",`) || !strings.Contains(got, `{"next":"done",`) ||
		!strings.Contains(got, `"forceChangePinNextSignIn":false`) || strings.Contains(got, `"error"`) {
		t.Fatalf("the README's first session and sign-in: %v\n%s", err, got)
	}
	// badge.png is a PNG of exactly the badge's content the sign-in used.
	qr, err := os.ReadFile(filepath.Join(dir, "qr.txt"))
	if err != nil || !strings.HasPrefix(string(qr), "QP1.") || !strings.HasSuffix(string(qr), ".ben@contoso.com") {
		t.Fatalf("the badge's content: %q %v", qr, err)
	}
	f, err := os.Open(filepath.Join(dir, "badge.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pic, err := png.Decode(f)
	if err != nil {
		t.Fatalf("badge.png: %v", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(pic)
	if err != nil {
		t.Fatal(err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil || res.GetText() != string(qr) {
		t.Fatalf("badge.png reads %v, %v; want the badge's content", res, err)
	}
}

// readmeBlocks returns the shell blocks of the README's section that
// starts with heading (up to the next "## " heading).
func readmeBlocks(t *testing.T, readme, heading string) []string {
	t.Helper()
	_, section, ok := strings.Cut(readme, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("the README has no section %q", heading)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var blocks []string
	for rest := section; ; {
		_, after, ok := strings.Cut(rest, "```sh\n")
		if !ok {
			return blocks
		}
		block, tail, _ := strings.Cut(after, "```")
		blocks, rest = append(blocks, block), tail
	}
}

// checkProvider checks that serve mounts the OpenID provider: discovery
// names its endpoints; an unknown client's authorization request gets the
// error page (no redirect), its device code request invalid_client.
func checkProvider(t *testing.T, base, tenant string) {
	t.Helper()
	res, err := http.Get(base + "/" + tenant + "/v2.0/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	for field, want := range map[string]string{
		"userinfo_endpoint":             base + "/oidc/userinfo",
		"end_session_endpoint":          base + "/" + tenant + "/oauth2/v2.0/logout",
		"device_authorization_endpoint": base + "/" + tenant + "/oauth2/v2.0/devicecode",
	} {
		if doc[field] != want {
			t.Errorf("discovery %s = %v, want %s", field, doc[field], want)
		}
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err = noRedirect.Get(base + "/" + tenant + "/oauth2/v2.0/authorize?response_type=code&scope=openid" +
		"&client_id=11111111-2222-3333-4444-555555555555&redirect_uri=https%3A%2F%2Fevil.example%2F")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest || res.Header.Get("Location") != "" {
		t.Errorf("authorize for an unknown client: %d, Location %q", res.StatusCode, res.Header.Get("Location"))
	}
	res, err = http.PostForm(base+"/"+tenant+"/oauth2/v2.0/devicecode", map[string][]string{"client_id": {"11111111-2222-3333-4444-555555555555"}})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.NewDecoder(res.Body).Decode(&m)
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized || m["error"] != "invalid_client" {
		t.Errorf("devicecode for an unknown client: %d %v", res.StatusCode, m)
	}
}
