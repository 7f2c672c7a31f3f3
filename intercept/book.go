package intercept

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// Book is the desk's register of orders, cases and appeals: what the liaisons work
// and the engine's orders become. Every change comes from a journal record (a decided
// event, an OrderStatus, a CaseChange, an AppealChange), applied the same way live
// and on restart, and applying a record twice changes nothing. The engine's in-force
// tables (State.Stopped, CutOff) follow the book. Safe for concurrent use.
type Book struct {
	set   OrderSettings
	st    *State
	newID func(prefix string) string

	mu        sync.RWMutex
	orders    map[string]*Order
	ids       []string            // order ids, oldest first
	stopsOf   map[string][]string // account -> the stops (and renewals) it ever had
	lastOn    map[string]string   // account or number -> the latest order on it
	cases     map[string]*Case
	caseIDs   []string
	eventCase map[string]string // event id -> the case it belongs to
	appeals   map[string]*Appeal
	appealIDs []string

	// The clock's work without a scan of every order: onAccount finds the other
	// stops and freezes on an account, checks holds each live order at the time the
	// clock next moves it (its deadline, its term), checkAt which entry is current.
	onAccount map[string][]string
	checks    checkHeap
	checkAt   map[string]int64
}

func newBook(s OrderSettings, st *State, newID func(string) string) *Book {
	return &Book{set: s, st: st, newID: newID, orders: map[string]*Order{}, stopsOf: map[string][]string{},
		lastOn: map[string]string{}, cases: map[string]*Case{}, eventCase: map[string]string{}, appeals: map[string]*Appeal{},
		onAccount: map[string][]string{}, checkAt: map[string]int64{}}
}

// claimStop puts a stop-payment in force on account: the order in force already,
// or id when none is and the account has not been stopped MaxStops times.
func (b *Book) claimStop(account, id string) (inForce string, fresh, refused bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if old, ok := b.st.stops.get(account); ok {
		return old, false, false
	}
	if len(b.stopsOf[account]) >= b.set.MaxStops {
		return "", false, true
	}
	b.st.stops.claim(account, id)
	b.stopsOf[account] = append(b.stopsOf[account], id)
	return id, true, false
}

// restoreStop is claimStop on restart: the decision was taken, so its stop counts.
func (b *Book) restoreStop(account, id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if o, ok := b.orders[id]; ok && !o.Live() {
		return // released or expired since: the snapshot knew
	}
	b.st.stops.claim(account, id)
	if !slices.Contains(b.stopsOf[account], id) {
		b.stopsOf[account] = append(b.stopsOf[account], id)
	}
}

// Stops returns how many stop-payments account has had (renewals count).
func (b *Book) Stops(account string) int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.stopsOf[account])
}

