package intercept

import (
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

// sameBucketKeys returns n keys that fall in one bucket of w.
func sameBucketKeys(w *window, n int) []uint64 {
	_, b0 := w.locate(1)
	keys := []uint64{1}
	for k := uint64(2); len(keys) < n; k++ {
		if _, b := w.locate(k); b == b0 {
			keys = append(keys, k)
		}
	}
	return keys
}

// ring returns the ring of key, or nil.
func (w *window) ring(key uint64) *windowRing {
	_, b := w.locate(key)
	if i := b.find(key); i >= 0 {
		return &b.rings[i]
	}
	return nil
}

func TestWindowBucketIsCacheLines(t *testing.T) {
	if n := unsafe.Sizeof(windowBucket{}); n%64 != 0 || unsafe.Offsetof(windowBucket{}.rings) != 64 {
		t.Errorf("windowBucket is %d bytes with rings at %d: want whole cache lines, keys on the first", n, unsafe.Offsetof(windowBucket{}.rings))
	}
}

// ats returns the times of ms, sorted.
func ats(ms []mark) []int64 {
	var out []int64
	for _, m := range ms {
		out = append(out, m.at)
	}
	slices.Sort(out)
	return out
}

func TestWindowMarksInRange(t *testing.T) {
	w := newWindow(1024, 8, 1000)
	for _, at := range []int64{100, 200, 300, 400} {
		w.add(7, mark{at: at, other: uint64(at)}, false)
	}
	w.add(8, mark{at: 250}, false)
	tests := []struct {
		name     string
		from, to int64
		want     []int64
	}{
		{"all", 0, 1000, []int64{100, 200, 300, 400}},
		{"bounds included", 200, 300, []int64{200, 300}},
		{"one", 250, 300, []int64{300}},
		{"none before", 0, 99, nil},
		{"none after", 401, 1000, nil},
		{"empty range", 300, 200, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ats(w.marks(7, tt.from, tt.to, nil))); diff != "" {
				t.Errorf("marks(7, %d, %d) (-want +got):\n%s", tt.from, tt.to, diff)
			}
		})
	}
	if got := w.marks(9, 0, 1000, nil); len(got) != 0 {
		t.Errorf("unknown key: %d marks, want 0", len(got))
	}
	// marks appends to buf.
	buf := []mark{{at: -1}}
	buf = w.marks(8, 0, 1000, buf)
	if diff := cmp.Diff([]int64{-1, 250}, ats(buf)); diff != "" {
		t.Errorf("marks into buf (-want +got):\n%s", diff)
	}
	// The mark comes back whole.
	got := w.marks(7, 300, 300, nil)
	if diff := cmp.Diff([]mark{{at: 300, other: 300}}, got, cmp.AllowUnexported(mark{})); diff != "" {
		t.Errorf("marks (-want +got):\n%s", diff)
	}
}

func TestWindowEvictsByClock(t *testing.T) {
	w := newWindow(64, 4, 1000) // one bucket per shard
	k := sameBucketKeys(w, 10)
	for i := range windowWays {
		w.add(k[i], mark{at: int64(i + 1), other: uint64(i)}, false)
	}
	w.add(k[0], mark{at: 20}, false) // k[0] is added to again: it gets another turn
	w.add(k[7], mark{at: 21}, false) // the bucket is full: k[1], seen once and oldest, goes
	if w.ring(k[1]) != nil {
		t.Errorf("k1 still held")
	}
	if diff := cmp.Diff([]int64{1, 20}, ats(w.marks(k[0], 0, 100, nil))); diff != "" {
		t.Errorf("k0 (-want +got):\n%s", diff)
	}
	// The new key does not inherit the evicted key's marks.
	if diff := cmp.Diff([]int64{21}, ats(w.marks(k[7], 0, 100, nil))); diff != "" {
		t.Errorf("k7 (-want +got):\n%s", diff)
	}
	if n := w.keys(); n != windowWays {
		t.Errorf("keys = %d, want %d", n, windowWays)
	}
	w.add(k[8], mark{at: 22}, false) // then k[2]
	w.add(k[9], mark{at: 23}, false) // then k[3]
	for _, gone := range k[1:4] {
		if w.ring(gone) != nil {
			t.Errorf("key %d not evicted", gone)
		}
	}
	for _, kept := range []uint64{k[0], k[4], k[5], k[6], k[7], k[8], k[9]} {
		if w.ring(kept) == nil {
			t.Errorf("key %d evicted", kept)
		}
	}
	// An evicted key comes back fresh, and takes the way of k[4]: k[0] lost its
	// second chance when the hand passed it.
	w.add(k[1], mark{at: 24}, false)
	if diff := cmp.Diff([]int64{24}, ats(w.marks(k[1], 0, 100, nil))); diff != "" {
		t.Errorf("k1 back (-want +got):\n%s", diff)
	}
	if w.ring(k[4]) != nil || w.ring(k[0]) == nil {
		t.Errorf("after k1 came back: k4 held %v, k0 held %v; want k4 gone, k0 kept", w.ring(k[4]) != nil, w.ring(k[0]) != nil)
	}
}

