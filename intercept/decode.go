package intercept

import (
	"slices"
	"strconv"
	"strings"
)

// Events are decoded by a small scanner of our own rather than by encoding/json, for
// two reasons: a bad event must report every bad field, not the first one, and
// duplicate keys must be refused; both are out of reach of json.Unmarshal. The scanner
// also saves the allocations of reflection: this runs for every fed event.

// FieldError names one bad field of an input and says why.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// ValidationError lists every bad field of one input. errors.Is(err, ErrInvalid) holds.
// A body that is not a JSON object is reported as one FieldError with an empty Field.
type ValidationError struct {
	What   string // what was invalid: "order", "case", …; "" is an event
	Fields []FieldError
}

// Error lists the fields: "invalid event: amount: more than 2 decimals; caller: required".
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("invalid ")
	if e.What == "" {
		b.WriteString("event")
	} else {
		b.WriteString(e.What)
	}
	for i, f := range e.Fields {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		if f.Field != "" {
			b.WriteString(f.Field)
			b.WriteString(": ")
		}
		b.WriteString(f.Reason)
	}
	return b.String()
}

// Unwrap returns ErrInvalid.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// inputError is an invalid value; reason is what a FieldError says about it.
type inputError struct{ what, reason string }

func (e *inputError) Error() string { return "invalid " + e.what + ": " + e.reason }
func (e *inputError) Unwrap() error { return ErrInvalid }

func reasonOf(err error) string {
	if e, ok := err.(*inputError); ok {
		return e.reason
	}
	return err.Error()
}

// Decoder turns JSON into events. DefaultCountry is the calling code (digits, e.g.
// "86") for national numbers; empty means "86".
type Decoder struct {
	DefaultCountry string
}

// Limits of an event, beyond the per-type ones of phones, accounts and money.
const (
	maxIDLen       = 128
	maxLabelLen    = 64  // channel, origin, fraud_type
	maxNameLen     = 100 // an account holder's name (payee_name, suspect_accounts[].name)
	maxTextLen     = 2000
	maxNarrative   = 4000
	maxDuration    = 86400
	maxSuspects    = 100
	maxFieldErrors = 32
	maxJSONDepth   = 32
)

// Decode decodes one event from a JSON object. Every problem is reported, each as a
// FieldError of a *ValidationError: unknown, duplicate, missing and misplaced fields
// (a field of another kind of event), wrong JSON types and bad values. The event shares
// no memory with data, which the caller may reuse.
func (d Decoder) Decode(data []byte) (Event, error) {
	st := decodeState{data: data, cc: d.DefaultCountry}
	if st.cc == "" {
		st.cc = "86"
	}
	var buf [24]decMember
	members, ok := st.topLevel(buf[:0])
	if !ok {
		return Event{}, &ValidationError{Fields: []FieldError{{Reason: st.syntax}}}
	}
	kind := KindUnknown
	for _, m := range members {
		if string(st.key(m)) == "kind" {
			if b, reason := st.str(m.vs, m.ve); reason == "" {
				kind = kindOf(b)
			}
			break
		}
	}
	allowed := decCommon
	if kind != KindUnknown {
		allowed |= decKindFields[kind]
	}
	var ev Event
	var given, present decSet
	for _, m := range members {
		k := st.key(m)
		f, known := decLookup(k)
		switch {
		case !known:
			st.add(fieldLabel(k), "unknown field")
		case given.has(f):
			st.add(decNames[f], "duplicate field")
		case kind != KindUnknown && !allowed.has(f):
			given |= 1 << f
			st.add(decNames[f], decNotOf[kind])
		default:
			given |= 1 << f
			if st.set(&ev, f, m.vs, m.ve) {
				present |= 1 << f
			}
		}
	}
	required := decRequired[kind]
	for f := decField(0); f < decNumFields; f++ {
		if required.has(f) && !present.has(f) {
			st.add(decNames[f], "required")
		}
	}
	if len(st.errs) > 0 {
		return Event{}, &ValidationError{Fields: st.errs}
	}
	ev.Kind = kind
	return ev, nil
}

// decField numbers the fields of all kinds, in the order of their JSON form.
type decField uint8

