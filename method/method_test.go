package method

import (
	"reflect"
	"testing"
	"time"

	"github.com/qrpin/qrpin/apperr"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func code(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	e, ok := apperr.As(err)
	if !ok {
		t.Fatalf("error %v is not an *apperr.Error", err)
	}
	return e.Code
}

func TestValidateLifetime(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		kind Kind
		life time.Duration
		want string
	}{
		{Standard, day - time.Second, "qrCodeLifeTimeExceedLimit"},
		{Standard, day, ""},
		{Standard, 365 * day, ""},
		{Standard, 395 * day, ""},
		{Standard, 395*day + time.Second, "qrCodeLifeTimeExceedLimit"},
		{Standard, -day, "qrCodeLifeTimeExceedLimit"},
		{Temporary, time.Hour - time.Second, "qrCodeLifeTimeExceedLimit"},
		{Temporary, time.Hour, ""},
		{Temporary, 3 * time.Hour, ""},
		{Temporary, 12 * time.Hour, ""},
		{Temporary, 12*time.Hour + time.Second, "qrCodeLifeTimeExceedLimit"},
		{Temporary, 0, "qrCodeLifeTimeExceedLimit"},
	}
	for _, tt := range tests {
		got := code(t, ValidateLifetime(tt.kind, t0, t0.Add(tt.life)))
		if got != tt.want {
			t.Errorf("%s lifetime %v: code %q, want %q", tt.kind, tt.life, got, tt.want)
		}
		if e, ok := apperr.As(ValidateLifetime(tt.kind, t0, t0.Add(tt.life))); ok && e.Kind != apperr.Invalid {
			t.Errorf("%s lifetime %v: kind %v, want Invalid", tt.kind, tt.life, e.Kind)
		}
	}
}

func TestActiveAndLive(t *testing.T) {
	c := &QRCode{Start: t0, Expire: t0.Add(time.Hour)}
	tests := []struct {
		at           time.Time
		active, live bool
	}{
		{t0.Add(-time.Nanosecond), false, true}, // not started yet: not usable, but blocks a new code
		{t0, true, true},
		{t0.Add(59 * time.Minute), true, true},
		{t0.Add(time.Hour - time.Nanosecond), true, true},
		{t0.Add(time.Hour), false, false}, // expiry is exclusive
		{t0.Add(2 * time.Hour), false, false},
	}
	for _, tt := range tests {
		if got := c.ActiveAt(tt.at); got != tt.active {
			t.Errorf("ActiveAt(%v) = %v, want %v", tt.at, got, tt.active)
		}
		if got := c.Live(tt.at); got != tt.live {
			t.Errorf("Live(%v) = %v, want %v", tt.at, got, tt.live)
		}
	}
	var none *QRCode
	if none.ActiveAt(t0) || none.Live(t0) {
		t.Error("a nil code is neither active nor live")
	}
}

func TestAddCodeOneLivePerKind(t *testing.T) {
	m := &Method{}
	std := &QRCode{ID: "s1", Kind: Standard, Start: t0, Expire: t0.AddDate(1, 0, 0)}
	if err := m.AddCode(std, t0); err != nil {
		t.Fatal(err)
	}
	// A second standard code while the first is live: refused, first kept.
	if got := code(t, m.AddCode(&QRCode{ID: "s2", Kind: Standard, Start: t0, Expire: t0.AddDate(0, 1, 0)}, t0)); got != "ActiveQRCodeExisted" {
		t.Fatalf("second standard code: %q, want ActiveQRCodeExisted", got)
	}
	if m.Standard.ID != "s1" {
		t.Fatalf("standard code replaced by a refused one: %s", m.Standard.ID)
	}
	// A temporary code is independent of the standard one.
	tmp := &QRCode{ID: "t1", Kind: Temporary, Start: t0, Expire: t0.Add(3 * time.Hour)}
	if err := m.AddCode(tmp, t0); err != nil {
		t.Fatal(err)
	}
	if got := code(t, m.AddCode(&QRCode{ID: "t2", Kind: Temporary, Start: t0, Expire: t0.Add(time.Hour)}, t0.Add(time.Hour))); got != "ActiveQRCodeExisted" {
		t.Fatalf("second temporary code: %q", got)
	}
	// Once the temporary code has expired, a new one replaces it.
	later := t0.Add(3 * time.Hour)
	if err := m.AddCode(&QRCode{ID: "t2", Kind: Temporary, Start: later, Expire: later.Add(time.Hour)}, later); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if m.Temporary.ID != "t2" || m.Standard.ID != "s1" {
		t.Fatalf("codes now %s/%s, want s1/t2", m.Standard.ID, m.Temporary.ID)
	}
	// A code whose start lies in the future still blocks.
	m2 := &Method{}
	if err := m2.AddCode(&QRCode{ID: "f", Kind: Standard, Start: t0.Add(48 * time.Hour), Expire: t0.AddDate(0, 2, 0)}, t0); err != nil {
		t.Fatal(err)
	}
	if got := code(t, m2.AddCode(&QRCode{ID: "g", Kind: Standard, Start: t0, Expire: t0.AddDate(0, 1, 0)}, t0)); got != "ActiveQRCodeExisted" {
		t.Fatalf("future code did not block: %q", got)
	}
	// A bad lifetime is refused and nothing changes.
	m3 := &Method{}
	if got := code(t, m3.AddCode(&QRCode{ID: "x", Kind: Temporary, Start: t0, Expire: t0.Add(13 * time.Hour)}, t0)); got != "qrCodeLifeTimeExceedLimit" {
		t.Fatalf("13 h temporary code: %q", got)
	}
	if m3.Temporary != nil {
		t.Fatal("refused code was stored")
	}
}

