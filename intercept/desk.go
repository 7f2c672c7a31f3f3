package intercept

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Desk is the engine behind the journal: what feeds, people and the console call.
// Every state change it makes is appended to the journal before it is acknowledged;
// when the journal fails, the desk refuses new work with the journal's error.
type Desk struct {
	eng *Engine
	j   Journal
	dec Decoder
	log *slog.Logger

	now    func() time.Time
	notify Notifier
	opsMu  sync.Mutex // orders, cases and appeals change one at a time: plan, journal, apply
	pruned time.Time  // when Sweep last pruned the book (under opsMu)
}

// Notifier hears of orders the org must act on: event is "order.pending" (a new
// order, or a renewal: a new order whose Parent is the order it renews),
// "order.released", "order.converted" or "order.amended" (a waiting stop's details
// completed or corrected). It must not block.
type Notifier func(o Order, event string)

// NewDesk returns a desk over e that journals to j.
func NewDesk(e *Engine, j Journal, dec Decoder, log *slog.Logger) *Desk {
	return &Desk{eng: e, j: j, dec: dec, log: log, now: time.Now, notify: func(Order, string) {}}
}

// SetClock replaces the desk's clock (tests drive deadlines with a fake one).
func (d *Desk) SetClock(now func() time.Time) {
	d.now = now
	d.eng.SetClock(now)
}

// SetNotifier sets who hears of orders to deliver; call it before serving.
func (d *Desk) SetNotifier(n Notifier) { d.notify = n }

// Book returns the register of orders, cases and appeals.
func (d *Desk) Book() *Book { return d.eng.book }

// Decoder returns the desk's event decoder.
func (d *Desk) Decoder() Decoder { return d.dec }

// registered puts durable decisions' orders and cases in the book and tells the
// notifier of the new orders.
func (d *Desk) registered(ev *Event, dec *Decision) {
	for _, o := range d.eng.book.record(ev, dec, dec.DecidedAt) {
		if o.Type != ActFreezeRequest { // the desk's to convert, not the bank's to execute
			d.notify(o, "order."+StatusPending)
		}
	}
}

// Engine returns the desk's engine.
func (d *Desk) Engine() *Engine { return d.eng }

// Result is the outcome of one line of a batch: a decision or the line's error.
type Result struct {
	Line     int          `json:"line"` // 1-based
	Decision *Decision    `json:"decision,omitempty"`
	Error    string       `json:"error,omitempty"`
	Fields   []FieldError `json:"fields,omitempty"`
	err      error
}

// Err returns the line's error, nil when it was decided.
func (r Result) Err() error { return r.err }

// Ingest decodes and decides every line, then makes all accepted events and their
// decisions durable with one journal append. Bad lines get their field errors and
// the good ones are accepted; a duplicate event gets its first decision, once that
// is durable, and adds nothing to the journal. The error is the journal's (nothing
// acknowledged), or ctx's; then the batch's decisions are forgotten, so a retry
// decides them again rather than finding unjournaled duplicates.
func (d *Desk) Ingest(ctx context.Context, lines [][]byte) ([]Result, error) {
	return d.IngestChecked(ctx, lines, nil, nil)
}

