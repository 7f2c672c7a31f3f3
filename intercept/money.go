package intercept

import (
	"math"
	"strconv"
)

var (
	errMoneyEmpty    = &inputError{"amount", "empty"}
	errMoneySign     = &inputError{"amount", "must not have a sign"}
	errMoneyPoint    = &inputError{"amount", "must have digits on both sides of the point"}
	errMoneyDecimals = &inputError{"amount", "more than 2 decimals"}
	errMoneyFormat   = &inputError{"amount", "must be a decimal number of yuan like 5000.00"}
	errMoneyLarge    = &inputError{"amount", "too large"}
)

// ParseYuan parses a decimal amount of yuan ("5000", "5000.5", "5000.50", "0.01") into
// fen. Signs, exponents, spaces, more than 2 decimals, a point without digits on both
// sides and amounts beyond int64 fen are refused with an error wrapping ErrInvalid.
func ParseYuan(s string) (Fen, error) {
	return parseYuan(s)
}

func parseYuan[T string | []byte](s T) (Fen, error) {
	if len(s) == 0 {
		return 0, errMoneyEmpty
	}
	if s[0] == '+' || s[0] == '-' {
		return 0, errMoneySign
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	whole, frac, decimals := s[:i], s[i:i], 0
	if i < len(s) {
		if s[i] != '.' {
			return 0, errMoneyFormat
		}
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j < len(s) {
			return 0, errMoneyFormat
		}
		frac, decimals = s[i+1:], j-i-1
		if len(whole) == 0 || decimals == 0 {
			return 0, errMoneyPoint
		}
		if decimals > 2 {
			return 0, errMoneyDecimals
		}
	}
	if len(whole) == 0 {
		return 0, errMoneyFormat
	}
	var v uint64
	for k := 0; k < len(whole); k++ {
		if v > math.MaxInt64/100 {
			return 0, errMoneyLarge
		}
		v = v*10 + uint64(whole[k]-'0')
	}
	if v > math.MaxInt64/100 {
		return 0, errMoneyLarge
	}
	v *= 100
	if decimals > 0 {
		f := uint64(frac[0]-'0') * 10
		if decimals == 2 {
			f += uint64(frac[1] - '0')
		}
		if v > math.MaxInt64-f {
			return 0, errMoneyLarge
		}
		v += f
	}
	return Fen(v), nil
}

// String formats f as yuan with two decimals: "5000.00", "-0.50".
func (f Fen) String() string {
	var buf [24]byte
	return string(appendFen(buf[:0], f))
}

// Yuan returns f in yuan, for display and ratios; sums stay in Fen.
func (f Fen) Yuan() float64 { return float64(f) / 100 }

func appendFen(b []byte, f Fen) []byte {
	u := uint64(f)
	if f < 0 {
		b = append(b, '-')
		u = -u // also right for math.MinInt64
	}
	b = strconv.AppendUint(b, u/100, 10)
	c := u % 100
	return append(b, '.', byte('0'+c/10), byte('0'+c%10))
}
