package intercept

import (
	"context"
	"fmt"
	"math/bits"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// seen remembers the decisions of the latest event ids so that an event sent twice is
// answered with its first decision. It is bounded: the oldest ids are forgotten first.
// A duplicate that arrives while the first is still being decided waits for it.
type seen struct {
	shards [64]seenShard
	ways   int // ways of each bucket in use: seenWays, fewer for a tiny table
}

// The table is a fixed array of buckets of seenWays ids each, allocated once and
// pointer-free. Keys are 64-bit hashes of the ids, so it holds no strings for the
// collector to scan; a hash shared by two ids (about one chance in 10^8 at a million
// ids) is caught by comparing the stored id, and the newer id then simply takes the
// older's way. A full bucket forgets its oldest id to make room (a FIFO per bucket).
//
// A decision that matched nothing (most of them) is kept, once complete, as a
// plainDecision in its way, which the collector never looks into; the others (in
// flight, or with matches, actions, errors or a case) are kept whole, by way in
// whole (an array of pointers, mostly nil, so the collector has little to do), with
// the way's rich bit set. Kept whole, a million decisions were most of the
// collector's work over the engine's heap (0.76 of 0.94 s per cycle in
// BenchmarkDecide's world). A lookup reads the bucket's first cache line and then the
// way it found: where a Go map index, a FIFO and an eviction cost four to six cache
// misses per claim, the bucket costs two.
type seenShard struct {
	mu      sync.Mutex
	cond    sync.Cond
	buckets []seenBucket
	whole   []*Decision // by bucket*seenWays+way: decisions not (yet) plain
}

// seenWays is how many ids share a bucket.
const seenWays = 7

// seenBucket is one set of the table: its ids' hashes on the first cache line, their
// plain decisions after it; 576 bytes, nine cache lines.
type seenBucket struct {
	hashes [seenWays]uint64
	n      uint8 // ways in use
	hand   uint8 // when the bucket is full, its oldest way: the next to go
	rich   uint8 // bit w: way w's decision is in whole, not plain
	_      [5]byte
	plain  [seenWays]plainDecision
	_      [8]byte
}

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
	per := max(size/64, 1) // ids per shard
	s := &seen{ways: min(per, seenWays)}
	nb := (per + s.ways - 1) / s.ways
	table := hugeSlice[seenBucket](nb * 64)
	for i := range s.shards {
		sh := &s.shards[i]
		sh.buckets = table[i*nb : (i+1)*nb : (i+1)*nb]
		sh.whole = make([]*Decision, nb*seenWays)
		sh.cond.L = &sh.mu
	}
	return s
}

// locate returns the shard and bucket of hash h.
func (s *seen) locate(h uint64) (*seenShard, int) {
	sh := &s.shards[h%64]
	b, _ := bits.Mul64(h, uint64(len(sh.buckets))) // the high bits, unlike the shard's
	return sh, int(b)
}

// prefetch starts loading the bucket of the id hashing to h, whole, and its line of
// whole pointers.
func (s *seen) prefetch(h uint64) {
	sh, bi := s.locate(h)
	prefetchLines(&sh.buckets[bi])
	prefetch(unsafe.Pointer(&sh.whole[bi*seenWays]))
}

// way returns the way of bucket b holding hash h, or -1.
func (b *seenBucket) way(h uint64) int { return wayOf(b.hashes[:b.n], h) }

// find returns what bucket bi holds for id: a decision kept whole, or a plain one;
// neither when it holds nothing for id.
func (sh *seenShard) find(bi int, h uint64, id string) (d *Decision, p *plainDecision) {
	b := &sh.buckets[bi]
	i := b.way(h)
	switch {
	case i < 0:
	case b.rich&(1<<i) != 0:
		if d := sh.whole[bi*seenWays+i]; d.EventID == id {
			return d, nil
		}
	case b.plain[i].is(id):
		return nil, &b.plain[i]
	}
	return nil, nil
}

// claim returns (d, true) with a fresh decision registered under id when id is new,
// or the first decision for id, complete, and false.
func (s *seen) claim(id string) (*Decision, bool) { return s.claimHash(id, hashString(id)) }

