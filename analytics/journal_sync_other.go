//go:build !linux

package analytics

import "os"

// datasync is fsync where fdatasync(2) is not to be had.
func datasync(f *os.File) error { return f.Sync() }

// freeSpace cannot tell here: segments are not prepared.
func freeSpace(string) int64 { return -1 }
