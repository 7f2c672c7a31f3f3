package analytics

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/lanjie/lanjie/intercept"
)

// errTorn marks a frame that is cut short or fails its checksum.
var errTorn = errors.New("torn or corrupt record")

// frameReader reads frames from one segment.
type frameReader struct {
	r   *bufio.Reader
	off int64
	hdr [frameHeader]byte
}

// next reads one frame. io.EOF at a clean end (the file's, or zeros where the next
// frame would be); errTorn (wrapped) for a partial or corrupt frame, with off left at
// the frame's start.
func (fr *frameReader) next() (Record, error) {
	if _, err := io.ReadFull(fr.r, fr.hdr[:]); err != nil {
		if err == io.EOF {
			return Record{}, io.EOF
		}
		return Record{}, fmt.Errorf("%w: short header at offset %d", errTorn, fr.off)
	}
	if fr.hdr == ([frameHeader]byte{}) {
		return Record{}, io.EOF // a prepared segment's zeros: nothing written here yet (seqs start at 1)
	}
	n := binary.LittleEndian.Uint32(fr.hdr[0:])
	if n > maxRecord {
		return Record{}, fmt.Errorf("%w: length %d at offset %d", errTorn, n, fr.off)
	}
	data := make([]byte, n)
	if _, err := io.ReadFull(fr.r, data); err != nil {
		return Record{}, fmt.Errorf("%w: short data at offset %d", errTorn, fr.off)
	}
	crc := crc32.Update(crc32.Checksum(fr.hdr[8:], castagnoli), castagnoli, data)
	if crc != binary.LittleEndian.Uint32(fr.hdr[4:]) {
		return Record{}, fmt.Errorf("%w: checksum mismatch at offset %d", errTorn, fr.off)
	}
	fr.off += int64(frameHeader) + int64(n)
	return Record{
		Seq:  binary.LittleEndian.Uint64(fr.hdr[8:]),
		Type: intercept.RecordType(fr.hdr[16]),
		At:   time.UnixMilli(int64(binary.LittleEndian.Uint64(fr.hdr[17:]))),
		Data: data,
	}, nil
}

// scanSegment reads a whole segment, checking checksums and that seqs run on from
// first without gaps, calling fn (if not nil) for each record. It returns the offset
// after the last good record and the last good seq (0 if none); err is non-nil when
// the segment does not end cleanly there.
func scanSegment(path string, first uint64, fn func(Record) error) (end int64, last uint64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, fmt.Errorf("open segment: %w", err)
	}
	defer f.Close()
	fr := &frameReader{r: bufio.NewReaderSize(f, 1<<20)}
	want := first
	for {
		r, err := fr.next()
		if err == io.EOF {
			return fr.off, last, nil
		}
		if err != nil {
			return fr.off, last, err
		}
		if r.Seq != want {
			return fr.off - int64(frameHeader) - int64(len(r.Data)), last, fmt.Errorf("%w: seq %d where %d was due", errTorn, r.Seq, want)
		}
		if fn != nil {
			if err := fn(r); err != nil {
				return fr.off, r.Seq, err
			}
		}
		last, want = r.Seq, r.Seq+1
	}
}

// Synced returns the seq up to which every record is durable.
func (j *Journal) Synced() uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.synced
}

// Err returns the error that stopped the journal, or nil while it works.
func (j *Journal) Err() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}

// WaitSynced returns a channel closed the next time more records become durable.
func (j *Journal) WaitSynced() <-chan struct{} {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.syncedCh
}

// Replay calls fn for every durable record with seq >= from, in order.
func (j *Journal) Replay(ctx context.Context, from uint64, fn func(Record) error) error {
	c, err := j.Cursor(from)
	if err != nil {
		return err
	}
	defer c.Close()
	for {
		recs, err := c.Next(4096)
		if err != nil {
			return err
		}
		if len(recs) == 0 {
			return nil
		}
		for _, r := range recs {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(r); err != nil {
				return err
			}
		}
	}
}

// Cursor reads durable records in order from a seq on, across segments, while the
// journal keeps growing. It is not safe for concurrent use.
type Cursor struct {
	j    *Journal
	next uint64 // seq of the next record to return
	seg  segment
	f    *os.File
	fr   *frameReader
}

// Cursor returns a cursor at seq from. Records before the oldest segment are gone
// (shipped and trimmed): the cursor starts at the oldest one still kept.
func (j *Journal) Cursor(from uint64) (*Cursor, error) {
	return &Cursor{j: j, next: max(from, 1)}, nil
}