func TestExtendStandard(t *testing.T) {
	start := t0
	newMethod := func() *Method {
		return &Method{Standard: &QRCode{ID: "s", Kind: Standard, Start: start, Expire: start.AddDate(1, 0, 0)}}
	}
	tests := []struct {
		name        string
		start       time.Time
		expire      time.Time
		now         time.Time
		wantCode    string
		wantExpires time.Time
	}{
		{"later expiry", time.Time{}, start.AddDate(0, 0, 390), t0, "", start.AddDate(0, 0, 390)},
		{"earlier expiry", time.Time{}, start.AddDate(0, 0, 30), t0, "", start.AddDate(0, 0, 30)},
		{"same start given", start, start.AddDate(0, 0, 100), t0, "", start.AddDate(0, 0, 100)},
		{"other start", start.Add(time.Hour), start.AddDate(0, 0, 100), t0, "ActiveQRCodeExisted", start.AddDate(1, 0, 0)},
		{"past 395 days from start", time.Time{}, start.AddDate(0, 0, 396), t0, "qrCodeLifeTimeExceedLimit", start.AddDate(1, 0, 0)},
		{"under a day", time.Time{}, start.Add(time.Hour), t0, "qrCodeLifeTimeExceedLimit", start.AddDate(1, 0, 0)},
		{"expired code", time.Time{}, start.AddDate(0, 0, 390), start.AddDate(2, 0, 0), "itemNotFound", start.AddDate(1, 0, 0)},
	}
	for _, tt := range tests {
		m := newMethod()
		got := code(t, m.ExtendStandard(tt.start, tt.expire, tt.now))
		if got != tt.wantCode {
			t.Errorf("%s: code %q, want %q", tt.name, got, tt.wantCode)
		}
		if !m.Standard.Expire.Equal(tt.wantExpires) {
			t.Errorf("%s: expiry %v, want %v", tt.name, m.Standard.Expire, tt.wantExpires)
		}
	}
	if got := code(t, (&Method{}).ExtendStandard(time.Time{}, t0.AddDate(0, 1, 0), t0)); got != "itemNotFound" {
		t.Errorf("no standard code: %q", got)
	}
}

// TestClone: a clone's codes and verifiers are its own; changing them leaves
// the original as it was, and a method without codes clones to one without.
func TestClone(t *testing.T) {
	orig := Method{ID: "m", Standard: &QRCode{ID: "s", Verifier: []byte{1, 2}},
		Temporary: &QRCode{ID: "t", Verifier: []byte{3}}, PIN: PIN{Hash: "h"}}
	c := orig.Clone()
	if !reflect.DeepEqual(c, orig) {
		t.Fatalf("clone %+v differs from %+v", c, orig)
	}
	c.Standard.ID, c.Standard.Verifier[0], c.Temporary.Verifier[0] = "x", 9, 9
	if orig.Standard.ID != "s" || orig.Standard.Verifier[0] != 1 || orig.Temporary.Verifier[0] != 3 {
		t.Fatalf("changing the clone changed the original: %+v %+v", orig.Standard, orig.Temporary)
	}
	if e := (Method{ID: "e"}).Clone(); e.Standard != nil || e.Temporary != nil || e.ID != "e" {
		t.Fatalf("clone of a method without codes: %+v", e)
	}
}

// TestDateBounds: dates from the Unix epoch to the end of year 9999 are
// accepted, so every date answered formats with a four-digit year; a QR
// code whose start or expiry falls outside is refused with a 400.
func TestDateBounds(t *testing.T) {
	t.Parallel()
	end := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
	epoch := time.Unix(0, 0).UTC()
	for _, tt := range []struct {
		at   time.Time
		want string
	}{
		{epoch, ""},
		{epoch.Add(-time.Microsecond), "BadRequest"},
		{time.Time{}, "BadRequest"},
		{t0, ""},
		{end, ""},
		{end.Add(time.Microsecond), "BadRequest"},
		{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), "BadRequest"},
	} {
		if got := code(t, CheckDate("startDateTime", tt.at)); got != tt.want {
			t.Errorf("CheckDate(%v) = %q, want %q", tt.at, got, tt.want)
		}
	}
	for _, tt := range []struct {
		kind          Kind
		start, expire time.Time
		want          string
	}{
		{Standard, end.AddDate(0, 0, -365), end, ""},
		{Standard, end.AddDate(0, 0, -364), end.AddDate(0, 0, 1), "BadRequest"}, // year 10000
		{Temporary, end.Add(-8 * time.Hour), end, ""},
		{Temporary, end.Add(-4 * time.Hour), end.Add(4 * time.Hour), "BadRequest"},
		{Standard, epoch.Add(-time.Hour), epoch.AddDate(0, 0, 30), "BadRequest"},
	} {
		if got := code(t, ValidateLifetime(tt.kind, tt.start, tt.expire)); got != tt.want {
			t.Errorf("%s %v to %v: code %q, want %q", tt.kind, tt.start, tt.expire, got, tt.want)
		}
	}
	if MaxDate.Format(time.RFC3339) != "9999-12-31T23:59:59Z" || MinDate.Format(time.RFC3339) != "1970-01-01T00:00:00Z" {
		t.Errorf("bounds %v to %v", MinDate, MaxDate)
	}
}
