package badge

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"

	"codeberg.org/go-pdf/fpdf"
)

// Letters writes the PIN letters as a PDF on paper ("" is A4), one worker
// per page, in style ("" is page): the letter names the worker, gives the
// PIN and the control number printed on the worker's badge, and says that
// the PIN must be changed at the first sign-in. It holds no QR code and no
// payload. Characters of a name that the fonts lack are printed without
// their accents or as '?' (Unprintable says which) and the UPN is always
// printed, so the letter still names its worker. An error (an unknown style or paper, no
// letters, a letter without a PIN) names the letter by position and UPN,
// never its PIN, and writes nothing.
func Letters(w io.Writer, style LetterStyle, paper Paper, letters []Letter) error {
	if style == "" {
		style = StylePage
	}
	if paper == "" {
		paper = PaperA4
	}
	if style != StylePage && style != StyleMailer {
		return fmt.Errorf("badge: unknown letter style %q (want one of %s)", style, list(LetterStyles()))
	}
	if paper != PaperA4 && paper != PaperLetter {
		return fmt.Errorf("badge: unknown paper %q (want one of %s)", paper, list(Papers()))
	}
	if len(letters) == 0 {
		return errors.New("badge: no PIN letters to print")
	}
	for i, l := range letters {
		if strings.TrimSpace(l.PIN) == "" {
			return fmt.Errorf("badge: %s has no PIN", who("letter", i, l.UPN))
		}
	}
	pdf := newDoc(paper, "qrpin PIN letters")
	for _, l := range letters {
		pdf.AddPage()
		if style == StyleMailer {
			mailer(pdf, l)
		} else {
			page(pdf, l)
		}
	}
	return output(pdf, w)
}

// The letter's wording.
const (
	letterTitle   = "Your sign-in PIN"
	letterWarning = "Confidential: to be opened by the addressee only"
	letterChange  = "You must change this PIN the first time you sign in."
)

// letterBody is the letter's instructions, paragraph by paragraph.
func letterBody(control string) []string {
	body := []string{
		"This PIN goes with your QR code badge. To sign in, scan your badge, then type this PIN.",
		letterChange + " Choose a new PIN that only you know.",
		"Do not write this PIN on your badge, and do not share it with anyone, not even your manager or IT staff.",
	}
	if control != "" {
		body = append(body, fmt.Sprintf("The control number %s is printed small on your badge. If it does not match, or if this letter was opened before it reached you, tell your manager: you will get a new PIN.", control))
	} else {
		body = append(body, "If this letter was opened before it reached you, tell your manager: you will get a new PIN.")
	}
	return append(body, "Destroy this letter once you have changed your PIN.")
}

// identity returns the lines that name the worker: name, UPN, employee id
// and site.
func identity(l Letter) (name string, lines []string) {
	name, _ = printable(l.DisplayName)
	for _, f := range []struct{ label, value string }{
		{"User name", l.UPN}, {"Employee ID", l.EmployeeID}, {"Site", l.Site},
	} {
		if v, _ := printable(f.value); v != "" {
			lines = append(lines, f.label+": "+v)
		}
	}
	return name, lines
}

// page draws a one-page letter.
func page(pdf *fpdf.Fpdf, l Letter) {
	pw, _ := pdf.GetPageSize()
	const left = 25.0
	width := pw - 2*left
	name, lines := identity(l)
	y := 30.0
	pdf.SetTextColor(0, 0, 0)
	pdf.SetFont("go", "B", 9)
	pdf.Text(left, y, letterWarning)
	y += 14
	pdf.SetFont("go", "B", 20)
	pdf.Text(left, y, letterTitle)
	y += 12
	y = paragraph(pdf, typeface{"go", "B", 13}, name, left, y, width)
	for _, line := range lines {
		y = paragraph(pdf, typeface{"go", "", 10}, line, left, y, width)
	}
	y += 6
	y = pinBox(pdf, l.PIN, l.Control, left, y, width)
	y += 8
	for _, p := range letterBody(l.Control) {
		y = paragraph(pdf, typeface{"go", "", 10.5}, p, left, y, width) + 2
	}
}

// paragraph sets text in f from y down, wrapped to width, and returns
// where it ends.
func paragraph(pdf *fpdf.Fpdf, f typeface, text string, x, y, width float64) float64 {
	text, _ = printable(text)
	pdf.SetFont(f.family, f.style, f.size)
	for _, line := range pdf.SplitText(text, width) {
		y += f.size * ptToMM
		pdf.Text(x, y, line)
		y += f.size * ptToMM * 0.35
	}
	return y
}

// pinBox draws the framed PIN, large, with the control number, at (x, y)
// and returns where it ends.
func pinBox(pdf *fpdf.Fpdf, pin, control string, x, y, width float64) float64 {
	const h = 30.0
	pdf.SetLineWidth(0.4)
	pdf.SetDrawColor(0, 0, 0)
	pdf.Rect(x, y, width, h, "D")
	pdf.SetFont("go", "", 9)
	pdf.Text(x+4, y+6, "PIN")
	pin, _ = printable(pin)
	pdf.SetFont("mono", "B", 30)
	pdf.Text(x+(width-pdf.GetStringWidth(pin))/2, y+20, pin)
	pdf.SetFont("go", "", 8)
	pdf.Text(x+4, y+h-3, letterChange)
	if control != "" {
		ctl, _ := printable(control)
		pdf.SetFont("mono", "B", 9)
		pdf.Text(x+width-4-pdf.GetStringWidth(ctl), y+6, ctl)
	}
	return y + h
}

