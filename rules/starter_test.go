package rules_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/lanjie/lanjie/intercept"
	it "github.com/lanjie/lanjie/intercept/intercepttest"
	"github.com/lanjie/lanjie/rules"
)

// scenario runs events on a fresh starter engine and returns the decision on the last.
type scenario func(t *testing.T, e *intercept.Engine) *intercept.Decision

// starterScenarios holds, for every starter rule, a scenario where it fires and a
// near miss where it does not.
var starterScenarios = map[string]struct{ pos, neg scenario }{
	"transfer_after_listed_call": {
		pos: afterCall(func(t *testing.T, e *intercept.Engine) { it.Black(t, e, domestic) }, it.Call("c-1", t0, domestic, victim), 30*time.Minute, 5000),
		neg: afterCall(func(t *testing.T, e *intercept.Engine) { it.Black(t, e, domestic) }, it.Call("c-1", t0, domestic, victim), 30*time.Minute+time.Second, 5000),
	},
	"transfer_after_spoofed_call": {
		pos: afterCall(func(t *testing.T, e *intercept.Engine) { it.White(t, e, official) }, viaGateway(it.Call("c-1", t0, official, victim)), 60*time.Minute, 5000),
		neg: afterCall(func(t *testing.T, e *intercept.Engine) { it.White(t, e, official) }, it.Call("c-1", t0, official, victim), 10*time.Minute, 5000),
	},
	"transfer_after_overseas_call": {
		pos: afterCall(nil, it.Call("c-1", t0, scammer, victim), 30*time.Minute, 1000),
		neg: afterCall(nil, it.Call("c-1", t0, scammer, victim), 10*time.Minute, 999),
	},
	"transfer_after_virtual_call": {
		pos: afterCall(nil, it.Call("c-1", t0, virtualNo, victim), 30*time.Minute, 1000),
		neg: afterCall(nil, it.Call("c-1", t0, notVirtual, victim), 10*time.Minute, 1000),
	},
	"transfer_during_risky_call": {
		pos: afterCall(nil, it.Call("c-1", t0, virtualNo, victim), 5*time.Minute, 100),
		neg: afterCall(nil, it.Call("c-1", t0, virtualNo, victim), 5*time.Minute+time.Second, 100),
	},
	"drain_to_new_payee": {
		pos: events(withBalance(it.Transfer("t-1", t0, victimAcct, victim, muleAcct, 9000), 10000)),
		neg: events(it.Transfer("t-0", t0.Add(-time.Hour), victimAcct, victim, muleAcct, 100),
			withBalance(it.Transfer("t-1", t0, victimAcct, victim, muleAcct, 9000), 10000)),
	},
	"large_to_new_payee": {
		pos: events(it.Transfer("t-1", t0, victimAcct, victim, muleAcct, 20000)),
		neg: events(it.Transfer("t-1", t0, victimAcct, victim, muleAcct, 19999)),
	},
	"night_transfer_to_new_payee": {
		pos: events(it.Transfer("t-1", t0.Add(13*time.Hour), victimAcct, victim, muleAcct, 10000)),
		neg: events(it.Transfer("t-1", t0.Add(13*time.Hour-time.Second), victimAcct, victim, muleAcct, 10000)),
	},
	"mule_many_payers": {
		pos: events(it.Transfer("t-1", t0, victimAcct, "", muleAcct, 3000), it.Transfer("t-2", t0.Add(10*time.Minute), victimAcct2, "", muleAcct, 3000),
			it.Transfer("t-3", t0.Add(30*time.Minute), victimAcct3, "", muleAcct, 3000)),
		neg: events(it.Transfer("t-1", t0, victimAcct, "", muleAcct, 3000), it.Transfer("t-2", t0.Add(10*time.Minute), victimAcct2, "", muleAcct, 3000),
			it.Transfer("t-3", t0.Add(30*time.Minute), victimAcct, "", muleAcct, 3000)),
	},
	"mule_fast_inflow": {
		pos: inflow(5, 40000),
		neg: inflow(5, 39999),
	},
	"payee_blacklisted": {
		pos: listed(intercept.ListBlack, time.Time{}),
		neg: listed(intercept.ListGray, time.Time{}),
	},
	"payee_graylisted": {
		pos: listed(intercept.ListGray, time.Time{}),
		neg: listed(intercept.ListGray, t0), // expired as the transfer comes
	},
	"payee_reported_by_victims": {
		pos: events(it.Report("r-1", t0, victim2, nil, []string{muleAcct}), it.Report("r-2", t0.Add(time.Minute), "+8613800000003", nil, []string{muleAcct}),
			it.Transfer("t-1", t0.Add(time.Hour), victimAcct, victim, muleAcct, 100)),
		neg: events(it.Report("r-1", t0, victim2, nil, []string{muleAcct}), it.Report("r-2", t0.Add(time.Minute), victim2, nil, []string{muleAcct}),
			it.Transfer("t-1", t0.Add(time.Hour), victimAcct, victim, muleAcct, 100)),
	},
	"second_level_mule": {
		pos: func(t *testing.T, e *intercept.Engine) *intercept.Decision {
			feed(t, e, it.Report("r-1", t0, victim, nil, []string{muleAcct}))
			return decide(t, e, it.Transfer("t-1", t0.Add(10*time.Minute), muleAcct, "", mule2Acct, 100))
		},
		neg: func(t *testing.T, e *intercept.Engine) *intercept.Decision {
			feed(t, e, it.Report("r-1", t0, victim, nil, []string{muleAcct}))
			if !e.ReleaseStop(muleAcct) {
				t.Fatal("the report did not stop the account")
			}
			return decide(t, e, it.Transfer("t-1", t0.Add(10*time.Minute), muleAcct, "", mule2Acct, 100))
		},
	},
	"payee_history_reports": {
		pos: historyReports(muleAcct),
		neg: historyReports(mule2Acct),
	},
	"call_from_blacklisted": {
		pos: onList(intercept.ListBlack, time.Time{}, it.Call("c-1", t0, domestic, victim)),
		neg: onList(intercept.ListGray, time.Time{}, it.Call("c-1", t0, domestic, victim)),
	},
	"call_from_graylisted": {
		pos: onList(intercept.ListGray, t0.Add(time.Second), it.Call("c-1", t0, domestic, victim)),
		neg: onList(intercept.ListGray, t0, it.Call("c-1", t0, domestic, victim)),
	},
	"spoofed_official_number": {
		pos: func(t *testing.T, e *intercept.Engine) *intercept.Decision {
			it.White(t, e, official)
			return decide(t, e, viaGateway(it.Call("c-1", t0, official, victim)))
		},
		neg: func(t *testing.T, e *intercept.Engine) *intercept.Decision {
			it.White(t, e, official)
			return decide(t, e, it.Call("c-1", t0, official, victim))
		},
	},
	"call_centre_burst": {
		pos: burst(20, 20, false, false),
		neg: burst(20, 19, false, false),
	},
	"gateway_burst": {
		pos: burst(5, 5, true, false),
		neg: func(t *testing.T, e *intercept.Engine) *intercept.Decision {
			burst(4, 4, true, false)(t, e)
			return decide(t, e, it.Call("c-last", t0.Add(5*time.Minute), domestic, "+8613500009999"))
		},
	},
	"long_call_from_virtual": {
		pos: events(long(virtualNo, 600)),
		neg: events(long(virtualNo, 599)),
	},
	"sms_from_blacklisted": {
		pos: onList(intercept.ListBlack, time.Time{}, it.SMS("s-1", t0, domestic, victim, "你好")),
		neg: func(t *testing.T, e *intercept.Engine) *intercept.Decision {
			// White wins: an official line inside a black-listed range is not black.
			listNumber(t, e, "+86955", true, intercept.ListBlack, time.Time{})
			it.White(t, e, official)
			return decide(t, e, it.SMS("s-1", t0, official, victim, "你好"))
		},
	},
	"sms_link_from_virtual": {
		pos: events(it.SMS("s-1", t0, virtualNo, victim, "点击 http://t.cn/abc")),
		neg: events(it.SMS("s-1", t0, notVirtual, victim, "点击 http://t.cn/abc")),
	},
	"sms_scam_wording": {
		pos: events(it.SMS("s-1", t0, domestic, victim, "您的退款已到账，请点击 t.cn/abc 领取")),
		neg: events(it.SMS("s-1", t0, domestic, victim, "您的快递已到，请点击 t.cn/abc 查看")),
	},
	"sms_burst": {
		pos: burst(30, 30, false, true),
		neg: burst(30, 29, false, true),
	},
	"report_names_suspects": {
		pos: events(it.Report("r-1", t0, victim, nil, []string{muleAcct})),
		neg: events(it.Report("r-1", t0, victim, nil, nil)),
	},
	"report_repeat_suspect": {
		pos: events(it.Report("r-1", t0, victim, nil, []string{muleAcct}), it.Report("r-2", t0.Add(time.Hour), victim2, nil, []string{mule2Acct, muleAcct})),
		neg: events(it.Report("r-1", t0, victim, nil, []string{muleAcct}), it.Report("r-2", t0.Add(time.Hour), victim, nil, []string{mule2Acct, muleAcct})),
	},
}

