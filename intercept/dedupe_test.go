package intercept

import (
	"context"
	"encoding/json"
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

// sameSeenBucket returns n ids that fall in one bucket of s.
func sameSeenBucket(s *seen, n int) []string {
	var ids []string
	sh0, b0 := s.locate(hashString("ev-0"))
	for i := 0; len(ids) < n; i++ {
		id := fmt.Sprintf("ev-%d", i)
		if sh, b := s.locate(hashString(id)); sh == sh0 && b == b0 {
			ids = append(ids, id)
		}
	}
	return ids
}

// wayOf returns the bucket and way holding id (way -1 when none), and whether the
// way's decision is kept whole.
func (s *seen) wayOf(id string) (sh *seenShard, bi, way int, rich bool) {
	h := hashString(id)
	sh, bi = s.locate(h)
	b := &sh.buckets[bi]
	way = b.way(h)
	return sh, bi, way, way >= 0 && b.rich&(1<<way) != 0
}

func TestSeenBucketIsCacheLines(t *testing.T) {
	if n := unsafe.Sizeof(seenBucket{}); n%64 != 0 || unsafe.Offsetof(seenBucket{}.plain) != 64 {
		t.Errorf("seenBucket is %d bytes with plain at %d: want whole cache lines, hashes on the first", n, unsafe.Offsetof(seenBucket{}.plain))
	}
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
		size, ways int // ways: ids per bucket
	}{
		{0, 1}, {1, 1}, {64, 1}, {128, 2}, {640, 7}, {64 * 7 * 3, 7},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.size), func(t *testing.T) {
			s := newSeen(tt.size)
			if s.ways != tt.ways {
				t.Fatalf("ways = %d, want %d", s.ways, tt.ways)
			}
			if n := len(s.shards[0].buckets) * s.ways; n < max(tt.size/64, 1) {
				t.Errorf("a shard holds %d ids, want at least %d", n, tt.size/64)
			}
			ids := sameSeenBucket(s, tt.ways+2)
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
	ids := sameSeenBucket(s, 2)
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

// plainOf returns a complete decision that matched nothing, as Decide makes one.
func plainOf(id string, at time.Time) *Decision {
	return &Decision{EventID: id, Kind: "transfer", Score: 12, Level: Yellow, Matched: []Match{},
		Actions: []Action{}, LatencyUS: 37, DecidedAt: at}
}

// A decision that matched nothing is kept in its pointer-free form once done, and a
// duplicate gets back exactly what the first call got, its JSON included.
func TestSeenPlainDecisionComesBackWhole(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(2026, 11, 21, 10, 7, 0, 123456789, time.FixedZone("CST", 8*3600)),
		time.Date(2026, 11, 21, 2, 7, 0, 0, time.UTC),
		time.Now(),
	} {
		s := newSeen(1024)
		d, first := s.claim("t-1")
		if !first {
			t.Fatal("claim of a new id not first")
		}
		want := plainOf("t-1", at)
		*d = *want
		s.done(d)
		if _, _, _, rich := s.wayOf("t-1"); rich {
			t.Fatal("a decision that matched nothing is not kept plain")
		}
		got, first := s.claim("t-1")
		if first {
			t.Fatal("duplicate claimed as new")
		}
		if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(Decision{})); diff != "" {
			t.Errorf("at %v (-want +got):\n%s", at, diff)
		}
		wj, _ := json.Marshal(want)
		gj, _ := json.Marshal(got)
		if string(wj) != string(gj) {
			t.Errorf("JSON differs:\nwant %s\ngot  %s", wj, gj)
		}
	}
}

// Decisions with anything to remember beyond a level stay whole.
func TestSeenKeepsRicherDecisionsWhole(t *testing.T) {
	long := strings.Repeat("x", maxPlainID+1)
	cases := map[string]func(d *Decision){
		"matched":  func(d *Decision) { d.Matched = []Match{{Rule: "r", Score: 10, Why: "w"}} },
		"actions":  func(d *Decision) { d.Actions = []Action{{Type: ActReview, TaskID: "RV-1"}} },
		"shadow":   func(d *Decision) { d.Shadow = []Match{{Rule: "s"}} },
		"errors":   func(d *Decision) { d.Errors = []RuleError{{Rule: "r", Error: "e"}} },
		"case":     func(d *Decision) { d.CaseID = "CS-1" },
		"nil list": func(d *Decision) { d.Matched = nil },
		"long id":  func(d *Decision) { d.EventID = long },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			want := plainOf("t-1", time.Now())
			change(want)
			s := newSeen(1024)
			d, _ := s.claim(want.EventID)
			*d = *want
			s.done(d)
			got, first := s.claim(want.EventID)
			if first || got != d {
				t.Fatalf("claim = %p, %v; want the first decision %p itself", got, first, d)
			}
		})
	}
}

