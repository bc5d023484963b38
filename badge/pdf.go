package badge

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"codeberg.org/go-pdf/fpdf"

	"github.com/qrpin/qrpin/qr"
)

// ptToMM converts a font size in points to millimetres.
const ptToMM = 25.4 / 72

// ellipsis ends a line cut short.
const ellipsis = "…"

// newDoc returns an empty document in millimetres on paper, with the Go
// fonts added as "go" (regular and bold) and "mono" (bold), and no
// automatic page breaks or margins: every position is explicit.
func newDoc(paper Paper, title string) *fpdf.Fpdf {
	w, h := paperSize(paper)
	pdf := fpdf.NewCustom(&fpdf.InitType{UnitStr: "mm", Size: fpdf.SizeType{Wd: w, Ht: h}})
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(0, 0, 0)
	pdf.AddUTF8FontFromBytes("go", "", regularTTF)
	pdf.AddUTF8FontFromBytes("go", "B", boldTTF)
	pdf.AddUTF8FontFromBytes("mono", "B", monoTTF)
	pdf.SetCreator("qrpin", false)
	pdf.SetTitle(title, false)
	return pdf
}

// output writes pdf to w, or the first error drawing it met.
func output(pdf *fpdf.Fpdf, w io.Writer) error {
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("badge: %w", err)
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("badge: writing the PDF: %w", err)
	}
	return nil
}

// drawCode draws modules as a QR code in the square at (x, y) of side
// size, which holds the symbol and its quiet zone: one filled rectangle
// per run of dark modules in a row, extended down over the rows below
// with the same run, in a coordinate system of one unit per module, so
// the page holds a few bytes per run.
func drawCode(pdf *fpdf.Fpdf, modules [][]bool, x, y, size float64) {
	k := pdf.GetConversionRatio()
	_, ph := pdf.GetPageSize()
	u := size / float64(len(modules)+2*qr.QuietZone)
	q := float64(qr.QuietZone) * u
	b := make([]byte, 0, 12*len(modules)*len(modules)/4)
	b = fmt.Appendf(b, "q 0 g %.5f 0 0 %.5f %.3f %.3f cm\n", u*k, -u*k, (x+q)*k, (ph-y-q)*k)
	for _, r := range rects(modules) {
		for _, v := range r {
			b = strconv.AppendInt(b, int64(v), 10)
			b = append(b, ' ')
		}
		b = append(b, "re\n"...)
	}
	b = append(b, "f Q"...)
	pdf.RawWriteStr(string(b))
}

// rects covers the dark modules with rectangles (column, row, width,
// height): each run of dark modules in a row, merged with the same run in
// the rows below.
func rects(modules [][]bool) [][4]int {
	var out [][4]int
	open := map[[2]int]int{} // a run's start and width: its rectangle in out, if it reaches the previous row
	for r, row := range modules {
		next := map[[2]int]int{}
		for c := 0; c < len(row); {
			if !row[c] {
				c++
				continue
			}
			start := c
			for c < len(row) && row[c] {
				c++
			}
			run := [2]int{start, c - start}
			i, ok := open[run]
			if ok {
				out[i][3]++
			} else {
				out = append(out, [4]int{start, r, c - start, 1})
				i = len(out) - 1
			}
			next[run] = i
		}
		open = next
	}
	return out
}

// cropMarks draws the marks that show where to cut the rectangle at (x,
// y) of size w x h: at each corner, a short line outward along each edge,
// starting gap from the corner.
func cropMarks(pdf *fpdf.Fpdf, x, y, w, h, length, gap float64) {
	pdf.SetLineWidth(0.15)
	pdf.SetDrawColor(0, 0, 0)
	for _, cx := range []float64{x, x + w} {
		for _, cy := range []float64{y, y + h} {
			dx, dy := -1.0, -1.0
			if cx > x {
				dx = 1
			}
			if cy > y {
				dy = 1
			}
			pdf.Line(cx+dx*gap, cy, cx+dx*(gap+length), cy)
			pdf.Line(cx, cy+dy*gap, cx, cy+dy*(gap+length))
		}
	}
}

// typeface is a font family, style and size in points.
type typeface struct {
	family, style string
	size          float64
}

