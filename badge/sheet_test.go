package badge_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/google/uuid"

	"github.com/qrpin/qrpin/badge"
	"github.com/qrpin/qrpin/badge/badgetest"
	"github.com/qrpin/qrpin/qr"
)

// names are workers' names in the scripts the Go fonts cover.
var names = []string{
	"Anna Kowalska", "José Álvarez", "Zoë Müller", "Łukasz Wiśniewski", "Дмитрий Иванов",
	"Σοφία Παπαδοπούλου", "Nguyen Văn An", "Siobhán O'Brien", "Ülkü Çelik", "Jean-Baptiste Émile Zorg",
}

// worker returns test worker i's badge and letter: a valid payload with
// ids and secret derived from i, and an 8-digit PIN.
func worker(t testing.TB, i int) (badge.Badge, badge.Letter) {
	t.Helper()
	seed := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(i)))
	upn := fmt.Sprintf("worker%04d@contoso.example", i)
	if i%3 == 1 { // a longer UPN: a larger symbol version
		upn = fmt.Sprintf("worker.with.a.much.longer.name.%04d@warehouse-north.contoso.example", i)
	}
	p := qr.Payload{
		TenantID: "72f988bf-86f1-41af-91ab-2d7cd011db47",
		CodeID:   uuid.NewSHA1(uuid.NameSpaceOID, seed[:]).String(),
		UPN:      upn,
		Secret:   seed[16:32],
	}
	payload := p.Encode()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	control, err := badge.NewControl()
	if err != nil {
		t.Fatal(err)
	}
	b := badge.Badge{
		Payload:     payload,
		DisplayName: names[i%len(names)],
		UPN:         upn,
		EmployeeID:  fmt.Sprintf("E%05d", 10000+i),
		Site:        []string{"Warehouse North", "Depot 7", ""}[i%3],
		Expires:     time.Date(2027, 3, 1+i%28, 12, 0, 0, 0, time.UTC),
		Control:     control,
	}
	l := badge.Letter{
		DisplayName: b.DisplayName, UPN: upn, EmployeeID: b.EmployeeID, Site: b.Site,
		PIN:     fmt.Sprintf("%08d", (uint64(i)*7919+48213907)%100000000),
		Control: control,
	}
	return b, l
}

func workers(t testing.TB, n int) ([]badge.Badge, []badge.Letter) {
	bs, ls := make([]badge.Badge, n), make([]badge.Letter, n)
	for i := range n {
		bs[i], ls[i] = worker(t, i)
	}
	return bs, ls
}

