package intercept

import (
	"container/heap"
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
		return nil, fmt.Errorf("order op %q: want execute, reject, renew, convert, reassign, release or amend: %w", op.Op, ErrInvalid)
	}
	if !canDo(op.Op, o.Status) {
		return nil, fmt.Errorf("order %s is %s: cannot %s it: %w", id, o.Status, op.Op, ErrConflict)
	}
	if o.Type == ActFreezeRequest && (op.Op == "execute" || op.Op == "reject" || op.Op == "renew") {
		return nil, fmt.Errorf("order %s is a request to the desk: convert it to a freeze with a legal document, or release it: %w", id, ErrConflict)
	}
	need := func(field, v string) error {
		if strings.TrimSpace(v) == "" {
			return &ValidationError{What: "order", Fields: []FieldError{{Field: field, Reason: "required to " + op.Op + " an order"}}}
		}
		if longer(v, 500) {
			return &ValidationError{What: "order", Fields: []FieldError{{Field: field, Reason: "longer than 500 characters"}}}
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
		if p := b.renews(o); p != nil && o.Type == ActFreeze && !p.Live() {
			return nil, fmt.Errorf("freeze %s lapsed before its renewal %s was executed: a new legal decision is needed: %w", p.ID, o.ID, ErrConflict)
		}
		s := next(StatusExecuted)
		s.Reference = op.Reference
		s.Expires = b.term(o, at)
		return []OrderStatus{s}, nil
	case "reject":
		if err := need("reason", op.Reason); err != nil {
			return nil, err
		}
		s := next(StatusRejected)
		s.Reason = op.Reason
		return []OrderStatus{s}, nil
	case "release":
		if err := need("reason", op.Reason); err != nil {
			return nil, err
		}
		return b.releaseChain(o, at, op.Who, op.Reason), nil
	case "expire":
		return []OrderStatus{next(StatusExpired)}, nil
	case "renew":
		return b.planRenew(o, op)
	case "convert":
		return b.planConvert(o, op)
	case "reassign":
		return b.planReassign(o, op)
	case "amend":
		return planAmend(o, op)
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
		if p := b.renews(o); p != nil && p.Expires.After(at) {
			at = p.Expires // a renewal runs on from the term it extends
		}
		return at.AddDate(0, b.set.FreezeMonths, 0)
	}
	return time.Time{}
}

// releaseChain releases o and whatever it became that still binds (a renewal the bank
// has yet to execute, the freeze it was converted to): a release lifts the order
// wholly, not one link of it.
func (b *Book) releaseChain(o *Order, at time.Time, by, reason string) []OrderStatus {
	root := o // the order o renews (or was converted from) binds the target too
	for p := b.orders[root.Parent]; p != nil && p.Child == root.ID && p != o; p = b.orders[root.Parent] {
		root = p
	}
	var out []OrderStatus
	for _, x := range b.chain(root) {
		if x == o && canDo("release", x.Status) || x != o && x.Live() {
			s := x.status(StatusReleased, at, by)
			s.Reason, s.Reference = reason, ""
			out = append(out, s)
		}
	}
	return out
}

