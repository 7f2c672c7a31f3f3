package rules_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/lanjie/lanjie/intercept"
	it "github.com/lanjie/lanjie/intercept/intercepttest"
)

func TestCallerCallees(t *testing.T) {
	base := rule("call_centre", `caller_callees(caller, 10) >= 5`, "call", "sms")
	callee := func(i int) string { return fmt.Sprintf("+861380000%04d", i) }
	// calls returns calls from caller to callees 0..n-1, one a minute from start.
	calls := func(caller string, start time.Time, n int) []*intercept.Event {
		var evs []*intercept.Event
		for i := range n {
			evs = append(evs, it.Call(fmt.Sprintf("c-%d", i), start.Add(time.Duration(i)*time.Minute), caller, callee(i)))
		}
		return evs
	}
	earlier := func(evs ...*intercept.Event) func(*testing.T, *intercept.Engine) {
		return func(t *testing.T, e *intercept.Engine) { feed(t, e, evs...) }
	}
	cases := []fnCase{
		{name: "five callees, the first exactly 10m before",
			setup:   earlier(calls(domestic, t0, 4)...),
			trigger: it.Call("c-x", t0.Add(10*time.Minute), domestic, callee(99)), want: true,
			why: []string{domestic + " called or texted 5 distinct numbers in 10m"}},
		{name: "the first a second outside the window",
			setup:   earlier(calls(domestic, t0, 4)...),
			trigger: it.Call("c-x", t0.Add(10*time.Minute+time.Second), domestic, callee(99))},
		{name: "calls and texts both count",
			setup: earlier(it.SMS("s-1", t0, domestic, callee(1), "hi"), it.Call("c-2", t0.Add(time.Minute), domestic, callee(2)),
				it.SMS("s-3", t0.Add(2*time.Minute), domestic, callee(3), "hi"), it.Call("c-4", t0.Add(3*time.Minute), domestic, callee(4))),
			trigger: it.SMS("s-5", t0.Add(4*time.Minute), domestic, callee(5), "hi"), want: true,
			why: []string{"5 distinct numbers in 10m"}},
		{name: "the same callee again does not count twice",
			setup:   earlier(calls(domestic, t0, 4)...),
			trigger: it.Call("c-x", t0.Add(5*time.Minute), domestic, callee(0))},
		{name: "another caller's calls do not count",
			setup:   earlier(calls(domestic2, t0, 4)...),
			trigger: it.Call("c-x", t0.Add(5*time.Minute), domestic, callee(99))},
		{name: "calls received do not count",
			setup: earlier(it.Call("c-1", t0, callee(1), domestic), it.Call("c-2", t0, callee(2), domestic),
				it.Call("c-3", t0, callee(3), domestic), it.Call("c-4", t0, callee(4), domestic)),
			trigger: it.Call("c-x", t0.Add(time.Minute), domestic, callee(99))},
		{name: "the trigger counts", expr: `caller_callees(caller, 1) == 1`,
			trigger: it.Call("c-1", t0, domestic, victim), want: true, why: []string{"called or texted 1 distinct numbers in 1m"}},
	}
	cases = append(cases, badMinutes(
		func(m string) string { return "caller_callees(caller, " + m + ") >= 1" },
		func() *intercept.Event { return it.Call("c-1", t0, domestic, victim) })...)
	runFn(t, base, cases)
}
