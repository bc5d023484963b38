package graph

import (
	"encoding/json"
	"strings"

	"github.com/qrpin/qrpin/apperr"
)

// parseUserFilter reads the $filter user lists support: "employeeId eq
// '...'" (the property name and operator in any case, a quote inside the
// value doubled, as OData writes it). filtered is false for no $filter.
func parseUserFilter(s string) (employeeID string, filtered bool, err error) {
	if strings.TrimSpace(s) == "" {
		return "", false, nil
	}
	unsupported := func(why string) error {
		return apperr.New(apperr.Invalid, "Request_UnsupportedQuery",
			"Unsupported $filter '%s': %s. Users can be filtered by employeeId eq '{id}'.", s, why)
	}
	prop, rest, ok := filterWord(s)
	if !ok {
		return "", false, unsupported("a property name is missing")
	}
	if !strings.EqualFold(prop, "employeeId") {
		return "", false, unsupported("filtering on '" + prop + "' is not supported")
	}
	op, rest, ok := filterWord(rest)
	if !ok || !strings.EqualFold(op, "eq") {
		return "", false, unsupported("only the 'eq' operator is supported")
	}
	val, rest, ok := filterString(rest)
	if !ok {
		return "", false, unsupported("the value must be a string in single quotes")
	}
	if strings.TrimSpace(rest) != "" {
		return "", false, unsupported("only one clause is supported")
	}
	return val, true, nil
}

// clearableText is a string property that JSON null clears: set records
// that the property was sent at all (null or a string).
type clearableText struct {
	set bool
	s   string
}

func (t *clearableText) UnmarshalJSON(b []byte) error {
	t.set = true
	if string(b) == "null" {
		t.s = ""
		return nil
	}
	return json.Unmarshal(b, &t.s)
}

// value returns nil when the property was not sent, else its string (""
// for null).
func (t clearableText) value() *string {
	if !t.set {
		return nil
	}
	return &t.s
}
