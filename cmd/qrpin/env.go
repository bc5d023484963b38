package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/datadir"
	"github.com/qrpin/qrpin/pin"
	"github.com/qrpin/qrpin/store"
)

// env returns the QRPIN_<NAME> environment variable, or def when unset.
func env(name, def string) string {
	if v, ok := os.LookupEnv("QRPIN_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))); ok {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(env(name, "")); err == nil {
		return n
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(env(name, "")); err == nil {
		return d
	}
	return def
}

// common holds the flags every command that opens the data shares.
type common struct {
	data      string
	addr      string
	publicURL string
	trusted   trustedFlags // serve only: registered by serveCmd, not by flags
	proxies   []string     // serve only: --trusted-proxies, CIDR prefixes or addresses
	tenant    string       // --tenant: the tenant id to create the data directory for
	tls       tlsFlags     // serve and token: registered by them (the issuer's scheme follows it)
	token     tokenFlags   // serve only: the token endpoint's rate limits
	out       io.Writer    // where commands print; os.Stdout when nil
	db        dbFlags      // --db and the pool's flags: the database, SQLite in the data directory by default
	signin    signinFlags  // serve only: sign-in settings
	oidc      oidcFlags    // serve only: the OpenID provider's settings
	staff     staffFlags   // serve only: the staff page's settings
	prune     pruneFlags   // serve only: log retention
	ops       opsFlags     // serve only: management listener, log format and level
	// appCheckTTL is serve's --app-check-ttl (admin.Service.AppCheckTTL);
	// zero (as tests calling serve leave it) reads the store every request.
	appCheckTTL time.Duration
	// listen opens serve's listener; net.Listen when nil. Tests that
	// restart a server on its address wrap it (see retryListen).
	listen func(network, address string) (net.Listener, error)
	// server is the server's base URL as a command that mints tokens or
	// prints URLs sees it (see serverURL); set by apps create, update and
	// add-secret.
	server string
	// hashParams, when set, are serve's Argon2id parameters instead of
	// pin.DefaultParams: tests that make many PINs lower the cost.
	hashParams *pin.Params
}

func (c *common) flags(fs *pflag.FlagSet) {
	fs.StringVar(&c.data, "data", env("data", "./qrpin-data"), "data directory: embedded database, pepper and signing keys (QRPIN_DATA)")
	fs.StringVar(&c.addr, "addr", env("addr", "localhost:8080"), "the server's address (host:port): where serve listens; "+
		"the commands that mint tokens or print the server's URLs name the server with it; the others do not use it (QRPIN_ADDR)")
	fs.StringVar(&c.publicURL, "public-url", env("public-url", ""), "base URL clients use to reach the server; token issuer and links derive from it (QRPIN_PUBLIC_URL; default http://<addr>, https with TLS)")
	fs.StringVar(&c.tenant, "tenant", env("tenant", ""), "tenant id (a GUID) to create the data directory for on first start; later it must match (QRPIN_TENANT; default a new GUID)")
	c.db.flags(fs)
}

// deps is what the commands share once the data directory is open.
type deps struct {
	store    store.Store
	pepper   []byte
	keys     *auth.KeySet
	tenantID string
}

// open opens (creating on first use) the data directory: the database, the
// pepper and the signing keys, and the tenant id kept in the database.
func (c *common) open(ctx context.Context) (*deps, error) {
	if err := datadir.Ensure(c.data); err != nil {
		return nil, err
	}
	pepper, err := datadir.Pepper(c.data)
	if err != nil {
		return nil, err
	}
	keys, err := auth.LoadOrCreateKeys(filepath.Join(c.data, "keys"))
	if err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	st, err := c.db.openStore(ctx, c.data)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := checkPepper(ctx, st, pepper, c.data); err != nil {
		st.Close()
		return nil, err
	}
	first, err := c.tenantSetting()
	if err != nil {
		st.Close()
		return nil, err
	}
	tenant, err := st.Setting(ctx, "tenant_id", first)
	if err == nil {
		err = c.checkTenant(tenant)
	}
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("tenant id: %w", err)
	}
	return &deps{store: st, pepper: pepper, keys: keys, tenantID: tenant}, nil
}

// tokens returns the token issuer and verifier for publicURL.
func (d *deps) tokens(publicURL string) *auth.Tokens {
	return &auth.Tokens{
		Keys:      d.keys,
		Issuer:    auth.Issuer(publicURL, d.tenantID),
		Audiences: append(append([]string{}, auth.GraphAudiences...), strings.TrimSuffix(publicURL, "/")),
	}
}

// clientFlags registers, for a command that mints tokens or prints the
// server's URLs (token, apps create, update, add-secret), the TLS flags and
// says what --addr and --public-url mean there: they name the server, not
// where to listen.
func (c *common) clientFlags(fs *pflag.FlagSet) {
	c.tls.flags(fs)
	fs.Lookup("addr").Usage = "the server's address (host:port), when it is not the one the data directory records: " +
		"the token's issuer and the printed URLs derive from it (with https when a --tls-* flag is given); " +
		"by default they use the public URL qrpin serve recorded in the data directory when it started, else localhost:8080 (QRPIN_ADDR)"
	fs.Lookup("addr").DefValue = "" // its default is the recorded URL (the usage says so)
	fs.Lookup("public-url").Usage = "the server's public URL, when it is not the one the data directory records: " +
		"the token's issuer and the printed URLs derive from it (QRPIN_PUBLIC_URL; default the recorded one)"
}

// serverURL is the server's base URL for a command that mints tokens or
// prints URLs: from --public-url or --addr when given (on the command line or
// as QRPIN_PUBLIC_URL, QRPIN_ADDR), else the public URL the last `qrpin
// serve` on the data directory recorded, else the default address's.
func (c *common) serverURL(fs *pflag.FlagSet) (string, error) {
	if c.publicURL != "" || fs.Changed("addr") || env("addr", "") != "" {
		return c.baseURL(), nil
	}
	recorded, err := datadir.PublicURL(c.data)
	if err != nil || recorded == "" {
		return c.baseURL(), err
	}
	return recorded, nil
}

// baseURL is the public URL, or http://addr when none is configured.
func (c *common) baseURL() string {
	if c.publicURL != "" {
		return strings.TrimSuffix(c.publicURL, "/")
	}
	host := c.addr
	if strings.HasPrefix(host, ":") {
		host = "localhost" + host
	}
	return c.tls.scheme() + "://" + host
}
