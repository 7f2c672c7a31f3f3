// Package analytics gives Lanjie its memory: the local journal every state change is
// appended to before it is acknowledged, the shipper that moves the journal into
// ClickHouse, the ClickHouse schema, and the desk's analytics queries.
package analytics

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lanjie/lanjie/intercept"
)

// ErrJournal reports that the journal cannot keep what it is given (disk full, I/O
// error). Nothing is acknowledged after it: the console refuses new work until the
// journal is repaired and reopened.
var ErrJournal = fmt.Errorf("journal %w", intercept.ErrUnavailable)

// Record is a journal record; the types live in intercept, whose Journal interface
// this journal implements.
type Record = intercept.Record

var _ intercept.Journal = (*Journal)(nil)

// Frame layout: length of data (4), CRC-32C of everything after the CRC (4), seq (8),
// type (1), at in unix ms (8), data.
const frameHeader = 4 + 4 + 8 + 1 + 8

// maxRecord bounds one record's data; a larger length in a header means corruption.
const maxRecord = 16 << 20

// maxSpare bounds a batch buffer kept for reuse between flushes.
const maxSpare = 16 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func appendFrame(b []byte, r Record) []byte {
	start := len(b)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(r.Data)))
	b = binary.LittleEndian.AppendUint32(b, 0) // CRC, filled below
	b = binary.LittleEndian.AppendUint64(b, r.Seq)
	b = append(b, byte(r.Type))
	b = binary.LittleEndian.AppendUint64(b, uint64(r.At.UnixMilli()))
	b = append(b, r.Data...)
	binary.LittleEndian.PutUint32(b[start+4:], crc32.Checksum(b[start+8:], castagnoli))
	return b
}

// JournalOptions tune a journal. Zero values take the defaults.
type JournalOptions struct {
	SegmentBytes int64 // a segment is closed once it grows past this (default 64 MiB)
	NoSync       bool  // skip fsync: only for benchmarks that measure everything else
	// KeepFor keeps segments written within this long even once shipped: restarts
	// rebuild the short windows and the duplicate table from them.
	KeepFor time.Duration
}

// Journal is an append-only log of segment files with per-record checksums. Appends
// are group-committed: concurrent writers share one write and one fsync, and Append
// returns only once its records are on disk. Safe for concurrent use.
type Journal struct {
	id   string // random, made with the journal: history shipped from it carries it
	dir  string
	opts JournalOptions
	log  *slog.Logger

	mu       sync.Mutex
	next     uint64   // seq of the next record
	batch    *batch   // records waiting for the flusher
	spares   [][]byte // written batches' buffers, for the next batches to fill
	wake     chan struct{}
	err      error  // sticky: once set, every Append fails
	synced   uint64 // every record up to here is durable
	syncedCh chan struct{}

	// The current segment, written at size (into a prepared one's zeros, or past its
	// end); flusher only, as the next four.
	f          *os.File
	size       int64
	prep       chan error // the next segment's zeros being written; nil when none is
	ready      bool       // a prepared segment of zeros waits (preparedName)
	prepFailed bool       // preparing the next segment failed or found no room: no new try before it starts
	prepStop   atomic.Bool
	free       func(dir string) int64 // bytes free for the journal (-1: unknown); tests replace it
	sync       func(*os.File) error   // datasync; tests replace it
	done       chan struct{}
	stopped    chan struct{}

	commits, written atomic.Uint64 // group commits and their bytes, for Stats
	commitNS         atomic.Int64  // time spent in their writes and fsyncs
}

// JournalStats counts the journal's group commits since it was opened: each is one
// write and one fsync, shared by every append that came while the last one ran.
type JournalStats struct {
	Commits uint64
	Bytes   uint64        // written by them
	Time    time.Duration // spent in their writes and fsyncs (segment changes included)
}

// Stats returns the group commits so far.
func (j *Journal) Stats() JournalStats {
	return JournalStats{Commits: j.commits.Load(), Bytes: j.written.Load(), Time: time.Duration(j.commitNS.Load())}
}

type batch struct {
	buf  []byte
	last uint64
	done chan struct{}
	err  error
}