const (
	fID decField = iota
	fKind
	fAt
	fBank
	fPayerAccount
	fPayerPhone
	fPayeeAccount
	fPayeeBank
	fPayeeName
	fAmount
	fPayerBalance
	fChannel
	fOperator
	fCaller
	fCallee
	fDurationS
	fOrigin
	fText
	fReporterPhone
	fFraudType
	fSuspectNumbers
	fSuspectAccounts
	fAmountLost
	fNarrative
	decNumFields
)

var decNames = [decNumFields]string{
	"id", "kind", "at",
	"bank", "payer_account", "payer_phone", "payee_account", "payee_bank", "payee_name", "amount",
	"payer_balance", "channel",
	"operator", "caller", "callee", "duration_s", "origin", "text",
	"reporter_phone", "fraud_type", "suspect_numbers", "suspect_accounts", "amount_lost",
	"narrative",
}

func decLookup(key []byte) (decField, bool) {
	switch string(key) {
	case "id":
		return fID, true
	case "kind":
		return fKind, true
	case "at":
		return fAt, true
	case "bank":
		return fBank, true
	case "payer_account":
		return fPayerAccount, true
	case "payer_phone":
		return fPayerPhone, true
	case "payee_account":
		return fPayeeAccount, true
	case "payee_bank":
		return fPayeeBank, true
	case "payee_name":
		return fPayeeName, true
	case "amount":
		return fAmount, true
	case "payer_balance":
		return fPayerBalance, true
	case "channel":
		return fChannel, true
	case "operator":
		return fOperator, true
	case "caller":
		return fCaller, true
	case "callee":
		return fCallee, true
	case "duration_s":
		return fDurationS, true
	case "origin":
		return fOrigin, true
	case "text":
		return fText, true
	case "reporter_phone":
		return fReporterPhone, true
	case "fraud_type":
		return fFraudType, true
	case "suspect_numbers":
		return fSuspectNumbers, true
	case "suspect_accounts":
		return fSuspectAccounts, true
	case "amount_lost":
		return fAmountLost, true
	case "narrative":
		return fNarrative, true
	}
	return 0, false
}

type decSet uint32

func (s decSet) has(f decField) bool { return s&(1<<f) != 0 }

func decFields(fs ...decField) decSet {
	var s decSet
	for _, f := range fs {
		s |= 1 << f
	}
	return s
}

var (
	decCommon     = decFields(fID, fKind, fAt)
	decKindFields = [numKinds]decSet{
		KindTransfer: decFields(fBank, fPayerAccount, fPayerPhone, fPayeeAccount, fPayeeBank, fPayeeName,
			fAmount, fPayerBalance, fChannel),
		KindCall:   decFields(fOperator, fCaller, fCallee, fDurationS, fOrigin),
		KindSMS:    decFields(fOperator, fCaller, fCallee, fText),
		KindReport: decFields(fReporterPhone, fFraudType, fSuspectNumbers, fSuspectAccounts, fAmountLost, fNarrative),
	}
	decRequired = [numKinds]decSet{
		KindUnknown:  decCommon,
		KindTransfer: decCommon | decFields(fBank, fPayerAccount, fPayeeAccount, fPayeeBank, fAmount),
		KindCall:     decCommon | decFields(fOperator, fCaller, fCallee),
		KindSMS:      decCommon | decFields(fOperator, fCaller, fCallee),
		KindReport:   decCommon | decFields(fReporterPhone, fFraudType),
	}
	decNotOf = [numKinds]string{
		KindTransfer: "not a field of transfer events",
		KindCall:     "not a field of call events",
		KindSMS:      "not a field of sms events",
		KindReport:   "not a field of report events",
	}
)

func kindOf(b []byte) Kind {
	switch string(b) {
	case "transfer":
		return KindTransfer
	case "call":
		return KindCall
	case "sms":
		return KindSMS
	case "report":
		return KindReport
	}
	return KindUnknown
}

// decodeState is one Decode call: the input, the errors found so far and a buffer for
// strings with escapes.
type decodeState struct {
	data    []byte
	cc      string
	syntax  string
	esc     bool // the last string scanned has escapes
	errs    []FieldError
	scratch []byte
	keyBuf  []byte
}

// add records a problem; past maxFieldErrors, one more says that some were left out.
func (st *decodeState) add(field, reason string) {
	switch {
	case len(st.errs) < maxFieldErrors:
		st.errs = append(st.errs, FieldError{Field: field, Reason: reason})
	case len(st.errs) == maxFieldErrors:
		st.errs = append(st.errs, FieldError{Reason: "too many errors; the rest are not shown"})
	}
}

