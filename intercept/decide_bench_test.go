package intercept_test

import (
	"context"
	"io"
	"log/slog"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lanjie/lanjie/intercept"
	it "github.com/lanjie/lanjie/intercept/intercepttest"
	"github.com/lanjie/lanjie/rules"
)

// The benchmark world: 1M listed numbers, 1M listed accounts, 1M customers, the
// starter rules. Built once per process; each benchmark feeds it fresh events (new
// ids, so the duplicate fast path never flatters the figures).
var (
	benchOnce  sync.Once
	benchWorld *it.World
	benchLists *intercept.Lists
)

func world(b *testing.B) (*it.World, *intercept.Lists) {
	benchOnce.Do(func() {
		benchLists = intercept.NewLists()
		w, err := it.NewWorld(benchLists, 1_000_000, 1_000_000, 1_000_000, 1)
		if err != nil {
			b.Fatalf("world: %v", err)
		}
		benchWorld = w
	})
	return benchWorld, benchLists
}

// benchLive is the engine of the benchmark running. The testing package may call a
// benchmark function more than once on one B (a first run with N=1, then the timed
// one) and runs its cleanups only at the end, so an engine closed by b.Cleanup alone
// would stay live beside the next one: its million remembered decisions and full
// windows doubled the heap the timed run worked in, which no server has.
var benchLive *intercept.Engine

func closeBenchEngine() {
	if benchLive != nil {
		benchLive.Close()
		benchLive = nil
	}
}

func benchEngine(b *testing.B, ev intercept.Evaluator) *intercept.Engine {
	_, lists := world(b)
	closeBenchEngine()
	e, err := intercept.New(intercept.DefaultSettings(), lists, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	benchLive = e
	b.Cleanup(closeBenchEngine)
	e.SetEvaluator(ev)
	return e
}

func starterSet(b *testing.B) *rules.Set {
	s, err := rules.NewSet(rules.Starter())
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// warm feeds an engine 1.1M events first, so benchmarks time the steady state: the
// duplicate table (1M ids) full and evicting, the windows grown to their working size,
// as in a centre that has run for a while.
func warm(b *testing.B, w *it.World, e *intercept.Engine) {
	for _, ev := range w.Events(1_100_000) {
		if _, err := e.Decide(context.Background(), ev); err != nil {
			b.Fatal(err)
		}
	}
	// A collection now, at steady state, timed: what one cycle of the collector
	// costs over this heap (reported with the live heap, for the amortised cost).
	// It also frees the warm-up's garbage for the timed part to reuse, as a server
	// that has run a while does: on a heap still growing into fresh memory, each
	// decision also paid ~0.37 first-touch page faults in the kernel, ~5 µs on this
	// VM (see faults below), which no long-running console pays.
	t := time.Now()
	runtime.GC()
	gc := time.Since(t)
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	b.Cleanup(func() {
		// Reported last: ResetTimer drops metrics reported before it.
		b.ReportMetric(float64(gc.Microseconds())/1e3, "gc-ms")
		b.ReportMetric(float64(s[0].Value.Uint64())/(1<<20), "live-MiB")
	})
}

// faults reports the page faults and kernel time per op of the code until the
// returned func is called: a figure the kernel pays is not visible in a CPU profile.
func faults(b *testing.B) func() {
	var r0 syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &r0); err != nil {
		b.Fatal(err)
	}
	return func() {
		var r1 syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &r1); err != nil {
			b.Fatal(err)
		}
		n := float64(b.N)
		b.ReportMetric(float64(r1.Minflt-r0.Minflt)/n, "faults/op")
		b.ReportMetric(float64(time.Duration(r1.Stime.Nano()-r0.Stime.Nano()))/n, "sys-ns/op")
	}
}

// BenchmarkDecide is one decision on the starter rules over the realistic mix.
// Run with -cpu 1 for the one-core figure.
func BenchmarkDecide(b *testing.B) {
	w, _ := world(b)
	e := benchEngine(b, starterSet(b))
	warm(b, w, e)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	// Events are made 256 at a time with the timer stopped, just before they are
	// decided: in the server an event is decided right after it is decoded, with its
	// bytes still in the CPU's cache. Made all up front, each would cost a few cache
	// misses the server never pays.
	defer faults(b)()
	for i := 0; i < b.N; {
		b.StopTimer()
		evs := w.Events(min(256, b.N-i))
		b.StartTimer()
		for _, ev := range evs {
			if _, err := e.Decide(ctx, ev); err != nil {
				b.Fatal(err)
			}
		}
		i += len(evs)
	}
}

