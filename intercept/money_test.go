package intercept

import (
	"errors"
	"math"
	"testing"
)

func TestParseYuan(t *testing.T) {
	tests := []struct {
		in     string
		want   Fen
		reason string
	}{
		{in: "5000", want: 500000},
		{in: "5000.5", want: 500050},
		{in: "5000.50", want: 500050},
		{in: "5000.05", want: 500005},
		{in: "0.01", want: 1},
		{in: "0", want: 0},
		{in: "0.00", want: 0},
		{in: "007", want: 700},
		{in: "92233720368547758.07", want: math.MaxInt64},
		{in: "92233720368547758", want: 9223372036854775800},

		{in: "", reason: "empty"},
		{in: "-5", reason: "must not have a sign"},
		{in: "+5", reason: "must not have a sign"},
		{in: "5000.001", reason: "more than 2 decimals"},
		{in: "5.", reason: "must have digits on both sides of the point"},
		{in: ".5", reason: "must have digits on both sides of the point"},
		{in: ".", reason: "must have digits on both sides of the point"},
		{in: "5e3", reason: "must be a decimal number of yuan like 5000.00"},
		{in: "5.0e3", reason: "must be a decimal number of yuan like 5000.00"},
		{in: "1E2", reason: "must be a decimal number of yuan like 5000.00"},
		{in: " 5", reason: "must be a decimal number of yuan like 5000.00"},
		{in: "5 ", reason: "must be a decimal number of yuan like 5000.00"},
		{in: "5 000", reason: "must be a decimal number of yuan like 5000.00"},
		{in: "5,000.00", reason: "must be a decimal number of yuan like 5000.00"},
		{in: "1.2.3", reason: "must be a decimal number of yuan like 5000.00"},
		{in: "NaN", reason: "must be a decimal number of yuan like 5000.00"},
		{in: "Inf", reason: "must be a decimal number of yuan like 5000.00"},
		{in: "¥5", reason: "must be a decimal number of yuan like 5000.00"},
		{in: "0x10", reason: "must be a decimal number of yuan like 5000.00"},
		{in: "92233720368547758.08", reason: "too large"},
		{in: "92233720368547759", reason: "too large"},
		{in: "100000000000000000000000000", reason: "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseYuan(tt.in)
			if tt.reason == "" {
				if err != nil || got != tt.want {
					t.Fatalf("ParseYuan(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrInvalid) || reasonOf(err) != tt.reason {
				t.Fatalf("ParseYuan(%q) = %d, %v; want ErrInvalid with reason %q", tt.in, got, err, tt.reason)
			}
		})
	}
}

func TestFenString(t *testing.T) {
	tests := []struct {
		in   Fen
		want string
		yuan float64
	}{
		{0, "0.00", 0},
		{1, "0.01", 0.01},
		{50, "0.50", 0.5},
		{500000, "5000.00", 5000},
		{500005, "5000.05", 5000.05},
		{-50, "-0.50", -0.5},
		{-520000, "-5200.00", -5200},
		{math.MaxInt64, "92233720368547758.07", 92233720368547758.07},
		{math.MinInt64, "-92233720368547758.08", -92233720368547758.08},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("Fen(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
		}
		if got := tt.in.Yuan(); got != tt.yuan {
			t.Errorf("Fen(%d).Yuan() = %v, want %v", int64(tt.in), got, tt.yuan)
		}
	}
}
