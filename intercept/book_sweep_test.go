package intercept

import (
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// BenchmarkBookSweep times a sweep's two parts over a book of 400,000 live orders,
// none of them due (a console that keeps a few months of orders): due, which Sweep
// runs every --sweep-every and which costs the orders it moves, and prune, a scan of
// the whole book, which it runs at most once per pruneEvery. Both hold the book's
// lock, which decisions that issue orders wait for.
func BenchmarkBookSweep(b *testing.B) {
	set := DefaultSettings().Orders
	e, err := New(DefaultSettings(), NewLists(), nil, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(e.Close)
	bk := e.book
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for i := range 400_000 {
		at := now.Add(-time.Duration(i) * time.Second)
		bk.create(&Order{ID: fmt.Sprintf("SP-%08d", i), Type: ActStopPayment, Status: StatusExecuted,
			Account: fmt.Sprintf("62%017d", i), Created: at, Deadline: at.Add(set.StopExecute),
			Executed: at, Expires: now.Add(time.Hour), History: []OrderStatus{{Status: StatusExecuted, At: at}}})
	}
	b.Run("due", func(b *testing.B) {
		for b.Loop() {
			if due := bk.due(now); len(due) != 0 {
				b.Fatalf("%d due", len(due))
			}
		}
	})
	b.Run("prune", func(b *testing.B) {
		for b.Loop() {
			if o, _ := bk.prune(now.Add(-set.Keep)); o != 0 {
				b.Fatalf("%d pruned", o)
			}
		}
	})
}

// TestDueFollowsTheClock checks the clock's heap: only orders past their times come
// out, a record not applied (its journal append failed) comes out again, and an order
// moved since it was scheduled (renewed) is checked at its new time only.
func TestDueFollowsTheClock(t *testing.T) {
	e, err := New(DefaultSettings(), NewLists(), nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	bk := e.book
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	pending := func(id string, typ ActionType, deadline time.Duration) {
		bk.apply(OrderStatus{OrderID: id, Type: typ, Status: StatusPending, At: t0, Org: "ABC",
			Account: "6222" + id, Phone: "+86138000" + id, Deadline: t0.Add(deadline)})
	}
	pending("0001", ActCutoff, time.Hour)
	pending("0002", ActStopPayment, 24*time.Hour)
	pending("0003", ActCutoff, 3*time.Hour)
	bk.apply(OrderStatus{OrderID: "0002", Status: StatusExecuted, At: t0.Add(time.Minute), Expires: t0.Add(2 * time.Hour)})

	ids := func(rs []OrderStatus) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.OrderID+" "+r.Status)
		}
		slices.Sort(out)
		return out
	}
	check := func(at time.Duration, want ...string) []OrderStatus {
		t.Helper()
		got := bk.due(t0.Add(at))
		if diff := cmp.Diff(want, ids(got)); diff != "" {
			t.Errorf("due at +%s (-want +got):\n%s", at, diff)
		}
		return got
	}
	check(59 * time.Minute)
	check(90*time.Minute, "0001 overdue")
	recs := check(91*time.Minute, "0001 overdue") // not applied: asked again
	for _, r := range recs {
		bk.apply(r)
	}
	check(100 * time.Minute)
	// Renewed before its term: the old expiry no longer applies.
	bk.apply(OrderStatus{OrderID: "0002", Status: StatusExecuted, At: t0.Add(110 * time.Minute), Expires: t0.Add(5 * time.Hour), Renewal: true})
	check(150 * time.Minute)
	check(301*time.Minute, "0002 expired", "0003 overdue")
	if n := len(bk.checks); n > 4 {
		t.Errorf("%d entries in the clock's heap for 3 orders", n)
	}
}