// OpenJournal opens (or creates) the journal in dir. A torn or corrupt tail of the
// last segment (a crash mid-write) is detected, logged and cut off; corruption in an
// earlier segment is an error, since records after it were acknowledged.
func OpenJournal(dir string, opts JournalOptions, log *slog.Logger) (*Journal, error) {
	if opts.SegmentBytes <= 0 {
		opts.SegmentBytes = 64 << 20
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("journal dir: %w", err)
	}
	var err error
	j := &Journal{dir: dir, opts: opts, log: log, next: 1, wake: make(chan struct{}, 1),
		syncedCh: make(chan struct{}), done: make(chan struct{}), stopped: make(chan struct{}), free: freeSpace, sync: datasync}
	if j.id, err = journalID(dir); err != nil {
		return nil, err
	}
	segs, err := j.segments()
	if err != nil {
		return nil, err
	}
	var lastEnd int64 // the last segment's records end here (its prepared zeros, if any, after)
	for i, s := range segs {
		last := i == len(segs)-1
		// The oldest kept segment says where the journal starts (older ones were
		// trimmed); each later one must start right after its predecessor. An empty
		// last segment (just rotated) starts the numbering at its own name.
		if i == 0 {
			j.next = s.first
		} else if s.first != j.next {
			return nil, fmt.Errorf("journal segment %s starts at %d, %d was due: %w", s.path, s.first, j.next, ErrJournal)
		}
		end, lastSeq, err := scanSegment(s.path, s.first, nil)
		if err != nil && !last {
			return nil, fmt.Errorf("journal segment %s: %w", s.path, err)
		}
		if last {
			// What follows the last good record: nothing, a prepared segment's zeros
			// (kept, to write into), or a torn write (cut, and logged), which zeros
			// may hide the start of.
			zeros, zerr := zeroTail(s.path, end)
			if zerr != nil {
				return nil, zerr
			}
			if err == nil && !zeros {
				err = fmt.Errorf("%w: zeros at offset %d, then data", errTorn, end)
			}
			if err != nil {
				log.Warn("journal_tail_truncated", "segment", s.path, "offset", end, "reason", err.Error())
				if err := truncate(s.path, end); err != nil {
					return nil, err
				}
			}
			lastEnd = end
		}
		if lastSeq > 0 {
			j.next = lastSeq + 1
		} else if !last {
			return nil, fmt.Errorf("journal segment %s is empty but not the last: %w", s.path, ErrJournal)
		}
	}
	j.synced = j.next - 1
	// A segment of zeros prepared before a restart may be half written: made again.
	if err := os.Remove(filepath.Join(dir, preparedName)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("remove prepared journal segment: %w", err)
	}
	if err := j.openSegment(segs, lastEnd); err != nil {
		return nil, err
	}
	go j.flusher()
	return j, nil
}

type segment struct {
	path  string
	first uint64
}

func segmentName(first uint64) string { return fmt.Sprintf("%020d.wal", first) }

// segments lists the segment files, oldest first.
func (j *Journal) segments() ([]segment, error) {
	ents, err := os.ReadDir(j.dir)
	if err != nil {
		return nil, fmt.Errorf("read journal dir: %w", err)
	}
	var segs []segment
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".wal")
		if !ok {
			continue
		}
		first, err := strconv.ParseUint(name, 10, 64)
		if err != nil {
			continue
		}
		segs = append(segs, segment{filepath.Join(j.dir, e.Name()), first})
	}
	slices.SortFunc(segs, func(a, b segment) int { return compareU64(a.first, b.first) })
	return segs, nil
}

func compareU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// openSegment opens the segment to write: the last one if it is not full (its records
// end at end), else a new one.
func (j *Journal) openSegment(segs []segment, end int64) error {
	path := filepath.Join(j.dir, segmentName(j.next))
	j.size = 0
	if len(segs) > 0 && end < j.opts.SegmentBytes {
		path = segs[len(segs)-1].path // write on into the last one
		j.size = end
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o644) // written at j.size, not appended: see prepare
	if err != nil {
		return fmt.Errorf("open journal segment: %w", err)
	}
	j.f = f
	return syncDir(j.dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open journal dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync journal dir: %w", err)
	}
	return nil
}

