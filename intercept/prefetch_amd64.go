package intercept

import "unsafe"

// prefetch asks the CPU to start loading the cache line at p and returns at once.
// A decision reads a dozen tables at random places, each read a cache miss of some
// 200-300 ns on this kind of machine when taken one after another; started together,
// the misses overlap (eight at once cost about what one costs). It is a hint: it
// never faults and changes nothing but speed, and the race detector does not see it.
//
//go:noescape
func prefetch(p unsafe.Pointer)
