package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
)

// TestServeIdentityEndpoints starts `serve` with a trusted issuer (a second
// OpenID provider started inside the test): discovery and JWKS are served
// beside the Graph API, and the provider's tokens work through it.
func TestServeIdentityEndpoints(t *testing.T) {
	t.Parallel()
	// The other provider.
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	var idp *httptest.Server
	idp = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			json.NewEncoder(w).Encode(map[string]string{"issuer": idp.URL, "jwks_uri": idp.URL + "/keys"})
		case "/keys":
			json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
		default:
			http.NotFound(w, r)
		}
	}))
	defer idp.Close()

	addr := freeAddr(t)
	c := common{data: filepath.Join(t.TempDir(), "data"), addr: addr}
	c.trusted.entries = []string{idp.URL + ";aud=api://qrpin;claim=upn"}

	// A user with a role, made before the server starts.
	d, err := c.open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ana := store.User{ID: uuid.NewString(), UPN: "ana@contoso.com", DisplayName: "Ana", AccountEnabled: true, Created: time.Now().UTC()}
	if err := d.store.CreateUser(context.Background(), ana); err != nil {
		t.Fatal(err)
	}
	if err := d.store.CreateRoleAssignment(context.Background(), store.RoleAssignment{ID: uuid.NewString(), PrincipalID: ana.ID, RoleDefinitionID: auth.GlobalReader}); err != nil {
		t.Fatal(err)
	}
	tenant := d.tenantID
	own, err := d.tokens(c.baseURL()).Mint(auth.Principal{Kind: auth.Delegated, ObjectID: ana.ID, TenantID: tenant,
		Scopes: []string{"User.Read.All"}, DirectoryRoles: []string{auth.GlobalReader}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	d.store.Close()

	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, c, method.DefaultLockout, 1000, func(a net.Addr) { ready <- a }) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}()
	base := "http://" + addr
	get := func(path, token string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("GET %s: %d %s", path, res.StatusCode, b)
		}
		return res.StatusCode, m
	}

	st, doc := get("/"+tenant+"/v2.0/.well-known/openid-configuration", "")
	if st != 200 || doc["issuer"] != auth.Issuer(base, tenant) || doc["jwks_uri"] != base+"/"+tenant+"/discovery/v2.0/keys" ||
		doc["token_endpoint"] != base+"/"+tenant+"/oauth2/v2.0/token" {
		t.Fatalf("discovery: %d %v", st, doc)
	}
	st, jwks := get("/"+tenant+"/discovery/v2.0/keys", "")
	if keys, _ := jwks["keys"].([]any); st != 200 || len(keys) != 1 {
		t.Fatalf("JWKS: %d %v", st, jwks)
	}
	if st, m := get("/"+uuid.NewString()+"/discovery/v2.0/keys", ""); st != 400 || m["error"] != "invalid_tenant" {
		t.Errorf("unknown tenant: %d %v", st, m)
	}
	// qrpin's own token, and the other provider's.
	if st, m := get("/v1.0/users", own); st != 200 {
		t.Errorf("own token: %d %v", st, m)
	}
	now := time.Now()
	ext := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"iss": idp.URL, "aud": "api://qrpin", "upn": "Ana@Contoso.com",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
	ext.Header["kid"] = "k1"
	extTok, err := ext.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	if st, m := get("/v1.0/me", extTok); st != 200 || m["id"] != ana.ID {
		t.Errorf("external token: %d %v", st, m)
	}
	if st, m := get("/v1.0/roleManagement/directory/roleAssignments?$filter=principalId%20eq%20'"+ana.ID+"'", extTok); st != 200 || len(m["value"].([]any)) != 1 {
		t.Errorf("external token, role assignments: %d %v", st, m)
	}
}

