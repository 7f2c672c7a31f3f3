package intercept

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// ActOnOrder moves order id by op (execute, reject, renew, convert, release, amend, sent),
// journaled before it returns the order as it now stands. org, when set, is the
// caller's scope: an order of another org is not found.
func (d *Desk) ActOnOrder(ctx context.Context, id, org string, op OrderOp) (Order, error) {
	d.opsMu.Lock()
	defer d.opsMu.Unlock()
	b := d.eng.book
	if o, err := b.Order(id); err != nil || (org != "" && o.Org != org) {
		return Order{}, fmt.Errorf("order %s: %w", id, ErrNotFound)
	}
	op.At = d.now()
	recs, err := b.plan(id, op)
	if err != nil {
		return Order{}, err
	}
	if err := d.journalOrders(ctx, recs, nil); err != nil {
		return Order{}, err
	}
	d.applyOrders(recs)
	return b.Order(id)
}

// journalOrders appends status records (and extra records) with one append.
func (d *Desk) journalOrders(ctx context.Context, recs []OrderStatus, extra []Record) error {
	out := extra
	for _, s := range recs {
		data, err := json.Marshal(s)
		if err != nil {
			return fmt.Errorf("encode order status: %w", err)
		}
		out = append(out, Record{Type: RecOrderStatus, Data: data})
	}
	if _, err := d.j.Append(ctx, out...); err != nil {
		return fmt.Errorf("order change: %w", err)
	}
	return nil
}

// applyOrders applies journaled status records and tells the org what it must act on:
// a new order (a renewal is one, with the order it renews as its parent), a
// conversion, a release, a stop's amended details.
func (d *Desk) applyOrders(recs []OrderStatus) {
	for _, s := range recs {
		d.eng.book.apply(s)
		if s.Status != StatusPending && s.Status != StatusReleased && s.Status != StatusConverted && s.Status != StatusAmended {
			continue
		}
		event := "order." + s.Status
		if o, err := d.eng.book.Order(s.OrderID); err == nil && o.Type != ActFreezeRequest {
			d.notify(o, event)
		}
	}
}

// IssueRequest is an order issued by a person on the desk.
type IssueRequest struct {
	Type        ActionType `json:"type"` // stop_payment, cutoff or freeze_request
	Bank        string     `json:"bank,omitempty"`
	Account     string     `json:"account,omitempty"`
	AccountName string     `json:"account_name,omitempty"`
	Amount      string     `json:"amount,omitempty"` // yuan, e.g. "52000.00"
	TxAt        time.Time  `json:"tx_at,omitzero"`
	Operator    string     `json:"operator,omitempty"`
	Phone       string     `json:"phone,omitempty"`
	ReasonCode  string     `json:"reason_code,omitempty"`
	DeadlineH   int        `json:"deadline_hours,omitempty"` // cutoff: the operator's deadline
	Reason      string     `json:"reason"`
	CaseID      string     `json:"case_id,omitempty"`
}

