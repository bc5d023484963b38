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
