package intercept

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		in, country string
		want        string
		reason      string // of the error, when want is ""
	}{
		{in: "+86 138 0000 0001", want: "+8613800000001"},
		{in: "0086 13800000001", want: "+8613800000001"},
		{in: "13800000001", want: "+8613800000001"},
		{in: "138 0000 0001", want: "+8613800000001"},
		{in: "+8613800000001", want: "+8613800000001"},
		{in: "138-0000-0001", want: "+8613800000001"},
		{in: "(+86) 138.0000.0001", want: "+8613800000001"},
		{in: "010 12345678", want: "+861012345678"},
		{in: "(010) 1234-5678", want: "+861012345678"},
		{in: "0755-12345678", want: "+8675512345678"},
		{in: "110", want: "+86110"},
		{in: "96110", want: "+8696110"},
		{in: "95588", want: "+8695588"},
		{in: "+85512345678", want: "+85512345678"},
		{in: "00855 12 345 678", want: "+85512345678"},
		{in: "12345678", country: "855", want: "+85512345678"},
		{in: "012345678", country: "+855", want: "+85512345678"},
		{in: "+123456789012345", want: "+123456789012345"},
		{in: "+123", want: "+123"},

		{in: "", reason: "empty"},
		{in: "+", reason: "not a phone number"},
		{in: "00", reason: "not a phone number"},
		{in: " - ", reason: "not a phone number"},
		{in: "abc", reason: "not a phone number"},
		{in: "138O0000001", reason: "not a phone number"},
		{in: "1380000000１", reason: "not a phone number"}, // full-width digit
		{in: "+86+138", reason: "not a phone number"},
		{in: "138+86", reason: "not a phone number"},
		{in: "138\t0000 0001", reason: "not a phone number"},
		{in: "+12", reason: "too short"},
		{in: "12", reason: "too short"},
		{in: "012", reason: "too short"},
		{in: "+1234567890123456", reason: "too long"},
		{in: "0012345678901234567", reason: "too long"},
		{in: "1234567890123456", reason: "too long"},
		{in: strings.Repeat("1", 1000), reason: "too long"},
		{in: "+0123456", reason: "country code cannot start with 0"},
		{in: "000123456", reason: "country code cannot start with 0"},
		{in: "13800000001", country: "x", reason: "national number and no valid default country"},
		{in: "13800000001", country: "0", reason: "national number and no valid default country"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			country := tt.country
			if country == "" {
				country = "86"
			}
			got, err := NormalizePhone(tt.in, country)
			if tt.want != "" {
				if err != nil || got != tt.want {
					t.Fatalf("NormalizePhone(%q, %q) = %q, %v; want %q", tt.in, country, got, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("NormalizePhone(%q, %q) = %q; want error %q", tt.in, country, got, tt.reason)
			}
			if !errors.Is(err, ErrInvalid) || reasonOf(err) != tt.reason {
				t.Fatalf("NormalizePhone(%q) error = %v (reason %q); want ErrInvalid with reason %q", tt.in, err, reasonOf(err), tt.reason)
			}
		})
	}
	if _, err := NormalizePhone("13800000001", ""); reasonOf(err) != "national number and no valid default country" {
		t.Errorf("NormalizePhone with no default country: error %v", err)
	}
	if got, err := NormalizePhone("+8613800000001", ""); got != "+8613800000001" || err != nil {
		t.Errorf("NormalizePhone(international, no default country) = %q, %v", got, err)
	}
}

func TestNormalizeAccount(t *testing.T) {
	tests := []struct {
		in, want, reason string
	}{
		{in: "6222020000000001", want: "6222020000000001"},
		{in: "6222 0200 0000 0001", want: "6222020000000001"},
		{in: "6222-0200-0000-0001", want: "6222020000000001"},
		{in: "123456", want: "123456"},
		{in: "12345678901234567890123456789012", want: "12345678901234567890123456789012"},
		{in: "", reason: "empty"},
		{in: " - ", reason: "must be digits"},
		{in: "12345", reason: "too short"},
		{in: "123456789012345678901234567890123", reason: "too long"},
		{in: "6222.0200.0000.0001", reason: "must be digits"},
		{in: "62220200000000O1", reason: "must be digits"},
		{in: "+6222020000000001", reason: "must be digits"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := NormalizeAccount(tt.in)
			if tt.want != "" {
				if err != nil || got != tt.want {
					t.Fatalf("NormalizeAccount(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrInvalid) || reasonOf(err) != tt.reason {
				t.Fatalf("NormalizeAccount(%q) = %q, %v; want ErrInvalid with reason %q", tt.in, got, err, tt.reason)
			}
		})
	}
}

func TestNormalizeAllocs(t *testing.T) {
	tests := []struct {
		name string
		want float64
		fn   func()
	}{
		{"phone normal", 0, func() { _, _ = NormalizePhone("+8613800000001", "86") }},
		{"phone national", 1, func() { _, _ = NormalizePhone("138 0000 0001", "86") }},
		{"phone bad", 0, func() { _, _ = NormalizePhone("not a number", "86") }},
		{"account normal", 0, func() { _, _ = NormalizeAccount("6222020000000001") }},
		{"account spaced", 1, func() { _, _ = NormalizeAccount("6222 0200 0000 0001") }},
	}
	for _, tt := range tests {
		if got := testing.AllocsPerRun(100, tt.fn); got != tt.want {
			t.Errorf("%s: %v allocs, want %v", tt.name, got, tt.want)
		}
	}
}

func BenchmarkNormalizePhone(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, _ = NormalizePhone("+86 138 0000 0001", "86")
	}
}