func truncate(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("truncate journal tail: %w", err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return fmt.Errorf("truncate journal tail: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("truncate journal tail: %w", err)
	}
	return nil
}

// Append writes recs (their Type and Data; Seq and At are assigned) and returns the
// seq of the last one once all are durable. It does not give up early when ctx ends
// (an fsync is short, and an early return would leave the caller unsure whether the
// records are kept). Errors wrap ErrJournal; after one, nothing more is kept. The
// records of a failed write are cut off the segment again, so a restart does not bring
// back what was refused (if even the cut fails, the error says so).
func (j *Journal) Append(ctx context.Context, recs ...Record) (uint64, error) {
	if len(recs) == 0 {
		// Nothing to write, but a failed journal still refuses: the caller is about
		// to acknowledge something.
		return 0, j.Err()
	}
	now := time.Now()
	j.mu.Lock()
	if j.err != nil {
		err := j.err
		j.mu.Unlock()
		return 0, err
	}
	if j.batch == nil {
		j.batch = &batch{done: make(chan struct{})}
		if n := len(j.spares); n > 0 {
			j.batch.buf, j.spares = j.spares[n-1], j.spares[:n-1]
		}
	}
	b := j.batch
	for _, r := range recs {
		if len(r.Data) > maxRecord {
			j.mu.Unlock()
			return 0, fmt.Errorf("journal record of %d bytes, the limit is %d: %w", len(r.Data), maxRecord, ErrJournal)
		}
	}
	for _, r := range recs {
		r.Seq, r.At = j.next, now
		j.next++
		b.buf = appendFrame(b.buf, r)
	}
	mine := j.next - 1
	b.last = mine
	j.mu.Unlock()
	select {
	case j.wake <- struct{}{}:
	default:
	}
	// Wait for the flush whatever ctx says: once queued, the records will be on disk
	// or the journal will have failed, within one fsync. Returning early would leave
	// the caller unsure whether what it is about to retry is already durable.
	<-b.done
	if b.err != nil {
		return 0, b.err
	}
	return mine, nil
}

// flusher writes each batch with one write and one fsync; appends that arrive while
// it syncs form the next batch.
func (j *Journal) flusher() {
	defer close(j.stopped)
	for {
		select {
		case <-j.wake:
		case <-j.done:
			j.flush() // whatever came in before Close
			return
		}
		j.flush()
	}
}

func (j *Journal) flush() {
	j.mu.Lock()
	b := j.batch
	j.batch = nil
	failed := j.err != nil
	j.mu.Unlock()
	if b == nil {
		return
	}
	var kept bool
	var err error
	if !failed {
		// A batch that formed while the last write failed is not written: its records
		// would follow ones that are not there.
		start := time.Now()
		kept, err = j.write(b)
		j.commitNS.Add(int64(time.Since(start)))
		j.commits.Add(1)
		j.written.Add(uint64(len(b.buf)))
	}
	j.mu.Lock()
	if err != nil && j.err == nil {
		j.err = fmt.Errorf("%w: %v", ErrJournal, err)
		j.log.Error("journal_failed", "err", err)
	}
	if !kept {
		b.err = j.err
	}
	// The buffer is written; only the flusher reads a batch's buf, so a later batch
	// may fill it. Two take turns (one fills while the other is written); a burst's
	// huge buffer is not kept.
	if cap(b.buf) <= maxSpare && len(j.spares) < 2 {
		j.spares = append(j.spares, b.buf[:0])
	}
	b.buf = nil
	if b.err == nil {
		j.synced = b.last
		close(j.syncedCh)
		j.syncedCh = make(chan struct{})
	}
	j.mu.Unlock()
	close(b.done)
}

// write writes a batch at the segment's end and syncs its data (fdatasync: the file's
// size, if it grew, is synced with it; its times need not be). In a prepared segment
// the blocks hold synced zeros already, so no file-system metadata changes and the
// sync is about half as long as after an append. kept says the batch is durable: a
// failure to start the next segment comes after that, and fails only later batches.
func (j *Journal) write(b *batch) (kept bool, err error) {
	if _, err := j.f.WriteAt(b.buf, j.size); err != nil {
		return false, j.undo(fmt.Errorf("write journal: %w", err))
	}
	if !j.opts.NoSync {
		if err := j.sync(j.f); err != nil {
			return false, j.undo(fmt.Errorf("fsync journal: %w", err))
		}
	}
	j.size += int64(len(b.buf))
	j.preparing()
	if j.size < j.opts.SegmentBytes {
		return true, nil
	}
	return true, j.rotate(b.last + 1)
}

// undo cuts what a failed write may have left of its batch off the segment and syncs
// the cut, so that the refused records are not read back after a restart. A prepared
// segment's zeros go with them: the journal takes no more writes.
func (j *Journal) undo(err error) error {
	if terr := j.f.Truncate(j.size); terr != nil {
		return fmt.Errorf("%w; cutting its records off failed too, so they may come back after a restart: %v", err, terr)
	}
	if j.opts.NoSync {
		return err
	}
	if serr := j.sync(j.f); serr != nil {
		return fmt.Errorf("%w; syncing the cut failed too, so its records may come back after a restart: %v", err, serr)
	}
	return err
}

// rotate closes the full segment and starts the next, named after the first seq it
// will hold: the prepared segment if it is ready, else a new file.
func (j *Journal) rotate(first uint64) error {
	// A segment is full once its records reach SegmentBytes, the size of a prepared
	// one: no zeros are left to cut.
	err := j.f.Close()
	j.f = nil // if the next one cannot be opened, the journal has failed: Close has no file to close
	if err != nil {
		return fmt.Errorf("close journal segment: %w", err)
	}
	path := filepath.Join(j.dir, segmentName(first))
	j.takePrepared(path) // else a new, empty file
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("open journal segment: %w", err)
	}
	j.f, j.size = f, 0
	return syncDir(j.dir)
}

// journalID reads the journal's identity from dir, making one for a new journal.
func journalID(dir string) (string, error) {
	path := filepath.Join(dir, "journal.id")
	b, err := os.ReadFile(path)
	if err == nil && len(bytes.TrimSpace(b)) > 0 {
		return string(bytes.TrimSpace(b)), nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read journal id: %w", err)
	}
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("make journal id: %w", err)
	}
	id := hex.EncodeToString(raw[:])
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return "", fmt.Errorf("write journal id: %w", err)
	}
	if _, err := f.WriteString(id + "\n"); err != nil {
		f.Close()
		return "", fmt.Errorf("write journal id: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", fmt.Errorf("write journal id: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("write journal id: %w", err)
	}
	return id, syncDir(dir)
}

// ID is the journal's identity, made when it was created.
func (j *Journal) ID() string { return j.id }
