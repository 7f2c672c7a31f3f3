package intercept

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var cst = time.FixedZone("", 8*3600)

// readLines returns the non-empty lines of an NDJSON file in testdata/events.
func readLines(t testing.TB, name string) [][]byte {
	t.Helper()
	data, err := os.ReadFile("testdata/events/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
			lines = append(lines, bytes.Clone(line))
		}
	}
	return lines
}

// validEvents are the events of testdata/events/valid.ndjson, in order.
var validEvents = []Event{
	{ID: "t-1", Kind: KindTransfer, At: time.Date(2026, 11, 21, 10, 0, 0, 0, cst), Bank: "ICBC",
		PayerAccount: "6222020000000001", PayerPhone: "+8613800000001", PayeeAccount: "6228480000000002",
		PayeeBank: "ABC", Amount: 500000, PayerBalance: 520000, HasBalance: true, Channel: "mobile"},
	{ID: "t-2", Kind: KindTransfer, At: time.Date(2026, 11, 21, 10, 7, 30, 250e6, cst), Bank: "CCB",
		PayerAccount: "6217000000000003", PayerPhone: "+8613800000002", PayeeAccount: "6228480000000002",
		PayeeBank: "ABC", PayeeName: "张三", Amount: 4999950, Channel: "online"},
	{ID: "t-3", Kind: KindTransfer, At: time.Date(2026, 11, 21, 2, 8, 0, 0, time.UTC), Bank: "CMB",
		PayerAccount: "6214830000000005", PayeeAccount: "6222600000000004", PayeeBank: "BOCOM",
		Amount: 1, HasBalance: true},
	{ID: "c-1", Kind: KindCall, At: time.Date(2026, 11, 21, 9, 53, 0, 0, cst), Operator: "CMCC",
		Caller: "+85512345678", Callee: "+8613800000001", DurationS: 320, Origin: "international_gateway"},
	{ID: "c-2", Kind: KindCall, At: time.Date(2026, 11, 21, 9, 55, 0, 0, cst), Operator: "CU",
		Caller: "+86110", Callee: "+8613800000002"},
	{ID: "c-3", Kind: KindCall, At: time.Date(2026, 11, 21, 1, 55, 0, 123456789, time.UTC), Operator: "CT",
		Caller: "+8617012345678", Callee: "+861012345678", Origin: "virtual_operator"},
	{ID: "s-1", Kind: KindSMS, At: time.Date(2026, 11, 21, 9, 50, 0, 0, cst), Operator: "CT",
		Caller: "+8617012345678", Callee: "+8613800000001", Text: "【公安局】您涉嫌洗钱，请立即联系 +85512345678 配合调查。"},
	{ID: "s-2", Kind: KindSMS, At: time.Date(2026, 11, 21, 9, 51, 0, 0, cst), Operator: "CMCC",
		Caller: "+8695588", Callee: "+8613800000003", Text: "Your code is 123456.\nDo not share it.\t\"ICBC\" — 😀"},
	{ID: "s-3", Kind: KindSMS, At: time.Date(2026, 11, 21, 9, 52, 0, 0, time.FixedZone("", -5*3600)),
		Operator: "CU", Caller: "+12025550123", Callee: "+8613800000004"},
	{ID: "r-1", Kind: KindReport, At: time.Date(2026, 11, 21, 10, 12, 0, 0, cst), ReporterPhone: "+8613800000001",
		FraudType: "impersonating_police", SuspectNumbers: []string{"+85512345678"},
		SuspectAccounts: []AccountRef{{Bank: "ABC", Account: "6228480000000002"}}, AmountLost: 5200000,
		Narrative: "对方自称公安，要求把钱转到\"安全账户\"。"},
	{ID: "r-2", Kind: KindReport, At: time.Date(2026, 11, 21, 11, 0, 0, 0, cst), ReporterPhone: "+8613900000005",
		FraudType: "fake_investment", SuspectNumbers: []string{"+85512345678", "+8617012345678", "+8696110"},
		SuspectAccounts: []AccountRef{{Bank: "ABC", Account: "6228480000000006", Name: "李四", Amount: 8000000,
			At: time.Date(2026, 11, 20, 15, 30, 0, 0, cst)}, {Bank: "PSBC", Account: "6221880000000007"}},
		AmountLost: 12000000, Narrative: "Told to buy \"crypto\" on an app.\r\nLost everything."},
	{ID: "r-3", Kind: KindReport, At: time.Date(2026, 11, 21, 12, 0, 0, 0, cst), ReporterPhone: "+8613800000008",
		FraudType: "刷单返利"},
}

