package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/qrpin/qrpin/datadir"
	"github.com/qrpin/qrpin/loadbench"
	"github.com/qrpin/qrpin/pin"
)

// benchFlags are the flags of `qrpin bench`.
type benchFlags struct {
	data, url, tenant, clientID, clientSecret, caCert string
	cfg                                               loadbench.Config
	workloads                                         []string
	clients                                           []int
	params                                            pin.Params
	json                                              bool
	// allowRemote lets the bench run against a server that is not on a
	// loopback address.
	allowRemote bool
}

// benchBareCommand, when not nil, makes the command that runs the bare
// handler (tests run it in the test binary).
var benchBareCommand func(args []string) *exec.Cmd

func benchCmd() *cobra.Command {
	var f benchFlags
	f.params = pin.DefaultParams
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure a running qrpin: management reads, sign-ins and provisioning, each against a yardstick",
		Long: "bench drives a running qrpin server at fixed concurrency for a fixed time, closed loop over keep-alive\n" +
			"connections, with an application and users it makes itself through the Graph API (and deletes at the end,\n" +
			"also on Ctrl-C):\n" +
			"  read:      GET /v1.0/users/{id}/authentication/qrCodePinMethod with an application token, against a bare\n" +
			"             net/http handler answering the same bytes (in a child process);\n" +
			"  signin:    complete QR code + PIN sign-ins (one user per client), against raw Argon2id verifications at\n" +
			"             the server's parameters on GOMAXPROCS goroutines;\n" +
			"  provision: users created with the method over plain Graph calls, against the hash-bound limit (as many\n" +
			"             Argon2id hashes on every core).\n" +
			"qrpin and yardstick rounds alternate. It prints each round's rate, p50/p99 latency and CPU per operation of\n" +
			"the server's process (found by its loopback port, or --server-pid), the medians and the ratios.\n\n" +
			"The server's limits would stop the measurement: run it with --rate-limit 0 (and, when sign-ins are\n" +
			"measured, the QR code + PIN policy enabled for all users). By default bench uses the data directory's\n" +
			"bootstrap application and the URL the server recorded there.\n\n" +
			"It refuses a server that is not on a loopback address (localhost, 127.0.0.0/8, ::1) unless given\n" +
			"--allow-remote: a bench creates thousands of users and needs the server's rate limit off, which\n" +
			"belongs on a test server, not a production one.",
		Example: `  qrpin serve --rate-limit 0 &
  qrpin bench
  qrpin bench --workloads read --clients 8,16 --rounds 3 --duration 5s --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBench(cmd.Context(), f, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.data, "data", env("data", "./qrpin-data"), "the server's data directory: its recorded URL and bootstrap application are used unless --url and --client-id say otherwise (QRPIN_DATA)")
	fs.StringVar(&f.url, "url", env("url", ""), "the server's base URL, such as http://localhost:8080 (QRPIN_URL; default the public URL the server recorded in the data directory)")
	fs.StringVar(&f.tenant, "tenant", env("tenant", ""), "with --client-id: the tenant id (QRPIN_TENANT)")
	fs.StringVar(&f.clientID, "client-id", env("client-id", ""), "an application allowed to create users, methods and applications and grant app roles (QRPIN_CLIENT_ID; default the bootstrap application)")
	fs.StringVar(&f.clientSecret, "client-secret", env("client-secret", ""), "its client secret (QRPIN_CLIENT_SECRET; prefer the variable to the flag)")
	fs.StringVar(&f.caCert, "ca-cert", env("ca-cert", ""), "trust this PEM certificate (QRPIN_CA_CERT; default the local server's development certificate)")
	fs.StringSliceVar(&f.workloads, "workloads", loadbench.Workloads, "what to measure: read, signin, provision")
	fs.IntSliceVar(&f.clients, "clients", []int{8, 16}, "concurrent clients of the read and the sign-in (one round set each)")
	fs.IntVar(&f.cfg.Rounds, "rounds", 3, "rounds of each measurement; qrpin and yardstick rounds alternate")
	fs.DurationVar(&f.cfg.Duration, "duration", 5*time.Second, "length of a read or sign-in round, and of the hash rate's measurement")
	fs.IntVar(&f.cfg.ProvisionUsers, "provision-users", 1000, "users created in each provisioning round")
	fs.IntVar(&f.cfg.ProvisionClients, "provision-clients", 4, "concurrent clients of the provisioning")
	fs.Uint32Var(&f.params.Memory, "argon2-memory", f.params.Memory, "the server's Argon2id memory in KiB, for the yardsticks")
	fs.Uint32Var(&f.params.Time, "argon2-time", f.params.Time, "the server's Argon2id passes, for the yardsticks")
	fs.Uint8Var(&f.params.Threads, "argon2-threads", f.params.Threads, "the server's Argon2id lanes, for the yardsticks")
	fs.IntVar(&f.cfg.ServerPID, "server-pid", 0, "the server's process id, for its CPU time (default: the process listening on the URL's loopback port; -1: do not measure)")
	fs.StringVar(&f.cfg.Domain, "domain", "bench.example", "UPN domain of the users the bench makes")
	fs.BoolVar(&f.json, "json", false, "print the report as JSON")
	fs.BoolVar(&f.allowRemote, "allow-remote", false, "measure a server that is not on a loopback address (the bench creates thousands of users and needs the server's rate limit off: a test server only)")
	return cmd
}

// runBench runs `qrpin bench`.
func runBench(parent context.Context, f benchFlags, stdout, stderr io.Writer) error {
	cfg := f.cfg
	base, err := benchURL(parent, f)
	if err != nil {
		return err
	}
	g := graphFlags{url: base, tenant: f.tenant, clientID: f.clientID, clientSecret: f.clientSecret, caCert: f.caCert, authorityHost: base}
	if f.clientID == "" {
		file := filepath.Join(f.data, BootstrapFile)
		creds, ok := readBootstrapFile(file)
		if !ok {
			return fmt.Errorf("no %s: give --client-id, --client-secret and --tenant of an application allowed to create users and applications, or --data of the server", file)
		}
		g.tenant, g.clientID, g.clientSecret = creds.TenantID, creds.ClientID, creds.ClientSecret
		if g.caCert == "" {
			g.caCert = creds.CACertificate
		}
	} else if f.tenant == "" || f.clientSecret == "" {
		return errors.New("--client-id needs --client-secret and --tenant")
	}
	client, tenant, err := g.client()
	if err != nil {
		return err
	}
	cfg.BaseURL, cfg.Tenant, cfg.Admin = base, tenant, client
	if tr, ok := client.HTTP.Transport.(*http.Transport); ok {
		cfg.Transport = tr
	}
	cfg.Workloads, cfg.Clients = f.workloads, f.clients
	cfg.Params = f.params
	cfg.Params.SaltLen, cfg.Params.KeyLen = pin.DefaultParams.SaltLen, pin.DefaultParams.KeyLen
	cfg.BareCommand = benchBareCommand
	cfg.Progress = stderr

	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() { <-ctx.Done(); stop() }() // a second Ctrl-C kills at once (the clean-up is then skipped)
	rep, err := loadbench.Run(ctx, cfg)
	if err != nil {
		if parent.Err() == nil && ctx.Err() != nil {
			return fmt.Errorf("interrupted: %w", err)
		}
		return err
	}
	if f.json {
		return rep.WriteJSON(stdout)
	}
	return rep.WriteTable(stdout)
}

// benchURL is the server's base URL: --url, else the one the server
// recorded in the data directory; on a loopback address unless
// --allow-remote.
func benchURL(ctx context.Context, f benchFlags) (string, error) {
	base := strings.TrimSuffix(f.url, "/")
	if base == "" {
		recorded, err := datadir.PublicURL(f.data)
		if err != nil {
			return "", err
		}
		if recorded == "" {
			return "", fmt.Errorf("no server URL: give --url, or --data of a directory a qrpin serve has run on (%s has no %s)", f.data, datadir.PublicURLFile)
		}
		base = recorded
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || (u.Path != "" && u.Path != "/") {
		return "", fmt.Errorf("--url %q is not the http(s) base URL of a qrpin server (such as http://localhost:8080)", base)
	}
	if strings.EqualFold(u.Hostname(), entraGraph) {
		return "", errors.New("qrpin bench measures a qrpin server, not Microsoft Graph")
	}
	if !f.allowRemote && !loopbackHost(ctx, u.Hostname()) {
		return "", fmt.Errorf("refusing to bench %s, which is not on a loopback address: a bench creates thousands of users "+
			"and needs the server's rate limit off (qrpin serve --rate-limit 0), which belongs on a test server; "+
			"give --allow-remote if this is one", base)
	}
	return base, nil
}

// loopbackHost reports whether host (a URL's host name) is this machine:
// localhost, a loopback address, or a name whose every address is one.
func loopbackHost(ctx context.Context, host string) bool {
	if h := strings.ToLower(host); h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.Unmap().IsLoopback()
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(ips) == 0 {
		return false
	}
	for _, ip := range ips {
		if !ip.Unmap().IsLoopback() {
			return false
		}
	}
	return true
}

// benchBareCmd is the hidden subcommand that runs the bench's bare
// yardstick handler in its own process (loadbench.BareCommand).
func benchBareCmd() *cobra.Command {
	var contentType, body string
	cmd := &cobra.Command{
		Use:    loadbench.BareCommand,
		Short:  "The bare handler qrpin bench measures against (started by qrpin bench)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := base64.StdEncoding.DecodeString(body)
			if err != nil {
				return fmt.Errorf("--body: %w", err)
			}
			return loadbench.ServeBare(cmd.Context(), contentType, b, cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&contentType, "content-type", "application/json", "the answer's Content-Type")
	cmd.Flags().StringVar(&body, "body", "", "the answer's body, base64")
	return cmd
}