// claimHash is claim for an id whose hashString is h.
func (s *seen) claimHash(id string, h uint64) (*Decision, bool) {
	sh, bi := s.locate(h)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for {
		d, p := sh.find(bi, h, id)
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
	b := &sh.buckets[bi]
	i := b.way(h)
	switch {
	case i >= 0:
		// A hash collision, or an abandoned plain decision: the id takes the way.
	case int(b.n) < s.ways:
		i = int(b.n)
		b.n++
	default:
		// Waiters hold the decision itself, so even one still in flight can go.
		i = int(b.hand)
		b.hand = uint8((i + 1) % s.ways)
	}
	b.hashes[i] = h
	b.rich |= 1 << i
	sh.whole[bi*seenWays+i] = d
	return d, true
}

// abandon forgets d, whose decision failed half-way; duplicates waiting for it
// claim the id afresh.
func (s *seen) abandon(d *Decision) {
	h := hashString(d.EventID)
	sh, bi := s.locate(h)
	sh.mu.Lock()
	if cur, p := sh.find(bi, h, d.EventID); cur == d {
		sh.forget(bi, sh.buckets[bi].way(h))
	} else if p != nil && p.flags&plainJournaled == 0 {
		// Kept as abandoned, not forgotten: a duplicate waiting for it to be
		// journaled must learn that it never will be.
		p.flags |= plainAbandoned
	}
	d.ready, d.abandoned = true, true
	sh.mu.Unlock()
	sh.cond.Broadcast()
}

// forget empties way i of bucket bi, keeping the others in age order.
func (sh *seenShard) forget(bi, i int) {
	b := &sh.buckets[bi]
	n := int(b.n)
	// Age order is hand, hand+1, ... when full, 0, 1, ... otherwise: rotate the
	// bucket to start at 0, then close the gap.
	order := make([]int, 0, seenWays)
	for k := range n {
		if w := (int(b.hand) + k) % n; w != i {
			order = append(order, w)
		}
	}
	old := *b
	whole := [seenWays]*Decision{}
	copy(whole[:], sh.whole[bi*seenWays:bi*seenWays+seenWays])
	b.n, b.hand, b.rich = uint8(len(order)), 0, 0
	for to, from := range order {
		b.hashes[to], b.plain[to] = old.hashes[from], old.plain[from]
		b.rich |= (old.rich >> from & 1) << to
		sh.whole[bi*seenWays+to] = whole[from]
	}
	for to := len(order); to < seenWays; to++ {
		sh.whole[bi*seenWays+to] = nil
	}
}

// durable marks d's journal record durable.
func (s *seen) durable(d *Decision) {
	h := hashString(d.EventID)
	sh, bi := s.locate(h)
	sh.mu.Lock()
	d.journaled = true
	if _, p := sh.find(bi, h, d.EventID); p != nil {
		p.flags |= plainJournaled
	}
	sh.mu.Unlock()
}

// waitDurable waits until the first decision for id is journaled (true) or was
// abandoned (false: decide it afresh). A decision no longer remembered was decided
// long ago and counts as durable.
func (s *seen) waitDurable(ctx context.Context, id string) (bool, error) {
	h := hashString(id)
	sh, bi := s.locate(h)
	for {
		sh.mu.Lock()
		abandoned, journaled := false, true
		if d, p := sh.find(bi, h, id); d != nil {
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
func (s *seen) done(d *Decision) { s.doneHash(d, hashString(d.EventID)) }

// doneHash is done for a decision whose id's hashString is h.
func (s *seen) doneHash(d *Decision, h uint64) {
	sh, bi := s.locate(h)
	sh.mu.Lock()
	d.ready = true
	b := &sh.buckets[bi]
	if i := b.way(h); i >= 0 && b.rich&(1<<i) != 0 && sh.whole[bi*seenWays+i] == d {
		if p, ok := toPlain(d); ok {
			b.plain[i], sh.whole[bi*seenWays+i] = p, nil
			b.rich &^= 1 << i
		}
	}
	sh.mu.Unlock()
	sh.cond.Broadcast()
}

// each calls fn with every complete decision of one shard, each bucket's oldest first.
func (s *seen) each(shard int, fn func(d *Decision)) {
	sh := &s.shards[shard]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for bi := range sh.buckets {
		b := &sh.buckets[bi]
		n := int(b.n)
		for k := range n {
			i := (int(b.hand) + k) % n
			switch {
			case b.rich&(1<<i) != 0:
				if d := sh.whole[bi*seenWays+i]; d.ready && !d.abandoned {
					fn(d)
				}
			case b.plain[i].flags&plainAbandoned == 0:
				fn(b.plain[i].decision())
			}
		}
	}
}
