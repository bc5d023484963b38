package badge

import (
	"strings"
	"sync"
	"unicode"

	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
)

// The fonts every document embeds: Go Regular and Go Bold for text, Go
// Mono Bold for PINs and control numbers (a fixed pitch keeps 0 and O, 1
// and l apart).
var (
	regularTTF = goregular.TTF
	boldTTF    = gobold.TTF
	monoTTF    = gomonobold.TTF
)

// placeholder stands for a character the fonts cannot draw.
const placeholder = '?'

// fonts holds the parsed fonts, for their character coverage.
var fonts = sync.OnceValue(func() []*sfnt.Font {
	var out []*sfnt.Font
	for _, ttf := range [][]byte{regularTTF, boldTTF, monoTTF} {
		f, err := sfnt.Parse(ttf)
		if err != nil {
			panic("badge: an embedded Go font does not parse: " + err.Error())
		}
		out = append(out, f)
	}
	return out
})

// drawable reports whether every font has a glyph for r.
func drawable(r rune) bool {
	var buf sfnt.Buffer
	for _, f := range fonts() {
		if i, err := f.GlyphIndex(&buf, r); err != nil || i == 0 {
			return false
		}
	}
	return true
}

// Unprintable returns the characters of s, once each in order, that
// badges and letters cannot draw: they are printed as '?'. Control
// characters are printed as spaces and are not reported.
func Unprintable(s string) []rune {
	var out []rune
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) || drawable(r) && r != unicode.ReplacementChar {
			continue
		}
		if !strings.ContainsRune(string(out), r) {
			out = append(out, r)
		}
	}
	return out
}

// printable returns s as it is printed: control characters as spaces,
// characters the fonts lack as placeholder, runs of spaces as one, and
// whether any character was replaced by placeholder.
func printable(s string) (string, bool) {
	var sb strings.Builder
	replaced := false
	space := false
	for _, r := range strings.TrimSpace(s) {
		switch {
		case unicode.IsControl(r) || unicode.IsSpace(r):
			if !space {
				sb.WriteByte(' ')
			}
			space = true
			continue
		case r == unicode.ReplacementChar || !drawable(r):
			sb.WriteRune(placeholder)
			replaced = true
		default:
			sb.WriteRune(r)
		}
		space = false
	}
	return strings.TrimSpace(sb.String()), replaced
}
