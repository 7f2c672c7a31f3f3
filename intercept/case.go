package intercept

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Case statuses: the closed loop of a real centre, found → acted on → followed up → closed.
const (
	CaseOpen     = "open"
	CaseWorking  = "working"
	CaseFollowUp = "follow_up"
	CaseClosed   = "closed"
)

// Case follows one report from intake to closure: the report, the events and orders
// linked to it, who works it and what they noted.
type Case struct {
	ID         string     `json:"id"`
	Status     string     `json:"status"`
	Opened     time.Time  `json:"opened"`
	ReportID   string     `json:"report_id"`
	Reporter   string     `json:"reporter_phone"`
	FraudType  string     `json:"fraud_type"`
	AmountLost Fen        `json:"amount_lost_fen"`
	Level      Level      `json:"level"`
	Assignee   string     `json:"assignee,omitempty"`
	Events     []string   `json:"events"`
	Orders     []string   `json:"orders"`
	Notes      []CaseNote `json:"notes"`
	Updated    time.Time  `json:"updated"`
}

// CaseNote is a desk member's note on a case.
type CaseNote struct {
	Who  string    `json:"who"`
	At   time.Time `json:"at"`
	Text string    `json:"text"`
}

// CaseFilter selects cases; zero fields match everything.
type CaseFilter struct {
	Status   string
	Assignee string
	Limit    int // newest first (0: 100)
}

// openCase opens the case of a report's decision (b.mu held).
func (b *Book) openCase(ev *Event, d *Decision, at time.Time) {
	if _, ok := b.cases[d.CaseID]; ok {
		return
	}
	c := &Case{ID: d.CaseID, Status: CaseOpen, Opened: at, ReportID: ev.ID, Reporter: ev.ReporterPhone,
		FraudType: ev.FraudType, AmountLost: ev.AmountLost, Level: d.Level, Events: []string{ev.ID}, Orders: []string{},
		Notes: []CaseNote{}, Updated: at}
	b.cases[c.ID] = c
	b.caseIDs = append(b.caseIDs, c.ID)
	b.eventCase[ev.ID] = c.ID
	var links []string
	for _, m := range d.Matched {
		links = append(links, m.Links...)
	}
	b.linkLocked(c, links, nil)
}

func (b *Book) linkLocked(c *Case, events, orders []string) {
	if c == nil {
		return
	}
	for _, e := range events {
		if !slices.Contains(c.Events, e) {
			c.Events = append(c.Events, e)
			b.eventCase[e] = c.ID
		}
	}
	for _, o := range orders {
		if !slices.Contains(c.Orders, o) {
			c.Orders = append(c.Orders, o)
		}
		if or, ok := b.orders[o]; ok && or.CaseID == "" {
			or.CaseID = c.ID
		}
	}
}

// Case returns a copy of case id.
func (b *Book) Case(id string) (Case, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	c, ok := b.cases[id]
	if !ok {
		return Case{}, fmt.Errorf("case %s: %w", id, ErrNotFound)
	}
	return c.clone(), nil
}

func (c *Case) clone() Case {
	n := *c
	n.Events, n.Orders, n.Notes = slices.Clone(c.Events), slices.Clone(c.Orders), slices.Clone(c.Notes)
	return n
}

// Cases returns the cases f selects, newest first.
func (b *Book) Cases(f CaseFilter) []Case {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	var out []Case
	for i := len(b.caseIDs) - 1; i >= 0 && len(out) < f.Limit; i-- {
		c := b.cases[b.caseIDs[i]]
		if (f.Status == "" || c.Status == f.Status) && (f.Assignee == "" || c.Assignee == f.Assignee) {
			out = append(out, c.clone())
		}
	}
	return out
}

// planCase checks a change to a case and returns its record.
func (b *Book) planCase(ch CaseChange) (CaseChange, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	c, ok := b.cases[ch.CaseID]
	if !ok {
		return ch, fmt.Errorf("case %s: %w", ch.CaseID, ErrNotFound)
	}
	bad := func(field, reason string) error {
		return &ValidationError{What: "case change", Fields: []FieldError{{Field: field, Reason: reason}}}
	}
	switch ch.Op {
	case "assign":
		if strings.TrimSpace(ch.Assignee) == "" || len(ch.Assignee) > 64 {
			return ch, bad("assignee", "required, at most 64 bytes")
		}
	case "note":
		if strings.TrimSpace(ch.Text) == "" || longer(ch.Text, 4000) {
			return ch, bad("text", "required, at most 4000 characters")
		}
	case "status":
		if !slices.Contains([]string{CaseOpen, CaseWorking, CaseFollowUp, CaseClosed}, ch.Status) {
			return ch, bad("status", "want open, working, follow_up or closed")
		}
		if ch.Status == c.Status {
			return ch, fmt.Errorf("case %s is already %s: %w", c.ID, c.Status, ErrConflict)
		}
	case "link":
		for _, o := range ch.Orders {
			if _, ok := b.orders[o]; !ok {
				return ch, fmt.Errorf("order %s: %w", o, ErrNotFound)
			}
		}
		if n := len(ch.Orders) + len(ch.Events); n == 0 || n > 100 {
			return ch, bad("events", "give 1 to 100 events or orders to link")
		}
		for _, e := range ch.Events {
			if e == "" || len(e) > 200 {
				return ch, bad("events", "event ids of 1 to 200 bytes")
			}
		}
	default:
		return ch, bad("op", "want assign, note, status or link")
	}
	if !ch.At.After(c.Updated) {
		ch.At = c.Updated.Add(time.Millisecond) // changes to a case are strictly ordered in time
	}
	return ch, nil
}

// applyCase puts a case change into the book; applying it twice changes nothing.
func (b *Book) applyCase(ch CaseChange) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.cases[ch.CaseID]
	if !ok || !ch.At.After(c.Updated) && ch.Op != "link" {
		return // unknown, or already applied (changes come in time order)
	}
	c.Updated = ch.At
	switch ch.Op {
	case "assign":
		c.Assignee = ch.Assignee
		if c.Status == CaseOpen {
			c.Status = CaseWorking
		}
	case "note":
		c.Notes = append(c.Notes, CaseNote{Who: ch.Who, At: ch.At, Text: ch.Text})
	case "status":
		c.Status = ch.Status
	case "link":
		b.linkLocked(c, ch.Events, ch.Orders)
	}
}
