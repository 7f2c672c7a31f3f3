package intercept

import (
	"strings"
	"sync"
	"sync/atomic"
)

// mark is one observation in a sliding window: a transfer into a payee, a call by a
// caller, a contact to a callee, a report against an account.
// It is 32 bytes and pointer-free: two to a cache line, never scanned by the collector.
type mark struct {
	at    int64  // event time, unix milliseconds
	value int64  // amount in fen (transfers) or a refs sequence number (contacts)
	other uint64 // entity key of the counterpart (payer, callee, caller, reporter)
	tag   uint32 // contact risk bits
	ev    uint32 // hash of the event id: replays merge by it
}

// windowRing holds the latest marks of one key, oldest overwritten first. It lives
// in the map slot itself, and its first two marks inline: most keys see one or two
// marks, and a lookup then costs one cache miss instead of three pointer hops. Marks
// past the second go to a chunk of the shard's slabs. The ring holds no pointer, so
// the collector never scans the window's maps (hundreds of MB at working size).
type windowRing struct {
	n, next uint8   // marks held; when n == depth, the index of the oldest
	class   uint8   // 0: no chunk; 1, 2: a chunk of the shard's slab class-1
	chunk   uint32  // the chunk holding marks 2 .. n-1
	inline  [2]mark // marks 0 and 1
}

// slab hands out fixed-size chunks of marks from pointer-free pages, so spilled
// marks cost the collector nothing and growth never copies what is held.
type slab struct {
	size  int // marks per chunk
	pages [][]mark
	used  uint32 // chunks ever handed out from pages
	free  []uint32
}

const slabPageChunks = 64

func (s *slab) alloc() uint32 {
	if n := len(s.free); n > 0 {
		c := s.free[n-1]
		s.free = s.free[:n-1]
		return c
	}
	if int(s.used) == len(s.pages)*slabPageChunks {
		s.pages = append(s.pages, make([]mark, slabPageChunks*s.size))
	}
	s.used++
	return s.used - 1
}

func (s *slab) get(c uint32) []mark {
	o := int(c%slabPageChunks) * s.size
	return s.pages[c/slabPageChunks][o : o+s.size : o+s.size]
}

func (s *slab) release(c uint32) { s.free = append(s.free, c) }

// smallChunk is the size of a ring's first chunk: most keys that spill at all stop
// within a few marks, so a full-depth chunk is taken only when that one fills.
const smallChunk = 6

type windowShard struct {
	mu    sync.Mutex
	m     map[uint64]windowRing
	fifo  []uint64 // keys in insertion order; when full, fifo[pos] is the oldest
	pos   int
	slabs [2]slab // chunks of smallChunk marks, and of depth-2
}

// at returns mark i of r, which must be below r.n.
func (sh *windowShard) at(r *windowRing, i int) *mark {
	if i < len(r.inline) {
		return &r.inline[i]
	}
	return &sh.slabs[r.class-1].get(r.chunk)[i-len(r.inline)]
}

// push appends m to r, which holds fewer than depth marks, taking or growing its chunk.
func (sh *windowShard) push(r *windowRing, m mark) {
	if int(r.n) < len(r.inline) {
		r.inline[r.n] = m
		r.n++
		return
	}
	j := int(r.n) - len(r.inline)
	switch {
	case r.class == 0:
		r.class, r.chunk = 1, sh.slabs[0].alloc()
	case j == sh.slabs[r.class-1].size:
		c := sh.slabs[1].alloc()
		copy(sh.slabs[1].get(c), sh.slabs[0].get(r.chunk))
		sh.slabs[0].release(r.chunk)
		r.class, r.chunk = 2, c
	}
	sh.slabs[r.class-1].get(r.chunk)[j] = m
	r.n++
}

// drop forgets key and gives back its chunk.
func (sh *windowShard) drop(key uint64) {
	if r, ok := sh.m[key]; ok && r.class != 0 {
		sh.slabs[r.class-1].release(r.chunk)
	}
	delete(sh.m, key)
}

// window is a bounded, sharded table of sliding windows keyed by entity. Memory is
// bounded by keys × depth marks: when a shard is full the key inserted longest ago is
// dropped, and each key keeps only its depth latest marks (counts saturate at depth).
// Marks older than horizon are ignored by queries; a full ring overwrites its oldest.
// Memory: about keys × (depth × 32 + 100) bytes at most.
type window struct {
	shards   []windowShard
	perShard int
	depth    int
	horizon  int64 // ms
}

const windowShards = 64

func newWindow(keys, depth int, horizonMS int64) *window {
	per := keys / windowShards
	if per < 1 {
		per = 1
	}
	depth = min(max(depth, 1), 255)
	w := &window{shards: make([]windowShard, windowShards), perShard: per, depth: depth, horizon: horizonMS}
	spill := max(depth-2, 1)
	for i := range w.shards {
		sh := &w.shards[i]
		// Not sized up front: Go maps grow a table of 1024 slots at a time, so growth
		// never stalls a decision, and an idle engine costs little memory.
		sh.m = make(map[uint64]windowRing)
		sh.slabs[0].size, sh.slabs[1].size = min(smallChunk, spill), spill
	}
	return w
}

func (w *window) shard(key uint64) *windowShard {
	return &w.shards[mix(key)%windowShards]
}

