package intercept_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/lanjie/lanjie/intercept"
	it "github.com/lanjie/lanjie/intercept/intercepttest"
)

// fakeEvaluator is an Evaluator whose behaviour each test sets.
type fakeEvaluator struct {
	EvaluateFunc func(st *intercept.State, ev *intercept.Event, out *intercept.Outcome)
}

func (f fakeEvaluator) Evaluate(st *intercept.State, ev *intercept.Event, out *intercept.Outcome) {
	if f.EvaluateFunc != nil {
		f.EvaluateFunc(st, ev, out)
	}
}

var discardLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// testEngine returns an engine with settings s whose rules are fn, closed when t ends.
func testEngine(t testing.TB, s intercept.Settings, fn func(*intercept.State, *intercept.Event, *intercept.Outcome)) *intercept.Engine {
	t.Helper()
	e, err := intercept.New(s, nil, nil, discardLog)
	if err != nil {
		t.Fatalf("new engine: %v", err)
	}
	t.Cleanup(e.Close)
	e.SetEvaluator(fakeEvaluator{fn})
	return e
}

// scoring returns rules that match every event once with score and actions.
func scoring(score int, actions ...intercept.RuleAction) func(*intercept.State, *intercept.Event, *intercept.Outcome) {
	return func(_ *intercept.State, _ *intercept.Event, out *intercept.Outcome) {
		out.Matched = append(out.Matched, intercept.Match{Rule: "fake", Version: 1, Score: score, Why: "test", Actions: actions})
	}
}

func decide(t testing.TB, e *intercept.Engine, ev *intercept.Event) *intercept.Decision {
	t.Helper()
	d, err := e.Decide(context.Background(), ev)
	if err != nil {
		t.Fatalf("decide %s: %v", ev.ID, err)
	}
	return d
}

const (
	payer      = "6222020000000001"
	payerPhone = "+8613800000001"
	payee      = "6228480000000002"
	victim     = "+8613800000001"
	scammer    = "+85512345678"
	official   = "+8695588"
)

var (
	stopPayee   = intercept.RuleAction{Type: intercept.ActStopPayment, Target: "payee_account"}
	freezePayee = intercept.RuleAction{Type: intercept.ActFreezeRequest, Target: "payee_account"}
	warnPayer   = intercept.RuleAction{Type: intercept.ActWarn, Target: "payer_phone"}
	cutCaller   = intercept.RuleAction{Type: intercept.ActCutoff, Target: "caller"}
	warnCallee  = intercept.RuleAction{Type: intercept.ActWarn, Target: "callee"}
)

