package intercept

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// plan checks op on order id and returns the status records it makes, not yet
// applied: the desk journals them, then applies them.
func (b *Book) plan(id string, op OrderOp) ([]OrderStatus, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	o, ok := b.orders[id]
	if !ok {
		return nil, fmt.Errorf("order %s: %w", id, ErrNotFound)
	}
	if _, known := transitions[op.Op]; !known {
		return nil, fmt.Errorf("order op %q: want execute, reject, renew, convert or release: %w", op.Op, ErrInvalid)
	}
	if !canDo(op.Op, o.Status) {
		return nil, fmt.Errorf("order %s is %s: cannot %s it: %w", id, o.Status, op.Op, ErrConflict)
	}
	if o.Type == ActFreezeRequest && (op.Op == "execute" || op.Op == "reject" || op.Op == "renew") {
		return nil, fmt.Errorf("order %s is a request to the desk: convert it to a freeze with a legal document, or release it: %w", id, ErrConflict)
	}
	need := func(field, v string) error {
		if strings.TrimSpace(v) == "" {
			return &ValidationError{Fields: []FieldError{{Field: field, Reason: "required to " + op.Op + " an order"}}}
		}
		if len(v) > 500 {
			return &ValidationError{Fields: []FieldError{{Field: field, Reason: "longer than 500 bytes"}}}
		}
		return nil
	}
	at := op.At
	next := func(status string) OrderStatus {
		s := o.status(status, at, op.Who)
		s.Reason, s.Reference = "", ""
		return s
	}
	switch op.Op {
	case "sent", "overdue":
		return []OrderStatus{next(op.Op)}, nil
	case "execute":
		if err := need("reference", op.Reference); err != nil {
			return nil, err
		}
		s := next(StatusExecuted)
		s.Reference = op.Reference
		s.Expires = b.term(o, at)
		return []OrderStatus{s}, nil
	case "reject", "release":
		if err := need("reason", op.Reason); err != nil {
			return nil, err
		}
		s := next(map[string]string{"reject": StatusRejected, "release": StatusReleased}[op.Op])
		s.Reason = op.Reason
		return []OrderStatus{s}, nil
	case "expire":
		return []OrderStatus{next(StatusExpired)}, nil
	case "renew":
		return b.planRenew(o, op)
	case "convert":
		return b.planConvert(o, op)
	}
	return nil, fmt.Errorf("order op %q: %w", op.Op, ErrInvalid)
}

// term is when an order executed at at expires: stops after StopTerm, freezes after
// FreezeMonths; cutoffs stand until restored.
func (b *Book) term(o *Order, at time.Time) time.Time {
	switch o.Type {
	case ActStopPayment:
		return at.Add(b.set.StopTerm)
	case ActFreeze:
		return at.AddDate(0, b.set.FreezeMonths, 0)
	}
	return time.Time{}
}

func (b *Book) planRenew(o *Order, op OrderOp) ([]OrderStatus, error) {
	s := o.status(StatusExecuted, op.At, op.Who)
	s.Renewal, s.Reason = true, op.Reason
	switch o.Type {
	case ActStopPayment:
		if n := len(b.stopsOf[o.Account]); n >= b.set.MaxStops {
			return nil, fmt.Errorf("account %s has been stopped %d times, the most allowed: convert the stop to a freeze: %w", o.Account, n, ErrConflict)
		}
		if id, ok := b.st.stops.get(o.Account); ok && id != o.ID {
			return nil, fmt.Errorf("account %s is under order %s: %w", o.Account, id, ErrConflict)
		}
		s.Expires = op.At.Add(b.set.StopTerm)
	case ActFreeze:
		if strings.TrimSpace(op.Document) == "" {
			return nil, &ValidationError{Fields: []FieldError{{Field: "document", Reason: "a renewal needs the legal document's number"}}}
		}
		from := o.Expires
		if op.At.After(from) {
			from = op.At
		}
		s.Document, s.Expires = op.Document, from.AddDate(0, b.set.FreezeMonths, 0)
	default:
		return nil, fmt.Errorf("only stop-payments and freezes are renewed, not %s: %w", o.Type, ErrConflict)
	}
	return []OrderStatus{s}, nil
}

