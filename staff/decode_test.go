package staff_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"html"
	"image"
	_ "image/png"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/qrpin/qrpin/qr"
)

func hashOf(handle string) string {
	s := sha256.Sum256([]byte(handle))
	return hex.EncodeToString(s[:])
}

// decodePage decodes the QR image a page shows into its payload.
func decodePage(t testing.TB, body string) qr.Payload {
	t.Helper()
	m := qrImage.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no QR image on the page")
	}
	b, err := base64.StdEncoding.DecodeString(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("decode the QR image: %v", err)
	}
	p, err := qr.Parse(res.GetText())
	if err != nil {
		t.Fatal(err)
	}
	return p
}
