package loadbench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"time"

	"github.com/qrpin/qrpin/pin"
	"github.com/qrpin/qrpin/signin"
)

// The targets a round measures.
const (
	TargetQRPIN  = "qrpin"    // the server
	TargetBare   = "bare"     // the bare handler (read's yardstick)
	TargetArgon  = "argon2id" // Argon2id verifications (sign-in's yardstick)
	TargetHashes = "hashes"   // Argon2id hashes (provisioning's yardstick)
)

// sample is what one round measured.
type sample struct {
	count     int
	wall      time.Duration
	latencies []time.Duration
	cpu       time.Duration
	cpuKnown  bool
}

// op is one operation of client w.
type op func(ctx context.Context, w int) error

// timed measures f's CPU time in process pid (unknown when pid is 0 or
// /proc cannot be read).
func timed(pid int, s *sample, f func() error) error {
	var before time.Duration
	known := false
	if pid > 0 {
		var err error
		before, err = ProcessCPU(pid)
		known = err == nil
	}
	if err := f(); err != nil {
		return err
	}
	if known {
		if after, err := ProcessCPU(pid); err == nil {
			s.cpu, s.cpuKnown = after-before, true
		}
	}
	return nil
}

// closedLoop runs clients goroutines that each call f again and again
// until d has passed, measuring CPU time in pid; the first error stops
// them all and is returned.
func closedLoop(ctx context.Context, pid, clients int, d time.Duration, f op) (sample, error) {
	var s sample
	err := timed(pid, &s, func() error {
		var err error
		s.count, s.wall, s.latencies, err = drive(ctx, clients, time.Now().Add(d), f)
		return err
	})
	return s, err
}

// fixedWork runs n calls of f on clients goroutines, measuring CPU time in
// pid (f is told its call's number as w).
func fixedWork(ctx context.Context, pid, clients, n int, f op) (sample, error) {
	var s sample
	var mu sync.Mutex
	next := 0
	err := timed(pid, &s, func() error {
		var err error
		s.count, s.wall, s.latencies, err = drive(ctx, min(clients, n), time.Time{}, func(ctx context.Context, _ int) error {
			mu.Lock()
			i := next
			next++
			mu.Unlock()
			if i >= n {
				return errDone
			}
			return f(ctx, i)
		})
		return err
	})
	return s, err
}

// errDone ends a client of fixedWork: no work is left.
var errDone = errors.New("done")

// drive runs clients goroutines calling f until the deadline (zero: none)
// or until f returns errDone, and returns the calls completed, the wall
// time and every call's latency. The first error cancels the others.
func drive(ctx context.Context, clients int, deadline time.Time, f op) (int, time.Duration, []time.Duration, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	lat := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range clients {
		wg.Go(func() {
			for ctx.Err() == nil && (deadline.IsZero() || time.Now().Before(deadline)) {
				t := time.Now()
				err := f(ctx, w)
				if errors.Is(err, errDone) {
					return
				}
				if err != nil {
					cancel(err)
					return
				}
				lat[w] = append(lat[w], time.Since(t))
			}
		})
	}
	wg.Wait()
	wall := time.Since(start)
	if err := context.Cause(ctx); err != nil {
		return 0, 0, nil, err
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	return len(all), wall, all, nil
}

// get sends a GET with a bearer token and reads the answer to its end
// (so that the connection is kept), expecting 200.
func (r *run) get(ctx context.Context, url, token string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := r.hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusTooManyRequests {
		return &ThrottledError{Request: "GET /v1.0/users/{id}/authentication/qrCodePinMethod", Flag: graphFlag}
	}
	if res.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
		return fmt.Errorf("GET %s: %d %s", req.URL.Path, res.StatusCode, errorText(data))
	}
	_, err = io.Copy(io.Discard, res.Body)
	return err
}

