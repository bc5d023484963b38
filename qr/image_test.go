package qr

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	mrand "math/rand/v2"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
	"github.com/qrpin/qrpin/apperr"
)

// scan reads img's PNG back with gozxing's QR code reader and returns the
// text, the error correction level and the symbol version.
//
// It decodes in PURE_BARCODE mode, the mode for a synthetic image like
// ours, which must always work. It also tries the camera mode (finder
// pattern detection); that mode misses about 1% of flawless symbols, from
// this encoder and from gozxing's own alike (a data area that happens to
// hold a finder-like pattern leads the detector astray at some scales; zbar
// reads those symbols), so camera reports whether it worked, and when it
// did, its text and version must agree.
func scan(t *testing.T, img Image) (text, level string, version int, camera bool) {
	t.Helper()
	pic, err := png.Decode(bytes.NewReader(img.PNG))
	if err != nil {
		t.Fatalf("PNG does not decode: %v", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(pic)
	if err != nil {
		t.Fatal(err)
	}
	pure := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, pure)
	if err != nil {
		t.Fatalf("gozxing cannot read the QR code: %v", err)
	}
	text = res.GetText()
	level, _ = res.GetResultMetadata()[gozxing.ResultMetadataType_ERROR_CORRECTION_LEVEL].(string)
	version = symbolVersion(t, pic)

	res, err = zxqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		return text, level, version, false
	}
	if res.GetText() != text {
		t.Fatalf("camera mode read %q, pure mode %q", res.GetText(), text)
	}
	matrix, err := bmp.GetBlackMatrix()
	if err != nil {
		t.Fatal(err)
	}
	det, err := detector.NewDetector(matrix).Detect(nil)
	if err != nil {
		t.Fatalf("the reader found the symbol but the detector does not: %v", err)
	}
	if v := (det.GetBits().GetWidth() - 17) / 4; v != version {
		t.Fatalf("detector sees version %d, the image's geometry version %d", v, version)
	}
	return text, level, version, true
}

// symbolVersion measures the symbol in pic: the PNG must be whole modules
// of PixelsPerModule pixels, with a light 4-module quiet zone all around and
// the top-left and top-right finder patterns' 7-module dark top edges just
// inside it. It returns the version that the symbol's width implies.
func symbolVersion(t *testing.T, pic image.Image) int {
	t.Helper()
	b := pic.Bounds()
	side := b.Dx()
	if b.Dy() != side || side%PixelsPerModule != 0 {
		t.Fatalf("PNG is %dx%d, want a square of whole %d-pixel modules", b.Dx(), b.Dy(), PixelsPerModule)
	}
	dark := func(x, y int) bool {
		return color.GrayModel.Convert(pic.At(x, y)).(color.Gray).Y < 128
	}
	quiet := 4 * PixelsPerModule
	for i := 0; i < side; i++ {
		for j := 0; j < quiet; j++ {
			if dark(i, j) || dark(j, i) || dark(i, side-1-j) || dark(side-1-j, i) {
				t.Fatalf("quiet zone has a dark pixel near (%d, %d)", i, j)
			}
		}
	}
	finder := 7 * PixelsPerModule
	for x := 0; x < finder; x++ {
		if !dark(quiet+x, quiet) || !dark(side-quiet-1-x, quiet) {
			t.Fatalf("a finder pattern's top edge is not where the quiet zone ends")
		}
	}
	modules := side/PixelsPerModule - 8
	if modules < 21 || (modules-17)%4 != 0 {
		t.Fatalf("symbol is %d modules wide, not a QR code size", modules)
	}
	return (modules - 17) / 4
}

// checkRender renders content, checks the image against it and reports
// whether gozxing's camera mode read it too.
func checkRender(t *testing.T, content string) (Image, bool) {
	t.Helper()
	img, err := Render(content)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if string(img.RawContent) != content {
		t.Fatalf("RawContent = %q, want %q", img.RawContent, content)
	}
	if img.ErrorCorrectionLevel != "m" {
		t.Fatalf("ErrorCorrectionLevel = %q, want m", img.ErrorCorrectionLevel)
	}
	text, level, version, camera := scan(t, img)
	if text != content {
		t.Fatalf("scanned %q, want %q", text, content)
	}
	if level != "M" {
		t.Fatalf("scanned error correction level %q, want M", level)
	}
	if version != img.Version {
		t.Fatalf("Version = %d, but the symbol is version %d", img.Version, version)
	}
	return img, camera
}