// sheet makes a badge sheet and returns its bytes and warnings.
func sheet(t testing.TB, layout badge.Layout, paper badge.Paper, bs []badge.Badge) ([]byte, []string) {
	t.Helper()
	var buf bytes.Buffer
	warnings, err := badge.Sheet(&buf, layout, paper, bs)
	if err != nil {
		t.Fatalf("Sheet(%s, %s): %v", layout, paper, err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
		t.Fatalf("Sheet(%s, %s) wrote no PDF", layout, paper)
	}
	return buf.Bytes(), warnings
}

// utf16be is s as a PDF text string in a UTF-8 font holds it.
func utf16be(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return b
}

// TestSheetLayouts prints a sheet and a bit in every layout on every paper
// it takes, scans every badge back where Placements says it is, and checks
// each code's text, symbol, quiet zone and size, the badge's text, and
// that no PIN is anywhere in the document.
func TestSheetLayouts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		layout  badge.Layout
		paper   badge.Paper
		perPage int
		minSize float64 // mm, the code with its quiet zone
	}{
		{badge.LayoutCR80, badge.PaperA4, 8, badge.TwoInches},
		{badge.LayoutCR80, badge.PaperLetter, 8, badge.TwoInches},
		{badge.LayoutLabel2in, badge.PaperLetter, 12, 37.5},
		{badge.LayoutLabel2in, badge.PaperA4, 15, 37.5},
		{badge.LayoutA4, "", 9, badge.TwoInches},
		{badge.LayoutLetter, badge.PaperLetter, 9, badge.TwoInches},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s on %s", c.layout, c.paper), func(t *testing.T) {
			t.Parallel()
			if n, err := badge.PerPage(c.layout, c.paper); err != nil || n != c.perPage {
				t.Fatalf("PerPage = %d, %v; want %d", n, err, c.perPage)
			}
			bs, ls := workers(t, c.perPage+2) // a full page and two on the next
			pdf, warnings := sheet(t, c.layout, c.paper, bs)

			codes := badgetest.Scan(t, pdf, c.layout, c.paper)
			if len(codes) != len(bs) {
				t.Fatalf("scanned %d codes, printed %d badges", len(codes), len(bs))
			}
			for i, code := range codes {
				if code.Text != bs[i].Payload {
					t.Errorf("badge %d decodes to %q, want its payload %q", i+1, code.Text, bs[i].Payload)
				}
				if want := 1 + i/c.perPage; code.Page != want {
					t.Errorf("badge %d is on page %d, want %d", i+1, code.Page, want)
				}
				if code.Size < c.minSize {
					t.Errorf("badge %d: the code is %.2f mm wide with its quiet zone, want at least %.1f mm", i+1, code.Size, c.minSize)
				}
			}
			if c.layout == badge.LayoutLabel2in {
				if len(warnings) != 1 || !strings.Contains(warnings[0], "cannot hold a 2-inch code") || !strings.Contains(warnings[0], "38 mm") {
					t.Errorf("warnings = %q, want one saying the code is 38 mm, under 2 inches", warnings)
				}
			} else if len(warnings) != 0 {
				t.Errorf("warnings = %q, want none", warnings)
			}

			text := badgetest.Text(t, pdf)
			words := strings.Join(strings.Fields(text), " ") // a name may wrap
			for i, b := range bs {
				for _, want := range []string{b.DisplayName, b.EmployeeID, b.Control, b.Expires.Format("2006-01-02")} {
					if !strings.Contains(words, want) {
						t.Errorf("badge %d: the sheet's text lacks %q", i+1, want)
					}
				}
				if b.Site != "" && !strings.Contains(text, b.Site) {
					t.Errorf("badge %d: the sheet's text lacks the site %q", i+1, b.Site)
				}
			}
			raw := badgetest.Raw(t, pdf)
			for i, l := range ls {
				if strings.Contains(text, l.PIN) || bytes.Contains(raw, []byte(l.PIN)) || bytes.Contains(raw, utf16be(l.PIN)) {
					t.Errorf("worker %d's PIN is in the badge sheet", i+1)
				}
			}
			if strings.Contains(text, "QP1.") {
				t.Error("a payload is printed as text on the badge sheet")
			}
		})
	}
}

// TestSheetTwoInchesAtLargestVersion: the longest UPN a payload carries
// makes the largest symbol a badge shows; it still decodes, at 2 inches.
func TestSheetTwoInchesAtLargestVersion(t *testing.T) {
	t.Parallel()
	b, _ := worker(t, 0)
	p, err := qr.Parse(b.Payload)
	if err != nil {
		t.Fatal(err)
	}
	p.UPN = "a@" + strings.Repeat("b", qr.MaxUPNLen-2)
	b.Payload, b.UPN = p.Encode(), p.UPN
	for _, layout := range []badge.Layout{badge.LayoutCR80, badge.LayoutA4} {
		pdf, _ := sheet(t, layout, "", []badge.Badge{b})
		codes := badgetest.Scan(t, pdf, layout, "")
		if len(codes) != 1 || codes[0].Text != b.Payload {
			t.Fatalf("%s: scanned %+v", layout, codes)
		}
		if codes[0].Size < badge.TwoInches || codes[0].Modules < 57 {
			t.Errorf("%s: the code is %.2f mm, %d modules: want >= 50.8 mm and a large version", layout, codes[0].Size, codes[0].Modules)
		}
		t.Logf("%s: %d modules, %.2f mm", layout, codes[0].Modules, codes[0].Size)
	}
}

func TestSheetErrors(t *testing.T) {
	t.Parallel()
	good, _ := worker(t, 1)
	bad := good
	bad.Payload = strings.Replace(good.Payload, "QP1.", "QP1.X", 1)
	empty := good
	empty.Payload = ""
	for name, c := range map[string]struct {
		layout badge.Layout
		paper  badge.Paper
		badges []badge.Badge
		want   string
	}{
		"unknown layout":     {"cr79", "", []badge.Badge{good}, `unknown layout "cr79"`},
		"unknown paper":      {badge.LayoutCR80, "a5", []badge.Badge{good}, `unknown paper "a5"`},
		"a4 layout, letter":  {badge.LayoutA4, badge.PaperLetter, []badge.Badge{good}, "layout a4 is printed on a4 paper"},
		"no badges":          {badge.LayoutCR80, "", nil, "no badges"},
		"tampered payload":   {badge.LayoutCR80, "", []badge.Badge{good, bad}, "badge 2 (" + good.UPN + ")"},
		"empty payload":      {badge.LayoutLabel2in, "", []badge.Badge{empty}, "badge 1 (" + good.UPN + ")"},
		"too long a payload": {badge.LayoutA4, "", []badge.Badge{good, {Payload: strings.Repeat("z", 3000)}}, "badge 2:"},
	} {
		var buf bytes.Buffer
		_, err := badge.Sheet(&buf, c.layout, c.paper, c.badges)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one containing %q", name, err, c.want)
		}
		if err != nil && (strings.Contains(err.Error(), good.Payload) || strings.Contains(err.Error(), "QP1.")) {
			t.Errorf("%s: the error shows a payload: %v", name, err)
		}
		if buf.Len() != 0 {
			t.Errorf("%s: Sheet wrote %d bytes before failing", name, buf.Len())
		}
	}
}

