// Package badge turns badges and PIN letters into print-ready documents:
// sheets of badges and sealed PIN letters as PDF (codeberg.org/go-pdf/fpdf),
// and single badges as PNG and SVG.
//
// A badge shows the worker's QR code, drawn as vector modules from the
// same symbol the server draws (qr.Modules), with its 4-module quiet zone
// and at least 2 inches (50.8 mm) wide where the layout can hold it, as
// Microsoft recommends; the worker's name, employee id, site and expiry
// date; and a small control number. The PIN letter carries the same
// control number, so a letter and a badge can be matched without the badge
// ever naming the PIN. Badges and letters are separate documents: a badge
// never shows a PIN (Badge has no field for it) and a letter never shows a
// QR code or its payload (Letter has no field for it).
//
// Text is set in the Go fonts (golang.org/x/image/font/gofont), embedded in
// each PDF, which cover Latin, Greek and Cyrillic scripts. A character they
// lack is printed without its accents when they have its base letter, else
// as '?' (with the worker's UPN under the name), never dropped or garbled
// silently: Sheet returns a warning naming the badge, and Unprintable
// reports such characters to a caller printing letters.
package badge

//go:generate go test -run ^TestBadgeSheetPicture$ . -args -update-picture

import (
	"crypto/rand"
	"fmt"
	"strings"
	"time"
)

// Badge is what one printed badge shows.
type Badge struct {
	Payload     string    // the QR code's content: the bytes of Graph's standardQRCode/temporaryQRCode image.rawContent
	DisplayName string    // the worker's name, printed large
	UPN         string    // the worker's userPrincipalName: names the badge in warnings and errors (not printed)
	EmployeeID  string    // may be empty
	Site        string    // site or group name; may be empty
	Expires     time.Time // the code's expiry, printed as a date in its own location; zero: none shown
	Control     string    // control number linking it to its PIN letter (see NewControl); may be empty
}

// Letter is one sealed PIN letter.
type Letter struct {
	DisplayName, UPN, EmployeeID, Site string
	PIN                                string // the worker's first PIN, which must be changed at first sign-in
	Control                            string // the same control number as the worker's badge
}

// Layout is how badges are cut from a printed sheet.
type Layout string

// The layouts.
const (
	// LayoutCR80 is ID-1 cards, 85.60 x 53.98 mm, landscape: the code on the left
	// at 51 mm (its quiet zone reaches 1.5 mm from the card's edges), the
	// text beside it. Imposed on A4 or Letter with crop marks (8 a sheet).
	LayoutCR80 Layout = "cr80"
	// LayoutLabel2in is 2 x 2 inch square labels in an Avery-style grid (12 on
	// Letter, 15 on A4). A 2-inch label cannot hold a 2-inch code and the
	// worker's name, so the code is smaller (38 mm) and Sheet warns.
	LayoutLabel2in Layout = "label2in"
	// LayoutA4 is badges of 60 x 82 mm, 9 to an A4 sheet with crop marks, for
	// plain paper: the code on top at 54 mm, the text below.
	LayoutA4 Layout = "a4"
	// LayoutLetter is the A4 layout's badges on US Letter paper (9 a sheet).
	LayoutLetter Layout = "letter"
)

// Layouts returns every layout, in the order they are documented.
func Layouts() []Layout { return []Layout{LayoutCR80, LayoutLabel2in, LayoutA4, LayoutLetter} }

// ParseLayout returns the layout named s (case and surrounding spaces do
// not matter), or an error listing the layouts.
func ParseLayout(s string) (Layout, error) {
	l := Layout(strings.ToLower(strings.TrimSpace(s)))
	for _, known := range Layouts() {
		if l == known {
			return l, nil
		}
	}
	return "", fmt.Errorf("badge: unknown layout %q (want one of %s)", s, list(Layouts()))
}

// Paper is the sheet a document is printed on.
type Paper string

// The papers.
const (
	PaperA4     Paper = "a4"     // 210 x 297 mm
	PaperLetter Paper = "letter" // 8.5 x 11 inches
)

// Papers returns every paper.
func Papers() []Paper { return []Paper{PaperA4, PaperLetter} }

// ParsePaper returns the paper named s (case and surrounding spaces do not
// matter), or an error listing the papers.
func ParsePaper(s string) (Paper, error) {
	p := Paper(strings.ToLower(strings.TrimSpace(s)))
	for _, known := range Papers() {
		if p == known {
			return p, nil
		}
	}
	return "", fmt.Errorf("badge: unknown paper %q (want one of %s)", s, list(Papers()))
}

// LetterStyle is how PIN letters are printed: one worker per page either
// way.
type LetterStyle string

// The letter styles.
const (
	// StylePage is a plain letter, to be put in an envelope.
	StylePage LetterStyle = "page"
	// StyleMailer is a fold-and-seal mailer: the sheet is folded in three
	// along the printed lines (a Z fold), the worker's name outside and the
	// PIN inside, covered by a security pattern against reading through the
	// paper, then sealed along the open edges.
	StyleMailer LetterStyle = "mailer"
)

// LetterStyles returns every letter style.
func LetterStyles() []LetterStyle { return []LetterStyle{StylePage, StyleMailer} }

// ParseLetterStyle returns the letter style named s (case and surrounding
// spaces do not matter), or an error listing the styles.
func ParseLetterStyle(s string) (LetterStyle, error) {
	st := LetterStyle(strings.ToLower(strings.TrimSpace(s)))
	for _, known := range LetterStyles() {
		if st == known {
			return st, nil
		}
	}
	return "", fmt.Errorf("badge: unknown letter style %q (want one of %s)", s, list(LetterStyles()))
}

func list[T ~string](all []T) string {
	s := make([]string, len(all))
	for i, v := range all {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

// controlAlphabet is NewControl's 32 characters: digits and capitals
// without 0, 1, I and O, which read alike.
const controlAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

// NewControl returns a fresh random control number: 8 characters from an
// alphabet without look-alikes, in two groups of four ("K7QX-93PD"), 40
// random bits from crypto/rand. It says nothing about the PIN or the
// badge; it only links the two pieces of paper.
func NewControl() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("badge: %w", err)
	}
	out := make([]byte, 0, 9)
	for i, v := range b {
		if i == 4 {
			out = append(out, '-')
		}
		out = append(out, controlAlphabet[v%32]) // 256 is a multiple of 32: no bias
	}
	return string(out), nil
}
