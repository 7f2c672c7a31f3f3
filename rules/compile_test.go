package rules_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lanjie/lanjie/intercept"
	"github.com/lanjie/lanjie/rules"
)

// list returns "[x, x, ...]" with n elements.
func list(x string, n int) string {
	return "[" + strings.TrimSuffix(strings.Repeat(x+", ", n), ", ") + "]"
}

func TestCompileErrorPosition(t *testing.T) {
	type pos struct{ Line, Column int }
	tests := []struct {
		name string
		expr string
		want pos
		msg  string
	}{
		{"unknown field on line 2", "amount > 10 &&\n  foo == 1", pos{2, 3}, "unknown name foo"},
		{"type error", `amount == "x"`, pos{1, 8}, "mismatched types float64 and string"},
		{"type error on line 3", "amount > 10 &&\nhour < 6 &&\n    duration == \"x\"", pos{3, 14}, "mismatched types int and string"},
		{"wrong argument type", `payee_count(payee_account, "10") > 1`, pos{1, 28}, "cannot use string as argument"},
		{"unknown function", "foo(caller)", pos{1, 1}, "unknown name foo"},
		{"syntax error", "amount >", pos{1, 8}, "unexpected token EOF"},
		{"long string on line 2", "amount > 0 &&\n  text == \"" + strings.Repeat("a", rules.MaxString+1) + "\"", pos{2, 11}, "string literal"},
		{"range on line 2", "amount > 0 &&\n  len(1..100000000) > 0", pos{2, 8}, "range"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := rules.Compile(rule("r", tc.expr))
			var ce *rules.CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("Compile(%q) = %v, want a *CompileError", tc.expr, err)
			}
			if diff := cmp.Diff(tc.want, pos{ce.Line, ce.Column}); diff != "" {
				t.Errorf("position (-want +got):\n%s", diff)
			}
			if !strings.Contains(ce.Message, tc.msg) {
				t.Errorf("message %q, want it to contain %q", ce.Message, tc.msg)
			}
			if ce.Rule != "r" {
				t.Errorf("rule %q, want r", ce.Rule)
			}
			if want := fmt.Sprintf("rule r: line %d, column %d: ", tc.want.Line, tc.want.Column); !strings.HasPrefix(err.Error(), want) {
				t.Errorf("Error() = %q, want prefix %q", err.Error(), want)
			}
			if !errors.Is(err, intercept.ErrInvalid) {
				t.Errorf("%v does not wrap ErrInvalid", err)
			}
		})
	}
}

// Hostile or careless expressions are refused at compile time: expr has no run-time
// timeout, so what compiles must be cheap to run.
func TestCompileRefusesHostile(t *testing.T) {
	deep := strings.Repeat("not ", rules.MaxDepth) + "true"      // depth MaxDepth+1
	shallow := strings.Repeat("not ", rules.MaxDepth-1) + "true" // depth MaxDepth
	wide := list("1", 200) + " == " + list("1", 200)             // 403 nodes, depth 3
	narrow := list("1", 190) + " == " + list("1", 190)           // 383 nodes
	tests := []struct {
		name string
		expr string
		msg  string // "" compiles
	}{
		{"too many nodes", wide, fmt.Sprintf("more than %d nodes", rules.MaxNodes)},
		{"nodes under the limit", narrow, ""},
		{"nested too deep", deep, fmt.Sprintf("deeper than %d", rules.MaxDepth)},
		{"nested to the limit", shallow, ""},
		{"deep arithmetic", strings.Repeat("(1 + ", 40) + "1" + strings.Repeat(")", 40) + " > 0", "deeper than"},
		{"long string", `text == "` + strings.Repeat("a", rules.MaxString+1) + `"`, "string literal"},
		{"string at the limit", `text == "` + strings.Repeat("a", rules.MaxString) + `"`, ""},
		{"long array", "caller in " + list(`"x"`, rules.MaxArray+1), "array literal"},
		{"array at the limit", "caller in " + list(`"x"`, rules.MaxArray), ""},
		{"huge range", "len(1..100000000) > 0", "range"},
		{"huge range in a predicate", "any(1..100000000, # == duration)", "range"},
		{"range at the limit", "any(1..1000, # == duration)", ""},
		{"range with a field bound", "any(1..duration, # > 5)", "constant bounds"},
		{"range with an expression bound", "any(1..(2*500), # > 5)", "constant bounds"},
		{"source too long", "amount > 0" + strings.Repeat(" ", rules.MaxSource), "bytes"},
		{"repeat", `repeat("a", 1000000) == text`, "repeat"},
		{"now", "now() > at", "now"},
		{"date", `date("2026-11-21") < at`, "date"},
		{"timezone", `timezone("Asia/Shanghai") != nil`, "timezone"},
		{"toJSON", `toJSON(suspect_numbers) != ""`, "toJSON"},
		{"fromJSON", `fromJSON(text) != nil`, "fromJSON"},
		{"toBase64", `toBase64(text) != ""`, "toBase64"},
		{"fromBase64", `fromBase64(text) != ""`, "fromBase64"},
		{"not a boolean", "amount + 1", "bool"},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := rules.Compile(rule("r", tc.expr))
			if tc.name == "empty" {
				if err == nil {
					t.Fatal("an empty expression compiled")
				}
				return
			}
			if tc.msg == "" {
				if err != nil {
					t.Fatalf("Compile: %v", err)
				}
				return
			}
			var ce *rules.CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("Compile = %v, want a *CompileError with %q", err, tc.msg)
			}
			if !strings.Contains(ce.Message, tc.msg) {
				t.Errorf("message %q, want %q", ce.Message, tc.msg)
			}
			if !errors.Is(err, intercept.ErrInvalid) {
				t.Errorf("%v does not wrap ErrInvalid", err)
			}
		})
	}
}