func TestDecideInvalid(t *testing.T) {
	e := testEngine(t, intercept.DefaultSettings(), scoring(90, stopPayee))
	valid := func() *intercept.Event { return it.Transfer("t-1", it.T0, payer, payerPhone, payee, 5000) }
	tests := []struct {
		name string
		edit func(*intercept.Event)
	}{
		{"no id", func(ev *intercept.Event) { ev.ID = "" }},
		{"no kind", func(ev *intercept.Event) { ev.Kind = intercept.KindUnknown }},
		{"unknown kind", func(ev *intercept.Event) { ev.Kind = 99 }},
		{"no time", func(ev *intercept.Event) { ev.At = time.Time{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := valid()
			tt.edit(ev)
			d, err := e.Decide(context.Background(), ev)
			if !errors.Is(err, intercept.ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
			if d != nil {
				t.Errorf("decision %+v for an invalid event", d)
			}
		})
	}
	// Nothing was recorded: the id is still new and the payee untouched.
	if _, ok := e.State().Stopped(payee); ok {
		t.Error("an invalid event stopped the payee")
	}
	if n, _, _ := e.State().PayeeTransfers(payee, it.T0, time.Hour); n != 0 {
		t.Errorf("an invalid event was counted: %d", n)
	}
	if d := decide(t, e, valid()); d.Duplicate {
		t.Error("the id of an invalid event was remembered")
	}
}

func TestDecideReportListsSuspects(t *testing.T) {
	e := testEngine(t, intercept.DefaultSettings(), nil)
	it.White(t, e, official)
	ev := it.Report("r-1", it.T0, victim, []string{scammer, official, "not-a-number"}, []string{payee, "ABC-77"})
	d := decide(t, e, ev)
	if d.Level != intercept.Green || len(d.Actions) != 0 {
		t.Errorf("report with no rules: %s with %d actions, want green and none", d.Level, len(d.Actions))
	}

	lists := e.State().Lists
	want := func(v string) intercept.Entry {
		return intercept.Entry{Value: v, List: intercept.ListBlack, Reason: "reported: impersonating_police",
			Source: "report", Who: "r-1", Added: it.T0.UTC()}
	}
	later := it.T0.Add(time.Hour)
	for _, tt := range []struct {
		name string
		hit  intercept.Hit
		want intercept.Entry
	}{
		{"suspect number", lists.Number(scammer, later), want(scammer)},
		{"suspect account", lists.Account(payee, later), want(payee)},
		{"suspect account, not digits", lists.Account("ABC-77", later), want("ABC-77")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, lists.HitEntry(tt.hit)); diff != "" {
				t.Errorf("entry (-want +got):\n%s", diff)
			}
		})
	}
	if got := lists.HitEntry(lists.Number(official, later)); got.List != intercept.ListWhite || got.Source != "desk" {
		t.Errorf("official number after the report: %+v, want still white from the desk", got)
	}
	if n, _, a := lists.Len(); n != 2 || a != 2 {
		t.Errorf("Len = %d numbers, %d accounts; want 2 (official, scammer), 2", n, a)
	}
	if v := e.State().Victims(payee, later); v != 1 {
		t.Errorf("Victims(payee) = %d, want 1", v)
	}
}

func TestDecideActionsByLevel(t *testing.T) {
	transfer := func(id string) *intercept.Event { return it.Transfer(id, it.T0, payer, payerPhone, payee, 5000) }
	call := func(id string) *intercept.Event { return it.Call(id, it.T0, scammer, victim) }
	tests := []struct {
		name    string
		ev      func(id string) *intercept.Event
		score   int
		actions []intercept.RuleAction
		level   intercept.Level
		want    []intercept.Action
	}{
		{"green", transfer, 10, []intercept.RuleAction{stopPayee, warnPayer}, intercept.Green, nil},
		{"yellow", transfer, 20, []intercept.RuleAction{stopPayee, warnPayer}, intercept.Yellow, nil},
		{"orange warns and queues review", transfer, 50, []intercept.RuleAction{stopPayee, freezePayee, warnPayer}, intercept.Orange, []intercept.Action{
			{Type: intercept.ActWarn, Phone: payerPhone, Tier: "medium", Rule: "fake"},
			{Type: intercept.ActReview},
		}},
		{"orange without warn only reviews", transfer, 79, []intercept.RuleAction{stopPayee}, intercept.Orange, []intercept.Action{
			{Type: intercept.ActReview},
		}},
		{"red orders", transfer, 80, []intercept.RuleAction{stopPayee, freezePayee, warnPayer}, intercept.Red, []intercept.Action{
			{Type: intercept.ActStopPayment, Bank: "ABC", Account: payee, Rule: "fake"},
			{Type: intercept.ActFreezeRequest, Bank: "ABC", Account: payee, Rule: "fake"},
			{Type: intercept.ActWarn, Phone: payerPhone, Tier: "high", Rule: "fake"},
		}},
		{"red call cuts and warns", call, 95, []intercept.RuleAction{cutCaller, warnCallee}, intercept.Red, []intercept.Action{
			{Type: intercept.ActCutoff, Operator: "CMCC", Phone: scammer, Rule: "fake"},
			{Type: intercept.ActWarn, Operator: "CMCC", Phone: victim, Tier: "high", Rule: "fake"},
		}},
		{"orange call does not cut", call, 60, []intercept.RuleAction{cutCaller, warnCallee}, intercept.Orange, []intercept.Action{
			{Type: intercept.ActWarn, Operator: "CMCC", Phone: victim, Tier: "medium", Rule: "fake"},
			{Type: intercept.ActReview},
		}},
		{"actions on missing targets are skipped", func(id string) *intercept.Event {
			ev := transfer(id)
			ev.PayerPhone = ""
			return ev
		}, 90, []intercept.RuleAction{warnPayer, {Type: intercept.ActStopPayment, Target: "no_such_field"}, {Type: "explode", Target: "payee_account"}}, intercept.Red, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := testEngine(t, intercept.DefaultSettings(), scoring(tt.score, tt.actions...))
			d := decide(t, e, tt.ev("e-1"))
			if d.Level != tt.level || d.Score != tt.score {
				t.Errorf("score %d level %s, want %d %s", d.Score, d.Level, tt.score, tt.level)
			}
			ignoreIDs := cmpopts.IgnoreFields(intercept.Action{}, "OrderID", "TaskID")
			if diff := cmp.Diff(tt.want, d.Actions, ignoreIDs, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("actions (-want +got):\n%s", diff)
			}
			ids := map[string]bool{}
			for _, a := range d.Actions {
				id := a.OrderID + a.TaskID
				if a.OrderID != "" && a.TaskID != "" || id == "" || ids[id] {
					t.Errorf("action %+v: want exactly one fresh order or task id", a)
				}
				ids[id] = true
			}
			// Orders are in force exactly when the decision issued them.
			st := e.State()
			_, stopped := st.Stopped(payee)
			_, cut := st.CutOff(scammer)
			wantStop, wantCut := false, false
			for _, a := range tt.want {
				wantStop = wantStop || a.Type == intercept.ActStopPayment
				wantCut = wantCut || a.Type == intercept.ActCutoff
			}
			if stopped != wantStop || cut != wantCut {
				t.Errorf("stopped %v, cut %v; want %v, %v", stopped, cut, wantStop, wantCut)
			}
		})
	}
}