// IngestChecked is Ingest with a check of every decoded event before it is decided
// (a feed key's scope: an event check refuses fails its line with check's error),
// and, when audit is set, the post's audit entry (who, from where, what became of
// its lines) journaled in the same append as its events.
func (d *Desk) IngestChecked(ctx context.Context, lines [][]byte, check func(*Event) error, audit *AuditEntry) ([]Result, error) {
	res := make([]Result, len(lines))
	recs := make([]Record, 0, len(lines)+1) // the decided records and the audit entry
	fresh := make([]*Decision, 0, len(lines))
	events := make([]*Event, 0, len(lines))
	batch := map[string]bool{} // ids decided in this batch: journaled with it
	bp := recordBufs.Get().(*[]byte)
	buf := slices.Grow((*bp)[:0], recordsSize(lines)) // the decided records, end to end
	ends := make([]int, 0, len(lines))                // where each ends in buf
	for i, line := range lines {
		res[i].Line = i + 1
		ev, err := d.dec.Decode(line)
		if err == nil && check != nil {
			err = check(&ev)
		}
		if err != nil {
			res[i].fail(err)
			continue
		}
		dec, err := d.decideDurable(ctx, &ev, batch)
		if errors.Is(err, ErrInvalid) {
			res[i].fail(err)
			continue
		}
		if err != nil {
			d.abandon(fresh)
			return nil, err
		}
		res[i].Decision = dec
		if dec.Duplicate {
			continue
		}
		fresh, events = append(fresh, dec), append(events, &ev)
		batch[dec.EventID] = true
		if err := checkJSONTime(dec.DecidedAt); err != nil {
			d.abandon(fresh)
			return nil, fmt.Errorf("encode decided record: %w", err)
		}
		buf = DecidedRecord{Event: ev, Decision: dec}.AppendJSON(buf)
		ends = append(ends, len(buf))
		recs = append(recs, Record{Type: RecDecided})
	}
	// The decided records, first in recs, share one buffer: a few allocations for the
	// batch rather than a few per event. Full slice expressions keep them apart.
	start := 0
	for k, end := range ends {
		recs[k].Data = buf[start:end:end]
		start = end
	}
	if audit != nil {
		bad := 0
		for _, r := range res {
			if r.err != nil {
				bad++
			}
		}
		if err := checkJSONTime(audit.At); err != nil {
			d.abandon(fresh)
			return nil, fmt.Errorf("encode audit entry: %w", err)
		}
		a := *audit
		a.Detail = auditDetail(len(lines), bad, len(fresh))
		start := len(buf)
		buf = a.AppendJSON(buf)
		recs = append(recs, Record{Type: RecAudit, Data: buf[start:len(buf):len(buf)]})
	}
	_, err := d.j.Append(ctx, recs...)
	if cap(buf) <= maxPooledRecords {
		*bp = buf[:0] // the journal keeps no reference once Append returns
		recordBufs.Put(bp)
	}
	if err != nil {
		d.abandon(fresh)
		return nil, fmt.Errorf("ingest: %w", err)
	}
	for i, dec := range fresh {
		d.eng.seen.durable(dec)
		d.registered(events[i], dec)
	}
	return res, nil
}

// auditDetail says what a feed post did: "3 lines: 2 decided (1 new), 1 refused".
func auditDetail(lines, refused, fresh int) string {
	var b [96]byte
	t := strconv.AppendInt(b[:0], int64(lines), 10)
	t = append(t, " lines: "...)
	t = strconv.AppendInt(t, int64(lines-refused), 10)
	t = append(t, " decided ("...)
	t = strconv.AppendInt(t, int64(fresh), 10)
	t = append(t, " new), "...)
	t = strconv.AppendInt(t, int64(refused), 10)
	t = append(t, " refused"...)
	return string(t)
}

// recordBufs recycles the buffers a feed post's records are encoded into (about 1 KB
// per event): a journal copies what it is given, so the buffer is free again once
// Append returns. Buffers past maxPooledRecords (a batch of big reports) are let go.
var recordBufs = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledRecords = 32 << 20

// recordsSize guesses the bytes of the decided records for lines: an event comes back
// re-encoded at about its own size, and a decision that matched nothing is ~300 bytes.
// Sized up front, the buffer is not copied over and over as it grows.
func recordsSize(lines [][]byte) int {
	n := 256 // the audit entry
	for _, l := range lines {
		n += len(l) + 384
	}
	return n
}

// decideDurable decides ev; a duplicate waits until its first decision is durable
// (unless that is in this batch, journaled with it), and is decided afresh if that
// decision was abandoned.
func (d *Desk) decideDurable(ctx context.Context, ev *Event, batch map[string]bool) (*Decision, error) {
	for {
		dec, err := d.eng.Decide(ctx, ev)
		if err != nil || !dec.Duplicate || batch[ev.ID] {
			return dec, err
		}
		ok, err := d.eng.seen.waitDurable(ctx, ev.ID)
		if err != nil {
			return nil, err
		}
		if ok {
			return dec, nil
		}
	}
}

// abandon forgets decisions whose journal append failed, with the orders they put
// in force: a retry decides afresh and issues them again.
func (d *Desk) abandon(ds []*Decision) {
	for _, dec := range ds {
		d.eng.seen.abandon(dec)
		d.eng.book.abandon(dec)
	}
}

func (r *Result) fail(err error) {
	r.err, r.Error = err, err.Error()
	var ve *ValidationError
	if errors.As(err, &ve) {
		r.Fields = ve.Fields
	}
}

// Decide decides one event and journals it before returning the decision.
func (d *Desk) Decide(ctx context.Context, ev *Event) (*Decision, error) {
	dec, err := d.decideDurable(ctx, ev, nil)
	if err != nil || dec.Duplicate {
		return dec, err
	}
	if err := checkJSONTime(dec.DecidedAt); err != nil {
		d.abandon([]*Decision{dec})
		return nil, fmt.Errorf("encode decided record: %w", err)
	}
	data := DecidedRecord{Event: *ev, Decision: dec}.AppendJSON(make([]byte, 0, 1024))
	if _, err := d.j.Append(ctx, Record{Type: RecDecided, Data: data}); err != nil {
		d.abandon([]*Decision{dec})
		return nil, fmt.Errorf("decide: %w", err)
	}
	d.eng.seen.durable(dec)
	d.registered(ev, dec)
	return dec, nil
}