// planConvert turns a stop or a freeze request into a freeze under a legal document,
// possibly partial; the freeze is a new order to the same bank.
func (b *Book) planConvert(o *Order, op OrderOp) ([]OrderStatus, error) {
	if o.Type != ActStopPayment && o.Type != ActFreezeRequest {
		return nil, fmt.Errorf("only stop-payments and freeze requests convert to freezes, not %s: %w", o.Type, ErrConflict)
	}
	if o.Type == ActFreezeRequest && (o.Status == StatusExecuted || o.Status == StatusExpired) {
		return nil, fmt.Errorf("order %s is %s: %w", o.ID, o.Status, ErrConflict)
	}
	var fe []FieldError
	if strings.TrimSpace(op.Document) == "" {
		fe = append(fe, FieldError{Field: "document", Reason: "a freeze needs the legal document's number"})
	}
	if op.Limit < 0 {
		fe = append(fe, FieldError{Field: "limit_fen", Reason: "negative"})
	}
	if len(fe) > 0 {
		return nil, &ValidationError{Fields: fe}
	}
	fz := &Order{ID: b.newID("FZ"), Type: ActFreeze, Org: o.Org, Account: o.Account, AccountName: o.AccountName,
		Amount: op.Limit, EventID: o.EventID, CaseID: o.CaseID, Rule: o.Rule, Issuer: op.Who, Basis: b.set.Basis[ActFreeze],
		Reason: "converted from " + o.ID, Document: op.Document, Parent: o.ID, Created: op.At, Deadline: op.At.Add(b.set.FreezeExecute)}
	parent := o.status(StatusConverted, op.At, op.Who)
	parent.Child, parent.Reason, parent.Reference = fz.ID, "", ""
	return []OrderStatus{parent, fz.status(StatusPending, op.At, op.Who)}, nil
}

// apply puts one status record into the book and the engine's in-force tables. A
// record already applied (the same status at the same time) changes nothing.
func (b *Book) apply(s OrderStatus) {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, ok := b.orders[s.OrderID]
	if !ok {
		if s.Status != StatusPending {
			return // the order came from a decision the journal lost: nothing to move
		}
		o = &Order{ID: s.OrderID, Type: s.Type, Org: s.Org, Account: s.Account, Phone: s.Phone, Amount: s.Amount,
			EventID: s.EventID, Rule: s.Rule, Issuer: s.Issuer, Reason: s.Reason, AccountName: s.AccountName, TxAt: s.TxAt,
			CaseID: s.CaseID, Basis: s.Basis, ReasonCode: s.ReasonCode, Document: s.Document, Parent: s.Parent,
			Created: s.At, Deadline: s.Deadline}
		b.create(o)
		b.claimLocked(o)
		if c := b.cases[o.CaseID]; c != nil {
			b.linkLocked(c, nil, []string{o.ID})
		}
	} else if slices.ContainsFunc(o.History, func(h OrderStatus) bool { return h.Status == s.Status && h.At.Equal(s.At) }) {
		// Applied already (a snapshot caught it); the engine's tables may not have
		// been (they are written before the book), so they follow the book again.
		if o.Live() {
			b.claimLocked(o)
		} else {
			b.unclaimLocked(o)
		}
		return
	}
	o.History = append(o.History, s)
	o.Status = s.Status
	switch s.Status {
	case StatusExecuted:
		o.Expires = s.Expires
		if s.Renewal {
			o.Renewals++
			if s.Document != "" {
				o.Document = s.Document
			}
			if o.Type == ActStopPayment && !slices.Contains(b.stopsOf[o.Account], o.ID+"#"+s.At.Format(time.RFC3339Nano)) {
				b.stopsOf[o.Account] = append(b.stopsOf[o.Account], o.ID+"#"+s.At.Format(time.RFC3339Nano))
			}
		} else {
			o.Executed, o.Reference = s.At, s.Reference
		}
		b.claimLocked(o)
	case StatusRejected, StatusReleased, StatusExpired:
		o.Reason = s.Reason
		b.unclaimLocked(o)
		if o.Type == ActStopPayment && o.Executed.IsZero() {
			// Never carried out (the bank refused it, the desk withdrew it, it lapsed
			// unexecuted): it does not count toward the account's stops.
			b.stopsOf[o.Account] = slices.DeleteFunc(b.stopsOf[o.Account], func(id string) bool { return id == o.ID })
		}
	case StatusConverted:
		o.Child = s.Child
		b.unclaimLocked(o)
	}
}

// claimLocked puts a live order in force in the engine's tables: stops and freezes
// keep money from leaving the account, cutoffs mark the number.
func (b *Book) claimLocked(o *Order) {
	switch o.Type {
	case ActStopPayment, ActFreeze:
		b.st.stops.set(o.Account, o.ID)
		if o.Type == ActStopPayment && !slices.Contains(b.stopsOf[o.Account], o.ID) {
			b.stopsOf[o.Account] = append(b.stopsOf[o.Account], o.ID)
		}
	case ActFreezeRequest:
		b.st.freezes.set(o.Account, o.ID)
	case ActCutoff:
		b.st.cutoffs.set(o.Phone, o.ID)
	}
}

