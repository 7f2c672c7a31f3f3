package rules_test

import (
	"testing"
	"time"

	"github.com/lanjie/lanjie/intercept"
	it "github.com/lanjie/lanjie/intercept/intercepttest"
)

func TestVirtualContacts(t *testing.T) {
	base := rule("after_virtual_call", `virtual_contacts(payer_phone, 30) > 0`)
	tr := func(at time.Time) *intercept.Event { return it.Transfer("t-1", at, victimAcct, victim, muleAcct, 5000) }
	calls := func(evs ...*intercept.Event) func(*testing.T, *intercept.Engine) {
		return func(t *testing.T, e *intercept.Engine) { feed(t, e, evs...) }
	}
	cases := []fnCase{
		{name: "virtual caller exactly 30m before", trigger: tr(t0.Add(30 * time.Minute)), want: true,
			setup: calls(it.Call("c-1", t0, virtualNo, victim)),
			why:   []string{victim + " called by " + virtualNo, "virtual range"}, links: []string{"c-1"}},
		{name: "a second outside the window", trigger: tr(t0.Add(30*time.Minute + time.Second)),
			setup: calls(it.Call("c-1", t0, virtualNo, victim))},
		{name: "virtual text", trigger: tr(t0.Add(time.Minute)), want: true,
			setup: calls(it.SMS("s-1", t0, "+8616500000001", victim, "hi")),
			why:   []string{"texted by +8616500000001", "virtual range"}, links: []string{"s-1"}},
		{name: "168 is not virtual, even black-listed", trigger: tr(t0.Add(time.Minute)),
			setup: func(t *testing.T, e *intercept.Engine) {
				it.Black(t, e, notVirtual)
				feed(t, e, it.Call("c-1", t0, notVirtual, victim))
			}},
		{name: "overseas caller", trigger: tr(t0.Add(time.Minute)),
			setup: calls(it.Call("c-1", t0, scammer, victim))},
		{name: "virtual caller called someone else", trigger: tr(t0.Add(time.Minute)),
			setup: calls(it.Call("c-1", t0, virtualNo, victim2))},
	}
	cases = append(cases, badMinutes(
		func(m string) string { return "virtual_contacts(payer_phone, " + m + ") > 0" },
		func() *intercept.Event { return tr(t0) })...)
	runFn(t, base, cases)
}
