// Package rules compiles analysts' rules, written in expr-lang, and runs them on
// events for the engine: rules.Set implements intercept.Evaluator.
package rules

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/lanjie/lanjie/intercept"
)

// Mode says what a rule's match does.
type Mode string

// The modes.
const (
	Active Mode = "active" // scored, acted on
	Shadow Mode = "shadow" // scored and reported on the decision, never acted on
	Off    Mode = "off"    // not run
)

// Rule is an analyst's rule as written and stored.
type Rule struct {
	ID          string                 `json:"id"`
	Name        string                 `json:"name"`
	Description string                 `json:"description"` // opens the explanation of a match
	Version     int                    `json:"version"`
	Expr        string                 `json:"expr"`
	Weight      int                    `json:"weight"`
	Kinds       []string               `json:"kinds"`
	Actions     []intercept.RuleAction `json:"actions,omitempty"`
	Mode        Mode                   `json:"mode"`
}

var actionTargets = map[intercept.ActionType][]string{
	intercept.ActStopPayment:   {"payee_account", "payer_account", "suspect_accounts"},
	intercept.ActFreezeRequest: {"payee_account", "payer_account", "suspect_accounts"},
	intercept.ActCutoff:        {"caller", "suspect_numbers"},
	intercept.ActWarn:          {"payer_phone", "callee", "reporter_phone"},
}

// targetKinds says which event kinds carry each action target.
var targetKinds = map[string][]string{
	"payee_account": {"transfer"}, "payer_account": {"transfer"}, "payer_phone": {"transfer"},
	"caller": {"call", "sms"}, "callee": {"call", "sms"}, "reporter_phone": {"report"},
	"suspect_accounts": {"report"}, "suspect_numbers": {"report"},
}

// check validates everything but the expression.
func (r Rule) check() error {
	switch {
	case !validID(r.ID):
		return fmt.Errorf("rule id %q: want 1 to 64 of a-z, 0-9, _: %w", r.ID, intercept.ErrInvalid)
	case r.Weight < -100 || r.Weight > 100:
		return fmt.Errorf("rule %s: weight %d outside -100..100: %w", r.ID, r.Weight, intercept.ErrInvalid)
	case r.Mode != Active && r.Mode != Shadow && r.Mode != Off:
		return fmt.Errorf("rule %s: mode %q: want active, shadow or off: %w", r.ID, r.Mode, intercept.ErrInvalid)
	case len(r.Kinds) == 0:
		return fmt.Errorf("rule %s: no event kinds: %w", r.ID, intercept.ErrInvalid)
	}
	for _, k := range r.Kinds {
		if intercept.ParseKind(k) == intercept.KindUnknown {
			return fmt.Errorf("rule %s: kind %q: want transfer, call, sms or report: %w", r.ID, k, intercept.ErrInvalid)
		}
	}
	for _, a := range r.Actions {
		if !slices.Contains(actionTargets[a.Type], a.Target) {
			return fmt.Errorf("rule %s: action %s on %q: not a valid action and target: %w", r.ID, a.Type, a.Target, intercept.ErrInvalid)
		}
		if !slices.ContainsFunc(r.Kinds, func(k string) bool { return slices.Contains(targetKinds[a.Target], k) }) {
			return fmt.Errorf("rule %s: action %s on %q: none of its event kinds has %s: %w", r.ID, a.Type, a.Target, a.Target, intercept.ErrInvalid)
		}
	}
	return nil
}

func validID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// ParseRules reads a JSON array of rules.
func ParseRules(data []byte) ([]Rule, error) {
	var rs []Rule
	if err := json.Unmarshal(data, &rs); err != nil {
		return nil, fmt.Errorf("parse rules: %v: %w", err, intercept.ErrInvalid)
	}
	return rs, nil
}