// BenchmarkDecideParallel decides from GOMAXPROCS goroutines and reports the latency
// percentiles of single decisions (run with -cpu 2 for the 2-goroutine p99).
func BenchmarkDecideParallel(b *testing.B) {
	w, _ := world(b)
	e := benchEngine(b, starterSet(b))
	warm(b, w, e)
	// Goroutines take events 256 at a time; one may hold a part-used batch while
	// another runs dry, so make enough for both.
	evs := w.Events(b.N + 256*runtime.GOMAXPROCS(0))
	var next sync.Mutex
	i := 0
	take := func(n int) []*intercept.Event {
		next.Lock()
		defer next.Unlock()
		lo := min(i, len(evs))
		i = min(i+n, len(evs))
		return evs[lo:i]
	}
	var mu sync.Mutex
	var lat []time.Duration
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		var batch []*intercept.Event
		for pb.Next() {
			if len(batch) == 0 {
				batch = take(256)
			}
			ev := batch[0]
			batch = batch[1:]
			t := time.Now()
			if _, err := e.Decide(ctx, ev); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(t))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-µs")
		b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, "p99-µs")
	}
}

// The floor: five starter rules, as expr and as plain Go over the same state calls.
var floorIDs = []string{"transfer_after_listed_call", "large_to_new_payee", "payee_blacklisted", "call_from_blacklisted", "sms_link_from_virtual"}

func fiveRules(b *testing.B) *rules.Set {
	var rs []rules.Rule
	for _, r := range rules.Starter() {
		if slices.Contains(floorIDs, r.ID) {
			rs = append(rs, r)
		}
	}
	s, err := rules.NewSet(rs)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// goRules is the same five rules written by hand: what expr costs is measured against it.
type goRules struct{}

func (goRules) Evaluate(st *intercept.State, ev *intercept.Event, out *intercept.Outcome) {
	hit := func(id string, score int) {
		out.Matched = append(out.Matched, intercept.Match{Rule: id, Score: score, Why: id})
	}
	switch ev.Kind {
	case intercept.KindTransfer:
		if ev.PayerPhone != "" && st.CountContacts(ev.PayerPhone, ev.At, 30*time.Minute, intercept.TagBlack|intercept.TagGray) > 0 {
			hit("transfer_after_listed_call", 60)
		}
		if ev.Amount >= 20000_00 && !st.PaidBefore(ev.PayerAccount, ev.PayeeAccount, ev.At) {
			hit("large_to_new_payee", 25)
		}
		if st.Lists.Account(ev.PayeeAccount, ev.At).List == intercept.ListBlack {
			hit("payee_blacklisted", 80)
		}
	case intercept.KindCall:
		if st.Lists.Number(ev.Caller, ev.At).List == intercept.ListBlack {
			hit("call_from_blacklisted", 60)
		}
	case intercept.KindSMS:
		if rules.HasLink(ev.Text) && st.Virtual(ev.Caller) {
			hit("sms_link_from_virtual", 50)
		}
	}
}

func benchEvaluate(b *testing.B, ev intercept.Evaluator) {
	w, _ := world(b)
	e := benchEngine(b, ev)
	evs := w.Events(20_000)
	// Warm the windows as Decide would, then time Evaluate alone.
	for _, x := range evs {
		if _, err := e.Decide(context.Background(), x); err != nil {
			b.Fatal(err)
		}
	}
	var out intercept.Outcome
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		out.Matched, out.Shadow, out.Errors = out.Matched[:0], out.Shadow[:0], out.Errors[:0]
		ev.Evaluate(e.State(), evs[i%len(evs)], &out)
	}
}

// BenchmarkFiveRulesExpr and BenchmarkFiveRulesGo give the expr / floor ratio.
func BenchmarkFiveRulesExpr(b *testing.B) { benchEvaluate(b, fiveRules(b)) }

// BenchmarkFiveRulesGo is the floor.
func BenchmarkFiveRulesGo(b *testing.B) { benchEvaluate(b, goRules{}) }

// BenchmarkStarterRules is Evaluate alone with all starter rules.
func BenchmarkStarterRules(b *testing.B) { benchEvaluate(b, starterSet(b)) }