func TestRenderPayload(t *testing.T) {
	t.Parallel()
	img, _ := checkRender(t, sample().Encode())
	if !bytes.HasPrefix(img.PNG, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatal("not a PNG")
	}
	t.Logf("%d-byte payload: version %d, %d-byte PNG", len(img.RawContent), img.Version, len(img.PNG))
}

// TestRenderFitsBadge checks that payloads with 40-character UPNs of
// various shapes stay at version 6 or below (41 x 41 modules), and logs the
// longest UPN that does.
func TestRenderFitsBadge(t *testing.T) {
	t.Parallel()
	for _, upn := range []string{
		upn40,
		strings.ToUpper(upn40),
		"0123456789012345678@0123456789012345.com",
		"A.B-C_D+E!#$%&'*/=?^`{|}~@contoso.exampl",
		"x@" + strings.Repeat("y", 38),
	} {
		if len(upn) != 40 {
			t.Fatalf("test UPN %q has %d characters", upn, len(upn))
		}
		p := sample()
		p.UPN = upn
		img, _ := checkRender(t, p.Encode())
		if img.Version > 6 {
			t.Errorf("a payload with a 40-character UPN needs version %d, want <= 6", img.Version)
		}
	}
	longest := 0
	for n := 3; n <= 80; n++ {
		p := sample()
		p.UPN = "a@" + strings.Repeat("b", n-2)
		m, err := Modules(p.Encode()) // Render's layout, without its PNG
		if err != nil {
			t.Fatal(err)
		}
		if Version(m) <= 6 {
			longest = n
		}
	}
	t.Logf("UPNs of up to %d characters fit version 6 at level M", longest)
}

// TestRenderRandomPayloads renders payloads with random ids, secrets and
// UPNs of lengths across the whole range and scans each one back.
// gozxing's camera mode must read at least 85% of them (it misses about 1%;
// see scan).
func TestRenderRandomPayloads(t *testing.T) {
	t.Parallel()
	const upnChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_+'"
	n := 80
	if testing.Short() || raceEnabled {
		// The race detector makes this single-goroutine computation about
		// 20 times slower and has nothing to find in it: a smaller sample.
		n = 20
	}
	camera := 0
	for i := range n {
		sec, err := NewSecret()
		if err != nil {
			t.Fatal(err)
		}
		length := 3 + i*(MaxUPNLen-3)/(n-1)
		upn := make([]byte, length)
		for j := range upn {
			upn[j] = upnChars[mrand.IntN(len(upnChars))]
		}
		upn[mrand.IntN(length)] = '@'
		p := Payload{TenantID: uuid.NewString(), CodeID: uuid.NewString(), UPN: string(upn), Secret: sec}
		if _, ok := checkRender(t, p.Encode()); ok {
			camera++
		}
	}
	t.Logf("camera mode read %d of %d", camera, n)
	if camera < n*85/100 {
		t.Errorf("camera mode read only %d of %d symbols", camera, n)
	}
}

func TestRenderOtherContent(t *testing.T) {
	t.Parallel()
	// Printable ASCII only: gozxing guesses a character set for bytes
	// above 0x7F, so it would not give arbitrary bytes back as they were.
	random := make([]byte, 100)
	for i := range random {
		random[i] = byte(' ' + mrand.IntN(95))
	}
	for _, content := range []string{
		"a",
		"HELLO WORLD",
		"0123456789012345678901234567890123456789",
		"https://example.com/signin?x=1",
		string(random),
		strings.Repeat("z", 1000),
	} {
		checkRender(t, content)
	}
}

func TestRenderErrors(t *testing.T) {
	t.Parallel()
	bad := sample()
	bad.UPN = "zoë@contoso.com"
	for name, content := range map[string]string{
		"empty":               "",
		"too long":            strings.Repeat("z", 3000),
		"invalid payload":     bad.Encode(),
		"prefix only":         Prefix,
		"payload with CRLF":   sample().Encode() + "\r\n",
		"tampered payload":    strings.Replace(sample().Encode(), "QP1.O", "QP1.0", 1),
		"payload, lower UPN@": strings.Replace(sample().Encode(), "@", "", 1),
	} {
		if img, err := Render(content); err == nil {
			t.Errorf("%s: Render succeeded (version %d)", name, img.Version)
		} else if _, ok := apperr.As(err); ok && strings.HasPrefix(content, Prefix) {
			t.Errorf("%s: Render returned an *apperr.Error: %v", name, err)
		}
	}
}

