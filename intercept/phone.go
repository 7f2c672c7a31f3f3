package intercept

// Phone numbers and bank accounts arrive in every feed, so normalising them is on the
// hot path: no regexp, at most one allocation, none when the input is already normal.

// E.164 bounds on the digits after '+'.
const (
	minPhoneDigits = 3
	maxPhoneDigits = 15
)

// Account numbers are 6..32 digits: card numbers are 16..19, but bank-internal and
// corporate accounts are shorter or longer.
const (
	minAccountDigits = 6
	maxAccountDigits = 32
)

var (
	errPhoneEmpty     = &inputError{"phone number", "empty"}
	errPhoneChars     = &inputError{"phone number", "not a phone number"}
	errPhoneShort     = &inputError{"phone number", "too short"}
	errPhoneLong      = &inputError{"phone number", "too long"}
	errPhoneCountry   = &inputError{"phone number", "country code cannot start with 0"}
	errPhoneNoCountry = &inputError{"phone number", "national number and no valid default country"}

	errAccountEmpty = &inputError{"account number", "empty"}
	errAccountChars = &inputError{"account number", "must be digits"}
	errAccountShort = &inputError{"account number", "too short"}
	errAccountLong  = &inputError{"account number", "too long"}
)

// NormalizePhone returns s in E.164 form: "+" and 3 to 15 digits. Spaces, dashes, dots
// and parentheses are dropped; a leading "+" or "00" introduces the country code; any
// other number is national and takes defaultCountry (the calling code as digits, "86"),
// after dropping one trunk "0" ("010 12345678" is "+861012345678"). Short service
// numbers are national too: "110" is "+86110". An invalid s gives an error wrapping
// ErrInvalid whose reason reads well after the field name ("not a phone number").
func NormalizePhone(s, defaultCountry string) (string, error) {
	return normalizePhone(s, defaultCountry)
}

func normalizePhone[T string | []byte](s T, defaultCountry string) (string, error) {
	if isE164(s) {
		return string(s), nil
	}
	if len(s) == 0 {
		return "", errPhoneEmpty
	}
	// Up to 2 digits of "00" plus 15; more is too long whatever the prefix.
	var digits [2 + maxPhoneDigits]byte
	n, plus := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			if n == len(digits) {
				return "", errPhoneLong
			}
			digits[n] = c
			n++
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
		case c == '+' && n == 0 && !plus:
			plus = true
		default:
			return "", errPhoneChars
		}
	}
	if n == 0 {
		return "", errPhoneChars
	}
	var buf [1 + maxPhoneDigits]byte
	buf[0] = '+'
	d := digits[:n]
	switch {
	case plus || (len(d) >= 2 && d[0] == '0' && d[1] == '0'):
		if !plus {
			d = d[2:]
		}
		if len(d) == 0 {
			return "", errPhoneChars
		}
		if d[0] == '0' {
			return "", errPhoneCountry
		}
		if len(d) > maxPhoneDigits {
			return "", errPhoneLong
		}
		if len(d) < minPhoneDigits {
			return "", errPhoneShort
		}
		n = 1 + copy(buf[1:], d)
	default:
		cc := defaultCountry
		if len(cc) > 0 && cc[0] == '+' {
			cc = cc[1:]
		}
		if len(cc) == 0 || len(cc) > 3 || cc[0] == '0' || !allDigits(cc) {
			return "", errPhoneNoCountry
		}
		if d[0] == '0' {
			d = d[1:] // national trunk prefix
		}
		if len(d) < minPhoneDigits {
			return "", errPhoneShort
		}
		if len(cc)+len(d) > maxPhoneDigits {
			return "", errPhoneLong
		}
		n = 1 + copy(buf[1:], cc)
		n += copy(buf[n:], d)
	}
	return string(buf[:n]), nil
}

// isE164 reports whether s is already normal: "+", no leading zero, 3..15 digits.
func isE164[T string | []byte](s T) bool {
	return len(s) >= 1+minPhoneDigits && len(s) <= 1+maxPhoneDigits &&
		s[0] == '+' && s[1] != '0' && allDigits(s[1:])
}

func allDigits[T string | []byte](s T) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// NormalizeAccount returns the bank account number s without spaces and dashes. The
// result must be 6 to 32 ASCII digits; otherwise the error wraps ErrInvalid.
func NormalizeAccount(s string) (string, error) {
	return normalizeAccount(s)
}

func normalizeAccount[T string | []byte](s T) (string, error) {
	if len(s) == 0 {
		return "", errAccountEmpty
	}
	n, clean := 0, true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			n++
			if n > maxAccountDigits {
				return "", errAccountLong
			}
		case c == ' ' || c == '-':
			clean = false
		default:
			return "", errAccountChars
		}
	}
	if n == 0 {
		return "", errAccountChars
	}
	if n < minAccountDigits {
		return "", errAccountShort
	}
	if clean {
		return string(s), nil
	}
	var buf [maxAccountDigits]byte
	n = 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			buf[n] = c
			n++
		}
	}
	return string(buf[:n]), nil
}
