package intercept

import (
	"syscall"
	"unsafe"
)

const hugePage = 2 << 20

// adviseHuge asks Linux to back the whole 2 MiB pages inside [p, p+size) with
// transparent huge pages (madvise MADV_HUGEPAGE, which the default THP mode,
// "madvise", honours). It is advice: an error (THP off, an old kernel) changes
// nothing but speed, so it is ignored.
func adviseHuge(p unsafe.Pointer, size uintptr) {
	lo := (uintptr(p) + hugePage - 1) &^ (hugePage - 1)
	hi := (uintptr(p) + size) &^ (hugePage - 1)
	if hi <= lo {
		return
	}
	start := unsafe.Add(p, lo-uintptr(p))
	_ = syscall.Madvise(unsafe.Slice((*byte)(start), hi-lo), syscall.MADV_HUGEPAGE)
}
