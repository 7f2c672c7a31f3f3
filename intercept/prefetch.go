package intercept

import "unsafe"

// prefetchLines starts loading every cache line of *p (a table bucket), without
// waiting for any of them.
func prefetchLines[T any](p *T) {
	for off := uintptr(0); off < unsafe.Sizeof(*p); off += 64 {
		prefetch(unsafe.Add(unsafe.Pointer(p), off))
	}
}

// wayOf returns the index of key among the keys a bucket holds, or -1.
func wayOf(keys []uint64, key uint64) int {
	for i, k := range keys {
		if k == key {
			return i
		}
	}
	return -1
}