func TestDecideNeverCutsWhite(t *testing.T) {
	e := testEngine(t, intercept.DefaultSettings(), scoring(100, cutCaller, warnCallee))
	it.White(t, e, official)
	ev := it.Call("c-1", it.T0, official, victim)
	ev.Origin = "international_gateway" // a spoof of the bank's line
	d := decide(t, e, ev)
	for _, a := range d.Actions {
		if a.Type == intercept.ActCutoff {
			t.Errorf("cutoff of the official number: %+v", a)
		}
	}
	if len(d.Actions) != 1 || d.Actions[0].Type != intercept.ActWarn {
		t.Errorf("actions %+v, want only the warning", d.Actions)
	}
	if id, ok := e.State().CutOff(official); ok {
		t.Errorf("official number cut off by %s", id)
	}
	// A number white by its range is not cut either.
	if err := e.State().Lists.AddNumber(intercept.Entry{Value: "+86955", Prefix: true, List: intercept.ListWhite}); err != nil {
		t.Fatal(err)
	}
	decide(t, e, it.Call("c-2", it.T0, "+8695566", victim))
	if _, ok := e.State().CutOff("+8695566"); ok {
		t.Error("number in a white range cut off")
	}
}

func TestDecideExistingOrders(t *testing.T) {
	e := testEngine(t, intercept.DefaultSettings(), scoring(90, stopPayee, cutCaller))
	first := decide(t, e, it.Transfer("t-1", it.T0, payer, payerPhone, payee, 5000))
	if len(first.Actions) != 1 || first.Actions[0].Existing {
		t.Fatalf("first transfer: %+v, want one new stop", first.Actions)
	}
	order := first.Actions[0].OrderID
	if !strings.HasPrefix(order, "SP-") {
		t.Errorf("order id %q, want SP-…", order)
	}
	if id, ok := e.State().Stopped(payee); !ok || id != order {
		t.Errorf("Stopped = %q, %v; want %q", id, ok, order)
	}

	second := decide(t, e, it.Transfer("t-2", it.T0.Add(time.Minute), "6222020000000009", "+8613800000009", payee, 3000))
	want := []intercept.Action{{Type: intercept.ActStopPayment, Bank: "ABC", Account: payee, OrderID: order, Existing: true, Rule: "fake"}}
	if diff := cmp.Diff(want, second.Actions); diff != "" {
		t.Errorf("second stop (-want +got):\n%s", diff)
	}

	if !e.ReleaseStop(payee) {
		t.Fatal("ReleaseStop found no order")
	}
	if e.ReleaseStop(payee) {
		t.Error("second ReleaseStop found an order")
	}
	third := decide(t, e, it.Transfer("t-3", it.T0.Add(2*time.Minute), payer, payerPhone, payee, 100))
	if len(third.Actions) != 1 || third.Actions[0].Existing || third.Actions[0].OrderID == order {
		t.Errorf("after release: %+v, want a new order", third.Actions)
	}

	// Cutoffs too.
	c1 := decide(t, e, it.Call("c-1", it.T0, scammer, victim))
	c2 := decide(t, e, it.Call("c-2", it.T0, scammer, "+8613800000002"))
	if len(c1.Actions) != 1 || len(c2.Actions) != 1 || c1.Actions[0].Existing || !c2.Actions[0].Existing || c1.Actions[0].OrderID != c2.Actions[0].OrderID {
		t.Errorf("cutoffs %+v then %+v: want the second to reuse the first", c1.Actions, c2.Actions)
	}
}

