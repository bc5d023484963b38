package loadbench

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// BareCommand is the hidden subcommand that runs the bare yardstick
// handler: the bench starts its own binary with it, so that the handler
// runs in a process of its own whose CPU time is read as the server's is.
const BareCommand = "bench-bare-server"

// ServeBare is the bare yardstick: a net/http server on a loopback port
// that answers every request with body, Content-Type contentType. It
// prints "listening <addr>" to out, then serves until in reaches its end
// (the bench closes the pipe, or exits) or ctx ends.
func ServeBare(ctx context.Context, contentType string, body []byte, in io.Reader, out io.Writer) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	length := strconv.Itoa(len(body))
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			h := w.Header()
			h.Set("Content-Type", contentType)
			h.Set("Content-Length", length)
			w.Write(body)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	if _, err := fmt.Fprintf(out, "listening %s\n", ln.Addr()); err != nil {
		ln.Close()
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		io.Copy(io.Discard, in) // returns when the bench closes its end
		cancel()
	}()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// bareArgs are the arguments of BareCommand for a body and content type.
func bareArgs(contentType string, body []byte) []string {
	return []string{BareCommand, "--content-type", contentType, "--body", base64.StdEncoding.EncodeToString(body)}
}

// bareServer is a running bare yardstick child.
type bareServer struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	url   string // http://127.0.0.1:port
}

// startBare starts the yardstick child with cmd (the bench's own binary
// and bareArgs) and waits until it listens.
func startBare(cmd *exec.Cmd) (*bareServer, error) {
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the bare handler: %w", err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if err != nil || !ok {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("the bare handler did not start (%q)", line)
	}
	return &bareServer{cmd: cmd, stdin: stdin, url: "http://" + addr}, nil
}

// pid is the child's process id.
func (b *bareServer) pid() int { return b.cmd.Process.Pid }

// stop ends the child: closing its stdin ends it; a child that does not
// end within seconds is killed.
func (b *bareServer) stop() {
	b.stdin.Close()
	done := make(chan struct{})
	go func() { b.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		b.cmd.Process.Kill()
		<-done
	}
}
