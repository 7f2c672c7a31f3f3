package intercept

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendJSON appends the canonical JSON form of e to b: the fields of its kind in the
// order of DESIGN.md, money as "5000.00", at in RFC 3339 with its offset (and
// fractions only when it has some), optional fields omitted when absent or zero.
// Decoding the result gives e back.
func (e *Event) AppendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, e.ID)
	b = append(b, `,"kind":"`...)
	b = append(b, e.Kind.String()...)
	b = append(b, `","at":"`...)
	b = e.At.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	switch e.Kind {
	case KindTransfer:
		b = appendStringField(b, fBank, e.Bank, true)
		b = appendStringField(b, fPayerAccount, e.PayerAccount, true)
		b = appendStringField(b, fPayerPhone, e.PayerPhone, false)
		b = appendStringField(b, fPayeeAccount, e.PayeeAccount, true)
		b = appendStringField(b, fPayeeBank, e.PayeeBank, true)
		b = appendStringField(b, fPayeeName, e.PayeeName, false)
		b = appendMoneyField(b, fAmount, e.Amount)
		if e.HasBalance {
			b = appendMoneyField(b, fPayerBalance, e.PayerBalance)
		}
		b = appendStringField(b, fChannel, e.Channel, false)
	case KindCall, KindSMS:
		b = appendStringField(b, fOperator, e.Operator, true)
		b = appendStringField(b, fCaller, e.Caller, true)
		b = appendStringField(b, fCallee, e.Callee, true)
		if e.Kind == KindSMS {
			b = appendStringField(b, fText, e.Text, false)
			break
		}
		if e.DurationS != 0 {
			b = appendKey(b, fDurationS)
			b = strconv.AppendInt(b, int64(e.DurationS), 10)
		}
		b = appendStringField(b, fOrigin, e.Origin, false)
	case KindReport:
		b = appendStringField(b, fReporterPhone, e.ReporterPhone, true)
		b = appendStringField(b, fFraudType, e.FraudType, true)
		if len(e.SuspectNumbers) > 0 {
			b = appendKey(b, fSuspectNumbers)
			for i, n := range e.SuspectNumbers {
				b = append(b, listSep(i))
				b = appendJSONString(b, n)
			}
			b = append(b, ']')
		}
		if len(e.SuspectAccounts) > 0 {
			b = appendKey(b, fSuspectAccounts)
			for i, a := range e.SuspectAccounts {
				b = append(b, listSep(i))
				b = append(b, `{"bank":`...)
				b = appendJSONString(b, a.Bank)
				b = append(b, `,"account":`...)
				b = appendJSONString(b, a.Account)
				if a.Name != "" {
					b = append(b, `,"name":`...)
					b = appendJSONString(b, a.Name)
				}
				if a.Amount != 0 {
					b = append(b, `,"amount":"`...)
					b = append(appendFen(b, a.Amount), '"')
				}
				if !a.At.IsZero() {
					b = append(b, `,"at":"`...)
					b = append(a.At.AppendFormat(b, time.RFC3339Nano), '"')
				}
				b = append(b, '}')
			}
			b = append(b, ']')
		}
		if e.AmountLost != 0 {
			b = appendMoneyField(b, fAmountLost, e.AmountLost)
		}
		b = appendStringField(b, fNarrative, e.Narrative, false)
	}
	return append(b, '}')
}

// MarshalJSON returns the canonical JSON form of e (see AppendJSON).
func (e Event) MarshalJSON() ([]byte, error) {
	return e.AppendJSON(make([]byte, 0, 384)), nil
}

func listSep(i int) byte {
	if i == 0 {
		return '['
	}
	return ','
}

func appendKey(b []byte, f decField) []byte {
	b = append(b, ',', '"')
	b = append(b, decNames[f]...)
	return append(b, '"', ':')
}

func appendStringField(b []byte, f decField, s string, required bool) []byte {
	if s == "" && !required {
		return b
	}
	return appendJSONString(appendKey(b, f), s)
}

func appendMoneyField(b []byte, f decField, v Fen) []byte {
	b = append(appendKey(b, f), '"')
	return append(appendFen(b, v), '"')
}

// appendJSONString appends s as a JSON string in the canonical event form. Invalid
// UTF-8 becomes U+FFFD, as in encoding/json; U+2028 and U+2029 are escaped so that
// the output is also valid JavaScript.
func appendJSONString(b []byte, s string) []byte { return appendString(b, s, false) }

// appendMarshalString appends s exactly as json.Marshal writes a string: as
// appendJSONString does, and also <, > and & as \u003c, \u003e and \u0026, backspace
// and form feed as \b and \f. Hand-written encoders of types that were encoded by
// json.Marshal (decisions) use it, so that their bytes do not change.
func appendMarshalString(b []byte, s string) []byte { return appendString(b, s, true) }

// plainSafe and htmlSafe hold the ASCII bytes that stand for themselves in a JSON
// string: in the canonical event form, and in json.Marshal's output, which escapes
// <, > and & as well.
var plainSafe, htmlSafe = func() (p, h [utf8.RuneSelf]bool) {
	for c := byte(0x20); c < utf8.RuneSelf; c++ {
		p[c] = c != '"' && c != '\\'
		h[c] = p[c] && c != '<' && c != '>' && c != '&'
	}
	return p, h
}()

func appendString(b []byte, s string, marshal bool) []byte {
	const hex = "0123456789abcdef"
	safe := &plainSafe
	if marshal {
		safe = &htmlSafe
	}
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if safe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\b' && marshal:
				b = append(b, '\\', 'b')
			case c == '\f' && marshal:
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// UnmarshalJSON decodes an event strictly (see Decoder), with the default country 86
// for national numbers; canonical JSON has none.
func (e *Event) UnmarshalJSON(b []byte) error {
	ev, err := Decoder{}.Decode(b)
	if err != nil {
		return err
	}
	*e = ev
	return nil
}
