package badge_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/qrpin/qrpin/badge"
	"github.com/qrpin/qrpin/badge/badgetest"
	"github.com/qrpin/qrpin/qr"
)

var updatePicture = flag.Bool("update-picture", false, "rewrite ../docs/badge-sheet.png (go generate ./badge)")

// picturePath is the README's picture of a badge sheet.
const picturePath = "../docs/badge-sheet.png"

// pictureDPI is its resolution: a page of A4 in 595 x 842 pixels.
const pictureDPI = 72

// sampleSheet is the README's sample: fake workers, fake payloads (fixed
// ids, secrets of one repeated byte), fixed control numbers.
func sampleSheet(t testing.TB) []byte {
	t.Helper()
	people := []struct{ name, upn, id, site, control string }{
		{"Anna Kowalska", "anna.kowalska", "E10231", "Warehouse North", "K7QX-93PD"},
		{"José Álvarez", "jose.alvarez", "E10232", "Warehouse North", "M4TR-8WZE"},
		{"Zoë Müller", "zoe.mueller", "E10233", "Depot 7", "Q2HN-5KXA"},
		{"Дмитрий Иванов", "dmitri.ivanov", "E10234", "Depot 7", "B9VC-3RJT"},
		{"Siobhán O'Brien", "siobhan.obrien", "E10235", "Cold Store", "W6PF-7DGM"},
		{"Σοφία Παπαδοπούλου", "sofia.papadopoulou", "E10236", "Cold Store", "H8LS-2YQN"},
		{"Jean-Baptiste Émile Zorg", "jb.zorg", "E10237", "Loading Bay", "T5EX-9CKU"},
		{"Łukasz Wiśniewski", "lukasz.wisniewski", "E10238", "Loading Bay", "R3MA-6VHW"},
	}
	var bs []badge.Badge
	for i, p := range people {
		upn := p.upn + "@contoso.example"
		payload := qr.Payload{
			TenantID: "00000000-0000-4000-8000-00000000c0de",
			CodeID:   fmt.Sprintf("00000000-0000-4000-8000-0000000000%02x", 0xa0+i),
			UPN:      upn,
			Secret:   bytes.Repeat([]byte{byte(i + 1)}, qr.SecretLen),
		}
		if err := payload.Validate(); err != nil {
			t.Fatal(err)
		}
		bs = append(bs, badge.Badge{
			Payload: payload.Encode(), DisplayName: p.name, UPN: upn, EmployeeID: p.id, Site: p.site,
			Expires: time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC), Control: p.control,
		})
	}
	pdf, warnings := sheet(t, badge.LayoutCR80, badge.PaperA4, bs)
	if len(warnings) != 0 {
		t.Fatalf("warnings: %q", warnings)
	}
	if codes := badgetest.Scan(t, pdf, badge.LayoutCR80, badge.PaperA4); len(codes) != len(bs) {
		t.Fatalf("the sample sheet scans %d codes", len(codes))
	}
	return pdf
}

// TestBadgeSheetPicture checks that the README's picture is the sample
// sheet as the code prints it now (with -update-picture, or go generate
// ./badge, it writes it), and small.
func TestBadgeSheetPicture(t *testing.T) {
	t.Parallel()
	page := badgetest.RenderPNG(t, sampleSheet(t), pictureDPI)
	if *updatePicture {
		if err := os.WriteFile(picturePath, page, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stored, err := os.ReadFile(picturePath)
	if err != nil {
		t.Fatalf("%v (go generate ./badge writes it)", err)
	}
	if len(stored) > 300<<10 {
		t.Errorf("%s is %d KB, want < 300 KB", picturePath, len(stored)>>10)
	}
	want, got := gray(t, page), gray(t, stored)
	if want.Bounds() != got.Bounds() {
		t.Fatalf("%s is %v, the sample sheet renders as %v (go generate ./badge)", picturePath, got.Bounds(), want.Bounds())
	}
	differ := 0
	for i := range want.Pix {
		if d := int(want.Pix[i]) - int(got.Pix[i]); d > 64 || d < -64 {
			differ++
		}
	}
	if differ > len(want.Pix)/100 {
		t.Errorf("%s differs from the sample sheet as it renders now in %d pixels: regenerate it (go generate ./badge)", picturePath, differ)
	}
}