// set decodes the value of field f into ev and reports what is wrong with it. It
// returns false for null, which counts as absent.
func (st *decodeState) set(ev *Event, f decField, vs, ve int) (present bool) {
	c := st.data[vs]
	if c == 'n' {
		return false // null: absent
	}
	name := decNames[f]
	switch f {
	case fDurationS:
		n, reason := parseDuration(st.data[vs:ve])
		if reason != "" {
			st.add(name, reason)
		}
		ev.DurationS = n
		return true
	case fSuspectNumbers:
		ev.SuspectNumbers = st.suspectNumbers(vs, ve)
		return true
	case fSuspectAccounts:
		ev.SuspectAccounts = st.suspectAccounts(vs, ve)
		return true
	case fAmount, fPayerBalance, fAmountLost:
		if c != '"' {
			st.add(name, "must be a decimal string in yuan")
			return true
		}
	}
	b, reason := st.str(vs, ve)
	if reason != "" {
		st.add(name, reason)
		return true
	}
	switch f {
	case fKind:
		if kindOf(b) == KindUnknown {
			st.add(name, "must be one of transfer, call, sms, report")
		}
	case fAt:
		t, ok := parseTime(b)
		if !ok {
			st.add(name, "must be an RFC 3339 time like 2026-11-21T10:00:00+08:00")
		}
		ev.At = t
	case fAmount, fPayerBalance, fAmountLost:
		v, err := parseYuan(b)
		switch {
		case err != nil:
			st.add(name, reasonOf(err))
		case f == fAmount && v == 0:
			st.add(name, "must be more than 0")
		}
		switch f {
		case fAmount:
			ev.Amount = v
		case fPayerBalance:
			ev.PayerBalance, ev.HasBalance = v, true
		default:
			ev.AmountLost = v
		}
	default:
		s, reason := st.text(f, b)
		if reason != "" {
			st.add(name, reason)
		}
		*stringField(ev, f) = s
	}
	return true
}

// text checks and converts the string fields.
func (st *decodeState) text(f decField, b []byte) (string, string) {
	switch f {
	case fID:
		if reason := checkText(b, 1, maxIDLen, false); reason != "" {
			return "", reason
		}
	case fBank, fPayeeBank, fOperator:
		return code(b)
	case fPayerAccount, fPayeeAccount:
		s, err := normalizeAccount(b)
		if err != nil {
			return "", reasonOf(err)
		}
		return s, ""
	case fPayerPhone, fCaller, fCallee, fReporterPhone:
		s, err := normalizePhone(b, st.cc)
		if err != nil {
			return "", reasonOf(err)
		}
		return s, ""
	case fChannel, fOrigin, fFraudType:
		if reason := checkText(b, 1, maxLabelLen, false); reason != "" {
			return "", reason
		}
	case fPayeeName:
		if reason := checkText(b, 1, maxNameLen, false); reason != "" {
			return "", reason
		}
	case fText:
		if reason := checkText(b, 0, maxTextLen, true); reason != "" {
			return "", reason
		}
	case fNarrative:
		if reason := checkText(b, 0, maxNarrative, true); reason != "" {
			return "", reason
		}
	}
	return string(b), ""
}

// stringField is where a string field goes in an event.
func stringField(ev *Event, f decField) *string {
	switch f {
	case fID:
		return &ev.ID
	case fBank:
		return &ev.Bank
	case fPayerAccount:
		return &ev.PayerAccount
	case fPayerPhone:
		return &ev.PayerPhone
	case fPayeeAccount:
		return &ev.PayeeAccount
	case fPayeeBank:
		return &ev.PayeeBank
	case fPayeeName:
		return &ev.PayeeName
	case fChannel:
		return &ev.Channel
	case fOperator:
		return &ev.Operator
	case fCaller:
		return &ev.Caller
	case fCallee:
		return &ev.Callee
	case fOrigin:
		return &ev.Origin
	case fText:
		return &ev.Text
	case fReporterPhone:
		return &ev.ReporterPhone
	case fFraudType:
		return &ev.FraudType
	case fNarrative:
		return &ev.Narrative
	}
	panic("intercept: no string field " + decNames[f])
}

