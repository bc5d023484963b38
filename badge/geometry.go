package badge

import "fmt"

// All lengths are in millimetres, from a page's or a badge's top-left
// corner.

// TwoInches is the smallest code Microsoft recommends for printing: the
// symbol with its quiet zone, 50.8 mm wide.
const TwoInches = 50.8

// rect is a rectangle: its top-left corner and size.
type rect struct{ x, y, w, h float64 }

// design is where things go on one badge of a layout.
type design struct {
	w, h     float64 // the badge
	code     rect    // the code: the symbol and its quiet zone (a square)
	text     rect    // the text block
	center   bool    // text centred (else left-aligned)
	compact  bool    // employee id and site on one line, the name on one line
	nameSize float64 // the name's font size in points, at most
	infoSize float64 // the other lines' font size in points
	paper    Paper   // the paper the layout is printed on; "" when chosen by the caller
}

var designs = map[Layout]design{
	LayoutCR80: {
		w: 85.60, h: 53.98,
		code:     rect{1.49, 1.49, 51, 51},
		text:     rect{53.5, 5, 85.60 - 53.5 - 3, 53.98 - 10},
		nameSize: 11, infoSize: 7,
	},
	LayoutLabel2in: {
		w: TwoInches, h: TwoInches,
		code:     rect{(TwoInches - 38) / 2, 0.8, 38, 38},
		text:     rect{2, 38.8, TwoInches - 4, TwoInches - 38.8 - 1},
		center:   true,
		compact:  true,
		nameSize: 7.5, infoSize: 5,
	},
	LayoutA4:     a4Badge(PaperA4),
	LayoutLetter: a4Badge(PaperLetter),
}

func a4Badge(p Paper) design {
	return design{
		w: 60, h: 82,
		code:     rect{3, 2, 54, 54},
		text:     rect{3, 56, 54, 82 - 56 - 1.5},
		center:   true,
		nameSize: 11, infoSize: 7,
		paper: p,
	}
}

// paperSize returns a paper's width and height.
func paperSize(p Paper) (w, h float64) {
	if p == PaperLetter {
		return 215.9, 279.4
	}
	return 210, 297
}

// minSpacing is the least space between badges and around the grid: room
// for the crop marks.
const minSpacing = 6

// grid is how a layout's badges are imposed on its paper: cols x rows
// badges, spread evenly (the margins equal the gaps).
type grid struct {
	d                design
	paper            Paper
	pw, ph           float64 // the paper
	cols, rows       int
	gapX, gapY       float64
	perPage          int
	markLen, markGap float64 // crop marks: length, and distance from the corner
}

// impose lays layout out on paper. An empty paper is the layout's own
// paper for a4 and letter and A4 for the others.
func impose(layout Layout, paper Paper) (grid, error) {
	d, ok := designs[layout]
	if !ok {
		return grid{}, fmt.Errorf("badge: unknown layout %q (want one of %s)", layout, list(Layouts()))
	}
	switch {
	case paper == "" && d.paper != "":
		paper = d.paper
	case paper == "":
		paper = PaperA4
	case paper != PaperA4 && paper != PaperLetter:
		return grid{}, fmt.Errorf("badge: unknown paper %q (want one of %s)", paper, list(Papers()))
	case d.paper != "" && paper != d.paper:
		return grid{}, fmt.Errorf("badge: layout %s is printed on %s paper, not %s", layout, d.paper, paper)
	}
	g := grid{d: d, paper: paper}
	g.pw, g.ph = paperSize(paper)
	g.cols = int((g.pw - minSpacing) / (d.w + minSpacing))
	g.rows = int((g.ph - minSpacing) / (d.h + minSpacing))
	g.gapX = (g.pw - float64(g.cols)*d.w) / float64(g.cols+1)
	g.gapY = (g.ph - float64(g.rows)*d.h) / float64(g.rows+1)
	g.perPage = g.cols * g.rows
	g.markGap = 1
	g.markLen = min(5, min(g.gapX, g.gapY)/2-1.5)
	return g, nil
}

// slot returns the page (0-based) and the top-left corner of badge i.
func (g grid) slot(i int) (page int, x, y float64) {
	page, i = i/g.perPage, i%g.perPage
	col, row := i%g.cols, i/g.cols
	return page, g.gapX + float64(col)*(g.d.w+g.gapX), g.gapY + float64(row)*(g.d.h+g.gapY)
}

// Placement is where one badge's code is printed: for checking a print
// (tests scan each code there) and for aligning a printer.
type Placement struct {
	Page int     // 1-based
	X, Y float64 // the code's top-left corner, in mm from the page's top-left corner
	Size float64 // the code's side in mm: the symbol and its 4-module quiet zone
}

// Placements returns where Sheet prints the codes of n badges in layout
// on paper, in the badges' order.
func Placements(layout Layout, paper Paper, n int) ([]Placement, error) {
	g, err := impose(layout, paper)
	if err != nil {
		return nil, err
	}
	out := make([]Placement, n)
	for i := range out {
		page, x, y := g.slot(i)
		out[i] = Placement{Page: page + 1, X: x + g.d.code.x, Y: y + g.d.code.y, Size: g.d.code.w}
	}
	return out, nil
}

// PerPage returns how many badges of layout one sheet of paper holds.
func PerPage(layout Layout, paper Paper) (int, error) {
	g, err := impose(layout, paper)
	if err != nil {
		return 0, err
	}
	return g.perPage, nil
}
