package rules_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lanjie/lanjie/intercept"
	it "github.com/lanjie/lanjie/intercept/intercepttest"
	"github.com/lanjie/lanjie/rules"
)

func ruleIDs(ms []intercept.Match) []string {
	ids := []string{}
	for _, m := range ms {
		ids = append(ids, m.Rule)
	}
	return ids
}

func errorIDs(es []intercept.RuleError) []string {
	ids := []string{}
	for _, e := range es {
		ids = append(ids, e.Rule)
	}
	return ids
}

func stop(r rules.Rule) rules.Rule {
	return withActions(r, intercept.RuleAction{Type: intercept.ActStopPayment, Target: "payee_account"},
		intercept.RuleAction{Type: intercept.ActWarn, Target: "payer_phone"})
}

func mode(r rules.Rule, m rules.Mode) rules.Rule { r.Mode = m; return r }

func TestSetEvaluate(t *testing.T) {
	transfer := func() *intercept.Event { return it.Transfer("t-1", t0, victimAcct, victim, muleAcct, 5000) }
	tests := []struct {
		name    string
		rules   []rules.Rule
		ev      *intercept.Event
		matched []string
		shadow  []string
		errors  []string
		score   int
		level   intercept.Level
		actions []intercept.ActionType
	}{
		{name: "active rule scores and acts",
			rules: []rules.Rule{stop(weighted(rule("a", "amount > 1000"), 80))}, ev: transfer(),
			matched: []string{"a"}, score: 80, level: intercept.Red,
			actions: []intercept.ActionType{intercept.ActStopPayment, intercept.ActWarn}},
		{name: "shadow rule is reported, never scored or acted on",
			rules: []rules.Rule{mode(stop(weighted(rule("s", "amount > 1000"), 100)), rules.Shadow)}, ev: transfer(),
			shadow: []string{"s"}, level: intercept.Green},
		{name: "shadow beside active",
			rules: []rules.Rule{mode(stop(weighted(rule("s", "amount > 1000"), 100)), rules.Shadow), weighted(rule("a", "true"), 30)},
			ev:    transfer(), matched: []string{"a"}, shadow: []string{"s"}, score: 30, level: intercept.Yellow},
		{name: "off rule never runs",
			rules: []rules.Rule{mode(stop(weighted(rule("off", "true"), 100)), rules.Off),
				mode(rule("off_broken", "payee_count(payee_account, 0) > 0"), rules.Off)},
			ev: transfer(), level: intercept.Green},
		{name: "rules run only for their kinds",
			rules: []rules.Rule{weighted(rule("calls", "true", "call"), 50), weighted(rule("texts", "caller_callees(caller, 0) > 0", "sms"), 50),
				weighted(rule("transfers", "true", "transfer", "report"), 20)},
			ev: transfer(), matched: []string{"transfers"}, score: 20, level: intercept.Yellow},
		{name: "the same rule on another kind",
			rules: []rules.Rule{weighted(rule("calls", "true", "call"), 50), weighted(rule("transfers", "true", "transfer", "report"), 20)},
			ev:    it.Call("c-1", t0, domestic, victim), matched: []string{"calls"}, score: 50, level: intercept.Orange,
			actions: []intercept.ActionType{intercept.ActReview}},
		{name: "score capped at 100",
			rules: []rules.Rule{weighted(rule("a", "true"), 80), weighted(rule("b", "true"), 80), weighted(rule("c", "true"), 100)},
			ev:    transfer(), matched: []string{"a", "b", "c"}, score: 100, level: intercept.Red},
		{name: "negative weight lowers the score",
			rules: []rules.Rule{weighted(rule("a", "true"), 80), weighted(rule("trusted", "true"), -40)},
			ev:    transfer(), matched: []string{"a", "trusted"}, score: 40, level: intercept.Yellow},
		{name: "score never below 0",
			rules: []rules.Rule{weighted(rule("trusted", "true"), -40)},
			ev:    transfer(), matched: []string{"trusted"}, score: 0, level: intercept.Green},
		{name: "a rule that fails at run time; the others still match",
			rules: []rules.Rule{weighted(rule("first", "true"), 30), weighted(rule("broken", "payee_count(payee_account, 0) > 0"), 50),
				weighted(rule("last", "amount > 1"), 30)},
			ev: transfer(), matched: []string{"first", "last"}, errors: []string{"broken"}, score: 60, level: intercept.Orange,
			actions: []intercept.ActionType{intercept.ActReview}},
		{name: "index out of range is a rule error",
			rules: []rules.Rule{rule("idx", `suspect_numbers[3] == "x"`, "report"), rule("ok", "true", "report")},
			ev:    it.Report("r-1", t0, victim, []string{scammer}, nil), matched: []string{"ok"}, errors: []string{"idx"},
			score: 10, level: intercept.Green},
		{name: "several broken rules",
			rules: []rules.Rule{rule("b1", "payee_sum(payee_account, -1) > 0"), rule("b2", "listed_contacts(payer_phone, 0) > 0"),
				rule("ok", "true")},
			ev: transfer(), matched: []string{"ok"}, errors: []string{"b1", "b2"}, score: 10, level: intercept.Green},
		{name: "shadow rule that fails is an error too",
			rules: []rules.Rule{mode(rule("s", "payee_count(payee_account, 0) > 0"), rules.Shadow)},
			ev:    transfer(), errors: []string{"s"}, level: intercept.Green},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := engineWith(t, tc.rules...)
			d := decide(t, e, tc.ev)
			if diff := cmp.Diff(nonNil(tc.matched), ruleIDs(d.Matched)); diff != "" {
				t.Errorf("matched (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(nonNil(tc.shadow), ruleIDs(d.Shadow)); diff != "" {
				t.Errorf("shadow (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(nonNil(tc.errors), errorIDs(d.Errors)); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if d.Score != tc.score || d.Level != tc.level {
				t.Errorf("score %d level %s, want %d %s", d.Score, d.Level, tc.score, tc.level)
			}
			var acts []intercept.ActionType
			for _, a := range d.Actions {
				acts = append(acts, a.Type)
			}
			if diff := cmp.Diff(tc.actions, acts); diff != "" {
				t.Errorf("actions (-want +got):\n%s", diff)
			}
			for _, a := range d.Actions {
				if slicesContain(tc.shadow, a.Rule) {
					t.Errorf("shadow rule %s created %+v", a.Rule, a)
				}
			}
			for _, re := range d.Errors {
				if re.Error == "" {
					t.Errorf("rule error without a message: %+v", re)
				}
			}
		})
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func slicesContain(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// Each match explains itself with its own evidence only: what one rule's functions
// found (even a rule that failed half-way) never leaks into another's explanation.
func TestSetEvidenceIsPerRule(t *testing.T) {
	e := engineWith(t,
		rule("virtual", "virtual_range(caller)", "call"),
		rule("half_broken", "virtual_range(caller) && caller_callees(caller, 0) > 0", "call"),
		rule("plain", "duration > 0", "call"),
		rule("overseas_or_virtual", "overseas(caller) || virtual_range(caller)", "call"))
	d := decide(t, e, it.Call("c-1", t0, virtualNo, victim))
	want := map[string]string{
		"virtual":             "desc virtual: " + virtualNo + " is in a virtual-operator range",
		"plain":               "desc plain",
		"overseas_or_virtual": "desc overseas_or_virtual: " + virtualNo + " is in a virtual-operator range",
	}
	got := map[string]string{}
	for _, m := range d.Matched {
		got[m.Rule] = m.Why
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("explanations (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"half_broken"}, errorIDs(d.Errors)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

// Rule environments are pooled: nothing of one event may show in the next.
func TestSetNoStateBetweenEvents(t *testing.T) {
	e := engineWith(t,
		rule("names_accounts", "len(suspect_accounts) > 0", "report"),
		rule("names_numbers", "len(suspect_numbers) > 0", "report"),
		rule("has_text", `text != ""`, "sms", "call"),
		rule("payer_phone_set", `payer_phone != ""`))
	d := decide(t, e, it.Report("r-1", t0, victim, []string{scammer}, []string{muleAcct, mule2Acct}))
	if diff := cmp.Diff([]string{"names_accounts", "names_numbers"}, ruleIDs(d.Matched)); diff != "" {
		t.Errorf("first report (-want +got):\n%s", diff)
	}
	for i := range 20 {
		d = decide(t, e, it.Report(fmt.Sprintf("r-%d", i+2), t0, victim, nil, nil))
		if len(d.Matched) > 0 {
			t.Fatalf("report naming nobody matched %v", ruleIDs(d.Matched))
		}
	}
	decide(t, e, it.SMS("s-1", t0, domestic, victim, "hello"))
	if d := decide(t, e, it.Call("c-1", t0, domestic, victim)); len(d.Matched) > 0 {
		t.Errorf("a call after a text matched %v", ruleIDs(d.Matched))
	}
	decide(t, e, it.Transfer("t-1", t0, victimAcct, victim, muleAcct, 1))
	if d := decide(t, e, it.Transfer("t-2", t0, victimAcct, "", muleAcct, 1)); len(d.Matched) > 0 {
		t.Errorf("a transfer without payer phone matched %v", ruleIDs(d.Matched))
	}
}

// The fields a rule sees, in the units analysts write them in.
func TestSetEventFields(t *testing.T) {
	night := time.Date(2026, 11, 21, 23, 30, 0, 0, time.FixedZone("CST", 8*3600))
	tr := withBalance(transferFen("t-1", night, victimAcct, victim, muleAcct, 5000050), 52000)
	call := viaGateway(it.Call("c-1", t0, scammer, victim))
	rep := it.Report("r-1", t0, victim, []string{scammer}, []string{muleAcct})
	tests := []struct {
		expr string
		ev   *intercept.Event
	}{
		{`id == "t-1" && kind == "transfer"`, tr},
		{"amount == 50000.5 && balance == 52000 && has_balance", tr},
		{"hour == 23", tr},
		{`bank == "ICBC" && payee_bank == "ABC" && channel == "mobile"`, tr},
		{`payer_account == "` + victimAcct + `" && payee_account == "` + muleAcct + `" && payer_phone == "` + victim + `"`, tr},
		{`caller == "` + scammer + `" && callee == "` + victim + `" && duration == 320 && origin == "international_gateway" && operator == "CMCC"`, call},
		{`kind == "report" && reporter_phone == "` + victim + `" && fraud_type == "impersonating_police" && amount_lost == 52000`, rep},
		{`suspect_numbers == ["` + scammer + `"] && suspect_accounts == ["` + muleAcct + `"]`, rep},
		{"!has_balance && balance == 0", it.Transfer("t-2", t0, victimAcct, victim, muleAcct, 1)},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			kind := tc.ev.Kind.String()
			e := engineWith(t, rule("f", tc.expr, kind), rule("neg", "!("+tc.expr+")", kind))
			d := decide(t, e, tc.ev)
			if diff := cmp.Diff([]string{"f"}, ruleIDs(d.Matched)); diff != "" || len(d.Errors) > 0 {
				t.Errorf("matched (-want +got):\n%s errors %v", diff, d.Errors)
			}
		})
	}
}

func TestSetRules(t *testing.T) {
	rs := []rules.Rule{rule("a", "true"), mode(rule("b", "true"), rules.Off), mode(rule("c", "true", "call"), rules.Shadow)}
	s, err := rules.NewSet(rs)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range s.Rules() {
		got = append(got, c.ID+":"+string(c.Mode)+":"+strings.Join(c.Kinds, ","))
	}
	if diff := cmp.Diff([]string{"a:active:transfer", "b:off:transfer", "c:shadow:call"}, got); diff != "" {
		t.Errorf("Rules() (-want +got):\n%s", diff)
	}
}

// A rule asking two contact functions about the same call links that call once.
func TestSetLinksNamedOnce(t *testing.T) {
	e := engineWith(t, rule("listed_and_risky", "listed_contacts(payer_phone, 30) > 0 && risky_contacts(payer_phone, 5) > 0"))
	it.Black(t, e, scammer)
	feed(t, e, it.Call("c-1", t0, scammer, victim))
	d := decide(t, e, it.Transfer("t-1", t0.Add(time.Minute), victimAcct, victim, muleAcct, 100))
	m := findMatch(d.Matched, "listed_and_risky")
	if m == nil {
		t.Fatalf("no match: %+v", d)
	}
	if diff := cmp.Diff([]string{"c-1"}, m.Links); diff != "" {
		t.Errorf("links (-want +got):\n%s", diff)
	}
}
