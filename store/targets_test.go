package store

import (
	"reflect"
	"testing"

	"github.com/qrpin/qrpin/method"
)

func TestTargetsRoundTrip(t *testing.T) {
	for _, ts := range [][]method.Target{
		{},
		{{TargetType: "group", ID: "all_users"}},
		{{TargetType: "group", ID: "0b4c5f1e-8e2a-4c5e-9f6a-1d2e3f4a5b6c", IsRegistrationRequired: true}, {TargetType: "user", ID: "u"}},
	} {
		s, err := EncodeTargets(ts)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeTargets(s)
		if err != nil || !reflect.DeepEqual(got, ts) {
			t.Fatalf("%v: stored as %s, read back as %v, %v", ts, s, got, err)
		}
	}
	if s, _ := EncodeTargets(nil); s != "[]" {
		t.Fatalf("no targets stored as %s, want []", s)
	}
	if _, err := DecodeTargets("{"); err == nil {
		t.Fatal("DecodeTargets accepted broken JSON")
	}
}

// targetVectors are policy targets and the JSON every backend stores them
// as, made once with the code as it was. A change that alters them (a
// field name, the field order, omitted false values) breaks every stored
// policy of every existing database, and migrate-data, which copies the
// JSON as it is: it needs a migration, never an edit of these strings.
var targetVectors = []struct {
	targets []method.Target
	stored  string
}{
	{[]method.Target{}, `[]`},
	{[]method.Target{{TargetType: "group", ID: "all_users"}},
		`[{"targetType":"group","id":"all_users","isRegistrationRequired":false}]`},
	{[]method.Target{{TargetType: "group", ID: "0b4c5f1e-8e2a-4c5e-9f6a-1d2e3f4a5b6c", IsRegistrationRequired: true}, {TargetType: "user", ID: "Ünïcode <&> \"x\""}},
		`[{"targetType":"group","id":"0b4c5f1e-8e2a-4c5e-9f6a-1d2e3f4a5b6c","isRegistrationRequired":true},` +
			`{"targetType":"user","id":"Ünïcode \u003c\u0026\u003e \"x\"","isRegistrationRequired":false}]`},
}

// TestTargetsKnownAnswers: targets are stored as the JSON they always were,
// and that JSON reads back as the same targets.
func TestTargetsKnownAnswers(t *testing.T) {
	t.Parallel()
	for _, v := range targetVectors {
		got, err := EncodeTargets(v.targets)
		if err != nil || got != v.stored {
			t.Errorf("%v: stored as\n%s (%v)\nwant\n%s\n(existing databases hold the latter: a change here needs a migration)", v.targets, got, err, v.stored)
		}
		back, err := DecodeTargets(v.stored)
		if err != nil || !reflect.DeepEqual(back, v.targets) {
			t.Errorf("%s: read back as %v, %v, want %v (existing databases hold it: a change here needs a migration)", v.stored, back, err, v.targets)
		}
	}
}
