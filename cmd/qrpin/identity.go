package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/uuid"
	"github.com/spf13/pflag"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/issuer"
)

// BootstrapFile is where the first start writes the bootstrap
// administration application's credentials (mode 0600), in the data
// directory.
const BootstrapFile = "bootstrap-admin.json"

// tokenFlags configures the token endpoint of `serve`.
type tokenFlags struct {
	clientLimit, addrLimit int
}

func (f *tokenFlags) flags(fs *pflag.FlagSet) {
	fs.IntVar(&f.clientLimit, "token-rate-limit", envInt("token-rate-limit", 60),
		"token requests per client id per minute; beyond it 429 (QRPIN_TOKEN_RATE_LIMIT; 0: no limit)")
	fs.IntVar(&f.addrLimit, "token-rate-limit-addr", envInt("token-rate-limit-addr", 300),
		"token requests per client address per minute; beyond it 429 (QRPIN_TOKEN_RATE_LIMIT_ADDR; 0: no limit)")
}

// tokenEndpoint returns the token endpoint of the server at base.
func (c *common) tokenEndpoint(d *deps, svc *admin.Service, base string, log *slog.Logger) *issuer.TokenEndpoint {
	return &issuer.TokenEndpoint{
		Admin:       svc,
		Tokens:      d.tokens(base),
		TenantID:    d.tenantID,
		BaseURL:     base,
		ClientLimit: c.token.clientLimit,
		AddrLimit:   c.token.addrLimit,
		Log:         log,
	}
}

// stdout is where commands print (os.Stdout unless a test says otherwise).
func (c *common) stdout() io.Writer {
	if c.out != nil {
		return c.out
	}
	return os.Stdout
}

// tenantSetting returns the tenant id to store on first start: --tenant,
// or a new GUID.
func (c *common) tenantSetting() (string, error) {
	if c.tenant == "" {
		return uuid.NewString(), nil
	}
	id, err := uuid.Parse(c.tenant)
	if err != nil {
		return "", fmt.Errorf("--tenant %q is not a GUID", c.tenant)
	}
	return id.String(), nil
}

// checkTenant fails when --tenant names another tenant than the one the
// data directory was created for.
func (c *common) checkTenant(stored string) error {
	if c.tenant == "" {
		return nil
	}
	want, err := c.tenantSetting()
	if err != nil {
		return err
	}
	if want != stored {
		return fmt.Errorf("--tenant %s: the data directory %s belongs to tenant %s", want, c.data, stored)
	}
	return nil
}

// bootstrapCredentials is the content of BootstrapFile.
type bootstrapCredentials struct {
	TenantID      string `json:"tenantId"`
	ClientID      string `json:"clientId"`
	ClientSecret  string `json:"clientSecret"`
	SecretExpires string `json:"clientSecretExpires"`
	TokenEndpoint string `json:"tokenEndpoint"`
	Scope         string `json:"scope"`
	GraphURL      string `json:"graphUrl"`
	CACertificate string `json:"caCertificate,omitempty"`
}

// bootstrap creates the bootstrap administration application on the first
// start (admin.Bootstrap), prints its client id and secret with a working
// curl pair, and writes them to BootstrapFile. Later starts print nothing.
// caCert is the development certificate clients must trust ("" if none).
func (c *common) bootstrap(ctx context.Context, d *deps, svc *admin.Service, base, caCert string) error {
	b, created, err := svc.Bootstrap(ctx)
	if err != nil || !created {
		return err
	}
	creds := bootstrapCredentials{
		TenantID:      d.tenantID,
		ClientID:      b.App.AppID,
		ClientSecret:  b.Secret.Secret,
		SecretExpires: b.Secret.End.UTC().Format("2006-01-02T15:04:05Z"),
		TokenEndpoint: base + "/" + d.tenantID + "/oauth2/v2.0/token",
		Scope:         "https://graph.microsoft.com/.default",
		GraphURL:      base + "/v1.0",
		CACertificate: caCert,
	}
	file := filepath.Join(c.data, BootstrapFile)
	data, err := json.MarshalIndent(creds, "", "  ")
	if err != nil {
		return err
	}
	out := c.stdout()
	curl := "curl -s"
	if caCert != "" {
		curl += " --cacert " + shellQuote(caCert)
	}
	fmt.Fprintf(out, `
First start: tenant %s, with the bootstrap administration application %q,
which holds every permission qrpin knows. Its client secret is shown this once
(and kept in %s, mode 0600):

  client id:     %s
  client secret: %s

Get a token from the token endpoint and list the users:

  TOKEN=$(%s %s \
    -d grant_type=client_credentials -d client_id=%s \
    -d client_secret=%s -d scope=https://graph.microsoft.com/.default \
    | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
  %s %s -H "Authorization: Bearer $TOKEN"

`, d.tenantID, admin.BootstrapAppName, file, creds.ClientID, creds.ClientSecret,
		curl, creds.TokenEndpoint, creds.ClientID, creds.ClientSecret, curl, creds.GraphURL+"/users")
	if err := writeFileAtomic(file, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("write %s: %w (the credentials are printed above)", file, err)
	}
	return nil
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@", r))
	}) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