func TestDecodeValid(t *testing.T) {
	lines := readLines(t, "valid.ndjson")
	canonical := readLines(t, "canonical.ndjson")
	if len(lines) != len(validEvents) || len(canonical) != len(validEvents) {
		t.Fatalf("%d lines, %d canonical lines, %d events", len(lines), len(canonical), len(validEvents))
	}
	var d Decoder
	for i, line := range lines {
		want := validEvents[i]
		t.Run(want.ID, func(t *testing.T) {
			got, err := d.Decode(line)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("Decode mismatch (-want +got):\n%s", diff)
			}
			if g, w := got.At.Format(time.RFC3339Nano), want.At.Format(time.RFC3339Nano); g != w {
				t.Errorf("at = %s, want %s", g, w)
			}
			enc := got.AppendJSON(nil)
			if !bytes.Equal(enc, canonical[i]) {
				t.Errorf("AppendJSON:\n got %s\nwant %s", enc, canonical[i])
			}
			if !json.Valid(enc) {
				t.Errorf("AppendJSON gave invalid JSON %s", enc)
			}
			m, err := json.Marshal(got)
			if err != nil || !bytes.Equal(m, enc) {
				t.Errorf("json.Marshal = %s, %v; want %s", m, err, enc)
			}
			again, err := d.Decode(enc)
			if err != nil {
				t.Fatalf("decode canonical form: %v", err)
			}
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("round trip mismatch (-first +again):\n%s", diff)
			}
		})
	}
}

// The canonical form is the shape of DESIGN.md, field for field.
func TestAppendJSONDesignShape(t *testing.T) {
	ev := validEvents[0]
	want := `{"id":"t-1","kind":"transfer","at":"2026-11-21T10:00:00+08:00","bank":"ICBC","payer_account":"6222020000000001","payer_phone":"+8613800000001","payee_account":"6228480000000002","payee_bank":"ABC","amount":"5000.00","payer_balance":"5200.00","channel":"mobile"}`
	if got := string(ev.AppendJSON(nil)); got != want {
		t.Errorf("AppendJSON:\n got %s\nwant %s", got, want)
	}
	// Odd strings built in code still give valid JSON.
	ev = Event{ID: "a\x00\"\\\u2028\xff<", Kind: KindSMS, Text: "\x1f\x7f"}
	got := ev.AppendJSON(nil)
	want = `{"id":"a\u0000\"\\\u2028\ufffd<","kind":"sms","at":"0001-01-01T00:00:00Z","operator":"","caller":"","callee":"","text":"\u001f` + "\x7f" + `"}`
	if string(got) != want || !json.Valid(got) {
		t.Errorf("AppendJSON:\n got %s\nwant %s", got, want)
	}
}

func TestDecodeDefaultCountry(t *testing.T) {
	line := []byte(`{"id":"c","kind":"call","at":"2026-11-21T10:00:00Z","operator":"CMCC","caller":"012 345 678","callee":"+8613800000001"}`)
	ev, err := Decoder{DefaultCountry: "855"}.Decode(line)
	if err != nil || ev.Caller != "+85512345678" {
		t.Fatalf("Decode = %q, %v; want caller +85512345678", ev.Caller, err)
	}
	_, err = Decoder{DefaultCountry: "bad"}.Decode(line)
	want := []FieldError{{"caller", "national number and no valid default country"}}
	if diff := cmp.Diff(want, fieldErrors(t, err)); diff != "" {
		t.Errorf("bad default country (-want +got):\n%s", diff)
	}
}

