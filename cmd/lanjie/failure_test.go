package main

// Failure tests (issue 3): the durability promises of DESIGN.md ("Durability and
// history") checked against the real binary. A SIGKILL at any moment loses nothing
// that was acknowledged and ships nothing twice; a ClickHouse outage neither stalls
// interception nor loses or duplicates history once ClickHouse is back.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lanjie/lanjie/analytics/analyticstest"
)

// lanjieRun is one test's children: every start of lanjie on the same data dir, with a log
// file each, shown when the test fails.
type lanjieRun struct {
	t       *testing.T
	bin     string
	args    []string
	logDir  string
	logs    []string
	serving []time.Duration // exec to serving, per start
}

func newRun(t *testing.T, args ...string) *lanjieRun {
	r := &lanjieRun{t: t, bin: lanjieBinary(t), args: args, logDir: t.TempDir()}
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for _, p := range r.logs[max(len(r.logs)-2, 0):] {
			t.Logf("log of %s (tail):\n%s", filepath.Base(p), tailFile(p, 40))
		}
	})
	return r
}

// start starts lanjie and waits until it serves.
func (r *lanjieRun) start(ctx context.Context) *lanjieChild {
	r.t.Helper()
	p := filepath.Join(r.logDir, fmt.Sprintf("lanjie-%02d.log", len(r.logs)))
	r.logs = append(r.logs, p)
	sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	c, err := startChild(sctx, r.t, r.bin, p, r.args...)
	if err != nil {
		r.t.Fatal(err)
	}
	r.serving = append(r.serving, c.serving)
	return c
}

// checkLogs fails on log lines that mean history was lost, and reports the errors.
func (r *lanjieRun) checkLogs() {
	r.t.Helper()
	if n, lines := grepLogs(r.logs, "shipper_bad_record", 5); n > 0 {
		r.t.Errorf("%d journal records could not be shipped:\n%s", n, strings.Join(lines, "\n"))
	}
	if n, lines := grepLogs(r.logs, "level=ERROR", 10); n > 0 {
		r.t.Logf("%d error lines in the logs, first ones:\n%s", n, strings.Join(lines, "\n"))
	}
}

// startClient runs c until the returned stop is called; stop returns run's error.
func startClient(ctx context.Context, t *testing.T, c *feedClient) (done <-chan struct{}, stop func() error) {
	cctx, cancel := context.WithCancel(ctx)
	ch := make(chan struct{})
	var err error
	go func() {
		defer close(ch)
		err = c.run(cctx)
	}()
	stop = func() error {
		cancel()
		<-ch
		return err
	}
	t.Cleanup(func() { stop() })
	return ch, stop
}

