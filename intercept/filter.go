package intercept

import (
	"math/bits"
	"unsafe"
)

// filter is a blocked Bloom filter over the keys of one list shard. Most lookups are
// of numbers and accounts on no list, and a filter that answers "not here" spares
// them the map read, a chain of dependent cache misses in a map of tens of thousands
// of keys; its one cache line per lookup can be prefetched, a map slot cannot. It
// never says no to a key that was added. A removed key keeps its bits and costs a map
// read until the shard outgrows the filter and it is rebuilt from the map.
//
// Each key sets filterProbes bits in one 512-bit block (one cache line) chosen by the
// hash's high bits; the bit numbers come from its middle bits, clear of both the
// block's bits and the shard's (the low eight). At filterBitsPerKey bits per key the
// false positive rate is about 1% (TestFilterFalsePositives).
type filter struct {
	blocks []filterBlock
	keys   int // keys it was sized for: past this it is rebuilt twice as large
}

type filterBlock [8]uint64

const (
	filterBitsPerKey = 16
	filterProbes     = 4
	filterMinKeys    = 64
)

func newFilter(keys int) *filter {
	keys = max(keys, filterMinKeys)
	n := 1 << bits.Len(uint((keys*filterBitsPerKey+511)/512-1)) // a power of two
	return &filter{blocks: make([]filterBlock, n), keys: keys}
}

func (f *filter) block(h uint64) *filterBlock {
	i, _ := bits.Mul64(h, uint64(len(f.blocks)))
	return &f.blocks[i]
}

func (f *filter) add(h uint64) {
	b := f.block(h)
	for p := range filterProbes {
		bit := h >> (8 + 9*p) & 511
		b[bit/64] |= 1 << (bit % 64)
	}
}

// has reports whether h may have been added: false means it was not.
func (f *filter) has(h uint64) bool {
	b := f.block(h)
	for p := range filterProbes {
		bit := h >> (8 + 9*p) & 511
		if b[bit/64]&(1<<(bit%64)) == 0 {
			return false
		}
	}
	return true
}

// prefetch starts loading the block of h.
func (f *filter) prefetch(h uint64) { prefetch(unsafe.Pointer(f.block(h))) }
