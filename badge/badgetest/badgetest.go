// Package badgetest checks printed badges and PIN letters as a person
// with a scanner would: it renders every page of a PDF with pdftoppm,
// decodes every badge's QR code with gozxing, measures it, and extracts
// the text with pdftotext (Debian's poppler-utils). Without poppler-utils
// the tests that use it skip, and fail when CI=true (.ci/run installs it).
package badgetest

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"testing"

	"github.com/makiuchi-d/gozxing"
	multiqr "github.com/makiuchi-d/gozxing/multi/qrcode"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/qrpin/qrpin/badge"
	"github.com/qrpin/qrpin/qr"
)

// DPI is the resolution pages are rendered at: a module of a 2-inch
// version 10 code is about 6 pixels.
const DPI = 200

// tool returns the path of a poppler-utils program; without it the test
// skips, or fails when CI=true.
func tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed, and CI=true: the PDF tests must run (apt-get install -y poppler-utils)", name)
	}
	t.Skipf("%s is not installed: the PDF tests skip (apt-get install -y poppler-utils, or run .ci/run)", name)
	return ""
}

// Pages renders every page of pdf at dpi, in grey without anti-aliasing
// (every pixel black or white, as a cheap scanner sees it), and returns
// them in order.
func Pages(t testing.TB, pdf []byte, dpi int) []*image.Gray {
	t.Helper()
	pdftoppm := tool(t, "pdftoppm")
	dir, err := os.MkdirTemp("", "badgetest-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(pdftoppm, "-r", fmt.Sprint(dpi), "-gray", "-aa", "no", "-aaVector", "no", "-png", in, filepath.Join(dir, "page"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	names, err := filepath.Glob(filepath.Join(dir, "page-*.png"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names) // pdftoppm pads the page numbers to one width
	var pages []*image.Gray
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		pic, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		g, ok := pic.(*image.Gray)
		if !ok {
			g = image.NewGray(pic.Bounds())
			draw.Draw(g, g.Bounds(), pic, pic.Bounds().Min, draw.Src)
		}
		pages = append(pages, g)
	}
	if len(pages) == 0 {
		t.Fatal("pdftoppm rendered no page")
	}
	return pages
}

// RenderPNG renders the first page of pdf at dpi, in grey and
// anti-aliased, as a person sees it: for pictures of a document.
func RenderPNG(t testing.TB, pdf []byte, dpi int) []byte {
	t.Helper()
	cmd := exec.Command(tool(t, "pdftoppm"), "-r", fmt.Sprint(dpi), "-gray", "-png", "-f", "1", "-l", "1", "-singlefile", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, stderr.String())
	}
	return out.Bytes()
}

// Text returns the text of pdf as pdftotext extracts it, pages in order.
func Text(t testing.TB, pdf []byte) string {
	t.Helper()
	cmd := exec.Command(tool(t, "pdftotext"), "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("pdftotext: %v: %s", err, stderr.String())
	}
	return out.String()
}

// streamRE finds a PDF's streams.
var streamRE = regexp.MustCompile(`(?s)stream\r?\n(.*?)\r?\nendstream`)

// Raw returns pdf's bytes followed by every stream that inflates, inflated:
// what someone reading the file, not the page, could find in it.
func Raw(t testing.TB, pdf []byte) []byte {
	t.Helper()
	out := bytes.Clone(pdf)
	for _, m := range streamRE.FindAllSubmatch(pdf, -1) {
		r, err := zlib.NewReader(bytes.NewReader(m[1]))
		if err != nil {
			continue // not compressed
		}
		b, err := io.ReadAll(r)
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			continue
		}
		out = append(append(out, '\n'), b...)
	}
	return out
}

// Code is one badge's code as scanned from a printed sheet.
type Code struct {
	Text string  // what the code holds
	Page int     // 1-based
	Size float64 // the code's measured side with its quiet zone, in mm
	// Modules is the symbol's side in modules (17 + 4 x version).
	Modules int
}

