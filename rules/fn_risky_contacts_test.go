package rules_test

import (
	"testing"
	"time"

	"github.com/lanjie/lanjie/intercept"
	it "github.com/lanjie/lanjie/intercept/intercepttest"
	"github.com/lanjie/lanjie/rules"
)

func TestRiskyContacts(t *testing.T) {
	base := rule("during_risky_call", `risky_contacts(payer_phone, 5) > 0`)
	tr := func(at time.Time) *intercept.Event { return it.Transfer("t-1", at, victimAcct, victim, muleAcct, 5000) }
	// longCall scores w on calls of 5 minutes or more: at 50 the call is orange,
	// which is high-risk (Settings.HighRisk) for later links.
	longCall := func(w int) []rules.Rule {
		return []rules.Rule{weighted(rule("long_call", "duration >= 300", "call"), w)}
	}
	calls := func(evs ...*intercept.Event) func(*testing.T, *intercept.Engine) {
		return func(t *testing.T, e *intercept.Engine) { feed(t, e, evs...) }
	}
	cases := []fnCase{
		{name: "virtual caller exactly 5m before", trigger: tr(t0.Add(5 * time.Minute)), want: true,
			setup: calls(it.Call("c-1", t0, virtualNo, victim)),
			why:   []string{victim + " called by " + virtualNo, "virtual range"}, links: []string{"c-1"}},
		{name: "virtual caller a second outside the window", trigger: tr(t0.Add(5*time.Minute + time.Second)),
			setup: calls(it.Call("c-1", t0, virtualNo, victim))},
		{name: "black caller", trigger: tr(t0.Add(time.Minute)), want: true,
			setup: func(t *testing.T, e *intercept.Engine) {
				it.Black(t, e, domestic)
				feed(t, e, it.Call("c-1", t0, domestic, victim))
			},
			why: []string{"called by " + domestic, "black-listed"}, links: []string{"c-1"}},
		{name: "gray caller", trigger: tr(t0.Add(time.Minute)), want: true,
			setup: func(t *testing.T, e *intercept.Engine) {
				listNumber(t, e, domestic, false, intercept.ListGray, time.Time{})
				feed(t, e, it.Call("c-1", t0, domestic, victim))
			},
			why: []string{"gray-listed"}, links: []string{"c-1"}},
		{name: "spoofed official number", trigger: tr(t0.Add(time.Minute)), want: true,
			setup: func(t *testing.T, e *intercept.Engine) {
				it.White(t, e, official)
				feed(t, e, viaGateway(it.Call("c-1", t0, official, victim)))
			},
			why: []string{"called by " + official, "spoofed official number"}, links: []string{"c-1"}},
		{name: "high-risk call", extra: longCall(50), trigger: tr(t0.Add(time.Minute)), want: true,
			setup: calls(it.Call("c-1", t0, domestic, victim)),
			why:   []string{"called by " + domestic, "high-risk"}, links: []string{"c-1"}},
		{name: "call only yellow is not high-risk", extra: longCall(49), trigger: tr(t0.Add(time.Minute)),
			setup: calls(it.Call("c-1", t0, domestic, victim))},
		{name: "overseas alone is not risky", trigger: tr(t0.Add(time.Minute)),
			setup: calls(it.Call("c-1", t0, scammer, victim))},
		{name: "ordinary call", trigger: tr(t0.Add(time.Minute)),
			setup: calls(it.Call("c-1", t0, domestic, victim))},
		{name: "virtual caller called someone else", trigger: tr(t0.Add(time.Minute)),
			setup: calls(it.Call("c-1", t0, virtualNo, victim2))},
		{name: "virtual text", trigger: tr(t0.Add(time.Minute)), want: true,
			setup: calls(it.SMS("s-1", t0, virtualNo, victim, "hi")),
			why:   []string{victim + " texted by " + virtualNo}, links: []string{"s-1"}},
	}
	cases = append(cases, badMinutes(
		func(m string) string { return "risky_contacts(payer_phone, " + m + ") > 0" },
		func() *intercept.Event { return tr(t0) })...)
	runFn(t, base, cases)
}
