package intercept

import (
	"fmt"
	"strings"
	"time"
)

// Appeal statuses.
const (
	AppealPending = "pending"
	AppealGranted = "granted"
	AppealDenied  = "denied"
)

// Appeal is an account or number holder's appeal against an order, decided on the
// desk with written grounds; granting it releases the order (or restores the number).
type Appeal struct {
	ID        string    `json:"id"`
	OrderID   string    `json:"order_id"`
	Status    string    `json:"status"`
	Appellant string    `json:"appellant"`
	Contact   string    `json:"contact,omitempty"`
	Statement string    `json:"statement"`
	Filed     time.Time `json:"filed"`
	FiledBy   string    `json:"filed_by"`
	Decided   time.Time `json:"decided,omitzero"`
	DecidedBy string    `json:"decided_by,omitempty"`
	Grounds   string    `json:"grounds,omitempty"`
}

// planAppeal checks an appeal being filed or decided and returns its record; for a
// granted appeal also the order's release.
func (b *Book) planAppeal(ch AppealChange) (AppealChange, []OrderStatus, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	bad := func(field, reason string) error {
		return &ValidationError{What: "appeal", Fields: []FieldError{{Field: field, Reason: reason}}}
	}
	switch ch.Op {
	case "filed":
		o, ok := b.orders[ch.OrderID]
		if !ok {
			return ch, nil, fmt.Errorf("order %s: %w", ch.OrderID, ErrNotFound)
		}
		if !o.Live() {
			return ch, nil, fmt.Errorf("order %s is %s: nothing to appeal: %w", o.ID, o.Status, ErrConflict)
		}
		for _, id := range b.appealIDs {
			if a := b.appeals[id]; a.OrderID == o.ID && a.Status == AppealPending {
				return ch, nil, fmt.Errorf("order %s already has pending appeal %s: %w", o.ID, a.ID, ErrConflict)
			}
		}
		switch {
		case strings.TrimSpace(ch.Appellant) == "":
			return ch, nil, bad("appellant", "required: the holder's name")
		case strings.TrimSpace(ch.Statement) == "" || longer(ch.Statement, 4000):
			return ch, nil, bad("statement", "required, at most 4000 characters")
		}
		ch.AppealID = b.newID("AP")
		return ch, nil, nil
	case "decided":
		a, ok := b.appeals[ch.AppealID]
		if !ok {
			return ch, nil, fmt.Errorf("appeal %s: %w", ch.AppealID, ErrNotFound)
		}
		if a.Status != AppealPending {
			return ch, nil, fmt.Errorf("appeal %s was %s already: %w", a.ID, a.Status, ErrConflict)
		}
		switch {
		case ch.Outcome != AppealGranted && ch.Outcome != AppealDenied:
			return ch, nil, bad("outcome", "want granted or denied")
		case strings.TrimSpace(ch.Grounds) == "" || longer(ch.Grounds, 4000):
			return ch, nil, bad("grounds", "written grounds are required, at most 4000 characters")
		}
		ch.OrderID = a.OrderID
		if ch.Outcome == AppealDenied {
			return ch, nil, nil
		}
		// A granted appeal lifts the order and whatever it became (its renewals, the
		// freeze it was converted to); if it all lapsed meanwhile, the grant is recorded
		// and there is nothing to lift.
		o := b.orders[a.OrderID]
		if o == nil {
			return ch, nil, nil // forgotten, long over: nothing to lift
		}
		return ch, b.releaseChain(o, ch.At, ch.Who, "appeal "+a.ID+" granted: "+ch.Grounds), nil
	}
	return ch, nil, bad("op", "want filed or decided")
}

// applyAppeal puts an appeal record into the book; applying it twice changes nothing.
func (b *Book) applyAppeal(ch AppealChange) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ch.Op {
	case "filed":
		if _, ok := b.appeals[ch.AppealID]; ok {
			return
		}
		b.appeals[ch.AppealID] = &Appeal{ID: ch.AppealID, OrderID: ch.OrderID, Status: AppealPending, Appellant: ch.Appellant,
			Contact: ch.Contact, Statement: ch.Statement, Filed: ch.At, FiledBy: ch.Who}
		b.appealIDs = append(b.appealIDs, ch.AppealID)
	case "decided":
		if a, ok := b.appeals[ch.AppealID]; ok && a.Status == AppealPending {
			a.Status, a.Decided, a.DecidedBy, a.Grounds = ch.Outcome, ch.At, ch.Who, ch.Grounds
		}
	}
}

// Appeal returns appeal id.
func (b *Book) Appeal(id string) (Appeal, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	a, ok := b.appeals[id]
	if !ok {
		return Appeal{}, fmt.Errorf("appeal %s: %w", id, ErrNotFound)
	}
	return *a, nil
}

// Appeals returns appeals, newest first: those of one order, or with one status.
func (b *Book) Appeals(orderID, status string, limit int) []Appeal {
	if limit <= 0 {
		limit = 100
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	var out []Appeal
	for i := len(b.appealIDs) - 1; i >= 0 && len(out) < limit; i-- {
		a := b.appeals[b.appealIDs[i]]
		if (orderID == "" || a.OrderID == orderID) && (status == "" || a.Status == status) {
			out = append(out, *a)
		}
	}
	return out
}
