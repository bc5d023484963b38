package badge_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qrpin/qrpin/badge"
	"github.com/qrpin/qrpin/badge/badgetest"
	"github.com/qrpin/qrpin/internal/chromiumtest"
	"github.com/qrpin/qrpin/qr"
)

// gray decodes a PNG into a grey image.
func gray(t testing.TB, b []byte) *image.Gray {
	t.Helper()
	pic, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("the PNG does not decode: %v", err)
	}
	g := image.NewGray(pic.Bounds())
	draw.Draw(g, g.Bounds(), pic, pic.Bounds().Min, draw.Src)
	return g
}

// TestPNG: the image's code decodes to the payload, in whole pixels per
// module, at least 600 pixels (2 inches at 300 dpi) with its exact quiet
// zone, and the text is under it.
func TestPNG(t *testing.T) {
	t.Parallel()
	for i := range 3 {
		b, _ := worker(t, i)
		out, err := badge.PNG(b)
		if err != nil {
			t.Fatal(err)
		}
		pic := gray(t, out)
		w, h := pic.Bounds().Dx(), pic.Bounds().Dy()
		text, n, sym := badgetest.Read(t, pic, image.Rect(0, 0, w, w))
		if text != b.Payload {
			t.Errorf("badge %d: the PNG decodes to %q, want %q", i, text, b.Payload)
		}
		ppm := w / (n + 2*qr.QuietZone)
		if w < 600 || w%(n+2*qr.QuietZone) != 0 || sym.Min != image.Pt(qr.QuietZone*ppm, qr.QuietZone*ppm) || sym.Dx() != n*ppm {
			t.Errorf("badge %d: %d pixels wide, %d modules, symbol at %v: want >= 600 pixels of whole modules and a 4-module quiet zone", i, w, n, sym)
		}
		if h < w+100 {
			t.Errorf("badge %d: the image is %d x %d, no room for the text", i, w, h)
		}
		ink := 0
		for _, v := range pic.SubImage(image.Rect(0, w, w, h)).(*image.Gray).Pix {
			if v < 128 {
				ink++
			}
		}
		if ink < 2000 {
			t.Errorf("badge %d: %d dark pixels under the code: no text", i, ink)
		}
	}
}

// TestImageLongName: a name too long for the image is cut short, and the
// code still reads.
func TestImageLongName(t *testing.T) {
	t.Parallel()
	b, _ := worker(t, 0)
	b.DisplayName = strings.Repeat("Maximiliana ", 20)
	out, err := badge.PNG(b)
	if err != nil {
		t.Fatal(err)
	}
	pic := gray(t, out)
	if text, _, _ := badgetest.Read(t, pic, image.Rect(0, 0, pic.Bounds().Dx(), pic.Bounds().Dx())); text != b.Payload {
		t.Errorf("decodes to %q", text)
	}
	svg, err := badge.SVG(b)
	if err != nil {
		t.Fatal(err)
	}
	var doc svgDoc
	if err := xml.Unmarshal(svg, &doc); err != nil {
		t.Fatal(err)
	}
	if name := doc.Texts[0]; !strings.HasPrefix(name, "Maximiliana Maximiliana") || !strings.HasSuffix(name, "…") || len(name) > 80 {
		t.Errorf("the SVG's name is %q, want it cut short", name)
	}
}

func TestImageErrors(t *testing.T) {
	t.Parallel()
	b, _ := worker(t, 0)
	b.Payload = strings.Replace(b.Payload, "QP1.", "QP1.X", 1) // a tampered payload
	for name, f := range map[string]func(badge.Badge) ([]byte, error){"PNG": badge.PNG, "SVG": badge.SVG} {
		if out, err := f(b); err == nil || out != nil {
			t.Errorf("%s of a tampered payload: %d bytes, %v", name, len(out), err)
		} else if strings.Contains(err.Error(), b.Payload) {
			t.Errorf("%s: the error shows the payload: %v", name, err)
		}
	}
}

// svgDoc is what TestSVG reads of an SVG.
type svgDoc struct {
	XMLName xml.Name `xml:"svg"`
	Width   string   `xml:"width,attr"`
	Height  string   `xml:"height,attr"`
	Texts   []string `xml:"text"`
}

// TestSVG: the SVG is well-formed, holds the badge's text (escaped), and,
// drawn by Chromium, its code decodes to the payload.
func TestSVG(t *testing.T) {
	t.Parallel()
	b, _ := worker(t, 1)
	b.DisplayName = `Siobhán "Sam" O'Brien & <Sons>`
	out, err := badge.SVG(b)
	if err != nil {
		t.Fatal(err)
	}
	var doc svgDoc
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("the SVG is not well-formed XML: %v\n%s", err, out)
	}
	want := []string{b.DisplayName, "ID " + b.EmployeeID, b.Site, "Expires " + b.Expires.Format("2006-01-02"), b.Control}
	if fmt.Sprint(doc.Texts) != fmt.Sprint(want) {
		t.Errorf("the SVG's text is %q, want %q", doc.Texts, want)
	}
	mm := func(s string) float64 {
		v, err := strconv.ParseFloat(strings.TrimSuffix(s, "mm"), 64)
		if err != nil || !strings.HasSuffix(s, "mm") {
			t.Fatalf("size %q is not in mm", s)
		}
		return v
	}
	width, height := mm(doc.Width), mm(doc.Height)
	if width < badge.TwoInches {
		t.Errorf("the SVG is %.2f mm wide, under 2 inches", width)
	}

	// Chromium draws it at 96 CSS pixels an inch, 3 device pixels each.
	const scale = 3
	cssPx := func(mm float64) int { return int(mm/25.4*96 + 0.999) }
	dir, err := os.MkdirTemp("", "badge-svg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) }) // Chromium's helpers may write a moment after it exits
	svgPath, shot := filepath.Join(dir, "badge.svg"), filepath.Join(dir, "shot.png")
	if err := os.WriteFile(svgPath, out, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromiumtest.Path(t), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--user-data-dir="+filepath.Join(dir, "profile"), fmt.Sprintf("--force-device-scale-factor=%d", scale),
		fmt.Sprintf("--window-size=%d,%d", cssPx(width)+20, cssPx(height)+20), "--screenshot="+shot, "file://"+svgPath)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	png, err := os.ReadFile(shot)
	if err != nil {
		t.Fatalf("chromium made no screenshot: %v", err)
	}
	pic := gray(t, png)
	side := int(width / 25.4 * 96 * scale)
	text, _, _ := badgetest.Read(t, pic, image.Rect(0, 0, side, side))
	if text != b.Payload {
		t.Errorf("the SVG decodes to %q, want %q", text, b.Payload)
	}
}