// Scan decodes the code of every badge of a sheet that badge.Sheet made
// in layout on paper, in order, from its pages rendered at DPI. Each code
// is read where badge.Placements puts it; it must decode (gozxing, pure
// mode: the crop is the code alone), have a light quiet zone of 4
// modules, and be the symbol qr.Modules makes of its text, module for
// module. Slots after the last badge must be blank; any other failure
// fails t.
func Scan(t testing.TB, pdf []byte, layout badge.Layout, paper badge.Paper) []Code {
	t.Helper()
	pages := Pages(t, pdf, DPI)
	perPage, err := badge.PerPage(layout, paper)
	if err != nil {
		t.Fatal(err)
	}
	places, err := badge.Placements(layout, paper, len(pages)*perPage)
	if err != nil {
		t.Fatal(err)
	}
	var codes []Code
	blank := -1
	for i, p := range places {
		page := pages[p.Page-1]
		crop := px(page, p)
		if dark(page, crop).Empty() {
			if blank < 0 {
				blank = i
			}
			continue
		}
		if blank >= 0 {
			t.Fatalf("badge slot %d (page %d) is blank but slot %d is not", blank+1, places[blank].Page, i+1)
		}
		codes = append(codes, scanOne(t, page, crop, p, i))
	}
	if blank >= 0 && places[blank].Page != len(pages) {
		t.Fatalf("page %d has no badge", places[blank].Page)
	}
	return codes
}

// px returns a placement's square in a page's pixels.
func px(page *image.Gray, p badge.Placement) image.Rectangle {
	mm := func(v float64) int { return int(v*DPI/25.4 + 0.5) }
	return image.Rect(mm(p.X), mm(p.Y), mm(p.X+p.Size), mm(p.Y+p.Size)).Intersect(page.Bounds())
}

// dark returns the smallest rectangle holding every dark pixel of r.
func dark(page *image.Gray, r image.Rectangle) image.Rectangle {
	r = r.Intersect(page.Bounds())
	minX, minY, maxX, maxY := r.Max.X, r.Max.Y, r.Min.X-1, r.Min.Y-1
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := page.Pix[page.PixOffset(r.Min.X, y):page.PixOffset(r.Max.X, y)]
		for i, v := range row {
			if v < 128 {
				minX, maxX = min(minX, r.Min.X+i), max(maxX, r.Min.X+i)
				minY, maxY = min(minY, y), y
			}
		}
	}
	if maxX < minX {
		return image.Rectangle{}
	}
	return image.Rect(minX, minY, maxX+1, maxY+1)
}

// scanOne reads badge i's code in crop (see Read) and checks its quiet
// zone.
func scanOne(t testing.TB, page *image.Gray, crop image.Rectangle, p badge.Placement, i int) Code {
	t.Helper()
	text, n, sym, err := read(page, crop)
	if err != nil {
		t.Fatalf("badge %d (page %d): %v", i+1, p.Page, err)
	}
	quiet := float64(sym.Dx()) / float64(n) * qr.QuietZone
	for _, gap := range []int{sym.Min.X - crop.Min.X, sym.Min.Y - crop.Min.Y, crop.Max.X - sym.Max.X, crop.Max.Y - sym.Max.Y} {
		if float64(gap) < quiet-2 {
			t.Fatalf("badge %d (page %d): a quiet zone is %d pixels, want 4 modules (%.1f pixels)", i+1, p.Page, gap, quiet)
		}
	}
	return Code{
		Text:    text,
		Page:    p.Page,
		Size:    float64(sym.Dx()) * float64(n+2*qr.QuietZone) / float64(n) / DPI * 25.4,
		Modules: n,
	}
}