func TestWindowKeysBounded(t *testing.T) {
	tests := []struct {
		keys, wantMax int
	}{
		{64, 64 * windowWays},       // one bucket per shard
		{1000, 64 * 3 * windowWays}, // 15 keys per shard: 3 buckets
		{1, 64 * windowWays},        // at least one bucket per shard
		{64 * 7 * 10, 64 * 7 * 10},  // exactly 10 buckets per shard
	}
	for _, tt := range tests {
		w := newWindow(tt.keys, 2, 1000)
		for k := range uint64(20 * tt.wantMax) {
			w.add(k+1, mark{at: int64(k)}, false)
		}
		if n := w.keys(); n != tt.wantMax {
			t.Errorf("newWindow(%d): %d keys after many adds, want %d", tt.keys, n, tt.wantMax)
		}
		for i := range w.shards {
			for bi := range w.shards[i].buckets {
				b := &w.shards[i].buckets[bi]
				seen := map[uint64]bool{}
				for _, key := range b.keys[:b.n] {
					if seen[key] {
						t.Errorf("shard %d bucket %d: key %d held twice", i, bi, key)
					}
					seen[key] = true
					if sh, kb := w.locate(key); sh != &w.shards[i] || kb != b {
						t.Errorf("key %d held in a bucket it does not hash to", key)
					}
				}
			}
		}
	}
}

func TestWindowDepth(t *testing.T) {
	w := newWindow(64, 3, 1_000_000)
	for at := int64(1); at <= 10; at++ {
		w.add(5, mark{at: at}, false)
		want := max(1, at-2)
		if diff := cmp.Diff(rangeInt64(want, at), ats(w.marks(5, 0, 100, nil))); diff != "" {
			t.Fatalf("after mark %d (-want +got):\n%s", at, diff)
		}
	}
	if n := w.ring(5).n; n != 3 {
		t.Errorf("ring holds %d marks, want 3", n)
	}
	// Depth below 1 is 1.
	w = newWindow(64, 0, 1000)
	w.add(5, mark{at: 1}, false)
	w.add(5, mark{at: 2}, false)
	if diff := cmp.Diff([]int64{2}, ats(w.marks(5, 0, 100, nil))); diff != "" {
		t.Errorf("depth 0 (-want +got):\n%s", diff)
	}
}

// Queries ignore marks older than the horizon before their end (the window's doc
// comment): a velocity rule cannot see past the horizon, however far back it asks.
func TestWindowIgnoresMarksOlderThanHorizon(t *testing.T) {
	w := newWindow(64, 8, 100)
	for _, at := range []int64{0, 50, 100, 160} {
		w.add(5, mark{at: at}, false)
	}
	tests := []struct {
		name     string
		from, to int64
		want     []int64
	}{
		{"within the horizon", 0, 100, []int64{0, 50, 100}},
		{"one beyond", 0, 160, []int64{100, 160}},
		{"at the edge", 0, 150, []int64{50, 100}},
		{"from in the horizon", 120, 160, []int64{160}},
		{"all beyond", 0, 1000, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ats(w.marks(5, tt.from, tt.to, nil))); diff != "" {
				t.Errorf("marks(5, %d, %d) (-want +got):\n%s", tt.from, tt.to, diff)
			}
		})
	}
}

// The window keeps each key's depth latest marks, also when some of them fell out of
// the horizon: events arrive in time order here, so the latest marks are well defined.
func TestWindowKeepsLatestMarks(t *testing.T) {
	w := newWindow(64, 3, 60)
	for _, at := range []int64{0, 50, 70, 71, 72} {
		w.add(5, mark{at: at}, false)
	}
	// The latest three marks are 70, 71, 72; 50 is older than all of them.
	if diff := cmp.Diff([]int64{70, 71, 72}, ats(w.marks(5, 0, 72, nil))); diff != "" {
		t.Errorf("marks (-want +got):\n%s", diff)
	}
	if n := len(w.marks(5, 12, 72, nil)); n != 3 {
		t.Errorf("count in [12, 72] = %d, want 3", n)
	}
}

func TestCountDistinct(t *testing.T) {
	tests := []struct {
		name   string
		others []uint64
		want   int
	}{
		{"none", nil, 0},
		{"one", []uint64{1}, 1},
		{"all equal", []uint64{7, 7, 7}, 1},
		{"all different", []uint64{1, 2, 3, 4}, 4},
		{"mixed", []uint64{1, 2, 1, 3, 2, 1}, 3},
		{"zero counts", []uint64{0, 0, 1}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ms []mark
			for _, o := range tt.others {
				ms = append(ms, mark{other: o})
			}
			if got := countDistinct(ms); got != tt.want {
				t.Errorf("countDistinct(%v) = %d, want %d", tt.others, got, tt.want)
			}
		})
	}
}

