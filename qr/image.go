package qr

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// PixelsPerModule is the size of one QR module in a rendered PNG. Whole
// pixels per module keep the edges sharp when the image is scaled to 2 x 2
// inches for printing; at 8, a version 6 symbol with its 4-module quiet zone
// is 392 x 392 pixels, about 200 dpi at 2 inches.
const PixelsPerModule = 8

// QuietZone is the width, in modules, of the light margin every drawing of
// a symbol keeps around it (the QR standard's minimum).
const QuietZone = 4

// Image is a rendered QR code, what Graph returns once as
// qrCodeImageDetails.
type Image struct {
	PNG                  []byte // the picture (binaryValue)
	Version              int    // the QR symbol version, 1 to 40
	ErrorCorrectionLevel string // "l", "m", "q" or "h"
	RawContent           []byte // the exact bytes in the symbol (rawContent)
}

// Modules lays out content as a QR symbol at error correction level M
// (about 15% of the symbol can be damaged), in the smallest version that
// holds it, and returns its modules row by row, true for dark, without the
// quiet zone: a square of 17 + 4 x version modules. Every drawing of a
// badge (Render's PNG, the badge package's PDF, PNG and SVG) starts here,
// so they all show the same symbol.
//
// Content that starts with Prefix must be exactly a payload that Parse
// accepts: Modules returns an error rather than lay out a badge that
// cannot sign in (such as Encode's output for a payload that fails
// Validate). That error is not an *apperr.Error: validating the payload is
// the caller's job.
func Modules(content string) ([][]bool, error) {
	if strings.HasPrefix(content, Prefix) {
		if p, err := Parse(content); err != nil || p.Encode() != content {
			return nil, errors.New("qr: refusing to render an invalid payload (see Payload.Validate)")
		}
	}
	q, err := qrcode.New(content, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("qr: %w", err)
	}
	q.DisableBorder = true
	return q.Bitmap(), nil
}

// Render draws content as Modules lays it out, as a black-on-white PNG
// with the standard QuietZone and PixelsPerModule pixels per module. It
// refuses what Modules refuses.
func Render(content string) (Image, error) {
	m, err := Modules(content)
	if err != nil {
		return Image{}, err
	}
	side := (len(m) + 2*QuietZone) * PixelsPerModule
	pic := image.NewPaletted(image.Rect(0, 0, side, side), color.Palette{color.White, color.Black})
	for r, row := range m {
		for c, dark := range row {
			if !dark {
				continue
			}
			x0, y0 := (c+QuietZone)*PixelsPerModule, (r+QuietZone)*PixelsPerModule
			for y := y0; y < y0+PixelsPerModule; y++ {
				line := pic.Pix[pic.PixOffset(x0, y):]
				for x := range PixelsPerModule {
					line[x] = 1
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, pic); err != nil {
		return Image{}, fmt.Errorf("qr: %w", err)
	}
	return Image{
		PNG:                  buf.Bytes(),
		Version:              Version(m),
		ErrorCorrectionLevel: "m",
		RawContent:           []byte(content),
	}, nil
}

// Version returns the QR version of a symbol that Modules laid out.
func Version(modules [][]bool) int {
	return (len(modules) - 17) / 4
}