// events decides evs in order.
func events(evs ...*intercept.Event) scenario {
	return func(t *testing.T, e *intercept.Engine) *intercept.Decision {
		feed(t, e, evs[:len(evs)-1]...)
		return decide(t, e, evs[len(evs)-1])
	}
}

// afterCall: list entries, a call or text to the victim, then the victim's transfer
// of yuan after gap.
func afterCall(lists func(*testing.T, *intercept.Engine), call *intercept.Event, gap time.Duration, yuan int64) scenario {
	return func(t *testing.T, e *intercept.Engine) *intercept.Decision {
		if lists != nil {
			lists(t, e)
		}
		feed(t, e, call)
		return decide(t, e, it.Transfer("t-1", call.At.Add(gap), victimAcct, victim, muleAcct, yuan))
	}
}

// inflow: n transfers of yuan from distinct payers into the mule, 10 minutes apart.
func inflow(n int, yuan int64) scenario {
	return func(t *testing.T, e *intercept.Engine) *intercept.Decision {
		var d *intercept.Decision
		for i := range n {
			d = decide(t, e, it.Transfer(fmt.Sprintf("t-%d", i), t0.Add(time.Duration(i)*10*time.Minute),
				fmt.Sprintf("62220200000001%02d", i), "", muleAcct, yuan))
		}
		return d
	}
}

