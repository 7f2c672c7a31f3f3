//go:build !amd64

package intercept

import "unsafe"

// prefetch does nothing where no prefetch instruction is wired in.
func prefetch(unsafe.Pointer) {}
