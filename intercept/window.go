package intercept

import (
	"math/bits"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
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
// in its bucket's way, and its first two marks inline: most keys see one or two
// marks, and a lookup then costs no pointer hop. Marks past the second go to a chunk
// of the shard's slabs. The ring holds no pointer, so the collector never scans the
// window's table (hundreds of MB at working size).
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

// windowWays is how many keys share a bucket of a window's table.
const windowWays = 7

// windowBucket is one set of a window's table: the keys of its ways on the first
// cache line, with what eviction needs, and their rings after it. A lookup reads that
// line and then the ring it found: two cache lines, in one page, where a Go map of
// this size (a directory of tables, control words, slots) cost four or five. It is
// 576 bytes, nine cache lines.
type windowBucket struct {
	keys  [windowWays]uint64
	n     uint8 // ways in use
	hand  uint8 // CLOCK hand: the next way considered for eviction
	ref   uint8 // bit w: way w was added to since the hand last passed it
	_     [5]byte
	rings [windowWays]windowRing
	_     [8]byte
}

// find returns the way holding key, or -1.
func (b *windowBucket) find(key uint64) int { return wayOf(b.keys[:b.n], key) }

type windowShard struct {
	mu      sync.Mutex
	buckets []windowBucket // this shard's part of the window's table
	slabs   [2]slab        // chunks of smallChunk marks, and of depth-2
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

// claim gives key a way of b: a free one, or the first the CLOCK hand finds that was
// not added to since it last passed (its key is then forgotten and its chunk given
// back). A key seen once is thus dropped first, oldest first; a key added to again
// gets another turn of the hand.
func (sh *windowShard) claim(b *windowBucket, key uint64) int {
	i := int(b.n)
	if i < windowWays {
		b.n++
	} else {
		for b.ref&(1<<b.hand) != 0 {
			b.ref &^= 1 << b.hand
			b.hand = (b.hand + 1) % windowWays
		}
		i = int(b.hand)
		b.hand = (b.hand + 1) % windowWays
		if r := &b.rings[i]; r.class != 0 {
			sh.slabs[r.class-1].release(r.chunk)
		}
	}
	b.keys[i], b.rings[i] = key, windowRing{}
	return i
}

// window is a bounded, sharded table of sliding windows keyed by entity. Its memory
// is fixed when it is made: a table of buckets of windowWays keys for about keys keys,
// allocated once and pointer-free, so the collector never scans it, plus the marks
// that spill from rings. Each key keeps only its depth latest marks (counts saturate
// at depth). A new key whose bucket is full takes the way of a key not added to for
// the longest (CLOCK: one pass of the bucket's hand), so a payee receiving money now
// stays while keys seen once make room. Marks older than horizon are ignored by
// queries; a full ring overwrites its oldest.
// Memory: the table, about keys × 82 bytes, plus 32 bytes per spilled mark. Count
// the table whole: it is allocated at once and, on huge pages, resident within
// moments of use (one touch brings in 2 MiB).
type window struct {
	shards  []windowShard
	depth   int
	horizon int64 // ms
}

const windowShards = 64

func newWindow(keys, depth int, horizonMS int64) *window {
	per := max((keys/windowShards+windowWays-1)/windowWays, 1) // buckets per shard
	depth = min(max(depth, 1), 255)
	w := &window{shards: make([]windowShard, windowShards), depth: depth, horizon: horizonMS}
	table := hugeSlice[windowBucket](per * windowShards)
	spill := max(depth-2, 1)
	for i := range w.shards {
		sh := &w.shards[i]
		sh.buckets = table[i*per : (i+1)*per : (i+1)*per]
		sh.slabs[0].size, sh.slabs[1].size = min(smallChunk, spill), spill
	}
	return w
}

// locate returns key's shard and bucket.
func (w *window) locate(key uint64) (*windowShard, *windowBucket) {
	h := mix(key)
	sh := &w.shards[h%windowShards]
	b, _ := bits.Mul64(h, uint64(len(sh.buckets))) // the high bits, unlike the shard's
	return sh, &sh.buckets[b]
}

// prefetch starts loading the first line of key's bucket, its keys: enough for a
// table most keys are absent from (victims, contacts).
func (w *window) prefetch(key uint64) {
	_, b := w.locate(key)
	prefetch(unsafe.Pointer(b))
}

// prefetchAll starts loading key's bucket, all nine lines of it: the keys and
// whichever ring will be read. Prefetching only the keys line and then, under the
// lock, the ring found there measured slower (the lock's atomics wait for the misses).
func (w *window) prefetchAll(key uint64) {
	_, b := w.locate(key)
	prefetchLines(b)
}

// add records a mark under key. With once, a mark of the same event (time,
// counterpart and event id hash) already held is not added again: replaying the
// journal over a snapshot is then idempotent, while three equal transfers in one
// second (a split payment) stay three.
func (w *window) add(key uint64, m mark, once bool) {
	sh, b := w.locate(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	i := b.find(key)
	if i < 0 {
		i = sh.claim(b, key)
	}
	r := &b.rings[i]
	if once {
		for j := range int(r.n) {
			if x := sh.at(r, j); x.at == m.at && x.other == m.other && x.ev == m.ev {
				return
			}
		}
	}
	if r.n > 0 {
		b.ref |= 1 << i // added to again: another turn of the hand
	}
	if int(r.n) < w.depth {
		sh.push(r, m)
	} else {
		*sh.at(r, int(r.next)) = m
		r.next = uint8((int(r.next) + 1) % w.depth)
	}
}

// marks appends to buf the marks of key with from <= at <= to, in no particular order.
// Nothing older than the horizon before to is returned, whatever from says.
func (w *window) marks(key uint64, from, to int64, buf []mark) []mark {
	from = max(from, to-w.horizon)
	sh, b := w.locate(key)
	sh.mu.Lock()
	if i := b.find(key); i >= 0 {
		r := &b.rings[i]
		for j := range int(r.n) {
			if m := *sh.at(r, j); m.at >= from && m.at <= to {
				buf = append(buf, m)
			}
		}
	}
	sh.mu.Unlock()
	return buf
}

// all appends to buf every mark still held for key, however old.
func (w *window) all(key uint64, buf []mark) []mark {
	sh, b := w.locate(key)
	sh.mu.Lock()
	if i := b.find(key); i >= 0 {
		r := &b.rings[i]
		for j := range int(r.n) {
			buf = append(buf, *sh.at(r, j))
		}
	}
	sh.mu.Unlock()
	return buf
}

// each calls fn for every key of one shard with its marks, under the shard's lock:
// each bucket's keys in the order its hand will take them, each key's marks oldest
// first, so that adding them again in that order rebuilds what eviction will do.
func (w *window) each(shard int, fn func(key uint64, ms []mark)) {
	sh := &w.shards[shard]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	var buf []mark
	for bi := range sh.buckets {
		b := &sh.buckets[bi]
		n := int(b.n)
		for k := range n {
			i := (int(b.hand) + k) % n // the hand is 0 until the bucket is full
			r := &b.rings[i]
			if r.n == 0 {
				continue
			}
			buf = buf[:0]
			first := 0
			if int(r.n) == w.depth {
				first = int(r.next) // the oldest of a full ring
			}
			for j := range int(r.n) {
				buf = append(buf, *sh.at(r, (first+j)%int(r.n)))
			}
			fn(b.keys[i], buf)
		}
	}
}

// keys returns how many keys the window holds.
func (w *window) keys() int {
	n := 0
	for i := range w.shards {
		sh := &w.shards[i]
		sh.mu.Lock()
		for bi := range sh.buckets {
			n += int(sh.buckets[bi].n)
		}
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
