// Package storetest is the conformance suite for store.Store: every backend
// runs it from its own tests, and a behaviour one backend has and another
// lacks shows up as a failing test here.
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return openEmptyStore(t) })
//	}
package storetest

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/qrpin/qrpin/store"
)

// test is one conformance check, run on a fresh store.
type test struct {
	name string
	fn   func(t *testing.T, s store.Store)
}

// Run runs the conformance suite. Each subtest calls open for a new, empty
// store and closes it when the subtest ends (open should not close it);
// the subtests run in parallel, so open must give each its own store.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	var tests []test
	tests = append(tests, settingTests...)
	tests = append(tests, userTests...)
	tests = append(tests, employeeIDTests...)
	tests = append(tests, groupTests...)
	tests = append(tests, roleTests...)
	tests = append(tests, unitTests...)
	tests = append(tests, methodTests...)
	tests = append(tests, policyTests...)
	tests = append(tests, applicationTests...)
	tests = append(tests, signInTests...)
	tests = append(tests, oidcTests...)
	tests = append(tests, staffTests...)
	tests = append(tests, auditTests...)
	tests = append(tests, pruneTests...)
	tests = append(tests, textTests...)
	tests = append(tests, concurrencyTests...)
	tests = append(tests, schemaTests...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // each on a store of its own
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.fn(t, s)
		})
	}
}

// t0 is the suite's "now": UTC, to the microsecond, as callers store times.
var t0 = time.Date(2026, 3, 1, 9, 30, 15, 123456000, time.UTC)

const (
	us  = time.Microsecond
	day = 24 * time.Hour
)

// fnError is the error the suite's update functions return; stores must
// hand it back unchanged.
type fnError struct{ op string }

func (e *fnError) Error() string { return "storetest: " + e.op + " refused" }

func newID() string { return uuid.NewString() }

// check fails the test when err is not (or does not wrap) want; want nil
// means err must be nil.
func check(t *testing.T, err, want error, what string) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("%s: unexpected error: %v", what, err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

// must fails the test when err is not nil.
func must(t *testing.T, err error, what string) {
	t.Helper()
	check(t, err, nil, what)
}

// equal fails the test when got and want differ (reflect.DeepEqual, so a
// time must be UTC to equal a UTC time).
func equal[T any](t *testing.T, got, want T, what string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %s\nwant %s", what, show(got), show(want))
	}
}

// show renders v for a failure message, following pointers.
func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// sorted returns a sorted copy of ids.
func sorted(ids []string) []string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return ids
}

// checkPaging pages through list with each of several limits and checks that
// every page is exactly the next limit ids of want (which it sorts), so no
// id is skipped or repeated, and that the page after the last is empty. It
// also checks that after need not be an existing id.
func checkPaging(t *testing.T, what string, want []string, list func(after string, limit int) ([]string, error)) {
	t.Helper()
	want = sorted(want)
	for _, limit := range []int{1, 2, 3, len(want), len(want) + 5} {
		if limit < 1 {
			continue
		}
		after := ""
		for i := 0; ; i += limit {
			var exp []string
			if i < len(want) {
				exp = want[i:min(i+limit, len(want))]
			}
			page, err := list(after, limit)
			must(t, err, what)
			if !slices.Equal(page, exp) {
				t.Fatalf("%s: limit %d after %q: got %v, want %v", what, limit, after, page, exp)
			}
			if len(page) == 0 {
				break
			}
			after = page[len(page)-1]
		}
	}
	// after need not name a stored id: a prefix of an id sorts before it.
	if len(want) > 2 {
		after := want[2][:8]
		var exp []string
		for _, id := range want {
			if id > after {
				exp = append(exp, id)
			}
		}
		page, err := list(after, len(want)+1)
		must(t, err, what)
		if !slices.Equal(page, exp) {
			t.Fatalf("%s: after %q: got %v, want %v", what, after, page, exp)
		}
	}
}