func TestCrashLosesNothingAcknowledged(t *testing.T) {
	dsn := analyticstest.DSN(t)
	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// Snapshots every second, so that kills also land on snapshot writes and restarts
	// load a snapshot and replay the journal over it.
	r := newRun(t, "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--clickhouse", dsn, "--snapshot-every", "1s")

	ep := newEndpoint()
	c := r.start(ctx)
	ep.set(c.base)
	cl := newFeedClient(ep, newSynthFeed("crash-"))
	cl.key = feedKey(t, c.base)
	clientDone, stopClient := startClient(ctx, t, cl)

	// Kill at random moments (200 ms to 2 s after the child serves), restarting on the
	// same data dir each time; the client goes on retrying whatever was not
	// acknowledged.
	const kills = 10
	ackedPerLife := make([]int, 0, kills+1)
	for range kills {
		delay := 200*time.Millisecond + rand.N(1800*time.Millisecond)
		before := cl.ackCount()
		select {
		case <-time.After(delay):
		case <-clientDone:
			t.Fatalf("client stopped: %v", stopClient())
		case <-c.done:
			t.Fatalf("lanjie exited on its own (%v); its log:\n%s", c.waitErr, tailFile(c.logPath, 30))
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		}
		ep.clear()
		c.kill()
		ackedPerLife = append(ackedPerLife, cl.ackCount()-before)
		c = r.start(ctx)
		ep.set(c.base)
	}

	// The last child must take work too, then drain everything to ClickHouse.
	last := cl.ackCount()
	pctx, pcancel := context.WithTimeout(ctx, 30*time.Second)
	for cl.ackCount() <= last && pctx.Err() == nil {
		select {
		case <-pctx.Done():
		case <-clientDone:
			t.Fatalf("client stopped: %v", stopClient())
		case <-time.After(20 * time.Millisecond):
		}
	}
	pcancel()
	if cl.ackCount() <= last {
		st := cl.state()
		t.Fatalf("nothing acknowledged in 30 s after the last restart; %d posts, %d failures, first: %.200s", st.posts, st.failures, st.firstErr)
	}
	if err := stopClient(); err != nil {
		t.Fatalf("client: %v", err)
	}
	ackedPerLife = append(ackedPerLife, cl.ackCount()-last)
	drainStart := time.Now()
	dctx, dcancel := context.WithTimeout(ctx, 60*time.Second)
	final, err := waitReady(dctx, c.base, func(r readiness) bool { return r.Connected && r.Behind == 0 && r.Shipped == r.JournalSeq })
	dcancel()
	if err != nil {
		t.Fatalf("the last lanjie did not drain to ClickHouse: %v", err)
	}
	drained := time.Since(drainStart)

	st := cl.state()
	hc := checkHistory(ctx, t, openHistory(t, dsn), st)
	r.checkLogs()
	truncated, _ := grepLogs(r.logs, "journal_tail_truncated", 0)
	snaps, _ := grepLogs(r.logs, "msg=snapshot_written", 0)
	_, restored := grepLogs(r.logs[len(r.logs)-1:], "msg=restored", 1)
	t.Logf("kills %d; acknowledged %d of %d posted events (per life %v); %d posts, %d not acknowledged (first: %.120s); %d lines answered as seen before",
		kills, len(st.acked), len(st.posted), ackedPerLife, st.posts, st.failures, st.firstErr, st.duplicates)
	t.Logf("history: events %d, decisions %d, orders %d, warnings %d rows; journal seq %d; torn tails cut on restart %d",
		hc.events, hc.decisions, hc.orders, hc.warnings, final.JournalSeq, truncated)
	t.Logf("snapshots written %d; last start: %s", snaps, strings.Join(restored, ""))
	t.Logf("starts served after %v; final drain %s; test %s",
		roundAll(r.serving), drained.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
}

func TestClickHouseOutageLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: this test stops its own ClickHouse for 30 s")
	}
	if os.Getenv("LANJIE_CLICKHOUSE_TEST_REQUIRED") != "1" && os.Getenv("LANJIE_FAILURE_TESTS") != "1" {
		t.Skip("stops and restarts a ClickHouse of its own (127.0.0.1:19100, var/clickhouse-outage) for 30 s: " +
			"set LANJIE_FAILURE_TESTS=1 or LANJIE_CLICKHOUSE_TEST_REQUIRED=1 to run it")
	}
	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	lanjieBinary(t) // build before the ClickHouse starts, not during the outage

	// Never the shared ClickHouse: this one is stopped in the middle of the test.
	ch := newLocalClickHouse(t, 19100, 18200, "var/clickhouse-outage")
	if err := startClickHouse(ctx, ch); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer scancel()
		if err := ch.stop(sctx); err != nil {
			t.Errorf("stop the outage ClickHouse: %v", err)
		}
	})
	dsn := analyticstest.FreshDatabase(t, ch.dsn())
	t.Cleanup(func() {
		// Cleanups run last first: have it up again to drop the database, then stop it.
		sctx, scancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer scancel()
		if err := startClickHouse(sctx, ch); err != nil {
			t.Errorf("restart the outage ClickHouse for cleanup: %v", err)
		}
	})
	chReady := time.Since(began)

	r := newRun(t, "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--clickhouse", dsn)
	c := r.start(ctx)
	ep := newEndpoint()
	ep.set(c.base)
	// A steady feed rather than a flood: on a small machine a flood outruns the shipper
	// and the drain would measure CPU, not the outage.
	cl := newFeedClient(ep, newSynthFeed("outage-"))
	cl.key = feedKey(t, c.base)
	cl.rate = 5000
	clientDone, stopClient := startClient(ctx, t, cl)

	// Shipping works before the outage.
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	if _, err := waitReady(wctx, c.base, func(r readiness) bool { return r.Connected && r.Shipped > 0 }); err != nil {
		t.Fatalf("lanjie never shipped to ClickHouse: %v", err)
	}
	wcancel()
	select {
	case <-time.After(3 * time.Second): // a few seconds of steady shipping
	case <-clientDone:
		t.Fatalf("client stopped: %v", stopClient())
	}

	// The outage: ClickHouse stops, ingestion goes on for 30 s.
	outageStart := time.Now()
	if err := ch.stop(ctx); err != nil {
		t.Fatal(err)
	}
	stopTook := time.Since(outageStart)
	var samples []readiness
	tick := time.NewTicker(time.Second)
	end := time.After(30 * time.Second)
