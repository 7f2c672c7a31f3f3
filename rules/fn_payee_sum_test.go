package rules_test

import (
	"testing"
	"time"

	"github.com/lanjie/lanjie/intercept"
)

func TestPayeeSum(t *testing.T) {
	base := rule("payee_inflow", `payee_sum(payee_account, 60) >= 10000`)
	tr := func(id string, at time.Time, payer, payee string, fen intercept.Fen) *intercept.Event {
		return transferFen(id, at, payer, "", payee, fen)
	}
	earlier := func(evs ...*intercept.Event) func(*testing.T, *intercept.Engine) {
		return func(t *testing.T, e *intercept.Engine) { feed(t, e, evs...) }
	}
	cases := []fnCase{
		{name: "¥10,000 in 60m, the first exactly 60m before",
			setup:   earlier(tr("t-1", t0, victimAcct, muleAcct, 400000)),
			trigger: tr("t-2", t0.Add(60*time.Minute), victimAcct2, muleAcct, 600000), want: true,
			why: []string{muleAcct + " received ¥10000 in 60m"}},
		{name: "the first a second outside the window",
			setup:   earlier(tr("t-1", t0, victimAcct, muleAcct, 400000)),
			trigger: tr("t-2", t0.Add(60*time.Minute+time.Second), victimAcct2, muleAcct, 600000)},
		{name: "one fen short",
			setup:   earlier(tr("t-1", t0, victimAcct, muleAcct, 400000)),
			trigger: tr("t-2", t0.Add(time.Minute), victimAcct2, muleAcct, 599999)},
		{name: "fen add up across transfers",
			setup:   earlier(tr("t-1", t0, victimAcct, muleAcct, 400050)),
			trigger: tr("t-2", t0.Add(time.Minute), victimAcct2, muleAcct, 599950), want: true,
			why: []string{"received ¥10000 in 60m"}},
		{name: "one large transfer", trigger: tr("t-1", t0, victimAcct, muleAcct, 5000000), want: true,
			why: []string{"received ¥50000 in 60m"}},
		{name: "another account's inflow does not count",
			setup:   earlier(tr("t-1", t0, victimAcct, mule2Acct, 900000)),
			trigger: tr("t-2", t0.Add(time.Minute), victimAcct2, muleAcct, 200000)},
		{name: "whole yuan, rounded down", expr: `payee_sum(payee_account, 60) == 0`,
			trigger: tr("t-1", t0, victimAcct, muleAcct, 99), want: true},
	}
	cases = append(cases, badMinutes(
		func(m string) string { return "payee_sum(payee_account, " + m + ") >= 1" },
		func() *intercept.Event { return tr("t-1", t0, victimAcct, muleAcct, 500000) })...)
	runFn(t, base, cases)
}
