package postgres

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestCursor checks cursor against its definition on a set of strings:
// for every holdable s, s > after exactly when s >= cursor(after).
func TestCursor(t *testing.T) {
	var probes []string
	for _, r := range []rune{1, 'a', 0x7f, 0x80, 0xe9, 0x7ff, 0x800, 0xd7ff, 0xe000, 0xfffd, 0xffff, 0x10000, 0x10ffff} {
		probes = append(probes, string(r), "a"+string(r), string(r)+"a", string(r)+string(r))
	}
	probes = append(probes, "", "a", "b", "aa", "a\x01\x01")
	afters := []string{"", "a", "a\x00", "a\x00b", "\x00", "\xff", "a\xff", "a\xc3", "a\xc3(", "a\xc3\xa9", "\xc0\x80",
		"\xed\xa0\x80", "a\xe0\x80", "a\xe0", "\xf4\x8f\xbf", "\xf4\x8f\xbf\xbf", "\xf4\x90", "\xf5", "\xf4\x8f\xbf\xbf\x00",
		"\x7f\x80", "a\x80", "a\xc2", "\xef\xbf\xbf\xff", "\xe2\x82"}
	for _, a := range afters {
		c, ok := cursor(a)
		if ok && !textOK(c) {
			t.Fatalf("cursor(%q) = %q, which PostgreSQL cannot hold", a, c)
		}
		if ok && c <= a {
			t.Fatalf("cursor(%q) = %q, not after it", a, c)
		}
		for _, s := range probes {
			if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
				t.Fatalf("probe %q is not holdable", s)
			}
			want := s > a
			got := ok && s >= c
			if got != want {
				t.Errorf("after %q (cursor %q, %v): %q selected %v, want %v", a, c, ok, s, got, want)
			}
		}
	}
	if c, ok := cursor("\xf4\x8f\xbf\xbf\xff"); ok {
		t.Errorf("cursor after U+10FFFF and 0xff: %q; nothing PostgreSQL holds sorts after it", c)
	}
}