func TestValidationError(t *testing.T) {
	_, err := Decoder{}.Decode([]byte(`{"id":"t","kind":"transfer","at":"2026-11-21T10:00:00Z","bank":"ICBC","payer_account":"6222020000000001","payee_account":"6228480000000002","payee_bank":"ABC","amount":"1.001","caller":"110"}`))
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("errors.Is(%v, ErrInvalid) = false", err)
	}
	want := "invalid event: amount: more than 2 decimals; caller: not a field of transfer events"
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
	_, err = Decoder{}.Decode([]byte(`[]`))
	if want := "invalid event: must be a JSON object"; err == nil || err.Error() != want {
		t.Errorf("Error() = %v, want %q", err, want)
	}
}

func fieldErrors(t *testing.T, err error) []FieldError {
	t.Helper()
	if err == nil {
		return nil
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v (%T) is not a *ValidationError", err, err)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("error %v does not wrap ErrInvalid", err)
	}
	return ve.Fields
}

func TestDecodeAllocs(t *testing.T) {
	lines := readLines(t, "valid.ndjson")
	// t-1: id, 2 accounts, phone, channel; codes and time need none.
	if got := testing.AllocsPerRun(100, func() { _, _ = Decoder{}.Decode(lines[0]) }); got > 5 {
		t.Errorf("Decode of a transfer: %v allocs, want at most 5", got)
	}
}