// listed: the payee on list l (expiring at exp), then a transfer into it at t0.
func listed(l intercept.List, exp time.Time) scenario {
	return func(t *testing.T, e *intercept.Engine) *intercept.Decision {
		listAccount(t, e, muleAcct, l, exp)
		return decide(t, e, it.Transfer("t-1", t0, victimAcct, victim, muleAcct, 100))
	}
}

// onList: the domestic number on list l (expiring at exp), then ev from it.
func onList(l intercept.List, exp time.Time, ev *intercept.Event) scenario {
	return func(t *testing.T, e *intercept.Engine) *intercept.Decision {
		listNumber(t, e, domestic, false, l, exp)
		return decide(t, e, ev)
	}
}

// burst: n calls (or texts) from one domestic number within 10 minutes, to distinct
// callees distinct of them.
func burst(n, distinct int, gateway, sms bool) scenario {
	return func(t *testing.T, e *intercept.Engine) *intercept.Decision {
		var d *intercept.Decision
		for i := range n {
			at := t0.Add(time.Duration(i) * 10 * time.Minute / time.Duration(n))
			callee := fmt.Sprintf("+86135000%05d", i%distinct)
			ev := it.Call(fmt.Sprintf("c-%d", i), at, domestic, callee)
			if sms {
				ev = it.SMS(fmt.Sprintf("s-%d", i), at, domestic, callee, "你好")
			}
			if gateway {
				viaGateway(ev)
			}
			d = decide(t, e, ev)
		}
		return d
	}
}

