package rules_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lanjie/lanjie/intercept"
	it "github.com/lanjie/lanjie/intercept/intercepttest"
	"github.com/lanjie/lanjie/rules"
)

const (
	victim     = "+8613800000001"
	victimAcct = "6222020000000001"
	scammer    = "+85512345678"
	muleAcct   = "6228480000000002"
	mule2Acct  = "6228480000000003"
)

func starterEngine(t testing.TB) *intercept.Engine {
	t.Helper()
	e := it.Engine(t)
	set, err := rules.NewSet(rules.Starter())
	if err != nil {
		t.Fatalf("starter rules: %v", err)
	}
	e.SetEvaluator(set)
	return e
}

func decide(t testing.TB, e *intercept.Engine, ev *intercept.Event) *intercept.Decision {
	t.Helper()
	d, err := e.Decide(context.Background(), ev)
	if err != nil {
		t.Fatalf("decide %s: %v", ev.ID, err)
	}
	return d
}

func action(d *intercept.Decision, typ intercept.ActionType, target string) *intercept.Action {
	for i, a := range d.Actions {
		if a.Type == typ && (a.Account == target || a.Phone == target) {
			return &d.Actions[i]
		}
	}
	return nil
}

// The demo scenario of issue 2: a call from a listed overseas number, then a transfer
// to a first-time payee 7 minutes later is red, stops the payee, warns the victim and
// names the call; money leaving the stopped payee is stopped as a second-level mule.
func TestDemoScenario(t *testing.T) {
	e := starterEngine(t)
	it.Black(t, e, scammer)

	call := decide(t, e, it.Call("c-1", it.T0, scammer, victim))
	if call.Level < intercept.Orange {
		t.Errorf("call from a listed number: level %s, want orange or red", call.Level)
	}

	tr := it.Transfer("t-1", it.T0.Add(7*time.Minute), victimAcct, victim, muleAcct, 50000)
	d := decide(t, e, tr)
	if d.Level != intercept.Red {
		t.Fatalf("transfer after the scam call: level %s (score %d), want red; matched %+v", d.Level, d.Score, d.Matched)
	}
	stop := action(d, intercept.ActStopPayment, muleAcct)
	if stop == nil || stop.OrderID == "" || stop.Bank != "ABC" {
		t.Errorf("want a stop_payment order on the payee %s, got actions %+v", muleAcct, d.Actions)
	}
	if w := action(d, intercept.ActWarn, victim); w == nil || w.TaskID == "" {
		t.Errorf("want a warn task for %s, got actions %+v", victim, d.Actions)
	}
	named := false
	for _, m := range d.Matched {
		if strings.Contains(m.Why, scammer) && len(m.Links) > 0 && m.Links[0] == "c-1" {
			named = true
		}
	}
	if !named {
		t.Errorf("no explanation names the call c-1 from %s: %+v", scammer, d.Matched)
	}

	out := decide(t, e, it.Transfer("t-2", it.T0.Add(20*time.Minute), muleAcct, "", mule2Acct, 49000))
	if out.Level != intercept.Red || action(out, intercept.ActStopPayment, mule2Acct) == nil {
		t.Errorf("money leaving the stopped payee: level %s, actions %+v; want red with a stop on %s", out.Level, out.Actions, mule2Acct)
	}
	if !hasRule(out, "second_level_mule") {
		t.Errorf("second-level mule rule did not match: %+v", out.Matched)
	}
}

func TestDemoScenarioWithoutCallIsNotRed(t *testing.T) {
	e := starterEngine(t)
	it.Black(t, e, scammer)
	d := decide(t, e, it.Transfer("t-1", it.T0.Add(7*time.Minute), victimAcct, victim, muleAcct, 50000))
	if d.Level == intercept.Red {
		t.Errorf("transfer with no call before it: red (score %d, %+v)", d.Score, d.Matched)
	}
	if action(d, intercept.ActStopPayment, muleAcct) != nil {
		t.Errorf("stop_payment issued without cause: %+v", d.Actions)
	}
}

func hasRule(d *intercept.Decision, id string) bool {
	for _, m := range d.Matched {
		if m.Rule == id {
			return true
		}
	}
	return false
}