// Issue creates an order by hand (the hotline's one click), journaled before it
// returns. A third stop of one account, a second order on one target and a cutoff of
// an official number are conflicts.
func (d *Desk) Issue(ctx context.Context, r IssueRequest, who string) (Order, error) {
	d.opsMu.Lock()
	defer d.opsMu.Unlock()
	b, now := d.eng.book, d.now()
	o, err := d.checkIssue(r, now)
	if err != nil {
		return Order{}, err
	}
	o.Issuer, o.Created, o.Basis, o.Reason, o.CaseID = who, now, b.set.Basis[o.Type], r.Reason, r.CaseID
	release := func() {}
	switch o.Type {
	case ActStopPayment:
		o.ID = d.eng.newID("SP")
		id, fresh, refused := b.claimStop(o.Account, o.ID)
		switch {
		case refused:
			return Order{}, fmt.Errorf("account %s has been stopped %d times, the most allowed: ask for a freeze: %w", o.Account, b.Stops(o.Account), ErrConflict)
		case !fresh:
			return Order{}, fmt.Errorf("account %s is already under order %s: %w", o.Account, id, ErrConflict)
		}
		release = func() { b.abandonStop(o.Account, o.ID) }
		o.Deadline = now.Add(b.set.StopExecute)
	case ActFreezeRequest:
		o.ID = d.eng.newID("FR")
		if id, fresh := d.eng.st.freezes.claim(o.Account, o.ID); !fresh {
			return Order{}, fmt.Errorf("account %s already has freeze request %s: %w", o.Account, id, ErrConflict)
		}
		release = func() { d.eng.st.freezes.releaseIf(o.Account, o.ID) }
		o.Deadline = now.Add(b.set.FreezeExecute)
	case ActCutoff:
		o.ID = d.eng.newID("CO")
		if id, fresh := d.eng.st.cutoffs.claim(o.Phone, o.ID); !fresh {
			return Order{}, fmt.Errorf("number %s is already under cutoff %s: %w", o.Phone, id, ErrConflict)
		}
		release = func() { d.eng.st.cutoffs.releaseIf(o.Phone, o.ID) }
		h := time.Duration(r.DeadlineH) * time.Hour
		if h == 0 {
			h = b.set.CutoffDeadline
		}
		o.Deadline = now.Add(h)
	}
	recs := []OrderStatus{o.status(StatusPending, now, who)}
	if err := d.journalOrders(ctx, recs, nil); err != nil {
		release()
		return Order{}, err
	}
	d.applyOrders(recs)
	return b.Order(o.ID)
}

// maxClockSkew is how far ahead of the desk's clock a time given for the past may be.
const maxClockSkew = 5 * time.Minute

// longer reports whether s has more than n characters: the limits of free text
// people type (Chinese takes three bytes a character).
func longer(s string, n int) bool { return len(s) > n && utf8.RuneCountInString(s) > n }

// checkHolder checks an account holder's name as given by hand: the same rule as a
// feed's payee_name (at most 100 characters, no control characters).
func checkHolder(name string, bad func(field, reason string)) {
	if reason := checkText([]byte(name), 0, maxNameLen, false); reason != "" {
		bad("account_name", reason)
	} else if name != "" && strings.TrimSpace(name) == "" {
		bad("account_name", "must not be blank")
	}
}

// parseHeld parses the yuan an order holds ("" is none): more than 0.00.
func parseHeld(amount string, bad func(field, reason string)) Fen {
	if amount == "" {
		return 0
	}
	f, err := ParseYuan(amount)
	switch {
	case err != nil:
		bad("amount", reasonOf(err))
	case f == 0:
		bad("amount", "must be more than 0.00: the money to hold")
	}
	return f
}

// checkPaidAt checks when the money moved: not in the future.
func checkPaidAt(at, now time.Time, bad func(field, reason string)) {
	if at.After(now.Add(maxClockSkew)) {
		bad("tx_at", "in the future: when the money moved")
	}
}

