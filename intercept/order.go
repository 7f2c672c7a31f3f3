package intercept

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Order statuses. An order's history is the list of statuses it entered (and its
// amendments, which are no status); the last status is its state. Overdue is a status a pending order enters when its deadline passes; the
// org may still execute it.
const (
	StatusPending   = "pending"   // issued, on its way to the org
	StatusSent      = "sent"      // delivered to the org's system
	StatusOverdue   = "overdue"   // not executed by its deadline
	StatusExecuted  = "executed"  // the org carried it out (with its reference)
	StatusRejected  = "rejected"  // the org refused it (with a reason)
	StatusExpired   = "expired"   // its term ran out
	StatusConverted = "converted" // a stop or freeze request turned into a freeze
	StatusReleased  = "released"  // released (accounts) or restored (numbers)

	// StatusAmended is a history entry that is no status: a stop's details (the
	// holder's name, the amount, when the money moved) completed or corrected while
	// it waits for the bank. The order stays where it was.
	StatusAmended = "amended"
)

// ActFreeze is a legal freeze (冻结) of an account, from a stop or a freeze request
// converted with a legal document.
const ActFreeze ActionType = "freeze"

// OrderSettings are the documented practice orders follow; every figure is a setting.
type OrderSettings struct {
	StopTerm        time.Duration // a stop-payment lasts this long from execution (48 h)
	MaxStops        int           // the same account can be stopped at most this often (2)
	StopExecute     time.Duration // the bank should execute a stop within this (overdue after)
	FreezeMonths    int           // a freeze lasts this many months from execution, renewable (6)
	FreezeExecute   time.Duration // the bank should execute a freeze within this
	CutoffDeadline  time.Duration // the operator's deadline when none is given (24 h)
	CutoffMin       time.Duration // shortest operator deadline allowed (2 h)
	CutoffMax       time.Duration // longest operator deadline allowed (24 h)
	Basis           map[ActionType]string
	OperatorPrefix  map[string]string // E.164 prefix -> operator, for numbers no feed named
	DefaultOperator string            // operator of numbers no prefix matches
	Keep            time.Duration     // orders over and cases closed this long ago leave memory (history keeps them)
}

// DefaultOrderSettings returns the practice documented for Chinese centres.
func DefaultOrderSettings() OrderSettings {
	s := OrderSettings{
		StopTerm: 48 * time.Hour, MaxStops: 2, StopExecute: 30 * time.Minute,
		FreezeMonths: 6, FreezeExecute: 24 * time.Hour,
		CutoffDeadline: 24 * time.Hour, CutoffMin: 2 * time.Hour, CutoffMax: 24 * time.Hour,
		Basis: map[ActionType]string{
			ActStopPayment:   "Anti-Telecom and Online Fraud Law art. 31; police stop-payment notice (止付通知书)",
			ActFreezeRequest: "request for a freeze decision by the investigating police",
			ActFreeze:        "freeze notice (冻结通知书) under a legal document",
			ActCutoff:        "Anti-Telecom and Online Fraud Law art. 21; police cutoff notice",
		},
		OperatorPrefix:  map[string]string{},
		DefaultOperator: "UNASSIGNED",
		Keep:            30 * 24 * time.Hour,
	}
	// Mobile number segments of the operators, and the virtual (resold) ranges by the
	// network that carries them, which is the one that cuts them. A number ported to
	// another operator is cut by the one it was ported to: the desk reassigns the
	// cutoff when the first refuses it.
	for op, segs := range map[string]string{
		"CMCC": "134 135 136 137 138 139 147 150 151 152 157 158 159 172 178 182 183 184 187 188 195 197 198 165 1703 1705 1706",
		"CU":   "130 131 132 145 155 156 166 175 176 185 186 196 167 171 1704 1707 1708 1709",
		"CT":   "133 149 153 173 177 180 181 189 190 191 193 199 162 1700 1701 1702",
		"CBN":  "192",
	} {
		for _, seg := range strings.Fields(segs) {
			s.OperatorPrefix["+86"+seg] = op
		}
	}
	return s
}

func (s OrderSettings) check() error {
	switch {
	case s.StopTerm <= 0 || s.StopExecute <= 0 || s.FreezeExecute <= 0:
		return fmt.Errorf("order terms and execution deadlines must be positive: %w", ErrInvalid)
	case s.Keep < 24*time.Hour:
		return fmt.Errorf("orders are kept in memory at least a day after they end: %w", ErrInvalid)
	case s.MaxStops < 1 || s.FreezeMonths < 1:
		return fmt.Errorf("max stops and freeze months must be at least 1: %w", ErrInvalid)
	case !(s.CutoffMin > 0 && s.CutoffMin <= s.CutoffDeadline && s.CutoffDeadline <= s.CutoffMax):
		return fmt.Errorf("cutoff deadlines: want 0 < min ≤ default ≤ max: %w", ErrInvalid)
	}
	return nil
}

// operatorOf returns the operator that carries number n, by its segment.
func (s OrderSettings) operatorOf(n string) string {
	for l := min(len(n), 8); l >= 2; l-- {
		if op, ok := s.OperatorPrefix[n[:l]]; ok {
			return op
		}
	}
	return s.DefaultOperator
}

