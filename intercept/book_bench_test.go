package intercept_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lanjie/lanjie/intercept"
	it "github.com/lanjie/lanjie/intercept/intercepttest"
)

// discardJournal numbers records and keeps none: the benchmark measures the desk,
// not a journal.
type discardJournal struct{ seq atomic.Uint64 }

func (j *discardJournal) Append(_ context.Context, recs ...intercept.Record) (uint64, error) {
	return j.seq.Add(uint64(len(recs))), nil
}

// BenchmarkDeskDecideParallel measures the cost of the book's one lock on the
// decision path: green transfers never take it, red ones each register a new
// stop-payment under it. Run with -cpu 1,2 and compare how each scales.
func BenchmarkDeskDecideParallel(b *testing.B) {
	for _, c := range []struct {
		name string
		yuan int64 // lifecycleRules stops the payee from 10,000 yuan
	}{{"green", 500}, {"red", 20_000}} {
		b.Run(c.name, func(b *testing.B) {
			e := testEngine(b, intercept.DefaultSettings(), lifecycleRules)
			desk := intercept.NewDesk(e, &discardJournal{}, intercept.Decoder{}, discardLog)
			var n atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					i := n.Add(1)
					ev := it.Transfer(fmt.Sprintf("t-%d", i), it.T0.Add(time.Duration(i)*time.Millisecond),
						fmt.Sprintf("6222%012d", i%100_000), "", fmt.Sprintf("6228%012d", i), c.yuan)
					if _, err := desk.Decide(ctx, ev); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