// ChangeList adds or removes list entries, all journaled with one append before it
// returns. target is "number" or "account"; op is "add" or "remove". It stops at the
// first entry that fails, having journaled the ones before it.
func (d *Desk) ChangeList(ctx context.Context, op, target string, es ...Entry) error {
	recs := make([]Record, 0, len(es))
	var failed error
	for _, e := range es {
		ch := ListChange{Op: op, Target: target, List: e.List.String(), Entry: e}
		if err := d.applyList(ch, true); err != nil {
			failed = fmt.Errorf("%s %s %s: %w", op, target, e.Value, err)
			break
		}
		data, err := json.Marshal(ch)
		if err != nil {
			return fmt.Errorf("encode list change: %w", err)
		}
		recs = append(recs, Record{Type: RecListChange, Data: data})
	}
	if _, err := d.j.Append(ctx, recs...); err != nil {
		return fmt.Errorf("list change: %w", err)
	}
	return failed
}

func (d *Desk) applyList(ch ListChange, strict bool) error {
	l := d.eng.State().Lists
	var err error
	switch {
	case ch.Op == "add" && ch.Target == "number":
		ch.Entry.List, err = ParseList(ch.List)
		if err == nil {
			err = l.AddNumber(ch.Entry)
		}
	case ch.Op == "add" && ch.Target == "account":
		ch.Entry.List, err = ParseList(ch.List)
		if err == nil {
			err = l.AddAccount(ch.Entry)
		}
	case ch.Op == "remove" && ch.Target == "number":
		_, err = l.RemoveNumber(ch.Entry.Value, ch.Entry.Prefix)
	case ch.Op == "remove" && ch.Target == "account":
		_, err = l.RemoveAccount(ch.Entry.Value)
	default:
		return fmt.Errorf("list change %s %s: %w", ch.Op, ch.Target, ErrInvalid)
	}
	if err != nil && !strict && errors.Is(err, ErrNotFound) {
		return nil // replaying a removal already reflected
	}
	return err
}

// Restore applies one journal record to memory at start, without deciding anything
// again or journaling it twice. Records of types the desk does not own (rules) are
// left to the caller and reported as not handled.
func (d *Desk) Restore(ctx context.Context, r Record) (handled bool, err error) {
	switch r.Type {
	case RecDecided:
		var dr DecidedRecord
		if err := json.Unmarshal(r.Data, &dr); err != nil {
			return true, fmt.Errorf("restore record %d: %w", r.Seq, err)
		}
		if dr.Decision == nil {
			return true, fmt.Errorf("restore record %d: no decision: %w", r.Seq, ErrInvalid)
		}
		d.eng.Restore(ctx, &dr.Event, dr.Decision, r.At)
		return true, nil
	case RecListChange:
		var ch ListChange
		if err := json.Unmarshal(r.Data, &ch); err != nil {
			return true, fmt.Errorf("restore record %d: %w", r.Seq, err)
		}
		if err := d.applyList(ch, false); err != nil {
			d.log.WarnContext(ctx, "restore_list_change_failed", "seq", r.Seq, "err", err)
		}
		return true, nil
	}
	return d.restoreBook(r)
}

// Restore puts a decided event back into memory after a restart: the duplicate table,
// the windows, the contacts, a report's suspects and the orders in force, as when it
// was first decided, without running the rules or issuing anything new.
//
// The effects are applied even when the id is already known: a snapshot taken while
// decisions ran may hold the id but not all its effects, and every effect merges
// when applied twice.
func (e *Engine) Restore(ctx context.Context, ev *Event, d *Decision, at time.Time) {
	if !d.DecidedAt.IsZero() {
		at = d.DecidedAt
	}
	nd, first := e.seen.claim(ev.ID)
	if first {
		id := nd.EventID
		*nd = *d
		nd.EventID, nd.ready, nd.Duplicate, nd.journaled = id, false, false, true
		defer e.seen.done(nd)
	}
	keys := keysOf(ev)
	e.observe(ev, keys, true)
	e.remember(ctx, ev, keys, d, true)
	for _, a := range d.Actions {
		if a.OrderID == "" || a.Existing {
			continue
		}
		if o, err := e.book.Order(a.OrderID); err == nil && !o.Live() {
			continue // lifted since: the snapshot knew
		}
		switch a.Type {
		case ActStopPayment:
			e.book.restoreStop(a.Account, a.OrderID)
		case ActCutoff:
			e.st.cutoffs.claim(a.Phone, a.OrderID)
		case ActFreezeRequest:
			e.st.freezes.claim(a.Account, a.OrderID)
		}
	}
	e.book.record(ev, d, at)
}
