package intercept

import (
	"strings"
	"sync"
)

// seen remembers the decisions of the latest event ids so that an event sent twice is
// answered with its first decision. It is bounded: the oldest ids are forgotten first.
// A duplicate that arrives while the first is still being decided waits for it.
type seen struct {
	shards   [64]seenShard
	perShard int
}

type seenShard struct {
	mu   sync.Mutex
	cond sync.Cond
	m    map[string]*Decision
	fifo []string
	pos  int
}

func newSeen(size int) *seen {
	s := &seen{perShard: max(size/64, 1)}
	for i := range s.shards {
		sh := &s.shards[i]
		sh.m = make(map[string]*Decision)
		sh.cond.L = &sh.mu
	}
	return s
}

// claim returns (d, true) with a fresh decision registered under id when id is new,
// or the first decision for id, complete, and false.
func (s *seen) claim(id string) (*Decision, bool) {
	sh := &s.shards[hashString(id)%64]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if d, ok := sh.m[id]; ok {
		for !d.ready {
			sh.cond.Wait()
		}
		return d, false
	}
	id = strings.Clone(id) // the caller's id may live in a request buffer
	d := &Decision{EventID: id}
	if len(sh.fifo) < s.perShard {
		sh.fifo = append(sh.fifo, id)
	} else {
		// Waiters hold the decision itself, so even one still in flight can go.
		delete(sh.m, sh.fifo[sh.pos])
		sh.fifo[sh.pos] = id
		sh.pos = (sh.pos + 1) % s.perShard
	}
	sh.m[id] = d
	return d, true
}

// done marks d complete and wakes any duplicate waiting for it.
func (s *seen) done(d *Decision) {
	sh := &s.shards[hashString(d.EventID)%64]
	sh.mu.Lock()
	d.ready = true
	sh.mu.Unlock()
	sh.cond.Broadcast()
}
