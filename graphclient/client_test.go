package graphclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

type staticToken string

func (s staticToken) Token(context.Context) (string, error) { return string(s), nil }

// waits records the waits a client made instead of sleeping.
type waits struct {
	mu  sync.Mutex
	got []time.Duration
}

func (w *waits) sleep(_ context.Context, d time.Duration) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.got = append(w.got, d)
	return nil
}

func newClient(t *testing.T, h http.HandlerFunc) (*Client, *waits) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	w := &waits{}
	return &Client{BaseURL: srv.URL + "/v1.0", Tokens: staticToken("tok"), Sleep: w.sleep}, w
}

// 429 and 503 are retried after Retry-After (seconds or a date, bounded by
// MaxWait); the token and body go with every try.
func TestRetryAfter(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	tries := 0
	c, w := newClient(t, func(rw http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		tries++
		if r.Header.Get("Authorization") != "Bearer tok" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("try %d: headers %v", tries, r.Header)
		}
		switch tries {
		case 1:
			rw.Header().Set("Retry-After", "7")
			rw.WriteHeader(http.StatusTooManyRequests)
			_, _ = rw.Write([]byte(`{"error":{"code":"TooManyRequests","message":"slow down"}}`))
		case 2:
			rw.Header().Set("Retry-After", "3600")
			rw.WriteHeader(http.StatusServiceUnavailable)
		default:
			rw.WriteHeader(http.StatusCreated)
			_, _ = rw.Write([]byte(`{"id":"u1","userPrincipalName":"ana@contoso.com"}`))
		}
	})
	c.MaxWait = time.Minute
	u, err := c.CreateUser(context.Background(), NewUser{UPN: "ana@contoso.com", DisplayName: "Ana"})
	if err != nil || u.ID != "u1" {
		t.Fatalf("CreateUser = %+v, %v", u, err)
	}
	if tries != 3 || len(w.got) != 2 || w.got[0] != 7*time.Second || w.got[1] != time.Minute {
		t.Errorf("tries %d, waits %v; want 3 tries after 7s and 1m", tries, w.got)
	}
}

// Retries are bounded: the last answer is the error, with Graph's code.
func TestRetriesBounded(t *testing.T) {
	t.Parallel()
	tries := 0
	c, w := newClient(t, func(rw http.ResponseWriter, r *http.Request) {
		tries++
		rw.WriteHeader(http.StatusTooManyRequests)
		_, _ = rw.Write([]byte(`{"error":{"code":"TooManyRequests","message":"slow down"}}`))
	})
	c.Retries = 3
	_, err := c.Method(context.Background(), "u1")
	var gerr *Error
	if !errors.As(err, &gerr) || gerr.Status != 429 || gerr.Code != "TooManyRequests" || err.Error() != "Graph answered 429 TooManyRequests: slow down" {
		t.Fatalf("err = %v", err)
	}
	if tries != 4 || len(w.got) != 3 {
		t.Errorf("tries %d waits %v, want 4 tries", tries, w.got)
	}
	for i, d := range w.got { // no Retry-After: exponential backoff with jitter
		if lo, hi := 250*time.Millisecond<<i, 500*time.Millisecond<<i; d < lo || d > hi {
			t.Errorf("wait %d = %v, want in [%v, %v]", i, d, lo, hi)
		}
	}
}

// A lost connection is retried; other errors are not.
func TestLostConnectionRetried(t *testing.T) {
	t.Parallel()
	tries := 0
	c, _ := newClient(t, func(rw http.ResponseWriter, r *http.Request) {
		tries++
		if tries == 1 {
			conn, _, err := rw.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close() // the connection drops before an answer
			}
			return
		}
		_, _ = rw.Write([]byte(`{"id":"u1"}`))
	})
	u, err := c.UserByUPN(context.Background(), "ana@contoso.com")
	if err != nil || u == nil || u.ID != "u1" || tries != 2 {
		t.Fatalf("UserByUPN = %+v, %v after %d tries", u, err, tries)
	}

	tries = 0
	c, _ = newClient(t, func(rw http.ResponseWriter, r *http.Request) {
		tries++
		rw.WriteHeader(http.StatusBadRequest)
		_, _ = rw.Write([]byte(`{"error":{"code":"tooManyQRCodePinMethod","message":"one only"}}`))
	})
	_, err = c.CreateMethod(context.Background(), "u1", time.Time{}, time.Time{})
	if !IsCode(err, "TOOMANYQRCODEPINMETHOD") || !IsStatus(err, 400) || tries != 1 {
		t.Errorf("err = %v after %d tries", err, tries)
	}
}

