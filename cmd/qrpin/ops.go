package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/store"
	"github.com/qrpin/qrpin/telemetry"
)

// defaultManagementAddr is where the management listener (metrics, health)
// listens unless told otherwise: loopback only.
const defaultManagementAddr = "127.0.0.1:9464"

// opsFlags are the settings for running qrpin as a service: the management
// listener and the log.
type opsFlags struct {
	managementAddr string // host:port, or "" or "off": no management listener
	logFormat      string // text or json
	logLevel       string // debug, info, warn or error
	// logOut is where the log goes; os.Stderr when nil (tests capture it).
	logOut io.Writer
}

// managementFlag registers --management-addr (serve and healthcheck).
func (f *opsFlags) managementFlag(fs *pflag.FlagSet) {
	fs.StringVar(&f.managementAddr, "management-addr", env("management-addr", defaultManagementAddr),
		"address (host:port) of the management listener, which serves /metrics, /livez and /readyz apart from the public listener; "+
			"\"off\" (or empty) turns it off (QRPIN_MANAGEMENT_ADDR)")
}

func (f *opsFlags) flags(fs *pflag.FlagSet) {
	f.managementFlag(fs)
	fs.StringVar(&f.logFormat, "log-format", env("log-format", "text"), "log format: text (key=value lines) or json (one JSON object a line) (QRPIN_LOG_FORMAT)")
	fs.StringVar(&f.logLevel, "log-level", env("log-level", "info"), "least severe log level written: debug, info, warn or error (QRPIN_LOG_LEVEL)")
}

// management returns the management listener's address, "" when it is off.
func (f *opsFlags) management() string {
	if strings.EqualFold(f.managementAddr, "off") {
		return ""
	}
	return f.managementAddr
}

// logger returns the log the flags ask for, writing to w; unset ones are
// the defaults (text, info).
func (f *opsFlags) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level // info
	if f.logLevel != "" {
		if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
			return nil, fmt.Errorf("--log-level: want debug, info, warn or error, not %q", f.logLevel)
		}
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(f.logFormat) {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: want text or json, not %q", f.logFormat)
}

// readiness returns /readyz's checks: the database answers and its schema
// is at least at the version this build's migrations bring it to (one
// query), and a signing key is loaded. A schema newer than the build's
// (a newer qrpin migrated it during a rolling upgrade, while this one
// still serves) passes with a warning, logged once: failing it would take
// every old process out of service at once.
func readiness(st store.Store, keys *auth.KeySet, log *slog.Logger) []telemetry.Check {
	var warned atomic.Bool
	return []telemetry.Check{
		{Name: "database", Run: func(ctx context.Context) error {
			sc, ok := st.(store.Schema)
			if !ok {
				return errors.New("the store cannot tell its schema version")
			}
			current, want, err := sc.SchemaVersion(ctx)
			if err != nil {
				return errors.New("the database does not answer")
			}
			switch {
			case current < want:
				return fmt.Errorf("the database schema is at migration %d, this qrpin expects %d", current, want)
			case current > want:
				if !warned.Swap(true) {
					log.Warn("the database schema is newer than this qrpin's: a newer qrpin migrated it; upgrade this one", "schema", current, "expects", want)
				}
				return telemetry.Warning(fmt.Sprintf("the database schema is at migration %d, newer than this qrpin's %d: upgrade this qrpin", current, want))
			}
			return nil
		}},
		{Name: "signing_keys", Run: func(context.Context) error {
			if _, _, err := keys.SigningKey(); err != nil {
				return errors.New("no signing key is loaded")
			}
			return nil
		}},
	}
}

// serveManagement starts the management listener on addr with h, and
// returns a function that shuts it down.
func serveManagement(addr string, h http.Handler, log *slog.Logger) (net.Addr, func(context.Context) error, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("--management-addr: %w", err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("management listener stopped", "err", err)
		}
	}()
	return ln.Addr(), srv.Shutdown, nil
}

// healthcheckCmd asks a running server's management listener whether it is
// ready (or, with --live, alive): exit status 0 when it is, 1 otherwise, for
// container health checks.
func healthcheckCmd() *cobra.Command {
	var f opsFlags
	var live bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "healthcheck",
		Short: "Exit 0 when the server's management listener reports it ready (/readyz), 1 otherwise",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return healthcheck(cmd.Context(), cmd.OutOrStdout(), f.management(), live, timeout)
		},
	}
	f.managementFlag(cmd.Flags())
	cmd.Flags().BoolVar(&live, "live", false, "ask /livez (the process serves) instead of /readyz")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "how long to wait for the answer")
	return cmd
}

// healthClient is the healthcheck's HTTP client: it asks the management
// listener directly, never through HTTP_PROXY or HTTPS_PROXY (a container's
// proxy settings are for its outbound traffic, and a proxy would answer for
// a server that is down), and gives up after timeout.
func healthClient(timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DisableKeepAlives = true // one request
	return &http.Client{Transport: tr, Timeout: timeout}
}

// healthcheck asks http://addr/readyz (or /livez) and returns nil on 200.
func healthcheck(ctx context.Context, out io.Writer, addr string, live bool, timeout time.Duration) error {
	if addr == "" {
		return errors.New("the management listener is off (--management-addr): nothing to ask")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--management-addr: %w", err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" { // listening everywhere: ask loopback
		host = "127.0.0.1"
	}
	path := "/readyz"
	if live {
		path = "/livez"
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+path, nil)
	if err != nil {
		return err
	}
	resp, err := healthClient(timeout).Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %d: %s", path, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	fmt.Fprint(out, string(body))
	return nil
}
