package provision

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/qrpin/qrpin/badge"
	"github.com/qrpin/qrpin/spool"
)

// Print is what to print from a spool and where.
type Print struct {
	Badges  string // the badge sheets' PDF path ("": none)
	Letters string // the PIN letters' PDF path ("": none)
	Layout  badge.Layout
	Paper   badge.Paper
	Style   badge.LetterStyle
}

// Printable returns, for each user whom keep accepts (nil: every user), the
// newest entry with a badge, and the newest entry with a PIN, in the order
// users first appear in entries.
func Printable(entries []spool.Entry, keep func(spool.Entry) bool) (badges, letters []spool.Entry) {
	type pair struct{ badge, letter *spool.Entry }
	byUser := map[string]*pair{}
	var order []string
	for i := range entries {
		e := &entries[i]
		if keep != nil && !keep(*e) {
			continue
		}
		p := byUser[e.UserID]
		if p == nil {
			p = &pair{}
			byUser[e.UserID] = p
			order = append(order, e.UserID)
		}
		if e.Payload != "" {
			p.badge = e
		}
		if e.PIN != "" {
			p.letter = e
		}
	}
	for _, id := range order {
		if p := byUser[id]; p.badge != nil {
			badges = append(badges, *p.badge)
		}
		if p := byUser[id]; p.letter != nil {
			letters = append(letters, *p.letter)
		}
	}
	return badges, letters
}

// Badge is the printed badge of a spool entry.
func Badge(e spool.Entry) badge.Badge {
	return badge.Badge{Payload: e.Payload, DisplayName: e.DisplayName, UPN: e.UPN, EmployeeID: e.EmployeeID,
		Site: e.Site, Expires: e.Expires, Control: e.Control}
}

// Write writes the badge sheets and the PIN letters of the entries (from
// Printable) to their files, each whole or not at all (written to a
// temporary file, then renamed). It returns the sheets' warnings.
func (pr Print) Write(badges, letters []spool.Entry) (warnings []string, err error) {
	if pr.Badges != "" {
		bs := make([]badge.Badge, len(badges))
		for i, e := range badges {
			bs[i] = Badge(e)
		}
		err := writeFile(pr.Badges, func(w io.Writer) error {
			var err error
			warnings, err = badge.Sheet(w, pr.Layout, pr.Paper, bs)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("badge sheets: %w", err)
		}
	}
	if pr.Letters != "" {
		ls := make([]badge.Letter, len(letters))
		for i, e := range letters {
			ls[i] = badge.Letter{DisplayName: e.DisplayName, UPN: e.UPN, EmployeeID: e.EmployeeID, Site: e.Site, PIN: e.PIN, Control: e.Control}
		}
		paper := pr.Paper
		if paper == "" && pr.Layout == badge.LayoutLetter {
			paper = badge.PaperLetter // the badges' paper
		}
		err := writeFile(pr.Letters, func(w io.Writer) error { return badge.Letters(w, pr.Style, paper, ls) })
		if err != nil {
			return nil, fmt.Errorf("PIN letters: %w", err)
		}
	}
	return warnings, nil
}

// writeFile writes path through fill, mode 0600 (it holds secrets), to a
// temporary file renamed over path once whole and synced.
func writeFile(path string, fill func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after the rename: nothing
	if err := fill(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
