package analytics

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Segments after the first are prepared full of zeros while the one before fills; a
// full segment is closed as long as what it holds, and everything reads back in order.
func TestJournalWritesIntoPreparedSegments(t *testing.T) {
	dir := t.TempDir()
	const segBytes = 4096
	j := openJ(t, dir, JournalOptions{SegmentBytes: segBytes})
	n := 0
	for deadline := time.Now().Add(10 * time.Second); ; n++ {
		if _, err := j.Append(context.Background(), rec(n)); err != nil {
			t.Fatal(err)
		}
		if segs, _ := j.segments(); len(segs) >= 6 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("six segments did not fill in 10 s")
		}
		time.Sleep(time.Millisecond) // the preparer writes its zeros meanwhile
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	segs, _ := j.segments()
	for _, s := range segs[:len(segs)-1] {
		b, err := os.ReadFile(s.path)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.HasSuffix(b, make([]byte, frameHeader)) {
			t.Errorf("%s: %d bytes ending in zeros: a full segment keeps zeros", filepath.Base(s.path), len(b))
		}
	}
	if _, err := os.Stat(filepath.Join(dir, preparedName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Close left the next segment's zeros behind: %v", err)
	}
	// Reopened, the journal writes on into the last segment's zeros.
	j = openJ(t, dir, JournalOptions{SegmentBytes: segBytes})
	defer j.Close()
	checkSeqs(t, readAll(t, j, 1), 1, uint64(n+1))
	last := segs[len(segs)-1].path
	before, _ := os.Stat(last)
	if _, err := j.Append(context.Background(), rec(n+1)); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.Stat(last); before.Size() != segBytes || after.Size() != before.Size() {
		t.Errorf("last segment %d bytes, then %d after an append: want the prepared %d, written into", before.Size(), after.Size(), segBytes)
	}
	checkSeqs(t, readAll(t, j, 1), 1, uint64(n+2))
}

// With little room on the disk, no segment is prepared: its zeros would take the
// space the records need.
func TestJournalPreparesNothingWhenRoomIsShort(t *testing.T) {
	dir := t.TempDir()
	j, err := OpenJournal(dir, JournalOptions{SegmentBytes: 4096}, quiet())
	if err != nil {
		t.Fatal(err)
	}
	j.free = func(string) int64 { return 2*4096 + prepareReserve - 1 } // before the flusher's first write
	for i := range 400 {
		if _, err := j.Append(context.Background(), rec(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	segs, _ := j.segments()
	if len(segs) < 3 {
		t.Errorf("%d segments, want several", len(segs))
	}
	for _, s := range segs {
		if b, _ := os.ReadFile(s.path); bytes.HasSuffix(b, make([]byte, frameHeader)) {
			t.Errorf("%s: %d bytes, ending in zeros: a prepared segment", filepath.Base(s.path), len(b))
		}
	}
	checkSeqs(t, readAll(t, openJ(t, dir, JournalOptions{SegmentBytes: 4096}), 1), 1, 400)
}

// A crash while writing into a prepared segment leaves its zeros after the last
// record: the journal opens at that record, quietly (nothing was lost), and writes on
// into them.
func TestJournalZerosAfterACrashAreTheEnd(t *testing.T) {
	dir, path := closedJournal(t, 10)
	appendBytes(t, path, make([]byte, 64<<10))
	before, _ := os.Stat(path)

	var logged sync.Map
	j2, err := OpenJournal(dir, JournalOptions{}, slog.New(recordingHandler{&logged}))
	if err != nil {
		t.Fatal(err)
	}
	defer j2.Close()
	if _, ok := logged.Load("journal_tail_truncated"); ok {
		t.Error("zeros after the last record were logged as a torn tail")
	}
	if seq, err := j2.Append(context.Background(), rec(10)); err != nil || seq != 11 {
		t.Fatalf("append after reopening: %d, %v", seq, err)
	}
	if after, _ := os.Stat(path); after.Size() != before.Size() {
		t.Errorf("segment is %d bytes after reopening and an append, want %d: the zeros written into", after.Size(), before.Size())
	}
	checkSeqs(t, readAll(t, j2, 1), 1, 11)
}

// Zeros followed by data are a torn write (a lost sector before ones that reached the
// disk): cut at the last good record, and logged.
func TestJournalZerosThenDataAreTorn(t *testing.T) {
	dir, path := closedJournal(t, 10)
	before, _ := os.Stat(path)
	appendBytes(t, path, append(make([]byte, 4096), appendFrame(nil, Record{Seq: 13, Type: 1, Data: []byte(`{}`)})...))
	var logged sync.Map
	j2, err := OpenJournal(dir, JournalOptions{}, slog.New(recordingHandler{&logged}))
	if err != nil {
		t.Fatal(err)
	}
	defer j2.Close()
	if _, ok := logged.Load("journal_tail_truncated"); !ok {
		t.Error("zeros then data were not logged as a torn tail")
	}
	if after, _ := os.Stat(path); after.Size() != before.Size() {
		t.Errorf("segment is %d bytes after reopening, want %d", after.Size(), before.Size())
	}
	checkSeqs(t, readAll(t, j2, 1), 1, 10)
}

// A segment that ends before the next one starts is a gap: a cursor says so rather
// than wait for records that cannot come.
func TestJournalCursorReportsAGap(t *testing.T) {
	dir := t.TempDir()
	j := openJ(t, dir, JournalOptions{SegmentBytes: 300})
	defer j.Close()
	for i := range 40 {
		if _, err := j.Append(context.Background(), rec(i)); err != nil {
			t.Fatal(err)
		}
	}
	segs, _ := j.segments()
	if len(segs) < 3 {
		t.Fatalf("%d segments", len(segs))
	}
	first := int64(len(appendFrame(nil, rec(0)))) // keep the first segment's first record only
	if err := os.Truncate(segs[0].path, first); err != nil {
		t.Fatal(err)
	}
	c, _ := j.Cursor(1)
	defer c.Close()
	var err error
	for range 3 {
		if _, err = c.Next(100); err != nil {
			break
		}
	}
	if !errors.Is(err, ErrJournal) {
		t.Fatalf("reading over a segment cut short: %v, want a journal error", err)
	}
}

// A cursor that read past the durable records into zeros reads what was written
// there since, not the zeros it saw.
func TestJournalCursorRereadsOverwrittenZeros(t *testing.T) {
	dir := t.TempDir()
	j := openJ(t, dir, JournalOptions{})
	defer j.Close()
	if _, err := j.Append(context.Background(), rec(0)); err != nil {
		t.Fatal(err)
	}
	// Make the live segment look prepared: zeros after the record, then write on.
	st, _ := j.f.Stat() // the flusher is idle: Append returned, nothing waits
	if _, err := j.f.WriteAt(make([]byte, 64<<10), st.Size()); err != nil {
		t.Fatal(err)
	}
	c, _ := j.Cursor(1)
	defer c.Close()
	if recs, err := c.Next(10); err != nil || len(recs) != 1 {
		t.Fatalf("first read: %d records, %v", len(recs), err)
	}
	if recs, err := c.Next(10); err != nil || len(recs) != 0 {
		t.Fatalf("caught up: %d records, %v", len(recs), err)
	}
	for i := 1; i <= 3; i++ {
		if _, err := j.Append(context.Background(), rec(i)); err != nil {
			t.Fatal(err)
		}
	}
	recs, err := c.Next(10)
	if err != nil {
		t.Fatal(err)
	}
	checkSeqs(t, recs, 2, 4)
}
