// Package loadbench is `qrpin bench`: it measures a running qrpin server
// from outside, over HTTP, against yardsticks measured in the same run.
//
// It makes its own application (granted only the app role the read needs,
// with a secret and a token by the client credentials grant) and its own
// users (with the QR code + PIN method and PINs it knows) through the
// Graph API, with an administration application's credentials, and drives
// three workloads at fixed concurrency, closed loop over keep-alive
// connections:
//
//   - read: GET /v1.0/users/{id}/authentication/qrCodePinMethod with the
//     application's token, against a bare net/http handler that answers the
//     same bytes (a real answer fetched first) with the same Content-Type,
//     run in a child process (the bench's own binary, BareCommand) so that
//     its CPU time is read the way the server's is;
//   - signin: complete QR code + PIN sign-ins through the sign-in API, one
//     user per client, against raw Argon2id verifications at the server's
//     parameters on GOMAXPROCS goroutines in the bench process;
//   - provision: users created with the method over plain Graph calls
//     (POST /users, PUT .../qrCodePinMethod with a PIN), against the
//     hash-bound limit: as many Argon2id hashes on every core, at the rate
//     measured in the same run.
//
// Each workload alternates rounds of qrpin and of its yardstick, and the
// report gives each round's rate, latency percentiles and CPU time per
// operation (the server's, read from /proc: found by its listening port or
// given), and the medians and ratios. Everything the bench made is deleted
// at the end, also when it stops early (an error, a 429, Ctrl-C).
package loadbench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/qrpin/qrpin/graphclient"
	"github.com/qrpin/qrpin/pin"
	"github.com/qrpin/qrpin/signin"
)

// The workloads, by the names Config.Workloads uses.
const (
	Read      = "read"
	SignIn    = "signin"
	Provision = "provision"
)

// Workloads are every workload, in the order a run drives them.
var Workloads = []string{Read, SignIn, Provision}

// ReadRole is the app role the bench's application is granted: the least
// the read needs.
const ReadRole = "UserAuthMethod-QR.Read.All"

// graphAppID is Microsoft Graph's application id (its service principal
// holds the app roles).
const graphAppID = "00000003-0000-0000-c000-000000000000"

// Config is what a run measures and how.
type Config struct {
	// BaseURL is the server's base URL (its public URL), such as
	// http://localhost:8080; the Graph API is under /v1.0.
	BaseURL string
	// Tenant is the server's tenant id.
	Tenant string
	// Admin is a Graph client of an application that may create and
	// delete users, methods and applications, grant app roles and read the
	// QR code + PIN policy (the bootstrap application may).
	Admin *graphclient.Client
	// Transport is the base of the benchmark's own connections (TLS
	// settings); nil: a new one.
	Transport *http.Transport
	// Workloads to run (Read, SignIn, Provision); empty: all.
	Workloads []string
	// Clients are the concurrencies of the read and the sign-in.
	Clients []int
	// Rounds of each measurement (each a qrpin round and a yardstick round).
	Rounds int
	// Duration of a read or sign-in round, and of the hash rate's.
	Duration time.Duration
	// ProvisionUsers are the users created in each provisioning round, by
	// ProvisionClients concurrent clients.
	ProvisionUsers, ProvisionClients int
	// Params are the server's Argon2id parameters, for the yardsticks.
	Params pin.Params
	// ServerPID is the server's process id; 0: the process listening on
	// BaseURL's loopback port, when it can be found; -1: unknown.
	ServerPID int
	// Domain is the UPN domain of the users made.
	Domain string
	// BareCommand makes the command that runs args (BareCommand and its
	// flags) in a new process; nil: this binary (os.Executable).
	BareCommand func(args []string) *exec.Cmd
	// Progress, when not nil, is told what the run is doing, a line at a time.
	Progress io.Writer
}