// readWorkload measures the management read against the bare handler.
func (r *run) readWorkload(ctx context.Context, rep *Report) error {
	r.progress("read: creating the application and a user")
	appToken, err := r.newApp(ctx)
	if err != nil {
		return err
	}
	admin, err := r.adminToken(ctx)
	if err != nil {
		return err
	}
	code, err := pin.Generate(r.pinLen)
	if err != nil {
		return err
	}
	id, _, err := r.newUser(ctx, admin, "read", 0, code, false)
	if err != nil {
		return err
	}
	path := "/v1.0/users/" + id + "/authentication/qrCodePinMethod"
	// The real answer, for the bare handler.
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.base+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+appToken)
	res, err := r.hc.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	res.Body.Close()
	if err != nil {
		return err
	}
	if res.StatusCode == http.StatusTooManyRequests {
		return &ThrottledError{Request: "GET " + path, Flag: graphFlag}
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s with the bench application's token: %d %s", path, res.StatusCode, errorText(body))
	}
	bare, err := startBare(r.bareCmd(bareArgs(res.Header.Get("Content-Type"), body)))
	if err != nil {
		return err
	}
	defer bare.stop()
	for _, clients := range r.cfg.Clients {
		for round := 1; round <= r.cfg.Rounds; round++ {
			for _, t := range []struct {
				target, url string
				pid         int
			}{{TargetQRPIN, r.base + path, r.pid}, {TargetBare, bare.url + path, bare.pid()}} {
				r.progress("read: %d clients, round %d of %d, %s", clients, round, r.cfg.Rounds, t.target)
				s, err := closedLoop(ctx, t.pid, clients, r.cfg.Duration, func(ctx context.Context, _ int) error {
					return r.get(ctx, t.url, appToken)
				})
				if err != nil {
					return err
				}
				rep.add(Read, t.target, clients, clients, round, s)
			}
		}
	}
	return nil
}

// bareCmd is the command that runs the bare handler with args.
func (r *run) bareCmd(args []string) *exec.Cmd {
	if r.cfg.BareCommand != nil {
		return r.cfg.BareCommand(args)
	}
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	cmd := exec.Command(exe, args...)
	cmd.Stderr = os.Stderr
	return cmd
}

// badge is a sign-in user: its badge's content and its PIN.
type badge struct{ qr, pin string }

// post sends a sign-in step and decodes its answer, expecting 200.
func (r *run) post(ctx context.Context, step string, body any) (signin.StepResponse, error) {
	var out signin.StepResponse
	b, err := json.Marshal(body)
	if err != nil {
		return out, err
	}
	url := r.base + "/" + r.cfg.Tenant + "/signin/" + step
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return out, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := r.hc.Do(req)
	if err != nil {
		return out, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return out, err
	}
	if res.StatusCode == http.StatusTooManyRequests {
		return out, &ThrottledError{Request: "POST /{tenant}/signin/" + step + " (" + errorText(data) + ")", Flag: signinFlag}
	}
	if res.StatusCode != http.StatusOK {
		return out, fmt.Errorf("POST /{tenant}/signin/%s: %d %s", step, res.StatusCode, errorText(data))
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return out, fmt.Errorf("POST /{tenant}/signin/%s: the answer is not the JSON expected: %w", step, err)
	}
	return out, nil
}

// signInOnce signs b in: QR code, then PIN; when the PIN must change, a
// new PIN, which it returns (else b's).
func (r *run) signInOnce(ctx context.Context, b badge) (string, error) {
	s, err := r.post(ctx, "qr", signin.QRRequest{QRCode: b.qr})
	if err != nil {
		return "", err
	}
	if s.Next != "pin" {
		return "", fmt.Errorf("POST /{tenant}/signin/qr answered next %q, not pin", s.Next)
	}
	if s, err = r.post(ctx, "pin", signin.PINRequest{Transaction: s.Transaction, PIN: b.pin}); err != nil {
		return "", err
	}
	code := b.pin
	if s.Next == "newPin" {
		if code, err = pin.Generate(r.pinLen); err != nil {
			return "", err
		}
		if s, err = r.post(ctx, "newpin", signin.NewPINRequest{Transaction: s.Transaction, NewPIN: code}); err != nil {
			return "", err
		}
	}
	if s.Next != "done" || s.AccessToken == "" {
		return "", fmt.Errorf("the sign-in ended with next %q and no token", s.Next)
	}
	return code, nil
}