// suspects returns the elements of the suspect array at vs, or none after adding the
// field's error: not an array of what, or more than maxSuspects of them (plural).
func (st *decodeState) suspects(name string, vs int, what, plural string, buf []decSpan) []decSpan {
	if st.data[vs] != '[' {
		st.add(name, "must be an array of "+what)
		return nil
	}
	elems, n := st.elements(vs, buf)
	if n > maxSuspects {
		st.add(name, "more than 100 "+plural)
		return nil
	}
	return elems
}

// suspectNumbers decodes an array of at most maxSuspects phone numbers; errors name
// the element: suspect_numbers[1].
func (st *decodeState) suspectNumbers(vs, ve int) []string {
	const name = "suspect_numbers"
	var buf [8]decSpan
	elems := st.suspects(name, vs, "strings", "numbers", buf[:0])
	if len(elems) == 0 {
		return nil
	}
	out := make([]string, 0, len(elems))
	for i, e := range elems {
		b, reason := st.str(e.s, e.e)
		if reason == "" {
			s, err := normalizePhone(b, st.cc)
			if err != nil {
				reason = reasonOf(err)
			}
			out = append(out, s)
		}
		if reason != "" {
			st.add(name+"["+strconv.Itoa(i)+"]", reason)
		}
	}
	return out
}

// suspectAccounts decodes an array of at most maxSuspects account objects.
func (st *decodeState) suspectAccounts(vs, ve int) []AccountRef {
	const name = "suspect_accounts"
	var buf [8]decSpan
	elems := st.suspects(name, vs, "objects", "accounts", buf[:0])
	if len(elems) == 0 {
		return nil
	}
	out := make([]AccountRef, len(elems))
	for i, e := range elems {
		if st.data[e.s] != '{' {
			st.add(name+"["+strconv.Itoa(i)+"]", "must be an object")
			continue
		}
		st.accountRef(&out[i], i, e.s)
	}
	return out
}

// accountRefNames are the fields of a suspect account; bank and account are required.
var accountRefNames = [...]string{"bank", "account", "name", "amount", "at"}

// accountRef decodes element i of suspect_accounts; errors name the element's field:
// suspect_accounts[1].account.
func (st *decodeState) accountRef(a *AccountRef, i, vs int) {
	path := func(f string) string { return "suspect_accounts[" + strconv.Itoa(i) + "]." + f }
	var buf [8]decMember
	members, _ := st.object(vs, 1, buf[:0]) // valid: checked by topLevel
	var given, present [len(accountRefNames)]bool
	for _, m := range members {
		k := st.key(m)
		j := slices.Index(accountRefNames[:], string(k))
		if j < 0 {
			st.add(path(fieldLabel(k)), "unknown field")
			continue
		}
		if given[j] {
			st.add(path(accountRefNames[j]), "duplicate field")
			continue
		}
		given[j] = true
		if st.data[m.vs] == 'n' {
			continue // absent: reported below if required
		}
		present[j] = true
		if j == 3 && st.data[m.vs] != '"' {
			st.add(path("amount"), "must be a decimal string in yuan")
			continue
		}
		b, reason := st.str(m.vs, m.ve)
		if reason == "" {
			reason = a.set(j, b)
		}
		if reason != "" {
			st.add(path(accountRefNames[j]), reason)
		}
	}
	for j := range 2 {
		if !present[j] {
			st.add(path(accountRefNames[j]), "required")
		}
	}
}

// set decodes field j (of accountRefNames) of a suspect account from its string b and
// says what is wrong with it.
func (a *AccountRef) set(j int, b []byte) string {
	var err error
	switch j {
	case 0:
		var reason string
		a.Bank, reason = code(b)
		return reason
	case 1:
		a.Account, err = normalizeAccount(b)
	case 2:
		if reason := checkText(b, 1, maxNameLen, false); reason != "" {
			return reason
		}
		a.Name = string(b)
	case 3:
		if a.Amount, err = parseYuan(b); err == nil && a.Amount == 0 {
			return "must be more than 0"
		}
	case 4:
		var ok bool
		if a.At, ok = parseTime(b); !ok {
			return "must be an RFC 3339 time like 2026-11-21T10:00:00+08:00"
		}
	}
	if err != nil {
		return reasonOf(err)
	}
	return ""
}
