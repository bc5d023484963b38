package badge

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strings"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/qrpin/qrpin/qr"
)

// A single badge as an image: the code on top, at least 2 inches wide at
// 300 dpi (600 pixels), the text centred under it.

// imageDPI is the resolution single-badge images are made for.
const imageDPI = 300

// imageFonts are the faces' fonts, parsed once.
var imageFonts = sync.OnceValues(func() (fonts map[role]*opentype.Font, err error) {
	fonts = map[role]*opentype.Font{}
	for r, ttf := range map[role][]byte{roleName: boldTTF, roleInfo: regularTTF, roleUPN: regularTTF, roleControl: monoTTF} {
		if fonts[r], err = opentype.Parse(ttf); err != nil {
			return nil, fmt.Errorf("badge: an embedded Go font does not parse: %w", err)
		}
	}
	return fonts, nil
})

// imageSizes are the fonts' sizes in points, for a badge of 2 inches.
var imageSizes = map[role]float64{roleName: 12, roleInfo: 8.5, roleUPN: 7, roleControl: 6.5}

// face returns the face for r at size points and imageDPI.
func face(r role, size float64) (font.Face, error) {
	fonts, err := imageFonts()
	if err != nil {
		return nil, err
	}
	return opentype.NewFace(fonts[r], &opentype.FaceOptions{Size: size, DPI: imageDPI, Hinting: font.HintingFull})
}

// imageLine is a line of an image's text, fitted to its width.
type imageLine struct {
	role role
	text string
	size float64 // points
}

// layoutImage returns the pixels per module and the side of the code
// (with its quiet zone) for modules, and the text lines fitted to the
// code's width, each in one line at most, shrunk to 70% or cut short.
func layoutImage(b Badge, modules [][]bool) (ppm, side int, lines []imageLine, err error) {
	n := len(modules) + 2*qr.QuietZone
	ppm = (2*imageDPI + n - 1) / n
	side = n * ppm
	fields, _ := b.lines(false)
	width := fixed.I(side - 2*qr.QuietZone*ppm)
	for _, f := range fields {
		text, size := f.text, imageSizes[f.role]
		for {
			fc, err := face(f.role, size)
			if err != nil {
				return 0, 0, nil, err
			}
			if font.MeasureString(fc, text) <= width {
				break
			}
			if size > imageSizes[f.role]*0.7 {
				size -= 0.5
				continue
			}
			// At the smallest size: cut it short.
			r := []rune(text)
			for len(r) > 0 && font.MeasureString(fc, string(r)+ellipsis) > width {
				r = r[:len(r)-1]
			}
			text = strings.TrimRight(string(r), " ") + ellipsis
			break
		}
		lines = append(lines, imageLine{f.role, text, size})
	}
	return ppm, side, lines, nil
}

// imageOf lays out b as PNG and SVG draw it: the QR code's modules, the
// pixels per module, the side of the code with its quiet zone, the whole
// image's height and the text lines (see layoutImage).
func imageOf(b Badge) (modules [][]bool, ppm, side, height int, lines []imageLine, err error) {
	modules, err = qr.Modules(b.Payload)
	if err != nil {
		return nil, 0, 0, 0, nil, fmt.Errorf("badge: the payload does not make a QR code: %w", err)
	}
	ppm, side, lines, err = layoutImage(b, modules)
	if err != nil {
		return nil, 0, 0, 0, nil, err
	}
	height = side
	for _, l := range lines {
		height += lineHeight(l.size)
	}
	return modules, ppm, side, height + qr.QuietZone*ppm/2, lines, nil
}

// lineHeight is a line's height in pixels at imageDPI.
func lineHeight(size float64) int { return int(size * imageDPI / 72 * 1.35) }

