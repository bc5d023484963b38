//go:build linux

package loadbench

import (
	"net"
	"os"
	"testing"
)

func TestProcIP(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"0100007F":                         "127.0.0.1",
		"00000000":                         "0.0.0.0",
		"00000000000000000000000001000000": "::1",
		"zz":                               "<nil>",
	} {
		if got := procIP(in).String(); got != want {
			t.Errorf("procIP(%q) = %s, want %s", in, got, want)
		}
	}
}

// The process listening on a loopback port is found (this one).
func TestListenerPID(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	if got := ListenerPID(port); got != os.Getpid() {
		t.Errorf("ListenerPID(%d) = %d, want this process %d", port, got, os.Getpid())
	}
}

func TestProcessCPU(t *testing.T) {
	t.Parallel()
	if _, err := ProcessCPU(os.Getpid()); err != nil {
		t.Errorf("this process: %v", err)
	}
	if _, err := ProcessCPU(-5); err == nil {
		t.Error("no error for a process that cannot exist")
	}
}
