package bench

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lanjie/lanjie/analytics"
	"github.com/lanjie/lanjie/analytics/analyticstest"
	"github.com/lanjie/lanjie/intercept"
)

// history is the tables the shipper fills (not ship_progress).
var history = []string{"events", "decisions", "orders", "list_changes", "warnings", "audit", "rule_changes"}

func countRows(b *testing.B, st *analytics.Store) (events, total uint64) {
	b.Helper()
	for _, t := range history {
		var n uint64
		if err := st.Conn().QueryRow(context.Background(), "SELECT count() FROM "+t).Scan(&n); err != nil {
			b.Fatalf("count %s: %v", t, err)
		}
		if t == "events" {
			events = n
		}
		total += n
	}
	return events, total
}

// runShipper starts a shipper from j to dsn; stop ends it and waits.
func runShipper(j *analytics.Journal, dsn string) (s *analytics.Shipper, stop func()) {
	s = analytics.NewShipper(j, dsn, quiet())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	return s, func() { cancel(); <-done }
}

// shipRecords is how many decided records BenchmarkShip drains per op.
const shipRecords = 500_000

// BenchmarkShip drains a journal of 500,000 decided records (real engine, starter
// rules, the world's mix) into a fresh database. The clock runs from the shipper's
// start (connect, resume) until ClickHouse holds every record; filling the journal
// and creating the schema are outside it. rows/s counts the rows of every history
// table; events/s the records. Target: 100,000 rows/s. Run with -benchtime 1x.
func BenchmarkShip(b *testing.B) {
	analyticstest.Base(b) // skip before making the records when there is no ClickHouse
	recs := decidedRecords(b, shipRecords)
	ctx := context.Background()
	var shipped, rows uint64
	var bytes int64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		dsn := analyticstest.DSN(b)
		st, err := analytics.Open(ctx, dsn) // creates the schema
		if err != nil {
			b.Fatal(err)
		}
		dir := b.TempDir()
		j, err := analytics.OpenJournal(dir, analytics.JournalOptions{NoSync: true}, quiet())
		if err != nil {
			b.Fatal(err)
		}
		batch := make([]intercept.Record, 0, 1000)
		for i, data := range recs {
			batch = append(batch, intercept.Record{Type: intercept.RecDecided, Data: data})
			bytes += int64(len(data))
			if len(batch) == cap(batch) || i == len(recs)-1 {
				if _, err := j.Append(ctx, batch...); err != nil {
					b.Fatal(err)
				}
				batch = batch[:0]
			}
		}
		last := j.Synced()
		b.StartTimer()

		s, stop := runShipper(j, dsn)
		for s.Status().Shipped < last {
			if st := s.Status(); st.Err != "" {
				b.Fatalf("shipper: %s", st.Err)
			}
			time.Sleep(2 * time.Millisecond)
		}

		b.StopTimer()
		stop()
		events, total := countRows(b, st)
		if events != uint64(len(recs)) {
			b.Fatalf("events holds %d rows, want %d", events, len(recs))
		}
		shipped += events
		rows += total
		st.Close()
		j.Close()
		os.RemoveAll(dir)
	}
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(rows)/secs, "rows/s")
	b.ReportMetric(float64(shipped)/secs, "events/s")
	b.ReportMetric(float64(rows)/float64(shipped), "rows/event")
	b.ReportMetric(float64(bytes)/float64(b.N)/float64(len(recs)), "B/record")
	b.ReportMetric(0, "ns/op")
}

// Pacing of BenchmarkShipLag: 20,000 events/s in batches of 200 every 10 ms.
const (
	lagRate     = 20_000
	lagTick     = 10 * time.Millisecond
	lagDuration = 15 * time.Second
	lagPoll     = 20 * time.Millisecond
)

// ackJournal notes when each append is acknowledged and the seq it ends at.
type ackJournal struct {
	j    *analytics.Journal
	mu   sync.Mutex
	acks []ack
}

type ack struct {
	seq uint64
	at  time.Time
}

func (a *ackJournal) Append(ctx context.Context, recs ...intercept.Record) (uint64, error) {
	seq, err := a.j.Append(ctx, recs...)
	if err == nil && len(recs) > 0 {
		now := time.Now()
		a.mu.Lock()
		a.acks = append(a.acks, ack{seq, now})
		a.mu.Unlock()
	}
	return seq, err
}

// sample is what one poll of ClickHouse saw: the highest seq in events, and in
// ship_progress (every history table complete up to it).
type sample struct {
	at            time.Time
	events, whole uint64
}

// BenchmarkShipLag ingests 20,000 events/s (batches of 200 JSON lines every 10 ms,
// each batch its own goroutine as HTTP requests would be, so a slow batch does not
// slow the offered load) through a Desk with the starter rules, a journal with fsync
// on and a running shipper, for 15 s. For each acknowledged batch it finds the first
// poll (every 20 ms) of ClickHouse that sees the batch's last seq: in events
// (lag-*), and in ship_progress, which the shipper writes once every table holds the
// batch (whole-*). A lag includes up to one poll interval. Target: p99 <= 2 s.
// Run with -benchtime 1x.
func BenchmarkShipLag(b *testing.B) {
	shipLag(b, int(lagRate*lagTick/time.Second))
}

