package intercept

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// seen remembers the decisions of the latest event ids so that an event sent twice is
// answered with its first decision. It is bounded: the oldest ids are forgotten first.
// A duplicate that arrives while the first is still being decided waits for it.
type seen struct {
	shards   [64]seenShard
	perShard int
}

// Keys are 64-bit hashes of the ids, so the maps hold no strings for the collector
// to scan; a hash shared by two ids (about one chance in 10^8 at a million ids) is
// caught by comparing the stored id, and the newer id then simply replaces the older.
//
// Each remembered id has a place in the shard's FIFO until it is evicted. A decision
// that matched nothing (most of them) is kept, once complete, as a plainDecision at
// that place in a pointer-free array the collector never looks into; the others (in
// flight, or with matches, actions, errors or a case) are kept whole, by place in
// whole (an array of pointers, mostly nil, so the collector has little to do). Kept
// whole, a million decisions were most of the collector's work over the engine's
// heap (0.76 of 0.94 s per cycle in BenchmarkDecide's world). The index maps a hash
// to its place, with richBit set when the decision is kept whole, so a lookup costs
// what it cost when the map held pointers to decisions.
type seenShard struct {
	mu    sync.Mutex
	cond  sync.Cond
	idx   map[uint64]uint32 // hash -> place in fifo, | richBit
	fifo  []uint64          // hashes in arrival order; when full, fifo[pos] is the oldest
	whole []*Decision       // by place: decisions not (yet) plain
	plain []plainDecision   // by place
	pos   int
}

const richBit = 1 << 31

// plainDecision is a complete decision with nothing matched, shadowed, failed or
// done: everything a duplicate needs to get it back. It is 72 bytes.
type plainDecision struct {
	at      int64  // DecidedAt, unix nanoseconds
	offset  int32  // DecidedAt's zone offset, seconds
	latency uint32 // LatencyUS
	score   uint8
	level   Level
	kind    Kind
	flags   uint8 // plainJournaled, plainAbandoned
	n       uint8 // length of the id
	id      [maxPlainID]byte
}

// maxPlainID is the longest id a plainDecision holds; a decision with a longer id is
// kept whole.
const maxPlainID = 51

const (
	plainJournaled = 1 << iota
	plainAbandoned
)

// toPlain returns d's plain form, or false when d needs more than that.
func toPlain(d *Decision) (plainDecision, bool) {
	k := ParseKind(d.Kind)
	if d.Matched == nil || len(d.Matched) > 0 || d.Actions == nil || len(d.Actions) > 0 ||
		d.Shadow != nil || d.Errors != nil || d.CaseID != "" || d.Duplicate || d.abandoned ||
		len(d.EventID) > maxPlainID || k == KindUnknown || d.Score < 0 || d.Score > 255 ||
		d.LatencyUS < 0 || d.LatencyUS > 1<<32-1 {
		return plainDecision{}, false
	}
	_, off := d.DecidedAt.Zone()
	p := plainDecision{at: d.DecidedAt.UnixNano(), offset: int32(off), latency: uint32(d.LatencyUS),
		score: uint8(d.Score), level: d.Level, kind: k, n: uint8(len(d.EventID))}
	if d.journaled {
		p.flags |= plainJournaled
	}
	copy(p.id[:], d.EventID)
	return p, true
}

func (p *plainDecision) is(id string) bool { return int(p.n) == len(id) && string(p.id[:p.n]) == id }

// decision rebuilds the decision p was made from.
func (p *plainDecision) decision() *Decision {
	at := time.Unix(0, p.at)
	if _, off := at.Zone(); int32(off) != p.offset {
		at = at.In(time.FixedZone("", int(p.offset)))
	}
	return &Decision{EventID: string(p.id[:p.n]), Kind: p.kind.String(), Score: int(p.score), Level: p.level,
		Matched: []Match{}, Actions: []Action{}, LatencyUS: int64(p.latency), DecidedAt: at,
		ready: true, journaled: p.flags&plainJournaled != 0}
}

func newSeen(size int) *seen {
	s := &seen{perShard: max(size/64, 1)}
	for i := range s.shards {
		sh := &s.shards[i]
		sh.idx = make(map[uint64]uint32)
		sh.cond.L = &sh.mu
	}
	return s
}

// find returns what the shard holds for id: a decision kept whole, or the place of
// a plain one; neither when it holds nothing for id.
func (sh *seenShard) find(h uint64, id string) (d *Decision, p *plainDecision) {
	v, ok := sh.idx[h]
	switch {
	case !ok:
	case v&richBit != 0:
		if d := sh.whole[v&^richBit]; d.EventID == id {
			return d, nil
		}
	case sh.plain[v].is(id):
		return nil, &sh.plain[v]
	}
	return nil, nil
}

