package qr

import (
	"errors"
	"fmt"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// PixelsPerModule is the size of one QR module in a rendered PNG. Whole
// pixels per module keep the edges sharp when the image is scaled to 2 x 2
// inches for printing; at 8, a version 6 symbol with its 4-module quiet zone
// is 392 x 392 pixels, about 200 dpi at 2 inches.
const PixelsPerModule = 8

// Image is a rendered QR code, what Graph returns once as
// qrCodeImageDetails.
type Image struct {
	PNG                  []byte // the picture (binaryValue)
	Version              int    // the QR symbol version, 1 to 40
	ErrorCorrectionLevel string // "l", "m", "q" or "h"
	RawContent           []byte // the exact bytes in the symbol (rawContent)
}

// Render draws content as a QR code at error correction level M (about 15%
// of the symbol can be damaged), in the smallest version that holds it, as
// a black-on-white PNG with the standard 4-module quiet zone and
// PixelsPerModule pixels per module.
//
// Content that starts with Prefix must be exactly a payload that Parse
// accepts: Render returns an error rather than draw a badge that cannot sign
// in (such as Encode's output for a payload that fails Validate). That error
// is not an *apperr.Error: validating the payload is the caller's job.
func Render(content string) (Image, error) {
	if strings.HasPrefix(content, Prefix) {
		if p, err := Parse(content); err != nil || p.Encode() != content {
			return Image{}, errors.New("qr: refusing to render an invalid payload (see Payload.Validate)")
		}
	}
	q, err := symbol(content)
	if err != nil {
		return Image{}, err
	}
	png, err := q.PNG(-PixelsPerModule)
	if err != nil {
		return Image{}, fmt.Errorf("qr: %w", err)
	}
	return Image{
		PNG:                  png,
		Version:              q.VersionNumber,
		ErrorCorrectionLevel: "m",
		RawContent:           []byte(content),
	}, nil
}

// symbol lays out content as a QR symbol at error correction level M, in
// the smallest version that holds it.
func symbol(content string) (*qrcode.QRCode, error) {
	q, err := qrcode.New(content, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("qr: %w", err)
	}
	return q, nil
}
