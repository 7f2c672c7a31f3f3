package rules_test

import (
	"testing"
	"time"

	"github.com/lanjie/lanjie/intercept"
	it "github.com/lanjie/lanjie/intercept/intercepttest"
)

func TestPayeeCount(t *testing.T) {
	base := rule("payee_busy", `payee_count(payee_account, 10) >= 3`)
	tr := func(id string, at time.Time, payer, payee string) *intercept.Event {
		return it.Transfer(id, at, payer, "", payee, 100)
	}
	earlier := func(evs ...*intercept.Event) func(*testing.T, *intercept.Engine) {
		return func(t *testing.T, e *intercept.Engine) { feed(t, e, evs...) }
	}
	cases := []fnCase{
		{name: "three in 10m, the first exactly 10m before",
			setup:   earlier(tr("t-1", t0, victimAcct, muleAcct), tr("t-2", t0.Add(5*time.Minute), victimAcct2, muleAcct)),
			trigger: tr("t-3", t0.Add(10*time.Minute), victimAcct3, muleAcct), want: true,
			why: []string{muleAcct + " received 3 transfers in 10m"}},
		{name: "the first a second outside the window",
			setup:   earlier(tr("t-1", t0, victimAcct, muleAcct), tr("t-2", t0.Add(5*time.Minute), victimAcct2, muleAcct)),
			trigger: tr("t-3", t0.Add(10*time.Minute+time.Second), victimAcct3, muleAcct)},
		{name: "two only", setup: earlier(tr("t-1", t0, victimAcct, muleAcct)),
			trigger: tr("t-2", t0.Add(time.Minute), victimAcct2, muleAcct)},
		{name: "one payer three times counts three",
			setup:   earlier(tr("t-1", t0, victimAcct, muleAcct), tr("t-2", t0.Add(time.Minute), victimAcct, muleAcct)),
			trigger: tr("t-3", t0.Add(2*time.Minute), victimAcct, muleAcct), want: true,
			why: []string{muleAcct + " received 3 transfers in 10m"}},
		{name: "transfers into another account do not count",
			setup:   earlier(tr("t-1", t0, victimAcct, mule2Acct), tr("t-2", t0.Add(time.Minute), victimAcct2, mule2Acct)),
			trigger: tr("t-3", t0.Add(2*time.Minute), victimAcct3, muleAcct)},
		{name: "transfers out of the account do not count",
			setup:   earlier(tr("t-1", t0, muleAcct, mule2Acct), tr("t-2", t0.Add(time.Minute), muleAcct, victimAcct)),
			trigger: tr("t-3", t0.Add(2*time.Minute), victimAcct3, muleAcct)},
		{name: "a transfer dated after the trigger does not count",
			setup:   earlier(tr("t-1", t0, victimAcct, muleAcct), tr("t-2", t0.Add(8*time.Minute), victimAcct2, muleAcct)),
			trigger: tr("t-3", t0.Add(5*time.Minute), victimAcct3, muleAcct)},
		{name: "wider window", expr: `payee_count(payee_account, 60) >= 3`,
			setup:   earlier(tr("t-1", t0, victimAcct, muleAcct), tr("t-2", t0.Add(30*time.Minute), victimAcct2, muleAcct)),
			trigger: tr("t-3", t0.Add(59*time.Minute), victimAcct3, muleAcct), want: true,
			why: []string{muleAcct + " received 3 transfers in 60m"}},
		{name: "the trigger itself counts", expr: `payee_count(payee_account, 1) == 1`,
			trigger: tr("t-1", t0, victimAcct, muleAcct), want: true, why: []string{"received 1 transfers in 1m"}},
	}
	cases = append(cases, badMinutes(
		func(m string) string { return "payee_count(payee_account, " + m + ") >= 3" },
		func() *intercept.Event { return tr("t-1", t0, victimAcct, muleAcct) })...)
	runFn(t, base, cases)
}

// A window longer than Settings.WindowHorizon (2h by default): the engine must either
// refuse it (the rule's error on the decision) or answer it, never answer a shorter
// window silently.
func TestPayeeCountBeyondHorizon(t *testing.T) {
	e := engineWith(t, rule("payee_day", `payee_count(payee_account, 600) >= 3`))
	feed(t, e,
		it.Transfer("t-1", t0.Add(-150*time.Minute), victimAcct, "", muleAcct, 100),
		it.Transfer("t-2", t0.Add(-140*time.Minute), victimAcct2, "", muleAcct, 100))
	d := decide(t, e, it.Transfer("t-3", t0, victimAcct3, "", muleAcct, 100))
	if findError(d, "payee_day") == nil && findMatch(d.Matched, "payee_day") == nil {
		t.Errorf("payee_count over 600m (horizon %s) neither failed nor counted the 3 transfers of the last 150m: %+v",
			e.State().Horizon(), d)
	}
}
