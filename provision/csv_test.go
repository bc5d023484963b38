package provision

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// The reader takes plain headers, Entra's bulk-create template, a BOM, ';'
// and quoted fields, and numbers rows as the file's lines.
func TestReadCSV(t *testing.T) {
	t.Parallel()
	ana := Row{Line: 2, DisplayName: "Ana Ruiz", UPN: "ana@contoso.com", EmployeeID: "E100", Group: "Warehouse", Site: "Lyon",
		Start: date("2026-03-02"), Expire: date("2027-03-01")}
	tests := []struct {
		name string
		in   string
		want []Row
	}{
		{"plain", "displayName,userPrincipalName,employeeId,group,site,startDate,expireDate\n" +
			"Ana Ruiz,ana@contoso.com,E100,Warehouse,Lyon,2026-03-02,2027-03-01\n", []Row{ana}},
		{"BOM, CRLF, semicolons, quotes", "\ufeffdisplayName;userPrincipalName;employeeId;group;site;startDate;expireDate\r\n" +
			"\"Ruiz; Ana\";ana@contoso.com;E100;\"Ware\"\"house\";Lyon;2026-03-02;2027-03-01T00:00:00Z\r\n",
			[]Row{{Line: 2, DisplayName: "Ruiz; Ana", UPN: "ana@contoso.com", EmployeeID: "E100", Group: `Ware"house`, Site: "Lyon",
				Start: date("2026-03-02"), Expire: date("2027-03-01")}}},
		{"quoted field over two lines, then a row numbered by its line",
			"displayName,userPrincipalName\n\"Ana\nRuiz\",ana@contoso.com\nBo,bo@contoso.com\n",
			[]Row{{Line: 2, DisplayName: "Ana\nRuiz", UPN: "ana@contoso.com"}, {Line: 4, DisplayName: "Bo", UPN: "bo@contoso.com"}}},
		{"blank lines are skipped", "displayName,userPrincipalName\n\n,\nBo,bo@contoso.com\n",
			[]Row{{Line: 4, DisplayName: "Bo", UPN: "bo@contoso.com"}}},
		{"Entra template", "version:v1.0\n" +
			"Name [displayName] Required,User name [userPrincipalName] Required,Initial password [passwordProfile] Required,Block sign in (Yes/No) [accountEnabled] Required,First name [givenName],Office [physicalDeliveryOfficeName],Employee ID [employeeId]\n" +
			"Ana Ruiz,ana@contoso.com,Secret1!,No,Ana,Lyon,E100\n" +
			"Bo Li,bo@contoso.com,Secret1!,Yes,Bo,,E101\n",
			[]Row{{Line: 3, DisplayName: "Ana Ruiz", UPN: "ana@contoso.com", EmployeeID: "E100", Site: "Lyon"},
				{Line: 4, DisplayName: "Bo Li", UPN: "bo@contoso.com", EmployeeID: "E101", Blocked: true}}},
		{"accountEnabled false is blocked", "displayName,userPrincipalName,accountEnabled\nBo,bo@contoso.com,false\nCy,cy@contoso.com,true\n",
			[]Row{{Line: 2, DisplayName: "Bo", UPN: "bo@contoso.com", Blocked: true}, {Line: 3, DisplayName: "Cy", UPN: "cy@contoso.com"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rows, problems, err := ReadCSV(strings.NewReader(tt.in))
			if err != nil || len(problems) > 0 {
				t.Fatalf("ReadCSV: %v %v", problems, err)
			}
			if !reflect.DeepEqual(rows, tt.want) {
				t.Errorf("rows:\n got %+v\nwant %+v", rows, tt.want)
			}
		})
	}
}

// A file that cannot be read is an error naming the line; a bad row is a
// problem naming it, and the other rows are read.
func TestReadCSVBadInput(t *testing.T) {
	t.Parallel()
	fatal := []struct{ name, in, want string }{
		{"empty", "", "the file is empty: it needs a header row"},
		{"bad quote", "displayName,userPrincipalName\nAna,ana@contoso.com\n\"Bo,bo@contoso.com\n", "line 3: extraneous or missing \" in quoted-field"},
		{"bare quote", "displayName,userPrincipalName\nA\"na,ana@contoso.com\n", "line 2: bare \" in non-quoted-field"},
		{"Latin-1", "displayName,userPrincipalName\nAna,ana@contoso.com\nJos\xe9,jose@contoso.com\n", "line 3: not UTF-8 text: save the file as CSV UTF-8"},
		{"UTF-16", "\xff\xfed\x00", "the file is UTF-16: save it as CSV UTF-8"},
		{"unknown header", "displayName,userPrincipalName,shoeSize\n", `line 1: unknown column "shoeSize": the columns are displayName, userPrincipalName, employeeId, group, site, startDate, expireDate (or Entra's bulk-create template)`},
		{"unknown header after the version line", "version:v1.0\nName [displayName] Required,Hat [hatSize]\n", `line 2: unknown column "Hat [hatSize]": the columns are displayName, userPrincipalName, employeeId, group, site, startDate, expireDate (or Entra's bulk-create template)`},
		{"no UPN column", "displayName,employeeId\n", "line 1: the userPrincipalName column is missing"},
		{"column twice", "displayName,userPrincipalName,UPN\n", `line 1: column "UPN" appears twice`},
	}
	for _, tt := range fatal {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rows, problems, err := ReadCSV(strings.NewReader(tt.in))
			if err == nil || err.Error() != tt.want || rows != nil || problems != nil {
				t.Errorf("ReadCSV = %v, %v, %v; want error %q", rows, problems, err, tt.want)
			}
		})
	}

	in := "displayName,userPrincipalName,startDate,expireDate,accountEnabled\n" +
		"Ana,ana@contoso.com,2026-03-02,,\n" +
		"Bo,bo@contoso.com\n" +
		",cy@contoso.com,,,\n" +
		"Di,di@contoso.com,tomorrow,2027-13-01,maybe\n" +
		"Ed,,,,\n" +
		"Fi," + strings.Repeat("x", 2000) + ",,,\n"
	rows, problems, err := ReadCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].UPN != "ana@contoso.com" {
		t.Errorf("rows = %+v, want Ana's alone", rows)
	}
	var got []string
	for _, p := range problems {
		got = append(got, p.String())
	}
	want := []string{
		"row 3: error: 2 fields, the header has 5",
		"row 4 (displayName): error: the display name is empty",
		`row 5 (startDate): error: "tomorrow" is not a date (2026-03-02) or a date and time (2026-03-02T08:00:00Z)`,
		`row 5 (expireDate): error: "2027-13-01" is not a date (2026-03-02) or a date and time (2026-03-02T08:00:00Z)`,
		`row 5 (accountEnabled): error: "maybe" is neither Yes nor No`,
		"row 6 (userPrincipalName): error: the userPrincipalName is empty",
		"row 7: error: field 2 is longer than 1024 bytes",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n got %q\nwant %q", got, want)
	}
}

// The delimiter is the header's: semicolons inside quotes do not count.
func TestSniffDelimiter(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]rune{
		"a,b,c\n1;2;3;4;5\n": ',',
		"a;b;c\n":            ';',
		`"a;b;c",d` + "\n":   ',',
		"a;b":                ';',
		"a":                  ',',
	} {
		if got := sniffDelimiter([]byte(in)); got != want {
			t.Errorf("sniffDelimiter(%q) = %q, want %q", in, got, want)
		}
	}
}