// A duplicate waiting for a plain decision to be journaled learns the outcome: a
// journaled one counts, an abandoned one is decided afresh.
func TestSeenPlainDurability(t *testing.T) {
	ctx := context.Background()
	s := newSeen(1024)
	d, _ := s.claim("t-1")
	*d = *plainOf("t-1", time.Now())
	s.done(d)
	res := make(chan bool)
	go func() {
		ok, err := s.waitDurable(ctx, "t-1")
		if err != nil {
			t.Error(err)
		}
		res <- ok
	}()
	select {
	case <-res:
		t.Fatal("waitDurable returned before the decision was journaled")
	case <-time.After(20 * time.Millisecond):
	}
	s.durable(d)
	if !<-res {
		t.Error("waitDurable after durable = false, want true")
	}
	if got, _ := s.claim("t-1"); !got.journaled {
		t.Error("the plain decision lost its journaled mark")
	}

	d2, _ := s.claim("t-2")
	*d2 = *plainOf("t-2", time.Now())
	s.done(d2)
	s.abandon(d2)
	if ok, err := s.waitDurable(ctx, "t-2"); err != nil || ok {
		t.Errorf("waitDurable of an abandoned decision = %v, %v; want false", ok, err)
	}
	sh, bi, way, _ := s.wayOf("t-2")
	held := sh.buckets[bi].n
	again, first := s.claim("t-2")
	if !first || again == d2 {
		t.Fatalf("claim after abandon = %v, first %v; want a fresh decision", again, first)
	}
	if _, _, w, rich := s.wayOf("t-2"); w != way || !rich || sh.whole[bi*seenWays+way] != again || sh.buckets[bi].n != held {
		t.Error("the fresh claim does not take the abandoned plain decision's way")
	}
}

// Plain and whole decisions share one bound; the oldest go first whichever form.
func TestSeenBoundAcrossForms(t *testing.T) {
	s := newSeen(64 * 4) // 4 per shard, in one bucket
	ids := sameSeenBucket(s, 7)
	for i, id := range ids {
		d, _ := s.claim(id)
		*d = *plainOf(id, time.Now())
		if i%2 == 1 {
			d.CaseID = "CS-" + id // kept whole
		}
		s.done(d)
	}
	sh, bi, _, _ := s.wayOf(ids[0])
	if n := sh.buckets[bi].n; n != 4 {
		t.Errorf("%d decisions held, want 4", n)
	}
	for _, id := range ids[3:] {
		if _, first := s.claim(id); first {
			t.Errorf("%s forgotten, want remembered", id)
		}
	}
	for _, id := range ids[:3] {
		if _, first := s.claim(id); !first {
			t.Errorf("old id %s remembered, want forgotten", id)
		}
	}
}

// An id abandoned and claimed again is the bucket's newest: the ids after it do not
// push it out before the older ones.
func TestSeenReclaimedIDOutlivesItsOldPlace(t *testing.T) {
	s := newSeen(64 * 3) // 3 per shard, in one bucket
	ids := sameSeenBucket(s, 4)
	d, _ := s.claim(ids[0])
	s.abandon(d)
	d, _ = s.claim(ids[0]) // a new place, after the old one
	*d = *plainOf(ids[0], time.Now())
	s.done(d)
	d, _ = s.claim(ids[1])
	s.done(d)
	// The abandoned claim left no hole: the bucket holds ids[0], ids[1], ids[2].
	d, _ = s.claim(ids[2])
	s.done(d)
	if _, first := s.claim(ids[0]); first {
		t.Error("the id claimed again was forgotten with its abandoned place")
	}
}

// Forgetting an abandoned decision closes its gap and keeps the bucket's age order:
// the oldest id still goes first.
func TestSeenAbandonKeepsAgeOrder(t *testing.T) {
	s := newSeen(64 * 3) // 3 per shard, in one bucket
	ids := sameSeenBucket(s, 6)
	claimDone := func(id string) {
		d, first := s.claim(id)
		if !first {
			t.Fatalf("claim(%s) not first", id)
		}
		s.done(d)
	}
	for _, id := range ids[:4] { // ids[3] pushes out ids[0]
		claimDone(id)
	}
	d4, _ := s.claim(ids[4]) // pushes out ids[1]; in flight
	s.abandon(d4)            // leaves ids[2], ids[3]
	claimDone(ids[5])
	claimDone(ids[1]) // new again: pushes out the oldest, ids[2]
	for _, id := range []string{ids[3], ids[5], ids[1]} {
		if _, first := s.claim(id); first {
			t.Errorf("%s forgotten, want remembered", id)
		}
	}
	if _, first := s.claim(ids[2]); !first {
		t.Errorf("%s remembered, want forgotten as the oldest", ids[2])
	}
}

// Two ids whose hashes collide: the newer takes the older's way, and the older is
// then simply forgotten (decided afresh if it comes again), never answered with the
// other's decision.
func TestSeenHashCollision(t *testing.T) {
	s := newSeen(1024)
	a, _ := s.claim("t-a")
	a.Score = 10
	s.done(a)
	// Make "t-b" collide: give t-a's way t-b's hash, and move it to t-b's bucket.
	sh, bi, way, _ := s.wayOf("t-a")
	hb := hashString("t-b")
	shB, biB := s.locate(hb)
	if shB != sh || biB != bi {
		// Not the same bucket: copy the way there.
		shB.buckets[biB] = sh.buckets[bi]
		copy(shB.whole[biB*seenWays:biB*seenWays+seenWays], sh.whole[bi*seenWays:bi*seenWays+seenWays])
		sh.buckets[bi] = seenBucket{}
	}
	shB.buckets[biB].hashes[way] = hb
	held := shB.buckets[biB].n

	b, first := s.claim("t-b")
	if !first || b == a || b.EventID != "t-b" {
		t.Fatalf("claim(t-b) over a colliding t-a = %+v, %v; want a fresh decision", b, first)
	}
	if n := shB.buckets[biB].n; n != held {
		t.Errorf("the colliding id took a new way: %d held, want %d", n, held)
	}
	b.Score = 20
	s.done(b)
	if got, first := s.claim("t-b"); first || got.Score != 20 || got.EventID != "t-b" {
		t.Errorf("t-b again = %+v, first %v; want its own decision", got, first)
	}
}
