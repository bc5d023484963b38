package staff

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
)

// maxTokenAnswer bounds the token endpoint's answer kept in memory (an ID
// token, an access token and a refresh token take a few KiB).
const maxTokenAnswer = 64 << 10

// errTokenAnswerTooLarge: the token endpoint answered more than
// maxTokenAnswer bytes.
var errTokenAnswerTooLarge = errors.New("staff: the token endpoint's answer is too large")

// inProcess is an http.RoundTripper that serves requests with a handler,
// in this process: the token request never goes over the network (behind
// a proxy, the server's public URL may not reach it).
type inProcess struct {
	h          http.Handler
	remoteAddr string
}

// RoundTrip serves r with t.h and returns its answer, at most
// maxTokenAnswer bytes of body (else an error). r is not changed: the
// handler sees a copy from the browser's address (the token endpoint's
// rate limit counts it).
func (t inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		defer r.Body.Close()
	}
	in := r.Clone(r.Context())
	in.RemoteAddr, in.RequestURI = t.remoteAddr, r.URL.RequestURI()
	w := &answer{header: http.Header{}}
	t.h.ServeHTTP(w, in)
	if w.over {
		return nil, errTokenAnswerTooLarge
	}
	w.WriteHeader(http.StatusOK) // when the handler wrote nothing
	return &http.Response{
		Status:     strconv.Itoa(w.status) + " " + http.StatusText(w.status),
		StatusCode: w.status, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: w.sent, Body: io.NopCloser(&w.body), ContentLength: int64(w.body.Len()), Request: r,
	}, nil
}

// answer is the http.ResponseWriter of an in-process request: the status
// and the headers as they were when it was written (as a server sends
// them), and a body of at most maxTokenAnswer bytes.
type answer struct {
	header, sent http.Header
	status       int
	body         bytes.Buffer
	over         bool // the handler wrote more than maxTokenAnswer
}

func (a *answer) Header() http.Header { return a.header }

func (a *answer) WriteHeader(status int) {
	if a.status != 0 {
		return
	}
	a.status, a.sent = status, a.header.Clone()
}

func (a *answer) Write(p []byte) (int, error) {
	a.WriteHeader(http.StatusOK)
	if a.over || a.body.Len()+len(p) > maxTokenAnswer {
		a.over = true
		return 0, errTokenAnswerTooLarge
	}
	return a.body.Write(p)
}
