package graph

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/method"
)

// decode reads the request body as JSON into v (spec D5). An empty body is
// allowed only when emptyOK (v is left as it is). Unknown properties are
// ignored; malformed JSON and wrong types are 400 with the place named; a
// body over the limit is 413; a body that is not JSON is 415.
//
// A gzip-compressed body (Content-Encoding: gzip, as Graph SDKs send by
// default) is inflated; the limit applies to the inflated size, so a small
// compressed bomb is refused too. Other encodings are 415.
func (c *call) decode(v any, emptyOK bool) error {
	var rd io.Reader = c.r.Body
	switch enc := strings.ToLower(strings.TrimSpace(c.r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(http.MaxBytesReader(nil, c.r.Body, c.maxBody))
		if err != nil {
			return apperr.BadRequest("Unable to read the gzip-compressed request body.")
		}
		defer zr.Close()
		rd = zr
	default:
		return apperr.New(apperr.UnsupportedMediaType, "UnsupportedMediaType", "The Content-Encoding of the request is not supported; use gzip or none.")
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, io.NopCloser(rd), c.maxBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return apperr.New(apperr.TooLarge, "RequestEntityTooLarge", "The request body exceeds the limit of %d bytes.", c.maxBody)
	}
	if err != nil {
		return apperr.BadRequest("Unable to read the request body.")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if emptyOK {
			return nil
		}
		return apperr.BadRequest("Empty Payload. JSON content expected.")
	}
	if ct := c.r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return apperr.New(apperr.UnsupportedMediaType, "UnsupportedMediaType", "The Content-Type of the request is not supported; use application/json.")
		}
	} else {
		return apperr.New(apperr.UnsupportedMediaType, "UnsupportedMediaType", "A request with a body needs the header Content-Type: application/json.")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return jsonError(body, err)
	}
	return nil
}

// jsonError explains a JSON decoding error: what is wrong and where.
func jsonError(body []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := position(body, syn.Offset)
		hint := ""
		if prev := bytes.TrimRight(body[:max(syn.Offset-1, 0)], " \t\r\n"); bytes.HasSuffix(prev, []byte(",")) {
			hint = " (a trailing comma before it is not allowed in JSON)"
		}
		return apperr.BadRequest("Unable to read JSON request payload: %s at line %d, column %d%s.", syn.Error(), line, col, hint)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(request body)"
		}
		return apperr.BadRequest("Invalid JSON request payload: property '%s' must be %s, not a JSON %s.", field, jsonKind(typ.Type.Kind().String()), strings.Fields(typ.Value + " value")[0])
	}
	return apperr.BadRequest("Unable to read JSON request payload: %s.", err.Error())
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "int", "int32", "int64":
		return "an integer" // not "a number": 1.5 is a JSON number too
	case "float64":
		return "a number"
	case "slice":
		return "an array"
	default:
		return "an object"
	}
}

// position turns a byte offset into a 1-based line and column.
func position(body []byte, offset int64) (line, col int) {
	if offset > int64(len(body)) {
		offset = int64(len(body))
	}
	before := body[:max(offset-1, 0)]
	line = bytes.Count(before, []byte("\n")) + 1
	col = len(before) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// parseTime parses an optional DateTimeOffset property; "" gives zero. The
// date must lie within method.MinDate and method.MaxDate.
func parseTime(field string, s *string) (time.Time, error) {
	if s == nil || *s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, *s)
	if err != nil {
		return time.Time{}, apperr.BadRequest("Invalid value for property '%s': not a date and time in ISO 8601 format (for example 2026-03-02T09:00:00Z).", field)
	}
	t = t.UTC().Truncate(time.Microsecond)
	return t, method.CheckDate(field, t)
}
