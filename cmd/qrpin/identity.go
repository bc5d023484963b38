package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/google/uuid"
	"github.com/spf13/pflag"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/issuer"
)

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

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@", r))
	}) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