func long(caller string, seconds int) *intercept.Event {
	ev := it.Call("c-1", t0, caller, victim)
	ev.DurationS = seconds
	return ev
}

// historyReports: a report names muleAcct; once acct's profile is cached, a transfer
// into acct.
func historyReports(acct string) scenario {
	return func(t *testing.T, e *intercept.Engine) *intercept.Decision {
		feed(t, e, it.Report("r-1", t0, victim2, nil, []string{muleAcct}))
		waitFor(t, func() bool { return e.State().Profile(acct).Known })
		return decide(t, e, it.Transfer("t-1", t0.Add(time.Hour), victimAcct, victim, acct, 5000))
	}
}

func TestStarterRules(t *testing.T) {
	rs := rules.Starter()
	if len(rs) == 0 {
		t.Fatal("no starter rules")
	}
	if _, err := rules.NewSet(rs); err != nil {
		t.Fatalf("starter set: %v", err)
	}
	for _, r := range rs {
		t.Run(r.ID, func(t *testing.T) {
			if _, err := rules.Compile(r); err != nil {
				t.Errorf("compile: %v", err)
			}
			if r.Name == "" || r.Description == "" {
				t.Errorf("name %q, description %q: want both", r.Name, r.Description)
			}
			if len(r.Kinds) == 0 {
				t.Error("no kinds")
			}
			if r.Weight == 0 {
				t.Error("no weight")
			}
			if r.Version < 1 {
				t.Errorf("version %d", r.Version)
			}
			if r.Mode == rules.Off {
				t.Error("a starter rule that is off")
			}
		})
	}
}

func TestStarterScenarios(t *testing.T) {
	ids := map[string]bool{}
	for _, r := range rules.Starter() {
		ids[r.ID] = true
		sc, ok := starterScenarios[r.ID]
		if !ok {
			t.Errorf("starter rule %s has no scenario", r.ID)
			continue
		}
		found := func(d *intercept.Decision) bool {
			if r.Mode == rules.Shadow {
				if findMatch(d.Matched, r.ID) != nil {
					t.Errorf("shadow rule %s in matched: %+v", r.ID, d.Matched)
				}
				return findMatch(d.Shadow, r.ID) != nil
			}
			if findMatch(d.Shadow, r.ID) != nil {
				t.Errorf("active rule %s in shadow", r.ID)
			}
			return findMatch(d.Matched, r.ID) != nil
		}
		t.Run(r.ID+"/fires", func(t *testing.T) {
			d := sc.pos(t, starterEngine(t))
			if !found(d) {
				t.Errorf("%s did not fire on %s: matched %v shadow %v errors %+v", r.ID, d.EventID, ruleIDs(d.Matched), ruleIDs(d.Shadow), d.Errors)
			}
			if len(d.Errors) > 0 {
				t.Errorf("rule errors: %+v", d.Errors)
			}
		})
		t.Run(r.ID+"/near_miss", func(t *testing.T) {
			d := sc.neg(t, starterEngine(t))
			if found(d) {
				t.Errorf("%s fired on the near miss %s: matched %v shadow %v", r.ID, d.EventID, ruleIDs(d.Matched), ruleIDs(d.Shadow))
			}
			if len(d.Errors) > 0 {
				t.Errorf("rule errors: %+v", d.Errors)
			}
		})
	}
	for id := range starterScenarios {
		if !ids[id] {
			t.Errorf("scenario for %s, which is not a starter rule", id)
		}
	}
}
