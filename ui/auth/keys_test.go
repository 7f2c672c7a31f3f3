package auth

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lanjie/lanjie/intercept"
)

func TestCreateKeyValidation(t *testing.T) {
	tests := []struct {
		name    string
		keyName string
		role    Role
		org     string
		ok      bool
	}{
		{"bank system", "ICBC transfer feed", BankSystem, "ICBC", true},
		{"operator system", "CMCC call feed", OperatorSystem, "CMCC", true},
		{"hotline", "hotline softphone", Hotline, "", true},
		{"analyst", "报表导出", Analyst, "", true},
		{"admin may not", "admin key", Admin, "", false},
		{"volunteer may not", "volunteer key", Volunteer, "", false},
		{"bank liaison may not", "liaison key", BankLiaison, "ICBC", false},
		{"operator liaison may not", "liaison key", OperatorLiaison, "CMCC", false},
		{"bank system without org", "feed", BankSystem, "", false},
		{"bank system bad org", "feed", BankSystem, "icbc", false},
		{"analyst with org", "feed", Analyst, "ICBC", false},
		{"unknown role", "feed", Role("root"), "", false},
		{"empty name", "", Analyst, "", false},
		{"blank name", "   ", Analyst, "", false},
		{"name too long", strings.Repeat("n", 65), Analyst, "", false},
		{"name with newline", "feed\nx", Analyst, "", false},
	}
	s, _, _ := newStore(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret, k, err := s.CreateKey(tt.keyName, tt.role, tt.org, "admin")
			if !tt.ok {
				if !errors.Is(err, intercept.ErrInvalid) {
					t.Fatalf("error = %v, want ErrInvalid", err)
				}
				if secret != "" || k != (Key{}) {
					t.Errorf("refused key returned %q, %+v", secret, k)
				}
				return
			}
			if err != nil {
				t.Fatalf("CreateKey: %v", err)
			}
			if k.Name != tt.keyName || k.Role != tt.role || k.Org != tt.org || k.CreatedBy != "admin" {
				t.Errorf("key = %+v", k)
			}
		})
	}
	if got := len(s.Keys()); got != 4 {
		t.Errorf("%d keys stored, want 4", got)
	}
}

func TestKeyLifecycle(t *testing.T) {
	s, _, c := newStore(t)
	secret, k, err := s.CreateKey("ICBC transfer feed", BankSystem, "ICBC", "admin")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^lj_[A-Za-z0-9_-]{43}$`).MatchString(secret) {
		t.Errorf("secret %q: want lj_ and 43 base64url characters", secret)
	}
	if !regexp.MustCompile(`^key_[0-9a-f]{12}$`).MatchString(k.ID) {
		t.Errorf("key ID %q: want key_ and 12 hex digits", k.ID)
	}
	want := Key{ID: k.ID, Name: "ICBC transfer feed", Role: BankSystem, Org: "ICBC",
		Prefix: secret[:10], Created: c.Now(), CreatedBy: "admin"}
	if diff := cmp.Diff(want, k); diff != "" {
		t.Errorf("key (-want +got):\n%s", diff)
	}

	c.Add(time.Minute)
	secret2, k2, err := s.CreateKey("CMCC call feed", OperatorSystem, "CMCC", "admin")
	if err != nil {
		t.Fatal(err)
	}
	if secret2 == secret || k2.ID == k.ID {
		t.Fatalf("two keys share a secret or ID")
	}

	p, err := s.VerifyKey(secret)
	if err != nil {
		t.Fatalf("VerifyKey: %v", err)
	}
	wantP := Principal{Kind: KindKey, Name: "ICBC transfer feed", Role: BankSystem, Org: "ICBC", KeyID: k.ID}
	if diff := cmp.Diff(wantP, p); diff != "" {
		t.Errorf("principal (-want +got):\n%s", diff)
	}

	bad := map[string]string{
		"empty":            "",
		"no prefix":        secret[3:],
		"one char changed": secret[:20] + flip(secret[20]) + secret[21:],
		"truncated":        secret[:len(secret)-1],
		"extra char":       secret + "A",
		"well formed, new": "lj_" + strings.Repeat("A", 43),
		"prefix only":      k.Prefix,
		"hash of the key":  hashSecret(secret),
	}
	for name, sec := range bad {
		if _, err := s.VerifyKey(sec); err != ErrBadCredentials {
			t.Errorf("%s: error = %v, want ErrBadCredentials", name, err)
		}
	}

	c.Add(time.Minute)
	if err := s.RevokeKey(k.ID, "admin2"); err != nil {
		t.Fatalf("RevokeKey: %v", err)
	}
	if _, err := s.VerifyKey(secret); err != ErrBadCredentials {
		t.Errorf("revoked key: error = %v, want ErrBadCredentials", err)
	}
	if _, err := s.VerifyKey(secret2); err != nil {
		t.Errorf("other key after revocation: %v", err)
	}
	revokedAt := c.Now()
	c.Add(time.Minute)
	if err := s.RevokeKey(k.ID, "admin3"); err != nil {
		t.Errorf("second RevokeKey: %v, want nil", err)
	}
	if err := s.RevokeKey("key_000000000000", "admin"); !errors.Is(err, intercept.ErrNotFound) {
		t.Errorf("RevokeKey(unknown) error = %v, want ErrNotFound", err)
	}

	want.Revoked, want.RevokedAt, want.RevokedBy = true, revokedAt, "admin2"
	want2 := Key{ID: k2.ID, Name: "CMCC call feed", Role: OperatorSystem, Org: "CMCC",
		Prefix: secret2[:10], Created: k2.Created, CreatedBy: "admin"}
	if diff := cmp.Diff([]Key{want, want2}, s.Keys()); diff != "" {
		t.Errorf("Keys() (-want +got):\n%s", diff)
	}
}

// flip returns a base64url character other than b.
func flip(b byte) string {
	if b == 'A' {
		return "B"
	}
	return "A"
}

func BenchmarkVerifyKey(b *testing.B) {
	s, err := Open(b.TempDir()+"/auth.json", Options{BcryptCost: 4})
	if err != nil {
		b.Fatal(err)
	}
	secret, _, err := s.CreateKey("feed", BankSystem, "ICBC", "admin")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.VerifyKey(secret); err != nil {
			b.Fatal(err)
		}
	}
}
