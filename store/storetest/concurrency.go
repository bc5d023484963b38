package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
)

var concurrencyTests = []test{
	{"Concurrency/UpdateMethodSerializes", testConcurrentUpdateMethod},
	{"Concurrency/CreateMethodOnce", testConcurrentCreateMethod},
	{"Concurrency/CreateUserSameUPN", testConcurrentCreateUser},
	{"Concurrency/SettingAgrees", testConcurrentSetting},
	{"Concurrency/UpdateUserSerializes", testConcurrentUpdateUser},
	{"Concurrency/UpdatePolicySerializes", testConcurrentUpdatePolicy},
}

// race runs f(0) ... f(n-1) in n goroutines released together and returns
// their errors by index.
func race(n int, f func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// oneWinner checks that exactly one of errs is nil and every other is
// store.ErrConflict, and returns the winner's index.
func oneWinner(t *testing.T, errs []error, what string) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("%s: goroutines %d and %d both succeeded", what, winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, store.ErrConflict):
			t.Fatalf("%s: goroutine %d: got error %v, want %v", what, i, err, store.ErrConflict)
		}
	}
	if winner < 0 {
		t.Fatalf("%s: no goroutine succeeded", what)
	}
	return winner
}

func testConcurrentUpdateMethod(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "alice@contoso.com")
	m := newMethod(u.ID)
	m.Lockout = method.Lockout{}
	must(t, s.CreateMethod(ctx, m), "CreateMethod")

	const n = 50
	counts := make([]int, n)
	errs := race(n, func(i int) error {
		got, err := s.UpdateMethod(ctx, u.ID, func(m *method.Method) error {
			m.Lockout.Failures++
			return nil
		})
		counts[i] = got.Lockout.Failures
		return err
	})
	for i, err := range errs {
		must(t, err, fmt.Sprintf("UpdateMethod in goroutine %d", i))
	}
	got, err := s.GetMethod(ctx, u.ID)
	must(t, err, "GetMethod")
	equal(t, got.Lockout.Failures, n, "failures after concurrent increments")
	// Serialized updates each see the one before: every count from 1 to n
	// is returned once.
	slices.Sort(counts)
	for i, c := range counts {
		if c != i+1 {
			t.Fatalf("counts returned by the updates: %v, want 1 to %d once each", counts, n)
		}
	}
	m.Lockout.Failures = n
	equal(t, got, m, "method after concurrent increments")
}

func testConcurrentCreateMethod(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "alice@contoso.com")
	const n = 20
	methods := make([]method.Method, n)
	for i := range methods {
		methods[i] = newMethod(u.ID)
	}
	errs := race(n, func(i int) error { return s.CreateMethod(ctx, methods[i]) })
	winner := oneWinner(t, errs, "concurrent CreateMethod")
	wantMethod(t, s, methods[winner], "the winning method")
	for i, m := range methods {
		if i == winner {
			continue
		}
		_, err := s.GetMethodByCode(ctx, m.Standard.ID)
		check(t, err, store.ErrNotFound, "GetMethodByCode of a losing method's code")
	}
}

func testConcurrentCreateUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	const n = 20
	users := make([]store.User, n)
	for i := range users {
		// The same UPN in a different case in each goroutine.
		upn := []byte("racer@contoso.com")
		for j := range upn {
			if i>>(j%5)&1 == 1 {
				upn[j] = strings.ToUpper(string(upn[j]))[0]
			}
		}
		users[i] = newUser(string(upn))
	}
	errs := race(n, func(i int) error { return s.CreateUser(ctx, users[i]) })
	winner := oneWinner(t, errs, "concurrent CreateUser with one UPN")
	list, err := s.ListUsers(ctx, "", 100)
	must(t, err, "ListUsers")
	equal(t, list, []store.User{users[winner]}, "users after concurrent CreateUser")
}

func testConcurrentSetting(t *testing.T, s store.Store) {
	ctx := t.Context()
	const n = 20
	values := make([]string, n)
	errs := race(n, func(i int) error {
		var err error
		values[i], err = s.Setting(ctx, "key", fmt.Sprint("value", i))
		return err
	})
	for i, err := range errs {
		must(t, err, fmt.Sprintf("Setting in goroutine %d", i))
	}
	first := values[0]
	if !strings.HasPrefix(first, "value") {
		t.Fatalf("Setting returned %q, not a value any goroutine offered", first)
	}
	for i, v := range values {
		if v != first {
			t.Fatalf("Setting returned %q in goroutine 0 and %q in goroutine %d", first, v, i)
		}
	}
	v, err := s.Setting(ctx, "key", "late")
	must(t, err, "Setting")
	equal(t, v, first, "Setting after the race")
}

func testConcurrentUpdateUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := createUser(t, s, "alice@contoso.com")
	const n = 30
	errs := race(n, func(i int) error {
		_, err := s.UpdateUser(ctx, u.ID, func(u *store.User) error {
			u.DisplayName += fmt.Sprintf("<%d>", i)
			return nil
		})
		return err
	})
	for i, err := range errs {
		must(t, err, fmt.Sprintf("UpdateUser in goroutine %d", i))
	}
	got, err := s.GetUser(ctx, u.ID)
	must(t, err, "GetUser")
	// Every update saw the one before: each goroutine's mark is there once.
	for i := range n {
		if c := strings.Count(got.DisplayName, fmt.Sprintf("<%d>", i)); c != 1 {
			t.Fatalf("display name after concurrent updates %q holds goroutine %d's mark %d times, want 1", got.DisplayName, i, c)
		}
	}
}

func testConcurrentUpdatePolicy(t *testing.T, s store.Store) {
	ctx := t.Context()
	const n = 30
	ids := make([]string, n)
	for i := range ids {
		ids[i] = newID()
	}
	// No policy is stored when the race starts: the first updates must
	// serialize all the same.
	errs := race(n, func(i int) error {
		_, err := s.UpdatePolicy(ctx, func(p *method.Policy) error {
			p.Exclude = append(p.Exclude, method.Target{TargetType: method.TargetGroup, ID: ids[i]})
			return nil
		})
		return err
	})
	for i, err := range errs {
		must(t, err, fmt.Sprintf("UpdatePolicy in goroutine %d", i))
	}
	got := getPolicy(t, s)
	var excluded []string
	for _, x := range got.Exclude {
		excluded = append(excluded, x.ID)
	}
	equal(t, sorted(excluded), sorted(ids), "excluded ids after concurrent updates")
}
