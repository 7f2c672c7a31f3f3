package webhook

import (
	"container/heap"
	"slices"
	"time"
)

// Log returns up to limit records of org ("" for all organisations), newest first;
// limit <= 0 returns them all. Records share their Body with the log: do not modify it.
func (d *Deliverer) Log(org string, limit int) []Record {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []Record
	for el := d.all.Back(); el != nil; el = el.Prev() {
		e := el.Value.(*entry)
		if org != "" && e.rec.Org != org {
			continue
		}
		out = append(out, e.snapshot())
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out
}

// Get returns the record of the delivery with key, if the log still holds it.
func (d *Deliverer) Get(key string) (Record, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.entries[key]
	if !ok {
		return Record{}, false
	}
	return e.snapshot(), true
}

// Pending returns the number of deliveries queued or being sent.
func (d *Deliverer) Pending() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.pending
}

// snapshot copies the record so that the caller can keep it. Caller holds d.mu.
func (e *entry) snapshot() Record {
	r := e.rec
	r.Attempts = slices.Clone(r.Attempts)
	return r
}

// finish moves e, no longer pending, to the end of the eviction order and forgets
// the oldest finished records beyond LogSize. Caller holds d.mu.
func (d *Deliverer) finish(e *entry) {
	e.rec.NextAt = time.Time{}
	e.finishEl = d.finished.PushBack(e)
	for len(d.entries) > d.opt.LogSize {
		front := d.finished.Front()
		if front == nil {
			return // only pending records left: they are never dropped
		}
		old := front.Value.(*entry)
		d.finished.Remove(front)
		d.all.Remove(old.allEl)
		delete(d.entries, old.rec.Key)
	}
}

// unfinish takes e out of the eviction order before it is queued again.
func (d *Deliverer) unfinish(e *entry) {
	if e.finishEl != nil {
		d.finished.Remove(e.finishEl)
		e.finishEl = nil
	}
}

// schedule queues pending e for an attempt at at and wakes the dispatcher. Caller
// holds d.mu.
func (d *Deliverer) schedule(e *entry, at time.Time) {
	d.seq++
	heap.Push(&d.queue, item{at: at, seq: d.seq, e: e})
	e.rec.NextAt = at
	select {
	case d.wake <- struct{}{}:
	default: // a wake-up is already waiting
	}
}

// next pops the entry due first if it is due at now; otherwise it returns how long
// until one is, and false in more when nothing is queued.
func (d *Deliverer) next(now time.Time) (e *entry, wait time.Duration, more bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.queue) == 0 {
		return nil, 0, false
	}
	if top := d.queue[0]; top.at.After(now) {
		return nil, top.at.Sub(now), true
	}
	it := heap.Pop(&d.queue).(item)
	return it.e, 0, true
}

// schedule is a min-heap of pending entries by due time, then by queueing order.
type schedule []item

type item struct {
	at  time.Time
	seq uint64
	e   *entry
}

func (s schedule) Len() int { return len(s) }
func (s schedule) Less(i, j int) bool {
	if !s[i].at.Equal(s[j].at) {
		return s[i].at.Before(s[j].at)
	}
	return s[i].seq < s[j].seq
}
func (s schedule) Swap(i, j int) { s[i], s[j] = s[j], s[i] }
func (s *schedule) Push(x any)   { *s = append(*s, x.(item)) }
func (s *schedule) Pop() any {
	old := *s
	it := old[len(old)-1]
	old[len(old)-1] = item{}
	*s = old[:len(old)-1]
	return it
}
