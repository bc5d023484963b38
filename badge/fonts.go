package badge

import (
	"strings"
	"sync"
	"unicode"

	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/text/unicode/norm"
)

// The fonts every document embeds: Go Regular and Go Bold for text, Go
// Mono Bold for PINs and control numbers (a fixed pitch keeps 0 and O, 1
// and l apart).
var (
	regularTTF = goregular.TTF
	boldTTF    = gobold.TTF
	monoTTF    = gomonobold.TTF
)

// placeholder stands for a character the fonts cannot draw, even without
// its accents.
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
// badges and letters cannot draw as they are. Each is printed without its
// accents when the fonts have its base letters (Vietnamese "ễ" as "e"),
// else as '?'. Spaces and control characters are printed as single
// spaces and are not reported.
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

// change is what printable had to do to a text.
type change int

const (
	unchanged      change = iota
	accentsLost           // a character printed without its accents
	charactersLost        // a character printed as placeholder
)

// note says what a change did to the field named field.
func (c change) note(field string) string {
	switch c {
	case accentsLost:
		return "the " + field + " has characters the fonts cannot draw, printed without their accents"
	case charactersLost:
		return "the " + field + " has characters the fonts cannot draw, printed as '" + string(placeholder) + "'"
	}
	return ""
}

// printable returns s as it is printed (see Unprintable) and what that
// changed: control characters and runs of spaces as one space, characters
// the fonts lack without their accents, else as placeholder.
func printable(s string) (string, change) {
	var sb strings.Builder
	ch := unchanged
	space := false
	for _, r := range strings.TrimSpace(s) {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			if !space {
				sb.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		if r != unicode.ReplacementChar && drawable(r) {
			sb.WriteRune(r)
			continue
		}
		if base, ok := stripAccents(r); ok {
			sb.WriteString(base)
			ch = max(ch, accentsLost)
			continue
		}
		sb.WriteRune(placeholder)
		ch = charactersLost
	}
	return strings.TrimSpace(sb.String()), ch
}

// stripAccents returns r's canonical decomposition without its combining
// marks, if that is something and the fonts draw all of it.
func stripAccents(r rune) (string, bool) {
	var base []rune
	for _, d := range norm.NFD.String(string(r)) {
		if unicode.Is(unicode.Mn, d) {
			continue
		}
		if !drawable(d) {
			return "", false
		}
		base = append(base, d)
	}
	return string(base), len(base) > 0 && string(base) != string(r)
}