// ThrottledError is a 429 answer: the server's rate limits would distort
// the measurement, so the run stops.
type ThrottledError struct {
	Request string // what was refused, such as "GET /v1.0/users/…"
	Flag    string // the server's setting that lifts the limit
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("the server answered 429 Too Many Requests to %s, so the measurement stopped (a rate limit would distort it): start the server with %s", e.Request, e.Flag)
}

// The server settings that lift its limits for a benchmark.
const (
	graphFlag  = "qrpin serve --rate-limit 0"
	signinFlag = "qrpin serve --signin-throttle 0 (and right PINs: a 429 pinLocked means the bench sent a wrong one)"
	tokenFlag  = "qrpin serve --token-rate-limit 0 --token-rate-limit-addr 0"
)

// run is one benchmark run's state.
type run struct {
	cfg    Config
	id     string // this run's random id, in the names of what it makes
	base   string // cfg.BaseURL without a trailing slash
	graph  string // base + "/v1.0"
	admin  graphclient.Client
	hc     *http.Client
	pid    int // the server's process id, 0 when unknown
	pinLen int
	hasher *pin.Hasher

	mu    sync.Mutex
	users []string // ids of the users made
	app   string   // object id of the application made
}

// Run runs the benchmark and returns its report. It deletes what it made
// before it returns, whatever the outcome; ctx ending (Ctrl-C) stops the
// measurement, not the clean-up.
func Run(ctx context.Context, cfg Config) (rep *Report, err error) {
	r, err := newRun(cfg)
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := r.cleanup(); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}()
	return r.measure(ctx)
}

