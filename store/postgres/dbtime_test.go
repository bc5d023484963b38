package postgres

import (
	"strings"
	"testing"
	"time"

	"github.com/qrpin/qrpin/store/postgres/pgtest"
)

// TestDBTime scans timestamptz values as the store reads them: NULL is the
// zero time, a time is returned in UTC at its instant (whatever zone it
// was written in), and infinity, which the store never writes, is an
// error rather than a time.
func TestDBTime(t *testing.T) {
	s := open(t, pgtest.DSN(t))
	ctx := t.Context()
	want := time.Date(2026, 3, 2, 9, 30, 15, 123456000, time.UTC)
	var null, set dbTime
	set.t = time.Now() // overwritten by NULL's scan below, then by the time's
	null.t = time.Now()
	if err := s.pool.QueryRow(ctx, `SELECT NULL::timestamptz, $1::timestamptz`,
		want.In(time.FixedZone("IST", 5*3600+1800))).Scan(&null, &set); err != nil {
		t.Fatal(err)
	}
	if !null.t.IsZero() {
		t.Errorf("NULL scanned as %v, want the zero time", null.t)
	}
	if !set.t.Equal(want) || set.t.Location() != time.UTC {
		t.Errorf("scanned %v, want %v in UTC", set.t, want)
	}
	for _, v := range []string{"infinity", "-infinity"} {
		var d dbTime
		err := s.pool.QueryRow(ctx, `SELECT '`+v+`'::timestamptz`).Scan(&d)
		if err == nil || !strings.Contains(err.Error(), "infinite") {
			t.Errorf("%s scanned as %v, %v; want an error", v, d.t, err)
		}
	}
}
