package compat

import (
	"errors"
	"testing"
	"time"

	betaerrors "github.com/microsoftgraph/msgraph-beta-sdk-go/models/odataerrors"
	v1errors "github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
)

// odataError is an error answer as either Go SDK (beta or v1.0) surfaces
// it, read through the typed getters of its *odataerrors.ODataError.
type odataError struct {
	status          int
	hasError        bool // the body's "error" member parsed
	code, message   string
	requestID       string // innerError.request-id
	clientRequestID string // innerError.client-request-id
	date            *time.Time
	requestIDHeader []string // the response's request-id header
}

// mainError and innerError are the getters both SDKs' generated error
// models share.
type mainError interface {
	GetCode() *string
	GetMessage() *string
}

type innerError interface {
	GetRequestId() *string
	GetClientRequestId() *string
	GetDate() *time.Time
}

// asODataError reads err as either SDK's ODataError; ok is false for any
// other error.
func asODataError(err error) (e odataError, ok bool) {
	var main mainError
	var inner any
	var beta *betaerrors.ODataError
	var v1 *v1errors.ODataError
	switch {
	case errors.As(err, &beta):
		e.status, e.requestIDHeader = beta.GetStatusCode(), beta.GetResponseHeaders().Get("request-id")
		if m := beta.GetErrorEscaped(); m != nil {
			main, inner = m, m.GetInnerError()
		}
	case errors.As(err, &v1):
		e.status, e.requestIDHeader = v1.GetStatusCode(), v1.GetResponseHeaders().Get("request-id")
		if m := v1.GetErrorEscaped(); m != nil {
			main, inner = m, m.GetInnerError()
		}
	default:
		return e, false
	}
	if main != nil {
		e.hasError, e.code, e.message = true, str(main.GetCode()), str(main.GetMessage())
	}
	if in, ok := inner.(innerError); ok {
		e.requestID, e.clientRequestID, e.date = str(in.GetRequestId()), str(in.GetClientRequestId()), in.GetDate()
	}
	return e, true
}

// wantODataError checks that err is an SDK's ODataError with the status
// and code, a message, and a request id that is the response's request-id
// header. It returns the error for further checks.
func wantODataError(t *testing.T, err error, status int, code string) odataError {
	t.Helper()
	oe, ok := asODataError(err)
	if !ok {
		t.Fatalf("error %T %v, want the SDK's *odataerrors.ODataError (%d %s)", err, err, status, code)
	}
	if !oe.hasError {
		t.Fatalf("ODataError %d without an error member", oe.status)
	}
	if oe.status != status || oe.code != code {
		t.Fatalf("ODataError %d %s (%s), want %d %s", oe.status, oe.code, oe.message, status, code)
	}
	if oe.message == "" || oe.message == "<nil>" {
		t.Fatalf("ODataError %s without a message", code)
	}
	if oe.requestID == "" || oe.requestID == "<nil>" || oe.date == nil {
		t.Fatalf("ODataError %s: innerError lacks request-id or date", code)
	}
	if len(oe.requestIDHeader) != 1 || oe.requestIDHeader[0] != oe.requestID {
		t.Fatalf("ODataError %s: innerError.request-id %q, response header request-id %q", code, oe.requestID, oe.requestIDHeader)
	}
	return oe
}

// odataCodeOf returns the error code of an ODataError (for errors whose
// status is fixed but whose code Graph does not document).
func odataCodeOf(t *testing.T, err error) string {
	t.Helper()
	oe, ok := asODataError(err)
	if !ok || oe.code == "" || oe.code == "<nil>" {
		t.Fatalf("error %T %v, want an ODataError with a code", err, err)
	}
	return oe.code
}

func wantNoError(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		if oe, ok := asODataError(err); ok && oe.hasError {
			t.Fatalf("%s: %d %s: %s", what, oe.status, oe.code, oe.message)
		}
		t.Fatalf("%s: %v", what, err)
	}
}
