package badge

// role is what a line of a badge's text is, which sets its font.
type role int

const (
	roleName    role = iota // the worker's name: bold, large, may wrap
	roleInfo                // employee id, site, expiry: regular, smaller
	roleUPN                 // the UPN, when the name is not printable: as roleInfo, may wrap anywhere
	roleControl             // the control number: mono, smallest, at the foot
)

// line is one field of a badge's text.
type line struct {
	role  role
	text  string // as the badge prints it: see printable
	field string // what it is, for warnings ("name", "site")
}

// lines returns a badge's text, field by field, in the order printed, and
// what had to change: the name (followed by the UPN when a character of
// the name is printed as '?'), the employee id and the site (on one line
// when compact), the expiry date and the control number.
func (b Badge) lines(compact bool) (out []line, notes []string) {
	add := func(r role, field, text string) change {
		text, ch := printable(text)
		if text == "" {
			return unchanged
		}
		if ch != unchanged {
			notes = append(notes, ch.note(field))
		}
		out = append(out, line{r, text, field})
		return ch
	}
	if add(roleName, "name", b.DisplayName) == charactersLost && b.UPN != "" {
		add(roleUPN, "user principal name", b.UPN)
		notes[len(notes)-1] += "; the user principal name is printed under it"
	}
	id := ""
	if b.EmployeeID != "" {
		id = "ID " + b.EmployeeID
	}
	if compact && id != "" && b.Site != "" {
		add(roleInfo, "employee id and site", id+" · "+b.Site)
	} else {
		add(roleInfo, "employee id", id)
		add(roleInfo, "site", b.Site)
	}
	if !b.Expires.IsZero() {
		add(roleInfo, "expiry", "Expires "+b.Expires.Format("2006-01-02"))
	}
	add(roleControl, "control number", b.Control)
	return out, notes
}