// A missing user or method is nil, not an error; lists follow next links
// under the base URL and refuse others.
func TestLookupsAndPages(t *testing.T) {
	t.Parallel()
	var base string
	c, _ := newClient(t, func(rw http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/v1.0/users/nobody@contoso.com", strings.HasSuffix(r.URL.Path, "/qrCodePinMethod"):
			rw.WriteHeader(http.StatusNotFound)
			_, _ = rw.Write([]byte(`{"error":{"code":"Request_ResourceNotFound","message":"no"}}`))
		case r.URL.Path == "/v1.0/groups" && r.URL.Query().Get("$skiptoken") == "":
			_, _ = rw.Write([]byte(`{"value":[{"id":"g1","displayName":"A"}],"@odata.nextLink":"` + base + `/v1.0/groups?$skiptoken=x"}`))
		case r.URL.Path == "/v1.0/groups":
			_, _ = rw.Write([]byte(`{"value":[{"id":"g2","displayName":"B"}]}`))
		case r.URL.Path == "/v1.0/users" && r.URL.Query().Get("$filter") == "employeeId eq 'O''Hara'" &&
			r.URL.Query().Get("$select") == userSelect:
			_, _ = rw.Write([]byte(`{"value":[{"id":"u9","employeeId":"O'Hara"}]}`))
		default:
			t.Errorf("unexpected %s %s", r.Method, r.URL)
			rw.WriteHeader(http.StatusTeapot)
		}
	})
	base = strings.TrimSuffix(c.BaseURL, "/v1.0")
	ctx := context.Background()
	if u, err := c.UserByUPN(ctx, "nobody@contoso.com"); u != nil || err != nil {
		t.Errorf("UserByUPN = %v, %v", u, err)
	}
	if m, err := c.Method(ctx, "u1"); m != nil || err != nil {
		t.Errorf("Method = %v, %v", m, err)
	}
	if gs, err := c.Groups(ctx); err != nil || len(gs) != 2 || gs[1].ID != "g2" {
		t.Errorf("Groups = %v, %v", gs, err)
	}
	if us, err := c.UsersByEmployeeID(ctx, "O'Hara"); err != nil || len(us) != 1 || us[0].ID != "u9" {
		t.Errorf("UsersByEmployeeID = %v, %v", us, err)
	}
	evil, _ := newClient(t, func(rw http.ResponseWriter, r *http.Request) {
		_, _ = rw.Write([]byte(`{"value":[],"@odata.nextLink":"http://elsewhere.example/v1.0/groups?$skiptoken=x"}`))
	})
	if _, err := evil.Groups(ctx); err == nil || !strings.Contains(err.Error(), "a next link outside") {
		t.Errorf("Groups with a foreign next link: %v", err)
	}
}

// Batch sends up to 20 requests a batch, in order, and sends the ones
// throttled inside a batch again after their Retry-After.
func TestBatch(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var sizes []int
	throttled := false
	c, w := newClient(t, func(rw http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Method != http.MethodPost || r.URL.Path != "/v1.0/$batch" {
			t.Errorf("%s %s", r.Method, r.URL)
		}
		var body struct {
			Requests []struct{ ID, Method, URL string } `json:"requests"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(body.Requests))
		var out []string
		for _, q := range body.Requests {
			if q.Method != "GET" || !strings.HasPrefix(q.URL, "/users/u") {
				t.Errorf("inner request %+v", q)
			}
			if q.URL == "/users/u3" && !throttled {
				throttled = true
				out = append(out, `{"id":"`+q.ID+`","status":429,"headers":{"Retry-After":"4"},"body":{"error":{"code":"TooManyRequests","message":"later"}}}`)
				continue
			}
			if q.URL == "/users/u7" {
				out = append(out, `{"id":"`+q.ID+`","status":404,"body":{"error":{"code":"Request_ResourceNotFound","message":"none"}}}`)
				continue
			}
			out = append(out, `{"id":"`+q.ID+`","status":200,"body":{"id":"`+strings.TrimPrefix(q.URL, "/users/")+`"}}`)
		}
		_, _ = rw.Write([]byte(`{"responses":[` + strings.Join(out, ",") + `]}`))
	})
	var reqs []BatchRequest
	for i := range 25 {
		reqs = append(reqs, BatchRequest{URL: fmt.Sprintf("users/u%d", i)})
	}
	got, err := c.Batch(context.Background(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sizes, []int{20, 1, 5}) || !reflect.DeepEqual(w.got, []time.Duration{4 * time.Second}) {
		t.Errorf("batch sizes %v, waits %v; want 20, the throttled 1 again after 4s, then 5", sizes, w.got)
	}
	for i, r := range got {
		want := fmt.Sprintf(`{"id":"u%d"}`, i)
		if i == 7 {
			if !IsStatus(r.Err(), 404) || !IsCode(r.Err(), "Request_ResourceNotFound") {
				t.Errorf("answer 7: %+v", r)
			}
			continue
		}
		if r.Status != 200 || string(r.Body) != want || r.Err() != nil {
			t.Errorf("answer %d: %d %s, want %s", i, r.Status, r.Body, want)
		}
	}
}
