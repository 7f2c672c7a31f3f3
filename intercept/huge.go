package intercept

import "unsafe"

// hugeSlice returns a zeroed slice of n T for a large, long-lived, pointer-free table
// read at random (windows, the duplicate table). Where the system allows it, the
// table is backed by huge pages: a random read of a table of hundreds of MB in 4 KiB
// pages misses the TLB almost every time, and on a virtual machine each such miss is a
// walk of two page tables. The price: a touch makes 2 MiB resident, so such a table
// is resident whole soon after use starts; and the advice stays on that memory
// once the table is freed and the heap reuses it (harmless, it only sets page size).
func hugeSlice[T any](n int) []T {
	s := make([]T, n)
	if n > 0 {
		adviseHuge(unsafe.Pointer(unsafe.SliceData(s)), uintptr(n)*unsafe.Sizeof(s[0]))
	}
	return s
}
