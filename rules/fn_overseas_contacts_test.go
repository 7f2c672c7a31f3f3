package rules_test

import (
	"testing"
	"time"

	"github.com/lanjie/lanjie/intercept"
	it "github.com/lanjie/lanjie/intercept/intercepttest"
)

func TestOverseasContacts(t *testing.T) {
	base := rule("after_overseas_call", `overseas_contacts(payer_phone, 30) > 0`)
	tr := func(at time.Time) *intercept.Event { return it.Transfer("t-1", at, victimAcct, victim, muleAcct, 5000) }
	calls := func(evs ...*intercept.Event) func(*testing.T, *intercept.Engine) {
		return func(t *testing.T, e *intercept.Engine) { feed(t, e, evs...) }
	}
	cases := []fnCase{
		{name: "overseas caller exactly 30m before", trigger: tr(t0.Add(30 * time.Minute)), want: true,
			setup: calls(it.Call("c-1", t0, scammer, victim)),
			why:   []string{victim + " called by " + scammer, "overseas"}, links: []string{"c-1"}},
		{name: "a second outside the window", trigger: tr(t0.Add(30*time.Minute + time.Second)),
			setup: calls(it.Call("c-1", t0, scammer, victim))},
		{name: "text from abroad", trigger: tr(t0.Add(time.Minute)), want: true,
			setup: calls(it.SMS("s-1", t0, "+12025550123", victim, "hi")),
			why:   []string{victim + " texted by +12025550123", "overseas"}, links: []string{"s-1"}},
		{name: "black domestic caller is not overseas", trigger: tr(t0.Add(time.Minute)),
			setup: func(t *testing.T, e *intercept.Engine) {
				it.Black(t, e, domestic)
				feed(t, e, it.Call("c-1", t0, domestic, victim))
			}},
		{name: "domestic number via the international gateway", trigger: tr(t0.Add(time.Minute)),
			setup: calls(viaGateway(it.Call("c-1", t0, virtualNo, victim)))},
		{name: "overseas caller called someone else", trigger: tr(t0.Add(time.Minute)),
			setup: calls(it.Call("c-1", t0, scammer, victim2))},
		{name: "three calls from abroad", expr: `overseas_contacts(payer_phone, 30) >= 3`, trigger: tr(t0.Add(10 * time.Minute)), want: true,
			setup: calls(it.Call("c-1", t0, scammer, victim), it.Call("c-2", t0.Add(time.Minute), "+6591234567", victim),
				it.Call("c-3", t0.Add(2*time.Minute), scammer, victim)),
			why: []string{"called by " + scammer, "3 such contacts in 30m"}, links: []string{"c-3"}},
	}
	cases = append(cases, badMinutes(
		func(m string) string { return "overseas_contacts(payer_phone, " + m + ") > 0" },
		func() *intercept.Event { return tr(t0) })...)
	runFn(t, base, cases)
}
