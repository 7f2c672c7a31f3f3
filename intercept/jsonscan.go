package intercept

import (
	"bytes"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// The JSON scanner behind Decode: it checks the whole input is one well-formed
// object before any value is read, and yields members as offsets into the input.

// decMember is one "key": value of an object as offsets into the input: the key with
// its quotes, then the value; esc tells whether the key has escapes.
type decMember struct {
	ks, ke, vs, ve int
	esc            bool
}

// decSpan is the offsets of one array element.
type decSpan struct{ s, e int }

// topLevel checks that the whole input is one JSON object and returns its members.
// Every later step reads only offsets checked here, so none of them can run off the
// input.
func (st *decodeState) topLevel(buf []decMember) ([]decMember, bool) {
	data := st.data
	i := st.ws(0)
	switch {
	case i == len(data):
		st.syntax = "empty input: want a JSON object"
		return nil, false
	case data[i] != '{':
		if end := st.value(i, 0); end >= 0 {
			if st.ws(end) < len(data) {
				st.fail(st.ws(end), "unexpected data after the value")
			} else {
				st.syntax = "must be a JSON object"
			}
		}
		return nil, false
	}
	members, end := st.object(i, 1, buf)
	if end < 0 {
		return nil, false
	}
	if i = st.ws(end); i < len(data) {
		st.fail(i, "unexpected data after the object")
		return nil, false
	}
	return members, true
}

func (st *decodeState) fail(i int, what string) int {
	st.syntax = "invalid JSON at byte " + strconv.Itoa(i) + ": " + what
	return -1
}

func (st *decodeState) ws(i int) int {
	for i < len(st.data) {
		switch st.data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// value checks the JSON value at i and returns the offset after it, or -1.
func (st *decodeState) value(i, depth int) int {
	data := st.data
	if i >= len(data) {
		return st.fail(i, "unexpected end of input")
	}
	switch c := data[i]; {
	case c == '"':
		return st.skipString(i)
	case c == '{' || c == '[':
		if depth >= maxJSONDepth {
			return st.fail(i, "nested too deeply")
		}
		if c == '[' {
			_, _, end := st.array(i, depth+1, nil)
			return end
		}
		_, end := st.object(i, depth+1, nil)
		return end
	case c == 't':
		return st.literal(i, "true")
	case c == 'f':
		return st.literal(i, "false")
	case c == 'n':
		return st.literal(i, "null")
	case c == '-' || c >= '0' && c <= '9':
		return st.number(i)
	case c >= 0x20 && c < 0x7f:
		return st.fail(i, "unexpected character '"+string(rune(c))+"'")
	default:
		return st.fail(i, "unexpected byte 0x"+strconv.FormatUint(uint64(c), 16))
	}
}

// object checks the object at i. With members non-nil, it appends one decMember per
// key to it.
func (st *decodeState) object(i, depth int, members []decMember) ([]decMember, int) {
	data := st.data
	if i = st.ws(i + 1); i < len(data) && data[i] == '}' {
		return members, i + 1
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return nil, st.fail(i, "want a field name in double quotes")
		}
		ks, ke := i, st.skipString(i)
		if ke < 0 {
			return nil, -1
		}
		esc := st.esc
		if i = st.ws(ke); i >= len(data) || data[i] != ':' {
			return nil, st.fail(i, "want ':' after a field name")
		}
		vs := st.ws(i + 1)
		ve := st.value(vs, depth)
		if ve < 0 {
			return nil, -1
		}
		if members != nil {
			members = append(members, decMember{ks, ke, vs, ve, esc})
		}
		switch i = st.ws(ve); {
		case i < len(data) && data[i] == ',':
			i = st.ws(i + 1)
		case i < len(data) && data[i] == '}':
			return members, i + 1
		default:
			return nil, st.fail(i, "want ',' or '}' after a field")
		}
	}
}

// array checks the array at i. With spans non-nil, it appends the spans of the first
// maxSuspects+1 elements to it. n counts all the elements.
func (st *decodeState) array(i, depth int, spans []decSpan) (_ []decSpan, n, end int) {
	data := st.data
	if i = st.ws(i + 1); i < len(data) && data[i] == ']' {
		return spans, 0, i + 1
	}
	for {
		ve := st.value(i, depth)
		if ve < 0 {
			return nil, 0, -1
		}
		if spans != nil && n <= maxSuspects {
			spans = append(spans, decSpan{i, ve})
		}
		n++
		switch i = st.ws(ve); {
		case i < len(data) && data[i] == ',':
			i = st.ws(i + 1)
		case i < len(data) && data[i] == ']':
			return spans, n, i + 1
		default:
			return nil, 0, st.fail(i, "want ',' or ']' after an element")
		}
	}
}

// elements returns the element spans and count of an array checked before.
func (st *decodeState) elements(i int, buf []decSpan) ([]decSpan, int) {
	spans, n, _ := st.array(i, 1, buf)
	return spans, n
}

// plainByte marks the bytes a JSON string may hold as they are.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// skipString checks the string at i and returns the offset after it, or -1. It sets
// st.esc when the string has escapes.
func (st *decodeState) skipString(i int) int {
	data := st.data
	st.esc = false
	for i++; i < len(data); {
		for i < len(data) && plainByte[data[i]] {
			i++
		}
		if i == len(data) {
			break
		}
		switch c := data[i]; {
		case c == '"':
			return i + 1
		case c == '\\':
			if i+1 == len(data) {
				return st.fail(len(data), "unexpected end of input in a string")
			}
			st.esc = true
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(data) || hex4(data[i+2:i+6]) < 0 {
					return st.fail(i, `invalid \u escape`)
				}
				i += 6
			default:
				return st.fail(i, "invalid escape in a string")
			}
		case c < 0x20:
			return st.fail(i, "control character in a string")
		default:
			i++
		}
	}
	return st.fail(len(data), "unexpected end of input in a string")
}

func (st *decodeState) number(i int) int {
	data, start := st.data, i
	digits := func(i int) int {
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
		return i
	}
	if data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case i < len(data) && data[i] >= '1' && data[i] <= '9':
		i = digits(i)
	default:
		return st.fail(start, "invalid number")
	}
	if i < len(data) && data[i] == '.' {
		if j := digits(i + 1); j > i+1 {
			i = j
		} else {
			return st.fail(start, "invalid number")
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if j := digits(i); j > i {
			i = j
		} else {
			return st.fail(start, "invalid number")
		}
	}
	return i
}

func (st *decodeState) literal(i int, lit string) int {
	if !bytes.HasPrefix(st.data[i:], []byte(lit)) {
		return st.fail(i, "invalid literal, want "+lit)
	}
	return i + len(lit)
}

func hex4(b []byte) int {
	n := 0
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			n = n<<4 | int(c-'0')
		case c >= 'a' && c <= 'f':
			n = n<<4 | int(c-'a'+10)
		case c >= 'A' && c <= 'F':
			n = n<<4 | int(c-'A'+10)
		default:
			return -1
		}
	}
	return n
}

