package rules_test

import (
	"strings"
	"testing"
	"time"

	"github.com/lanjie/lanjie/intercept"
	it "github.com/lanjie/lanjie/intercept/intercepttest"
)

func TestNumberList(t *testing.T) {
	base := rule("caller_black", `number_list(caller) == "black"`, "call", "sms")
	never := time.Time{}
	call := func(at time.Time, caller string) *intercept.Event { return it.Call("c-9", at, caller, victim) }
	exact := func(n string, l intercept.List, exp time.Time) func(*testing.T, *intercept.Engine) {
		return func(t *testing.T, e *intercept.Engine) { listNumber(t, e, n, false, l, exp) }
	}
	runFn(t, base, []fnCase{
		{name: "black entry", setup: exact(domestic, intercept.ListBlack, never), trigger: call(t0, domestic), want: true,
			why: []string{domestic + " is black-listed", "entry " + domestic, "test reason", "source desk", "by analyst1"}},
		{name: "black entry, text", setup: exact(domestic, intercept.ListBlack, never),
			trigger: it.SMS("s-9", t0, domestic, victim, "hi"), want: true, why: []string{domestic + " is black-listed"}},
		{name: "not listed", trigger: call(t0, domestic)},
		{name: "not listed reads empty", expr: `number_list(caller) == ""`, trigger: call(t0, domestic), want: true},
		{name: "another number listed", setup: exact(domestic2, intercept.ListBlack, never), trigger: call(t0, domestic)},
		{name: "gray is not black", setup: exact(domestic, intercept.ListGray, never), trigger: call(t0, domestic)},
		{name: "gray reads gray", expr: `number_list(caller) == "gray"`, setup: exact(domestic, intercept.ListGray, never),
			trigger: call(t0, domestic), want: true, why: []string{domestic + " is gray-listed"}},
		{name: "black range", trigger: call(t0, "+8617100000001"), want: true,
			setup: func(t *testing.T, e *intercept.Engine) { listNumber(t, e, "+86171", true, intercept.ListBlack, never) },
			why:   []string{"+8617100000001 is black-listed", "range +86171"}},
		{name: "range does not cover a shorter number", trigger: call(t0, "+8617"),
			setup: func(t *testing.T, e *intercept.Engine) { listNumber(t, e, "+86171", true, intercept.ListBlack, never) }},
		{name: "exact white wins over black range", trigger: call(t0, domestic),
			setup: func(t *testing.T, e *intercept.Engine) {
				listNumber(t, e, "+86139", true, intercept.ListBlack, never)
				listNumber(t, e, domestic, false, intercept.ListWhite, never)
			}},
		{name: "exact white over black range reads white", expr: `number_list(caller) == "white"`, trigger: call(t0, domestic), want: true,
			setup: func(t *testing.T, e *intercept.Engine) {
				listNumber(t, e, "+86139", true, intercept.ListBlack, never)
				listNumber(t, e, domestic, false, intercept.ListWhite, never)
			},
			why: []string{domestic + " is white-listed", "entry " + domestic}},
		{name: "white range wins over black entry", trigger: call(t0, domestic),
			setup: func(t *testing.T, e *intercept.Engine) {
				listNumber(t, e, domestic, false, intercept.ListBlack, never)
				listNumber(t, e, "+8613911", true, intercept.ListWhite, never)
			}},
		{name: "white range over black entry reads white", expr: `number_list(caller) == "white"`, trigger: call(t0, domestic), want: true,
			setup: func(t *testing.T, e *intercept.Engine) {
				listNumber(t, e, domestic, false, intercept.ListBlack, never)
				listNumber(t, e, "+8613911", true, intercept.ListWhite, never)
			},
			why: []string{domestic + " is white-listed", "range +8613911"}},
		{name: "black range wins over gray entry", trigger: call(t0, domestic), want: true,
			setup: func(t *testing.T, e *intercept.Engine) {
				listNumber(t, e, domestic, false, intercept.ListGray, never)
				listNumber(t, e, "+86139", true, intercept.ListBlack, never)
			},
			why: []string{"range +86139"}},
		{name: "entry a second before it expires", setup: exact(domestic, intercept.ListBlack, t0.Add(10*time.Minute)),
			trigger: call(t0.Add(10*time.Minute-time.Second), domestic), want: true},
		{name: "entry expired", setup: exact(domestic, intercept.ListBlack, t0.Add(10*time.Minute)),
			trigger: call(t0.Add(10*time.Minute), domestic)},
		{name: "expired white no longer hides black range", trigger: call(t0.Add(6*time.Minute), domestic), want: true,
			setup: func(t *testing.T, e *intercept.Engine) {
				listNumber(t, e, "+86139", true, intercept.ListBlack, never)
				listNumber(t, e, domestic, false, intercept.ListWhite, t0.Add(5*time.Minute))
			}},
		{name: "removed entry", trigger: call(t0, domestic),
			setup: func(t *testing.T, e *intercept.Engine) {
				listNumber(t, e, domestic, false, intercept.ListBlack, never)
				if _, err := e.State().Lists.RemoveNumber(domestic, false); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "reported number is black", trigger: call(t0.Add(time.Minute), scammer), want: true,
			setup: func(t *testing.T, e *intercept.Engine) {
				feed(t, e, it.Report("r-1", t0, victim2, []string{scammer}, nil))
			},
			why: []string{scammer + " is black-listed", "reported: impersonating_police", "source report", "by r-1"}},
		{name: "not an E.164 number", expr: `number_list(caller) == ""`, trigger: call(t0, "95588"), want: true},
	})
}

// A range entry is named once in the explanation: "range +86171: reason", not
// "range +86171 +86171: reason".
func TestNumberListRangeExplanation(t *testing.T) {
	e := engineWith(t, rule("caller_black", `number_list(caller) == "black"`, "call"))
	listNumber(t, e, "+86171", true, intercept.ListBlack, time.Time{})
	d := decide(t, e, it.Call("c-1", t0, "+8617100000001", victim))
	m := findMatch(d.Matched, "caller_black")
	if m == nil {
		t.Fatalf("no match: %+v", d)
	}
	if strings.Count(m.Why, "+86171 ") > 1 || strings.Contains(m.Why, "+86171 +86171") {
		t.Errorf("why names the range twice: %q", m.Why)
	}
}
