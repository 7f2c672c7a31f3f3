package rules_test

import (
	"testing"

	it "github.com/lanjie/lanjie/intercept/intercepttest"
)

func TestVirtualRange(t *testing.T) {
	base := rule("virtual_caller", `virtual_range(caller)`, "call", "sms")
	runFn(t, base, []fnCase{
		{name: "170", trigger: it.Call("c-1", t0, virtualNo, victim), want: true, why: []string{virtualNo + " is in a virtual-operator range"}},
		{name: "171", trigger: it.Call("c-1", t0, "+8617100000001", victim), want: true},
		{name: "162", trigger: it.Call("c-1", t0, "+8616200000001", victim), want: true},
		{name: "167 text", trigger: it.SMS("s-1", t0, "+8616700000001", victim, "hi"), want: true},
		{name: "168 is not virtual", trigger: it.Call("c-1", t0, notVirtual, victim)},
		{name: "ordinary mobile", trigger: it.Call("c-1", t0, domestic, victim)},
		{name: "170 under another country code", trigger: it.Call("c-1", t0, "+85517012345678", victim)},
		{name: "too short to be in the range", trigger: it.Call("c-1", t0, "+8617", victim)},
		{name: "not E.164", trigger: it.Call("c-1", t0, "17012345678", victim)},
		{name: "empty", expr: `virtual_range(payer_phone)`, kinds: []string{"transfer"}, trigger: it.Transfer("t-1", t0, victimAcct, "", muleAcct, 100)},
	})
}
