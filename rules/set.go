package rules

import (
	"errors"
	"fmt"
	"sync"

	"github.com/lanjie/lanjie/intercept"
)

// Set is a compiled rule set, indexed by event kind so an event runs only its own
// kind's rules. It implements intercept.Evaluator and is safe for concurrent use;
// change rules by building a new Set and installing it.
type Set struct {
	rules  []*Compiled
	byKind [8][]*Compiled
	envs   sync.Pool
}

var _ intercept.Evaluator = (*Set)(nil)

// NewSet compiles rules into a set. It returns every rule's error, joined; ids must
// be unique.
func NewSet(rules []Rule) (*Set, error) {
	s := &Set{}
	s.envs.New = func() any { return newEnv() }
	seen := map[string]bool{}
	var errs []error
	for _, r := range rules {
		if seen[r.ID] {
			errs = append(errs, fmt.Errorf("rule %s: id used twice: %w", r.ID, intercept.ErrConflict))
			continue
		}
		seen[r.ID] = true
		c, err := Compile(r)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		s.rules = append(s.rules, c)
		if r.Mode == Off {
			continue
		}
		for k, on := range c.kinds {
			if on {
				s.byKind[k] = append(s.byKind[k], c)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

// Rules returns the compiled rules, in the order given.
func (s *Set) Rules() []*Compiled { return s.rules }

// Evaluate runs the rules for ev's kind. Active matches go to out.Matched, shadow
// matches to out.Shadow; a rule that fails (a panic or error inside expr, a function
// refusing its arguments) is recorded in out.Errors and the others still run.
func (s *Set) Evaluate(st *intercept.State, ev *intercept.Event, out *intercept.Outcome) {
	rs := s.byKind[ev.Kind]
	if len(rs) == 0 {
		return
	}
	env := s.envs.Get().(*Env)
	env.load(st, ev)
	for _, c := range rs {
		if c.guard != nil && !c.guard(env) {
			continue
		}
		env.evidence = env.evidence[:0]
		res, err := env.machine.Run(c.prog, env)
		if err != nil {
			out.Errors = append(out.Errors, intercept.RuleError{Rule: c.ID, Error: err.Error()})
			continue
		}
		if res != true {
			continue
		}
		w, links := why(c.Description, env.evidence)
		m := intercept.Match{Rule: c.ID, Version: c.Version, Score: c.Weight, Why: w, Links: links, Actions: c.Actions}
		if c.Mode == Shadow {
			out.Shadow = append(out.Shadow, m)
		} else {
			out.Matched = append(out.Matched, m)
		}
	}
	env.st, env.ev = nil, nil
	s.envs.Put(env)
}