// str returns the content of the checked string value at vs..ve, unescaped (into a
// buffer reused by the next call), or a reason.
func (st *decodeState) str(vs, ve int) ([]byte, string) {
	if st.data[vs] != '"' {
		return nil, "must be a string"
	}
	b := st.data[vs+1 : ve-1]
	if bytes.IndexByte(b, '\\') < 0 {
		return b, ""
	}
	var ok bool
	if st.scratch, ok = unescape(st.scratch[:0], b); !ok {
		return nil, `invalid \u escape (lone surrogate)`
	}
	return st.scratch, ""
}

// key returns the unescaped key of m, in a buffer reused by the next call.
func (st *decodeState) key(m decMember) []byte {
	b := st.data[m.ks+1 : m.ke-1]
	if !m.esc {
		return b
	}
	st.keyBuf, _ = unescape(st.keyBuf[:0], b)
	return st.keyBuf
}

// unescape appends the checked string content b to dst, unescaped. A lone UTF-16
// surrogate becomes U+FFFD and ok false.
func unescape(dst, b []byte) (_ []byte, ok bool) {
	ok = true
	for i := 0; i < len(b); {
		j := bytes.IndexByte(b[i:], '\\')
		if j < 0 {
			return append(dst, b[i:]...), ok
		}
		dst = append(dst, b[i:i+j]...)
		i += j
		switch c := b[i+1]; c {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := rune(hex4(b[i+2 : i+6]))
			i += 6
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+6 <= len(b) && b[i] == '\\' && b[i+1] == 'u' {
					r2 = rune(hex4(b[i+2 : i+6]))
				}
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					r = d
					i += 6
				} else {
					r, ok = utf8.RuneError, false
				}
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default: // '"', '\\', '/'
			dst = append(dst, c)
		}
		i += 2
	}
	return dst, ok
}
