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

// Keys are 64-bit hashes of the ids, so the map holds no strings for the collector to
// scan; a hash shared by two ids (about one chance in 10^8 at a million ids) is caught
// by comparing the stored id, and the newer id then simply replaces the older.
type seenShard struct {
	mu   sync.Mutex
	cond sync.Cond
	m    map[uint64]*Decision
	fifo []uint64
	pos  int
}

func newSeen(size int) *seen {
	s := &seen{perShard: max(size/64, 1)}
	for i := range s.shards {
		sh := &s.shards[i]
		sh.m = make(map[uint64]*Decision)
		sh.cond.L = &sh.mu
	}
	return s
}

// claim returns (d, true) with a fresh decision registered under id when id is new,
// or the first decision for id, complete, and false.
func (s *seen) claim(id string) (*Decision, bool) {
	h := hashString(id)
	sh := &s.shards[h%64]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for {
		d, ok := sh.m[h]
		if !ok || d.EventID != id {
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
	if _, ok := sh.m[h]; ok {
		sh.m[h] = d // a hash collision: the newer id takes the slot
		return d, true
	}
	if len(sh.fifo) < s.perShard {
		sh.fifo = append(sh.fifo, h)
	} else {
		// Waiters hold the decision itself, so even one still in flight can go.
		delete(sh.m, sh.fifo[sh.pos])
		sh.fifo[sh.pos] = h
		sh.pos = (sh.pos + 1) % s.perShard
	}
	sh.m[h] = d
	return d, true
}

// abandon forgets d, whose decision failed half-way; duplicates waiting for it
// claim the id afresh.
func (s *seen) abandon(d *Decision) {
	sh := &s.shards[hashString(d.EventID)%64]
	sh.mu.Lock()
	if cur, ok := sh.m[hashString(d.EventID)]; ok && cur == d {
		delete(sh.m, hashString(d.EventID))
	}
	d.ready, d.abandoned = true, true
	sh.mu.Unlock()
	sh.cond.Broadcast()
}

// durable marks d's journal record durable.
func (s *seen) durable(d *Decision) {
	sh := &s.shards[hashString(d.EventID)%64]
	sh.mu.Lock()
	d.journaled = true
	sh.mu.Unlock()
}

// waitDurable waits until the first decision for id is journaled (true) or was
// abandoned (false: decide it afresh). A decision no longer remembered was decided
// long ago and counts as durable.
func (s *seen) waitDurable(ctx context.Context, id string) (bool, error) {
	h := hashString(id)
	sh := &s.shards[h%64]
	sh.mu.Lock()
	d, ok := sh.m[h]
	sh.mu.Unlock()
	if !ok || d.EventID != id {
		return true, nil
	}
	for {
		sh.mu.Lock()
		abandoned, journaled := d.abandoned, d.journaled
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

// done marks d complete and wakes any duplicate waiting for it.
func (s *seen) done(d *Decision) {
	sh := &s.shards[hashString(d.EventID)%64]
	sh.mu.Lock()
	d.ready = true
	sh.mu.Unlock()
	sh.cond.Broadcast()
}
