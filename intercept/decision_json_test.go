package intercept_test

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/lanjie/lanjie/intercept"
	it "github.com/lanjie/lanjie/intercept/intercepttest"
	"github.com/lanjie/lanjie/rules"
)

// The reference for the hand-written encoders is encoding/json itself, on types with
// the same fields and tags but none of the methods: plainDecision has no MarshalJSON,
// so json.Marshal encodes it by reflection, as it encoded Decision before.
type plainDecision intercept.Decision

// plainResult is intercept.Result with a plainDecision; TestPlainMirrorsMatch keeps
// its fields and tags those of Result.
type plainResult struct {
	Line     int                    `json:"line"`
	Decision *plainDecision         `json:"decision,omitempty"`
	Error    string                 `json:"error,omitempty"`
	Fields   []intercept.FieldError `json:"fields,omitempty"`
}

// plainRecord is intercept.DecidedRecord with a plainDecision.
type plainRecord struct {
	Event    intercept.Event `json:"event"`
	Decision *plainDecision  `json:"decision"`
}

func wantDecision(t testing.TB, d *intercept.Decision) []byte {
	t.Helper()
	b, err := json.Marshal((*plainDecision)(d))
	if err != nil {
		t.Fatalf("reference encoding of %+v: %v", d, err)
	}
	return b
}

// checkDecision holds AppendJSON, MarshalJSON and json.Marshal (through the method,
// and by value, which does not reach it) to the reference bytes, and checks that
// the output decodes back into a Decision that encodes the same.
func checkDecision(t *testing.T, d *intercept.Decision) {
	t.Helper()
	want := wantDecision(t, d)
	prefix := []byte("xyz")
	if got := d.AppendJSON(bytes.Clone(prefix)); !bytes.Equal(got, append(prefix, want...)) {
		t.Fatalf("AppendJSON:\n got %s\nwant xyz%s", got, want)
	}
	if got, err := d.MarshalJSON(); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("MarshalJSON: %v\n got %s\nwant %s", err, got, want)
	}
	if got, err := json.Marshal(d); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("json.Marshal(*Decision): %v\n got %s\nwant %s", err, got, want)
	}
	if got, err := json.Marshal(*d); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("json.Marshal(Decision): %v\n got %s\nwant %s", err, got, want)
	}
	var back intercept.Decision
	if err := json.Unmarshal(want, &back); err != nil {
		t.Fatalf("decode %s: %v", want, err)
	}
	// Invalid UTF-8 comes back as U+FFFD, which is not escaped when encoded again.
	if again := back.AppendJSON(nil); !bytes.Equal(again, want) && !bytes.Contains(want, []byte(`\ufffd`)) {
		t.Fatalf("decoded and encoded again:\n got %s\nwant %s", again, want)
	}
}

func checkResult(t *testing.T, r *intercept.Result) {
	t.Helper()
	want, err := json.Marshal(plainResult{Line: r.Line, Decision: (*plainDecision)(r.Decision), Error: r.Error, Fields: r.Fields})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.AppendJSON(nil); !bytes.Equal(got, want) {
		t.Fatalf("Result.AppendJSON:\n got %s\nwant %s", got, want)
	}
	if got, err := json.Marshal(r); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("json.Marshal(*Result): %v\n got %s\nwant %s", err, got, want)
	}
}

func checkRecord(t *testing.T, r intercept.DecidedRecord) {
	t.Helper()
	want, err := json.Marshal(plainRecord{Event: r.Event, Decision: (*plainDecision)(r.Decision)})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.AppendJSON([]byte("xyz")); !bytes.Equal(got, append([]byte("xyz"), want...)) {
		t.Fatalf("DecidedRecord.AppendJSON:\n got %s\nwant xyz%s", got, want)
	}
	if got, err := json.Marshal(r); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("json.Marshal(DecidedRecord): %v\n got %s\nwant %s", err, got, want)
	}
}

func TestPlainMirrorsMatch(t *testing.T) {
	for _, c := range []struct{ real, mirror reflect.Type }{
		{reflect.TypeFor[intercept.Result](), reflect.TypeFor[plainResult]()},
		{reflect.TypeFor[intercept.DecidedRecord](), reflect.TypeFor[plainRecord]()},
	} {
		var real, mirror []string
		for f := range c.real.Fields() {
			if f.IsExported() {
				real = append(real, f.Name+" "+string(f.Tag))
			}
		}
		for f := range c.mirror.Fields() {
			mirror = append(mirror, f.Name+" "+string(f.Tag))
		}
		if !reflect.DeepEqual(real, mirror) {
			t.Errorf("%v has fields %q, its mirror %q", c.real, real, mirror)
		}
	}
}