// record registers the orders a decision issued and opens or links its case; at is
// when it was decided. It returns the orders it created.
func (b *Book) record(ev *Event, d *Decision, at time.Time) []Order {
	if len(d.Actions) == 0 && d.CaseID == "" {
		if ev.Kind != KindTransfer {
			return nil
		}
		if _, stopped := b.st.stops.get(ev.PayerAccount); !stopped {
			return nil // the common case: nothing to register, and no book lock taken
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	caseID := d.CaseID
	if caseID != "" {
		b.openCase(ev, d, at)
	} else {
		caseID = b.caseOfLocked(ev, d)
	}
	var created []Order
	for _, a := range d.Actions {
		if a.OrderID == "" || a.Existing {
			continue
		}
		if _, ok := b.orders[a.OrderID]; ok {
			continue
		}
		o := b.orderOf(ev, d, a, at, caseID)
		b.create(o)
		created = append(created, *o)
	}
	if c := b.cases[caseID]; c != nil {
		b.linkLocked(c, []string{ev.ID}, idsOf(created))
	}
	return created
}

// caseOfLocked finds the case a decision belongs to: the case of an order it met
// (already in force on its target), of money leaving a stopped account, or of an
// event it links to.
func (b *Book) caseOfLocked(ev *Event, d *Decision) string {
	for _, a := range d.Actions {
		if o, ok := b.orders[a.OrderID]; ok && o.CaseID != "" {
			return o.CaseID
		}
		if o, ok := b.orders[b.lastOn[a.Account+a.Phone]]; ok && o.CaseID != "" {
			return o.CaseID // a new order on a target a case already acted on
		}
	}
	if ev.Kind == KindTransfer {
		if id, ok := b.st.stops.get(ev.PayerAccount); ok {
			if o, ok := b.orders[id]; ok && o.CaseID != "" {
				return o.CaseID
			}
		}
	}
	for _, m := range d.Matched {
		for _, l := range m.Links {
			if c, ok := b.eventCase[l]; ok {
				return c
			}
		}
	}
	return ""
}

func (b *Book) orderOf(ev *Event, d *Decision, a Action, at time.Time, caseID string) *Order {
	o := &Order{ID: a.OrderID, Type: a.Type, Status: StatusPending, Account: a.Account, Phone: a.Phone,
		EventID: d.EventID, CaseID: caseID, Rule: a.Rule, Issuer: "engine", Basis: b.set.Basis[a.Type], Created: at,
		Reason: fmt.Sprintf("decision %s: score %d (%s)", d.EventID, d.Score, d.Level)}
	switch a.Type {
	case ActStopPayment, ActFreezeRequest:
		o.Org = a.Bank
		o.AccountName, o.Amount, o.TxAt = ev.PaidInto(a.Bank, a.Account)
		o.Deadline = at.Add(b.set.StopExecute)
		if a.Type == ActFreezeRequest {
			o.Deadline = at.Add(b.set.FreezeExecute)
		}
	case ActCutoff:
		o.Org = a.Operator
		if o.Org == "" {
			o.Org = b.set.operatorOf(a.Phone)
		}
		o.ReasonCode = "rule:" + a.Rule
		o.Deadline = at.Add(b.set.CutoffDeadline)
	}
	if o.Org == "" {
		o.Org = "UNASSIGNED"
	}
	o.History = []OrderStatus{o.status(StatusPending, at, "engine")}
	return o
}

// PaidInto is what ev says of the money paid into account at bank: the holder's name,
// the amount and when, as a stop-payment carries them (zero where unknown: the bank
// matches them, so none is made up). For the
// payer's own account of a transfer it is the money leaving it.
func (ev *Event) PaidInto(bank, account string) (name string, amount Fen, at time.Time) {
	switch ev.Kind {
	case KindTransfer:
		if account == ev.PayeeAccount && bank == ev.PayeeBank {
			return ev.PayeeName, ev.Amount, ev.At
		}
		return "", ev.Amount, ev.At
	case KindReport:
		for _, s := range ev.SuspectAccounts {
			if s.Account != account || s.Bank != bank {
				continue
			}
			amount, at = s.Amount, s.At
			if amount == 0 && len(ev.SuspectAccounts) == 1 {
				amount = ev.AmountLost // the whole loss went into the one account
			}
			return s.Name, amount, at
		}
	}
	return "", 0, time.Time{}
}

// status is an OrderStatus record of o entering status s, carrying o's fields.
func (o *Order) status(s string, at time.Time, by string) OrderStatus {
	return OrderStatus{OrderID: o.ID, Type: o.Type, Status: s, At: at, Org: o.Org, Account: o.Account, Phone: o.Phone,
		Amount: o.Amount, EventID: o.EventID, Rule: o.Rule, Issuer: o.Issuer, Reason: o.Reason, Reference: o.Reference,
		By: by, AccountName: o.AccountName, TxAt: o.TxAt, CaseID: o.CaseID, Basis: o.Basis, ReasonCode: o.ReasonCode,
		Document: o.Document, Parent: o.Parent, Child: o.Child, Deadline: o.Deadline, Expires: o.Expires}
}

func (b *Book) create(o *Order) {
	b.orders[o.ID] = o
	b.ids = append(b.ids, o.ID)
	b.lastOn[o.Target()] = o.ID
	if o.Type == ActStopPayment || o.Type == ActFreeze {
		b.onAccount[o.Account] = append(b.onAccount[o.Account], o.ID)
	}
	b.watch(o)
}

func idsOf(os []Order) []string {
	ids := make([]string, len(os))
	for i, o := range os {
		ids[i] = o.ID
	}
	return ids
}

// Order returns a copy of order id.
func (b *Book) Order(id string) (Order, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	o, ok := b.orders[id]
	if !ok {
		return Order{}, fmt.Errorf("order %s: %w", id, ErrNotFound)
	}
	return o.clone(), nil
}

func (o *Order) clone() Order {
	c := *o
	c.History = slices.Clone(o.History)
	return c
}

// Orders returns the orders f selects, newest first.
func (b *Book) Orders(f OrderFilter) []Order {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	var out []Order
	for i := len(b.ids) - 1; i >= 0 && len(out) < f.Limit; i-- {
		if o := b.orders[b.ids[i]]; f.match(o) {
			out = append(out, o.clone())
		}
	}
	return out
}

// CountOrders returns how many orders are in each type and status, for metrics.
func (b *Book) CountOrders() map[[2]string]int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	n := map[[2]string]int{}
	for _, o := range b.orders {
		n[[2]string{string(o.Type), o.Status}]++
	}
	return n
}

func (b *Book) snapshot() *snapBook {
	b.mu.RLock()
	defer b.mu.RUnlock()
	sb := &snapBook{StopsOf: make(map[string][]string, len(b.stopsOf))}
	for _, id := range b.ids {
		sb.Orders = append(sb.Orders, b.orders[id].clone())
	}
	for k, v := range b.stopsOf {
		sb.StopsOf[k] = slices.Clone(v)
	}
	for _, id := range b.caseIDs {
		sb.Cases = append(sb.Cases, b.cases[id].clone())
	}
	for _, id := range b.appealIDs {
		sb.Appeals = append(sb.Appeals, *b.appeals[id])
	}
	return sb
}

// has reports whether order id is in the book.
func (b *Book) has(id string) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	_, ok := b.orders[id]
	return ok
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// load puts a snapshot's book into an empty one, with the orders in force.
func (b *Book) load(sb *snapBook) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range sb.Orders {
		b.create(&sb.Orders[i])
	}
	// The engine's tables were written before the book: they follow it now.
	for i := range sb.Orders {
		if o := &sb.Orders[i]; o.Live() {
			b.claimLocked(o)
		} else {
			b.unclaimLocked(o)
		}
	}
	for k, v := range sb.StopsOf {
		b.stopsOf[k] = v
	}
	for i := range sb.Cases {
		c := &sb.Cases[i]
		// The snapshot leaves empty lists out; a case answers them as [], not null.
		c.Events, c.Orders, c.Notes = nonNil(c.Events), nonNil(c.Orders), nonNil(c.Notes)
		b.cases[c.ID] = c
		b.caseIDs = append(b.caseIDs, c.ID)
		for _, e := range c.Events {
			b.eventCase[e] = c.ID
		}
	}
	for i := range sb.Appeals {
		a := &sb.Appeals[i]
		b.appeals[a.ID] = a
		b.appealIDs = append(b.appealIDs, a.ID)
	}
}
