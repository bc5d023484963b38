package method

import (
	"testing"
)

func TestDefaultPolicy(t *testing.T) {
	p := DefaultPolicy()
	if p.State != Disabled || p.PINLength != 8 || p.StandardLifetimeDays != 365 {
		t.Fatalf("defaults %+v", p)
	}
	if len(p.Include) != 1 || p.Include[0] != (Target{TargetType: TargetGroup, ID: AllUsers}) {
		t.Fatalf("include %+v", p.Include)
	}
	if p.Exclude == nil || len(p.Exclude) != 0 {
		t.Fatalf("exclude %+v", p.Exclude)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestPolicyValidate(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*Policy)
		valid bool
	}{
		{"enabled", func(p *Policy) { p.State = Enabled }, true},
		{"bad state", func(p *Policy) { p.State = "on" }, false},
		{"pinLength 7", func(p *Policy) { p.PINLength = 7 }, false},
		{"pinLength 20", func(p *Policy) { p.PINLength = 20 }, true},
		{"pinLength 21", func(p *Policy) { p.PINLength = 21 }, false},
		{"lifetime 0", func(p *Policy) { p.StandardLifetimeDays = 0 }, false},
		{"lifetime 1", func(p *Policy) { p.StandardLifetimeDays = 1 }, true},
		{"lifetime 395", func(p *Policy) { p.StandardLifetimeDays = 395 }, true},
		{"lifetime 396", func(p *Policy) { p.StandardLifetimeDays = 396 }, false},
		{"user target", func(p *Policy) { p.Include = []Target{{TargetType: TargetUser, ID: "u"}} }, true},
		{"bad target type", func(p *Policy) { p.Exclude = []Target{{TargetType: "device", ID: "d"}} }, false},
		{"target without id", func(p *Policy) { p.Include = []Target{{TargetType: TargetGroup}} }, false},
	}
	for _, tt := range tests {
		p := DefaultPolicy()
		tt.edit(&p)
		if err := p.Validate(); (err == nil) != tt.valid {
			t.Errorf("%s: Validate() = %v, want valid %v", tt.name, err, tt.valid)
		}
	}
}

func TestPolicyInScope(t *testing.T) {
	enabled := func(include, exclude []Target) Policy {
		return Policy{State: Enabled, PINLength: 8, StandardLifetimeDays: 365, Include: include, Exclude: exclude}
	}
	all := []Target{{TargetType: TargetGroup, ID: AllUsers}}
	g1 := []Target{{TargetType: TargetGroup, ID: "g1"}}
	u1 := []Target{{TargetType: TargetUser, ID: "u1"}}
	tests := []struct {
		name   string
		p      Policy
		user   string
		groups []string
		want   bool
	}{
		{"disabled policy", DefaultPolicy(), "u1", nil, false},
		{"all users", enabled(all, nil), "u1", nil, true},
		{"member of included group", enabled(g1, nil), "u1", []string{"g0", "g1"}, true},
		{"not a member", enabled(g1, nil), "u1", []string{"g0"}, false},
		{"user included directly", enabled(u1, nil), "u1", nil, true},
		{"other user", enabled(u1, nil), "u2", nil, false},
		{"excluded by group", enabled(all, g1), "u1", []string{"g1"}, false},
		{"excluded directly", enabled(all, u1), "u1", nil, false},
		{"exclusion of others", enabled(all, u1), "u2", nil, true},
		{"nothing included", enabled(nil, nil), "u1", nil, false},
	}
	for _, tt := range tests {
		if got := tt.p.InScope(tt.user, tt.groups); got != tt.want {
			t.Errorf("%s: InScope = %v, want %v", tt.name, got, tt.want)
		}
	}
}