// worldDecisions decides n events of a small synthetic world on the starter rules.
func worldDecisions(t testing.TB, n int) ([]*intercept.Event, []*intercept.Decision) {
	t.Helper()
	lists := intercept.NewLists()
	w, err := it.NewWorld(lists, 2000, 2000, 5000, 7)
	if err != nil {
		t.Fatal(err)
	}
	e, err := intercept.New(intercept.DefaultSettings(), lists, nil, discardLog)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	set, err := rules.NewSet(rules.Starter())
	if err != nil {
		t.Fatal(err)
	}
	e.SetEvaluator(set)
	evs := w.Events(n)
	ds := make([]*intercept.Decision, len(evs))
	for i, ev := range evs {
		if ds[i], err = e.Decide(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	return evs, ds
}

func TestDecisionJSONWorld(t *testing.T) {
	evs, ds := worldDecisions(t, 20000)
	levels := map[intercept.Level]int{}
	var actions, cases int
	for i, d := range ds {
		checkDecision(t, d)
		checkRecord(t, intercept.DecidedRecord{Event: *evs[i], Decision: d})
		checkResult(t, &intercept.Result{Line: i + 1, Decision: d})
		levels[d.Level]++
		actions += len(d.Actions)
		if d.CaseID != "" {
			cases++
		}
	}
	// The world must have given the encoders something to do.
	if levels[intercept.Red] == 0 || levels[intercept.Green] == 0 || actions == 0 || cases == 0 {
		t.Errorf("world gave levels %v, %d actions, %d cases: too plain to test with", levels, actions, cases)
	}
}

var nasty = []string{
	"", `"quoted"`, `back\slash`, "tab\tnew\nline\rcr\bbs\fff", "\x00\x01\x1f\x7f",
	"<script>&amp;</script>", "line\u2028para\u2029", "bad \xff utf8 \xc3", "\xe2\x80", "\xed\xa0\x80",
	"电信诈骗：冒充公检法", "emoji 😀", "\ufffd", "a\u00e9b",
}

func edgeDecisions() []*intercept.Decision {
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	full := intercept.Action{Type: intercept.ActStopPayment, Bank: "ICBC", Account: "6222", Operator: "CMCC",
		Phone: "+8613800000001", Tier: "high", OrderID: "OD-1", TaskID: "TK-1", Existing: true, Rule: "r<1>"}
	ds := []*intercept.Decision{
		{}, // nil slices, zero time
		{Matched: []intercept.Match{}, Shadow: []intercept.Match{}, Errors: []intercept.RuleError{}, Actions: []intercept.Action{}},
		{EventID: "e-1", Kind: "transfer", Score: -5, Level: intercept.Red, LatencyUS: -1, DecidedAt: t0,
			Matched: []intercept.Match{{Rule: "a", Version: 3, Score: 40, Why: "x", Links: []string{"c-1", "c-2"},
				Actions: []intercept.RuleAction{{Type: intercept.ActWarn, Target: "caller"}}}, {Links: []string{}}},
			Shadow:  []intercept.Match{{Rule: "s", Why: "shadow"}},
			Errors:  []intercept.RuleError{{Rule: "bad", Error: "division by zero"}, {}},
			Actions: []intercept.Action{full, {Type: intercept.ActWarn}, {}},
			CaseID:  "CS-1", Duplicate: true},
		{Level: intercept.Level(9), DecidedAt: t0.Add(123456789 * time.Nanosecond)},
		{Level: intercept.Orange, DecidedAt: t0.Add(500 * time.Millisecond).In(time.FixedZone("CST", 8*3600))},
		{Level: intercept.Yellow, DecidedAt: t0.Add(time.Nanosecond).In(time.FixedZone("", -(5*3600 + 30*60)))},
		{DecidedAt: time.Date(1, 1, 1, 0, 0, 0, 0, time.FixedZone("", 23*3600+59*60))},
		{DecidedAt: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.Local)},
		{DecidedAt: time.Date(0, 1, 1, 0, 0, 0, 1000, time.UTC)},
		{DecidedAt: time.Now()}, // with a monotonic reading
	}
	for _, s := range nasty {
		ds = append(ds, &intercept.Decision{EventID: s, Kind: s, CaseID: s, DecidedAt: t0,
			Matched: []intercept.Match{{Rule: s, Why: s, Links: []string{s}}},
			Shadow:  []intercept.Match{{Rule: s, Why: s}},
			Errors:  []intercept.RuleError{{Rule: s, Error: s}},
			Actions: []intercept.Action{{Type: intercept.ActionType(s), Bank: s, Account: s, Operator: s, Phone: s,
				Tier: s, OrderID: s, TaskID: s, Rule: s}}})
	}
	return ds
}

func TestDecisionJSONEdges(t *testing.T) {
	for _, d := range edgeDecisions() {
		checkDecision(t, d)
		checkResult(t, &intercept.Result{Line: 3, Decision: d, Error: "x"})
	}
}

func TestDecisionJSONTimeOutOfRange(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 12, 31, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600)),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", -100*3600)),
	} {
		d := &intercept.Decision{DecidedAt: at}
		if _, err := json.Marshal((*plainDecision)(d)); err == nil {
			t.Fatalf("%v: the reference has no error; the case is wrong", at)
		}
		if b, err := d.MarshalJSON(); err == nil {
			t.Errorf("%v: MarshalJSON gave %s, want an error as json.Marshal gives", at, b)
		}
	}
}