// add records a mark under key. With once, a mark of the same event (time,
// counterpart and event id hash) already held is not added again: replaying the
// journal over a snapshot is then idempotent, while three equal transfers in one
// second (a split payment) stay three.
func (w *window) add(key uint64, m mark, once bool) {
	sh := w.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	r, ok := sh.m[key]
	if !ok {
		if len(sh.fifo) < w.perShard {
			sh.fifo = append(sh.fifo, key)
		} else {
			sh.drop(sh.fifo[sh.pos])
			sh.fifo[sh.pos] = key
			sh.pos = (sh.pos + 1) % w.perShard
		}
	}
	if once {
		for i := range int(r.n) {
			if x := sh.at(&r, i); x.at == m.at && x.other == m.other && x.ev == m.ev {
				return
			}
		}
	}
	if int(r.n) < w.depth {
		sh.push(&r, m)
	} else {
		*sh.at(&r, int(r.next)) = m
		r.next = uint8((int(r.next) + 1) % w.depth)
	}
	sh.m[key] = r
}

// marks appends to buf the marks of key with from <= at <= to, in no particular order.
// Nothing older than the horizon before to is returned, whatever from says.
func (w *window) marks(key uint64, from, to int64, buf []mark) []mark {
	from = max(from, to-w.horizon)
	sh := w.shard(key)
	sh.mu.Lock()
	if r, ok := sh.m[key]; ok {
		for i := range int(r.n) {
			if m := *sh.at(&r, i); m.at >= from && m.at <= to {
				buf = append(buf, m)
			}
		}
	}
	sh.mu.Unlock()
	return buf
}

// all appends to buf every mark still held for key, however old.
func (w *window) all(key uint64, buf []mark) []mark {
	sh := w.shard(key)
	sh.mu.Lock()
	if r, ok := sh.m[key]; ok {
		for i := range int(r.n) {
			buf = append(buf, *sh.at(&r, i))
		}
	}
	sh.mu.Unlock()
	return buf
}

// each calls fn for every key of one shard with its marks, under the shard's lock.
func (w *window) each(shard int, fn func(key uint64, ms []mark)) {
	sh := &w.shards[shard]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	var buf []mark
	for _, k := range sh.fifo {
		r, ok := sh.m[k]
		if !ok || r.n == 0 {
			continue
		}
		buf = buf[:0]
		for i := range int(r.n) {
			buf = append(buf, *sh.at(&r, i))
		}
		fn(k, buf)
	}
}

// keys returns how many keys the window holds.
func (w *window) keys() int {
	n := 0
	for i := range w.shards {
		sh := &w.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}

// countDistinct returns how many distinct counterparts ms holds.
func countDistinct(ms []mark) int {
	n := 0
outer:
	for i := range ms {
		for j := 0; j < i; j++ {
			if ms[j].other == ms[i].other {
				continue outer
			}
		}
		n++
	}
	return n
}

// refs keeps the event ids behind contact marks (a mark holds only a sequence number)
// in a fixed ring: an id is found as long as fewer than len(slots) contacts came since.
// The ring has millions of slots, so they hold the ids inline rather than as strings:
// a ring of strings was millions of pointers for every collection to follow. The rare
// id longer than refInline bytes is kept in its group's side map.
type refs struct {
	seq    atomic.Uint64
	slots  []refSlot
	groups []refGroup // one per refGroupSize slots
}

const (
	refInline    = 55 // a slot is 64 bytes
	refLong      = 0xff
	refGroupSize = 1024
)

type refSlot struct {
	seq uint64
	n   uint8 // bytes of id in use, or refLong
	id  [refInline]byte
}

type refGroup struct {
	mu   sync.Mutex
	long map[uint64]string // ids of more than refInline bytes, by seq
}

func newRefs(n int) *refs {
	n = max(n, refGroupSize)
	return &refs{slots: make([]refSlot, n), groups: make([]refGroup, (n+refGroupSize-1)/refGroupSize)}
}

// put stores id and returns its sequence number.
func (r *refs) put(id string) int64 {
	s := r.seq.Add(1)
	r.set(s, id)
	return int64(s)
}

// set stores id under seq in its slot, replacing what the slot held.
func (r *refs) set(seq uint64, id string) {
	i := seq % uint64(len(r.slots))
	g := &r.groups[i/refGroupSize]
	g.mu.Lock()
	defer g.mu.Unlock()
	sl := &r.slots[i]
	if sl.n == refLong {
		delete(g.long, sl.seq)
	}
	sl.seq = seq
	if len(id) <= refInline {
		sl.n = uint8(copy(sl.id[:], id))
		return
	}
	sl.n = refLong
	if g.long == nil {
		g.long = map[uint64]string{}
	}
	g.long[seq] = strings.Clone(id)
}

// get returns the id stored under seq, or "" once its slot was reused.
func (r *refs) get(seq int64) string {
	i := uint64(seq) % uint64(len(r.slots))
	g := &r.groups[i/refGroupSize]
	g.mu.Lock()
	defer g.mu.Unlock()
	return r.idLocked(i, uint64(seq))
}

func (r *refs) idLocked(i, seq uint64) string {
	sl := &r.slots[i]
	switch {
	case sl.seq != seq || seq == 0:
		return ""
	case sl.n == refLong:
		return r.groups[i/refGroupSize].long[seq]
	}
	return string(sl.id[:sl.n])
}

// each calls f with every id held, group by group under the group's lock.
func (r *refs) each(f func(seq uint64, id string)) {
	for gi := range r.groups {
		g := &r.groups[gi]
		g.mu.Lock()
		for i := gi * refGroupSize; i < min(len(r.slots), (gi+1)*refGroupSize); i++ {
			if seq := r.slots[i].seq; seq != 0 {
				f(seq, r.idLocked(uint64(i), seq))
			}
		}
		g.mu.Unlock()
	}
}
