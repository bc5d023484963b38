package qr

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
	"sync"

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
	pic, err := encodePNG(m)
	if err != nil {
		return Image{}, fmt.Errorf("qr: %w", err)
	}
	return Image{
		PNG:                  pic,
		Version:              Version(m),
		ErrorCorrectionLevel: "m",
		RawContent:           []byte(content),
	}, nil
}

// encodePNG writes modules, with the quiet zone, as a PNG of one bit per
// pixel on a two-colour palette (0 white, 1 black). image/png writes the
// same file from an *image.Paletted, but asks for each of its 150,000-odd
// pixels through an interface call, most of a badge's rendering time;
// here each module row becomes one scanline, written PixelsPerModule times.
func encodePNG(modules [][]bool) ([]byte, error) {
	side := (len(modules) + 2*QuietZone) * PixelsPerModule
	stride := (side + 7) / 8
	var buf bytes.Buffer
	buf.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(side))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(side))
	ihdr[8], ihdr[9] = 1, 3 // bit depth 1, colour type 3 (palette); deflate, no filter, no interlace
	writeChunk(&buf, "IHDR", ihdr)
	writeChunk(&buf, "PLTE", []byte{0xff, 0xff, 0xff, 0, 0, 0})

	var idat bytes.Buffer
	z := zlibWriters.Get().(*zlib.Writer)
	defer zlibWriters.Put(z)
	z.Reset(&idat)
	line := make([]byte, 1+stride) // filter type 0 (none), then the pixels
	blank := make([]byte, 1+stride)
	for range QuietZone * PixelsPerModule {
		z.Write(blank)
	}
	for _, row := range modules {
		clear(line)
		for c, dark := range row {
			if !dark {
				continue
			}
			for x := (c + QuietZone) * PixelsPerModule; x < (c+QuietZone+1)*PixelsPerModule; x++ {
				line[1+x/8] |= 0x80 >> (x % 8)
			}
		}
		for range PixelsPerModule {
			z.Write(line)
		}
	}
	for range QuietZone * PixelsPerModule {
		z.Write(blank)
	}
	if err := z.Close(); err != nil { // writes to memory: cannot fail
		return nil, err
	}
	writeChunk(&buf, "IDAT", idat.Bytes())
	writeChunk(&buf, "IEND", nil)
	return buf.Bytes(), nil
}

// zlibWriters are compressors at zlib's fastest level (the image is long
// runs of identical bytes and lines; a better level saves a few bytes for
// twice the time), reused since each holds tables of several hundred KiB.
var zlibWriters = sync.Pool{New: func() any {
	z, _ := zlib.NewWriterLevel(nil, zlib.BestSpeed) // a valid level: no error
	return z
}}

// writeChunk appends a PNG chunk: length, type, data, CRC-32 of type and data.
func writeChunk(buf *bytes.Buffer, kind string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	buf.Write(n[:])
	crc := crc32.NewIEEE()
	crc.Write([]byte(kind))
	crc.Write(data)
	buf.WriteString(kind)
	buf.Write(data)
	binary.BigEndian.PutUint32(n[:], crc.Sum32())
	buf.Write(n[:])
}

// Version returns the QR version of a symbol that Modules laid out.
func Version(modules [][]bool) int {
	return (len(modules) - 17) / 4
}