// MaxRangeLen counts elements: 1..1000 has 1000 of them, 1..1001 one too many.
func TestCompileRangeLimitCountsElements(t *testing.T) {
	at := fmt.Sprintf("any(1..%d, # == duration)", rules.MaxRangeLen)
	over := fmt.Sprintf("any(1..%d, # == duration)", rules.MaxRangeLen+1)
	if _, err := rules.Compile(rule("r", at)); err != nil {
		t.Errorf("%s: %v", at, err)
	}
	if _, err := rules.Compile(rule("r", over)); err == nil {
		t.Errorf("%s (%d elements) compiled; the limit is %d", over, rules.MaxRangeLen+1, rules.MaxRangeLen)
	}
}

// Loops nested over constant ranges multiply: each range is within MaxRangeLen, but
// 1000×1000×1000 iterations took a minute on one decision (measured; the range is
// allocated once, so expr's memory budget never stops it). Such rules must be refused
// at compile time; they are never run here.
func TestCompileRefusesNestedLoops(t *testing.T) {
	for _, x := range []string{
		"let r = 1..1000; sum(r, sum(r, sum(r, duration))) > 0",
	} {
		if _, err := rules.Compile(rule("r", x)); err == nil {
			t.Errorf("%s compiled: 10^9 iterations per decision", x)
		}
	}
}