// shipLag is BenchmarkShipLag with per events every lagTick.
func shipLag(b *testing.B, per int) {
	analyticstest.Base(b) // skip before building the world when there is no ClickHouse
	w, _ := benchWorld(b)
	ticks := int(lagDuration / lagTick)
	ctx := context.Background()
	var lags, wholes, ingests []time.Duration
	var decided int
	var inserts, parts uint64
	var wall time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		dsn := analyticstest.DSN(b)
		st, err := analytics.Open(ctx, dsn)
		if err != nil {
			b.Fatal(err)
		}
		worldMu.Lock()
		evs := w.Events(per * ticks)
		worldMu.Unlock()
		lines := make([][]byte, len(evs))
		for i, ev := range evs {
			lines[i] = ev.AppendJSON(nil)
		}
		j, err := analytics.OpenJournal(b.TempDir(), analytics.JournalOptions{}, quiet())
		if err != nil {
			b.Fatal(err)
		}
		aj := &ackJournal{j: j}
		d := newDesk(b, aj)
		s, stopShipper := runShipper(j, dsn)
		for !s.Status().Connected {
			time.Sleep(10 * time.Millisecond)
		}
		b.StartTimer()

		// Poll ClickHouse on a connection of its own.
		var samples []sample
		pollDone, pollExited := make(chan struct{}), make(chan struct{})
		var pollErr error
		go func() {
			defer close(pollExited)
			t := time.NewTicker(lagPoll)
			defer t.Stop()
			for {
				select {
				case <-pollDone:
					return
				case <-t.C:
				}
				var sm sample
				err := st.Conn().QueryRow(ctx, "SELECT (SELECT max(seq) FROM events), (SELECT max(seq) FROM ship_progress)").Scan(&sm.events, &sm.whole)
				if err != nil {
					pollErr = err
					return
				}
				sm.at = time.Now()
				samples = append(samples, sm)
			}
		}()

		var wg sync.WaitGroup
		var mu sync.Mutex
		var failed error
		start := time.Now()
		for k := range ticks {
			time.Sleep(time.Until(start.Add(time.Duration(k) * lagTick)))
			batch := lines[k*per : (k+1)*per]
			wg.Add(1)
			go func() {
				defer wg.Done()
				t0 := time.Now()
				res, err := d.Ingest(ctx, batch)
				el := time.Since(t0)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					failed = err
					return
				}
				for _, r := range res {
					if r.Err() != nil {
						failed = fmt.Errorf("line %d: %w", r.Line, r.Err())
						return
					}
				}
				ingests = append(ingests, el)
				decided += len(res)
			}()
		}
		wg.Wait()
		wall += time.Since(start)
		if failed != nil {
			b.Fatal(failed)
		}
		last := j.Synced()
		deadline := time.Now().Add(2 * time.Minute)
		for s.Status().Shipped < last && time.Now().Before(deadline) {
			time.Sleep(lagPoll)
		}
		time.Sleep(2 * lagPoll) // let the poller see the end
		close(pollDone)
		<-pollExited
		b.StopTimer()
		if pollErr != nil {
			b.Fatalf("poll: %v", pollErr)
		}
		stopShipper()
		var n, p uint64
		if err := st.Conn().QueryRow(ctx, "SELECT count() FROM ship_progress").Scan(&n); err != nil {
			b.Fatal(err)
		}
		inserts += n
		if events, _ := countRows(b, st); events != j.Synced() {
			b.Fatalf("events holds %d rows, the journal %d records", events, j.Synced())
		}
		q := "SELECT count() FROM system.parts WHERE database = ? AND table = 'events' AND active"
		if err := st.Conn().QueryRow(ctx, q, st.Database()).Scan(&p); err != nil {
			b.Fatal(err)
		}
		parts = max(parts, p)
		st.Close()
		j.Close()

		// Match each ack with the first poll after it that sees its seq.
		for _, a := range aj.acks {
			lags = append(lags, firstSeen(samples, a, func(s sample) uint64 { return s.events }))
			wholes = append(wholes, firstSeen(samples, a, func(s sample) uint64 { return s.whole }))
		}
	}
	pct := func(ds []time.Duration, p float64) float64 {
		if len(ds) == 0 {
			return -1
		}
		slices.Sort(ds)
		return float64(ds[min(int(p*float64(len(ds))), len(ds)-1)]) / 1e6
	}
	b.ReportMetric(pct(lags, 0.50), "lag-p50-ms")
	b.ReportMetric(pct(lags, 0.99), "lag-p99-ms")
	b.ReportMetric(pct(lags, 1), "lag-max-ms")
	b.ReportMetric(pct(wholes, 0.50), "whole-p50-ms")
	b.ReportMetric(pct(wholes, 0.99), "whole-p99-ms")
	b.ReportMetric(pct(wholes, 1), "whole-max-ms")
	b.ReportMetric(pct(ingests, 0.50), "ack-p50-ms")
	b.ReportMetric(pct(ingests, 0.99), "ack-p99-ms")
	b.ReportMetric(float64(decided)/wall.Seconds(), "events/s")
	b.ReportMetric(float64(inserts)/wall.Seconds(), "batches/s")
	b.ReportMetric(float64(parts), "events-parts")
	b.ReportMetric(0, "ns/op")
}

// firstSeen is how long after a its seq showed in the samples (by seen); a very
// large duration if it never did.
func firstSeen(samples []sample, a ack, seen func(sample) uint64) time.Duration {
	for _, s := range samples {
		if !s.at.Before(a.at) && seen(s) >= a.seq {
			return s.at.Sub(a.at)
		}
	}
	return time.Hour
}