// mailer draws a fold-and-seal mailer: the page in three panels, Z-folded
// along the printed lines. The top panel folds back and is the outside,
// with the worker's name; the middle panel holds the PIN near its top; the
// bottom panel folds forward over it, and its security pattern, which
// lands on the PIN, keeps the PIN from being read through the paper.
func mailer(pdf *fpdf.Fpdf, l Letter) {
	pw, ph := pdf.GetPageSize()
	panel := ph / 3
	const left = 20.0
	width := pw - 2*left
	name, lines := identity(l)

	// Top panel: the outside.
	pdf.SetTextColor(0, 0, 0)
	pdf.SetFont("go", "B", 9)
	pdf.Text(left, 25, letterWarning)
	y := paragraph(pdf, typeface{"go", "B", 16}, name, left, 40, width)
	for _, line := range lines {
		y = paragraph(pdf, typeface{"go", "", 10}, line, left, y, width)
	}
	if l.Control != "" {
		ctl, _ := printable(l.Control)
		pdf.SetFont("mono", "B", 9)
		pdf.Text(left, panel-10, "Control "+ctl)
	}
	pdf.SetFont("go", "", 7)
	pdf.Text(left, panel-4, "Fold back along the first line and forward along the second, so that this panel is outside; seal the open edges.")

	// The fold lines.
	pdf.SetDashPattern([]float64{2, 1.5}, 0)
	pdf.SetLineWidth(0.2)
	pdf.SetDrawColor(120, 120, 120)
	pdf.Line(5, panel, pw-5, panel)
	pdf.Line(5, 2*panel, pw-5, 2*panel)
	pdf.SetDashPattern(nil, 0)
	pdf.SetFont("go", "", 6)
	pdf.SetTextColor(120, 120, 120)
	pdf.Text(5, panel-1, "fold back")
	pdf.Text(5, 2*panel-1, "fold forward")
	pdf.SetTextColor(0, 0, 0)

	// Middle panel: the PIN near its top, where the pattern lands.
	pinTop := panel + 8
	pdf.SetFont("go", "B", 14)
	pdf.Text(left, pinTop+2, letterTitle)
	pinEnd := pinBox(pdf, l.PIN, l.Control, left, pinTop+6, width)
	y = pinEnd + 4
	for _, p := range letterBody(l.Control)[:2] {
		y = paragraph(pdf, typeface{"go", "", 9}, p, left, y, width) + 1
	}

	// Bottom panel: the rest of the instructions, and the pattern that
	// lands on the PIN once folded (mirrored about the second fold line).
	y = 2*panel + 6
	for _, p := range letterBody(l.Control)[2:] {
		y = paragraph(pdf, typeface{"go", "", 9}, p, left, y, width) + 1
	}
	top, bottom := 4*panel-pinEnd-4, 4*panel-pinTop+2
	securityPattern(pdf, left-5, top, width+10, bottom-top)
}

// securityPattern fills the rectangle with a cross-hatch and random
// seven-segment digits, which hide the digits under it when the folded
// mailer is held to the light. They are drawn as lines, not text, so the
// document's text holds no digits but the PIN's.
func securityPattern(pdf *fpdf.Fpdf, x, y, w, h float64) {
	pdf.SetDrawColor(60, 60, 60)
	pdf.SetLineWidth(0.25)
	for d := 0.0; d < w+h; d += 1.5 {
		pdf.Line(x+max(0, d-h), y+min(h, d), x+min(w, d), y+max(0, d-w))
		pdf.Line(x+max(0, d-h), y+h-min(h, d), x+min(w, d), y+h-max(0, d-w))
	}
	// The segments of a digit cell of cw x ch: a, b, c, d, e, f, g.
	const cw, ch = 3.0, 5.0
	segments := [7][4]float64{
		{0, 0, 1, 0}, {1, 0, 1, 0.5}, {1, 0.5, 1, 1}, {0, 1, 1, 1}, {0, 0.5, 0, 1}, {0, 0, 0, 0.5}, {0, 0.5, 1, 0.5},
	}
	pdf.SetLineWidth(0.6)
	pdf.SetDrawColor(30, 30, 30)
	for cy := y + 1; cy+ch <= y+h; cy += ch + 1.5 {
		for cx := x + 1; cx+cw <= x+w; cx += cw + 1.2 {
			mask := 1 + rand.IntN(127)
			for i, sg := range segments {
				if mask&(1<<i) != 0 {
					pdf.Line(cx+sg[0]*cw, cy+sg[1]*ch, cx+sg[2]*cw, cy+sg[3]*ch)
				}
			}
		}
	}
}
