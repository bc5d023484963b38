package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/internal/httperr"
)

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code       string     `json:"code"`
	Message    string     `json:"message"`
	InnerError innerError `json:"innerError"`
}

type innerError struct {
	Date            string `json:"date"`
	RequestID       string `json:"request-id"`
	ClientRequestID string `json:"client-request-id"`
}

// writeError writes err as the OData error envelope (spec D7), with the
// status and client-facing error httperr.Classify gives it. Errors it
// cannot classify are bugs: they are logged and answered with 500
// generalException.
func (s *Server) writeError(w http.ResponseWriter, rid, crid string, err error) {
	e, status, ok := httperr.Classify(err)
	var mna *methodNotAllowed
	var fd *failedDependency
	switch {
	case errors.As(err, &mna):
		status, e = http.StatusMethodNotAllowed, mna.err
		for _, v := range mna.allowed {
			w.Header().Add("Allow", v)
		}
	case errors.As(err, &fd):
		status, e = http.StatusFailedDependency, fd.err
	case !ok:
		s.log().Error("internal error", "request-id", rid, "error", err.Error())
		e = &apperr.Error{Code: "generalException", Message: "An internal server error occurred."}
	}
	switch {
	case e.Challenge != "":
		w.Header().Set("WWW-Authenticate", e.Challenge)
	case status == http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="", error="invalid_token", client_id="00000003-0000-0000-c000-000000000000"`)
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
	}
	writeJSON(w, status, errorBody{errorDetail{
		Code:    e.Code,
		Message: e.Message,
		InnerError: innerError{
			Date:            s.now().UTC().Format("2006-01-02T15:04:05"),
			RequestID:       rid,
			ClientRequestID: crid,
		},
	}})
}

// writeJSON writes body as JSON with status; a nil body writes no content.
func writeJSON(w http.ResponseWriter, status int, body any) {
	if body == nil {
		w.WriteHeader(status)
		return
	}
	b, err := json.Marshal(body)
	if err != nil { // our own types always marshal
		panic(fmt.Sprintf("graph: encode response: %v", err))
	}
	w.Header().Set("Content-Type", "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}