// Two rules asking for the same action give one action, credited to the first.
func TestDecideActionsOnce(t *testing.T) {
	e := testEngine(t, intercept.DefaultSettings(), func(_ *intercept.State, _ *intercept.Event, out *intercept.Outcome) {
		out.Matched = append(out.Matched,
			intercept.Match{Rule: "a", Score: 50, Actions: []intercept.RuleAction{stopPayee, warnPayer}},
			intercept.Match{Rule: "b", Score: 50, Actions: []intercept.RuleAction{stopPayee, warnPayer}})
	})
	d := decide(t, e, it.Transfer("t-1", it.T0, payer, payerPhone, payee, 5000))
	if len(d.Actions) != 2 || d.Actions[0].Rule != "a" || d.Actions[1].Rule != "a" {
		t.Errorf("actions %+v, want one stop and one warning from rule a", d.Actions)
	}
}

func TestDecideScore(t *testing.T) {
	tests := []struct {
		name   string
		scores []int
		want   int
		level  intercept.Level
	}{
		{"none", nil, 0, intercept.Green},
		{"sum", []int{10, 15}, 25, intercept.Yellow},
		{"capped", []int{60, 60}, 100, intercept.Red},
		{"negative floored", []int{-30, 10}, 0, intercept.Green},
		{"negative weight lowers", []int{90, -20}, 70, intercept.Orange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := testEngine(t, intercept.DefaultSettings(), func(_ *intercept.State, _ *intercept.Event, out *intercept.Outcome) {
				for i, s := range tt.scores {
					out.Matched = append(out.Matched, intercept.Match{Rule: fmt.Sprint("r", i), Score: s})
				}
			})
			d := decide(t, e, it.Call("c-1", it.T0, "+8613900000001", victim))
			if d.Score != tt.want || d.Level != tt.level {
				t.Errorf("score %d %s, want %d %s", d.Score, d.Level, tt.want, tt.level)
			}
			if d.Kind != "call" || d.EventID != "c-1" {
				t.Errorf("decision of %s %s, want call c-1", d.Kind, d.EventID)
			}
		})
	}
}