func TestResultJSON(t *testing.T) {
	d := edgeDecisions()[2]
	for _, r := range []intercept.Result{
		{},
		{Line: 1, Decision: d},
		{Line: 2, Error: "invalid event: amount: more than 2 decimals"},
		{Line: 3, Error: "invalid", Fields: []intercept.FieldError{}},
		{Line: 4, Error: "invalid <event>", Fields: []intercept.FieldError{{Field: "amount", Reason: "more than 2 decimals"}, {Reason: "bad \xff"}}},
		{Line: 1 << 40, Decision: d, Error: "both", Fields: []intercept.FieldError{{Field: "f", Reason: "r"}}},
	} {
		checkResult(t, &r)
	}
}

func TestDecidedRecordJSON(t *testing.T) {
	d := edgeDecisions()[2]
	checkRecord(t, intercept.DecidedRecord{})
	for _, s := range nasty {
		checkRecord(t, intercept.DecidedRecord{Event: *it.SMS("s-"+s, it.T0, "+8613800000001", "+8613800000002", s), Decision: d})
		ev := it.Report("r-1", it.T0, "+8613800000001", []string{"+85512345678"}, []string{"6222"})
		ev.Narrative, ev.FraudType = s+"&<>"+s, "a&b"
		checkRecord(t, intercept.DecidedRecord{Event: *ev})
	}
}

func TestAuditEntryJSON(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 7, 0, 123456789, time.FixedZone("CST", 8*3600))
	entries := []intercept.AuditEntry{{}, {At: at, Who: "key:k1", Action: "POST /api/v1/decide"}}
	for _, s := range nasty {
		entries = append(entries, intercept.AuditEntry{At: at.UTC(), Who: s, Role: s, Action: s + "&", Target: "/x<" + s, Detail: s, Remote: s})
	}
	for _, a := range entries {
		want, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		if got := a.AppendJSON([]byte("prefix")); !bytes.Equal(got, append([]byte("prefix"), want...)) {
			t.Errorf("AppendJSON(%+v)\n got %s\nwant prefix%s", a, got, want)
		}
	}
}

// TestIngestJournalsRecords checks the records the desk journals, which share one
// buffer, against the reference, and that they restore.
func TestIngestJournalsRecords(t *testing.T) {
	lists := intercept.NewLists()
	w, err := it.NewWorld(lists, 100, 100, 100, 3)
	if err != nil {
		t.Fatal(err)
	}
	e, err := intercept.New(intercept.DefaultSettings(), lists, nil, discardLog)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	set, err := rules.NewSet(rules.Starter())
	if err != nil {
		t.Fatal(err)
	}
	e.SetEvaluator(set)
	j := &it.Journal{}
	desk := intercept.NewDesk(e, j, intercept.Decoder{}, discardLog)
	var lines [][]byte
	for _, ev := range w.Events(500) {
		lines = append(lines, ev.AppendJSON(nil))
	}
	lines = append(lines, []byte(`{"id":"bad"}`), lines[0]) // a bad line and a duplicate
	res, err := desk.IngestChecked(context.Background(), lines, nil, &intercept.AuditEntry{Who: "test"})
	if err != nil {
		t.Fatal(err)
	}
	recs := j.Records()
	if len(recs) != 501 { // 500 decided and the audit entry
		t.Fatalf("%d records, want 501", len(recs))
	}
	for i, r := range recs[:500] {
		ev, err := intercept.Decoder{}.Decode(lines[i])
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(plainRecord{Event: ev, Decision: (*plainDecision)(res[i].Decision)})
		if err != nil {
			t.Fatal(err)
		}
		if r.Type != intercept.RecDecided || !bytes.Equal(r.Data, want) {
			t.Fatalf("record %d (type %d):\n got %s\nwant %s", i, r.Type, r.Data, want)
		}
		var back intercept.DecidedRecord
		if err := json.Unmarshal(r.Data, &back); err != nil || back.Decision == nil || back.Event.ID != ev.ID {
			t.Fatalf("record %d does not decode: %v", i, err)
		}
	}
	checkResult(t, &res[500])
	if res[500].Error == "" || !res[501].Decision.Duplicate {
		t.Errorf("bad line gave %+v, duplicate %+v", res[500], res[501].Decision)
	}
}

