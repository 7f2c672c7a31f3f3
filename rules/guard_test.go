package rules

import (
	"testing"
	"time"

	"github.com/expr-lang/expr/parser"
	"github.com/lanjie/lanjie/intercept"
)

// The guard must agree with the VM on the first conjunct: never false where the
// whole expression could be true.
func TestFirstGuardAgreesWithTheRule(t *testing.T) {
	events := []*intercept.Event{
		{ID: "a", Kind: intercept.KindTransfer, At: time.Unix(0, 0), Amount: 99900, HasBalance: true, PayerBalance: 100000, PayerPhone: "+8613800000001"},
		{ID: "b", Kind: intercept.KindTransfer, At: time.Unix(3600*23, 0), Amount: 100000},
		{ID: "c", Kind: intercept.KindCall, At: time.Unix(0, 0), Origin: "international_gateway", DurationS: 600},
		{ID: "d", Kind: intercept.KindCall, At: time.Unix(0, 0), DurationS: 599},
	}
	for _, src := range []string{
		"amount >= 1000 && true", "amount > 999 and true", "amount < 1000.5", "amount <= 999", "amount == 1000", "amount != 1000",
		"has_balance && amount > 1", "payer_phone != \"\" && true", "origin == \"international_gateway\"",
		"duration >= 600 && duration < 700", "hour >= 23", "kind == \"call\"",
	} {
		tree, err := parser.Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		g := firstGuard(tree.Node)
		if g == nil {
			t.Errorf("%s: no guard", src)
			continue
		}
		c, err := Compile(Rule{ID: "g", Expr: src, Kinds: []string{"transfer", "call"}, Weight: 1, Mode: Active})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range events {
			env := newEnv()
			env.load(nil, ev)
			res, err := env.machine.Run(c.prog, env)
			if err != nil {
				t.Fatal(err)
			}
			if res == true && !g(env) {
				t.Errorf("%s on %s: the rule is true but the guard says false", src, ev.ID)
			}
		}
	}
	for _, src := range []string{"number_list(caller) == \"black\"", "amount >= balance", "!has_balance", "hour >= 23 || hour < 6"} {
		tree, _ := parser.Parse(src)
		if firstGuard(tree.Node) != nil {
			t.Errorf("%s: guarded, but its first test is not a plain field-constant comparison", src)
		}
	}
}
