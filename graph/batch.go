package graph

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/qrpin/qrpin/apperr"
)

// MaxBatchRequests is the most requests one JSON batch may hold, as in
// Microsoft Graph.
const MaxBatchRequests = 20

// batchRequest is one request of a JSON batch (POST /{version}/$batch).
type batchRequest struct {
	ID        string            `json:"id"`
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers"`
	Body      json.RawMessage   `json:"body"`
	DependsOn []string          `json:"dependsOn"`
}

// batchResponse is the answer to one request of a batch.
type batchResponse struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body,omitempty"`
}

type batchResponses struct {
	Responses []batchResponse `json:"responses"`
}

// inBatchKey marks the context of a batch's requests: a batch inside a
// batch is refused.
type inBatchKey struct{}

// batch serves Graph's JSON batching: each request of the batch goes
// through answer, as if sent alone with the batch's Authorization header
// (the same routing, authentication, authorization, rate limit and log
// line), one after another in the order given, except that a request
// waits for the requests it dependsOn; a request whose dependency failed
// (a status outside 2xx) is not run and gets 424. The responses come in the
// order of the requests. A malformed batch (no requests, more than
// MaxBatchRequests, an id missing or used twice, a dependsOn naming no
// request of the batch or going round in a circle) is a 400 for the whole
// batch; a malformed request of a well-formed batch (a url that is absolute
// or names the version, a body without Content-Type) gets its own 400.
func (s *Server) batch(c *call) (int, any, error) {
	ctx := c.r.Context()
	if ctx.Value(inBatchKey{}) != nil {
		return 0, nil, apperr.BadRequest("A $batch request cannot be sent inside a JSON batch.")
	}
	var body struct {
		Requests []batchRequest `json:"requests"`
	}
	if err := c.decode(&body, false); err != nil {
		return 0, nil, err
	}
	reqs := body.Requests
	order, err := batchOrder(reqs)
	if err != nil {
		return 0, nil, err
	}
	ids, _ := ctx.Value(requestIDsKey{}).(requestIDs)
	ctx = context.WithValue(ctx, inBatchKey{}, true)
	out := batchResponses{Responses: make([]batchResponse, len(reqs))}
	failed := map[string]bool{} // by batchKey
	for _, i := range order {
		br := reqs[i]
		r, refused := c.batchItem(ctx, br)
		for _, d := range br.DependsOn {
			if refused == nil && failed[batchKey(d)] {
				refused = &failedDependency{apperr.New(apperr.Invalid, "FailedDependency",
					"The request depends on request '%s', which failed.", d)}
				break
			}
		}
		crid := r.Header.Get("client-request-id")
		if crid == "" {
			crid = ids.crid
		}
		rec := &recorder{header: http.Header{}}
		s.answer(rec, r, crid, refused, slog.String("batch-request-id", ids.rid), slog.String("batch-id", br.ID))
		out.Responses[i] = rec.response(br.ID)
		if rec.status < 200 || rec.status > 299 {
			failed[batchKey(br.ID)] = true
		}
	}
	return http.StatusOK, out, nil
}

// batchKey is the form of a request id that batch ids are compared in:
// Graph's are not case-sensitive.
func batchKey(id string) string { return strings.ToLower(id) }

// batchOrder checks a batch's requests and returns the order to run them
// in: the order given, each request moved after the requests it
// dependsOn.
func batchOrder(reqs []batchRequest) ([]int, error) {
	switch {
	case len(reqs) == 0:
		return nil, apperr.BadRequest("The batch has no requests: the body must be {\"requests\": [{\"id\", \"method\", \"url\"}, ...]}.")
	case len(reqs) > MaxBatchRequests:
		return nil, apperr.BadRequest("The batch has %d requests; a batch may hold at most %d.", len(reqs), MaxBatchRequests)
	}
	index := map[string]int{}
	for i, br := range reqs {
		switch {
		case br.ID == "":
			return nil, apperr.BadRequest("Request %d of the batch has no id.", i+1)
		case !validMethod(br.Method):
			return nil, apperr.BadRequest("Request '%s' of the batch has no valid method.", br.ID)
		case br.URL == "":
			return nil, apperr.BadRequest("Request '%s' of the batch has no url.", br.ID)
		}
		if _, dup := index[batchKey(br.ID)]; dup {
			return nil, apperr.BadRequest("The request id '%s' is used twice in the batch.", br.ID)
		}
		index[batchKey(br.ID)] = i
	}
	deps := make([][]int, len(reqs))
	for i, br := range reqs {
		for _, d := range br.DependsOn {
			j, ok := index[batchKey(d)]
			if !ok {
				return nil, apperr.BadRequest("Request '%s' depends on '%s', which is not a request of the batch.", br.ID, d)
			}
			deps[i] = append(deps[i], j)
		}
	}
	// Place, again and again, the first request not placed whose
	// dependencies all are. At most 20 requests: quadratic is nothing.
	placed := make([]bool, len(reqs))
	order := make([]int, 0, len(reqs))
	for len(order) < len(reqs) {
		next := -1
		for i := range reqs {
			if !placed[i] && allPlaced(deps[i], placed) {
				next = i
				break
			}
		}
		if next < 0 {
			return nil, apperr.BadRequest("Request '%s' has a circular dependsOn: it depends on itself, through the requests it depends on.", reqs[inCycle(deps, placed)].ID)
		}
		placed[next] = true
		order = append(order, next)
	}
	return order, nil
}