func TestWindowConcurrent(t *testing.T) {
	w := newWindow(1<<12, 8, 1000)
	done := make(chan struct{})
	for g := range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			var buf []mark
			for i := range 2000 {
				k := uint64(g*10_000 + i%100 + 1)
				w.add(k, mark{at: int64(i), other: uint64(g)}, false)
				buf = w.marks(k, int64(i)-100, int64(i), buf[:0])
				for _, m := range buf {
					if m.other != uint64(g) {
						t.Errorf("key %d holds a mark of goroutine %d", k, m.other)
						return
					}
				}
			}
		}()
	}
	for range 8 {
		<-done
	}
	if n := w.keys(); n > 1<<12 {
		t.Errorf("keys = %d, over the bound", n)
	}
}

func rangeInt64(from, to int64) []int64 {
	var out []int64
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

// warmWindow returns a window of keys keys, each already holding depth marks, so that
// the benchmark measures the steady state: rings overwritten, keys evicted.
func warmWindow(keys, depth int) *window {
	w := newWindow(keys, depth, 2*3600*1000)
	for k := range uint64(keys) {
		for j := range depth {
			w.add(mix(k), mark{at: int64(j), other: k}, false)
		}
	}
	return w
}

func BenchmarkWindowAdd(b *testing.B) {
	const keys, depth = 1 << 16, 32
	b.Run("serial", func(b *testing.B) {
		w := warmWindow(keys, depth)
		b.ReportAllocs()
		i := uint64(0)
		for b.Loop() {
			// Mostly known keys, one in 16 new (which evicts the oldest).
			k := i % keys
			if i%16 == 0 {
				k = keys + i
			}
			w.add(mix(k), mark{at: int64(i), value: 100, other: i}, false)
			i++
		}
	})
	b.Run("parallel", func(b *testing.B) {
		w := warmWindow(keys, depth)
		b.ReportAllocs()
		b.ResetTimer()
		var seed atomic.Uint64
		b.RunParallel(func(pb *testing.PB) {
			i := mix(seed.Add(1)) % keys // each goroutine its own place in the keys
			for pb.Next() {
				w.add(mix(i%keys), mark{at: int64(i & 0xffffffff), value: 100, other: i}, false)
				i++
			}
		})
	})
}

func TestWindowAddOnceIsIdempotent(t *testing.T) {
	w := newWindow(64, 8, 1000)
	for range 3 {
		w.add(5, mark{at: 10, other: 1, value: 7}, true)
		w.add(5, mark{at: 11, other: 1}, true)
	}
	if got := w.marks(5, 0, 100, nil); len(got) != 2 {
		t.Errorf("replayed marks: %d held, want 2", len(got))
	}
	w.add(5, mark{at: 10, other: 1}, false)
	if got := w.marks(5, 0, 100, nil); len(got) != 3 {
		t.Errorf("a live add is never merged: %d held, want 3", len(got))
	}
}

// Marks past the second spill into slab chunks: a small one first, then one of the
// full depth, with nothing lost on the move; an evicted key gives its chunk back.
func TestWindowSpillsAndReusesChunks(t *testing.T) {
	w := newWindow(128, 32, 1_000_000) // one bucket per shard
	k := sameBucketKeys(w, 40)
	for at := int64(1); at <= 40; at++ {
		w.add(k[0], mark{at: at, other: uint64(at)}, false)
		want := rangeInt64(max(1, at-31), at)
		if diff := cmp.Diff(want, ats(w.marks(k[0], 0, 100, nil))); diff != "" {
			t.Fatalf("after mark %d (-want +got):\n%s", at, diff)
		}
	}
	sh, _ := w.locate(k[0])
	if r := w.ring(k[0]); r.class != 2 {
		t.Errorf("a full ring is in class %d, want 2", r.class)
	}
	if n := len(sh.slabs[0].free); n != 1 {
		t.Errorf("%d small chunks free after the move to a large one, want 1", n)
	}
	// Many keys through a bucket of seven: chunks are reused, not piled up.
	for i, key := range k[1:] {
		for at := range int64(10) {
			w.add(key, mark{at: at + 1, other: uint64(i)}, false)
		}
	}
	for c, s := range sh.slabs {
		if held := int(s.used) - len(s.free); held > windowWays {
			t.Errorf("slab %d: %d chunks held by %d keys", c, held, windowWays)
		}
		if s.used > windowWays+1 {
			t.Errorf("slab %d: %d chunks ever made for %d keys at a time", c, s.used, windowWays)
		}
	}
	if diff := cmp.Diff(rangeInt64(1, 10), ats(w.marks(k[39], 0, 100, nil))); diff != "" {
		t.Errorf("last key (-want +got):\n%s", diff)
	}
}

func TestRefsInlineAndLong(t *testing.T) {
	r := newRefs(1) // one group of refGroupSize slots
	short, exact, long := "CMCC/c-1", strings.Repeat("x", refInline), "CMCC/"+strings.Repeat("0123456789", 6)
	s1, s2, s3 := r.put(short), r.put(exact), r.put(long)
	for seq, want := range map[int64]string{s1: short, s2: exact, s3: long, 0: "", s3 + 1: ""} {
		if got := r.get(seq); got != want {
			t.Errorf("get(%d) = %q, want %q", seq, got, want)
		}
	}
	got := map[uint64]string{}
	r.each(func(seq uint64, id string) { got[seq] = id })
	if diff := cmp.Diff(map[uint64]string{uint64(s1): short, uint64(s2): exact, uint64(s3): long}, got); diff != "" {
		t.Errorf("each (-want +got):\n%s", diff)
	}
	// A full turn of the ring reuses every slot: old ids are gone, and the long id's
	// side entry with them.
	for range refGroupSize {
		r.put("c-new")
	}
	if got := r.get(s3); got != "" {
		t.Errorf("get(%d) after the ring turned = %q, want \"\"", s3, got)
	}
	if n := len(r.groups[0].long); n != 0 {
		t.Errorf("%d long ids kept after their slots were reused", n)
	}
	// Restoring puts an id back under its own seq.
	r.set(uint64(s3), long)
	if got := r.get(s3); got != long {
		t.Errorf("after set, get(%d) = %q, want the long id", s3, got)
	}
}

// each hands out keys in the order the bucket's hand will take them and marks oldest
// first, so a window rebuilt from it (as a snapshot restore does) evicts what the
// original would have.
func TestWindowEachRebuildsEvictionOrder(t *testing.T) {
	w := newWindow(64, 3, 1_000_000) // one bucket per shard, depth 3
	k := sameBucketKeys(w, windowWays+3)
	for i, key := range k[:windowWays+2] { // the last two push out k[0], k[1]
		w.add(key, mark{at: int64(i + 1), other: uint64(i)}, false)
	}
	for at := int64(10); at <= 13; at++ { // k[2]'s full ring, its oldest now in the middle
		w.add(k[2], mark{at: at}, false)
	}
	rebuilt := newWindow(64, 3, 1_000_000)
	for shard := range w.shards {
		w.each(shard, func(key uint64, ms []mark) {
			for _, m := range ms {
				rebuilt.add(key, m, true)
			}
		})
	}
	for _, win := range []*window{w, rebuilt} {
		// k[2]: its three latest marks; the next overwrites the oldest of them.
		win.add(k[2], mark{at: 15}, false)
		if diff := cmp.Diff([]int64{12, 13, 15}, ats(win.marks(k[2], 0, 100, nil))); diff != "" {
			t.Errorf("k2 (-want +got):\n%s", diff)
		}
	}
	// A new key then takes the way the hand reaches first in both.
	w.add(k[windowWays+2], mark{at: 20}, false)
	rebuilt.add(k[windowWays+2], mark{at: 20}, false)
	for _, key := range k {
		if (w.ring(key) == nil) != (rebuilt.ring(key) == nil) {
			t.Errorf("key %d: held %v in the window, %v in the rebuilt one", key, w.ring(key) != nil, rebuilt.ring(key) != nil)
		}
	}
}

// Prefetching is a hint: on keys absent, held, or with spilled marks, it changes
// nothing a query sees.
func TestWindowPrefetchChangesNothing(t *testing.T) {
	w := newWindow(128, 32, 1_000_000)
	for at := int64(1); at <= 20; at++ {
		w.add(7, mark{at: at}, false) // spills past the inline marks
	}
	w.add(8, mark{at: 1}, false)
	before := [3][]int64{ats(w.marks(7, 0, 100, nil)), ats(w.marks(8, 0, 100, nil)), ats(w.marks(9, 0, 100, nil))}
	if r := w.ring(7); r.class == 0 {
		t.Fatal("key 7 did not spill")
	}
	for _, key := range []uint64{7, 8, 9} {
		w.prefetch(key)
		w.prefetchAll(key)
	}
	after := [3][]int64{ats(w.marks(7, 0, 100, nil)), ats(w.marks(8, 0, 100, nil)), ats(w.marks(9, 0, 100, nil))}
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("marks changed by prefetching (-before +after):\n%s", diff)
	}
	if w.ring(9) != nil {
		t.Error("prefetching an absent key made it held")
	}
}
