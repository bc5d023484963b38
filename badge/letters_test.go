package badge_test

import (
	"bytes"
	"fmt"
	"image"
	"strings"
	"testing"

	"github.com/qrpin/qrpin/badge"
	"github.com/qrpin/qrpin/badge/badgetest"
)

func letters(t testing.TB, style badge.LetterStyle, paper badge.Paper, ls []badge.Letter) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := badge.Letters(&buf, style, paper, ls); err != nil {
		t.Fatalf("Letters(%s, %s): %v", style, paper, err)
	}
	return buf.Bytes()
}

// TestLetters prints letters in each style on each paper: one page per
// worker, with the worker's name, UPN, employee id, site, PIN and control
// number and the instruction to change the PIN, and nothing of a badge:
// no QR code anywhere on the pages, no payload in the text or the bytes.
func TestLetters(t *testing.T) {
	t.Parallel()
	bs, ls := workers(t, 3)
	sheetPDF, _ := sheet(t, badge.LayoutCR80, "", bs[:1])
	if found := badgetest.Symbols(t, badgetest.Pages(t, sheetPDF, 100)); len(found) != 1 || found[0] != bs[0].Payload {
		t.Fatalf("badgetest.Symbols finds %q on a badge sheet; the letters' check that it finds none would prove nothing", found)
	}
	for _, style := range badge.LetterStyles() {
		for _, paper := range badge.Papers() {
			t.Run(fmt.Sprintf("%s on %s", style, paper), func(t *testing.T) {
				t.Parallel()
				pdf := letters(t, style, paper, ls)
				pages := badgetest.Pages(t, pdf, 100)
				if len(pages) != len(ls) {
					t.Fatalf("%d pages for %d letters", len(pages), len(ls))
				}
				if w, h := pages[0].Bounds().Dx(), pages[0].Bounds().Dy(); paper == badge.PaperA4 && (w != 827 || h != 1170) || paper == badge.PaperLetter && (w != 850 || h != 1100) {
					t.Errorf("pages are %d x %d pixels at 100 dpi, not %s", w, h, paper)
				}
				if found := badgetest.Symbols(t, pages); len(found) != 0 {
					t.Errorf("the letters hold QR codes: %q", found)
				}
				text := badgetest.Text(t, pdf)
				byPage := strings.Split(text, "\f")
				for i, l := range ls {
					page := strings.Join(strings.Fields(byPage[i]), " ")
					for _, want := range []string{l.DisplayName, "User name: " + l.UPN, "Employee ID: " + l.EmployeeID, l.PIN, l.Control,
						"You must change this PIN the first time you sign in."} {
						if !strings.Contains(page, want) {
							t.Errorf("letter %d lacks %q:\n%s", i+1, want, page)
						}
					}
					if l.Site != "" && !strings.Contains(page, "Site: "+l.Site) {
						t.Errorf("letter %d lacks its site %q", i+1, l.Site)
					}
					for j, other := range ls {
						if j != i && strings.Contains(page, other.PIN) {
							t.Errorf("letter %d shows letter %d's PIN", i+1, j+1)
						}
					}
				}
				raw := badgetest.Raw(t, pdf)
				for i, b := range bs {
					if strings.Contains(text, b.Payload) || bytes.Contains(raw, []byte(b.Payload)) || bytes.Contains(raw, utf16be(b.Payload)) {
						t.Errorf("badge %d's payload is in the letters", i+1)
					}
				}
				if strings.Contains(text, "QP1.") || bytes.Contains(raw, []byte("QP1.")) {
					t.Error("the letters hold a payload's prefix")
				}
			})
		}
	}
}

// TestMailerSecurityPattern: once the mailer is folded, its security
// pattern (on the bottom panel) lies on the PIN (on the middle panel):
// the rows mirrored about the second fold line from the PIN are dense,
// and the PIN itself is on a clear ground.
func TestMailerSecurityPattern(t *testing.T) {
	t.Parallel()
	_, ls := workers(t, 1)
	for _, paper := range badge.Papers() {
		page := badgetest.Pages(t, letters(t, badge.StyleMailer, paper, ls), 100)[0]
		h := page.Bounds().Dy()
		panel := h / 3
		// The PIN's digits: the tallest run of inked rows in the middle
		// third of the middle panel, but for its frame's lines.
		pinTop, pinBottom := -1, -1
		for y, run := panel+5, 0; y < 2*panel; y++ {
			d := darkness(page, image.Rect(page.Bounds().Dx()/3, y, 2*page.Bounds().Dx()/3, y+1))
			if d == 0 || d > 0.8 {
				run = 0
				continue
			}
			if run++; run > pinBottom-pinTop {
				pinTop, pinBottom = y-run+1, y
			}
		}
		if pinTop < 0 || pinBottom-pinTop < 10 || pinBottom-pinTop > 60 {
			t.Fatalf("%s: no PIN found in the middle panel (rows %d to %d)", paper, pinTop, pinBottom)
		}
		w := page.Bounds().Dx()
		mirror := image.Rect(w/4, 4*panel-pinBottom, 3*w/4, 4*panel-pinTop)
		if d := darkness(page, mirror); d < 0.3 {
			t.Errorf("%s: the area that folds onto the PIN is %.0f%% dark, want a dense pattern", paper, 100*d)
		}
		if d := darkness(page, image.Rect(w/4, pinTop, 3*w/4, pinBottom)); d > 0.3 {
			t.Errorf("%s: the PIN's own area is %.0f%% dark", paper, 100*d)
		}
	}
}

// darkness is the share of r's pixels that are dark.
func darkness(page *image.Gray, r image.Rectangle) float64 {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for _, v := range page.Pix[page.PixOffset(r.Min.X, y):page.PixOffset(r.Max.X, y)] {
			if v < 128 {
				n++
			}
		}
	}
	return float64(n) / float64(r.Dx()*r.Dy())
}

func TestLettersErrors(t *testing.T) {
	t.Parallel()
	_, ls := workers(t, 2)
	noPIN := append([]badge.Letter(nil), ls...)
	noPIN[1].PIN = " "
	for name, c := range map[string]struct {
		style   badge.LetterStyle
		paper   badge.Paper
		letters []badge.Letter
		want    string
	}{
		"no letters":    {"", "", nil, "no PIN letters"},
		"no PIN":        {badge.StylePage, badge.PaperA4, noPIN, "letter 2 (" + ls[1].UPN + ") has no PIN"},
		"unknown style": {"postcard", "", ls, `unknown letter style "postcard"`},
		"unknown paper": {badge.StyleMailer, "legal", ls, `unknown paper "legal"`},
	} {
		var buf bytes.Buffer
		err := badge.Letters(&buf, c.style, c.paper, c.letters)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one containing %q", name, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), ls[0].PIN) {
			t.Errorf("%s: the error shows a PIN: %v", name, err)
		}
		if buf.Len() != 0 {
			t.Errorf("%s: Letters wrote %d bytes before failing", name, buf.Len())
		}
	}
}

// TestLettersUnprintableName: the letter of a worker whose name the fonts
// cannot draw still names the worker, by UPN.
func TestLettersUnprintableName(t *testing.T) {
	t.Parallel()
	_, ls := workers(t, 1)
	ls[0].DisplayName = "李小龍"
	text := badgetest.Text(t, letters(t, "", "", ls))
	if !strings.Contains(text, "???") || !strings.Contains(text, "User name: "+ls[0].UPN) || !strings.Contains(text, ls[0].PIN) {
		t.Errorf("letter:\n%s", text)
	}
}
