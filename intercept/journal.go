package intercept

import (
	"context"
	"encoding/json"
	"time"
)

// RecordType says what a journal record holds, and so which history table it feeds.
type RecordType uint8

// The record types. Values are stored on disk: never renumber.
const (
	RecDecided     RecordType = 1 // an accepted event and its decision (DecidedRecord)
	RecListChange  RecordType = 2 // a list entry added or removed (ListChange)
	RecRuleChange  RecordType = 3 // a rule created, changed or switched
	RecOrderStatus RecordType = 4 // an order moved to a new status
	RecAudit       RecordType = 5 // a state-changing request by a person or system
	RecWarning     RecordType = 6 // a warning task and its delivery states
	RecCase        RecordType = 7 // a case opened or changed (CaseChange)
	RecAppeal      RecordType = 8 // an appeal filed or decided (AppealChange)
)

// Record is one journal entry; Data is JSON whose shape depends on Type.
type Record struct {
	Seq  uint64 // assigned by the journal, from 1, without gaps
	Type RecordType
	At   time.Time // when it was appended (millisecond precision)
	Data []byte
}

// Journal keeps records durably, in order. analytics.Journal implements it.
type Journal interface {
	// Append makes recs durable (their Type and Data) and returns the seq of the
	// last. On error nothing may be acknowledged; the error wraps the cause. It keeps
	// no reference to a record's Data once it returns: the caller reuses the bytes.
	Append(ctx context.Context, recs ...Record) (uint64, error)
}

// DecidedRecord is the journal form of an accepted event and its decision.
type DecidedRecord struct {
	Event    Event     `json:"event"`
	Decision *Decision `json:"decision"`
}

// ListChange is the journal form of a list entry added or removed.
type ListChange struct {
	Op     string `json:"op"`     // "add" or "remove"
	Target string `json:"target"` // "number" or "account"
	List   string `json:"list"`   // black, gray, white
	Entry  Entry  `json:"entry"`
}

// OrderStatus is the journal form of an order entering a status: created (pending),
// sent, executed, rejected, expired, released. Orders are status-change rows in
// history; the latest row of an order is its state.
type OrderStatus struct {
	OrderID   string     `json:"order_id"`
	Type      ActionType `json:"type"`
	Status    string     `json:"status"`
	At        time.Time  `json:"at"`
	Org       string     `json:"org,omitempty"` // bank or operator
	Account   string     `json:"account,omitempty"`
	Phone     string     `json:"phone,omitempty"`
	Amount    Fen        `json:"amount_fen,omitempty"`
	EventID   string     `json:"event_id,omitempty"`
	Rule      string     `json:"rule,omitempty"`
	Issuer    string     `json:"issuer,omitempty"`
	Reason    string     `json:"reason,omitempty"`
	Reference string     `json:"reference,omitempty"` // the bank's or operator's own reference

	// Set when the order is created (status pending) or when a status changes them.
	By          string    `json:"by,omitempty"` // who moved it to this status
	AccountName string    `json:"account_name,omitempty"`
	TxAt        time.Time `json:"tx_at,omitzero"`
	CaseID      string    `json:"case_id,omitempty"`
	Basis       string    `json:"legal_basis,omitempty"`
	ReasonCode  string    `json:"reason_code,omitempty"`
	Document    string    `json:"document,omitempty"`
	Parent      string    `json:"parent,omitempty"`
	Child       string    `json:"child,omitempty"`
	Deadline    time.Time `json:"deadline,omitzero"`
	Expires     time.Time `json:"expires,omitzero"`
	Renewal     bool      `json:"renewal,omitempty"` // journals before 2026-12-02: an order renewed in place, Expires its new term
}

// CaseChange is the journal form of a change to a case: opened, linked (events or
// orders), assigned, noted, status.
type CaseChange struct {
	CaseID   string    `json:"case_id"`
	Op       string    `json:"op"`
	At       time.Time `json:"at"`
	Who      string    `json:"who,omitempty"`
	Status   string    `json:"status,omitempty"`
	Assignee string    `json:"assignee,omitempty"`
	Text     string    `json:"text,omitempty"`
	Events   []string  `json:"events,omitempty"`
	Orders   []string  `json:"orders,omitempty"`
}

// AppealChange is the journal form of a holder's appeal against an order: filed, then
// decided (granted or denied) with written grounds.
type AppealChange struct {
	AppealID  string    `json:"appeal_id"`
	OrderID   string    `json:"order_id"`
	Op        string    `json:"op"` // filed, decided
	At        time.Time `json:"at"`
	Who       string    `json:"who,omitempty"`
	Appellant string    `json:"appellant,omitempty"`
	Contact   string    `json:"contact,omitempty"`
	Statement string    `json:"statement,omitempty"`
	Outcome   string    `json:"outcome,omitempty"` // granted, denied
	Grounds   string    `json:"grounds,omitempty"`
}

// WarningStatus is the journal form of a warning task entering a status: queued,
// sent, delivered, undelivered, failed, opted_out.
type WarningStatus struct {
	TaskID    string    `json:"task_id"`
	Phone     string    `json:"phone"`
	Tier      string    `json:"tier"`
	Status    string    `json:"status"`
	Channel   string    `json:"channel,omitempty"` // sms, call, visit
	At        time.Time `json:"at"`
	EventID   string    `json:"event_id,omitempty"`
	Template  string    `json:"template,omitempty"`
	ErrorCode string    `json:"error_code,omitempty"`
}

// AuditEntry is the journal form of a state-changing request.
type AuditEntry struct {
	At     time.Time `json:"at"`
	Who    string    `json:"who"`
	Role   string    `json:"role,omitempty"`
	Action string    `json:"action"`
	Target string    `json:"target,omitempty"`
	Detail string    `json:"detail,omitempty"`
	Remote string    `json:"remote,omitempty"`
}

// RuleChange is the journal form of a rule created, changed or switched; Rule holds
// the whole rule as the rules package writes it.
type RuleChange struct {
	ID      string          `json:"id"`
	Version int             `json:"version"`
	Mode    string          `json:"mode"`
	Weight  int             `json:"weight"`
	Expr    string          `json:"expr"`
	Who     string          `json:"who,omitempty"`
	Rule    json.RawMessage `json:"rule"`
}
