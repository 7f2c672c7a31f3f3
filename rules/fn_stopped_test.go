package rules_test

import (
	"strings"
	"testing"
	"time"

	"github.com/lanjie/lanjie/intercept"
	it "github.com/lanjie/lanjie/intercept/intercepttest"
	"github.com/lanjie/lanjie/rules"
)

func TestStopped(t *testing.T) {
	base := rule("out_of_stopped", `stopped(payer_account)`)
	// A report naming suspects scores stopWeight; at 100 it is red and stops them.
	reportRule := func(stopWeight int) []rules.Rule {
		return []rules.Rule{withActions(weighted(rule("report_stop", "len(suspect_accounts) > 0", "report"), stopWeight),
			intercept.RuleAction{Type: intercept.ActStopPayment, Target: "suspect_accounts"})}
	}
	report := it.Report("r-1", t0, victim, nil, []string{muleAcct})
	out := func() *intercept.Event {
		return it.Transfer("t-1", t0.Add(10*time.Minute), muleAcct, "", mule2Acct, 4900)
	}
	earlier := func(evs ...*intercept.Event) func(*testing.T, *intercept.Engine) {
		return func(t *testing.T, e *intercept.Engine) { feed(t, e, evs...) }
	}
	namesOrder := func(t *testing.T, e *intercept.Engine, d *intercept.Decision) {
		id, ok := e.State().Stopped(muleAcct)
		m := findMatch(d.Matched, "out_of_stopped")
		if !ok || m == nil || !strings.Contains(m.Why, muleAcct+" is under stop-payment order "+id) {
			t.Errorf("order %q (in force %v) not named in %+v", id, ok, m)
		}
	}
	runFn(t, base, []fnCase{
		{name: "money leaving a stopped account", extra: reportRule(100), setup: earlier(report), trigger: out(), want: true,
			check: namesOrder},
		{name: "never stopped", extra: reportRule(100), trigger: out()},
		{name: "report only orange: no order", extra: reportRule(60), setup: earlier(report), trigger: out()},
		{name: "stop released", extra: reportRule(100), trigger: out(),
			setup: func(t *testing.T, e *intercept.Engine) {
				feed(t, e, report)
				if !e.ReleaseStop(muleAcct) {
					t.Fatal("no stop to release")
				}
			}},
		{name: "money into a stopped account", extra: reportRule(100), setup: earlier(report),
			trigger: it.Transfer("t-1", t0.Add(10*time.Minute), victimAcct, victim, muleAcct, 100)},
		{name: "payee check", expr: `stopped(payee_account)`, extra: reportRule(100), setup: earlier(report),
			trigger: it.Transfer("t-1", t0.Add(10*time.Minute), victimAcct, victim, muleAcct, 100), want: true,
			why: []string{muleAcct + " is under stop-payment order "}},
	})
}