// fit returns text broken at spaces into at most maxLines lines no wider
// than width, at the largest size from f.size down to 70% of it that
// holds it; at the smallest size, the last line is cut short with an
// ellipsis and cut reports it. Lines break at spaces, or anywhere when
// anywhere is set (for a UPN).
func fit(pdf *fpdf.Fpdf, f typeface, text string, width float64, maxLines int, anywhere bool) (lines []string, size float64, cut bool) {
	minSize := f.size * 0.7
	for size = f.size; ; size -= 0.5 {
		if size < minSize {
			size = minSize
		}
		pdf.SetFont(f.family, f.style, size)
		if anywhere {
			lines, cut = wrapAnywhere(pdf, text, width, maxLines)
		} else {
			lines, cut = wrap(pdf, text, width, maxLines)
		}
		if !cut || size == minSize {
			return lines, size, cut
		}
	}
}

// wrap breaks text greedily at spaces into lines no wider than width in
// pdf's current font; when more than maxLines lines (or a word wider than
// width) would be needed, the last line is cut short with an ellipsis.
func wrap(pdf *fpdf.Fpdf, text string, width float64, maxLines int) (lines []string, cut bool) {
	words := strings.Fields(text)
	line := ""
	for i, word := range words {
		try := word
		if line != "" {
			try = line + " " + word
		}
		if pdf.GetStringWidth(try) <= width {
			line = try
			continue
		}
		if line != "" && len(lines) < maxLines-1 {
			lines = append(lines, line)
			line = word
			if pdf.GetStringWidth(word) <= width {
				continue
			}
			// A word wider than a line: cut it, and the rest, short.
			return append(lines, shorten(pdf, strings.Join(words[i:], " "), width)), true
		}
		// No line left for the rest: cut this line short.
		return append(lines, shorten(pdf, strings.Join(append([]string{try}, words[i+1:]...), " "), width)), true
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines, false
}

// wrapAnywhere is wrap for text without spaces to break at: it breaks
// after the last character that fits.
func wrapAnywhere(pdf *fpdf.Fpdf, text string, width float64, maxLines int) (lines []string, cut bool) {
	runes := []rune(text)
	for len(runes) > 0 {
		if len(lines) == maxLines-1 {
			if rest := string(runes); pdf.GetStringWidth(rest) > width {
				return append(lines, shorten(pdf, rest, width)), true
			}
			return append(lines, string(runes)), false
		}
		n := 1
		for n < len(runes) && pdf.GetStringWidth(string(runes[:n+1])) <= width {
			n++
		}
		lines = append(lines, string(runes[:n]))
		runes = runes[n:]
	}
	return lines, false
}

// shorten returns the longest start of text that, followed by an
// ellipsis, is no wider than width in pdf's current font.
func shorten(pdf *fpdf.Fpdf, text string, width float64) string {
	runes := []rune(text)
	for n := len(runes) - 1; n > 0; n-- {
		s := strings.TrimRight(string(runes[:n]), " ") + ellipsis
		if pdf.GetStringWidth(s) <= width {
			return s
		}
	}
	return ellipsis
}

// textBlock sets lines of text from the top of a rectangle down.
type textBlock struct {
	pdf    *fpdf.Fpdf
	area   rect
	center bool
	y      float64 // the next line's top
	limit  float64 // where the lines must end
}

// add sets text in f, in up to maxLines lines (broken anywhere, if set)
// and no lower than the block's limit, and says what it had to do: cut
// it short, or leave it out for want of room.
func (t *textBlock) add(f typeface, text string, maxLines int, anywhere bool) (problem string) {
	perLine := f.size * ptToMM * (1 + lineGap)
	room := int((t.limit - t.y - f.size*ptToMM*paragraphGap) / perLine)
	if room <= 0 {
		return "does not fit on the badge and is left out"
	}
	lines, size, cut := fit(t.pdf, f, text, t.area.w, min(maxLines, room), anywhere)
	for _, line := range lines {
		t.y += size * ptToMM
		t.put(line, t.y)
		t.y += size * ptToMM * lineGap
	}
	t.y += size * ptToMM * paragraphGap
	if cut {
		return "is too long for the badge and is cut short"
	}
	return ""
}

// The space below each line and below each field, in font sizes.
const (
	lineGap      = 0.25
	paragraphGap = 0.15
)

// put sets one line with its baseline at y.
func (t *textBlock) put(line string, y float64) {
	x := t.area.x
	if t.center {
		x += (t.area.w - t.pdf.GetStringWidth(line)) / 2
	}
	t.pdf.Text(x, y, line)
}

// who names a badge or letter in warnings and errors: its position and
// UPN, never its payload or PIN.
func who(kind string, i int, upn string) string {
	if upn == "" {
		return fmt.Sprintf("%s %d", kind, i+1)
	}
	return fmt.Sprintf("%s %d (%s)", kind, i+1, upn)
}

// symbolBatch is how many symbols Sheet lays out at a time, in parallel
// (laying out a symbol is most of its work), before drawing them in order.
const symbolBatch = 64

// Sheet writes the badges as a PDF in layout on paper (for the a4 and
// letter layouts, paper must be "" or the layout's own; for the others,
// "" is A4), with crop marks around each badge, in the badges' order from
// left to right and top to bottom (see Placements).
//
// The warnings name what a user must know before printing: the layout
// cannot hold a 2-inch code (label2in: the code is drawn smaller), or a
// badge's text was changed to fit (a character the fonts lack, a line cut
// short). An error (an unknown layout or paper, no badges, a payload
// that does not make a QR code) names the badge by position and UPN and
// writes nothing.
func Sheet(w io.Writer, layout Layout, paper Paper, badges []Badge) (warnings []string, err error) {
	g, err := impose(layout, paper)
	if err != nil {
		return nil, err
	}
	if len(badges) == 0 {
		return nil, errors.New("badge: no badges to print")
	}
	d := g.d
	if d.code.w < TwoInches {
		warnings = append(warnings, fmt.Sprintf(
			"layout %s cannot hold a 2-inch code beside the worker's name: codes are %.0f mm (%.2f in) wide, where Microsoft recommends at least 2 in (50.8 mm); layouts cr80, a4 and letter hold 2 inches",
			layout, d.code.w, d.code.w/25.4))
	}
	pdf := newDoc(g.paper, "qrpin badges")
	symbols := make([][][]bool, symbolBatch)
	errs := make([]error, symbolBatch)
	for i, b := range badges {
		if i%symbolBatch == 0 {
			batch := badges[i:min(i+symbolBatch, len(badges))]
			var wg sync.WaitGroup
			for j := range batch {
				wg.Go(func() { symbols[j], errs[j] = qr.Modules(batch[j].Payload) })
			}
			wg.Wait()
		}
		modules, err := symbols[i%symbolBatch], errs[i%symbolBatch]
		if err != nil {
			return nil, fmt.Errorf("badge: %s: the payload does not make a QR code: %w", who("badge", i, b.UPN), err)
		}
		page, x, y := g.slot(i)
		if page >= pdf.PageNo() {
			pdf.AddPage()
		}
		cropMarks(pdf, x, y, d.w, d.h, g.markLen, g.markGap)
		drawCode(pdf, modules, x+d.code.x, y+d.code.y, d.code.w)
		notes, _ := drawText(pdf, d, x, y, b)
		for _, note := range notes {
			warnings = append(warnings, fmt.Sprintf("%s: %s", who("badge", i, b.UPN), note))
		}
	}
	if err := output(pdf, w); err != nil {
		return nil, err
	}
	return warnings, nil
}

// drawText sets a badge's text (see Badge.lines) in its design's text
// block of the badge at (x, y), the control number at the block's foot.
// It returns what had to change, and where the text above the control
// number ends.
func drawText(pdf *fpdf.Fpdf, d design, x, y float64, b Badge) (notes []string, bottom float64) {
	area := d.text
	area.x += x
	area.y += y
	t := &textBlock{pdf: pdf, area: area, center: d.center, y: area.y, limit: area.y + area.h}
	pdf.SetTextColor(0, 0, 0)
	lines, notes := b.lines(d.compact)
	if b.Control != "" {
		t.limit -= d.infoSize * controlScale * ptToMM * 1.2
	}
	for _, l := range lines {
		var problem string
		switch l.role {
		case roleName:
			maxLines := 2
			if d.compact {
				maxLines = 1
			}
			problem = t.add(typeface{"go", "B", d.nameSize}, l.text, maxLines, false)
		case roleUPN:
			problem = t.add(typeface{"go", "", d.infoSize}, l.text, 3, true)
		case roleInfo:
			problem = t.add(typeface{"go", "", d.infoSize}, l.text, 1, false)
		case roleControl:
			pdf.SetFont("mono", "B", d.infoSize*controlScale)
			pdf.SetTextColor(80, 80, 80)
			text := l.text
			if pdf.GetStringWidth(text) > area.w {
				text = shorten(pdf, text, area.w)
				problem = "is too long for the badge and is cut short"
			}
			t.put(text, area.y+area.h)
			pdf.SetTextColor(0, 0, 0)
		}
		if problem != "" {
			notes = append(notes, "the "+l.field+" "+problem)
		}
	}
	return notes, t.y
}

// controlScale is the control number's size relative to the other lines.
const controlScale = 0.8