func allPlaced(deps []int, placed []bool) bool {
	for _, j := range deps {
		if !placed[j] {
			return false
		}
	}
	return true
}

// inCycle returns a request on a cycle of dependencies among the requests
// not placed (each of which depends on one not placed): following such a
// dependency from any of them must come back to a request already seen.
func inCycle(deps [][]int, placed []bool) int {
	i := 0
	for placed[i] {
		i++
	}
	seen := map[int]bool{}
	for !seen[i] {
		seen[i] = true
		for _, j := range deps[i] {
			if !placed[j] {
				i = j
				break
			}
		}
	}
	return i
}

// validMethod reports whether m is an HTTP method name (letters only; the
// router answers 405 for one it does not serve).
func validMethod(m string) bool {
	return m != "" && len(m) <= 16 && !strings.ContainsFunc(m, func(r rune) bool { return (r < 'A' || r > 'Z') && (r < 'a' || r > 'z') })
}

// batchItem makes the HTTP request a batch's request stands for: the url
// below the batch's version, the request's headers with the batch's
// Authorization, and the batch's client address and host. refused is the
// 400 of a malformed request; r is then a request fit only for the log
// line.
func (c *call) batchItem(ctx context.Context, br batchRequest) (r *http.Request, refused error) {
	header := http.Header{}
	for k, v := range br.Headers {
		header.Set(k, v)
	}
	header.Del("Authorization")
	if a := c.r.Header.Get("Authorization"); a != "" {
		header.Set("Authorization", a)
	}
	bad := func(format string, args ...any) (*http.Request, error) {
		r := (&http.Request{Method: strings.ToUpper(br.Method), URL: &url.URL{}, Header: header}).WithContext(ctx)
		return r, apperr.BadRequest("Request '%s' of the batch: "+format, append([]any{br.ID}, args...)...)
	}
	u, err := url.Parse(br.URL)
	if err != nil || u.Scheme != "" || u.Host != "" || strings.HasPrefix(br.URL, "//") {
		return bad("the url must be relative to the API version, such as /users/{id}.")
	}
	rel := strings.TrimPrefix(br.URL, "/")
	first, _, _ := strings.Cut(rel, "?")
	first, _, _ = strings.Cut(first, "/")
	if strings.EqualFold(first, "v1.0") || strings.EqualFold(first, "beta") {
		return bad("the url must not name the API version: the batch's own (%s) applies.", c.version)
	}
	var body io.Reader = http.NoBody
	if len(br.Body) > 0 && string(br.Body) != "null" {
		if header.Get("Content-Type") == "" {
			return bad("a request with a body needs a Content-Type header.")
		}
		body = bytes.NewReader(br.Body)
	}
	r, err = http.NewRequestWithContext(ctx, strings.ToUpper(br.Method), "/"+c.version+"/"+rel, body)
	if err != nil {
		return bad("the url is not a valid URL.")
	}
	r.Header = header
	r.RemoteAddr, r.Host, r.TLS = c.r.RemoteAddr, c.r.Host, c.r.TLS
	return r, nil
}

// failedDependency is the 424 of a batch's request whose dependency failed.
type failedDependency struct{ err *apperr.Error }

func (f *failedDependency) Error() string { return f.err.Error() }

// recorder keeps the answer to a batch's request.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *recorder) Header() http.Header { return w.header }

func (w *recorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *recorder) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}

// response returns the answer as a batch shows it: each header once (the
// values of a repeated one joined by ", "); the body as JSON, or base64
// when it is not JSON (Graph's form for binary bodies); none when empty.
func (w *recorder) response(id string) batchResponse {
	out := batchResponse{ID: id, Status: w.status, Headers: map[string]string{}}
	for k, v := range w.header {
		out.Headers[k] = strings.Join(v, ", ")
	}
	switch b := w.body.Bytes(); {
	case len(b) == 0:
	case json.Valid(b):
		out.Body = b
	default:
		out.Body, _ = json.Marshal(base64.StdEncoding.EncodeToString(b))
	}
	return out
}
