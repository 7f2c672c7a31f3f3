package rules_test

import (
	"testing"
	"time"

	"github.com/lanjie/lanjie/intercept"
	it "github.com/lanjie/lanjie/intercept/intercepttest"
)

func TestSpoofContacts(t *testing.T) {
	base := rule("after_spoofed_call", `spoof_contacts(payer_phone, 60) > 0`)
	tr := func(at time.Time) *intercept.Event { return it.Transfer("t-1", at, victimAcct, victim, muleAcct, 5000) }
	white := func(n string, evs ...*intercept.Event) func(*testing.T, *intercept.Engine) {
		return func(t *testing.T, e *intercept.Engine) {
			it.White(t, e, n)
			feed(t, e, evs...)
		}
	}
	cases := []fnCase{
		{name: "official number via the international gateway, exactly 60m before", trigger: tr(t0.Add(60 * time.Minute)), want: true,
			setup: white(official, viaGateway(it.Call("c-1", t0, official, victim))),
			why:   []string{victim + " called by " + official, "spoofed official number"}, links: []string{"c-1"}},
		{name: "a second outside the window", trigger: tr(t0.Add(60*time.Minute + time.Second)),
			setup: white(official, viaGateway(it.Call("c-1", t0, official, victim)))},
		{name: "official number in a virtual range", trigger: tr(t0.Add(time.Minute)), want: true,
			setup: white("+8617000000000", it.Call("c-1", t0, "+8617000000000", victim)),
			why:   []string{"called by +8617000000000", "spoofed official number", "virtual range"}, links: []string{"c-1"}},
		{name: "official number from abroad", trigger: tr(t0.Add(time.Minute)), want: true,
			setup: white("+85223456789", it.Call("c-1", t0, "+85223456789", victim)),
			why:   []string{"spoofed official number", "overseas"}, links: []string{"c-1"}},
		{name: "official range via the gateway", trigger: tr(t0.Add(time.Minute)), want: true,
			setup: func(t *testing.T, e *intercept.Engine) {
				listNumber(t, e, "+86955", true, intercept.ListWhite, time.Time{})
				feed(t, e, viaGateway(it.Call("c-1", t0, "+8695566", victim)))
			},
			why: []string{"called by +8695566", "spoofed official number"}, links: []string{"c-1"}},
		{name: "official number called from home", trigger: tr(t0.Add(time.Minute)),
			setup: white(official, it.Call("c-1", t0, official, victim))},
		{name: "black number via the gateway is no spoof", trigger: tr(t0.Add(time.Minute)),
			setup: func(t *testing.T, e *intercept.Engine) {
				it.Black(t, e, domestic)
				feed(t, e, viaGateway(it.Call("c-1", t0, domestic, victim)))
			}},
		{name: "unlisted virtual caller is no spoof", trigger: tr(t0.Add(time.Minute)),
			setup: white(official, it.Call("c-1", t0, virtualNo, victim))},
		{name: "spoofed text", trigger: tr(t0.Add(time.Minute)), want: true,
			setup: white("+8617000000000", it.SMS("s-1", t0, "+8617000000000", victim, "您的账户异常")),
			why:   []string{victim + " texted by +8617000000000", "spoofed official number"}, links: []string{"s-1"}},
	}
	cases = append(cases, badMinutes(
		func(m string) string { return "spoof_contacts(payer_phone, " + m + ") > 0" },
		func() *intercept.Event { return tr(t0) })...)
	runFn(t, base, cases)
}
