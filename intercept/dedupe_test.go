package intercept

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// waitBlockedIn waits until some goroutine is blocked on a sync.Cond inside fn (a
// function name as stack traces print it, such as "(*seen).claim"). It polls the
// goroutine stacks, so the test knows the goroutine is waiting rather than guessing.
func waitBlockedIn(t *testing.T, fn string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		for _, g := range strings.Split(string(buf[:n]), "\n\n") {
			if strings.Contains(g, "sync.(*Cond).Wait") && strings.Contains(g, fn) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no goroutine blocked in %s", fn)
		}
		runtime.Gosched()
	}
}

// sameSeenShard returns n ids that fall in one seen shard.
func sameSeenShard(n int) []string {
	var ids []string
	for i := 0; len(ids) < n; i++ {
		id := fmt.Sprintf("ev-%d", i)
		if hashString(id)%64 == hashString("ev-0")%64 {
			ids = append(ids, id)
		}
	}
	return ids
}

func TestSeenClaim(t *testing.T) {
	s := newSeen(1024)
	d, first := s.claim("t-1")
	if !first || d.EventID != "t-1" {
		t.Fatalf("claim(t-1) = %+v, %v; want a fresh decision", d, first)
	}
	d.Score = 92
	s.done(d)
	again, first := s.claim("t-1")
	if first || again != d {
		t.Fatalf("second claim = %p, %v; want the first decision %p, false", again, first, d)
	}
	if other, first := s.claim("t-2"); !first || other == d {
		t.Errorf("claim(t-2) = %p, %v; want a new decision", other, first)
	}
}

// The id is copied: the caller's bytes may be a request buffer that is reused.
func TestSeenOwnsID(t *testing.T) {
	s := newSeen(1024)
	buf := []byte("t-1")
	d, _ := s.claim(unsafe.String(&buf[0], len(buf))) // as fiber hands out request strings
	s.done(d)
	copy(buf, "XXX")
	if _, first := s.claim("t-1"); first {
		t.Error("t-1 forgotten after its buffer changed")
	}
	if d.EventID != "t-1" {
		t.Errorf("EventID = %q, want t-1", d.EventID)
	}
}

func TestSeenBound(t *testing.T) {
	tests := []struct {
		size, perShard int
	}{
		{0, 1}, {1, 1}, {64, 1}, {128, 2}, {640, 10},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.size), func(t *testing.T) {
			s := newSeen(tt.size)
			ids := sameSeenShard(tt.perShard + 2)
			for _, id := range ids {
				d, first := s.claim(id)
				if !first {
					t.Fatalf("claim(%s) not first", id)
				}
				s.done(d)
			}
			// The remembered first, so that checking does not itself evict.
			for _, id := range ids[2:] {
				if _, first := s.claim(id); first {
					t.Errorf("%s forgotten, want remembered", id)
				}
			}
			for _, id := range ids[:2] {
				if _, first := s.claim(id); !first {
					t.Errorf("old id %s remembered, want forgotten", id)
				}
			}
		})
	}
}

// A duplicate arriving while the first is in flight waits for the complete decision.
func TestSeenDuplicateWaits(t *testing.T) {
	s := newSeen(1024)
	d, _ := s.claim("t-1")
	got := make(chan *Decision)
	go func() {
		dup, first := s.claim("t-1")
		if first {
			t.Error("duplicate claimed as first")
		}
		got <- dup
	}()
	waitBlockedIn(t, "(*seen).claim")
	select {
	case dup := <-got:
		t.Fatalf("duplicate returned %+v before the first was done", dup)
	default:
	}
	d.Score = 92
	s.done(d)
	if dup := <-got; dup != d || dup.Score != 92 {
		t.Errorf("duplicate got %+v, want the first decision", dup)
	}
}

// A decision still in flight may be forgotten by the bound; a duplicate already
// waiting for it still gets it.
func TestSeenWaiterSurvivesEviction(t *testing.T) {
	s := newSeen(64) // one id per shard
	ids := sameSeenShard(2)
	d, _ := s.claim(ids[0])
	got := make(chan *Decision)
	go func() {
		dup, _ := s.claim(ids[0])
		got <- dup
	}()
	waitBlockedIn(t, "(*seen).claim")
	d2, first := s.claim(ids[1]) // evicts ids[0]
	if !first {
		t.Fatal("second id not first")
	}
	s.done(d2)
	d.Score = 50
	s.done(d)
	if dup := <-got; dup != d {
		t.Errorf("waiter got %+v, want the in-flight decision", dup)
	}
}

// dedupeEval is an Evaluator whose behaviour a test sets.
type dedupeEval struct {
	fn func(st *State, ev *Event, out *Outcome)
}

func (f dedupeEval) Evaluate(st *State, ev *Event, out *Outcome) { f.fn(st, ev, out) }