// Order is a stop-payment, freeze request, freeze or cutoff, with its whole history.
type Order struct {
	ID          string        `json:"id"`
	Type        ActionType    `json:"type"`
	Status      string        `json:"status"`
	Org         string        `json:"org"` // the bank or operator that executes it
	Account     string        `json:"account,omitempty"`
	AccountName string        `json:"account_name,omitempty"` // the bank executes only if it matches
	Phone       string        `json:"phone,omitempty"`
	Amount      Fen           `json:"amount_fen,omitempty"` // stop: the money at stake; freeze: the limit (0: whole account)
	TxAt        time.Time     `json:"tx_at,omitzero"`       // stop: when the money moved
	EventID     string        `json:"event_id,omitempty"`
	CaseID      string        `json:"case_id,omitempty"`
	Rule        string        `json:"rule,omitempty"`
	Issuer      string        `json:"issuer"`
	Basis       string        `json:"legal_basis"`
	Reason      string        `json:"reason,omitempty"`
	ReasonCode  string        `json:"reason_code,omitempty"` // cutoff
	Document    string        `json:"document,omitempty"`    // freeze: the legal document's number
	Parent      string        `json:"parent,omitempty"`      // freeze: the order it converts
	Child       string        `json:"child,omitempty"`       // stop: the freeze it became
	Reference   string        `json:"reference,omitempty"`   // the org's own reference
	Created     time.Time     `json:"created"`
	Deadline    time.Time     `json:"deadline"` // execute by
	Executed    time.Time     `json:"executed,omitzero"`
	Expires     time.Time     `json:"expires,omitzero"`
	Renewals    int           `json:"renewals,omitempty"`
	History     []OrderStatus `json:"history"`
}

// Live reports whether the order still binds its target (not rejected, released,
// expired or converted).
func (o *Order) Live() bool {
	switch o.Status {
	case StatusPending, StatusSent, StatusOverdue, StatusExecuted:
		return true
	}
	return false
}

// LastAmended returns how many history entries the order had when its details were
// last amended (the version of that amendment), or 0 if they never were.
func (o *Order) LastAmended() int {
	for i := len(o.History) - 1; i >= 0; i-- {
		if o.History[i].Status == StatusAmended {
			return i + 1
		}
	}
	return 0
}

// Target is the account or number the order is aimed at.
func (o *Order) Target() string {
	if o.Account != "" {
		return o.Account
	}
	return o.Phone
}

// OrderFilter selects orders; zero fields match everything.
type OrderFilter struct {
	Org     string
	Type    ActionType
	Status  string
	CaseID  string
	Target  string // account or number
	Overdue bool   // only pending orders past their deadline
	Limit   int    // at most this many, newest first (0: 100)
}

func (f OrderFilter) match(o *Order) bool {
	return (f.Org == "" || o.Org == f.Org) && (f.Type == "" || o.Type == f.Type) &&
		(f.Status == "" || o.Status == f.Status) && (f.CaseID == "" || o.CaseID == f.CaseID) &&
		(f.Target == "" || o.Target() == f.Target) && (!f.Overdue || o.Status == StatusOverdue)
}

// OrderOp is a person's or a system's action on an order.
type OrderOp struct {
	Op        string    `json:"op"` // execute, reject, renew, convert, reassign, release, amend, sent
	Who       string    `json:"-"`
	Reference string    `json:"reference,omitempty"`     // execute: the org's reference
	Reason    string    `json:"reason,omitempty"`        // reject, release: why
	Document  string    `json:"document,omitempty"`      // convert, renew a freeze: the legal document
	Limit     Fen       `json:"limit_fen,omitempty"`     // convert, renew a freeze: freeze only this much (convert 0: all; renew 0: as before)
	Whole     bool      `json:"whole_account,omitempty"` // renew a freeze: the new document freezes the whole account, whatever the old limit
	Operator  string    `json:"operator,omitempty"`      // reassign: the operator that carries the number
	At        time.Time `json:"-"`

	// amend: a waiting stop's details, each one given replacing the order's.
	AccountName string    `json:"account_name,omitempty"`
	Amount      string    `json:"amount,omitempty"` // yuan, e.g. "52000.00"
	TxAt        time.Time `json:"tx_at,omitzero"`
}

// transitions says which statuses each op may start from.
var transitions = map[string][]string{
	"sent":    {StatusPending},
	"amend":   {StatusPending, StatusSent, StatusOverdue},
	"execute": {StatusPending, StatusSent, StatusOverdue},
	"reject":  {StatusPending, StatusSent, StatusOverdue},
	"renew":   {StatusExecuted, StatusExpired},
	"convert": {StatusPending, StatusSent, StatusOverdue, StatusExecuted, StatusExpired},
	"release": {StatusPending, StatusSent, StatusOverdue, StatusExecuted, StatusExpired},
	// A cutoff sent to no operator, or to one that does not carry the number (ported
	// away), goes again to the right one.
	"reassign": {StatusPending, StatusSent, StatusOverdue, StatusRejected},
	"overdue":  {StatusPending, StatusSent},
	"expire":   {StatusExecuted, StatusOverdue},
}

func canDo(op, status string) bool { return slices.Contains(transitions[op], status) }
