package storetest

import (
	"context"
	"testing"

	"github.com/qrpin/qrpin/store"
)

var schemaTests = []test{
	{"SchemaVersionIsTheNewestMigration", func(t *testing.T, s store.Store) {
		sc, ok := s.(store.Schema)
		if !ok {
			t.Fatalf("%T does not implement store.Schema (readiness checks need it)", s)
		}
		current, want, err := sc.SchemaVersion(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if want < 18 || current != want { // 18: the newest migration when this test was written
			t.Fatalf("SchemaVersion = %d, %d; want both the newest migration (at least 18)", current, want)
		}
	}},
}
