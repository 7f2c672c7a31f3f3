package intercept

import (
	"bytes"
	"fmt"
	"strconv"
	"time"
)

// Every event's decision is encoded twice, in its journal record and in the answer to
// the feed, and encoding/json's reflection cost a noticeable share of the server's CPU
// there. These encoders append by hand the very bytes json.Marshal wrote before
// Decision had a MarshalJSON (decision_json_test.go holds them to it), so the journal,
// the API and every other json.Marshal of a decision keep their format.

// AppendJSON appends d as json.Marshal encodes it: fields in declaration order,
// "matched" and "actions" null when nil and [] when empty, the omitempty fields left
// out when empty, strings escaped as encoding/json escapes them. DecidedAt is written
// as time.Time.MarshalJSON writes it; a time that has no RFC 3339 form (a year past
// 9999) is written anyway, where MarshalJSON returns an error (see checkJSONTime).
func (d *Decision) AppendJSON(b []byte) []byte {
	b = append(b, `{"event_id":`...)
	b = appendMarshalString(b, d.EventID)
	b = append(b, `,"kind":`...)
	b = appendMarshalString(b, d.Kind)
	b = append(b, `,"score":`...)
	b = strconv.AppendInt(b, int64(d.Score), 10)
	b = append(b, `,"level":"`...)
	b = append(b, d.Level.String()...) // the names need no escaping
	b = append(b, `","matched":`...)
	b = appendMatches(b, d.Matched)
	if len(d.Shadow) > 0 {
		b = append(b, `,"shadow":`...)
		b = appendMatches(b, d.Shadow)
	}
	if len(d.Errors) > 0 {
		b = append(b, `,"errors":`...)
		for i := range d.Errors {
			b = append(b, listSep(i))
			b = d.Errors[i].appendJSON(b)
		}
		b = append(b, ']')
	}
	b = append(b, `,"actions":`...)
	if d.Actions == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range d.Actions {
			if i > 0 {
				b = append(b, ',')
			}
			b = d.Actions[i].appendJSON(b)
		}
		b = append(b, ']')
	}
	b = append(b, `,"latency_us":`...)
	b = strconv.AppendInt(b, d.LatencyUS, 10)
	b = append(b, `,"decided_at":"`...)
	b = d.DecidedAt.AppendFormat(b, time.RFC3339Nano) // as time.Time.MarshalJSON writes it
	b = append(b, '"')
	if d.CaseID != "" {
		b = append(b, `,"case_id":`...)
		b = appendMarshalString(b, d.CaseID)
	}
	if d.Duplicate {
		b = append(b, `,"duplicate":true`...)
	}
	return append(b, '}')
}

// MarshalJSON returns d as AppendJSON encodes it, or the error json.Marshal gave
// for a DecidedAt that has no RFC 3339 form. Only *Decision has it: gob, which
// snapshots use, looks for gob and binary marshalers, never for this, and decoding
// a Decision is left to encoding/json.
func (d *Decision) MarshalJSON() ([]byte, error) {
	if err := checkJSONTime(d.DecidedAt); err != nil {
		return nil, fmt.Errorf("decision %s: decided_at: %w", d.EventID, err)
	}
	return d.AppendJSON(make([]byte, 0, 512)), nil
}

// checkJSONTime returns the error time.Time.MarshalJSON would return for t: a year
// outside [0,9999] or a zone offset of a day or more has no RFC 3339 form.
func checkJSONTime(t time.Time) error {
	if y := t.Year(); y < 0 || y > 9999 {
		return fmt.Errorf("time %d: year outside of range [0,9999]", y)
	}
	if _, off := t.Zone(); off/60 >= 24*60 || off/60 <= -24*60 {
		return fmt.Errorf("time zone offset %ds: hour outside of range [0,23]", off)
	}
	return nil
}

// appendMatches appends ms as a JSON array, or null when ms is nil.
func appendMatches(b []byte, ms []Match) []byte {
	if ms == nil {
		return append(b, "null"...)
	}
	if len(ms) == 0 {
		return append(b, '[', ']')
	}
	for i := range ms {
		b = append(b, listSep(i))
		b = ms[i].appendJSON(b)
	}
	return append(b, ']')
}

