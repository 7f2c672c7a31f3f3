package intercept

import (
	"context"
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
	// last. On error nothing may be acknowledged; the error wraps the cause.
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