// planRenew asks the bank to keep o in force past its term: a renewal is a new order
// to the same bank (its Parent is o), which the bank executes or rejects like any
// other, and o stands until its own term ends. A renewed stop counts as another stop;
// a freeze is renewed under a new legal document before it expires, and its new term
// runs on from the old one; the document may set another limit (absent: the same), or
// lift the limit (Whole: the whole account).
func (b *Book) planRenew(o *Order, op OrderOp) ([]OrderStatus, error) {
	if c := b.orders[o.Child]; c != nil && c.Live() {
		return nil, fmt.Errorf("order %s was renewed or converted already, as %s: act on that one: %w", o.ID, c.ID, ErrConflict)
	}
	r := &Order{Type: o.Type, Org: o.Org, Account: o.Account, AccountName: o.AccountName, Amount: o.Amount, TxAt: o.TxAt,
		EventID: o.EventID, CaseID: o.CaseID, Rule: o.Rule, Issuer: op.Who, Basis: o.Basis, Document: o.Document,
		Parent: o.ID, Created: op.At, Reason: "renewal of " + o.ID}
	if strings.TrimSpace(op.Reason) != "" {
		r.Reason += ": " + op.Reason
	}
	switch o.Type {
	case ActStopPayment:
		const forFreezes = "a stop's renewal holds what the stop holds: a limit is for freezes"
		var fe []FieldError
		if op.Limit != 0 {
			fe = append(fe, FieldError{Field: "limit_fen", Reason: forFreezes})
		}
		if op.Whole {
			fe = append(fe, FieldError{Field: "whole_account", Reason: forFreezes})
		}
		if len(fe) > 0 {
			return nil, &ValidationError{What: "order", Fields: fe}
		}
		if n := len(b.stopsOf[o.Account]); n >= b.set.MaxStops {
			return nil, fmt.Errorf("account %s has been stopped %d times, the most allowed: convert the stop to a freeze: %w", o.Account, n, ErrConflict)
		}
		if id, ok := b.st.stops.get(o.Account); ok && id != o.ID {
			return nil, fmt.Errorf("account %s is under order %s: %w", o.Account, id, ErrConflict)
		}
		r.ID, r.Deadline = b.newID("SP"), op.At.Add(b.set.StopExecute)
	case ActFreeze:
		if o.Status != StatusExecuted {
			return nil, fmt.Errorf("freeze %s is %s: a freeze is renewed while it stands; after it lapses a new legal decision is needed: %w", o.ID, o.Status, ErrConflict)
		}
		var fe []FieldError
		if strings.TrimSpace(op.Document) == "" {
			fe = append(fe, FieldError{Field: "document", Reason: "a renewal needs the legal document's number"})
		}
		if op.Limit < 0 {
			fe = append(fe, FieldError{Field: "limit_fen", Reason: "negative"})
		}
		if op.Whole && op.Limit != 0 {
			fe = append(fe, FieldError{Field: "whole_account", Reason: "give limit_fen or whole_account, not both"})
		}
		if len(fe) > 0 {
			return nil, &ValidationError{What: "order", Fields: fe}
		}
		switch {
		case op.Limit > 0:
			r.Amount = op.Limit // the new document may freeze another sum
		case op.Whole:
			r.Amount = 0 // or the whole account again
		}
		r.ID, r.Document, r.Deadline = b.newID("FZ"), op.Document, op.At.Add(b.set.FreezeExecute)
		if o.Expires.Before(r.Deadline) {
			r.Deadline = o.Expires // executed after the freeze lapsed, it would not continue it
		}
	default:
		return nil, fmt.Errorf("only stop-payments and freezes are renewed, not %s: %w", o.Type, ErrConflict)
	}
	return []OrderStatus{r.status(StatusPending, op.At, op.Who)}, nil
}

// planAmend completes or corrects the details of a stop waiting for its bank: the
// holder's name, the amount and when the money moved, which the bank matches before it
// executes. A report's stop often lacks what the victim did not know at first; the
// hotline fills it in once they do. Each detail given replaces the order's; the
// order's status and deadline stay as they are.
func planAmend(o *Order, op OrderOp) ([]OrderStatus, error) {
	if o.Type != ActStopPayment {
		return nil, fmt.Errorf("only a stop-payment's details are amended, not a %s's: %w", o.Type, ErrConflict)
	}
	var fe []FieldError
	bad := func(field, reason string) { fe = append(fe, FieldError{Field: field, Reason: reason}) }
	if op.AccountName == "" && op.Amount == "" && op.TxAt.IsZero() {
		bad("", "give account_name, amount or tx_at: the details to complete or correct")
	}
	checkHolder(op.AccountName, bad)
	amount := parseHeld(op.Amount, bad)
	checkPaidAt(op.TxAt, op.At, bad)
	if longer(op.Reason, 500) {
		bad("reason", "longer than 500 characters")
	}
	if len(fe) > 0 {
		return nil, &ValidationError{What: "order", Fields: fe}
	}
	s := o.status(StatusAmended, op.At, op.Who)
	s.Reason, s.Reference = op.Reason, ""
	if op.AccountName != "" {
		s.AccountName = op.AccountName
	}
	if amount != 0 {
		s.Amount = amount
	}
	if !op.TxAt.IsZero() {
		s.TxAt = op.TxAt
	}
	return []OrderStatus{s}, nil
}

// renews returns the order o renews (its parent, a stop or freeze of the same
// type), or nil.
func (b *Book) renews(o *Order) *Order {
	if p := b.orders[o.Parent]; p != nil && p.Type == o.Type && (o.Type == ActStopPayment || o.Type == ActFreeze) {
		return p
	}
	return nil
}

