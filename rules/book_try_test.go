package rules_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/lanjie/lanjie/intercept"
	it "github.com/lanjie/lanjie/intercept/intercepttest"
	"github.com/lanjie/lanjie/rules"
)

func TestBookTest(t *testing.T) {
	f := newBookFixture(t)
	it.Black(t, f.eng, scammer)
	feed(t, f.eng,
		it.Call("c-1", t0, scammer, victim),
		it.Transfer("t-1", t0.Add(time.Minute), victim2, "+8613800000002", muleAcct, 3000),
	)
	trigger := func() *intercept.Event {
		return it.Transfer("t-9", t0.Add(7*time.Minute), victimAcct, victim, muleAcct, 5000)
	}
	tests := []struct {
		name string
		r    rules.Rule
		want rules.TestResult
		why  []string // substrings of the explanation
	}{
		{name: "matched, explained and linked to the call",
			r:    bookRule("scam", "listed_contacts(payer_phone, 30) > 0"),
			want: rules.TestResult{Applies: true, Matched: true, Score: 40, Links: []string{"c-1"}},
			why:  []string{"desc scam", scammer}},
		{name: "velocity counts the state's transfers",
			r:    bookRule("mule", "payee_count(payee_account, 10) >= 1"),
			want: rules.TestResult{Applies: true, Matched: true, Score: 40},
			why:  []string{muleAcct + " received 1 transfers in 10m"}},
		{name: "not matched", r: bookRule("huge", "amount > 100000"),
			want: rules.TestResult{Applies: true}},
		{name: "empty id and kinds take the event's",
			r:    rules.Rule{Expr: "amount >= 5000", Weight: 25},
			want: rules.TestResult{Applies: true, Matched: true, Score: 25}},
		{name: "an off or shadow rule is tested as if active",
			r:    withMode(bookRule("off", "true"), 3, rules.Off),
			want: rules.TestResult{Applies: true, Matched: true, Score: 40}, why: []string{"desc off"}},
		{name: "kinds without the event's do not run",
			r:    func() rules.Rule { r := bookRule("calls", "true"); r.Kinds = []string{"call", "sms"}; return r }(),
			want: rules.TestResult{}},
		{name: "compile error with its position",
			r: bookRule("typo", "amount > 1000 &&\n  payee_count(payee_account) > 2"),
			want: rules.TestResult{Applies: true, Compile: &rules.CompileError{Rule: "typo", Line: 2, Column: 3,
				Message: "not enough arguments to call payee_count"}}},
		{name: "another bad field is a compile error without position",
			r:    func() rules.Rule { r := bookRule("heavy", "true"); r.Weight = 500; return r }(),
			want: rules.TestResult{Applies: true, Compile: &rules.CompileError{Rule: "heavy", Message: "weight 500 outside -100..100"}}},
		{name: "run-time error",
			r:    bookRule("zero", "payee_count(payee_account, 0) > 1"),
			want: rules.TestResult{Applies: true, Error: "minutes must be positive, got 0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := f.book.Test(f.eng.State(), tc.r, trigger())
			if err != nil {
				t.Fatal(err)
			}
			why := got.Why
			got.Why = ""
			// Messages come from expr: they must say what is wanted, in whatever words.
			if got.Compile != nil && tc.want.Compile != nil {
				if !strings.Contains(got.Compile.Message, tc.want.Compile.Message) {
					t.Errorf("compile message %q does not say %q", got.Compile.Message, tc.want.Compile.Message)
				}
				c := *got.Compile
				c.Message = tc.want.Compile.Message
				got.Compile = &c
			}
			if tc.want.Error != "" && strings.Contains(got.Error, tc.want.Error) {
				got.Error = tc.want.Error
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			for _, s := range tc.why {
				if !strings.Contains(why, s) {
					t.Errorf("why %q does not say %q", why, s)
				}
			}
			if !tc.want.Matched && why != "" {
				t.Errorf("why %q on a rule that did not match", why)
			}
		})
	}
}

// Testing a rule changes nothing the engine knows: not the windows, not the contacts,
// not the duplicate table, not the rules installed.
func TestBookTestChangesNothing(t *testing.T) {
	f := newBookFixture(t)
	base := withMode(bookRule("base", "true"), 0, rules.Active)
	base.Kinds = []string{"transfer", "call"}
	f.mustCreate(t, base, "alice")
	it.Black(t, f.eng, scammer)
	feed(t, f.eng, it.Call("c-1", t0, scammer, victim), it.Transfer("t-1", t0.Add(time.Minute), victimAcct, victim, muleAcct, 3000))
	st := f.eng.State()
	at := t0.Add(5 * time.Minute)
	type counts struct {
		Transfers, Payers, Callees, Contacts int
		Sum                                  intercept.Fen
		PaidBefore                           bool
	}
	read := func() counts {
		var c counts
		c.Transfers, c.Sum, c.Payers = st.PayeeTransfers(mule2Acct, at, 10*time.Minute)
		c.Callees = st.Callees(scammer, at, 10*time.Minute)
		c.Contacts = st.CountContacts(victim, at, 10*time.Minute, ^uint32(0))
		c.PaidBefore = st.PaidBefore(victimAcct, mule2Acct, at)
		return c
	}
	before, installs, records := read(), f.installs.Load(), len(f.j.records())
	evs := []*intercept.Event{
		it.Transfer("t-2", at, victimAcct, victim, mule2Acct, 9000),
		it.Call("c-2", at, scammer, victim2),
	}
	for _, ev := range evs {
		r := bookRule("probe", "true")
		r.Kinds = nil
		res, err := f.book.Test(st, r, ev)
		if err != nil || !res.Matched {
			t.Fatalf("test on %s: %+v, %v; want a match", ev.ID, res, err)
		}
	}
	if diff := cmp.Diff(before, read()); diff != "" {
		t.Errorf("state changed by Test (-before +after):\n%s", diff)
	}
	if f.installs.Load() != installs || len(f.j.records()) != records {
		t.Errorf("Test installed or journaled something")
	}
	// The tested events are still new to the engine, which runs only its own rules.
	for _, ev := range evs {
		d := decide(t, f.eng, ev)
		if d.Duplicate {
			t.Errorf("%s decided as a duplicate after Test", ev.ID)
		}
		if diff := cmp.Diff([]string{"base"}, ruleIDs(d.Matched)); diff != "" {
			t.Errorf("%s matched (-want +got):\n%s", ev.ID, diff)
		}
	}
	after := read()
	if after.Transfers != before.Transfers+1 || after.Callees != before.Callees+1 || !after.PaidBefore {
		t.Errorf("deciding after Test: %+v from %+v, want one more transfer and callee and a payee paid", after, before)
	}
}

func TestBookTestRefuses(t *testing.T) {
	f := newBookFixture(t)
	tests := []struct {
		name string
		st   *intercept.State
		ev   *intercept.Event
	}{
		{name: "no state", ev: it.Transfer("t-1", t0, victimAcct, victim, muleAcct, 1)},
		{name: "no event", st: f.eng.State()},
		{name: "no kind", st: f.eng.State(), ev: &intercept.Event{ID: "x", At: t0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := f.book.Test(tc.st, bookRule("a", "true"), tc.ev); !errors.Is(err, intercept.ErrInvalid) {
				t.Errorf("error %v, want ErrInvalid", err)
			}
		})
	}
}
