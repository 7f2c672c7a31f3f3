// Package bench holds Lanjie's whole-system benchmarks; figures go to RESULTS.md.
package bench

import (
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/lanjie/lanjie/intercept"
)

// BenchmarkLoad10M loads 10 million list entries (5M numbers, 5M accounts) into empty
// lists and reports the time and the heap they hold. Run it alone, -benchtime 1x:
// the heap figure is the live heap after a full GC, before and after.
func BenchmarkLoad10M(b *testing.B) {
	const half = 5_000_000
	for range b.N {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		l := intercept.NewLists()
		l.Reserve(half, half)
		added := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		// Distinct synthetic values, built without fmt so the loop measures the lists;
		// numbers and accounts load in parallel, as Lists.Load does.
		numbers := func(yield func(intercept.Entry) bool) {
			num := []byte("+8619900000000")
			for i := range half {
				n := strconv.AppendInt(num[:6], int64(i), 10)
				if !yield(intercept.Entry{Value: string(n), List: intercept.ListBlack, Reason: "reported scam number", Source: "report", Who: "bench", Added: added}) {
					return
				}
			}
		}
		accounts := func(yield func(intercept.Entry) bool) {
			acct := []byte("6228480000000000000")
			for i := range half {
				a := strconv.AppendInt(acct[:7], int64(i), 10)
				if !yield(intercept.Entry{Value: string(a), List: intercept.ListBlack, Reason: "mule account", Source: "bank", Who: "bench", Added: added}) {
					return
				}
			}
		}
		if err := l.Load(numbers, accounts); err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		runtime.GC()
		runtime.ReadMemStats(&after)
		if n, _, a := l.Len(); n != half || a != half {
			b.Fatalf("loaded %d numbers and %d accounts, want %d each", n, a, half)
		}
		if l.Number("+86199"+strconv.Itoa(half-1), added).List != intercept.ListBlack {
			b.Fatal("last number not found")
		}
		b.ReportMetric(elapsed.Seconds(), "load-s")
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MiB")
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(2*half), "B/entry")
		runtime.KeepAlive(l)
	}
}