// Shadow rules and rule errors are reported but neither score nor act, and an outcome
// reused for the next event does not leak into an earlier decision.
func TestDecideShadowErrorsAndReuse(t *testing.T) {
	e := testEngine(t, intercept.DefaultSettings(), func(_ *intercept.State, ev *intercept.Event, out *intercept.Outcome) {
		if ev.ID == "t-1" {
			out.Matched = append(out.Matched, intercept.Match{Rule: "live", Score: 30})
			out.Shadow = append(out.Shadow, intercept.Match{Rule: "trial", Score: 90, Actions: []intercept.RuleAction{stopPayee}})
			out.Errors = append(out.Errors, intercept.RuleError{Rule: "broken", Error: "division by zero"})
			return
		}
		out.Matched = append(out.Matched, intercept.Match{Rule: "other", Score: 5})
	})
	d1 := decide(t, e, it.Transfer("t-1", it.T0, payer, payerPhone, payee, 5000))
	want := &intercept.Decision{
		EventID: "t-1", Kind: "transfer", Score: 30, Level: intercept.Yellow,
		Matched: []intercept.Match{{Rule: "live", Score: 30}},
		Shadow:  []intercept.Match{{Rule: "trial", Score: 90, Actions: []intercept.RuleAction{stopPayee}}},
		Errors:  []intercept.RuleError{{Rule: "broken", Error: "division by zero"}},
		Actions: []intercept.Action{},
	}
	opts := []cmp.Option{cmpopts.IgnoreUnexported(intercept.Decision{}), cmpopts.IgnoreFields(intercept.Decision{}, "LatencyUS", "DecidedAt")}
	if diff := cmp.Diff(want, d1, opts...); diff != "" {
		t.Errorf("decision (-want +got):\n%s", diff)
	}
	for i := range 10 {
		d := decide(t, e, it.Transfer(fmt.Sprint("t-later-", i), it.T0, payer, payerPhone, payee, 5000))
		if len(d.Matched) != 1 || d.Shadow != nil || d.Errors != nil {
			t.Fatalf("later decision %+v carries an earlier outcome", d)
		}
	}
	if diff := cmp.Diff(want, d1, opts...); diff != "" {
		t.Errorf("first decision changed by later ones (-want +got):\n%s", diff)
	}
	if _, ok := e.State().Stopped(payee); ok {
		t.Error("a shadow rule stopped the payee")
	}
}

// A green decision still has "matched":[] and "actions":[] in JSON, as the design shows.
func TestDecisionJSON(t *testing.T) {
	e := testEngine(t, intercept.DefaultSettings(), nil)
	d := decide(t, e, it.Call("c-1", it.T0, "+8613900000001", victim))
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`"event_id":"c-1"`, `"kind":"call"`, `"level":"green"`, `"matched":[]`, `"actions":[]`} {
		if !strings.Contains(string(b), s) {
			t.Errorf("%s lacks %s", b, s)
		}
	}
	if strings.Contains(string(b), "duplicate") {
		t.Errorf("%s: duplicate shown on a first decision", b)
	}
}

func TestLevelText(t *testing.T) {
	for _, l := range []intercept.Level{intercept.Green, intercept.Yellow, intercept.Orange, intercept.Red} {
		b, err := l.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back intercept.Level
		if err := back.UnmarshalText(b); err != nil || back != l {
			t.Errorf("%s: round trip gave %v, %v", b, back, err)
		}
	}
	var l intercept.Level
	if err := l.UnmarshalText([]byte("purple")); !errors.Is(err, intercept.ErrInvalid) {
		t.Errorf("UnmarshalText(purple) err = %v, want ErrInvalid", err)
	}
}

func TestLevelsFromSettings(t *testing.T) {
	s := intercept.DefaultSettings()
	s.Red, s.Orange, s.Yellow = 60, 40, 10
	tests := []struct {
		score int
		want  intercept.Level
	}{
		{0, intercept.Green}, {9, intercept.Green}, {10, intercept.Yellow}, {39, intercept.Yellow},
		{40, intercept.Orange}, {59, intercept.Orange}, {60, intercept.Red}, {100, intercept.Red},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.score), func(t *testing.T) {
			if got := s.Level(tt.score); got != tt.want {
				t.Errorf("Level(%d) = %s, want %s", tt.score, got, tt.want)
			}
			e := testEngine(t, s, scoring(tt.score, stopPayee))
			d := decide(t, e, it.Transfer("t-1", it.T0, payer, payerPhone, payee, 5000))
			if d.Level != tt.want {
				t.Errorf("decision level %s, want %s", d.Level, tt.want)
			}
			if _, stopped := e.State().Stopped(payee); stopped != (tt.want == intercept.Red) {
				t.Errorf("stopped = %v at %s", stopped, tt.want)
			}
		})
	}
}

