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
	if j.zeroed != segBytes {
		t.Errorf("the last segment was not a prepared one (zeroed %d)", j.zeroed)
	}
	segs, _ := j.segments()
	for _, s := range segs {
		b, err := os.ReadFile(s.path)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.HasSuffix(b, make([]byte, frameHeader)) {
			t.Errorf("%s: %d bytes ending in zeros: not cut to what it holds", filepath.Base(s.path), len(b))
		}
	}
	j = openJ(t, dir, JournalOptions{SegmentBytes: segBytes})
	defer j.Close()
	if _, err := os.Stat(filepath.Join(dir, preparedName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a prepared segment left over from before the restart is still there: %v", err)
	}
	checkSeqs(t, readAll(t, j, 1), 1, uint64(n+1))
}

// A crash while writing into a prepared segment leaves its zeros after the last
// record: the journal opens at that record, quietly (nothing was lost), and goes on.
func TestJournalZerosAfterACrashAreTheEnd(t *testing.T) {
	dir := t.TempDir()
	j := openJ(t, dir, JournalOptions{})
	for i := range 10 {
		if _, err := j.Append(context.Background(), rec(i)); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	segs, _ := j.segments()
	path := segs[len(segs)-1].path
	before, _ := os.Stat(path)
	appendBytes(t, path, make([]byte, 64<<10))

	var logged sync.Map
	j2, err := OpenJournal(dir, JournalOptions{}, slog.New(recordingHandler{&logged}))
	if err != nil {
		t.Fatal(err)
	}
	defer j2.Close()
	if _, ok := logged.Load("journal_tail_truncated"); ok {
		t.Error("zeros after the last record were logged as a torn tail")
	}
	if after, _ := os.Stat(path); after.Size() != before.Size() {
		t.Errorf("segment is %d bytes after reopening, want %d", after.Size(), before.Size())
	}
	if seq, err := j2.Append(context.Background(), rec(10)); err != nil || seq != 11 {
		t.Fatalf("append after reopening: %d, %v", seq, err)
	}
	checkSeqs(t, readAll(t, j2, 1), 1, 11)
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
	j.zeroed = st.Size() + 64<<10
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
