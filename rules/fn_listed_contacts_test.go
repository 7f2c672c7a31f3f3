package rules_test

import (
	"testing"
	"time"

	"github.com/lanjie/lanjie/intercept"
	it "github.com/lanjie/lanjie/intercept/intercepttest"
)

func TestListedContacts(t *testing.T) {
	base := rule("after_listed_call", `listed_contacts(payer_phone, 30) > 0`)
	tr := func(at time.Time) *intercept.Event { return it.Transfer("t-1", at, victimAcct, victim, muleAcct, 5000) }
	never := time.Time{}
	cases := []fnCase{
		{name: "black caller exactly 30m before", trigger: tr(t0.Add(30 * time.Minute)), want: true,
			setup: func(t *testing.T, e *intercept.Engine) {
				listNumber(t, e, domestic, false, intercept.ListBlack, never)
				feed(t, e, it.Call("c-1", t0, domestic, victim))
			},
			why: []string{victim + " called by " + domestic, "black-listed"}, links: []string{"c-1"}},
		{name: "black caller a second outside the window", trigger: tr(t0.Add(30*time.Minute + time.Second)),
			setup: func(t *testing.T, e *intercept.Engine) {
				listNumber(t, e, domestic, false, intercept.ListBlack, never)
				feed(t, e, it.Call("c-1", t0, domestic, victim))
			}},
		{name: "gray caller", trigger: tr(t0.Add(5 * time.Minute)), want: true,
			setup: func(t *testing.T, e *intercept.Engine) {
				listNumber(t, e, domestic, false, intercept.ListGray, never)
				feed(t, e, it.Call("c-1", t0, domestic, victim))
			},
			why: []string{"called by " + domestic, "gray-listed"}, links: []string{"c-1"}},
		{name: "caller in a black range", trigger: tr(t0.Add(5 * time.Minute)), want: true,
			setup: func(t *testing.T, e *intercept.Engine) {
				listNumber(t, e, "+8613911", true, intercept.ListBlack, never)
				feed(t, e, it.Call("c-1", t0, domestic, victim))
			},
			why: []string{"called by " + domestic, "black-listed"}, links: []string{"c-1"}},
		{name: "text from a black number", trigger: tr(t0.Add(5 * time.Minute)), want: true,
			setup: func(t *testing.T, e *intercept.Engine) {
				it.Black(t, e, scammer)
				feed(t, e, it.SMS("s-1", t0, scammer, victim, "hi"))
			},
			why: []string{victim + " texted by " + scammer, "black-listed"}, links: []string{"s-1"}},
		{name: "caller reported after it called", trigger: tr(t0.Add(10 * time.Minute)), want: true,
			setup: func(t *testing.T, e *intercept.Engine) {
				feed(t, e, it.Call("c-1", t0, scammer, victim),
					it.Report("r-1", t0.Add(5*time.Minute), victim2, []string{scammer}, nil))
			},
			why: []string{"called by " + scammer, "black-listed"}, links: []string{"c-1"}},
		{name: "caller white-listed since", trigger: tr(t0.Add(10 * time.Minute)),
			setup: func(t *testing.T, e *intercept.Engine) {
				listNumber(t, e, domestic, false, intercept.ListBlack, never)
				feed(t, e, it.Call("c-1", t0, domestic, victim))
				listNumber(t, e, domestic, false, intercept.ListWhite, never)
			}},
		// The number was listed when it called: the contact keeps its tag.
		{name: "listed when it called, expired since", trigger: tr(t0.Add(10 * time.Minute)), want: true, links: []string{"c-1"},
			setup: func(t *testing.T, e *intercept.Engine) {
				listNumber(t, e, domestic, false, intercept.ListBlack, t0.Add(5*time.Minute))
				feed(t, e, it.Call("c-1", t0, domestic, victim))
			}},
		{name: "black caller called someone else", trigger: tr(t0.Add(5 * time.Minute)),
			setup: func(t *testing.T, e *intercept.Engine) {
				it.Black(t, e, scammer)
				feed(t, e, it.Call("c-1", t0, scammer, victim2))
			}},
		{name: "unlisted overseas caller", trigger: tr(t0.Add(5 * time.Minute)),
			setup: func(t *testing.T, e *intercept.Engine) { feed(t, e, it.Call("c-1", t0, scammer, victim)) }},
		{name: "a call dated after the transfer", trigger: tr(t0),
			setup: func(t *testing.T, e *intercept.Engine) {
				it.Black(t, e, scammer)
				feed(t, e, it.Call("c-1", t0.Add(time.Minute), scammer, victim))
			}},
		{name: "two listed calls: the latest is named", trigger: tr(t0.Add(20 * time.Minute)), want: true,
			setup: func(t *testing.T, e *intercept.Engine) {
				it.Black(t, e, scammer)
				listNumber(t, e, domestic, false, intercept.ListGray, never)
				feed(t, e, it.Call("c-1", t0, scammer, victim), it.Call("c-2", t0.Add(10*time.Minute), domestic, victim))
			},
			why: []string{"called by " + domestic, "2 such contacts in 30m"}, links: []string{"c-2"}},
		{name: "count", expr: `listed_contacts(payer_phone, 30) == 2`, trigger: tr(t0.Add(20 * time.Minute)), want: true,
			setup: func(t *testing.T, e *intercept.Engine) {
				it.Black(t, e, scammer)
				feed(t, e, it.Call("c-1", t0, scammer, victim), it.Call("c-2", t0.Add(10*time.Minute), scammer, victim),
					it.Call("c-3", t0.Add(11*time.Minute), virtualNo, victim))
			},
			links: []string{"c-2"}},
		{name: "no payer phone", trigger: it.Transfer("t-1", t0.Add(time.Minute), victimAcct, "", muleAcct, 5000),
			setup: func(t *testing.T, e *intercept.Engine) {
				it.Black(t, e, scammer)
				feed(t, e, it.Call("c-1", t0, scammer, victim))
			}},
		{name: "the callee of a call", expr: `listed_contacts(callee, 30) == 1`, kinds: []string{"call"},
			trigger: it.Call("c-2", t0.Add(time.Minute), scammer, victim), want: true,
			setup: func(t *testing.T, e *intercept.Engine) {
				it.Black(t, e, scammer)
				feed(t, e, it.Call("c-1", t0, scammer, victim))
			},
			// The trigger call is remembered after the rules ran: only c-1 counts.
			links: []string{"c-1"}},
	}
	cases = append(cases, badMinutes(
		func(m string) string { return "listed_contacts(payer_phone, " + m + ") > 0" },
		func() *intercept.Event { return tr(t0) })...)
	runFn(t, base, cases)
}

// A window longer than Settings.WindowHorizon: the engine must either refuse it (the
// rule's error on the decision) or answer it, never answer a shorter window silently.
func TestListedContactsBeyondHorizon(t *testing.T) {
	e := engineWith(t, rule("after_listed_call_today", `listed_contacts(payer_phone, 600) > 0`))
	it.Black(t, e, scammer)
	feed(t, e, it.Call("c-1", t0.Add(-150*time.Minute), scammer, victim))
	d := decide(t, e, it.Transfer("t-1", t0, victimAcct, victim, muleAcct, 5000))
	if findError(d, "after_listed_call_today") == nil && findMatch(d.Matched, "after_listed_call_today") == nil {
		t.Errorf("listed_contacts over 600m (horizon %s) neither failed nor found the listed call 150m before: %+v",
			e.State().Horizon(), d)
	}
}