// signInWorkload measures complete sign-ins against Argon2id
// verifications.
func (r *run) signInWorkload(ctx context.Context, rep *Report) error {
	most := 0
	for _, c := range r.cfg.Clients {
		most = max(most, c)
	}
	r.progress("signin: creating %d users and signing each in once (their first PIN is temporary)", most)
	admin, err := r.adminToken(ctx)
	if err != nil {
		return err
	}
	badges := make([]badge, most)
	if _, err := fixedWork(ctx, 0, 4, most, func(ctx context.Context, i int) error {
		first, err := pin.Generate(r.pinLen)
		if err != nil {
			return err
		}
		_, qr, err := r.newUser(ctx, admin, "signin", i, first, true)
		if err != nil {
			return err
		}
		code, err := r.signInOnce(ctx, badge{qr: qr, pin: first})
		if err != nil {
			return fmt.Errorf("the first sign-in of a bench user: %w (the policy must include all users)", err)
		}
		badges[i] = badge{qr: qr, pin: code}
		return nil
	}); err != nil {
		return err
	}
	// The yardstick's hash: of a PIN, at the server's parameters.
	hash, err := r.hasher.Hash(badges[0].pin)
	if err != nil {
		return err
	}
	cpus := runtime.GOMAXPROCS(0)
	for _, clients := range r.cfg.Clients {
		for round := 1; round <= r.cfg.Rounds; round++ {
			r.progress("signin: %d clients, round %d of %d, qrpin", clients, round, r.cfg.Rounds)
			s, err := closedLoop(ctx, r.pid, clients, r.cfg.Duration, func(ctx context.Context, w int) error {
				_, err := r.signInOnce(ctx, badges[w])
				return err
			})
			if err != nil {
				return err
			}
			rep.add(SignIn, TargetQRPIN, clients, clients, round, s)
			r.progress("signin: %d clients, round %d of %d, argon2id on %d goroutines", clients, round, r.cfg.Rounds, cpus)
			s, err = closedLoop(ctx, os.Getpid(), cpus, r.cfg.Duration, func(context.Context, int) error {
				ok, err := r.hasher.Verify(badges[0].pin, hash)
				if err == nil && !ok {
					err = errors.New("argon2id: the yardstick's verification failed")
				}
				return err
			})
			if err != nil {
				return err
			}
			rep.add(SignIn, TargetArgon, clients, cpus, round, s)
		}
	}
	return nil
}

// provisionWorkload measures users created with the method over Graph
// against the hash-bound limit.
func (r *run) provisionWorkload(ctx context.Context, rep *Report) error {
	cpus := runtime.GOMAXPROCS(0)
	n, clients := r.cfg.ProvisionUsers, r.cfg.ProvisionClients
	code, err := pin.Generate(r.pinLen)
	if err != nil {
		return err
	}
	for round := 1; round <= r.cfg.Rounds; round++ {
		admin, err := r.adminToken(ctx)
		if err != nil {
			return err
		}
		r.progress("provision: %d users by %d clients, round %d of %d", n, clients, round, r.cfg.Rounds)
		s, err := fixedWork(ctx, r.pid, clients, n, func(ctx context.Context, i int) error {
			_, _, err := r.newUser(ctx, admin, fmt.Sprintf("prov%d", round), i, code, false)
			return err
		})
		if err != nil {
			return err
		}
		rep.add(Provision, TargetQRPIN, clients, clients, round, s)
		r.progress("provision: round %d of %d, argon2id hashes on %d goroutines", round, r.cfg.Rounds, cpus)
		s, err = closedLoop(ctx, os.Getpid(), cpus, r.cfg.Duration, func(context.Context, int) error {
			_, err := r.hasher.Hash(code)
			return err
		})
		if err != nil {
			return err
		}
		rep.add(Provision, TargetHashes, clients, cpus, round, s)
	}
	return nil
}