// checkIssue validates a hand-issued order and returns it, not yet numbered.
func (d *Desk) checkIssue(r IssueRequest, now time.Time) (*Order, error) {
	b := d.eng.book
	var fe []FieldError
	bad := func(field, reason string) { fe = append(fe, FieldError{Field: field, Reason: reason}) }
	o := &Order{Type: r.Type, Status: StatusPending, AccountName: r.AccountName, TxAt: r.TxAt, ReasonCode: r.ReasonCode}
	if strings.TrimSpace(r.Reason) == "" || longer(r.Reason, 2000) {
		bad("reason", "required: why the order is issued (at most 2000 characters)")
	}
	checkHolder(r.AccountName, bad)
	if r.CaseID != "" {
		if _, err := b.Case(r.CaseID); err != nil {
			bad("case_id", "no such case")
		}
	}
	switch r.Type {
	case ActStopPayment, ActFreezeRequest:
		a, err := NormalizeAccount(r.Account)
		if err != nil {
			bad("account", reasonOf(err))
		}
		if !ValidOrg(r.Bank) {
			bad("bank", "required: the bank's code, such as ICBC")
		}
		o.Account, o.Org = a, r.Bank
		o.Amount = parseHeld(r.Amount, bad)
		if r.Type == ActStopPayment {
			const match = "required: the bank executes a stop only if name, number, amount and time match"
			if r.AccountName == "" { // a blank one is refused by checkHolder
				bad("account_name", match)
			}
			if r.Amount == "" {
				bad("amount", match)
			}
			if r.TxAt.IsZero() {
				bad("tx_at", match)
			}
			checkPaidAt(r.TxAt, now, bad)
		}
	case ActCutoff:
		n, err := NormalizePhone(r.Phone, d.dec.DefaultCountry)
		if err != nil {
			bad("phone", reasonOf(err))
		} else if d.eng.st.Lists.Number(n, now).List == ListWhite {
			return nil, fmt.Errorf("number %s is white-listed (an official line): never cut: %w", n, ErrConflict)
		}
		o.Phone, o.Org = n, r.Operator
		if o.Org == "" && err == nil {
			o.Org = b.set.operatorOf(n)
		} else if !ValidOrg(o.Org) {
			bad("operator", "an operator's code, such as CMCC")
		}
		if !validCode(r.ReasonCode) {
			bad("reason_code", "required: 2 to 32 of a-z, 0-9, _ such as scam_calls")
		}
		if h := time.Duration(r.DeadlineH) * time.Hour; r.DeadlineH != 0 && (h < b.set.CutoffMin || h > b.set.CutoffMax) {
			bad("deadline_hours", fmt.Sprintf("between %v and %v", b.set.CutoffMin, b.set.CutoffMax))
		}
	default:
		bad("type", "want stop_payment, freeze_request or cutoff")
	}
	if len(fe) > 0 {
		return nil, &ValidationError{What: "order", Fields: fe}
	}
	return o, nil
}

// ValidOrg reports whether s is a bank's or operator's code: 2 to 16 of A-Z, 0-9, _
// (ICBC, CMCC).
func ValidOrg(s string) bool {
	if len(s) < 2 || len(s) > 16 {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func validCode(s string) bool {
	if len(s) < 2 || len(s) > 40 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == ':') {
			return false
		}
	}
	return true
}

// abandonStop undoes claimStop when its order could not be journaled.
func (b *Book) abandonStop(account, id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.st.stops.releaseIf(account, id)
	ids := b.stopsOf[account]
	for i, s := range ids {
		if s == id {
			b.stopsOf[account] = append(ids[:i:i], ids[i+1:]...)
			break
		}
	}
}

// pruneEvery spaces Sweep's pruning of the book.
const pruneEvery = time.Hour

// Sweep moves orders the clock has caught up with: pending past their deadline to
// overdue (raised on the desk), executed past their term to expired (lifting them);
// and, at most once per pruneEvery, forgets orders and cases over for
// OrderSettings.Keep. A job calls it every --sweep-every; it returns the records it
// applied. The moves cost the orders moved, not the size of the book.
func (d *Desk) Sweep(ctx context.Context) ([]OrderStatus, error) {
	d.opsMu.Lock()
	defer d.opsMu.Unlock()
	now := d.now()
	// Pruning scans the whole book under its lock, so it runs at most once per
	// pruneEvery; what it forgets is already Keep (a month) old.
	if now.Sub(d.pruned) >= pruneEvery || now.Before(d.pruned) {
		d.pruned = now
		if o, c := d.eng.book.prune(now.Add(-d.eng.book.set.Keep)); o+c > 0 {
			d.log.InfoContext(ctx, "book_pruned", "orders", o, "cases", c)
		}
	}
	recs := d.eng.book.due(now)
	if len(recs) == 0 {
		return nil, nil
	}
	if err := d.journalOrders(ctx, recs, nil); err != nil {
		return nil, err
	}
	d.applyOrders(recs)
	for _, s := range recs {
		d.log.InfoContext(ctx, "order_"+s.Status, "order_id", s.OrderID, "type", s.Type, "org", s.Org)
	}
	return recs, nil
}
