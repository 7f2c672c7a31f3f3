package auth

import (
	"errors"
	"testing"

	"github.com/lanjie/lanjie/intercept"
)

func TestParseRole(t *testing.T) {
	for _, r := range Roles {
		got, err := ParseRole(string(r))
		if err != nil || got != r {
			t.Errorf("ParseRole(%q) = %q, %v", r, got, err)
		}
	}
	for _, s := range []string{"", "Admin", "root", "bank", " admin"} {
		if _, err := ParseRole(s); !errors.Is(err, intercept.ErrInvalid) {
			t.Errorf("ParseRole(%q) error = %v, want ErrInvalid", s, err)
		}
	}
}

func TestRoleScopes(t *testing.T) {
	tests := []struct {
		role                         Role
		needsOrg, bank, op, key, sys bool
	}{
		{Hotline, false, false, false, true, false},
		{BankLiaison, true, true, false, false, false},
		{OperatorLiaison, true, false, true, false, false},
		{Volunteer, false, false, false, false, false},
		{Analyst, false, false, false, true, false},
		{Admin, false, false, false, false, false},
		{BankSystem, true, true, false, true, true},
		{OperatorSystem, true, false, true, true, true},
	}
	for _, tt := range tests {
		t.Run(string(tt.role), func(t *testing.T) {
			r := tt.role
			got := [5]bool{r.NeedsOrg(), r.Bank(), r.Operator(), r.CanHaveKey(), r.System()}
			want := [5]bool{tt.needsOrg, tt.bank, tt.op, tt.key, tt.sys}
			if got != want {
				t.Errorf("NeedsOrg, Bank, Operator, CanHaveKey, System = %v, want %v", got, want)
			}
		})
	}
	if len(tests) != len(Roles) {
		t.Errorf("table covers %d roles, Roles has %d", len(tests), len(Roles))
	}
}

func TestCheckRoleOrg(t *testing.T) {
	tests := []struct {
		name string
		role Role
		org  string
		ok   bool
	}{
		{"bank with org", BankLiaison, "ICBC", true},
		{"operator with org", OperatorSystem, "CMCC", true},
		{"org with digit and underscore", BankSystem, "B_2", true},
		{"org of 16", BankSystem, "ABCDEFGHIJKLMNOP", true},
		{"hotline without org", Hotline, "", true},
		{"bank without org", BankLiaison, "", false},
		{"org too short", BankLiaison, "I", false},
		{"org too long", BankLiaison, "ABCDEFGHIJKLMNOPQ", false},
		{"org lower case", BankLiaison, "icbc", false},
		{"org with dash", OperatorLiaison, "CM-CC", false},
		{"admin with org", Admin, "ICBC", false},
		{"volunteer with org", Volunteer, "CMCC", false},
		{"unknown role", Role("root"), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkRoleOrg(tt.role, tt.org)
			if tt.ok && err != nil {
				t.Fatalf("checkRoleOrg(%s, %q) = %v, want nil", tt.role, tt.org, err)
			}
			if !tt.ok && !errors.Is(err, intercept.ErrInvalid) {
				t.Fatalf("checkRoleOrg(%s, %q) = %v, want ErrInvalid", tt.role, tt.org, err)
			}
		})
	}
}

func TestPrincipalString(t *testing.T) {
	u := Principal{Kind: KindUser, Name: "li.wei", Role: Hotline}
	k := Principal{Kind: KindKey, Name: "feed", Role: BankSystem, Org: "ICBC", KeyID: "key_0123456789ab"}
	if got := u.String(); got != "user:li.wei" {
		t.Errorf("user String() = %q", got)
	}
	if got := k.String(); got != "key:key_0123456789ab" {
		t.Errorf("key String() = %q", got)
	}
}
