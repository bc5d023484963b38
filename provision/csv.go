package provision

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// Row is one worker of the input file.
type Row struct {
	Line        int // the row's line number in the file (the header is line 1, or 2 after Entra's version line)
	DisplayName string
	UPN         string
	EmployeeID  string
	Group       string // a group's display name or object id; "" for none
	Site        string // what the badge shows as the site; "" for none
	Start       time.Time
	Expire      time.Time // zero: the policy's lifetime from Start
	// Blocked is the Entra template's "Block sign in (Yes/No) [accountEnabled]":
	// the account is created disabled.
	Blocked bool
}

// Columns the reader understands, by property name. The Entra bulk-create
// template names them as "Item name [property] Required"; plain files name
// the property alone.
const (
	colDisplayName = "displayname"
	colUPN         = "userprincipalname"
	colEmployeeID  = "employeeid"
	colGroup       = "group"
	colSite        = "site"
	colOffice      = "physicaldeliveryofficename" // the template's "Office": the site when no site column
	colStart       = "startdate"
	colExpire      = "expiredate"
	colEnabled     = "accountenabled" // the template's "Block sign in (Yes/No)"
)

// ignoredColumns are the other properties of Entra's bulk-create template:
// accepted so the template works as downloaded, and not used (qrpin users
// sign in with a badge and a PIN, so passwordProfile is not sent either).
var ignoredColumns = map[string]bool{
	"passwordprofile": true, "givenname": true, "surname": true, "jobtitle": true,
	"department": true, "usagelocation": true, "streetaddress": true, "state": true,
	"country": true, "city": true, "postalcode": true, "telephonenumber": true,
	"mobile": true, "mailnickname": true,
}

// MaxRows bounds the rows of one file.
const MaxRows = 100_000

// maxField bounds one field, in bytes.
const maxField = 1024

// ReadCSV reads the workers of a CSV file: a header row, then one row per
// worker. It takes Entra's bulk-create template (its "version:v1.0" first
// line and "Name [displayName] Required" headers) and plain headers
// (displayName, userPrincipalName, employeeId, group, site, startDate,
// expireDate), a UTF-8 byte-order mark, ';' or ',' as the delimiter (the
// header row decides) and quoted fields. Problems of single rows (a missing
// name, a bad date) are returned as problems naming the row, with every
// readable row; a file that cannot be read as a whole (bad quoting, not
// UTF-8, an unknown column) is an error naming the line.
func ReadCSV(r io.Reader) ([]Row, []Problem, error) {
	data, err := io.ReadAll(io.LimitReader(r, 64<<20+1))
	if err != nil {
		return nil, nil, err
	}
	if len(data) > 64<<20 {
		return nil, nil, errors.New("the file is larger than 64 MiB")
	}
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
		return nil, nil, errors.New("the file is UTF-16: save it as CSV UTF-8")
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if line, ok := badUTF8(data); !ok {
		return nil, nil, fmt.Errorf("line %d: not UTF-8 text: save the file as CSV UTF-8", line)
	}
	first := 1
	if head, rest, ok := bytes.Cut(data, []byte("\n")); ok && bytes.HasPrefix(bytes.ToLower(bytes.TrimSpace(head)), []byte("version:")) {
		data, first = rest, 2 // Entra's template starts with its version
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = sniffDelimiter(data)
	cr.FieldsPerRecord = -1 // ragged rows are named below, not a parse error
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err == io.EOF {
		return nil, nil, errors.New("the file is empty: it needs a header row")
	}
	if err != nil {
		return nil, nil, csvErr(err, first-1)
	}
	cols, err := columns(header)
	if err != nil {
		return nil, nil, fmt.Errorf("line %d: %w", first, err)
	}
	var rows []Row
	var problems []Problem
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, csvErr(err, first-1)
		}
		line, _ := cr.FieldPos(0)
		line += first - 1
		if len(rows)+len(problems) >= MaxRows {
			return nil, nil, fmt.Errorf("line %d: more than %d rows: split the file", line, MaxRows)
		}
		if blank(rec) {
			continue
		}
		if len(rec) != len(header) {
			problems = append(problems, Problem{Row: line, Message: fmt.Sprintf("%d fields, the header has %d", len(rec), len(header))})
			continue
		}
		row, rowProblems := cols.row(line, rec)
		problems = append(problems, rowProblems...)
		if len(rowProblems) == 0 {
			rows = append(rows, row)
		}
	}
	return rows, problems, nil
}

// csvErr names the line of a CSV parse error, in the file's numbering.
func csvErr(err error, offset int) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("line %d: %v", pe.StartLine+offset, pe.Err)
	}
	return err
}

// badUTF8 returns the line of the first byte that is not UTF-8.
func badUTF8(data []byte) (line int, ok bool) {
	if utf8.Valid(data) {
		return 0, true
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, len(data)+1)
	for line = 1; sc.Scan(); line++ {
		if !utf8.Valid(sc.Bytes()) {
			return line, false
		}
	}
	return line, false
}