// Next returns up to max durable records; none when it has caught up.
func (c *Cursor) Next(max int) ([]Record, error) {
	limit := c.j.Synced()
	if c.fr != nil {
		// Read afresh from the next frame: what an earlier call buffered past the
		// durable records may be zeros since overwritten, or a write seen half done.
		if _, err := c.f.Seek(c.fr.off, io.SeekStart); err != nil {
			return nil, fmt.Errorf("read journal %s: %w", c.seg.path, err)
		}
		c.fr.r.Reset(c.f)
	}
	var out []Record
	for len(out) < max && c.next <= limit {
		if c.fr == nil {
			if err := c.open(); err != nil {
				return out, err
			}
			if c.fr == nil {
				return out, nil
			}
		}
		r, err := c.fr.next()
		if err == io.EOF {
			// This segment is done if a later one exists; else wait for more.
			moved, err := c.advance()
			if err != nil {
				return out, err
			}
			if !moved {
				return out, nil
			}
			continue
		}
		if err != nil {
			return out, fmt.Errorf("read journal %s: %w", c.seg.path, err)
		}
		if r.Seq < c.next {
			continue // before our start within the first segment
		}
		if r.Seq != c.next {
			return out, fmt.Errorf("read journal %s: seq %d where %d was due: %w", c.seg.path, r.Seq, c.next, ErrJournal)
		}
		out = append(out, r)
		c.next++
	}
	return out, nil
}

// open opens the segment holding c.next (or the oldest after it).
func (c *Cursor) open() error {
	segs, err := c.j.segments()
	if err != nil {
		return err
	}
	idx := -1
	for i, s := range segs {
		if s.first <= c.next {
			idx = i
		}
	}
	if idx < 0 {
		if len(segs) == 0 {
			return nil
		}
		idx = 0
		if segs[0].first > c.next {
			c.next = segs[0].first // trimmed: start at what is kept
		}
	}
	return c.openSeg(segs[idx])
}

func (c *Cursor) openSeg(s segment) error {
	f, err := os.Open(s.path)
	if err != nil {
		return fmt.Errorf("open journal segment: %w", err)
	}
	c.closeFile()
	c.seg, c.f = s, f
	c.fr = &frameReader{r: bufio.NewReaderSize(f, 256<<10)}
	return nil
}

// advance moves to the segment after the current one, if there is one. A later
// segment that starts past the next seq means this one ended early: a gap.
func (c *Cursor) advance() (bool, error) {
	segs, err := c.j.segments()
	if err != nil {
		return false, nil
	}
	for _, s := range segs {
		if s.first > c.seg.first && s.first <= c.next {
			if c.openSeg(s) != nil {
				return false, nil
			}
			return true, nil
		}
		if s.first > c.seg.first {
			return false, fmt.Errorf("read journal %s: it ends before seq %d, and %s starts at %d: %w", c.seg.path, c.next, s.path, s.first, ErrJournal)
		}
	}
	// Still the last segment: the reader hit the end of what is written; the next
	// call rereads from here (Next starts every call afresh at the next frame).
	return false, nil
}

func (c *Cursor) closeFile() {
	if c.f != nil {
		c.f.Close()
		c.f, c.fr = nil, nil
	}
}

// Close releases the cursor's file.
func (c *Cursor) Close() { c.closeFile() }

// Trim removes the segments whose records all have seq <= upTo (shipped and covered by
// a snapshot) and that were written more than KeepFor ago. The segment being written
// is never removed.
func (j *Journal) Trim(upTo uint64) (removed int, err error) {
	segs, err := j.segments()
	if err != nil {
		return 0, err
	}
	for i := 0; i+1 < len(segs); i++ {
		if segs[i+1].first-1 > upTo {
			break
		}
		if j.opts.KeepFor > 0 {
			if st, err := os.Stat(segs[i].path); err == nil && time.Since(st.ModTime()) < j.opts.KeepFor {
				break
			}
		}
		if err := os.Remove(segs[i].path); err != nil {
			return removed, fmt.Errorf("trim journal: %w", err)
		}
		removed++
	}
	if removed > 0 {
		err = syncDir(j.dir)
	}
	return removed, err
}

// Close flushes what is queued, stops the flusher and closes the segment.
func (j *Journal) Close() error {
	select {
	case <-j.done:
		return nil
	default:
	}
	close(j.done)
	<-j.stopped
	// The next segment's zeros, written or being written, are for no one now. The
	// current segment keeps its own: the next open writes into them.
	j.prepStop.Store(true)
	if j.prep != nil {
		<-j.prep
	}
	if err := os.Remove(filepath.Join(j.dir, preparedName)); err != nil && !errors.Is(err, os.ErrNotExist) {
		j.log.Warn("journal_prepared_left", "err", err)
	}
	if j.f == nil { // a segment change failed, after closing the last one
		return nil
	}
	if err := j.f.Close(); err != nil {
		return fmt.Errorf("close journal: %w", err)
	}
	return nil
}