outage:
	for {
		select {
		case <-tick.C:
			rd, err := getReadyz(ctx, c.base)
			if err != nil {
				t.Errorf("/readyz during the outage: %v", err)
				continue
			}
			if rd.Status != 200 || !rd.OK {
				t.Errorf("/readyz during the outage: status %d, ok %v: the console must stay ready", rd.Status, rd.OK)
			}
			samples = append(samples, rd)
		case <-end:
			break outage
		case <-clientDone:
			t.Fatalf("client stopped during the outage: %v", stopClient())
		case <-c.done:
			t.Fatalf("lanjie exited during the outage (%v)", c.waitErr)
		}
	}
	tick.Stop()
	restartStart := time.Now()
	if err := startClickHouse(ctx, ch); err != nil {
		t.Fatal(err)
	}
	restartTook := time.Since(restartStart)
	checkBacklogGrew(t, samples)

	// Ingestion never stalled: every second of the outage (from the stop on) has
	// acknowledgements.
	slices := ackSlices(cl.state().marks, outageStart, restartStart)
	for i, n := range slices {
		if n == 0 {
			t.Errorf("no event acknowledged in second %d of the outage (%d s in all): ingestion stalled", i, len(slices))
		}
	}

	// The backlog drains while ingestion goes on, then everything is shipped once.
	at, err := getReadyz(ctx, c.base)
	if err != nil {
		t.Fatal(err)
	}
	drainStart := time.Now()
	dctx, dcancel := context.WithTimeout(ctx, 60*time.Second)
	defer dcancel()
	if _, err := waitReady(dctx, c.base, func(r readiness) bool { return r.Connected && r.Shipped >= at.JournalSeq }); err != nil {
		t.Fatalf("backlog of %d records not drained within 60 s of ClickHouse's return: %v", at.Behind, err)
	}
	drained := time.Since(drainStart)
	if err := stopClient(); err != nil {
		t.Fatalf("client: %v", err)
	}
	fctx, fcancel := context.WithTimeout(ctx, 30*time.Second)
	defer fcancel()
	final, err := waitReady(fctx, c.base, func(r readiness) bool { return r.Connected && r.Behind == 0 && r.Shipped == r.JournalSeq })
	if err != nil {
		t.Fatalf("lanjie did not catch up after ingestion stopped: %v", err)
	}
	st := cl.state()
	hc := checkHistory(ctx, t, openHistory(t, dsn), st)
	r.checkLogs()

	lo, hi := minMax(slices)
	t.Logf("ClickHouse up in %s, stopped in %s, back in %s; outage %d s with %d to %d events acknowledged per second",
		chReady.Round(time.Millisecond), stopTook.Round(time.Millisecond), restartTook.Round(time.Millisecond), len(slices), lo, hi)
	if len(samples) > 0 {
		t.Logf("/readyz over the outage: behind %d → %d, connected %v → %v, all 200",
			samples[0].Behind, samples[len(samples)-1].Behind, samples[0].Connected, samples[len(samples)-1].Connected)
	}
	t.Logf("backlog of %d records drained in %s; acknowledged %d of %d posted (%d posts, %d not acknowledged, first: %.120s)",
		at.Behind, drained.Round(time.Millisecond), len(st.acked), len(st.posted), st.posts, st.failures, st.firstErr)
	t.Logf("history: events %d, decisions %d, orders %d, warnings %d rows; journal seq %d; test %s",
		hc.events, hc.decisions, hc.orders, hc.warnings, final.JournalSeq, time.Since(began).Round(time.Millisecond))
}

// startClickHouse starts ch, with a bounded wait.
func startClickHouse(ctx context.Context, ch *localClickHouse) error {
	sctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	return ch.start(sctx)
}

// checkBacklogGrew checks /readyz during the outage: the shipper is seen
// disconnected, stays so, ships nothing more, and the backlog grows.
func checkBacklogGrew(t *testing.T, samples []readiness) {
	t.Helper()
	down := -1
	for i, s := range samples {
		if !s.Connected {
			down = i
			break
		}
	}
	if down < 0 {
		t.Errorf("/readyz never showed clickhouse.connected false during a 30 s outage (%d samples)", len(samples))
		return
	}
	if down > 15 {
		t.Errorf("/readyz showed clickhouse.connected false only %d s into the outage", down)
	}
	first := samples[down]
	for _, s := range samples[down+1:] {
		if s.Connected {
			t.Errorf("/readyz shows clickhouse.connected true again while ClickHouse is down: %+v", s)
		}
		if s.Shipped != first.Shipped {
			t.Errorf("shipped_seq moved from %d to %d while ClickHouse is down", first.Shipped, s.Shipped)
		}
	}
	last := samples[len(samples)-1]
	if last.Behind == 0 || last.Behind <= first.Behind {
		t.Errorf("backlog did not grow during the outage: behind %d when first down, %d at the end", first.Behind, last.Behind)
	}
}

// ackSlices counts acknowledged events per whole second from from to to.
func ackSlices(marks []ackMark, from, to time.Time) []int {
	n := int(to.Sub(from) / time.Second)
	out := make([]int, n)
	for _, m := range marks {
		if m.at.Before(from) {
			continue
		}
		if i := int(m.at.Sub(from) / time.Second); i < n {
			out[i] += m.n
		}
	}
	return out
}

func minMax(xs []int) (lo, hi int) {
	for i, x := range xs {
		if i == 0 || x < lo {
			lo = x
		}
		hi = max(hi, x)
	}
	return lo, hi
}

func roundAll(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}