// TestModulesAreRendersSymbol checks that Modules returns the square of
// modules that Render draws, pixel for pixel, without the quiet zone, and
// that it refuses what Render refuses.
func TestModulesAreRendersSymbol(t *testing.T) {
	t.Parallel()
	for _, content := range []string{sample().Encode(), "a", strings.Repeat("z", 1000)} {
		m, err := Modules(content)
		if err != nil {
			t.Fatal(err)
		}
		img, err := Render(content)
		if err != nil {
			t.Fatal(err)
		}
		if v := Version(m); v != img.Version || len(m) != 17+4*v {
			t.Fatalf("Modules: %d rows, version %d; Render: version %d", len(m), v, img.Version)
		}
		pic, err := png.Decode(bytes.NewReader(img.PNG))
		if err != nil {
			t.Fatal(err)
		}
		if side := (len(m) + 2*QuietZone) * PixelsPerModule; pic.Bounds().Dx() != side {
			t.Fatalf("PNG is %d pixels wide, want %d", pic.Bounds().Dx(), side)
		}
		for r, row := range m {
			if len(row) != len(m) {
				t.Fatalf("row %d has %d modules, want %d", r, len(row), len(m))
			}
			for c, dark := range row {
				x, y := (c+QuietZone)*PixelsPerModule+PixelsPerModule/2, (r+QuietZone)*PixelsPerModule+PixelsPerModule/2
				if px := color.GrayModel.Convert(pic.At(x, y)).(color.Gray).Y < 128; px != dark {
					t.Fatalf("module (%d, %d): Modules says dark=%v, the PNG %v", r, c, dark, px)
				}
			}
		}
	}
	bad := sample()
	bad.UPN = "zoë@contoso.com"
	for _, content := range []string{"", bad.Encode(), Prefix, strings.Repeat("z", 3000)} {
		if _, err := Modules(content); err == nil {
			t.Errorf("Modules(%.20q) succeeded", content)
		}
	}
}

// TestRenderImageIsPaletted checks that the PNG is a small two-colour
// image.
func TestRenderImageIsPaletted(t *testing.T) {
	t.Parallel()
	img, err := Render(sample().Encode())
	if err != nil {
		t.Fatal(err)
	}
	pic, err := png.Decode(bytes.NewReader(img.PNG))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := pic.(*image.Paletted); !ok {
		t.Errorf("PNG decodes to %T, want a paletted image", pic)
	}
	if len(img.PNG) > 4096 {
		t.Errorf("PNG is %d bytes, want a few hundred", len(img.PNG))
	}
}

func BenchmarkRender(b *testing.B) {
	p := sample()
	p.UPN = upn40
	content := p.Encode()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render(content); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRenderEveryPixel checks every pixel of the PNG, not only the module
// centres: each is black exactly where its module is dark, and white in the
// quiet zone, for symbols of several versions (encodePNG packs 8 pixels a
// byte, so a module that straddles a byte must come out whole too).
func TestRenderEveryPixel(t *testing.T) {
	t.Parallel()
	for _, content := range []string{"a", sample().Encode(), strings.Repeat("z", 300)} {
		m, err := Modules(content)
		if err != nil {
			t.Fatal(err)
		}
		img, err := Render(content)
		if err != nil {
			t.Fatal(err)
		}
		pic, err := png.Decode(bytes.NewReader(img.PNG))
		if err != nil {
			t.Fatal(err)
		}
		side := (len(m) + 2*QuietZone) * PixelsPerModule
		if b := pic.Bounds(); b.Dx() != side || b.Dy() != side {
			t.Fatalf("PNG is %dx%d, want %dx%d", b.Dx(), b.Dy(), side, side)
		}
		for y := range side {
			for x := range side {
				r, c := y/PixelsPerModule-QuietZone, x/PixelsPerModule-QuietZone
				want := color.Gray{Y: 0xff}
				if r >= 0 && c >= 0 && r < len(m) && c < len(m) && m[r][c] {
					want = color.Gray{}
				}
				if got := color.GrayModel.Convert(pic.At(x, y)); got != want {
					t.Fatalf("%.10q: pixel (%d, %d) is %v, want %v", content, x, y, got, want)
				}
			}
		}
	}
}