func (m *Match) appendJSON(b []byte) []byte {
	b = append(b, `{"rule":`...)
	b = appendMarshalString(b, m.Rule)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, int64(m.Version), 10)
	b = append(b, `,"score":`...)
	b = strconv.AppendInt(b, int64(m.Score), 10)
	b = append(b, `,"why":`...)
	b = appendMarshalString(b, m.Why)
	if len(m.Links) > 0 {
		b = append(b, `,"links":`...)
		for i, l := range m.Links {
			b = append(b, listSep(i))
			b = appendMarshalString(b, l)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func (a *Action) appendJSON(b []byte) []byte {
	b = append(b, `{"type":`...)
	b = appendMarshalString(b, string(a.Type))
	b = appendOmitEmpty(b, `,"bank":`, a.Bank)
	b = appendOmitEmpty(b, `,"account":`, a.Account)
	b = appendOmitEmpty(b, `,"operator":`, a.Operator)
	b = appendOmitEmpty(b, `,"phone":`, a.Phone)
	b = appendOmitEmpty(b, `,"tier":`, a.Tier)
	b = appendOmitEmpty(b, `,"order_id":`, a.OrderID)
	b = appendOmitEmpty(b, `,"task_id":`, a.TaskID)
	if a.Existing {
		b = append(b, `,"existing":true`...)
	}
	b = appendOmitEmpty(b, `,"rule":`, a.Rule)
	return append(b, '}')
}

func (e *RuleError) appendJSON(b []byte) []byte {
	b = append(b, `{"rule":`...)
	b = appendMarshalString(b, e.Rule)
	b = append(b, `,"error":`...)
	b = appendMarshalString(b, e.Error)
	return append(b, '}')
}

func (f *FieldError) appendJSON(b []byte) []byte {
	b = append(b, `{"field":`...)
	b = appendMarshalString(b, f.Field)
	b = append(b, `,"reason":`...)
	b = appendMarshalString(b, f.Reason)
	return append(b, '}')
}

// AppendJSON appends a as json.Marshal encodes it (see Decision.AppendJSON for the
// time's form). Every feed post journals one, beside its events.
func (a *AuditEntry) AppendJSON(b []byte) []byte {
	b = append(b, `{"at":"`...)
	b = a.At.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","who":`...)
	b = appendMarshalString(b, a.Who)
	b = appendOmitEmpty(b, `,"role":`, a.Role)
	b = append(b, `,"action":`...)
	b = appendMarshalString(b, a.Action)
	b = appendOmitEmpty(b, `,"target":`, a.Target)
	b = appendOmitEmpty(b, `,"detail":`, a.Detail)
	b = appendOmitEmpty(b, `,"remote":`, a.Remote)
	return append(b, '}')
}

// appendOmitEmpty appends key (`,"name":`) and s, unless s is empty.
func appendOmitEmpty(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return appendMarshalString(append(b, key...), s)
}

// AppendJSON appends r as json.Marshal encodes it (see Decision.AppendJSON).
func (r *Result) AppendJSON(b []byte) []byte {
	b = append(b, `{"line":`...)
	b = strconv.AppendInt(b, int64(r.Line), 10)
	if r.Decision != nil {
		b = append(b, `,"decision":`...)
		b = r.Decision.AppendJSON(b)
	}
	b = appendOmitEmpty(b, `,"error":`, r.Error)
	if len(r.Fields) > 0 {
		b = append(b, `,"fields":`...)
		for i := range r.Fields {
			b = append(b, listSep(i))
			b = r.Fields[i].appendJSON(b)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// AppendJSON appends r as json.Marshal encodes it: the event in its canonical form
// (Event.MarshalJSON) with <, > and & escaped as json.Marshal escapes them in what a
// MarshalJSON returns, then the decision (see Decision.AppendJSON).
func (r DecidedRecord) AppendJSON(b []byte) []byte {
	b = append(b, `{"event":`...)
	start := len(b)
	b = r.Event.AppendJSON(b)
	b = escapeHTML(b, start)
	b = append(b, `,"decision":`...)
	if r.Decision == nil {
		b = append(b, "null"...)
	} else {
		b = r.Decision.AppendJSON(b)
	}
	return append(b, '}')
}

// escapeHTML escapes <, > and & in b[start:], which holds JSON, as json.Marshal does
// in a MarshalJSON's output; they can only be inside strings there. U+2028 and U+2029,
// which it escapes too, the canonical event form escapes already. Events almost never
// hold these bytes, so the common case is three fast searches and no copy.
func escapeHTML(b []byte, start int) []byte {
	const hex = "0123456789abcdef"
	t := b[start:]
	if bytes.IndexByte(t, '<') < 0 && bytes.IndexByte(t, '>') < 0 && bytes.IndexByte(t, '&') < 0 {
		return b
	}
	tail := bytes.Clone(t)
	b = b[:start]
	for _, c := range tail {
		if c == '<' || c == '>' || c == '&' {
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		} else {
			b = append(b, c)
		}
	}
	return b
}
