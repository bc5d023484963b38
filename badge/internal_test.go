package badge

import (
	"strings"
	"testing"
	"time"

	"github.com/qrpin/qrpin/qr"
)

// TestDesigns checks each layout's badge: the code is square, inside the
// badge, clear of the text block, and 2 inches wide except on labels.
func TestDesigns(t *testing.T) {
	t.Parallel()
	inside := func(r rect, w, h float64) bool { return r.x >= 0 && r.y >= 0 && r.x+r.w <= w && r.y+r.h <= h }
	for _, l := range Layouts() {
		d := designs[l]
		if d.code.w != d.code.h {
			t.Errorf("%s: the code is %v x %v, not square", l, d.code.w, d.code.h)
		}
		if !inside(d.code, d.w, d.h) || !inside(d.text, d.w, d.h) {
			t.Errorf("%s: the code %v or the text %v is not inside the badge %v x %v", l, d.code, d.text, d.w, d.h)
		}
		overlapX := d.code.x < d.text.x+d.text.w && d.text.x < d.code.x+d.code.w
		overlapY := d.code.y < d.text.y+d.text.h && d.text.y < d.code.y+d.code.h
		if overlapX && overlapY {
			t.Errorf("%s: the text block %v overlaps the code %v", l, d.text, d.code)
		}
		if (d.code.w >= TwoInches) == (l == LayoutLabel2in) {
			t.Errorf("%s: the code is %v mm", l, d.code.w)
		}
	}
}

// TestImpose checks every layout on every paper: badges inside the page,
// apart by at least minSpacing, and crop marks that stay in the gaps.
func TestImpose(t *testing.T) {
	t.Parallel()
	for _, l := range Layouts() {
		for _, p := range []Paper{"", PaperA4, PaperLetter} {
			g, err := impose(l, p)
			if err != nil {
				if designs[l].paper == "" || p == "" || p == designs[l].paper {
					t.Errorf("%s on %q: %v", l, p, err)
				}
				continue
			}
			if g.perPage < 8 {
				t.Errorf("%s on %s: %d a page", l, g.paper, g.perPage)
			}
			if g.gapX < minSpacing || g.gapY < minSpacing {
				t.Errorf("%s on %s: gaps %.1f x %.1f mm", l, g.paper, g.gapX, g.gapY)
			}
			if reach := g.markGap + g.markLen; g.markLen < 2 || 2*reach > min(g.gapX, g.gapY) {
				t.Errorf("%s on %s: crop marks %.1f mm from %.1f mm reach into the next badge's gap", l, g.paper, g.markLen, g.markGap)
			}
			_, lastX, lastY := g.slot(g.perPage - 1)
			if lastX+g.d.w > g.pw || lastY+g.d.h > g.ph {
				t.Errorf("%s on %s: the last badge ends at %.1f, %.1f, off the page", l, g.paper, lastX+g.d.w, lastY+g.d.h)
			}
			if page, _, _ := g.slot(g.perPage); page != 1 {
				t.Errorf("%s on %s: badge %d is not on the second page", l, g.paper, g.perPage+1)
			}
		}
	}
}

