package intercept

import (
	"strconv"
	"strings"
	"testing"
)

func TestNumberKeyRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		n      string
		digits int
	}{
		{"one digit", "+1", 1},
		{"zero", "+0", 1},
		{"mobile", "+8613800000001", 13},
		{"fifteen digits", "+861380000000100", 15},
		{"leading zeros", "+00086", 5},
		{"all zeros", "+000000000000000", 15},
		{"all nines", "+999999999999999", 15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, digits, ok := numberKey(tt.n)
			if !ok {
				t.Fatalf("numberKey(%q) not ok", tt.n)
			}
			if digits != tt.digits {
				t.Errorf("numberKey(%q) digits = %d, want %d", tt.n, digits, tt.digits)
			}
			if k>>60 != 0 {
				t.Errorf("numberKey(%q) = %#x: top nibble set", tt.n, k)
			}
			if got := numberString(k); got != tt.n {
				t.Errorf("numberString(numberKey(%q)) = %q", tt.n, got)
			}
		})
	}
}

func TestNumberKeyRejects(t *testing.T) {
	for _, n := range []string{
		"",
		"+",
		"8613800000001",     // no plus
		"+8613800000001234", // 16 digits
		"+86a3800000001",
		"+86 13800000001",
		"++8613800000001",
		"+-1",
		"+８６", // full-width digits
	} {
		t.Run(n, func(t *testing.T) {
			if k, d, ok := numberKey(n); ok {
				t.Errorf("numberKey(%q) = %#x, %d, true; want not ok", n, k, d)
			}
		})
	}
}

// Every number of 1 to 4 digits, leading zeros included, has its own key.
func TestNumberKeyDistinct(t *testing.T) {
	seen := make(map[uint64]string)
	for length := 1; length <= 4; length++ {
		limit := 1
		for range length {
			limit *= 10
		}
		for i := range limit {
			n := "+" + leftPad(strconv.Itoa(i), length)
			k, _, ok := numberKey(n)
			if !ok {
				t.Fatalf("numberKey(%q) not ok", n)
			}
			if other, dup := seen[k]; dup {
				t.Fatalf("numberKey(%q) = numberKey(%q) = %#x", n, other, k)
			}
			seen[k] = n
		}
	}
}

func TestAccountKeyRoundTrip(t *testing.T) {
	for _, a := range []string{
		"0",
		"0001",
		"6222020000000001",                 // 16 digits: one word
		"62220200000000011",                // 17: spills into the second word
		"6222020000000001100000000000000",  // 31
		"62220200000000011000000000000009", // 32
		"00000000000000000000000000000000", // 32 zeros
		"0000000000000000",                 // 16 zeros
		"00000000000000001",
	} {
		t.Run(a, func(t *testing.T) {
			k, ok := makeAccountKey(a)
			if !ok {
				t.Fatalf("makeAccountKey(%q) not ok", a)
			}
			if got := accountString(k); got != a {
				t.Errorf("accountString(makeAccountKey(%q)) = %q", a, got)
			}
		})
	}
}

func TestAccountKeyRejects(t *testing.T) {
	for _, a := range []string{
		"",
		strings.Repeat("1", 33),
		"6222a20000000001",
		"6222 0200",
		"-1",
		"+8613800000001",
		"ABC-123",
	} {
		t.Run(a, func(t *testing.T) {
			if k, ok := makeAccountKey(a); ok {
				t.Errorf("makeAccountKey(%q) = %v, true; want not ok", a, k)
			}
		})
	}
}

// Accounts that differ only in leading zeros or in where the 16-digit word boundary
// falls have distinct keys.
func TestAccountKeyDistinct(t *testing.T) {
	seen := make(map[accountKey]string)
	add := func(a string) {
		t.Helper()
		k, ok := makeAccountKey(a)
		if !ok {
			t.Fatalf("makeAccountKey(%q) not ok", a)
		}
		if other, dup := seen[k]; dup {
			t.Fatalf("makeAccountKey(%q) = makeAccountKey(%q) = %v", a, other, k)
		}
		seen[k] = a
	}
	for i := range 1000 {
		for length := len(strconv.Itoa(i)); length <= 3; length++ {
			add(leftPad(strconv.Itoa(i), length))
		}
	}
	// Binary strings of 15 to 17 digits straddle the word boundary.
	for length := 15; length <= 17; length++ {
		for i := range 1 << length {
			s := strconv.FormatInt(int64(i), 2)
			add(leftPad(s, length))
		}
	}
	add(strings.Repeat("0", 32))
	add(strings.Repeat("0", 31) + "1")
}

func TestEntityKeySpaces(t *testing.T) {
	for _, n := range []string{"+1", "+8613800000001", "+999999999999999"} {
		if k := entityKey(n); k>>60 != 0 {
			t.Errorf("entityKey(%q) = %#x: number keys have a zero top nibble", n, k)
		}
	}
	for _, a := range []string{"1", "6222020000000001", strings.Repeat("9", 32)} {
		if k := entityKey(a); k>>63 != 1 {
			t.Errorf("entityKey(%q) = %#x: account keys have the top bit set", a, k)
		}
	}
	// The same digits as a number and as an account are different entities.
	if entityKey("+8613800000001") == entityKey("8613800000001") {
		t.Error("entityKey: number and account with the same digits collide")
	}
	if entityKey("ABC-1") == entityKey("ABC-2") {
		t.Error("entityKey: distinct strings collide")
	}
	if entityKey("ABC-1") != entityKey(strings.Clone("ABC-1")) {
		t.Error("entityKey is not deterministic")
	}
}

func leftPad(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return strings.Repeat("0", n-len(s)) + s
}
