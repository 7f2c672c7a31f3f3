package intercept

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// ChangeCase assigns, notes, links or sets the status of a case, journaled before it
// returns the case as it now stands.
func (d *Desk) ChangeCase(ctx context.Context, ch CaseChange) (Case, error) {
	d.opsMu.Lock()
	defer d.opsMu.Unlock()
	ch.At = d.now()
	ch, err := d.eng.book.planCase(ch)
	if err != nil {
		return Case{}, err
	}
	data, err := json.Marshal(ch)
	if err != nil {
		return Case{}, fmt.Errorf("encode case change: %w", err)
	}
	if _, err := d.j.Append(ctx, Record{Type: RecCase, Data: data}); err != nil {
		return Case{}, fmt.Errorf("case change: %w", err)
	}
	d.eng.book.applyCase(ch)
	return d.eng.book.Case(ch.CaseID)
}

// FileAppeal records a holder's appeal against a live order.
func (d *Desk) FileAppeal(ctx context.Context, ch AppealChange) (Appeal, error) {
	ch.Op = "filed"
	return d.appeal(ctx, ch)
}

// DecideAppeal grants or denies an appeal with written grounds; a grant releases the
// order (or restores the number), journaled with the decision in one append.
func (d *Desk) DecideAppeal(ctx context.Context, ch AppealChange) (Appeal, error) {
	ch.Op = "decided"
	return d.appeal(ctx, ch)
}

func (d *Desk) appeal(ctx context.Context, ch AppealChange) (Appeal, error) {
	d.opsMu.Lock()
	defer d.opsMu.Unlock()
	ch.At = d.now()
	ch, recs, err := d.eng.book.planAppeal(ch)
	if err != nil {
		return Appeal{}, err
	}
	data, err := json.Marshal(ch)
	if err != nil {
		return Appeal{}, fmt.Errorf("encode appeal: %w", err)
	}
	if err := d.journalOrders(ctx, recs, []Record{{Type: RecAppeal, Data: data}}); err != nil {
		return Appeal{}, err
	}
	d.eng.book.applyAppeal(ch)
	d.applyOrders(recs)
	return d.eng.book.Appeal(ch.AppealID)
}

// restoreBook applies an order, case or appeal record on restart.
func (d *Desk) restoreBook(r Record) (bool, error) {
	var err error
	switch r.Type {
	case RecOrderStatus:
		var s OrderStatus
		if err = json.Unmarshal(r.Data, &s); err == nil {
			d.eng.book.apply(s)
		}
	case RecCase:
		var ch CaseChange
		if err = json.Unmarshal(r.Data, &ch); err == nil {
			d.eng.book.applyCase(ch)
		}
	case RecAppeal:
		var ch AppealChange
		if err = json.Unmarshal(r.Data, &ch); err == nil {
			d.eng.book.applyAppeal(ch)
		}
	default:
		return false, nil
	}
	if err != nil {
		return true, fmt.Errorf("restore record %d: %w", r.Seq, err)
	}
	return true, nil
}

// resendWithin is how far back Resend goes for releases and conversions: a message
// older than that which had not got through had run out of retries (about half an
// hour of them) long before the restart.
const resendWithin = 24 * time.Hour

// Resend tells the notifier again, after a restart, what each org may not have heard:
// deliveries in flight were in memory only, and receivers dedupe by key. Orders still
// waiting for their org go again as order.pending, a waiting stop's last amendment as
// order.amended, and releases and conversions of the last day as themselves. Freeze
// requests are the desk's and go nowhere.
func (d *Desk) Resend() int {
	n := 0
	since := d.now().Add(-resendWithin)
	tell := func(o Order, event string) {
		d.notify(o, "order."+event)
		n++
	}
	for _, o := range d.eng.book.Orders(OrderFilter{Limit: 1 << 30}) {
		if o.Type == ActFreezeRequest {
			continue
		}
		switch o.Status {
		case StatusPending, StatusSent, StatusOverdue:
			if o.Status != StatusSent {
				tell(o, StatusPending)
			}
			if o.LastAmended() > 0 {
				tell(o, StatusAmended)
			}
		case StatusReleased, StatusConverted:
			if o.History[len(o.History)-1].At.After(since) {
				tell(o, o.Status)
			}
		}
	}
	return n
}
