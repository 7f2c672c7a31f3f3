package rules

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/lanjie/lanjie/intercept"
)

// TestResult is what a rule would do on one event, as Book.Test found it. A rule
// that does not compile or fails on the event is a result, shown to the analyst
// beside the rule, not an error.
type TestResult struct {
	Applies bool          `json:"applies"`         // the rule's kinds include the event's kind
	Matched bool          `json:"matched"`         // the rule ran and its expression was true
	Score   int           `json:"score"`           // the rule's weight when it matched, else 0
	Why     string        `json:"why,omitempty"`   // the explanation a decision would carry
	Links   []string      `json:"links,omitempty"` // ids of linked events (the scam call, ...)
	Error   string        `json:"error,omitempty"` // the rule failed on the event
	Compile *CompileError `json:"compile,omitempty"`
}

// Test runs rule r on ev against the live state st, as the engine would run it as
// an active rule, and changes nothing: rule functions only read State (lists,
// windows, contacts, orders; a profile missing from the cache is queued for the
// background fill as on any decision), the event is not recorded anywhere and no
// rule set is installed. It is safe beside running decisions.
//
// An empty id is "test"; empty kinds mean the event's kind. A rule whose kinds do
// not include the event's kind does not run (Applies false), as in the engine. A
// rule that does not compile comes back in Compile: with line and column for the
// expression, line 0 for another field. The error is for a call without a state
// or with an event of no known kind (intercept.ErrInvalid).
func (b *Book) Test(st *intercept.State, r Rule, ev *intercept.Event) (TestResult, error) {
	if st == nil || ev == nil {
		return TestResult{}, fmt.Errorf("test rule: needs a state and an event: %w", intercept.ErrInvalid)
	}
	kind := ev.Kind.String()
	if intercept.ParseKind(kind) == intercept.KindUnknown {
		return TestResult{}, fmt.Errorf("test rule: event %s has no known kind: %w", ev.ID, intercept.ErrInvalid)
	}
	r = r.clone()
	if r.ID == "" {
		r.ID = "test"
	}
	if len(r.Kinds) == 0 {
		r.Kinds = []string{kind}
	}
	r.Mode = Active
	res := TestResult{Applies: slices.Contains(r.Kinds, kind)}
	if _, err := Compile(r); err != nil {
		res.Compile = asCompileError(r.ID, err)
		return res, nil
	}
	if !res.Applies {
		return res, nil
	}
	set, err := NewSet([]Rule{r})
	if err != nil { // compiled once already: cannot happen
		return TestResult{}, fmt.Errorf("test rule %s: %w", r.ID, err)
	}
	var out intercept.Outcome
	set.Evaluate(st, ev, &out)
	if len(out.Errors) > 0 {
		res.Error = out.Errors[0].Error
	}
	if len(out.Matched) > 0 {
		m := out.Matched[0]
		res.Matched, res.Score, res.Why, res.Links = true, m.Score, m.Why, m.Links
	}
	return res, nil
}

// asCompileError returns err as a *CompileError: itself for an expression, or one
// without a position for another field.
func asCompileError(id string, err error) *CompileError {
	var ce *CompileError
	if errors.As(err, &ce) {
		return ce
	}
	msg := strings.TrimSuffix(err.Error(), ": "+intercept.ErrInvalid.Error())
	return &CompileError{Rule: id, Message: strings.TrimPrefix(msg, "rule "+id+": ")}
}