func newRun(cfg Config) (*run, error) {
	if cfg.Admin == nil {
		return nil, errors.New("loadbench: no Graph client")
	}
	u, err := url.Parse(strings.TrimSuffix(cfg.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("the server URL %q is not an http(s) URL", cfg.BaseURL)
	}
	if cfg.Tenant == "" {
		return nil, errors.New("loadbench: no tenant id")
	}
	if len(cfg.Workloads) == 0 {
		cfg.Workloads = Workloads
	}
	for _, w := range cfg.Workloads {
		if !slices.Contains(Workloads, w) {
			return nil, fmt.Errorf("unknown workload %q (known: %s)", w, strings.Join(Workloads, ", "))
		}
	}
	if len(cfg.Clients) == 0 && (slices.Contains(cfg.Workloads, Read) || slices.Contains(cfg.Workloads, SignIn)) {
		return nil, errors.New("no client counts")
	}
	for _, c := range cfg.Clients {
		if c < 1 {
			return nil, fmt.Errorf("client count %d: must be at least 1", c)
		}
	}
	switch {
	case cfg.Rounds < 1:
		return nil, errors.New("rounds must be at least 1")
	case cfg.Duration <= 0:
		return nil, errors.New("the duration must be positive")
	case slices.Contains(cfg.Workloads, Provision) && (cfg.ProvisionUsers < 1 || cfg.ProvisionClients < 1):
		return nil, errors.New("provisioning needs at least one user and one client")
	}
	if cfg.Domain == "" {
		cfg.Domain = "bench.example"
	}
	pepper := make([]byte, pin.MinPepperLen)
	rand.Read(pepper)
	hasher, err := pin.NewHasher(pepper, cfg.Params)
	if err != nil {
		return nil, fmt.Errorf("Argon2id parameters: %w", err)
	}
	id := make([]byte, 4)
	rand.Read(id)
	r := &run{cfg: cfg, id: hex.EncodeToString(id), base: u.String(), graph: u.String() + "/v1.0", hasher: hasher}
	r.admin = *cfg.Admin
	r.admin.Retries = -1 // a 429 stops the run; the clean-up retries (cleanupClient)
	tr := &http.Transport{}
	if cfg.Transport != nil {
		tr = cfg.Transport.Clone()
	}
	most := max(cfg.ProvisionClients, 1)
	for _, c := range cfg.Clients {
		most = max(most, c)
	}
	tr.MaxIdleConns = 0
	tr.MaxIdleConnsPerHost = 2 * most // keep-alive: one connection per client and host
	tr.DisableCompression = true      // the same bytes from qrpin and the bare handler
	tr.Proxy = nil                    // loopback measurements; never through a proxy
	r.hc = &http.Client{Transport: tr, Timeout: time.Minute}
	r.pid = cfg.ServerPID
	if r.pid == 0 {
		r.pid = serverPID(u)
	}
	r.pid = max(r.pid, 0)
	return r, nil
}

// serverPID finds the process listening on u's port when u's host is this
// machine; 0 when it cannot tell.
func serverPID(u *url.URL) int {
	host := u.Hostname()
	if ip := net.ParseIP(host); !strings.EqualFold(host, "localhost") && (ip == nil || !ip.IsLoopback()) {
		return 0
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		port = 80
		if u.Scheme == "https" {
			port = 443
		}
	}
	return ListenerPID(port)
}

func (r *run) progress(format string, args ...any) {
	if r.cfg.Progress != nil {
		fmt.Fprintf(r.cfg.Progress, format+"\n", args...)
	}
}

// measure sets up and drives the workloads.
func (r *run) measure(ctx context.Context) (*Report, error) {
	rep := &Report{
		BaseURL: r.base, ServerPID: r.pid, GOMAXPROCS: runtime.GOMAXPROCS(0), Params: r.cfg.Params,
		Rounds: r.cfg.Rounds, Duration: r.cfg.Duration, LoadBefore: loadAverage(),
	}
	var policy graphclient.Policy
	if err := r.admin.Do(ctx, http.MethodGet, "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/qrCodePin", nil, &policy); err != nil {
		return nil, r.graphErr("read the QR code + PIN policy", err)
	}
	r.pinLen = max(policy.PINLength, pin.MinLength)
	if slices.Contains(r.cfg.Workloads, SignIn) && !strings.EqualFold(policy.State, "enabled") {
		return nil, errors.New("the tenant's QR code + PIN policy is disabled, so every sign-in would be refused: enable it " +
			"(PATCH /v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/qrCodePin {\"state\": \"enabled\"}, see the README) " +
			"or leave the sign-in out (--workloads read,provision)")
	}
	for _, w := range r.cfg.Workloads {
		var err error
		switch w {
		case Read:
			err = r.readWorkload(ctx, rep)
		case SignIn:
			err = r.signInWorkload(ctx, rep)
		case Provision:
			err = r.provisionWorkload(ctx, rep)
		}
		if err != nil {
			return nil, err
		}
	}
	rep.LoadAfter = loadAverage()
	rep.summarize()
	return rep, nil
}

// graphErr names what failed; a 429 becomes a ThrottledError.
func (r *run) graphErr(what string, err error) error {
	if graphclient.IsStatus(err, http.StatusTooManyRequests) {
		return &ThrottledError{Request: what, Flag: graphFlag}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// made records a user the run created, for the clean-up.
func (r *run) made(id string) {
	r.mu.Lock()
	r.users = append(r.users, id)
	r.mu.Unlock()
}

// newUser creates a user named after the run, kind and n with the QR code +
// PIN method and the PIN code, through Graph with token (the answer's
// JSON not decoded when payload is false), and returns its id and, when
// asked, its badge's content.
func (r *run) newUser(ctx context.Context, token, kind string, n int, code string, payload bool) (id, qr string, err error) {
	upn := fmt.Sprintf("qrpin-bench-%s-%s-%d@%s", r.id, kind, n, r.cfg.Domain)
	var u graphclient.User
	if err := r.call(ctx, token, http.MethodPost, "/users", graphclient.NewUserBody(graphclient.NewUser{
		UPN: upn, DisplayName: "qrpin bench " + kind + " " + strconv.Itoa(n), AccountEnabled: true}), http.StatusCreated, &u); err != nil {
		return "", "", err
	}
	r.made(u.ID)
	var m graphclient.Method
	var out any // nil: the answer is not decoded
	if payload {
		out = &m
	}
	body := map[string]any{"@odata.type": "#microsoft.graph.qrCodePinAuthenticationMethod",
		"standardQRCode": map[string]any{}, "pin": map[string]any{"code": code}}
	if err := r.call(ctx, token, http.MethodPut, "/"+graphclient.MethodPath(u.ID), body, http.StatusCreated, out); err != nil {
		return "", "", err
	}
	if payload {
		if qr, err = m.Standard.Payload(); err != nil || qr == "" {
			return "", "", fmt.Errorf("PUT the method of %s: no badge content in the answer (%v)", upn, err)
		}
	}
	return u.ID, qr, nil
}

// call sends a Graph request with token, expecting status, and decodes
// the answer into out when it is not nil. A 429 is a ThrottledError.
func (r *run) call(ctx context.Context, token, verb, path string, body any, status int, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, verb, r.graph+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := r.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", verb, path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%s %s: %w", verb, path, err)
	}
	if res.StatusCode == http.StatusTooManyRequests {
		return &ThrottledError{Request: verb + " /v1.0" + shortPath(path), Flag: graphFlag}
	}
	if res.StatusCode != status {
		return fmt.Errorf("%s /v1.0%s: %d %s", verb, shortPath(path), res.StatusCode, errorText(data))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s /v1.0%s: the answer is not the JSON expected: %w", verb, shortPath(path), err)
		}
	}
	return nil
}

