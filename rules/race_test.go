package rules_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lanjie/lanjie/intercept"
	it "github.com/lanjie/lanjie/intercept/intercepttest"
	"github.com/lanjie/lanjie/rules"
)

// Decisions run in parallel while lists change and rule sets are swapped. Whatever
// set a decision runs with, and whatever the churning entries say, a number and an
// account black-listed throughout always match, a number never listed never does,
// and no rule fails. Run with -race.
func TestConcurrentDecisions(t *testing.T) {
	const (
		stableNo   = "+8613900000001"
		stableAcct = "6228480000000777"
		workers    = 4
		perWorker  = 200
	)
	e := it.Engine(t)
	it.Black(t, e, stableNo)
	it.Black(t, e, stableAcct)

	base := []rules.Rule{
		weighted(rule("black_caller", `number_list(caller) == "black"`, "call", "sms"), 60),
		weighted(rule("black_payee", `account_list(payee_account) == "black"`), 80),
		weighted(rule("after_listed_call", `listed_contacts(payer_phone, 30) > 0`), 60),
	}
	setA, err := rules.NewSet(base)
	if err != nil {
		t.Fatal(err)
	}
	v2 := append([]rules.Rule{}, base...)
	for i := range v2 {
		v2[i].Version = 2
	}
	v2 = append(v2, rule("busy_payee", "payee_count(payee_account, 10) >= 3"),
		rule("many_callees", "caller_callees(caller, 10) >= 3", "call"),
		mode(rule("shadow_victims", "victims(payee_account) >= 1"), rules.Shadow))
	setB, err := rules.NewSet(v2)
	if err != nil {
		t.Fatal(err)
	}
	e.SetEvaluator(setA)

	stop := make(chan struct{})
	var bg sync.WaitGroup
	bg.Add(2)
	go func() { // list churn on numbers, ranges and accounts disjoint from the stable ones
		defer bg.Done()
		l := e.State().Lists
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			n := fmt.Sprintf("+86137%08d", i%64)
			a := fmt.Sprintf("62284800001%05d", i%64)
			ent := intercept.Entry{Value: n, List: intercept.ListBlack, Reason: "churn", Source: "test", Who: "race", Added: t0}
			if err := l.AddNumber(ent); err != nil {
				t.Errorf("add %s: %v", n, err)
				return
			}
			ent.Value, ent.List = a, intercept.ListGray
			if err := l.AddAccount(ent); err != nil {
				t.Errorf("add %s: %v", a, err)
				return
			}
			ent.Value, ent.Prefix, ent.List = "+86136", true, intercept.ListGray
			if err := l.AddNumber(ent); err != nil {
				t.Errorf("add range: %v", err)
				return
			}
			if _, err := l.RemoveNumber(n, false); err != nil {
				t.Errorf("remove %s: %v", n, err)
			}
			if _, err := l.RemoveAccount(a); err != nil {
				t.Errorf("remove %s: %v", a, err)
			}
			if _, err := l.RemoveNumber("+86136", true); err != nil && !errors.Is(err, intercept.ErrNotFound) {
				t.Errorf("remove range: %v", err)
			}
		}
	}()
	go func() { // rule set swaps
		defer bg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			e.SetEvaluator(setB)
			e.SetEvaluator(setA)
		}
	}()

	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				at := t0.Add(time.Duration(i) * time.Second)
				phone := fmt.Sprintf("+86138%02d%06d", w, i)
				acct := fmt.Sprintf("62220200%02d%06d", w, i)
				check := func(d *intercept.Decision, err error, want ...string) {
					if err != nil {
						t.Errorf("decide: %v", err)
						return
					}
					if len(d.Errors) > 0 {
						t.Errorf("%s: rule errors %+v", d.EventID, d.Errors)
					}
					for _, id := range want {
						m := findMatch(d.Matched, id)
						if m == nil {
							t.Errorf("%s: %s did not match: %+v", d.EventID, id, d.Matched)
						} else if m.Version != 1 && m.Version != 2 {
							t.Errorf("%s: version %d", d.EventID, m.Version)
						}
					}
				}
				ctx := t.Context()
				d, err := e.Decide(ctx, it.Call(fmt.Sprintf("c-%d-%d", w, i), at, stableNo, phone))
				check(d, err, "black_caller")
				d, err = e.Decide(ctx, it.Transfer(fmt.Sprintf("t-%d-%d", w, i), at.Add(time.Minute), acct, phone, stableAcct, 1000))
				check(d, err, "black_payee", "after_listed_call")
				if err == nil && d.Level != intercept.Red {
					t.Errorf("%s: level %s, want red", d.EventID, d.Level)
				}
				d, err = e.Decide(ctx, it.Call(fmt.Sprintf("q-%d-%d", w, i), at, fmt.Sprintf("+86135%02d%06d", w, i), phone))
				check(d, err)
				if err == nil && findMatch(d.Matched, "black_caller") != nil {
					t.Errorf("%s: a never-listed caller matched black_caller", d.EventID)
				}
				// Churned numbers may or may not be listed: only no errors.
				d, err = e.Decide(ctx, it.Call(fmt.Sprintf("x-%d-%d", w, i), at, fmt.Sprintf("+86137%08d", i%64), phone))
				check(d, err)
			}
		}()
	}
	wg.Wait()
	close(stop)
	bg.Wait()
}
