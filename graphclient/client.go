// Package graphclient is a small Microsoft Graph client for the calls bulk
// provisioning makes: users (found by employeeId or userPrincipalName,
// created), groups and their members, the QR code + PIN method and its
// standard QR code, the tenant's QR code + PIN policy, and JSON batching.
// It speaks only requests that Microsoft Entra serves as well, so the same
// tool provisions a qrpin server and Entra.
//
// A request throttled (429) or refused for a while (502, 503, 504) is retried
// after the server's Retry-After, or an exponential backoff, a bounded
// number of times; so is a request whose connection was lost. Retrying a
// create whose answer was lost makes the server refuse it as a duplicate:
// callers look up before they create, and again after such a refusal.
package graphclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// TokenSource returns a bearer token for Graph.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// Client calls one Graph API version root, such as
// https://graph.microsoft.com/v1.0 or http://localhost:8080/v1.0.
type Client struct {
	BaseURL string       // the version root, without a trailing slash
	HTTP    *http.Client // http.DefaultClient when nil
	Tokens  TokenSource
	// Retries bounds how often one request is tried again (DefaultRetries
	// when 0; negative: never).
	Retries int
	// MaxWait bounds one wait before a retry (DefaultMaxWait when 0).
	MaxWait time.Duration
	// Sleep waits d or until ctx ends; tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
}

// DefaultRetries and DefaultMaxWait are the retry bounds of a Client.
const (
	DefaultRetries = 8
	DefaultMaxWait = 2 * time.Minute
)

// maxResponse bounds a response body.
const maxResponse = 16 << 20

// Error is a Graph error answer.
type Error struct {
	Status     int
	Code       string
	Message    string
	RetryAfter time.Duration // from the Retry-After header; 0 if none
}

func (e *Error) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("Graph answered %d", e.Status)
	}
	return fmt.Sprintf("Graph answered %d %s: %s", e.Status, e.Code, e.Message)
}

// IsStatus reports whether err is a Graph Error with status.
func IsStatus(err error, status int) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == status
}

// IsCode reports whether err is a Graph Error with the code (any case).
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && strings.EqualFold(e.Code, code)
}

// retryable reports whether a status is worth a retry.
func retryable(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable ||
		status == http.StatusGatewayTimeout || status == http.StatusBadGateway
}

// Do sends one request: path relative to BaseURL ("users/x"), body JSON
// encoded when not nil, and decodes a JSON answer into out when not nil.
// A status of 400 or more is an *Error.
func (c *Client) Do(ctx context.Context, verb, path string, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return err
		}
	}
	retries := c.Retries
	if retries == 0 {
		retries = DefaultRetries
	}
	for attempt := 0; ; attempt++ {
		status, data, wait, err := c.once(ctx, verb, path, payload)
		if err == nil && status < 400 {
			if out != nil && len(data) > 0 {
				if err := json.Unmarshal(data, out); err != nil {
					return fmt.Errorf("%s %s: the answer is not the JSON expected: %w", verb, path, err)
				}
			}
			return nil
		}
		if err == nil {
			gerr := graphError(status, data, wait)
			if !retryable(status) || attempt >= retries {
				return gerr
			}
			err = gerr
		} else if ctx.Err() != nil || attempt >= retries {
			return fmt.Errorf("%s %s: %w", verb, path, err)
		}
		if wait == 0 {
			wait = backoff(attempt)
		}
		if err := c.sleep(ctx, min(wait, c.maxWait())); err != nil {
			return fmt.Errorf("%s %s: %w", verb, path, err)
		}
	}
}

// once sends a request once; wait is its Retry-After.
func (c *Client) once(ctx context.Context, verb, path string, payload []byte) (status int, data []byte, wait time.Duration, err error) {
	token, err := c.Tokens.Token(ctx)
	if err != nil {
		return 0, nil, 0, fmt.Errorf("token: %w", err)
	}
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, verb, c.BaseURL+"/"+strings.TrimPrefix(path, "/"), rd)
	if err != nil {
		return 0, nil, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		return 0, nil, 0, err
	}
	defer res.Body.Close()
	data, err = io.ReadAll(io.LimitReader(res.Body, maxResponse))
	if err != nil {
		return 0, nil, 0, err
	}
	return res.StatusCode, data, retryAfter(res.Header.Get("Retry-After")), nil
}

// graphError reads Graph's error envelope.
func graphError(status int, data []byte, wait time.Duration) *Error {
	var env struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(data, &env) // a body that is not the envelope leaves the code empty
	return &Error{Status: status, Code: env.Error.Code, Message: env.Error.Message, RetryAfter: wait}
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

// backoff is the wait before retry attempt+1 without a Retry-After: 0.5 s
// doubling, with jitter.
func backoff(attempt int) time.Duration {
	d := 500 * time.Millisecond << min(attempt, 8)
	return d/2 + rand.N(d/2+1)
}

func (c *Client) maxWait() time.Duration {
	if c.MaxWait > 0 {
		return c.MaxWait
	}
	return DefaultMaxWait
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
