package rules

import (
	"github.com/expr-lang/expr/ast"
)

// A rule whose expression starts with a plain comparison of an event field and a
// constant (`amount >= 1000 && ...`, `has_balance && ...`) gets that first test
// compiled to Go as well: when it fails the rule cannot match, and the VM is not run.
// Most events fail the cheap tests of most rules, so this is where rule selection by
// kind leaves off.

type guardFunc func(e *Env) bool

var numFields = map[string]func(e *Env) float64{
	"amount": func(e *Env) float64 { return e.Amount }, "balance": func(e *Env) float64 { return e.Balance },
	"amount_lost": func(e *Env) float64 { return e.AmountLost }, "hour": func(e *Env) float64 { return float64(e.Hour) },
	"duration": func(e *Env) float64 { return float64(e.Duration) },
}

var strFields = map[string]func(e *Env) string{
	"kind": func(e *Env) string { return e.Kind }, "bank": func(e *Env) string { return e.Bank },
	"payer_account": func(e *Env) string { return e.PayerAccount }, "payer_phone": func(e *Env) string { return e.PayerPhone },
	"payee_account": func(e *Env) string { return e.PayeeAccount }, "payee_bank": func(e *Env) string { return e.PayeeBank },
	"channel": func(e *Env) string { return e.Channel }, "operator": func(e *Env) string { return e.Operator },
	"caller": func(e *Env) string { return e.Caller }, "callee": func(e *Env) string { return e.Callee },
	"origin": func(e *Env) string { return e.Origin }, "text": func(e *Env) string { return e.Text },
	"reporter_phone": func(e *Env) string { return e.ReporterPhone }, "fraud_type": func(e *Env) string { return e.FraudType },
}

// firstGuard returns a Go test equivalent to the leftmost conjunct of root, or nil
// when that conjunct is not a plain field-constant comparison.
func firstGuard(root ast.Node) guardFunc {
	n := root
	for {
		b, ok := n.(*ast.BinaryNode)
		if !ok || (b.Operator != "&&" && b.Operator != "and") {
			break
		}
		n = b.Left
	}
	if id, ok := n.(*ast.IdentifierNode); ok && id.Value == "has_balance" {
		return func(e *Env) bool { return e.HasBalance }
	}
	b, ok := n.(*ast.BinaryNode)
	if !ok {
		return nil
	}
	id, ok := b.Left.(*ast.IdentifierNode)
	if !ok {
		return nil
	}
	if f, ok := numFields[id.Value]; ok {
		var c float64
		switch k := b.Right.(type) {
		case *ast.IntegerNode:
			c = float64(k.Value)
		case *ast.FloatNode:
			c = k.Value
		default:
			return nil
		}
		switch b.Operator {
		case ">=":
			return func(e *Env) bool { return f(e) >= c }
		case ">":
			return func(e *Env) bool { return f(e) > c }
		case "<=":
			return func(e *Env) bool { return f(e) <= c }
		case "<":
			return func(e *Env) bool { return f(e) < c }
		case "==":
			return func(e *Env) bool { return f(e) == c }
		case "!=":
			return func(e *Env) bool { return f(e) != c }
		}
		return nil
	}
	if f, ok := strFields[id.Value]; ok {
		k, ok := b.Right.(*ast.StringNode)
		if !ok {
			return nil
		}
		c := k.Value
		switch b.Operator {
		case "==":
			return func(e *Env) bool { return f(e) == c }
		case "!=":
			return func(e *Env) bool { return f(e) != c }
		}
	}
	return nil
}
