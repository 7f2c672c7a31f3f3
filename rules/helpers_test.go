package rules_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/lanjie/lanjie/intercept"
	it "github.com/lanjie/lanjie/intercept/intercepttest"
	"github.com/lanjie/lanjie/rules"
)

// Numbers and accounts of the tests, beside those of demo_test.go. None is real.
const (
	domestic    = "+8613911112222" // an ordinary domestic mobile number
	domestic2   = "+8613911113333"
	virtualNo   = "+8617012345678" // in a default virtual-operator range (+86170)
	notVirtual  = "+8616812345678" // +86168 is not a virtual range
	official    = "+8695588"       // a bank's service line: white-listed
	victim2     = "+8613800000002"
	victimAcct2 = "6222020000000002"
	victimAcct3 = "6222020000000003"
)

var t0 = it.T0

// rule is an active rule of weight 10 on kinds (transfer when none).
func rule(id, expr string, kinds ...string) rules.Rule {
	if len(kinds) == 0 {
		kinds = []string{"transfer"}
	}
	return rules.Rule{ID: id, Name: id, Description: "desc " + id, Version: 1, Expr: expr,
		Weight: 10, Kinds: kinds, Mode: rules.Active}
}

// weighted returns r with weight w.
func weighted(r rules.Rule, w int) rules.Rule { r.Weight = w; return r }

// withActions returns r asking for acts.
func withActions(r rules.Rule, acts ...intercept.RuleAction) rules.Rule {
	r.Actions = acts
	return r
}

// engineWith returns a fresh engine running rs.
func engineWith(t testing.TB, rs ...rules.Rule) *intercept.Engine {
	t.Helper()
	e := it.Engine(t)
	set, err := rules.NewSet(rs)
	if err != nil {
		t.Fatalf("new set: %v", err)
	}
	e.SetEvaluator(set)
	return e
}

// feed decides evs in order.
func feed(t testing.TB, e *intercept.Engine, evs ...*intercept.Event) {
	t.Helper()
	for _, ev := range evs {
		decide(t, e, ev)
	}
}

func findMatch(ms []intercept.Match, id string) *intercept.Match {
	for i := range ms {
		if ms[i].Rule == id {
			return &ms[i]
		}
	}
	return nil
}

func findError(d *intercept.Decision, id string) *intercept.RuleError {
	for i := range d.Errors {
		if d.Errors[i].Rule == id {
			return &d.Errors[i]
		}
	}
	return nil
}

func listNumber(t testing.TB, e *intercept.Engine, value string, prefix bool, l intercept.List, expires time.Time) {
	t.Helper()
	err := e.State().Lists.AddNumber(intercept.Entry{Value: value, Prefix: prefix, List: l, Reason: "test reason",
		Source: "desk", Who: "analyst1", Added: t0.Add(-time.Hour), Expires: expires})
	if err != nil {
		t.Fatalf("list %s %s: %v", l, value, err)
	}
}

func listAccount(t testing.TB, e *intercept.Engine, value string, l intercept.List, expires time.Time) {
	t.Helper()
	err := e.State().Lists.AddAccount(intercept.Entry{Value: value, List: l, Reason: "test reason",
		Source: "bank", Who: "analyst1", Added: t0.Add(-time.Hour), Expires: expires})
	if err != nil {
		t.Fatalf("list %s %s: %v", l, value, err)
	}
}

// transferFen is a transfer of an amount in fen.
func transferFen(id string, at time.Time, payer, payerPhone, payee string, fen intercept.Fen) *intercept.Event {
	ev := it.Transfer(id, at, payer, payerPhone, payee, 0)
	ev.Amount = fen
	return ev
}

// withBalance sets the payer's balance before the transfer, in yuan.
func withBalance(ev *intercept.Event, yuan int64) *intercept.Event {
	ev.PayerBalance, ev.HasBalance = intercept.Fen(yuan*100), true
	return ev
}

// viaGateway marks a call as entering the network from abroad.
func viaGateway(ev *intercept.Event) *intercept.Event {
	ev.Origin = "international_gateway"
	return ev
}

// fnCase is one scenario for a rule function: list entries and earlier events, then
// a trigger event, and whether the rule under test matched it and why.
type fnCase struct {
	name    string
	expr    string       // the rule under test; "" keeps the file's
	kinds   []string     // its kinds; nil keeps the file's
	extra   []rules.Rule // other rules in the set
	setup   func(t *testing.T, e *intercept.Engine)
	trigger *intercept.Event
	want    bool     // the rule under test matched
	why     []string // substrings of its explanation
	links   []string // its linked event ids
	wantErr string   // the rule under test failed on the trigger with this
	also    []string // other rules that must match the trigger
	check   func(t *testing.T, e *intercept.Engine, d *intercept.Decision)
}

// runFn runs each case on a fresh engine holding base (its expr replaced by the
// case's) and the case's extra rules.
func runFn(t *testing.T, base rules.Rule, cases []fnCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := base
			if tc.expr != "" {
				r.Expr = tc.expr
			}
			if tc.kinds != nil {
				r.Kinds = tc.kinds
			}
			e := engineWith(t, append([]rules.Rule{r}, tc.extra...)...)
			if tc.setup != nil {
				tc.setup(t, e)
			}
			d := decide(t, e, tc.trigger)
			m := findMatch(d.Matched, r.ID)
			if got := m != nil; got != tc.want {
				t.Errorf("rule %s (%s) matched = %v, want %v; matched %+v, errors %+v", r.ID, r.Expr, got, tc.want, d.Matched, d.Errors)
			}
			if m != nil {
				if !strings.HasPrefix(m.Why, r.Description) {
					t.Errorf("why %q does not open with the description %q", m.Why, r.Description)
				}
				for _, s := range tc.why {
					if !strings.Contains(m.Why, s) {
						t.Errorf("why %q does not name %q", m.Why, s)
					}
				}
				if diff := cmp.Diff(tc.links, m.Links, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("links (-want +got):\n%s", diff)
				}
				if m.Score != r.Weight || m.Version != r.Version {
					t.Errorf("match score %d version %d, want %d and %d", m.Score, m.Version, r.Weight, r.Version)
				}
			}
			re := findError(d, r.ID)
			switch {
			case tc.wantErr == "" && len(d.Errors) > 0:
				t.Errorf("unexpected rule errors: %+v", d.Errors)
			case tc.wantErr != "" && re == nil:
				t.Errorf("rule %s did not fail, want an error with %q; errors %+v", r.ID, tc.wantErr, d.Errors)
			case tc.wantErr != "" && !strings.Contains(re.Error, tc.wantErr):
				t.Errorf("rule %s failed with %q, want %q", r.ID, re.Error, tc.wantErr)
			}
			for _, id := range tc.also {
				if findMatch(d.Matched, id) == nil {
					t.Errorf("rule %s did not match beside %s: %+v", id, r.ID, d.Matched)
				}
			}
			if tc.check != nil {
				tc.check(t, e, d)
			}
		})
	}
}

// badMinutes returns the cases every windowed function must pass: a minutes argument
// of zero or less is the rule's error on the decision, and the other rules still match.
func badMinutes(call func(minutes string) string, trigger func() *intercept.Event) []fnCase {
	other := rule("other", "true", "transfer", "call", "sms", "report")
	var cs []fnCase
	for _, m := range []string{"0", "-5"} {
		cs = append(cs, fnCase{
			name:    "minutes " + m + " is an error, others still match",
			expr:    call(m),
			extra:   []rules.Rule{other},
			trigger: trigger(),
			wantErr: "minutes must be positive",
			also:    []string{"other"},
		})
	}
	return cs
}