// planReassign sends a cutoff to the operator that carries the number: a new order to
// it (its Parent is o), with o withdrawn unless its operator refused it already.
func (b *Book) planReassign(o *Order, op OrderOp) ([]OrderStatus, error) {
	if o.Type != ActCutoff {
		return nil, fmt.Errorf("only cutoffs are reassigned, not %s: %w", o.Type, ErrConflict)
	}
	var fe []FieldError
	if !ValidOrg(op.Operator) {
		fe = append(fe, FieldError{Field: "operator", Reason: "required: the operator's code, such as CMCC"})
	} else if op.Operator == o.Org {
		fe = append(fe, FieldError{Field: "operator", Reason: "the order is with " + o.Org + " already"})
	}
	if strings.TrimSpace(op.Reason) == "" || longer(op.Reason, 500) {
		fe = append(fe, FieldError{Field: "reason", Reason: "required: why the number goes to another operator (at most 500 characters)"})
	}
	if len(fe) > 0 {
		return nil, &ValidationError{What: "order", Fields: fe}
	}
	if c := b.orders[o.Child]; c != nil && c.Live() {
		return nil, fmt.Errorf("order %s went to %s already, as %s: %w", o.ID, c.Org, c.ID, ErrConflict)
	}
	if id, ok := b.st.cutoffs.get(o.Phone); ok && id != o.ID {
		return nil, fmt.Errorf("number %s is under cutoff %s: %w", o.Phone, id, ErrConflict)
	}
	n := &Order{ID: b.newID("CO"), Type: ActCutoff, Org: op.Operator, Phone: o.Phone, EventID: o.EventID, CaseID: o.CaseID,
		Rule: o.Rule, Issuer: op.Who, Basis: o.Basis, ReasonCode: o.ReasonCode, Parent: o.ID, Created: op.At,
		Deadline: op.At.Add(b.set.CutoffDeadline), Reason: "reassigned from " + o.ID + " (" + o.Org + "): " + op.Reason}
	var out []OrderStatus
	if o.Status != StatusRejected {
		s := o.status(StatusReleased, op.At, op.Who)
		s.Reason, s.Reference = "reassigned to "+op.Operator+" as "+n.ID, ""
		out = append(out, s)
	}
	return append(out, n.status(StatusPending, op.At, op.Who)), nil
}

// chain is o and what it became, in order: its renewals and the freeze it was
// converted to, and theirs.
func (b *Book) chain(o *Order) []*Order {
	out := []*Order{o}
	for o.Child != "" && b.orders[o.Child] != nil && len(out) <= len(b.orders) {
		o = b.orders[o.Child]
		out = append(out, o)
	}
	return out
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
	if c := b.orders[o.Child]; c != nil && c.Live() {
		return nil, fmt.Errorf("order %s was renewed as %s: convert that one: %w", o.ID, c.ID, ErrConflict)
	}
	var fe []FieldError
	if strings.TrimSpace(op.Document) == "" {
		fe = append(fe, FieldError{Field: "document", Reason: "a freeze needs the legal document's number"})
	}
	if op.Limit < 0 {
		fe = append(fe, FieldError{Field: "limit_fen", Reason: "negative"})
	}
	if len(fe) > 0 {
		return nil, &ValidationError{What: "order", Fields: fe}
	}
	fz := &Order{ID: b.newID("FZ"), Type: ActFreeze, Org: o.Org, Account: o.Account, AccountName: o.AccountName,
		Amount: op.Limit, EventID: o.EventID, CaseID: o.CaseID, Rule: o.Rule, Issuer: op.Who, Basis: b.set.Basis[ActFreeze],
		Reason: "converted from " + o.ID, Document: op.Document, Parent: o.ID, Created: op.At, Deadline: op.At.Add(b.set.FreezeExecute)}
	parent := o.status(StatusConverted, op.At, op.Who)
	parent.Child, parent.Reason, parent.Reference = fz.ID, "", ""
	return []OrderStatus{parent, fz.status(StatusPending, op.At, op.Who)}, nil
}