func TestParseTrustedIssuer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want auth.TrustedIssuer
		err  bool
	}{
		{"https://idp.example/realms/x;aud=qrpin", auth.TrustedIssuer{Issuer: "https://idp.example/realms/x", Audiences: []string{"qrpin"}}, false},
		{"https://login.microsoftonline.com/t/v2.0/.well-known/openid-configuration; aud=api://qrpin ;claim=upn;scopes=User.Read.All,UserAuthMethod-QR.ReadWrite.All",
			auth.TrustedIssuer{Discovery: "https://login.microsoftonline.com/t/v2.0/.well-known/openid-configuration", Audiences: []string{"api://qrpin"},
				Claim: "upn", Scopes: []string{"User.Read.All", "UserAuthMethod-QR.ReadWrite.All"}}, false},
		{";issuer=https://a.example;discovery=https://b.example/d;audience=x;aud=y",
			auth.TrustedIssuer{Issuer: "https://a.example", Discovery: "https://b.example/d", Audiences: []string{"x", "y"}}, false},
		{"https://accounts.google.com;aud=qrpin;claim=email;email_verified=required",
			auth.TrustedIssuer{Issuer: "https://accounts.google.com", Audiences: []string{"qrpin"}, Claim: "email", EmailVerified: "required"}, false},
		{"https://idp.example;aud", auth.TrustedIssuer{}, true},
		{"https://idp.example;aud=", auth.TrustedIssuer{}, true},
		{"https://idp.example;color=blue", auth.TrustedIssuer{}, true},
		{";aud=x", auth.TrustedIssuer{}, true},
	} {
		got, err := parseTrustedIssuer(tc.in)
		if (err != nil) != tc.err {
			t.Errorf("%q: error %v, want error %v", tc.in, err, tc.err)
			continue
		}
		if !tc.err && !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestTrustedIssuersFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "trusted.json")
	data := `[{"issuer": "https://a.example", "audience": "qrpin", "claim": "email", "emailVerified": "if-present"},
	          {"discovery": "https://b.example/.well-known/openid-configuration", "audience": ["x", "y"], "scopes": ["User.Read.All"]}]`
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	f := trustedFlags{entries: []string{"https://c.example;aud=z"}, file: path}
	got, err := f.configs()
	if err != nil {
		t.Fatal(err)
	}
	want := []auth.TrustedIssuer{
		{Issuer: "https://c.example", Audiences: []string{"z"}},
		{Issuer: "https://a.example", Audiences: []string{"qrpin"}, Claim: "email", EmailVerified: "if-present"},
		{Discovery: "https://b.example/.well-known/openid-configuration", Audiences: []string{"x", "y"}, Scopes: []string{"User.Read.All"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("configs = %+v\nwant %+v", got, want)
	}
	for _, bad := range []string{`{"issuer": "x"}`, `[{"audience": 5}]`, `[`} {
		if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := (&trustedFlags{file: path}).configs(); err == nil {
			t.Errorf("file %s accepted", bad)
		}
	}
	if _, err := (&trustedFlags{file: path + ".missing"}).configs(); err == nil {
		t.Error("missing file accepted")
	}
}

// TestKeysCommand runs `qrpin keys rotate`, `list` and `prune`.
func TestKeysCommand(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	run := func(args ...string) string {
		t.Helper()
		cmd := keysCmd()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs(append(args, "--data", data))
		if err := cmd.Execute(); err != nil {
			t.Fatalf("keys %v: %v\n%s", args, err, out.String())
		}
		return out.String()
	}
	dir := filepath.Join(data, "keys")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	first, err := auth.NewKeyAt(dir, time.Now().Add(-48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	second, err := auth.NewKeyAt(dir, time.Now().Add(-47*time.Hour)) // superseded the first 47 hours ago
	if err != nil {
		t.Fatal(err)
	}

	out := run("list")
	if !strings.Contains(out, first) || !strings.Contains(out, "expired") || !strings.Contains(out, second+"  ") {
		t.Errorf("keys list:\n%s", out)
	}
	out = run("rotate")
	if !strings.Contains(out, "new signing key") || !strings.Contains(out, "deleted expired key "+first) {
		t.Errorf("keys rotate:\n%s", out)
	}
	infos, err := auth.ListKeys(dir)
	if err != nil || len(infos) != 2 || infos[0].KID != second || !infos[1].Signing() {
		t.Fatalf("after rotate: %+v %v, want the second key and a new signing key", infos, err)
	}
	out = run("list")
	if !strings.Contains(out, "verifies until") || !strings.Contains(out, "signing") || strings.Contains(out, first) {
		t.Errorf("keys list after rotate:\n%s", out)
	}
	if out := run("prune"); out != "" {
		t.Errorf("prune with nothing expired printed %q", out)
	}
}
