package rules_test

import (
	"testing"

	it "github.com/lanjie/lanjie/intercept/intercepttest"
)

func TestOverseas(t *testing.T) {
	base := rule("overseas_caller", `overseas(caller)`, "call", "sms")
	runFn(t, base, []fnCase{
		{name: "Cambodia", trigger: it.Call("c-1", t0, scammer, victim), want: true, why: []string{scammer + " is overseas"}},
		{name: "United States", trigger: it.Call("c-1", t0, "+12025550123", victim), want: true, why: []string{"+12025550123 is overseas"}},
		{name: "text from abroad", trigger: it.SMS("s-1", t0, "+6591234567", victim, "hi"), want: true, why: []string{"+6591234567 is overseas"}},
		{name: "domestic", trigger: it.Call("c-1", t0, domestic, victim)},
		{name: "domestic virtual range", trigger: it.Call("c-1", t0, virtualNo, victim)},
		{name: "domestic official line", trigger: it.Call("c-1", t0, official, victim)},
		{name: "empty number", expr: `overseas(payer_phone)`, kinds: []string{"transfer"},
			trigger: it.Transfer("t-1", t0, victimAcct, "", muleAcct, 100)},
		{name: "payer phone", expr: `overseas(payer_phone)`, kinds: []string{"transfer"}, want: true, why: []string{scammer + " is overseas"},
			trigger: it.Transfer("t-1", t0, victimAcct, scammer, muleAcct, 100)},
	})
}