// shortPath is a request path for a message: the query left out.
func shortPath(p string) string {
	p, _, _ = strings.Cut(p, "?")
	return p
}

// errorText is the code and message of an error answer (Graph's envelope
// or the sign-in API's), or its status line when it has neither. Neither
// kind of answer holds a secret.
func errorText(data []byte) string {
	var env signin.ErrorResponse
	if json.Unmarshal(data, &env) == nil && env.Error.Code != "" {
		return env.Error.Code + ": " + env.Error.Message
	}
	return strings.TrimSpace(string(data[:min(len(data), 200)]))
}

// token gets a Graph token for the client by the client credentials grant
// at the server's token endpoint.
func (r *run) token(ctx context.Context, clientID, secret string) (string, error) {
	cc := clientcredentials.Config{ClientID: clientID, ClientSecret: secret, Scopes: []string{"https://graph.microsoft.com/.default"},
		TokenURL: r.base + "/" + url.PathEscape(r.cfg.Tenant) + "/oauth2/v2.0/token"}
	tk, err := cc.Token(context.WithValue(ctx, oauth2.HTTPClient, r.hc))
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusTooManyRequests {
		return "", &ThrottledError{Request: "the token endpoint", Flag: tokenFlag}
	}
	if err != nil {
		return "", fmt.Errorf("token for the bench's application: %w", err)
	}
	return tk.AccessToken, nil
}

