package intercept

import (
	"testing"
	"unsafe"
)

func TestFilterNoFalseNegatives(t *testing.T) {
	for _, keys := range []int{0, 1, 64, 1000, 100_000} {
		f := newFilter(keys)
		if n := len(f.blocks); n&(n-1) != 0 || n*512 < keys*filterBitsPerKey {
			t.Errorf("newFilter(%d): %d blocks, want a power of two of at least %d bits", keys, n, keys*filterBitsPerKey)
		}
		for k := range uint64(max(keys, 1)) {
			f.add(mix(k))
		}
		for k := range uint64(max(keys, 1)) {
			if !f.has(mix(k)) {
				t.Fatalf("newFilter(%d): key %d added but has() = false", keys, k)
			}
		}
	}
	if unsafe.Sizeof(filterBlock{}) != 64 {
		t.Errorf("a block is %d bytes, want one cache line", unsafe.Sizeof(filterBlock{}))
	}
}

func TestFilterFalsePositives(t *testing.T) {
	const keys = 50_000
	f := newFilter(keys)
	for k := range uint64(keys) {
		f.add(mix(k))
	}
	fp := 0
	const tries = 200_000
	for k := uint64(keys); k < keys+tries; k++ {
		if f.has(mix(k)) {
			fp++
		}
	}
	// Sized for keys and holding them: about 1% here (the sizing rounds up).
	if rate := float64(fp) / tries; rate > 0.02 {
		t.Errorf("false positive rate %.4f at %d keys, want at most 0.02", rate, keys)
	}
	if empty := newFilter(keys); empty.has(mix(1)) {
		t.Error("an empty filter has a key")
	}
}