// TestSheetUnprintableName: a name in a script the fonts lack is printed
// with '?' and the UPN under it, and the warning names the badge.
func TestSheetUnprintableName(t *testing.T) {
	t.Parallel()
	bs, _ := workers(t, 2)
	bs[1].DisplayName = "李小龍"
	pdf, warnings := sheet(t, badge.LayoutCR80, badge.PaperA4, bs)
	if len(warnings) != 1 || !strings.Contains(warnings[0], "badge 2 ("+bs[1].UPN+")") ||
		!strings.Contains(warnings[0], "cannot draw") || !strings.Contains(warnings[0], "user principal name is printed") {
		t.Errorf("warnings = %q", warnings)
	}
	text := badgetest.Text(t, pdf)
	if !strings.Contains(text, "???") || !strings.Contains(strings.ReplaceAll(text, "\n", ""), bs[1].UPN) {
		t.Errorf("the sheet's text lacks the placeholder name or the UPN:\n%s", text)
	}
	if strings.Contains(text, bs[0].UPN) {
		t.Error("the UPN of a printable name is printed too")
	}
	if got := badge.Unprintable("Zoë 李小龍 Nguyễn\tΩμέγα\n李"); string(got) != "李小龍ễ" {
		t.Errorf("Unprintable = %q, want 李小龍ễ", string(got))
	}
}

// TestSheetAccentsDropped: a letter the fonts lack whose base letter they
// have is printed without its accents, with a warning, and no UPN.
func TestSheetAccentsDropped(t *testing.T) {
	t.Parallel()
	bs, _ := workers(t, 1)
	bs[0].DisplayName = "Nguyễn Văn An"
	pdf, warnings := sheet(t, badge.LayoutA4, "", bs)
	if len(warnings) != 1 || warnings[0] != "badge 1 ("+bs[0].UPN+"): the name has characters the fonts cannot draw, printed without their accents" {
		t.Errorf("warnings = %q", warnings)
	}
	if text := badgetest.Text(t, pdf); !strings.Contains(text, "Nguyen Văn An") || strings.Contains(text, bs[0].UPN) {
		t.Errorf("the name is not printed as Nguyen Văn An (without the UPN):\n%s", text)
	}
}

// TestSheetLongText: a name too long for two lines is cut short, with a
// warning, and the other badges are untouched.
func TestSheetLongText(t *testing.T) {
	t.Parallel()
	bs, _ := workers(t, 2)
	bs[0].DisplayName = strings.Repeat("Maximiliana ", 12) + "Lastname"
	bs[1].DisplayName = "Bartholomew Alexandrovich"
	for _, layout := range badge.Layouts() {
		pdf, warnings := sheet(t, layout, "", bs)
		var cut []string
		for _, w := range warnings {
			if strings.Contains(w, "cut short") {
				cut = append(cut, w)
			}
		}
		if len(cut) != 1 || !strings.Contains(cut[0], "badge 1 ("+bs[0].UPN+"): the name is too long") {
			t.Errorf("%s: warnings = %q, want one saying badge 1's name is cut short", layout, warnings)
		}
		text := badgetest.Text(t, pdf)
		if !strings.Contains(text, "Maximiliana") || !strings.Contains(text, "…") || strings.Contains(text, "Lastname") {
			t.Errorf("%s: the long name is not cut short with an ellipsis:\n%s", layout, text)
		}
		if !strings.Contains(text, "Bartholomew") || !strings.Contains(text, "Alexandrovich\n") {
			t.Errorf("%s: badge 2's name is not printed whole:\n%s", layout, text)
		}
	}
}