// claim returns (d, true) with a fresh decision registered under id when id is new,
// or the first decision for id, complete, and false.
func (s *seen) claim(id string) (*Decision, bool) {
	h := hashString(id)
	sh := &s.shards[h%64]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for {
		d, p := sh.find(h, id)
		if p != nil && p.flags&plainAbandoned == 0 {
			return p.decision(), false
		}
		if d == nil {
			break
		}
		for !d.ready {
			sh.cond.Wait()
		}
		if !d.abandoned {
			return d, false
		}
		// The first attempt failed: claim the id afresh (the loop sees it gone).
	}
	d := &Decision{EventID: strings.Clone(id)} // the caller's id may live in a request buffer
	if v, ok := sh.idx[h]; ok {
		// A hash collision, or an abandoned plain decision: the id takes the place.
		sh.idx[h] = v | richBit
		sh.whole[v&^richBit] = d
		return d, true
	}
	at := len(sh.fifo)
	if at < s.perShard {
		sh.fifo = append(sh.fifo, h)
		sh.whole = append(sh.whole, nil)
		sh.plain = append(sh.plain, plainDecision{})
	} else {
		// Waiters hold the decision itself, so even one still in flight can go.
		at = sh.pos
		if old := sh.fifo[at]; sh.idx[old]&^richBit == uint32(at) {
			// (An id abandoned and claimed again has a newer place: it stays.)
			delete(sh.idx, old)
		}
		sh.fifo[at] = h
		sh.pos = (sh.pos + 1) % s.perShard
	}
	sh.idx[h] = uint32(at) | richBit
	sh.whole[at] = d
	return d, true
}

// abandon forgets d, whose decision failed half-way; duplicates waiting for it
// claim the id afresh.
func (s *seen) abandon(d *Decision) {
	h := hashString(d.EventID)
	sh := &s.shards[h%64]
	sh.mu.Lock()
	if cur, p := sh.find(h, d.EventID); cur == d {
		sh.whole[sh.idx[h]&^richBit] = nil
		delete(sh.idx, h)
		// Its place in fifo stays until its turn comes; nothing points at it.
	} else if p != nil && p.flags&plainJournaled == 0 {
		// Kept as abandoned, not forgotten: a duplicate waiting for it to be
		// journaled must learn that it never will be.
		p.flags |= plainAbandoned
	}
	d.ready, d.abandoned = true, true
	sh.mu.Unlock()
	sh.cond.Broadcast()
}

// durable marks d's journal record durable.
func (s *seen) durable(d *Decision) {
	h := hashString(d.EventID)
	sh := &s.shards[h%64]
	sh.mu.Lock()
	d.journaled = true
	if _, p := sh.find(h, d.EventID); p != nil {
		p.flags |= plainJournaled
	}
	sh.mu.Unlock()
}

// waitDurable waits until the first decision for id is journaled (true) or was
// abandoned (false: decide it afresh). A decision no longer remembered was decided
// long ago and counts as durable.
func (s *seen) waitDurable(ctx context.Context, id string) (bool, error) {
	h := hashString(id)
	sh := &s.shards[h%64]
	for {
		sh.mu.Lock()
		abandoned, journaled := false, true
		if d, p := sh.find(h, id); d != nil {
			abandoned, journaled = d.abandoned, d.journaled
		} else if p != nil {
			abandoned, journaled = p.flags&plainAbandoned != 0, p.flags&plainJournaled != 0
		}
		sh.mu.Unlock()
		switch {
		case abandoned:
			return false, nil
		case journaled:
			return true, nil
		}
		// Rare (a duplicate racing its first append): poll rather than keep a
		// channel per decision.
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("wait for the first decision of %s: %w", id, ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
}

// done marks d complete, keeps it in its plain form when it has one, and wakes any
// duplicate waiting for it.
func (s *seen) done(d *Decision) {
	h := hashString(d.EventID)
	sh := &s.shards[h%64]
	sh.mu.Lock()
	d.ready = true
	if v, ok := sh.idx[h]; ok && v&richBit != 0 && sh.whole[v&^richBit] == d {
		if p, ok := toPlain(d); ok {
			at := v &^ richBit
			sh.plain[at], sh.whole[at] = p, nil
			sh.idx[h] = at
		}
	}
	sh.mu.Unlock()
	sh.cond.Broadcast()
}

// each calls fn with every complete decision of one shard, oldest first.
func (s *seen) each(shard int, fn func(d *Decision)) {
	sh := &s.shards[shard]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for k := range len(sh.fifo) {
		at := (sh.pos + k) % len(sh.fifo)
		h := sh.fifo[at]
		v, ok := sh.idx[h]
		switch {
		case !ok || v&^richBit != uint32(at):
		case v&richBit != 0:
			if d := sh.whole[at]; d.ready && !d.abandoned {
				fn(d)
			}
		case sh.plain[at].flags&plainAbandoned == 0:
			fn(sh.plain[at].decision())
		}
	}
}