// Read reads the one QR code in the rectangle r of img (its only dark
// pixels) as a scanner does, and returns its text, its side in modules and
// the symbol's bounds in img (without the quiet zone). It finds the symbol
// (the dark pixels' bounding box), its module size (the top-left finder
// pattern is 7 modules wide) and so its side in modules, samples every
// module at its centre, and decodes the sampled symbol with gozxing; the
// samples must be the symbol qr.Modules makes of the decoded text, module
// for module.
func Read(t testing.TB, img *image.Gray, r image.Rectangle) (text string, modules int, symbol image.Rectangle) {
	t.Helper()
	text, modules, symbol, err := read(img, r)
	if err != nil {
		t.Fatal(err)
	}
	return text, modules, symbol
}

func read(page *image.Gray, crop image.Rectangle) (text string, n int, sym image.Rectangle, err error) {
	isDark := func(x, y int) bool { return page.GrayAt(x, y).Y < 128 }
	sym = dark(page, crop)
	if sym.Dx() < 21 {
		return "", 0, sym, fmt.Errorf("no QR code: the dark area is %v", sym)
	}
	finder := 0
	for y := sym.Min.Y + 1; y < sym.Min.Y+3; y++ { // the finder's top edge, away from its corner
		run := 0
		for x := sym.Min.X; x < sym.Max.X && isDark(x, y); x++ {
			run++
		}
		finder = max(finder, run)
	}
	n = int(float64(sym.Dx())/(float64(finder)/7) + 0.5)
	n = 17 + 4*((n-17+2)/4) // the nearest QR size
	module := float64(sym.Dx()) / float64(n)
	if d := float64(sym.Dy()) / float64(n); d < module*0.97 || d > module*1.03 {
		return "", 0, sym, fmt.Errorf("the symbol is %d x %d pixels, not square", sym.Dx(), sym.Dy())
	}
	const cell = 4 // pixels per module of the sampled symbol
	grid := make([][]bool, n)
	clean := image.NewGray(image.Rect(0, 0, (n+2*qr.QuietZone)*cell, (n+2*qr.QuietZone)*cell))
	draw.Draw(clean, clean.Bounds(), image.White, image.Point{}, draw.Src)
	for r := range n {
		grid[r] = make([]bool, n)
		for c := range n {
			x := sym.Min.X + int((float64(c)+0.5)*module)
			y := sym.Min.Y + int((float64(r)+0.5)*module)
			if grid[r][c] = isDark(x, y); grid[r][c] {
				q := qr.QuietZone * cell
				draw.Draw(clean, image.Rect(q+c*cell, q+r*cell, q+(c+1)*cell, q+(r+1)*cell), image.Black, image.Point{}, draw.Src)
			}
		}
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(clean)
	if err != nil {
		return "", 0, sym, err
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		return "", 0, sym, fmt.Errorf("the code does not decode: %w", err)
	}
	text = res.GetText()
	want, err := qr.Modules(text)
	if err != nil {
		return "", 0, sym, fmt.Errorf("the decoded text does not make a QR code: %w", err)
	}
	if len(want) != n {
		return "", 0, sym, fmt.Errorf("the printed symbol is %d modules wide, qr.Modules makes %d of its text", n, len(want))
	}
	for r := range n {
		for c := range n {
			if grid[r][c] != want[r][c] {
				return "", 0, sym, fmt.Errorf("module (%d, %d) is dark=%v on the page, dark=%v in qr.Modules", r, c, grid[r][c], want[r][c])
			}
		}
	}
	return text, n, sym, nil
}

// Symbols returns the text of every QR code gozxing finds anywhere on the
// pages (camera mode, as a phone looks at a page): for checking that a
// document holds no code, such as the PIN letters.
func Symbols(t testing.TB, pages []*image.Gray) []string {
	t.Helper()
	var found []string
	for _, page := range pages {
		bmp, err := gozxing.NewBinaryBitmapFromImage(page)
		if err != nil {
			t.Fatal(err)
		}
		res, err := multiqr.NewQRCodeMultiReader().DecodeMultiple(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
		if err != nil {
			continue // none found
		}
		for _, r := range res {
			found = append(found, r.GetText())
		}
	}
	return found
}
