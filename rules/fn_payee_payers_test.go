package rules_test

import (
	"testing"
	"time"

	"github.com/lanjie/lanjie/intercept"
	it "github.com/lanjie/lanjie/intercept/intercepttest"
)

func TestPayeePayers(t *testing.T) {
	base := rule("mule", `payee_payers(payee_account, 30) >= 3`)
	tr := func(id string, at time.Time, payer, payee string) *intercept.Event {
		return it.Transfer(id, at, payer, "", payee, 3000)
	}
	earlier := func(evs ...*intercept.Event) func(*testing.T, *intercept.Engine) {
		return func(t *testing.T, e *intercept.Engine) { feed(t, e, evs...) }
	}
	cases := []fnCase{
		{name: "three payers, the first exactly 30m before",
			setup:   earlier(tr("t-1", t0, victimAcct, muleAcct), tr("t-2", t0.Add(10*time.Minute), victimAcct2, muleAcct)),
			trigger: tr("t-3", t0.Add(30*time.Minute), victimAcct3, muleAcct), want: true,
			why: []string{muleAcct + " was paid by 3 distinct payers in 30m"}},
		{name: "the first a second outside the window",
			setup:   earlier(tr("t-1", t0, victimAcct, muleAcct), tr("t-2", t0.Add(10*time.Minute), victimAcct2, muleAcct)),
			trigger: tr("t-3", t0.Add(30*time.Minute+time.Second), victimAcct3, muleAcct)},
		{name: "three transfers from two payers",
			setup:   earlier(tr("t-1", t0, victimAcct, muleAcct), tr("t-2", t0.Add(time.Minute), victimAcct2, muleAcct)),
			trigger: tr("t-3", t0.Add(2*time.Minute), victimAcct, muleAcct)},
		{name: "three payers into different accounts",
			setup:   earlier(tr("t-1", t0, victimAcct, mule2Acct), tr("t-2", t0.Add(time.Minute), victimAcct2, mule2Acct)),
			trigger: tr("t-3", t0.Add(2*time.Minute), victimAcct3, muleAcct)},
		{name: "five transfers from four payers", expr: `payee_payers(payee_account, 30) == 4`,
			setup: earlier(tr("t-1", t0, victimAcct, muleAcct), tr("t-2", t0.Add(time.Minute), victimAcct2, muleAcct),
				tr("t-3", t0.Add(2*time.Minute), victimAcct3, muleAcct), tr("t-4", t0.Add(3*time.Minute), victimAcct, muleAcct)),
			trigger: tr("t-5", t0.Add(4*time.Minute), "6222020000000009", muleAcct), want: true,
			why: []string{"paid by 4 distinct payers in 30m"}},
	}
	cases = append(cases, badMinutes(
		func(m string) string { return "payee_payers(payee_account, " + m + ") >= 1" },
		func() *intercept.Event { return tr("t-1", t0, victimAcct, muleAcct) })...)
	runFn(t, base, cases)
}
