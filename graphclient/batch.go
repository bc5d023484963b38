package graphclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// MaxBatch is the most requests one JSON batch holds (Graph's limit).
const MaxBatch = 20

// BatchRequest is one request of a JSON batch: a GET (the lookups
// provisioning batches), its URL relative to the version root.
type BatchRequest struct {
	URL string
}

// BatchResponse is the answer to one request of a batch.
type BatchResponse struct {
	Status int
	Body   json.RawMessage
}

// Err is the response as an *Error when its status is 400 or more, else nil.
func (r BatchResponse) Err() error {
	if r.Status < 400 {
		return nil
	}
	return graphError(r.Status, r.Body, 0)
}

// Batch sends the requests as JSON batches (POST $batch) of up to MaxBatch
// each and returns their answers, in order. Requests throttled inside a
// batch (429, 503) are sent again after the longest Retry-After, a bounded
// number of times; their last answer is returned.
func (c *Client) Batch(ctx context.Context, reqs []BatchRequest) ([]BatchResponse, error) {
	out := make([]BatchResponse, len(reqs))
	for first := 0; first < len(reqs); first += MaxBatch {
		todo := make([]int, 0, MaxBatch)
		for i := first; i < min(first+MaxBatch, len(reqs)); i++ {
			todo = append(todo, i)
		}
		retries := c.Retries
		if retries == 0 {
			retries = DefaultRetries
		}
		for attempt := 0; len(todo) > 0; attempt++ {
			wait, err := c.batchOnce(ctx, reqs, todo, out)
			if err != nil {
				return nil, err
			}
			var again []int
			for _, i := range todo {
				if retryable(out[i].Status) {
					again = append(again, i)
				}
			}
			if len(again) == 0 || attempt >= retries {
				break
			}
			if wait == 0 {
				wait = backoff(attempt)
			}
			if err := c.sleep(ctx, min(wait, c.maxWait())); err != nil {
				return nil, err
			}
			todo = again
		}
	}
	return out, nil
}

// batchOnce sends the requests todo as one batch, stores their answers in
// out and returns the longest Retry-After among them.
func (c *Client) batchOnce(ctx context.Context, reqs []BatchRequest, todo []int, out []BatchResponse) (time.Duration, error) {
	type inner struct {
		ID     string `json:"id"`
		Method string `json:"method"`
		URL    string `json:"url"`
	}
	body := struct {
		Requests []inner `json:"requests"`
	}{}
	for _, i := range todo {
		body.Requests = append(body.Requests, inner{ID: strconv.Itoa(i), Method: http.MethodGet, URL: "/" + reqs[i].URL})
	}
	var answer struct {
		Responses []struct {
			ID      string            `json:"id"`
			Status  int               `json:"status"`
			Headers map[string]string `json:"headers"`
			Body    json.RawMessage   `json:"body"`
		} `json:"responses"`
	}
	if err := c.Do(ctx, http.MethodPost, "$batch", body, &answer); err != nil {
		return 0, err
	}
	got := map[int]bool{}
	var wait time.Duration
	for _, r := range answer.Responses {
		i, err := strconv.Atoi(r.ID)
		if err != nil || !slices.Contains(todo, i) {
			return 0, fmt.Errorf("$batch answered a request it was not sent (id %q)", r.ID)
		}
		got[i] = true
		out[i] = BatchResponse{Status: r.Status, Body: r.Body}
		for k, v := range r.Headers {
			if http.CanonicalHeaderKey(k) == "Retry-After" {
				wait = max(wait, retryAfter(v))
			}
		}
	}
	if len(got) != len(todo) {
		return 0, fmt.Errorf("$batch answered %d of %d requests", len(got), len(todo))
	}
	return wait, nil
}