func TestSettingsCheck(t *testing.T) {
	if err := intercept.DefaultSettings().Check(); err != nil {
		t.Fatalf("default settings: %v", err)
	}
	tests := []struct {
		name string
		edit func(*intercept.Settings)
	}{
		{"red not above orange", func(s *intercept.Settings) { s.Red = s.Orange }},
		{"orange not above yellow", func(s *intercept.Settings) { s.Orange = s.Yellow }},
		{"yellow zero", func(s *intercept.Settings) { s.Yellow = 0 }},
		{"red over 100", func(s *intercept.Settings) { s.Red = 101 }},
		{"no country", func(s *intercept.Settings) { s.DefaultCountry = "" }},
		{"country too long", func(s *intercept.Settings) { s.DefaultCountry = "8612" }},
		{"country with plus", func(s *intercept.Settings) { s.DefaultCountry = "+86" }},
		{"country letters", func(s *intercept.Settings) { s.DefaultCountry = "CN" }},
		{"few window keys", func(s *intercept.Settings) { s.WindowKeys = 63 }},
		{"no dedupe", func(s *intercept.Settings) { s.DedupeSize = 0 }},
		{"no profile cache", func(s *intercept.Settings) { s.ProfileCacheSize = 0 }},
		{"no horizon", func(s *intercept.Settings) { s.WindowHorizon = 0 }},
		{"payee memory below horizon", func(s *intercept.Settings) { s.PayeeMemory = s.WindowHorizon - time.Second }},
		{"virtual prefix without plus", func(s *intercept.Settings) { s.VirtualPrefixes = []string{"86170"} }},
		{"virtual prefix empty", func(s *intercept.Settings) { s.VirtualPrefixes = []string{"+"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := intercept.DefaultSettings()
			tt.edit(&s)
			if err := s.Check(); !errors.Is(err, intercept.ErrInvalid) {
				t.Errorf("Check() = %v, want ErrInvalid", err)
			}
			if e, err := intercept.New(s, nil, nil, discardLog); !errors.Is(err, intercept.ErrInvalid) {
				if e != nil {
					e.Close()
				}
				t.Errorf("New() err = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestMask(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"+8613800000001", "+86138****0001"},
		{"+85512345678", "+855****5678"},
		{"+110", "****"},
		{"", ""},
	} {
		if got := intercept.MaskPhone(tt.in); got != tt.want {
			t.Errorf("MaskPhone(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, tt := range []struct{ in, want string }{
		{"6228480000000002", "6228…0002"},
		{"123456789", "*********"},
	} {
		if got := intercept.MaskAccount(tt.in); got != tt.want {
			t.Errorf("MaskAccount(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Decisions run in parallel; each account is stopped by exactly one order.
func TestDecideConcurrent(t *testing.T) {
	e := testEngine(t, intercept.DefaultSettings(), scoring(90, stopPayee))
	const payees, per = 20, 25
	var mu sync.Mutex
	fresh := map[string]string{} // payee -> order
	orders := map[string]string{}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range payees * per / 8 {
				p := fmt.Sprintf("62284800000%05d", i%payees)
				id := fmt.Sprintf("t-%d-%d", g, i)
				d, err := e.Decide(context.Background(), it.Transfer(id, it.T0, payer, payerPhone, p, 100))
				if err != nil {
					t.Error(err)
					return
				}
				a := d.Actions[0]
				mu.Lock()
				if !a.Existing {
					if old, dup := fresh[p]; dup {
						t.Errorf("%s stopped twice: %s and %s", p, old, a.OrderID)
					}
					fresh[p] = a.OrderID
				}
				orders[id] = p + " " + a.OrderID
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(fresh) != payees {
		t.Errorf("%d payees stopped, want %d", len(fresh), payees)
	}
	for id, po := range orders {
		p, order, _ := strings.Cut(po, " ")
		if order != fresh[p] {
			t.Errorf("%s: order %s, but %s is stopped by %s", id, order, p, fresh[p])
		}
	}
}