// PNG returns one badge as an image: the QR code (whole pixels per
// module, at least 600 pixels, 2 inches at 300 dpi, with its quiet zone),
// then the name, the employee id, the site, the expiry and the control
// number, each on one line (shrunk, then cut short, to fit), characters
// the fonts lack treated as on a sheet (see Unprintable). It fails when the
// payload does not make a QR code.
func PNG(b Badge) ([]byte, error) {
	modules, ppm, side, height, lines, err := imageOf(b)
	if err != nil {
		return nil, err
	}
	pic := image.NewGray(image.Rect(0, 0, side, height))
	draw.Draw(pic, pic.Bounds(), image.White, image.Point{}, draw.Src)
	q := qr.QuietZone * ppm
	for r, row := range modules {
		for c, dark := range row {
			if dark {
				draw.Draw(pic, image.Rect(q+c*ppm, q+r*ppm, q+(c+1)*ppm, q+(r+1)*ppm), image.Black, image.Point{}, draw.Src)
			}
		}
	}
	y := side // the text starts below the quiet zone
	for _, l := range lines {
		fc, err := face(l.role, l.size)
		if err != nil {
			return nil, err
		}
		y += lineHeight(l.size)
		ink := image.Black
		if l.role == roleControl {
			ink = image.NewUniform(color.Gray{Y: 80})
		}
		d := font.Drawer{Dst: pic, Src: ink, Face: fc}
		w := d.MeasureString(l.text)
		d.Dot = fixed.Point26_6{X: (fixed.I(side) - w) / 2, Y: fixed.I(y - lineHeight(l.size)/4)}
		d.DrawString(l.text)
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, pic); err != nil {
		return nil, fmt.Errorf("badge: %w", err)
	}
	return buf.Bytes(), nil
}

// SVG returns one badge as a scalable image, laid out as PNG's: the QR
// code as one path of module runs, then the text, fitted in the Go fonts'
// metrics (the viewer draws it in the Go font if installed, else in a
// sans-serif; the text is real text, so any script shows). It fails when
// the payload does not make a QR code.
func SVG(b Badge) ([]byte, error) {
	modules, ppm, side, height, lines, err := imageOf(b)
	if err != nil {
		return nil, err
	}
	mm := func(px int) string { return fmt.Sprintf("%.2fmm", float64(px)*25.4/imageDPI) }
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %d %d">`+"\n", mm(side), mm(height), side, height)
	fmt.Fprintf(&sb, `<rect width="%d" height="%d" fill="#fff"/>`+"\n", side, height)
	q := qr.QuietZone * ppm
	fmt.Fprintf(&sb, `<path transform="translate(%d %d) scale(%d)" fill="#000" shape-rendering="crispEdges" d="`, q, q, ppm)
	for r, row := range modules {
		for c := 0; c < len(row); {
			if !row[c] {
				c++
				continue
			}
			start := c
			for c < len(row) && row[c] {
				c++
			}
			fmt.Fprintf(&sb, "M%d %dh%dv1h-%dz", start, r, c-start, c-start)
		}
	}
	sb.WriteString(`"/>` + "\n")
	y := side
	for _, l := range lines {
		y += lineHeight(l.size)
		px := l.size * imageDPI / 72
		family, weight, fill := `Go, 'Noto Sans', 'DejaVu Sans', Arial, sans-serif`, "bold", "#000"
		switch l.role {
		case roleInfo, roleUPN:
			weight = "normal"
		case roleControl:
			family, fill = `'Go Mono', 'DejaVu Sans Mono', monospace`, "#505050"
		}
		var text bytes.Buffer
		if err := xml.EscapeText(&text, []byte(l.text)); err != nil {
			return nil, fmt.Errorf("badge: %w", err)
		}
		fmt.Fprintf(&sb, `<text x="%d" y="%d" font-family="%s" font-size="%.1f" font-weight="%s" fill="%s" text-anchor="middle">%s</text>`+"\n",
			side/2, y-lineHeight(l.size)/4, family, px, weight, fill, text.String())
	}
	sb.WriteString("</svg>\n")
	return []byte(sb.String()), nil
}
