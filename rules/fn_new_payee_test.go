package rules_test

import (
	"testing"
	"time"

	"github.com/lanjie/lanjie/intercept"
	it "github.com/lanjie/lanjie/intercept/intercepttest"
)

func TestNewPayee(t *testing.T) {
	base := rule("new_payee", `new_payee(payer_account, payee_account)`)
	tr := func(id string, at time.Time, payer, payee string) *intercept.Event {
		return it.Transfer(id, at, payer, victim, payee, 100)
	}
	earlier := func(evs ...*intercept.Event) func(*testing.T, *intercept.Engine) {
		return func(t *testing.T, e *intercept.Engine) { feed(t, e, evs...) }
	}
	runFn(t, base, []fnCase{
		{name: "first transfer", trigger: tr("t-1", t0, victimAcct, muleAcct), want: true,
			why: []string{"first transfer to " + muleAcct}},
		{name: "paid before", setup: earlier(tr("t-1", t0, victimAcct, muleAcct)),
			trigger: tr("t-2", t0.Add(time.Minute), victimAcct, muleAcct)},
		{name: "paid 89 days before", setup: earlier(tr("t-1", t0.Add(-89*24*time.Hour), victimAcct, muleAcct)),
			trigger: tr("t-2", t0, victimAcct, muleAcct)},
		{name: "another payer paid this payee", setup: earlier(tr("t-1", t0, victimAcct2, muleAcct)),
			trigger: tr("t-2", t0.Add(time.Minute), victimAcct, muleAcct), want: true},
		{name: "this payer paid another payee", setup: earlier(tr("t-1", t0, victimAcct, mule2Acct)),
			trigger: tr("t-2", t0.Add(time.Minute), victimAcct, muleAcct), want: true},
		{name: "the payee paid the payer", setup: earlier(tr("t-1", t0, muleAcct, victimAcct)),
			trigger: tr("t-2", t0.Add(time.Minute), victimAcct, muleAcct), want: true},
		{name: "a transfer dated later is not before", setup: earlier(tr("t-1", t0.Add(time.Hour), victimAcct, muleAcct)),
			trigger: tr("t-2", t0, victimAcct, muleAcct), want: true},
		{name: "negated", expr: `!new_payee(payer_account, payee_account)`,
			setup: earlier(tr("t-1", t0, victimAcct, muleAcct)), trigger: tr("t-2", t0.Add(time.Minute), victimAcct, muleAcct), want: true},
	})
}