// sameEntry reports whether history entry h is record s applied already: the same
// status at the same time, and for an amendment (which can repeat) the same details.
func sameEntry(h, s OrderStatus) bool {
	return h.Status == s.Status && h.At.Equal(s.At) && (s.Status != StatusAmended ||
		h.AccountName == s.AccountName && h.Amount == s.Amount && h.TxAt.Equal(s.TxAt) && h.Reason == s.Reason && h.By == s.By)
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
		if p := b.renews(o); p != nil {
			p.Child, o.Renewals = o.ID, p.Renewals+1
		} else if p := b.orders[o.Parent]; p != nil && p.Type == ActCutoff && o.Type == ActCutoff {
			p.Child = o.ID // reassigned to another operator
		}
		b.create(o)
		b.claimLocked(o)
		if c := b.cases[o.CaseID]; c != nil {
			b.linkLocked(c, nil, []string{o.ID})
		}
	} else if slices.ContainsFunc(o.History, func(h OrderStatus) bool { return sameEntry(h, s) }) {
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
	if s.Status == StatusAmended {
		o.AccountName, o.Amount, o.TxAt = s.AccountName, s.Amount, s.TxAt // no status
		return
	}
	o.Status = s.Status
	defer b.watch(o)
	switch s.Status {
	case StatusExecuted:
		o.Expires = s.Expires
		if s.Renewal {
			// Journals from before 2026-12-02 renewed an order in place.
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
		for _, id := range b.onAccount[o.Account] {
			if x := b.orders[id]; x != o && x.Live() {
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
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []OrderStatus
	var again []check
	for len(b.checks) > 0 && b.checks[0].at < now.UnixNano() {
		c := heap.Pop(&b.checks).(check)
		o := b.orders[c.id]
		if o == nil || b.checkAt[c.id] != c.at {
			continue // moved or pruned since: a later entry, if any, is current
		}
		if s, ok := b.transition(o, now); ok {
			s.Reason, s.Reference = "", ""
			out = append(out, s)
			// Checked again until the record is applied (which schedules the order
			// anew): a sweep whose journal append fails loses nothing.
			again = append(again, c)
			continue
		}
		delete(b.checkAt, c.id)
	}
	for _, c := range again {
		heap.Push(&b.checks, c)
	}
	return out
}

// transition is the record the clock calls for on o at now, if any.
func (b *Book) transition(o *Order, now time.Time) (OrderStatus, bool) {
	switch {
	case (o.Status == StatusPending || o.Status == StatusSent) && !o.Deadline.IsZero() && now.After(o.Deadline):
		return o.status(StatusOverdue, now, "system"), true
	case o.Status == StatusExecuted && !o.Expires.IsZero() && now.After(o.Expires):
		return o.status(StatusExpired, now, "system"), true
	case o.Status == StatusOverdue && o.Type == ActStopPayment && now.After(o.Created.Add(b.set.StopTerm)):
		// A stop the bank never executed lapses after its term, as if executed at once.
		return o.status(StatusExpired, now, "system"), true
	}
	return OrderStatus{}, false
}

// nextCheck is when the clock next moves o (transition's times), zero if never.
func (b *Book) nextCheck(o *Order) time.Time {
	switch {
	case o.Status == StatusPending || o.Status == StatusSent:
		return o.Deadline
	case o.Status == StatusExecuted:
		return o.Expires
	case o.Status == StatusOverdue && o.Type == ActStopPayment:
		return o.Created.Add(b.set.StopTerm)
	}
	return time.Time{}
}

// watch schedules o's next check, once per time.
func (b *Book) watch(o *Order) {
	t := b.nextCheck(o)
	if t.IsZero() {
		delete(b.checkAt, o.ID)
		return
	}
	at := t.UnixNano()
	if old, ok := b.checkAt[o.ID]; ok && old == at {
		return
	}
	b.checkAt[o.ID] = at
	heap.Push(&b.checks, check{at, o.ID})
}

// check is one order's entry in the clock's heap.
type check struct {
	at int64 // unix ns
	id string
}

type checkHeap []check

func (h checkHeap) Len() int           { return len(h) }
func (h checkHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h checkHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *checkHeap) Push(x any)        { *h = append(*h, x.(check)) }
func (h *checkHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	old[len(old)-1] = check{}
	*h = old[:len(old)-1]
	return c
}

// prune forgets what is over and older than before: orders rejected, released,
// converted or expired, closed cases, decided appeals. History keeps them; memory
// stays bounded on a console that runs for years. The stop count of an account is
// kept: the limit on stops does not lapse with the orders.
func (b *Book) prune(before time.Time) (orders, cases int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	appealed := map[string]bool{} // orders a pending appeal names stay until it is decided
	for _, a := range b.appeals {
		if a.Status == AppealPending {
			appealed[a.OrderID] = true
		}
	}
	over := func(o *Order) bool {
		switch o.Status {
		case StatusRejected, StatusReleased, StatusConverted, StatusExpired:
			if appealed[o.ID] || slices.ContainsFunc(b.chain(o)[1:], func(x *Order) bool { return x.Live() }) {
				return false // what it became still binds: the chain stays whole
			}
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
		delete(b.checkAt, id)
		if b.lastOn[o.Target()] == id {
			delete(b.lastOn, o.Target())
		}
		if ids := slices.DeleteFunc(b.onAccount[o.Account], func(x string) bool { return x == id }); len(ids) > 0 {
			b.onAccount[o.Account] = ids
		} else {
			delete(b.onAccount, o.Account)
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
