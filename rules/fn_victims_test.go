package rules_test

import (
	"testing"
	"time"

	"github.com/lanjie/lanjie/intercept"
	it "github.com/lanjie/lanjie/intercept/intercepttest"
)

func TestVictims(t *testing.T) {
	base := rule("payee_reported", `victims(payee_account) >= 2`)
	tr := it.Transfer("t-1", t0.Add(time.Hour), victimAcct, victim, muleAcct, 5000)
	reports := func(evs ...*intercept.Event) func(*testing.T, *intercept.Engine) {
		return func(t *testing.T, e *intercept.Engine) { feed(t, e, evs...) }
	}
	runFn(t, base, []fnCase{
		{name: "two victims",
			setup: reports(it.Report("r-1", t0, victim, nil, []string{muleAcct}),
				it.Report("r-2", t0.Add(time.Minute), victim2, nil, []string{mule2Acct, muleAcct})),
			trigger: tr, want: true, why: []string{muleAcct + " reported by 2 distinct victims"}},
		{name: "one victim twice",
			setup: reports(it.Report("r-1", t0, victim, nil, []string{muleAcct}),
				it.Report("r-2", t0.Add(time.Minute), victim, nil, []string{muleAcct})),
			trigger: tr},
		{name: "one victim reads one", expr: `victims(payee_account) == 1`,
			setup: reports(it.Report("r-1", t0, victim, nil, []string{muleAcct}),
				it.Report("r-2", t0.Add(time.Minute), victim, nil, []string{muleAcct})),
			trigger: tr, want: true, why: []string{muleAcct + " reported by 1 distinct victims"}},
		{name: "other accounts reported",
			setup: reports(it.Report("r-1", t0, victim, nil, []string{mule2Acct}),
				it.Report("r-2", t0.Add(time.Minute), victim2, nil, []string{mule2Acct})),
			trigger: tr},
		{name: "a report dated after the transfer does not count",
			setup: reports(it.Report("r-1", t0, victim, nil, []string{muleAcct}),
				it.Report("r-2", t0.Add(2*time.Hour), victim2, nil, []string{muleAcct})),
			trigger: tr},
		{name: "reports from a month ago count",
			setup: reports(it.Report("r-1", t0.Add(-30*24*time.Hour), victim, nil, []string{muleAcct}),
				it.Report("r-2", t0.Add(-29*24*time.Hour), victim2, nil, []string{muleAcct})),
			trigger: tr, want: true},
		{name: "numbers too", expr: `victims(caller) >= 2`, kinds: []string{"call"},
			setup: reports(it.Report("r-1", t0, victim, []string{scammer}, nil),
				it.Report("r-2", t0.Add(time.Minute), victim2, []string{scammer}, nil)),
			trigger: it.Call("c-1", t0.Add(time.Hour), scammer, "+8613800000003"), want: true,
			why: []string{scammer + " reported by 2 distinct victims"}},
		{name: "the report itself counts", expr: `any(suspect_accounts, victims(#) >= 2)`, kinds: []string{"report"},
			setup:   reports(it.Report("r-1", t0, victim, nil, []string{muleAcct})),
			trigger: it.Report("r-2", t0.Add(time.Minute), victim2, nil, []string{muleAcct}), want: true,
			why: []string{muleAcct + " reported by 2 distinct victims"}},
		{name: "a second report by the same victim", expr: `any(suspect_accounts, victims(#) >= 2)`, kinds: []string{"report"},
			setup:   reports(it.Report("r-1", t0, victim, nil, []string{muleAcct})),
			trigger: it.Report("r-2", t0.Add(time.Minute), victim, nil, []string{muleAcct})},
	})
}