// TestDecisionGob checks that snapshots, which gob-encode decisions, ignore the JSON
// methods.
func TestDecisionGob(t *testing.T) {
	ds := edgeDecisions()[:3]
	in := []intercept.Decision{*ds[0], *ds[1], *ds[2]}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(in); err != nil {
		t.Fatal(err)
	}
	var out []intercept.Decision
	if err := gob.NewDecoder(&buf).Decode(&out); err != nil {
		t.Fatal(err)
	}
	// gob drops empty slices and time zones names: compare what survives it.
	if len(out) != 3 || out[2].EventID != "e-1" || !out[2].DecidedAt.Equal(in[2].DecidedAt) ||
		!reflect.DeepEqual(out[2].Actions, in[2].Actions) || !out[2].Duplicate || len(out[2].Matched[0].Actions) != 1 {
		t.Errorf("gob round trip gave %+v", out)
	}
}

func FuzzDecisionJSON(f *testing.F) {
	f.Add("c-1", "call", "overseas_caller", "+855 <a&b>", 120, int64(35), uint8(3), int64(1795226400), int64(5e8), 8*3600)
	f.Add("", "", "", "", 0, int64(0), uint8(0), int64(0), int64(0), 0)
	f.Add("\xff\u2028", "\b\f\\\"", "电信", "\x00", -1, int64(-1), uint8(255), int64(-62135596801), int64(1), -86400)
	f.Fuzz(func(t *testing.T, a, b, c, d string, score int, latency int64, flags uint8, sec, nsec int64, off int) {
		dec := &intercept.Decision{EventID: a, Kind: b, Score: score, Level: intercept.Level(flags % 6), LatencyUS: latency,
			DecidedAt: time.Unix(sec, nsec).In(time.FixedZone(d, off%(48*3600))), CaseID: c, Duplicate: flags&8 != 0}
		m := intercept.Match{Rule: b, Version: score / 3, Score: score, Why: d, Links: []string{a, c}}
		if flags&16 != 0 {
			dec.Matched = []intercept.Match{m, {Rule: c}}
			dec.Shadow = []intercept.Match{{Why: a, Links: []string{}}}
			dec.Errors = []intercept.RuleError{{Rule: c, Error: d}}
		} else if flags&32 != 0 {
			dec.Matched, dec.Actions = []intercept.Match{}, []intercept.Action{}
		}
		if flags&64 != 0 {
			dec.Actions = append(dec.Actions, intercept.Action{Type: intercept.ActionType(a), Bank: b, Account: c, Operator: d,
				Phone: a, Tier: b, OrderID: c, TaskID: d, Existing: flags&128 != 0, Rule: a}, intercept.Action{Phone: d})
		}
		want, err := json.Marshal((*plainDecision)(dec))
		got, gotErr := dec.MarshalJSON()
		if err != nil {
			if gotErr == nil {
				t.Fatalf("json.Marshal: %v; MarshalJSON gave %s", err, got)
			}
			return
		}
		if gotErr != nil || !bytes.Equal(got, want) {
			t.Fatalf("MarshalJSON: %v\n got %s\nwant %s", gotErr, got, want)
		}
		r := intercept.Result{Line: score, Decision: dec, Error: d, Fields: []intercept.FieldError{{Field: a, Reason: b}}}
		checkResult(t, &r)
	})
}

// BenchmarkDecidedRecordJSON compares encoding/json's reflection with the hand-written
// encoder on a journal record, for a red decision (matches, actions) and a green one.
func BenchmarkDecidedRecordJSON(b *testing.B) {
	evs, ds := worldDecisions(b, 5000)
	pick := func(l intercept.Level) int {
		for i, d := range ds {
			if d.Level == l && (l == intercept.Green || len(d.Actions) > 0) {
				return i
			}
		}
		b.Fatalf("no %s decision", l)
		return 0
	}
	for _, l := range []intercept.Level{intercept.Red, intercept.Green} {
		i := pick(l)
		rec := intercept.DecidedRecord{Event: *evs[i], Decision: ds[i]}
		b.Run(l.String()+"/encoding_json", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := json.Marshal(plainRecord{Event: rec.Event, Decision: (*plainDecision)(rec.Decision)}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(l.String()+"/append", func(b *testing.B) {
			b.ReportAllocs()
			var buf []byte
			for b.Loop() {
				buf = rec.AppendJSON(buf[:0])
			}
			b.ReportMetric(float64(len(buf)), "bytes")
		})
	}
}
