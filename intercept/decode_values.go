package intercept

import (
	"bytes"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Checks and parsers of single values: codes, free text, durations, RFC 3339 times.

// code checks a bank or operator code: 2..16 of A-Z, 0-9 and '_'.
func code(b []byte) (string, string) {
	ok, lower := len(b) >= 2 && len(b) <= 16, false
	for _, c := range b {
		switch {
		case c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_':
		case c >= 'a' && c <= 'z':
			lower = true
		default:
			ok = false
		}
	}
	switch {
	case !ok:
		return "", "must be 2 to 16 characters of A-Z, 0-9 and _"
	case lower:
		return "", "must be upper case"
	}
	// The common codes need no allocation.
	switch string(b) {
	case "ICBC":
		return "ICBC", ""
	case "ABC":
		return "ABC", ""
	case "BOC":
		return "BOC", ""
	case "CCB":
		return "CCB", ""
	case "BOCOM":
		return "BOCOM", ""
	case "PSBC":
		return "PSBC", ""
	case "CMB":
		return "CMB", ""
	case "CMCC":
		return "CMCC", ""
	case "CU":
		return "CU", ""
	case "CT":
		return "CT", ""
	}
	return string(b), ""
}

// checkText checks the length in characters of a valid UTF-8 string and refuses
// control characters, except tab and line breaks in free text.
func checkText(b []byte, minLen, maxLen int, free bool) string {
	n := 0
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && !(free && (c == '\t' || c == '\n' || c == '\r')) || c == 0x7f {
				return "must not contain control characters"
			}
			i++
		} else {
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				return "invalid UTF-8"
			}
			if r >= 0x80 && r < 0xa0 {
				return "must not contain control characters"
			}
			i += size
		}
		n++
		if n > maxLen {
			return "longer than " + strconv.Itoa(maxLen) + " characters"
		}
	}
	if n < minLen {
		return "must not be empty"
	}
	return ""
}

// parseDuration reads duration_s from its raw JSON value.
func parseDuration(b []byte) (int, string) {
	digits := bytes.TrimPrefix(b, []byte("-"))
	if len(digits) == 0 || !allDigits(digits) {
		return 0, "must be an integer"
	}
	n, ok := num(digits)
	if !ok || len(digits) > 5 || len(digits) < len(b) || n > maxDuration {
		return 0, "must be an integer from 0 to 86400"
	}
	return n, ""
}

// parseTime parses an RFC 3339 time strictly (2026-11-21T10:00:00.5+08:00) and keeps
// its offset. Unlike time.Parse it allocates nothing for whole-hour offsets and never
// swaps in time.Local, so a decoded event does not depend on the server's zone.
func parseTime(b []byte) (time.Time, bool) {
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != 't') ||
		b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	year, ok1 := num(b[0:4])
	month, ok2 := num(b[5:7])
	day, ok3 := num(b[8:10])
	hour, ok4 := num(b[11:13])
	minute, ok5 := num(b[14:16])
	sec, ok6 := num(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 ||
		day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	b = b[19:]
	nsec := 0
	if b[0] == '.' {
		i := 1
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			nsec = nsec*10 + int(b[i]-'0')
			i++
		}
		if i == 1 || i > 10 {
			return time.Time{}, false
		}
		for k := i; k < 10; k++ {
			nsec *= 10
		}
		b = b[i:]
	}
	loc := time.UTC
	switch {
	case len(b) == 1 && (b[0] == 'Z' || b[0] == 'z'):
	case len(b) == 6 && (b[0] == '+' || b[0] == '-') && b[3] == ':':
		oh, ok1 := num(b[1:3])
		om, ok2 := num(b[4:6])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return time.Time{}, false
		}
		off := (oh*60 + om) * 60
		if b[0] == '-' {
			off = -off
		}
		if off != 0 {
			loc = time.FixedZone("", off)
		}
	default:
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, loc), true
}

func num(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// fieldLabel makes an unknown key fit for an error: valid UTF-8 without control
// characters, at most 64 bytes.
func fieldLabel(key []byte) string {
	k := strings.Map(func(r rune) rune {
		if r < 0x20 || r >= 0x7f && r < 0xa0 {
			return utf8.RuneError
		}
		return r
	}, strings.ToValidUTF8(string(key), "\uFFFD"))
	if len(k) > 64 {
		i := 64
		for i > 0 && !utf8.RuneStart(k[i]) {
			i--
		}
		k = k[:i] + "…"
	}
	return k
}