func BenchmarkDecode(b *testing.B) {
	line := readLines(b, "valid.ndjson")[0]
	var d Decoder
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Decode(line); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeAll decodes every line of valid.ndjson per iteration.
func BenchmarkDecodeAll(b *testing.B) {
	lines := readLines(b, "valid.ndjson")
	var d Decoder
	b.ReportAllocs()
	for b.Loop() {
		for _, line := range lines {
			if _, err := d.Decode(line); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkDecodeInvalid(b *testing.B) {
	line := []byte(`{"id":"t-1","kind":"transfer","at":"yesterday","bank":"icbc","payer_account":"62220200000000O1","payee_account":"6228480000000002","payee_bank":"ABC","amount":5000,"extra":1}`)
	var d Decoder
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Decode(line); err == nil {
			b.Fatal("no error")
		}
	}
}

// BenchmarkUnmarshalBaseline is encoding/json decoding the same line into a plain
// struct, with none of the checks: a yardstick for BenchmarkDecode.
func BenchmarkUnmarshalBaseline(b *testing.B) {
	line := readLines(b, "valid.ndjson")[0]
	var v struct {
		ID, Kind, At, Bank, PayerAccount, PayerPhone, PayeeAccount, PayeeBank string
		Amount, PayerBalance, Channel                                         string
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := json.Unmarshal(line, &v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendJSON(b *testing.B) {
	ev := validEvents[0]
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = ev.AppendJSON(buf[:0])
	}
}

// Valid bodies of each kind, to which the bad cases below add or change one thing.
const (
	okTransfer = `"id":"t-1","kind":"transfer","at":"2026-11-21T10:00:00+08:00","bank":"ICBC","payer_account":"6222020000000001","payee_account":"6228480000000002","payee_bank":"ABC","amount":"5000.00"`
	okCall     = `"id":"c-1","kind":"call","at":"2026-11-21T10:00:00+08:00","operator":"CMCC","caller":"+85512345678","callee":"+8613800000001"`
	okSMS      = `"id":"s-1","kind":"sms","at":"2026-11-21T10:00:00+08:00","operator":"CT","caller":"+8617012345678","callee":"+8613800000001"`
	okReport   = `"id":"r-1","kind":"report","at":"2026-11-21T10:00:00+08:00","reporter_phone":"+8613800000001","fraud_type":"impersonating_police"`
)

func TestDecodeInvalid(t *testing.T) {
	long := func(n int) string { return strings.Repeat("字", n) }
	list := func(n int, elem string) string {
		return "[" + strings.TrimSuffix(strings.Repeat(elem+",", n), ",") + "]"
	}
	type fe = FieldError
	tests := []struct {
		name string
		in   string
		want []FieldError
	}{
		// Not one JSON object.
		{"empty", ``, []fe{{"", "empty input: want a JSON object"}}},
		{"blank", " \n\t", []fe{{"", "empty input: want a JSON object"}}},
		{"array", `[{"id":"t-1"}]`, []fe{{"", "must be a JSON object"}}},
		{"string", `"t-1"`, []fe{{"", "must be a JSON object"}}},
		{"null", `null`, []fe{{"", "must be a JSON object"}}},
		{"number then junk", `12 x`, []fe{{"", "invalid JSON at byte 3: unexpected data after the value"}}},
		{"garbage", `hello`, []fe{{"", "invalid JSON at byte 0: unexpected character 'h'"}}},
		{"binary", "\x00{}", []fe{{"", "invalid JSON at byte 0: unexpected byte 0x0"}}},
		{"truncated", `{"id":"t-1","kind":"tra`, []fe{{"", "invalid JSON at byte 23: unexpected end of input in a string"}}},
		{"truncated after colon", `{"id":`, []fe{{"", "invalid JSON at byte 6: unexpected end of input"}}},
		{"unclosed", `{"id":"t-1"`, []fe{{"", "invalid JSON at byte 11: want ',' or '}' after a field"}}},
		{"trailing comma", `{"id":"t-1",}`, []fe{{"", "invalid JSON at byte 12: want a field name in double quotes"}}},
		{"missing colon", `{"id" "t-1"}`, []fe{{"", "invalid JSON at byte 6: want ':' after a field name"}}},
		{"single quotes", `{'id':'t-1'}`, []fe{{"", "invalid JSON at byte 1: want a field name in double quotes"}}},
		{"trailing object", `{` + okCall + `} {}`, []fe{{"", "invalid JSON at byte 128: unexpected data after the object"}}},
		{"two lines", `{` + okCall + "}\n{" + okCall + `}`, []fe{{"", "invalid JSON at byte 128: unexpected data after the object"}}},
		{"bad escape", `{"id":"t\x1"}`, []fe{{"", "invalid JSON at byte 8: invalid escape in a string"}}},
		{"bad unicode escape", `{"id":"t\u12G4"}`, []fe{{"", `invalid JSON at byte 8: invalid \u escape`}}},
		{"raw newline in string", "{\"id\":\"t\n1\"}", []fe{{"", "invalid JSON at byte 8: control character in a string"}}},
		{"bad number", `{"duration_s":01}`, []fe{{"", "invalid JSON at byte 15: want ',' or '}' after a field"}}},
		{"bad number 2", `{"duration_s":1.}`, []fe{{"", "invalid JSON at byte 14: invalid number"}}},
		{"bad literal", `{"payer_phone":nul}`, []fe{{"", "invalid JSON at byte 15: invalid literal, want null"}}},
		{"too deep", `{"x":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, []fe{{"", "invalid JSON at byte 36: nested too deeply"}}},
		{"syntax error wins over field errors", `{"nope":1,"id":}`, []fe{{"", "invalid JSON at byte 15: unexpected character '}'"}}},

		// Unknown, duplicate and misplaced fields.
		{"unknown field", `{` + okTransfer + `,"memo":"x"}`, []fe{{"memo", "unknown field"}}},
		{"unknown fields keep their order", `{"zz":1,` + okCall + `,"Caller":"+8613800000001"}`, []fe{{"zz", "unknown field"}, {"Caller", "unknown field"}}},
		{"unknown escaped key", `{` + okCall + `,"a\u0062c":1}`, []fe{{"abc", "unknown field"}}},
		{"long unknown key", `{` + okCall + `,"` + strings.Repeat("k", 100) + `":1}`, []fe{{strings.Repeat("k", 64) + "…", "unknown field"}}},
		{"escaped known key", `{` + okCall + `,"dur\u0061tion_s":5}`, nil},
		{"duplicate field", `{` + okTransfer + `,"amount":"1.00"}`, []fe{{"amount", "duplicate field"}}},
		{"duplicate kind", `{` + okSMS + `,"kind":"call"}`, []fe{{"kind", "duplicate field"}}},
		{"duplicate misplaced field", `{` + okSMS + `,"amount":"1","amount":"2"}`, []fe{{"amount", "not a field of sms events"}, {"amount", "duplicate field"}}},
		{"transfer field in call", `{` + okCall + `,"amount":"5.00","bank":"ICBC"}`, []fe{{"amount", "not a field of call events"}, {"bank", "not a field of call events"}}},
		{"call field in sms", `{` + okSMS + `,"duration_s":3,"origin":"x"}`, []fe{{"duration_s", "not a field of sms events"}, {"origin", "not a field of sms events"}}},
		{"sms field in call", `{` + okCall + `,"text":"hi"}`, []fe{{"text", "not a field of call events"}}},
		{"call field in transfer", `{` + okTransfer + `,"caller":"110"}`, []fe{{"caller", "not a field of transfer events"}}},
		{"transfer field in report", `{` + okReport + `,"payer_account":"6222020000000001"}`, []fe{{"payer_account", "not a field of report events"}}},
		{"misplaced field before kind, bad value", `{"narrative":5,` + okTransfer + `}`, []fe{{"narrative", "not a field of transfer events"}}},

		// Missing fields.
		{"empty object", `{}`, []fe{{"id", "required"}, {"kind", "required"}, {"at", "required"}}},
		{"no kind: value errors still found", `{"id":"x","at":"2026-11-21T10:00:00Z","amount":"-1","caller":"abc"}`, []fe{{"amount", "must not have a sign"}, {"caller", "not a phone number"}, {"kind", "required"}}},
		{"bad kind", `{"id":"x","kind":"wire","at":"2026-11-21T10:00:00Z","bank":"ICBC"}`, []fe{{"kind", "must be one of transfer, call, sms, report"}}},
		{"kind not a string", `{"id":"x","kind":1,"at":"2026-11-21T10:00:00Z"}`, []fe{{"kind", "must be a string"}}},
		{"transfer missing all", `{"id":"t","kind":"transfer","at":"2026-11-21T10:00:00Z"}`, []fe{{"bank", "required"}, {"payer_account", "required"}, {"payee_account", "required"}, {"payee_bank", "required"}, {"amount", "required"}}},
		{"call missing all", `{"id":"c","kind":"call","at":"2026-11-21T10:00:00Z"}`, []fe{{"operator", "required"}, {"caller", "required"}, {"callee", "required"}}},
		{"sms missing all", `{"id":"s","kind":"sms","at":"2026-11-21T10:00:00Z","text":"hi"}`, []fe{{"operator", "required"}, {"caller", "required"}, {"callee", "required"}}},
		{"report missing all", `{"id":"r","kind":"report","at":"2026-11-21T10:00:00Z"}`, []fe{{"reporter_phone", "required"}, {"fraud_type", "required"}}},
		{"null required", `{"id":null,"kind":"call","at":"2026-11-21T10:00:00Z","operator":"CMCC","caller":null,"callee":"+8613800000001"}`, []fe{{"id", "required"}, {"caller", "required"}}},
		{"null optional is absent", `{` + okCall + `,"duration_s":null,"origin":null}`, nil},

		// Wrong JSON types.
		{"id number", `{"id":1,"kind":"call","at":"2026-11-21T10:00:00Z","operator":"CMCC","caller":"110","callee":"110"}`, []fe{{"id", "must be a string"}}},
		{"at number", `{"id":"x","kind":"call","at":1732154400,"operator":"CMCC","caller":"110","callee":"110"}`, []fe{{"at", "must be a string"}}},
		{"amount number", `{"id":"t-1","kind":"transfer","at":"2026-11-21T10:00:00+08:00","bank":"ICBC","payer_account":"6222020000000001","payee_account":"6228480000000002","payee_bank":"ABC","amount":5000}`, []fe{{"amount", "must be a decimal string in yuan"}}},
		{"balance object", `{` + okTransfer + `,"payer_balance":{}}`, []fe{{"payer_balance", "must be a decimal string in yuan"}}},
		{"bank bool", `{` + okReport + `,"suspect_accounts":[{"bank":true,"account":"6228480000000002"}]}`, []fe{{"suspect_accounts[0].bank", "must be a string"}}},
		{"caller array", `{"id":"c","kind":"call","at":"2026-11-21T10:00:00Z","operator":"CMCC","caller":["110"],"callee":"110"}`, []fe{{"caller", "must be a string"}}},
		{"duration string", `{` + okCall + `,"duration_s":"320"}`, []fe{{"duration_s", "must be an integer"}}},
		{"duration fraction", `{` + okCall + `,"duration_s":3.5}`, []fe{{"duration_s", "must be an integer"}}},
		{"duration exponent", `{` + okCall + `,"duration_s":3e2}`, []fe{{"duration_s", "must be an integer"}}},
		{"suspect_numbers string", `{` + okReport + `,"suspect_numbers":"+85512345678"}`, []fe{{"suspect_numbers", "must be an array of strings"}}},
		{"suspect_numbers element", `{` + okReport + `,"suspect_numbers":["+85512345678",855,null]}`, []fe{{"suspect_numbers[1]", "must be a string"}, {"suspect_numbers[2]", "must be a string"}}},
		{"suspect_accounts object", `{` + okReport + `,"suspect_accounts":{"bank":"ABC","account":"6228480000000002"}}`, []fe{{"suspect_accounts", "must be an array of objects"}}},
		{"suspect_accounts element", `{` + okReport + `,"suspect_accounts":["6228480000000002"]}`, []fe{{"suspect_accounts[0]", "must be an object"}}},
		{"text number", `{` + okSMS + `,"text":42}`, []fe{{"text", "must be a string"}}},

		// Bad values.
		{"id empty", `{"id":"","kind":"call","at":"2026-11-21T10:00:00Z","operator":"CMCC","caller":"110","callee":"110"}`, []fe{{"id", "must not be empty"}}},
		{"id too long", `{"id":"` + strings.Repeat("x", 129) + `","kind":"call","at":"2026-11-21T10:00:00Z","operator":"CMCC","caller":"110","callee":"110"}`, []fe{{"id", "longer than 128 characters"}}},
		{"id control char", `{"id":"t\u0000","kind":"call","at":"2026-11-21T10:00:00Z","operator":"CMCC","caller":"110","callee":"110"}`, []fe{{"id", "must not contain control characters"}}},
		{"id tab", `{"id":"t\t1","kind":"call","at":"2026-11-21T10:00:00Z","operator":"CMCC","caller":"110","callee":"110"}`, []fe{{"id", "must not contain control characters"}}},
		{"id invalid utf-8", "{\"id\":\"t\xff\",\"kind\":\"call\",\"at\":\"2026-11-21T10:00:00Z\",\"operator\":\"CMCC\",\"caller\":\"110\",\"callee\":\"110\"}", []fe{{"id", "invalid UTF-8"}}},
		{"id lone surrogate", `{"id":"t\ud800","kind":"call","at":"2026-11-21T10:00:00Z","operator":"CMCC","caller":"110","callee":"110"}`, []fe{{"id", `invalid \u escape (lone surrogate)`}}},
		{"at not rfc 3339", `{"id":"x","kind":"call","at":"2026-11-21 10:00:00","operator":"CMCC","caller":"110","callee":"110"}`, []fe{{"at", "must be an RFC 3339 time like 2026-11-21T10:00:00+08:00"}}},
		{"at no offset", `{"id":"x","kind":"call","at":"2026-11-21T10:00:00","operator":"CMCC","caller":"110","callee":"110"}`, []fe{{"at", "must be an RFC 3339 time like 2026-11-21T10:00:00+08:00"}}},
		{"at bad day", `{"id":"x","kind":"call","at":"2026-02-29T10:00:00Z","operator":"CMCC","caller":"110","callee":"110"}`, []fe{{"at", "must be an RFC 3339 time like 2026-11-21T10:00:00+08:00"}}},
		{"at hour 24", `{"id":"x","kind":"call","at":"2026-11-21T24:00:00Z","operator":"CMCC","caller":"110","callee":"110"}`, []fe{{"at", "must be an RFC 3339 time like 2026-11-21T10:00:00+08:00"}}},
		{"at comma fraction", `{"id":"x","kind":"call","at":"2026-11-21T10:00:00,5Z","operator":"CMCC","caller":"110","callee":"110"}`, []fe{{"at", "must be an RFC 3339 time like 2026-11-21T10:00:00+08:00"}}},
		{"at 10 fraction digits", `{"id":"x","kind":"call","at":"2026-11-21T10:00:00.1234567890Z","operator":"CMCC","caller":"110","callee":"110"}`, []fe{{"at", "must be an RFC 3339 time like 2026-11-21T10:00:00+08:00"}}},
		{"bank lower case", `{"id":"t-1","kind":"transfer","at":"2026-11-21T10:00:00+08:00","bank":"icbc","payer_account":"6222020000000001","payee_account":"6228480000000002","payee_bank":"AB-C","amount":"5000.00"}`, []fe{{"bank", "must be upper case"}, {"payee_bank", "must be 2 to 16 characters of A-Z, 0-9 and _"}}},
		{"operator too short", `{"id":"c","kind":"call","at":"2026-11-21T10:00:00Z","operator":"C","caller":"110","callee":"110"}`, []fe{{"operator", "must be 2 to 16 characters of A-Z, 0-9 and _"}}},
		{"bad accounts", `{"id":"t-1","kind":"transfer","at":"2026-11-21T10:00:00+08:00","bank":"ICBC","payer_account":"62220200000000O1","payee_account":"123","payee_bank":"ABC","amount":"5000.00"}`, []fe{{"payer_account", "must be digits"}, {"payee_account", "too short"}}},
		{"bad phones", `{"id":"c","kind":"call","at":"2026-11-21T10:00:00Z","operator":"CMCC","caller":"+1234567890123456","callee":"call me"}`, []fe{{"caller", "too long"}, {"callee", "not a phone number"}}},
		{"empty phone", `{` + okTransfer + `,"payer_phone":""}`, []fe{{"payer_phone", "empty"}}},
		{"amount zero", `{"id":"t-1","kind":"transfer","at":"2026-11-21T10:00:00+08:00","bank":"ICBC","payer_account":"6222020000000001","payee_account":"6228480000000002","payee_bank":"ABC","amount":"0.00"}`, []fe{{"amount", "must be more than 0"}}},
		{"amount decimals", `{"id":"t-1","kind":"transfer","at":"2026-11-21T10:00:00+08:00","bank":"ICBC","payer_account":"6222020000000001","payee_account":"6228480000000002","payee_bank":"ABC","amount":"5000.001"}`, []fe{{"amount", "more than 2 decimals"}}},
		{"balance negative", `{` + okTransfer + `,"payer_balance":"-1.00"}`, []fe{{"payer_balance", "must not have a sign"}}},
		{"amount overflow", `{` + okReport + `,"amount_lost":"99999999999999999999"}`, []fe{{"amount_lost", "too large"}}},
		{"channel empty", `{` + okTransfer + `,"channel":""}`, []fe{{"channel", "must not be empty"}}},
		{"channel too long", `{` + okTransfer + `,"channel":"` + strings.Repeat("m", 65) + `"}`, []fe{{"channel", "longer than 64 characters"}}},
		{"duration negative", `{` + okCall + `,"duration_s":-1}`, []fe{{"duration_s", "must be an integer from 0 to 86400"}}},
		{"duration too long", `{` + okCall + `,"duration_s":86401}`, []fe{{"duration_s", "must be an integer from 0 to 86400"}}},
		{"duration huge", `{` + okCall + `,"duration_s":100000000000000000000000}`, []fe{{"duration_s", "must be an integer from 0 to 86400"}}},
		{"origin control", `{` + okCall + `,"origin":"gw\n"}`, []fe{{"origin", "must not contain control characters"}}},
		{"text too long", `{` + okSMS + `,"text":"` + long(2001) + `"}`, []fe{{"text", "longer than 2000 characters"}}},
		{"text control char", `{` + okSMS + `,"text":"a\u0007"}`, []fe{{"text", "must not contain control characters"}}},
		{"narrative too long", `{` + okReport + `,"narrative":"` + long(4001) + `"}`, []fe{{"narrative", "longer than 4000 characters"}}},
		{"fraud_type empty", `{"id":"r-1","kind":"report","at":"2026-11-21T10:00:00+08:00","reporter_phone":"+8613800000001","fraud_type":""}`, []fe{{"fraud_type", "must not be empty"}}},
		{"too many numbers", `{` + okReport + `,"suspect_numbers":` + list(101, `"110"`) + `}`, []fe{{"suspect_numbers", "more than 100 numbers"}}},
		{"too many accounts", `{` + okReport + `,"suspect_accounts":` + list(101, `{"bank":"ABC","account":"6228480000000002"}`) + `}`, []fe{{"suspect_accounts", "more than 100 accounts"}}},
		{"bad suspect numbers", `{` + okReport + `,"suspect_numbers":["+85512345678","abc","+0123"]}`, []fe{{"suspect_numbers[1]", "not a phone number"}, {"suspect_numbers[2]", "country code cannot start with 0"}}},
		{"bad suspect accounts", `{` + okReport + `,"suspect_accounts":[{"bank":"ABC","account":"6228480000000002"},{"bank":"abc","note":"x"},{"account":"1","account":"2","bank":null}]}`, []fe{
			{"suspect_accounts[1].bank", "must be upper case"},
			{"suspect_accounts[1].note", "unknown field"},
			{"suspect_accounts[1].account", "required"},
			{"suspect_accounts[2].account", "too short"},
			{"suspect_accounts[2].account", "duplicate field"},
			{"suspect_accounts[2].bank", "required"},
		}},

		{"payee_name empty", `{` + okTransfer + `,"payee_name":""}`, []fe{{"payee_name", "must not be empty"}}},
		{"payee_name too long", `{` + okTransfer + `,"payee_name":"` + strings.Repeat("名", 101) + `"}`, []fe{{"payee_name", "longer than 100 characters"}}},
		{"payee_name in a call", `{` + okCall + `,"payee_name":"张三"}`, []fe{{"payee_name", "not a field of call events"}}},
		{"bad suspect account details", `{` + okReport + `,"suspect_accounts":[{"bank":"ABC","account":"6228480000000002","name":"a\nb","amount":"0","at":"yesterday"},{"bank":"ABC","account":"6228480000000003","amount":80000,"name":7,"at":null}]}`, []fe{
			{"suspect_accounts[0].name", "must not contain control characters"},
			{"suspect_accounts[0].amount", "must be more than 0"},
			{"suspect_accounts[0].at", "must be an RFC 3339 time like 2026-11-21T10:00:00+08:00"},
			{"suspect_accounts[1].amount", "must be a decimal string in yuan"},
			{"suspect_accounts[1].name", "must be a string"},
		}},

		// Many problems at once, in the order of the input, missing fields last.
		{"everything", `{"id":"","kind":"transfer","at":"now","bank":"icbc","payer_account":"x","payee_bank":"ABC","amount":5,"caller":"110","memo":1}`, []fe{
			{"id", "must not be empty"},
			{"at", "must be an RFC 3339 time like 2026-11-21T10:00:00+08:00"},
			{"bank", "must be upper case"},
			{"payer_account", "must be digits"},
			{"amount", "must be a decimal string in yuan"},
			{"caller", "not a field of transfer events"},
			{"memo", "unknown field"},
			{"payee_account", "required"},
		}},
	}
	var d Decoder
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := d.Decode([]byte(tt.in))
			if diff := cmp.Diff(tt.want, fieldErrors(t, err)); diff != "" {
				t.Errorf("Decode(%.120s) field errors (-want +got):\n%s", tt.in, diff)
			}
			if err != nil && !cmp.Equal(ev, Event{}) {
				t.Errorf("Decode returned a partial event with its error: %+v", ev)
			}
		})
	}
}

func TestDecodeTooManyErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"id":"x","kind":"call","at":"2026-11-21T10:00:00Z","operator":"CMCC","caller":"110","callee":"110"`)
	for i := range 100 {
		b.WriteString(`,"x` + strconv.Itoa(i) + `":1`)
	}
	b.WriteString("}")
	_, err := Decoder{}.Decode([]byte(b.String()))
	fields := fieldErrors(t, err)
	if len(fields) != maxFieldErrors+1 || fields[maxFieldErrors] != (FieldError{"", "too many errors; the rest are not shown"}) {
		t.Errorf("got %d field errors, last %v", len(fields), fields[len(fields)-1])
	}
}
