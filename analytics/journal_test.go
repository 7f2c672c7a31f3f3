package analytics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/lanjie/lanjie/intercept"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openJ(t *testing.T, dir string, opts JournalOptions) *Journal {
	t.Helper()
	j, err := OpenJournal(dir, opts, quiet())
	if err != nil {
		t.Fatalf("open journal: %v", err)
	}
	return j
}

// closedJournal makes a journal of n records and closes it; it returns the journal's
// directory and the path of its last segment.
func closedJournal(t *testing.T, n int) (dir, last string) {
	t.Helper()
	dir = t.TempDir()
	j := openJ(t, dir, JournalOptions{})
	for i := range n {
		if _, err := j.Append(context.Background(), rec(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	segs, _ := j.segments()
	return dir, segs[len(segs)-1].path
}

func rec(i int) Record {
	return Record{Type: intercept.RecAudit, Data: fmt.Appendf(nil, `{"n":%d}`, i)}
}

func readAll(t *testing.T, j *Journal, from uint64) []Record {
	t.Helper()
	var out []Record
	if err := j.Replay(context.Background(), from, func(r Record) error { out = append(out, r); return nil }); err != nil {
		t.Fatalf("replay: %v", err)
	}
	return out
}

func checkSeqs(t *testing.T, recs []Record, first, last uint64) {
	t.Helper()
	if len(recs) != int(last-first+1) {
		t.Fatalf("got %d records, want %d (%d..%d)", len(recs), last-first+1, first, last)
	}
	for i, r := range recs {
		if r.Seq != first+uint64(i) {
			t.Fatalf("record %d has seq %d, want %d", i, r.Seq, first+uint64(i))
		}
	}
}

func TestJournalConcurrentAppendsAllDurableInOrder(t *testing.T) {
	dir := t.TempDir()
	j := openJ(t, dir, JournalOptions{SegmentBytes: 4096}) // many rotations
	var wg sync.WaitGroup
	var mu sync.Mutex
	acked := map[uint64]string{}
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				r := rec(w*1000 + i)
				seq, err := j.Append(context.Background(), r)
				if err != nil {
					t.Errorf("append: %v", err)
					return
				}
				mu.Lock()
				acked[seq] = string(r.Data)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	st := j.Stats()
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j = openJ(t, dir, JournalOptions{SegmentBytes: 4096})
	defer j.Close()
	recs := readAll(t, j, 1)
	checkSeqs(t, recs, 1, 1600)
	// 1600 appends from 8 writers, group-committed: at least 200 commits (a writer
	// waits for each of its own), at most one per append; every byte of the records.
	var size int
	for _, r := range recs {
		size += frameHeader + len(r.Data)
	}
	if st.Commits < 200 || st.Commits > 1600 || st.Bytes != uint64(size) || st.Time <= 0 {
		t.Errorf("stats %+v; want 200 to 1600 commits of the records' %d bytes, taking some time", st, size)
	}
	for _, r := range recs {
		if acked[r.Seq] != string(r.Data) {
			t.Fatalf("seq %d holds %s, acknowledged %s", r.Seq, r.Data, acked[r.Seq])
		}
	}
	if segs, _ := j.segments(); len(segs) < 10 {
		t.Errorf("only %d segments: rotation did not happen", len(segs))
	}
	// Appends go on after reopening, numbered on.
	seq, err := j.Append(context.Background(), rec(1))
	if err != nil || seq != 1601 {
		t.Errorf("append after reopen: seq %d, %v; want 1601", seq, err)
	}
}

func TestJournalTornTailIsCutAndLogged(t *testing.T) {
	for _, tc := range []struct {
		name string
		harm func(t *testing.T, path string)
	}{
		{"half a frame", func(t *testing.T, path string) {
			appendBytes(t, path, appendFrame(nil, Record{Seq: 11, Type: intercept.RecAudit, Data: []byte("torn")})[:20])
		}},
		{"garbage", func(t *testing.T, path string) { appendBytes(t, path, []byte("\xff\xff\xff\x7fgarbage")) }},
		{"bad checksum", func(t *testing.T, path string) {
			f := appendFrame(nil, Record{Seq: 11, Type: intercept.RecAudit, Data: []byte(`{"x":1}`)})
			f[len(f)-1] ^= 1
			appendBytes(t, path, f)
		}},
		{"wrong seq", func(t *testing.T, path string) {
			appendBytes(t, path, appendFrame(nil, Record{Seq: 99, Type: intercept.RecAudit, Data: []byte(`{}`)}))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, path := closedJournal(t, 10)
			before, _ := os.Stat(path)
			tc.harm(t, path)

			var logged sync.Map
			log := slog.New(recordingHandler{&logged})
			j2, err := OpenJournal(dir, JournalOptions{}, log)
			if err != nil {
				t.Fatalf("reopen after a torn tail: %v", err)
			}
			defer j2.Close()
			if _, ok := logged.Load("journal_tail_truncated"); !ok {
				t.Error("the cut was not logged")
			}
			after, _ := os.Stat(path)
			if after.Size() != before.Size() {
				t.Errorf("segment is %d bytes after recovery, want %d", after.Size(), before.Size())
			}
			checkSeqs(t, readAll(t, j2, 1), 1, 10)
			if seq, err := j2.Append(context.Background(), rec(10)); err != nil || seq != 11 {
				t.Errorf("append after recovery: %d, %v", seq, err)
			}
		})
	}
}

func TestJournalCorruptionBeforeTheTailIsAnError(t *testing.T) {
	dir := t.TempDir()
	j := openJ(t, dir, JournalOptions{SegmentBytes: 200})
	for i := range 20 {
		if _, err := j.Append(context.Background(), rec(i)); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	segs, _ := j.segments()
	if len(segs) < 3 {
		t.Fatalf("want several segments, got %d", len(segs))
	}
	data, _ := os.ReadFile(segs[0].path)
	data[frameHeader+2] ^= 0xff
	os.WriteFile(segs[0].path, data, 0o644)
	if _, err := OpenJournal(dir, JournalOptions{}, quiet()); err == nil {
		t.Fatal("opened a journal with a corrupt acknowledged record in its middle")
	}
}

func TestJournalWriteFailureIsStickyAndRefusesWork(t *testing.T) {
	j := openJ(t, t.TempDir(), JournalOptions{})
	if _, err := j.Append(context.Background(), rec(1)); err != nil {
		t.Fatal(err)
	}
	j.f.Close() // the disk goes away under the journal
	if _, err := j.Append(context.Background(), rec(2)); !errors.Is(err, ErrJournal) {
		t.Fatalf("append on a failed disk: %v, want ErrJournal", err)
	}
	if _, err := j.Append(context.Background(), rec(3)); !errors.Is(err, ErrJournal) {
		t.Fatalf("append after a failure: %v, want ErrJournal", err)
	}
	if j.Err() == nil || j.Synced() != 1 {
		t.Errorf("Err %v, Synced %d; want an error and 1", j.Err(), j.Synced())
	}
}

// failingSync makes the journal's next fsync wait for release, then fail with the
// error it is sent; later ones succeed. started says the fsync has begun.
func failingSync(j *Journal) (started chan struct{}, release chan error) {
	started, release = make(chan struct{}), make(chan error)
	var once sync.Once
	j.sync = func(f *os.File) error {
		var err error
		once.Do(func() {
			close(started)
			err = <-release
		})
		if err != nil {
			return err
		}
		return datasync(f)
	}
	return started, release
}

func TestJournalFailedFsyncLeavesNothingToReplay(t *testing.T) {
	for _, prepared := range []bool{false, true} {
		t.Run(fmt.Sprintf("prepared=%v", prepared), func(t *testing.T) {
			dir := t.TempDir()
			j := openJ(t, dir, JournalOptions{SegmentBytes: 4096})
			j.free = func(string) int64 { return 1 << 40 } // room to prepare, whatever the disk has
			n := 1
			if prepared {
				n = 200 // past half the segment: the next one is prepared, then written into
			}
			for i := 1; i <= n; i++ {
				if _, err := j.Append(context.Background(), rec(i)); err != nil {
					t.Fatal(err)
				}
			}
			if segs, _ := j.segments(); prepared {
				if st, err := os.Stat(segs[len(segs)-1].path); err != nil || len(segs) < 2 || st.Size() != 4096 {
					t.Fatalf("%d segments, the last %v (%v): want appends into a prepared one", len(segs), st, err)
				}
			}
			started, release := failingSync(j)
			failed := make(chan error, 2)
			go func() { _, err := j.Append(context.Background(), rec(n+1)); failed <- err }()
			<-started
			// A second append while the first one's fsync runs: it joins the next batch.
			go func() { _, err := j.Append(context.Background(), rec(n+2)); failed <- err }()
			for queued := false; !queued; {
				j.mu.Lock()
				queued = j.batch != nil
				j.mu.Unlock()
			}
			release <- errors.New("EIO")
			for range 2 {
				if err := <-failed; !errors.Is(err, ErrJournal) {
					t.Fatalf("append around a failed fsync: %v, want ErrJournal", err)
				}
			}
			if _, err := j.Append(context.Background(), rec(0)); !errors.Is(err, ErrJournal) {
				t.Fatalf("append after a failed fsync: %v, want ErrJournal", err)
			}
			j.Close()

			j = openJ(t, dir, JournalOptions{SegmentBytes: 4096})
			defer j.Close()
			checkSeqs(t, readAll(t, j, 1), 1, uint64(n)) // the refused records did not come back
			if seq, err := j.Append(context.Background(), rec(n+1)); err != nil || seq != uint64(n+1) {
				t.Fatalf("append after reopening: seq %d, %v; want %d", seq, err, n+1)
			}
		})
	}
}

func TestJournalBatchWrittenBeforeARotationFailureIsKept(t *testing.T) {
	dir := t.TempDir()
	j := openJ(t, dir, JournalOptions{SegmentBytes: 300, NoSync: true})
	var blocked []string
	for i := 2; i <= 101; i++ { // no new segment can be made: directories hold their names
		p := filepath.Join(dir, segmentName(uint64(i)))
		if err := os.Mkdir(p, 0o755); err != nil {
			t.Fatal(err)
		}
		blocked = append(blocked, p)
	}
	var acked uint64
	var err error
	for i := 1; err == nil; i++ {
		var seq uint64
		if seq, err = j.Append(context.Background(), rec(i)); err == nil {
			acked = seq
		}
		if i > 100 {
			t.Fatal("100 appends into a 300-byte segment never needed a new one")
		}
	}
	if !errors.Is(err, ErrJournal) || j.Err() == nil {
		t.Fatalf("append after the failed rotation: %v (journal: %v), want ErrJournal", err, j.Err())
	}
	if err := j.Close(); err != nil {
		t.Errorf("close after the failed rotation: %v", err) // the journal had no segment open
	}
	for _, p := range blocked {
		os.Remove(p)
	}
	j = openJ(t, dir, JournalOptions{SegmentBytes: 300, NoSync: true})
	defer j.Close()
	// The append that filled the segment was written before the rotation failed: it
	// is acknowledged, as every record read back is.
	checkSeqs(t, readAll(t, j, 1), 1, acked)
}

func TestJournalCursorFollowsAppendsAcrossSegmentsAndTrim(t *testing.T) {
	j := openJ(t, t.TempDir(), JournalOptions{SegmentBytes: 300})
	defer j.Close()
	c, _ := j.Cursor(1)
	defer c.Close()
	var got []Record
	for round := range 5 {
		for i := range 7 {
			if _, err := j.Append(context.Background(), rec(round*10+i)); err != nil {
				t.Fatal(err)
			}
		}
		for {
			recs, err := c.Next(3)
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) == 0 {
				break
			}
			got = append(got, recs...)
		}
	}
	checkSeqs(t, got, 1, 35)
	n, err := j.Trim(20)
	if err != nil || n == 0 {
		t.Fatalf("trim: removed %d, %v", n, err)
	}
	recs := readAll(t, j, 1)
	if recs[0].Seq > 21 || recs[len(recs)-1].Seq != 35 {
		t.Errorf("after trim the journal holds %d..%d; want everything after 20 kept", recs[0].Seq, recs[len(recs)-1].Seq)
	}
	if _, err := j.Trim(1000); err != nil {
		t.Fatal(err)
	}
	if segs, _ := j.segments(); len(segs) != 1 {
		t.Errorf("trim removed the segment being written: %d left", len(segs))
	}
}

func appendBytes(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
}

// recordingHandler remembers the messages logged.
type recordingHandler struct{ seen *sync.Map }

func (h recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.seen.Store(r.Message, true)
	return nil
}
func (h recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h recordingHandler) WithGroup(string) slog.Handler      { return h }

// After a trim that leaves only a freshly rotated, empty segment, numbering goes on
// from that segment's name, not from 1.
func TestJournalReopenAfterTrimKeepsNumbering(t *testing.T) {
	dir := t.TempDir()
	j := openJ(t, dir, JournalOptions{SegmentBytes: 200})
	var last uint64
	for i := 0; ; i++ { // until a rotation leaves an empty newest segment
		seq, err := j.Append(context.Background(), rec(i))
		if err != nil {
			t.Fatal(err)
		}
		last = seq
		if segs, _ := j.segments(); segs[len(segs)-1].first == last+1 {
			break
		}
		if i > 100 {
			t.Fatal("no rotation")
		}
	}
	if _, err := j.Trim(last); err != nil {
		t.Fatal(err)
	}
	j.Close()
	segs, _ := j.segments()
	if len(segs) != 1 || segs[0].first != last+1 {
		t.Fatalf("after trim: %+v, want one segment starting at %d", segs, last+1)
	}
	j = openJ(t, dir, JournalOptions{SegmentBytes: 200})
	seq, err := j.Append(context.Background(), rec(99))
	if err != nil || seq != last+1 {
		t.Fatalf("append after reopen: seq %d, %v; want %d", seq, err, last+1)
	}
	j.Close()
	j = openJ(t, dir, JournalOptions{SegmentBytes: 200})
	defer j.Close()
	checkSeqs(t, readAll(t, j, 1), last+1, last+1)
}
