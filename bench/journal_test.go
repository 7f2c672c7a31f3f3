package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/lanjie/lanjie/analytics"
	"github.com/lanjie/lanjie/intercept"
	it "github.com/lanjie/lanjie/intercept/intercepttest"
	"github.com/lanjie/lanjie/rules"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// The journal and shipper benchmarks' world: 100k listed numbers, 100k listed
// accounts, 100k customers, the starter rules. Built once per process; its events
// are generated in order by one goroutine at a time (World is not concurrent).
var (
	worldOnce  sync.Once
	worldErr   error
	benchW     *it.World
	benchL     *intercept.Lists
	worldMu    sync.Mutex // guards benchW.Events and the decided-record cache
	decidedBuf [][]byte   // DecidedRecord JSON, as Desk journals it
	decidedCap *captureJournal
	decidedDsk *intercept.Desk
)

func benchWorld(b *testing.B) (*it.World, *intercept.Lists) {
	b.Helper()
	worldOnce.Do(func() {
		benchL = intercept.NewLists()
		benchW, worldErr = it.NewWorld(benchL, 100_000, 100_000, 100_000, 3)
	})
	if worldErr != nil {
		b.Fatalf("world: %v", worldErr)
	}
	return benchW, benchL
}

// newDesk returns a desk with the starter rules over the world's lists, journaling
// to j. Its engine is closed when b ends.
func newDesk(b *testing.B, j intercept.Journal) *intercept.Desk {
	b.Helper()
	_, lists := benchWorld(b)
	e, err := intercept.New(intercept.DefaultSettings(), lists, nil, quiet())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(e.Close)
	set, err := rules.NewSet(rules.Starter())
	if err != nil {
		b.Fatal(err)
	}
	e.SetEvaluator(set)
	return intercept.NewDesk(e, j, intercept.Decoder{}, quiet())
}

// captureJournal keeps what a desk appends, in memory.
type captureJournal struct {
	mu   sync.Mutex
	data [][]byte
}

func (c *captureJournal) Append(_ context.Context, recs ...intercept.Record) (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range recs {
		c.data = append(c.data, slices.Clone(r.Data)) // Append's callers reuse Data
	}
	return uint64(len(c.data)), nil
}

// decidedRecords returns n decided records (DecidedRecord JSON, as Desk.Decide
// journals them) made by a real engine with the starter rules over the world's
// event mix. They are made once and reused; later calls asking for more extend them.
func decidedRecords(b *testing.B, n int) [][]byte {
	b.Helper()
	w, _ := benchWorld(b)
	worldMu.Lock()
	defer worldMu.Unlock()
	if decidedDsk == nil {
		decidedCap = &captureJournal{}
		e, err := intercept.New(intercept.DefaultSettings(), benchL, nil, quiet())
		if err != nil {
			b.Fatal(err)
		}
		set, err := rules.NewSet(rules.Starter())
		if err != nil {
			b.Fatal(err)
		}
		e.SetEvaluator(set)
		// Lives as long as the process: the cache outlives any one benchmark.
		decidedDsk = intercept.NewDesk(e, decidedCap, intercept.Decoder{}, quiet())
	}
	ctx := context.Background()
	for len(decidedCap.data) < n {
		for _, ev := range w.Events(min(n-len(decidedCap.data), 10_000)) {
			if _, err := decidedDsk.Decide(ctx, ev); err != nil {
				b.Fatal(err)
			}
		}
	}
	decidedBuf = decidedCap.data
	return decidedBuf[:n]
}

func meanLen(recs [][]byte) float64 {
	total := 0
	for _, r := range recs {
		total += len(r)
	}
	return float64(total) / float64(len(recs))
}

// flushCounter counts the journal's group commits (one write and one fsync each) by
// watching WaitSynced. Two commits closer together than the watcher can rearm would
// count as one, so the figure can only be low.
func flushCounter(j *analytics.Journal) (count func() int64, stop func()) {
	var n atomic.Int64
	done := make(chan struct{})
	exited := make(chan struct{})
	ch := j.WaitSynced() // armed before the first append
	go func() {
		defer close(exited)
		for {
			select {
			case <-ch:
				n.Add(1)
			case <-done:
				return
			}
			ch = j.WaitSynced()
		}
	}()
	return n.Load, func() { close(done); <-exited }
}

// BenchmarkJournalAppend is the journal's group commit with fsync on: appenders in
// parallel (as many as the name says: SetParallelism × GOMAXPROCS), each appending
// batches of real decided records (an event and its decision), one record as Decide
// does or 100 as an HTTP batch does. rec=mix is the world's mix (mostly green
// decisions, about 380 bytes); rec=hits keeps the records of 500 to 750 bytes (an
// event with a rule or two matched and actions, about 600). One op is one Append; the
// figure to read is records/s. Target: 200,000 records/s.
func BenchmarkJournalAppend(b *testing.B) {
	mix := decidedRecords(b, 50_000)
	var hits [][]byte
	for _, r := range mix {
		if len(r) >= 500 && len(r) <= 750 {
			hits = append(hits, r)
		}
	}
	for _, rec := range []struct {
		name     string
		payloads [][]byte
	}{{"mix", mix}, {"hits", hits}} {
		for _, batch := range []int{1, 100} {
			for _, appenders := range []int{16, 64, 256} {
				procs := runtime.GOMAXPROCS(0)
				par := max((appenders+procs-1)/procs, 1)
				name := fmt.Sprintf("rec=%s/batch=%d/appenders=%d", rec.name, batch, par*procs)
				b.Run(name, func(b *testing.B) { benchAppend(b, rec.payloads, batch, par) })
			}
		}
	}
}

func benchAppend(b *testing.B, payloads [][]byte, batch, par int) {
	avg := meanLen(payloads)
	j, err := analytics.OpenJournal(b.TempDir(), analytics.JournalOptions{}, quiet())
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	flushes, stop := flushCounter(j)
	defer stop()
	var next atomic.Uint64
	ctx := context.Background()
	b.SetParallelism(par)
	b.SetBytes(int64(avg * float64(batch)))
	b.ReportAllocs()
	b.ResetTimer()
	start := flushes()
	b.RunParallel(func(pb *testing.PB) {
		recs := make([]intercept.Record, batch)
		for pb.Next() {
			k := int(next.Add(uint64(batch)))
			for i := range recs {
				recs[i] = intercept.Record{Type: intercept.RecDecided, Data: payloads[(k+i)%len(payloads)]}
			}
			if _, err := j.Append(ctx, recs...); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	secs := b.Elapsed().Seconds()
	commits := float64(flushes() - start)
	records := float64(b.N * batch)
	b.ReportMetric(records/secs, "records/s")
	b.ReportMetric(commits/secs, "fsyncs/s")
	if commits > 0 {
		b.ReportMetric(records/commits, "records/fsync")
	}
	b.ReportMetric(avg, "B/record")
}