func dedupeEngine(t *testing.T, fn func(st *State, ev *Event, out *Outcome)) *Engine {
	t.Helper()
	e, err := New(DefaultSettings(), nil, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	e.SetEvaluator(dedupeEval{fn})
	return e
}

var dedupeT0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

func dedupeTransfer(id, payee string) *Event {
	return &Event{ID: id, Kind: KindTransfer, At: dedupeT0, Bank: "ICBC",
		PayerAccount: "6222020000000001", PayerPhone: "+8613800000001",
		PayeeAccount: payee, PayeeBank: "ABC", Amount: 500000}
}

func redStop(st *State, ev *Event, out *Outcome) {
	out.Matched = append(out.Matched, Match{Rule: "stop_it", Score: 90, Why: "test",
		Actions: []RuleAction{{Type: ActStopPayment, Target: "payee_account"}, {Type: ActWarn, Target: "payer_phone"}}})
}

func TestDecideDuplicateChangesNothing(t *testing.T) {
	var calls atomic.Int32
	e := dedupeEngine(t, func(st *State, ev *Event, out *Outcome) {
		calls.Add(1)
		redStop(st, ev, out)
	})
	ctx := context.Background()
	first, err := e.Decide(ctx, dedupeTransfer("t-1", "6228480000000002"))
	if err != nil {
		t.Fatal(err)
	}
	if first.Duplicate || first.Level != Red || len(first.Actions) != 2 {
		t.Fatalf("first decision %+v: want red with a stop and a warning", first)
	}
	orderID := first.Actions[0].OrderID

	// The same id with another payee: still the first decision, and nothing happens
	// to the other payee.
	for i := range 3 {
		dup, err := e.Decide(ctx, dedupeTransfer("t-1", "6228480000000003"))
		if err != nil {
			t.Fatal(err)
		}
		if !dup.Duplicate {
			t.Errorf("duplicate %d: Duplicate not set", i)
		}
		if diff := cmp.Diff(first, dup, cmpopts.IgnoreUnexported(Decision{}), cmpopts.IgnoreFields(Decision{}, "Duplicate")); diff != "" {
			t.Errorf("duplicate %d (-first +dup):\n%s", i, diff)
		}
		if i == 0 && !e.ReleaseStop("6228480000000002") {
			t.Fatal("no stop to release")
		}
	}
	if first.Duplicate {
		t.Error("the first decision was marked duplicate afterwards")
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("rules ran %d times, want 1", n)
	}
	st := e.State()
	if n, sum, _ := st.PayeeTransfers("6228480000000002", dedupeT0, time.Hour); n != 1 || sum != 500000 {
		t.Errorf("payee window: %d transfers, %d fen; want 1, 500000", n, sum)
	}
	if n, _, _ := st.PayeeTransfers("6228480000000003", dedupeT0, time.Hour); n != 0 {
		t.Errorf("duplicate counted into the other payee: %d", n)
	}
	if id, ok := st.Stopped("6228480000000002"); ok {
		t.Errorf("a duplicate stopped the released account again (order %s; first was %s)", id, orderID)
	}
	if id, ok := st.Stopped("6228480000000003"); ok {
		t.Errorf("a duplicate stopped the other payee: %s", id)
	}
}

func TestDecideDuplicateWaitsForFirst(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	var calls atomic.Int32
	e := dedupeEngine(t, func(st *State, ev *Event, out *Outcome) {
		if calls.Add(1) == 1 {
			close(entered)
			<-release
		}
		redStop(st, ev, out)
	})
	ctx := context.Background()
	type result struct {
		d   *Decision
		err error
	}
	firstC, dupC := make(chan result, 1), make(chan result, 1)
	go func() {
		d, err := e.Decide(ctx, dedupeTransfer("t-1", "6228480000000002"))
		firstC <- result{d, err}
	}()
	<-entered
	go func() {
		d, err := e.Decide(ctx, dedupeTransfer("t-1", "6228480000000002"))
		dupC <- result{d, err}
	}()
	waitBlockedIn(t, "(*seen).claim")
	select {
	case r := <-dupC:
		t.Fatalf("duplicate answered %+v while the first was in flight", r.d)
	default:
	}
	close(release)
	first, dup := <-firstC, <-dupC
	if first.err != nil || dup.err != nil {
		t.Fatalf("errors: %v, %v", first.err, dup.err)
	}
	if !dup.d.Duplicate || dup.d.Score != 90 || len(dup.d.Actions) != 2 {
		t.Errorf("duplicate got %+v, want the complete first decision", dup.d)
	}
	if diff := cmp.Diff(first.d, dup.d, cmpopts.IgnoreUnexported(Decision{}), cmpopts.IgnoreFields(Decision{}, "Duplicate")); diff != "" {
		t.Errorf("(-first +dup):\n%s", diff)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("rules ran %d times, want 1", n)
	}
}