// sniffDelimiter returns ';' when the header row has more semicolons than
// commas outside quotes (a spreadsheet saved in a locale with decimal
// commas), else ','.
func sniffDelimiter(data []byte) rune {
	commas, semis, quoted := 0, 0, false
	for _, b := range data {
		switch {
		case b == '"':
			quoted = !quoted
		case quoted:
		case b == '\n':
			if semis > commas {
				return ';'
			}
			return ','
		case b == ',':
			commas++
		case b == ';':
			semis++
		}
	}
	if semis > commas {
		return ';'
	}
	return ','
}

// columnSet maps the columns the reader uses to their index in a row.
type columnSet struct {
	index   map[string]int
	blocked bool // the accountEnabled column is the template's "Block sign in (Yes/No)"
}

// columns reads the header row.
func columns(header []string) (columnSet, error) {
	cs := columnSet{index: map[string]int{}}
	for i, h := range header {
		name, label := headerName(h)
		switch {
		case name == "":
			return cs, fmt.Errorf("column %d has no name", i+1)
		case ignoredColumns[name]:
			continue
		case !knownColumn(name):
			return cs, fmt.Errorf("unknown column %q: the columns are displayName, userPrincipalName, employeeId, group, site, startDate, expireDate (or Entra's bulk-create template)", strings.TrimSpace(h))
		}
		if _, dup := cs.index[name]; dup {
			return cs, fmt.Errorf("column %q appears twice", strings.TrimSpace(h))
		}
		cs.index[name] = i
		if name == colEnabled {
			cs.blocked = strings.Contains(strings.ToLower(label), "block")
		}
	}
	for _, need := range []string{colDisplayName, colUPN} {
		if _, ok := cs.index[need]; !ok {
			return cs, fmt.Errorf("the %s column is missing", map[string]string{colDisplayName: "displayName", colUPN: "userPrincipalName"}[need])
		}
	}
	return cs, nil
}

func knownColumn(name string) bool {
	switch name {
	case colDisplayName, colUPN, colEmployeeID, colGroup, colSite, colOffice, colStart, colExpire, colEnabled:
		return true
	}
	return false
}

// headerName returns a header's property name, lower case, and the label
// before it: "Name [displayName] Required" is displayname; a plain
// "employeeId" is employeeid. "groups" and "groupName" are group.
func headerName(h string) (name, label string) {
	h = strings.TrimSpace(h)
	if open := strings.LastIndex(h, "["); open >= 0 {
		if end := strings.Index(h[open:], "]"); end > 0 {
			label, h = h[:open], h[open+1:open+end]
		}
	}
	name = strings.ToLower(strings.TrimSpace(strings.TrimSuffix(h, "*")))
	switch name {
	case "groups", "groupname", "groupid":
		name = colGroup
	case "upn":
		name = colUPN
	case "name":
		name = colDisplayName
	}
	return name, label
}

// row reads one record; its problems name line.
func (cs columnSet) row(line int, rec []string) (Row, []Problem) {
	get := func(col string) string {
		if i, ok := cs.index[col]; ok {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var problems []Problem
	bad := func(field, format string, args ...any) {
		problems = append(problems, Problem{Row: line, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	for i, f := range rec {
		if len(f) > maxField {
			bad("", "field %d is longer than %d bytes", i+1, maxField)
			return Row{}, problems
		}
	}
	r := Row{
		Line: line, DisplayName: get(colDisplayName), UPN: get(colUPN), EmployeeID: get(colEmployeeID),
		Group: get(colGroup), Site: get(colSite),
	}
	if r.Site == "" {
		r.Site = get(colOffice)
	}
	if r.DisplayName == "" {
		bad("displayName", "the display name is empty")
	}
	if r.UPN == "" {
		bad("userPrincipalName", "the userPrincipalName is empty")
	}
	var err error
	if r.Start, err = parseDate(get(colStart)); err != nil {
		bad("startDate", "%v", err)
	}
	if r.Expire, err = parseDate(get(colExpire)); err != nil {
		bad("expireDate", "%v", err)
	}
	if v := strings.ToLower(get(colEnabled)); v != "" {
		yes, ok := map[string]bool{"yes": true, "true": true, "1": true, "no": false, "false": false, "0": false}[v]
		if !ok {
			bad("accountEnabled", "%q is neither Yes nor No", v)
		}
		r.Blocked = yes == cs.blocked // "Block sign in: Yes" or "accountEnabled: false"
	}
	return r, problems
}

// parseDate reads a date (2026-03-02, the start of that day in UTC) or a
// date and time (RFC 3339); "" is the zero time.
func parseDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date (2026-03-02) or a date and time (2026-03-02T08:00:00Z)", s)
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}