func (b *Book) unclaimLocked(o *Order) {
	switch o.Type {
	case ActStopPayment, ActFreeze:
		if !b.st.stops.releaseIf(o.Account, o.ID) {
			return
		}
		b.st.profiles.Invalidate(o.Account)
		// Another stop or freeze still binding the account holds it again (a second
		// freeze lifted while the first stands).
		for _, id := range b.ids {
			if x := b.orders[id]; x != o && x.Account == o.Account && (x.Type == ActStopPayment || x.Type == ActFreeze) && x.Live() {
				b.st.stops.set(x.Account, x.ID)
			}
		}
	case ActFreezeRequest:
		b.st.freezes.releaseIf(o.Account, o.ID)
	case ActCutoff:
		b.st.cutoffs.releaseIf(o.Phone, o.ID)
	}
}

// due returns the records the clock calls for at now: pending orders past their
// deadline become overdue, executed ones past their term expire.
func (b *Book) due(now time.Time) []OrderStatus {
	b.mu.RLock()
	defer b.mu.RUnlock()
	var out []OrderStatus
	for _, id := range b.ids {
		o := b.orders[id]
		switch {
		case (o.Status == StatusPending || o.Status == StatusSent) && !o.Deadline.IsZero() && now.After(o.Deadline):
			out = append(out, o.status(StatusOverdue, now, "system"))
		case o.Status == StatusExecuted && !o.Expires.IsZero() && now.After(o.Expires):
			out = append(out, o.status(StatusExpired, now, "system"))
		case o.Status == StatusOverdue && o.Type == ActStopPayment && now.After(o.Created.Add(b.set.StopTerm)):
			// A stop the bank never executed lapses after its term, as if executed at once.
			out = append(out, o.status(StatusExpired, now, "system"))
		}
	}
	for i := range out {
		out[i].Reason, out[i].Reference = "", ""
	}
	return out
}

// prune forgets what is over and older than before: orders rejected, released,
// converted or expired, closed cases, decided appeals. History keeps them; memory
// stays bounded on a console that runs for years. The stop count of an account is
// kept: the limit on stops does not lapse with the orders.
func (b *Book) prune(before time.Time) (orders, cases int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	over := func(o *Order) bool {
		switch o.Status {
		case StatusRejected, StatusReleased, StatusConverted, StatusExpired:
			return o.History[len(o.History)-1].At.Before(before)
		}
		return false
	}
	ids := b.ids[:0]
	for _, id := range b.ids {
		o := b.orders[id]
		if !over(o) {
			ids = append(ids, id)
			continue
		}
		delete(b.orders, id)
		if b.lastOn[o.Target()] == id {
			delete(b.lastOn, o.Target())
		}
		orders++
	}
	clear(b.ids[len(ids):])
	b.ids = ids
	caseIDs := b.caseIDs[:0]
	for _, id := range b.caseIDs {
		c := b.cases[id]
		if c.Status != CaseClosed || !c.Updated.Before(before) {
			caseIDs = append(caseIDs, id)
			continue
		}
		for _, e := range c.Events {
			delete(b.eventCase, e)
		}
		delete(b.cases, id)
		cases++
	}
	clear(b.caseIDs[len(caseIDs):])
	b.caseIDs = caseIDs
	appealIDs := b.appealIDs[:0]
	for _, id := range b.appealIDs {
		if a := b.appeals[id]; a.Status != AppealPending && a.Decided.Before(before) {
			delete(b.appeals, id)
			continue
		}
		appealIDs = append(appealIDs, id)
	}
	clear(b.appealIDs[len(appealIDs):])
	b.appealIDs = appealIDs
	return orders, cases
}

// abandon lifts the orders a decision put in force when its journal append failed:
// they were never acknowledged, and a retry issues them again.
func (b *Book) abandon(d *Decision) {
	for _, a := range d.Actions {
		if a.OrderID == "" || a.Existing {
			continue
		}
		switch a.Type {
		case ActStopPayment:
			b.abandonStop(a.Account, a.OrderID)
		case ActFreezeRequest:
			b.st.freezes.releaseIf(a.Account, a.OrderID)
		case ActCutoff:
			b.st.cutoffs.releaseIf(a.Phone, a.OrderID)
		}
	}
}
