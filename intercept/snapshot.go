package intercept

import (
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// A snapshot holds the engine's memory: the lists, the orders in force, every window
// with the contact event ids, and the duplicate table's decisions. Restart loads it
// and replays only the journal after its seq. It is taken while decisions run; every
// state change it may have half-caught is in the journal after its seq, and replaying
// that tail is idempotent (lists are set in order, window replays merge, orders and
// duplicates are claimed once, and Restore applies a known event's effects again in
// case the snapshot caught its id but not all of them), so snapshot plus tail is the
// state at the end of the journal.

const snapshotVersion = 1

// SnapshotHeader opens a snapshot.
type SnapshotHeader struct {
	Version int
	Seq     uint64    // every journal record up to Seq is reflected
	Taken   time.Time //
	Extra   []byte    // the caller's own state (the rule set)
}

type snapChunk struct {
	Kind      string // "numbers", "accounts", "stops", "cutoffs", a window's name, "refs", "seen", "end"
	Entries   []Entry
	Orders    []snapOrder
	Rings     []snapRing
	Refs      []snapRef
	Decisions []Decision
	Book      *snapBook
}

// snapBook is the book of orders, cases and appeals.
type snapBook struct {
	Orders  []Order
	StopsOf map[string][]string
	Cases   []Case
	Appeals []Appeal
}

type snapRef struct {
	Seq uint64
	ID  string
}

// windows names the engine's windows in snapshots.
func (st *State) windows() []struct {
	name string
	w    *window
} {
	return []struct {
		name string
		w    *window
	}{{"payer_to", st.payerTo}, {"victims", st.victims}, {"payees", st.payees}, {"callees", st.callees}, {"contacts", st.contacts}}
}

type snapOrder struct {
	Key uint64
	ID  string
}

type snapRing struct {
	Key   uint64
	Marks []snapMark
}

type snapMark struct {
	At, Value int64
	Other     uint64
	Tag, Ev   uint32
}

const snapChunkSize = 16384

// WriteSnapshot writes the engine's durable-in-memory state to w, headed by h. The
// caller makes sure every journal record up to h.Seq was applied before it calls.
func (e *Engine) WriteSnapshot(w io.Writer, h SnapshotHeader) error {
	enc := gob.NewEncoder(w)
	h.Version = snapshotVersion
	if err := enc.Encode(h); err != nil {
		return fmt.Errorf("snapshot header: %w", err)
	}
	put := func(c snapChunk) error {
		if err := enc.Encode(c); err != nil {
			return fmt.Errorf("snapshot %s: %w", c.Kind, err)
		}
		return nil
	}
	for _, l := range []struct {
		kind string
		seq  func(func(Entry) bool)
	}{{"numbers", e.st.Lists.Numbers()}, {"accounts", e.st.Lists.Accounts()}} {
		var buf []Entry
		var err error
		l.seq(func(en Entry) bool {
			buf = append(buf, en)
			if len(buf) == snapChunkSize {
				err = put(snapChunk{Kind: l.kind, Entries: buf})
				buf = buf[:0]
			}
			return err == nil
		})
		if err != nil {
			return err
		}
		if err := put(snapChunk{Kind: l.kind, Entries: buf}); err != nil {
			return err
		}
	}
	for _, o := range []struct {
		kind string
		t    *orderTable
	}{{"stops", &e.st.stops}, {"cutoffs", &e.st.cutoffs}, {"freezes", &e.st.freezes}} {
		var buf []snapOrder
		for i := range o.t.shards {
			sh := &o.t.shards[i]
			sh.mu.RLock()
			for k, id := range sh.m {
				buf = append(buf, snapOrder{k, id})
			}
			sh.mu.RUnlock()
		}
		// Only claims of orders in the book, which holds durable ones: a decision still
		// on its way to the journal claims its target first. A durable one the book
		// has yet to hear of is claimed again when its record is replayed.
		buf = slices.DeleteFunc(buf, func(so snapOrder) bool { return !e.book.has(so.ID) })
		if err := put(snapChunk{Kind: o.kind, Orders: buf}); err != nil {
			return err
		}
	}
	for _, wd := range e.st.windows() {
		for i := range wd.w.shards {
			var rings []snapRing
			wd.w.each(i, func(key uint64, marks []mark) {
				ms := make([]snapMark, len(marks))
				for j, m := range marks {
					ms[j] = snapMark{m.at, m.value, m.other, m.tag, m.ev}
				}
				rings = append(rings, snapRing{key, ms})
			})
			if err := put(snapChunk{Kind: wd.name, Rings: rings}); err != nil {
				return err
			}
		}
	}
	var refs []snapRef
	e.st.refs.each(func(seq uint64, id string) { refs = append(refs, snapRef{seq, id}) })
	if err := put(snapChunk{Kind: "refs", Refs: refs}); err != nil {
		return err
	}
	for i := range e.seen.shards {
		// oldest first, so a restore evicts in the same order
		var ds []Decision
		e.seen.each(i, func(d *Decision) {
			// Only what is durable: a decision still on its way to the journal may never
			// get there (a crash now), and restored as seen, its event sent again would
			// be answered as a duplicate of nothing kept.
			if d.journaled {
				ds = append(ds, *d)
			}
		})
		if err := put(snapChunk{Kind: "seen", Decisions: ds}); err != nil {
			return err
		}
	}
	if err := put(snapChunk{Kind: "book", Book: e.book.snapshot()}); err != nil {
		return err
	}
	return put(snapChunk{Kind: "end"})
}

// ReadSnapshot loads a snapshot written by WriteSnapshot into a new engine, before it
// decides anything, and returns its header.
func (e *Engine) ReadSnapshot(r io.Reader) (SnapshotHeader, error) {
	dec := gob.NewDecoder(r)
	var h SnapshotHeader
	if err := dec.Decode(&h); err != nil {
		return h, fmt.Errorf("snapshot header: %w", err)
	}
	if h.Version != snapshotVersion {
		return h, fmt.Errorf("snapshot version %d, this build reads %d: %w", h.Version, snapshotVersion, ErrInvalid)
	}
	book := false
	for {
		var c snapChunk
		if err := dec.Decode(&c); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF // "end" never came: a torn snapshot
			}
			return h, fmt.Errorf("snapshot: %w", err)
		}
		switch c.Kind {
		case "end":
			if !book {
				// Builds before 2026-11-22 kept no orders in snapshots: loading one would
				// start with none, silently. The journal, if it still reaches back, has them.
				return h, fmt.Errorf("snapshot of seq %d has no orders, cases or appeals (an older build wrote it): "+
					"move it aside to rebuild from the journal: %w", h.Seq, ErrInvalid)
			}
			return h, nil
		case "numbers", "accounts":
			for _, en := range c.Entries {
				var err error
				if c.Kind == "numbers" {
					err = e.st.Lists.AddNumber(en)
				} else {
					err = e.st.Lists.AddAccount(en)
				}
				if err != nil && !errors.Is(err, ErrConflict) {
					return h, fmt.Errorf("snapshot %s %s: %w", c.Kind, en.Value, err)
				}
			}
		case "stops", "cutoffs", "freezes":
			t := map[string]*orderTable{"stops": &e.st.stops, "cutoffs": &e.st.cutoffs, "freezes": &e.st.freezes}[c.Kind]
			for _, o := range c.Orders {
				sh := &t.shards[mix(o.Key)%64]
				sh.mu.Lock()
				sh.m[o.Key] = o.ID
				sh.mu.Unlock()
			}
		case "payer_to", "victims", "payees", "callees", "contacts":
			var w *window
			for _, wd := range e.st.windows() {
				if wd.name == c.Kind {
					w = wd.w
				}
			}
			for _, rg := range c.Rings {
				for _, m := range rg.Marks {
					w.add(rg.Key, mark{at: m.At, value: m.Value, other: m.Other, tag: m.Tag, ev: m.Ev}, true)
				}
			}
		case "refs":
			r := e.st.refs
			for _, ref := range c.Refs {
				r.set(ref.Seq, ref.ID)
				if ref.Seq > r.seq.Load() {
					r.seq.Store(ref.Seq)
				}
			}
		case "book":
			if c.Book != nil {
				e.book.load(c.Book)
			}
			book = true
		case "seen":
			for i := range c.Decisions {
				d := &c.Decisions[i]
				nd, first := e.seen.claim(d.EventID)
				if first {
					id := nd.EventID
					*nd = *d
					nd.EventID, nd.journaled = id, true
					// gob keeps no empty lists: a decision gets back the [] it was
					// answered with (and, matching nothing, its plain form).
					if nd.Matched == nil {
						nd.Matched = []Match{}
					}
					if nd.Actions == nil {
						nd.Actions = []Action{}
					}
					e.seen.done(nd)
				}
			}
		default:
			return h, fmt.Errorf("snapshot: unknown chunk %q: %w", c.Kind, ErrInvalid)
		}
	}
}