// newApp registers the bench's application, grants it ReadRole, gives it
// a secret and returns a token of it.
func (r *run) newApp(ctx context.Context) (string, error) {
	var sps struct {
		Value []struct {
			ID       string `json:"id"`
			AppRoles []struct {
				ID    string `json:"id"`
				Value string `json:"value"`
			} `json:"appRoles"`
		} `json:"value"`
	}
	if err := r.admin.Do(ctx, http.MethodGet, "servicePrincipals?"+url.Values{"$filter": {"appId eq '" + graphAppID + "'"}}.Encode(), nil, &sps); err != nil {
		return "", r.graphErr("find Microsoft Graph's service principal", err)
	}
	var graphSP, roleID string
	for _, sp := range sps.Value {
		for _, role := range sp.AppRoles {
			if strings.EqualFold(role.Value, ReadRole) {
				graphSP, roleID = sp.ID, role.ID
			}
		}
	}
	if roleID == "" {
		return "", fmt.Errorf("no app role %s on Microsoft Graph's service principal", ReadRole)
	}
	var app struct {
		ID    string `json:"id"`
		AppID string `json:"appId"`
	}
	if err := r.admin.Do(ctx, http.MethodPost, "applications", map[string]any{"displayName": "qrpin bench " + r.id}, &app); err != nil {
		return "", r.graphErr("create the bench's application", err)
	}
	r.mu.Lock()
	r.app = app.ID
	r.mu.Unlock()
	var sp struct {
		ID string `json:"id"`
	}
	if err := r.admin.Do(ctx, http.MethodPost, "servicePrincipals", map[string]any{"appId": app.AppID}, &sp); err != nil {
		return "", r.graphErr("the bench application's service principal", err)
	}
	if err := r.admin.Do(ctx, http.MethodPost, "servicePrincipals/"+url.PathEscape(sp.ID)+"/appRoleAssignments",
		map[string]any{"principalId": sp.ID, "resourceId": graphSP, "appRoleId": roleID}, nil); err != nil {
		return "", r.graphErr("grant "+ReadRole+" to the bench's application", err)
	}
	var pw struct {
		SecretText string `json:"secretText"`
	}
	if err := r.admin.Do(ctx, http.MethodPost, "applications/"+url.PathEscape(app.ID)+"/addPassword",
		map[string]any{"passwordCredential": map[string]any{"displayName": "qrpin bench"}}, &pw); err != nil {
		return "", r.graphErr("add a secret to the bench's application", err)
	}
	return r.token(ctx, app.AppID, pw.SecretText)
}

// adminToken is the administration application's token, for the plain
// Graph calls of the provisioning.
func (r *run) adminToken(ctx context.Context) (string, error) {
	tk, err := r.admin.Tokens.Token(ctx)
	if err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	return tk, nil
}

// cleanupClient is the administration client with retries: the clean-up
// waits out a rate limit rather than leave users behind.
func (r *run) cleanupClient() *graphclient.Client {
	c := r.admin
	c.Retries = 0 // graphclient.DefaultRetries
	c.MaxWait = 15 * time.Second
	return &c
}

// cleanup deletes the users and the application the run made. When some
// are left, its error names the run's id (in their names) and every one of
// them, so that they can be deleted by hand.
func (r *run) cleanup() error {
	r.mu.Lock()
	users, app := r.users, r.app
	r.users, r.app = nil, ""
	r.mu.Unlock()
	if len(users) == 0 && app == "" {
		return nil
	}
	r.progress("deleting the %d users and the application the bench made", len(users))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	g := r.cleanupClient()
	var mu sync.Mutex
	var left []string
	var firstErr error
	jobs := make(chan string)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for id := range jobs {
				err := g.Do(ctx, http.MethodDelete, "users/"+url.PathEscape(id), nil, nil)
				if err != nil && !graphclient.IsStatus(err, http.StatusNotFound) {
					mu.Lock()
					left = append(left, id)
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for _, id := range users {
		jobs <- id
	}
	close(jobs)
	wg.Wait()
	var errs []error
	if len(left) > 0 {
		slices.Sort(left)
		errs = append(errs, fmt.Errorf("clean-up of bench run %s: %d users left behind (%w); their UPNs start qrpin-bench-%s-, their ids: %s",
			r.id, len(left), firstErr, r.id, strings.Join(left, " ")))
	}
	if app != "" {
		if err := g.Do(ctx, http.MethodDelete, "applications/"+url.PathEscape(app), nil, nil); err != nil && !graphclient.IsStatus(err, http.StatusNotFound) {
			errs = append(errs, fmt.Errorf("clean-up of bench run %s: the application \"qrpin bench %s\" left behind (%w); its id: %s", r.id, r.id, err, app))
		}
	}
	return errors.Join(errs...)
}

// loadAverage is the 1-, 5- and 15-minute load averages (/proc/loadavg),
// or "" where there is none.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
