package loadbench

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// The bare handler answers every request with the body and content type
// given, and ends when its input does.
func TestServeBare(t *testing.T) {
	t.Parallel()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	body := []byte(`{"id":"x"}`)
	go func() { done <- ServeBare(context.Background(), "application/json; charset=utf-8", body, inR, outW) }()
	line, err := bufio.NewReader(outR).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if !ok {
		t.Fatalf("first line %q", line)
	}
	res, err := http.Get("http://" + addr + "/v1.0/users/u/authentication/qrCodePinMethod")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(got) != string(body) || res.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("answer %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), got)
	}
	inW.Close()
	if err := <-done; err != nil {
		t.Errorf("ServeBare: %v", err)
	}
}