// TestTextStaysInBlock draws the worst text each layout can get, and
// checks that it ends above the control number, with notes for what was
// cut or left out.
func TestTextStaysInBlock(t *testing.T) {
	t.Parallel()
	worst := Badge{
		DisplayName: "李 " + strings.Repeat("Wolfeschlegelsteinhausen ", 6),
		UPN:         "a@" + strings.Repeat("b", qr.MaxUPNLen-2),
		EmployeeID:  strings.Repeat("9", 40),
		Site:        strings.Repeat("Distribution Centre ", 5),
		Expires:     time.Date(2027, 12, 31, 0, 0, 0, 0, time.UTC),
		Control:     "K7QX-93PD",
	}
	for _, l := range Layouts() {
		d := designs[l]
		pdf := newDoc(PaperA4, "test")
		pdf.AddPage()
		notes, bottom := drawText(pdf, d, 0, 0, worst)
		if limit := d.text.y + d.text.h - d.infoSize*controlScale*ptToMM*1.2; bottom > limit+0.01 {
			t.Errorf("%s: the text ends at %.2f mm, below the control number's line at %.2f mm", l, bottom, limit)
		}
		if len(notes) < 3 {
			t.Errorf("%s: notes = %q, want the name's '?', and cuts", l, notes)
		}
		if err := pdf.Error(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPrintable: what a text becomes on paper.
func TestPrintable(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]struct {
		out string
		ch  change
	}{
		"Anna Kowalska":        {"Anna Kowalska", unchanged},
		"  Zoë\t\nMüller  ":    {"Zoë Müller", unchanged},
		"Дмитрий Σοφία Łukasz": {"Дмитрий Σοφία Łukasz", unchanged},
		"Nguyễn Văn An":        {"Nguyen Văn An", accentsLost},
		"李小龍":                  {"???", charactersLost},
		"Nguyễn 李":             {"Nguyen ?", charactersLost},
		"bad \xff byte":        {"bad ? byte", charactersLost},
		"":                     {"", unchanged},
	} {
		if out, ch := printable(in); out != want.out || ch != want.ch {
			t.Errorf("printable(%q) = %q, %d; want %q, %d", in, out, ch, want.out, want.ch)
		}
	}
}

func TestNewControl(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 2000 {
		c, err := NewControl()
		if err != nil {
			t.Fatal(err)
		}
		if len(c) != 9 || c[4] != '-' {
			t.Fatalf("control %q is not XXXX-XXXX", c)
		}
		for i, r := range c {
			if i != 4 && !strings.ContainsRune(controlAlphabet, r) {
				t.Fatalf("control %q has %q, outside the alphabet", c, r)
			}
		}
		if strings.ContainsAny(c, "01IO") {
			t.Fatalf("control %q has a look-alike character", c)
		}
		if seen[c] {
			t.Fatalf("control %q came twice in 2000 (40 bits)", c)
		}
		seen[c] = true
	}
	if len(controlAlphabet) != 32 {
		t.Fatalf("the alphabet has %d characters, want 32 (a byte mod 32 is unbiased)", len(controlAlphabet))
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	for _, l := range Layouts() {
		if got, err := ParseLayout(" " + strings.ToUpper(string(l)) + " "); err != nil || got != l {
			t.Errorf("ParseLayout(%q) = %q, %v", l, got, err)
		}
	}
	for _, p := range Papers() {
		if got, err := ParsePaper(strings.ToUpper(string(p))); err != nil || got != p {
			t.Errorf("ParsePaper(%q) = %q, %v", p, got, err)
		}
	}
	for _, s := range LetterStyles() {
		if got, err := ParseLetterStyle(string(s)); err != nil || got != s {
			t.Errorf("ParseLetterStyle(%q) = %q, %v", s, got, err)
		}
	}
	if _, err := ParseLayout("cr79"); err == nil || !strings.Contains(err.Error(), "cr80, label2in, a4, letter") {
		t.Errorf("ParseLayout(cr79): %v", err)
	}
	if _, err := ParsePaper("a5"); err == nil || !strings.Contains(err.Error(), "a4, letter") {
		t.Errorf("ParsePaper(a5): %v", err)
	}
	if _, err := ParseLetterStyle("postcard"); err == nil || !strings.Contains(err.Error(), "page, mailer") {
		t.Errorf("ParseLetterStyle(postcard): %v", err)
	}
	for _, bad := range []string{"", "a4 ", "A4"} {
		if _, err := ParseLayout(bad + "x"); err == nil {
			t.Errorf("ParseLayout(%q) succeeded", bad+"x")
		}
	}
}

// TestRects: the rectangles cover exactly the dark modules, each once.
func TestRects(t *testing.T) {
	t.Parallel()
	for _, content := range []string{"a", strings.Repeat("z", 200), "HELLO WORLD 0123456789"} {
		m, err := qr.Modules(content)
		if err != nil {
			t.Fatal(err)
		}
		covered := make([][]int, len(m))
		for i := range covered {
			covered[i] = make([]int, len(m))
		}
		rs := rects(m)
		runs := 0
		for _, row := range m {
			for c := range row {
				if row[c] && (c == 0 || !row[c-1]) {
					runs++
				}
			}
		}
		if len(rs) >= runs {
			t.Errorf("%d rectangles for %d runs: nothing merged", len(rs), runs)
		}
		for _, r := range rs {
			for y := r[1]; y < r[1]+r[3]; y++ {
				for x := r[0]; x < r[0]+r[2]; x++ {
					covered[y][x]++
				}
			}
		}
		for y, row := range m {
			for x, dark := range row {
				if want := map[bool]int{true: 1, false: 0}[dark]; covered[y][x] != want {
					t.Fatalf("module (%d, %d): dark=%v, covered %d times", y, x, dark, covered[y][x])
				}
			}
		}
	}
}

// TestWrap: lines break at spaces, fill up to maxLines, and what does not
// fit is cut short with an ellipsis, never repeated or lost in between.
func TestWrap(t *testing.T) {
	t.Parallel()
	pdf := newDoc(PaperA4, "test")
	pdf.AddPage()
	pdf.SetFont("go", "", 10)
	w := pdf.GetStringWidth("aaaa bbbb") + 0.1
	for _, c := range []struct {
		text     string
		maxLines int
		want     string // for a cut, what the lines start with
		cut      bool
	}{
		{"aaaa bbbb", 1, "aaaa bbbb", false},
		{"aaaa bbbb cccc", 2, "aaaa bbbb|cccc", false},
		{"aaaa bbbb cccc dddd eeee", 2, "aaaa bbbb|cccc", true},
		{"aaaa bbbb cccc dddd eeee ffff", 3, "aaaa bbbb|cccc dddd|eeee ffff", false},
		{"aaaa bbbbbbbbbbbbbbbbbbbbbbbb cccc", 3, "aaaa|bbbb", true},
		{"aaaabbbbbbbbbbbbbbbbbbbbbbbb", 2, "aaaab", true}, // breaks only at spaces
	} {
		lines, cut := wrap(pdf, c.text, w, c.maxLines)
		got := strings.Join(lines, "|")
		if c.cut {
			if !cut || !strings.HasSuffix(got, ellipsis) || !strings.HasPrefix(got, c.want) || strings.Count(got, "|") != strings.Count(c.want, "|") {
				t.Errorf("wrap(%q, %d) = %q, %v; want a cut after %q", c.text, c.maxLines, got, cut, c.want)
			}
		} else if got != c.want || cut {
			t.Errorf("wrap(%q, %d) = %q, %v; want %q", c.text, c.maxLines, got, cut, c.want)
		}
		for _, l := range lines {
			if pdf.GetStringWidth(l) > w {
				t.Errorf("wrap(%q): line %q is wider than %.1f mm", c.text, l, w)
			}
		}
	}
}
