package analytics

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
)

// Prepared segments. An fsync after an append must also commit the file system's
// journal (the file's new blocks and size); after overwriting blocks already written
// and synced, it only writes the data back: about half the time on this project's
// machines (bench/RESULTS.md, 2026-12-03). Every group commit waits for one, so while
// a segment fills, the next is written full of zeros in the background, and the
// flusher writes into it in place. Readers take an all-zero frame header for the end
// of what is written (a real frame has a seq of at least 1).

// preparedName is the next segment while it waits: not a segment (no .wal suffix), so
// readers, Trim and OpenJournal's scan never see it.
const preparedName = "next.wal-prepared"

// preparing starts writing the next segment's zeros once the current one is half full
// (a journal that never fills one costs nothing), and notes when they are done.
func (j *Journal) preparing() {
	if j.prep != nil {
		select {
		case err := <-j.prep:
			j.prep = nil
			if err != nil {
				// The next segment is made as before; no new try until then (a full
				// disk would fail every one).
				j.log.Warn("journal_prepare_failed", "err", err)
				j.prepFailed = true
			} else {
				j.ready = true
			}
		default:
		}
	}
	if j.opts.NoSync || j.ready || j.prepFailed || j.prep != nil || j.size < j.opts.SegmentBytes/2 {
		return
	}
	if free := j.free(j.dir); free < 2*j.opts.SegmentBytes+prepareReserve {
		// Little room: the space is the journal's own records'; the next segment is
		// made as before.
		j.prepFailed = true
		return
	}
	done := make(chan error, 1)
	j.prep = done
	go func() { done <- zeroFile(filepath.Join(j.dir, preparedName), j.opts.SegmentBytes, &j.prepStop) }()
}

// prepareReserve is room a preparation leaves free beyond two segments.
const prepareReserve = 64 << 20

// takePrepared renames the prepared segment to path if its zeros are on disk; it
// does not wait for them.
func (j *Journal) takePrepared(path string) {
	j.preparing()
	j.prepFailed = false // the next segment may try again
	if !j.ready {
		return
	}
	j.ready = false
	if err := os.Rename(filepath.Join(j.dir, preparedName), path); err != nil {
		j.log.Warn("journal_prepare_failed", "err", err)
	}
}

// zeroFile writes size zero bytes to a new file at path and syncs it, unless stop is
// set meanwhile. On failure it removes what it wrote: the space is the journal's.
func zeroFile(path string, size int64, stop *atomic.Bool) (err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("prepare journal segment: %w", err)
	}
	defer func() {
		if err != nil {
			os.Remove(path)
		}
	}()
	// A megabyte at a time, each synced: a group commit's sync never waits behind the
	// write-back of the whole segment.
	zeros := make([]byte, min(size, 1<<20))
	for off := int64(0); off < size; {
		if stop.Load() {
			f.Close()
			return errors.New("prepare journal segment: the journal closed")
		}
		n, err := f.Write(zeros[:min(int64(len(zeros)), size-off)])
		if err == nil {
			err = datasync(f)
		}
		if err != nil {
			f.Close()
			return fmt.Errorf("prepare journal segment: %w", err)
		}
		off += int64(n)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("prepare journal segment: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("prepare journal segment: %w", err)
	}
	return nil
}

// zeroTail reports whether everything after end in the segment at path is zeros
// (vacuously so when nothing is).
func zeroTail(path string, end int64) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("open journal segment: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(end, io.SeekStart); err != nil {
		return false, fmt.Errorf("read journal segment: %w", err)
	}
	buf, zero := make([]byte, 1<<20), make([]byte, 1<<20)
	for {
		n, err := f.Read(buf)
		if !bytes.Equal(buf[:n], zero[:n]) {
			return false, nil
		}
		if err == io.EOF {
			return true, nil
		}
		if err != nil {
			return false, fmt.Errorf("read journal segment: %w", err)
		}
	}
}
