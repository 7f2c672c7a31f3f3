package intercept

import (
	"fmt"
	"sync"
	"time"
)

// Level grades risk in the four colours of a real centre.
type Level uint8

// The levels, lowest first.
const (
	Green Level = iota
	Yellow
	Orange
	Red
)

var levelNames = [...]string{"green", "yellow", "orange", "red"}

// String returns "green", "yellow", "orange" or "red".
func (l Level) String() string {
	if int(l) >= len(levelNames) {
		return "green"
	}
	return levelNames[l]
}

// MarshalText writes the level's name.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText reads a level's name.
func (l *Level) UnmarshalText(b []byte) error {
	for i, n := range levelNames {
		if n == string(b) {
			*l = Level(i)
			return nil
		}
	}
	return fmt.Errorf("level %q: want green, yellow, orange or red: %w", b, ErrInvalid)
}

// ActionType is what a decision asks to be done.
type ActionType string

// Action types.
const (
	ActStopPayment   ActionType = "stop_payment"   // 止付: the bank stops money leaving an account
	ActFreezeRequest ActionType = "freeze_request" // 冻结: asks the desk for a legal freeze
	ActCutoff        ActionType = "cutoff"         // 切断: the operator cuts a number
	ActWarn          ActionType = "warn"           // 预警劝阻: warn a person at risk
	ActReview        ActionType = "review"         // the desk reviews the decision
)

// RuleAction is an action a rule asks for, aimed at a field of the event: one of
// payee_account, payer_account, payer_phone, caller, callee, reporter_phone,
// suspect_accounts, suspect_numbers.
type RuleAction struct {
	Type   ActionType `json:"type"`
	Target string     `json:"target"`
}

// Action is an action a decision takes, with the order or task it created.
type Action struct {
	Type     ActionType `json:"type"`
	Bank     string     `json:"bank,omitempty"`
	Account  string     `json:"account,omitempty"`
	Operator string     `json:"operator,omitempty"`
	Phone    string     `json:"phone,omitempty"`
	Tier     string     `json:"tier,omitempty"` // warn: low (SMS), medium (call), high (call now and a visit)
	OrderID  string     `json:"order_id,omitempty"`
	TaskID   string     `json:"task_id,omitempty"`
	Existing bool       `json:"existing,omitempty"` // an earlier order already covers the target
	Rule     string     `json:"rule,omitempty"`     // the rule that asked for it
}

// Match is one rule that matched an event, with why.
type Match struct {
	Rule    string       `json:"rule"`
	Version int          `json:"version"`
	Score   int          `json:"score"`
	Why     string       `json:"why"`
	Links   []string     `json:"links,omitempty"` // ids of linked events (the scam call, ...)
	Actions []RuleAction `json:"-"`
}

// RuleError is a rule that failed on this event. The other rules still ran.
type RuleError struct {
	Rule  string `json:"rule"`
	Error string `json:"error"`
}

// Decision is the engine's answer to one event.
type Decision struct {
	EventID   string      `json:"event_id"`
	Kind      string      `json:"kind"`
	Score     int         `json:"score"`
	Level     Level       `json:"level"`
	Matched   []Match     `json:"matched"`
	Shadow    []Match     `json:"shadow,omitempty"` // shadow rules: scored, never acted on
	Errors    []RuleError `json:"errors,omitempty"`
	Actions   []Action    `json:"actions"`
	LatencyUS int64       `json:"latency_us"`
	DecidedAt time.Time   `json:"decided_at"`
	CaseID    string      `json:"case_id,omitempty"`   // a report opens a case
	Duplicate bool        `json:"duplicate,omitempty"` // the event id was seen before: this is the first decision

	ready     bool // set under the dedupe shard lock once the decision is complete
	abandoned bool // the decision failed half-way: duplicates must decide afresh
	journaled bool // its journal record is durable: a duplicate may be acknowledged
}

// Outcome collects what the rules said about one event. The engine reuses outcomes.
type Outcome struct {
	Matched []Match
	Shadow  []Match
	Errors  []RuleError
}

func (o *Outcome) reset() {
	o.Matched, o.Shadow, o.Errors = o.Matched[:0], o.Shadow[:0], o.Errors[:0]
}

var outcomePool = sync.Pool{New: func() any { return new(Outcome) }}

// Evaluator runs rules on an event. rules.Set implements it; the engine swaps
// evaluators atomically when rules change. Evaluate must be safe for concurrent use,
// must not keep ev or out, and records rules that fail in out.Errors rather than
// stopping.
type Evaluator interface {
	Evaluate(st *State, ev *Event, out *Outcome)
}
