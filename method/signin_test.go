package method

import (
	"testing"
	"time"
)

func TestNeedsNewPIN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		pin       PIN
		pinLength int
		want      bool
	}{
		{"permanent, long enough", PIN{Length: 8}, 8, false},
		{"permanent, longer than needed", PIN{Length: 12}, 10, false},
		{"temporary", PIN{Length: 8, ForceChange: true}, 8, true},
		{"shorter than a raised pinLength", PIN{Length: 8}, 9, true},
		{"temporary and short", PIN{Length: 8, ForceChange: true}, 20, true},
	}
	for _, tt := range tests {
		if got := NeedsNewPIN(tt.pin, Policy{PINLength: tt.pinLength}); got != tt.want {
			t.Errorf("%s: NeedsNewPIN = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestCodeByID(t *testing.T) {
	t.Parallel()
	std, tmp := &QRCode{ID: "s", Kind: Standard}, &QRCode{ID: "t", Kind: Temporary}
	tests := []struct {
		name string
		m    Method
		id   string
		want *QRCode
	}{
		{"standard", Method{Standard: std, Temporary: tmp}, "s", std},
		{"temporary", Method{Standard: std, Temporary: tmp}, "t", tmp},
		{"unknown id", Method{Standard: std, Temporary: tmp}, "x", nil},
		{"empty id, no temporary", Method{Standard: std}, "", nil},
		{"no codes", Method{}, "s", nil},
	}
	for _, tt := range tests {
		if got := tt.m.CodeByID(tt.id); got != tt.want {
			t.Errorf("%s: CodeByID(%q) = %+v, want %+v", tt.name, tt.id, got, tt.want)
		}
	}
}

func TestAdmit(t *testing.T) {
	t.Parallel()
	const user, group = "u1", "g1"
	code := &QRCode{ID: "c", Start: t0, Expire: t0.Add(24 * time.Hour)}
	enabled := Policy{State: Enabled, Include: []Target{{TargetType: TargetGroup, ID: AllUsers}}}
	ana := Subject{UserID: user, Enabled: true, Groups: []string{group}}
	tests := []struct {
		name string
		s    Subject
		c    *QRCode
		p    Policy
		at   time.Time
		want Refusal
	}{
		{"admitted", ana, code, enabled, t0, Admitted},
		{"admitted just before expiry", ana, code, enabled, code.Expire.Add(-time.Microsecond), Admitted},
		{"code gone", ana, nil, enabled, t0, CodeMissing},
		{"not valid yet", ana, code, enabled, t0.Add(-time.Microsecond), CodeNotYetValid},
		{"expired", ana, code, enabled, code.Expire, CodeExpired},
		{"user disabled", Subject{UserID: user, Groups: []string{group}}, code, enabled, t0, UserDisabled},
		{"policy disabled", ana, code, Policy{State: Disabled, Include: enabled.Include}, t0, PolicyDisabled},
		{"policy disabled beats excluded", ana, code, Policy{State: Disabled, Include: enabled.Include,
			Exclude: []Target{{TargetType: TargetUser, ID: user}}}, t0, PolicyDisabled},
		{"included by group", ana, code, Policy{State: Enabled, Include: []Target{{TargetType: TargetGroup, ID: group}}}, t0, Admitted},
		{"not in an included group", Subject{UserID: user, Enabled: true}, code,
			Policy{State: Enabled, Include: []Target{{TargetType: TargetGroup, ID: group}}}, t0, NotIncluded},
		{"excluded user", ana, code, Policy{State: Enabled, Include: enabled.Include,
			Exclude: []Target{{TargetType: TargetUser, ID: user}}}, t0, Excluded},
		{"excluded group", ana, code, Policy{State: Enabled, Include: enabled.Include,
			Exclude: []Target{{TargetType: TargetGroup, ID: group}}}, t0, Excluded},
		// The code is checked before the user, the user before the scope.
		{"code gone beats disabled", Subject{UserID: user}, nil, Policy{}, t0, CodeMissing},
		{"expired beats disabled", Subject{UserID: user}, code, Policy{}, code.Expire, CodeExpired},
		{"disabled beats out of scope", Subject{UserID: user}, code, Policy{}, t0, UserDisabled},
	}
	for _, tt := range tests {
		if got := Admit(tt.s, tt.c, tt.p, tt.at); got != tt.want {
			t.Errorf("%s: Admit = %v, want %v", tt.name, got, tt.want)
		}
	}
}
