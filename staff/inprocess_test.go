package staff

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// closeCounter is a request body that counts its Close calls.
type closeCounter struct {
	io.Reader
	closed int
}

func (c *closeCounter) Close() error { c.closed++; return nil }

// TestInProcessAnswer: the in-process transport hands the handler a copy
// of the request from the browser's address, and returns the status, the
// headers as they were when the answer was written, and the body; it
// closes the request's body and leaves the request as it was.
func TestInProcessAnswer(t *testing.T) {
	t.Parallel()
	var seenAddr, seenURI, seenBody string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seenAddr, seenURI = r.RemoteAddr, r.RequestURI
		b, _ := io.ReadAll(r.Body)
		seenBody = string(b)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		w.Header().Set("X-Late", "1") // after the status: not sent
		io.WriteString(w, `{"error":"invalid_grant"}`)
		w.WriteHeader(http.StatusOK) // ignored
	})
	body := &closeCounter{Reader: strings.NewReader("grant_type=authorization_code")}
	r, err := http.NewRequest("POST", "http://in-process/t/oauth2/v2.0/token?x=1", body)
	if err != nil {
		t.Fatal(err)
	}
	r.RemoteAddr = "198.51.100.9:1234"
	res, err := inProcess{h: h, remoteAddr: "192.0.2.7:4321"}.RoundTrip(r)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusBadRequest || res.Status != "400 Bad Request" || string(got) != `{"error":"invalid_grant"}` ||
		res.ContentLength != int64(len(got)) || res.Request != r {
		t.Errorf("answer %d %q %q (length %d)", res.StatusCode, res.Status, got, res.ContentLength)
	}
	if res.Header.Get("Content-Type") != "application/json" || res.Header.Get("X-Late") != "" {
		t.Errorf("headers %v, want those set before the status only", res.Header)
	}
	if seenAddr != "192.0.2.7:4321" || seenURI != "/t/oauth2/v2.0/token?x=1" || seenBody != "grant_type=authorization_code" {
		t.Errorf("the handler saw %q %q %q", seenAddr, seenURI, seenBody)
	}
	if r.RemoteAddr != "198.51.100.9:1234" || body.closed != 1 {
		t.Errorf("the request after RoundTrip: address %q, body closed %d times", r.RemoteAddr, body.closed)
	}

	silent := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	res, err = inProcess{h: silent}.RoundTrip(r.Clone(r.Context()))
	if err != nil || res.StatusCode != http.StatusOK || res.ContentLength != 0 {
		t.Errorf("a handler that writes nothing: %v %v", res, err)
	}
}

// TestInProcessBounded: an answer of maxTokenAnswer bytes is read, one of
// more is an error, whether written at once or in pieces.
func TestInProcessBounded(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		pieces []int
		ok     bool
	}{
		{"at the limit", []int{maxTokenAnswer}, true},
		{"in pieces at the limit", []int{maxTokenAnswer - 10, 10}, true},
		{"one byte over", []int{maxTokenAnswer + 1}, false},
		{"in pieces over", []int{maxTokenAnswer, 1, 1}, false},
	} {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for _, n := range tc.pieces {
				w.Write(bytes.Repeat([]byte{'a'}, n))
			}
		})
		r, _ := http.NewRequest("POST", "http://in-process/token", nil)
		res, err := inProcess{h: h}.RoundTrip(r)
		switch {
		case tc.ok && (err != nil || res.ContentLength != int64(sum(tc.pieces))):
			t.Errorf("%s: %v, %v", tc.name, res, err)
		case !tc.ok && !errors.Is(err, errTokenAnswerTooLarge):
			t.Errorf("%s: %v, want %v", tc.name, err, errTokenAnswerTooLarge)
		}
	}
}

func sum(ns []int) int {
	s := 0
	for _, n := range ns {
		s += n
	}
	return s
}