func TestCompileRuleFields(t *testing.T) {
	ok := rule("ok_rule", "amount > 0")
	tests := []struct {
		name   string
		change func(*rules.Rule)
	}{
		{"empty id", func(r *rules.Rule) { r.ID = "" }},
		{"id with capitals", func(r *rules.Rule) { r.ID = "Big_Rule" }},
		{"id with a dash", func(r *rules.Rule) { r.ID = "big-rule" }},
		{"id too long", func(r *rules.Rule) { r.ID = strings.Repeat("a", 65) }},
		{"weight over 100", func(r *rules.Rule) { r.Weight = 101 }},
		{"weight under -100", func(r *rules.Rule) { r.Weight = -101 }},
		{"empty mode", func(r *rules.Rule) { r.Mode = "" }},
		{"bad mode", func(r *rules.Rule) { r.Mode = "dry_run" }},
		{"no kinds", func(r *rules.Rule) { r.Kinds = nil }},
		{"bad kind", func(r *rules.Rule) { r.Kinds = []string{"transfer", "email"} }},
		{"cutoff on an account", func(r *rules.Rule) {
			r.Actions = []intercept.RuleAction{{Type: intercept.ActCutoff, Target: "payee_account"}}
		}},
		{"stop payment on a phone", func(r *rules.Rule) {
			r.Actions = []intercept.RuleAction{{Type: intercept.ActStopPayment, Target: "payer_phone"}}
		}},
		{"warn a caller", func(r *rules.Rule) {
			r.Actions = []intercept.RuleAction{{Type: intercept.ActWarn, Target: "caller"}}
		}},
		{"unknown action", func(r *rules.Rule) {
			r.Actions = []intercept.RuleAction{{Type: "explode", Target: "payee_account"}}
		}},
		{"review is not a rule action", func(r *rules.Rule) {
			r.Actions = []intercept.RuleAction{{Type: intercept.ActReview, Target: "payee_account"}}
		}},
		{"target of another kind", func(r *rules.Rule) {
			r.Kinds = []string{"call"}
			r.Actions = []intercept.RuleAction{{Type: intercept.ActWarn, Target: "payer_phone"}}
		}},
		{"unknown target", func(r *rules.Rule) {
			r.Actions = []intercept.RuleAction{{Type: intercept.ActStopPayment, Target: "payee"}}
		}},
	}
	if _, err := rules.Compile(ok); err != nil {
		t.Fatalf("the base rule does not compile: %v", err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ok
			tc.change(&r)
			_, err := rules.Compile(r)
			if !errors.Is(err, intercept.ErrInvalid) {
				t.Errorf("Compile = %v, want ErrInvalid", err)
			}
			if _, err := rules.NewSet([]rules.Rule{rule("fine", "true"), r}); !errors.Is(err, intercept.ErrInvalid) {
				t.Errorf("NewSet = %v, want ErrInvalid", err)
			}
		})
	}
	t.Run("valid actions", func(t *testing.T) {
		r := ok
		r.Kinds = []string{"transfer", "call", "sms", "report"}
		r.Weight, r.Mode = -100, rules.Shadow
		r.Actions = []intercept.RuleAction{
			{Type: intercept.ActStopPayment, Target: "payee_account"}, {Type: intercept.ActFreezeRequest, Target: "suspect_accounts"},
			{Type: intercept.ActCutoff, Target: "caller"}, {Type: intercept.ActCutoff, Target: "suspect_numbers"},
			{Type: intercept.ActWarn, Target: "payer_phone"}, {Type: intercept.ActWarn, Target: "reporter_phone"},
		}
		if _, err := rules.Compile(r); err != nil {
			t.Errorf("Compile: %v", err)
		}
	})
}

func TestNewSetErrors(t *testing.T) {
	t.Run("duplicate id", func(t *testing.T) {
		_, err := rules.NewSet([]rules.Rule{rule("dup", "true"), rule("other", "true"), rule("dup", "amount > 1")})
		if !errors.Is(err, intercept.ErrConflict) {
			t.Fatalf("NewSet = %v, want ErrConflict", err)
		}
		if !strings.Contains(err.Error(), "dup") {
			t.Errorf("error %q does not name the rule", err)
		}
	})
	t.Run("every error is reported", func(t *testing.T) {
		_, err := rules.NewSet([]rules.Rule{rule("bad_one", "foo > 1"), rule("fine", "true"),
			rule("bad_two", `amount == "x"`), weighted(rule("bad_three", "true"), 500)})
		if err == nil {
			t.Fatal("NewSet accepted three bad rules")
		}
		for _, id := range []string{"bad_one", "bad_two", "bad_three"} {
			if !strings.Contains(err.Error(), id) {
				t.Errorf("error %q does not name %s", err, id)
			}
		}
		var ce *rules.CompileError
		if !errors.As(err, &ce) || ce.Rule != "bad_one" {
			t.Errorf("errors.As found %+v, want bad_one's CompileError", ce)
		}
		if !errors.Is(err, intercept.ErrInvalid) {
			t.Errorf("%v does not wrap ErrInvalid", err)
		}
	})
	t.Run("empty set", func(t *testing.T) {
		s, err := rules.NewSet(nil)
		if err != nil || len(s.Rules()) != 0 {
			t.Errorf("NewSet(nil) = %v, %v", s, err)
		}
	})
}
