package rules_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lanjie/lanjie/intercept"
	it "github.com/lanjie/lanjie/intercept/intercepttest"
	"github.com/lanjie/lanjie/rules"
)

// testClock is a clock the test moves by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) tick(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeJournal keeps records in memory, numbered and stamped with the test clock as
// the real journal does. When fail is set, Append calls it first and fails with what
// it returns, keeping nothing.
type fakeJournal struct {
	clock *testClock
	fail  func(recs []intercept.Record) error

	mu   sync.Mutex
	recs []intercept.Record
}

var _ intercept.Journal = (*fakeJournal)(nil)

func (j *fakeJournal) Append(ctx context.Context, recs ...intercept.Record) (uint64, error) {
	if j.fail != nil {
		if err := j.fail(recs); err != nil {
			return 0, err
		}
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, r := range recs {
		r.Seq, r.At, r.Data = uint64(len(j.recs)+1), j.clock.now(), slices.Clone(r.Data)
		j.recs = append(j.recs, r)
	}
	return uint64(len(j.recs)), nil
}

func (j *fakeJournal) records() []intercept.Record {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]intercept.Record(nil), j.recs...)
}

// changes decodes the rule changes the journal holds.
func (j *fakeJournal) changes(t *testing.T) []intercept.RuleChange {
	t.Helper()
	var chs []intercept.RuleChange
	for _, r := range j.records() {
		if r.Type != intercept.RecRuleChange {
			t.Fatalf("record %d has type %d, want a rule change", r.Seq, r.Type)
		}
		var ch intercept.RuleChange
		if err := json.Unmarshal(r.Data, &ch); err != nil {
			t.Fatalf("record %d: %v", r.Seq, err)
		}
		chs = append(chs, ch)
	}
	return chs
}

// bookFixture is a book journaling to a fake journal and installing into a real
// engine, counting installs.
type bookFixture struct {
	book     *rules.Book
	j        *fakeJournal
	clock    *testClock
	eng      *intercept.Engine
	installs atomic.Int32
	last     atomic.Pointer[rules.Set]
	events   int
}

func newBookFixture(t *testing.T) *bookFixture {
	t.Helper()
	clock := &testClock{t: it.T0.Add(-24 * time.Hour)}
	f := &bookFixture{j: &fakeJournal{clock: clock}, clock: clock, eng: it.Engine(t)}
	f.book = rules.NewBook(f.j, f.install, clock.now)
	return f
}

func (f *bookFixture) install(s *rules.Set) {
	f.installs.Add(1)
	f.last.Store(s)
	f.eng.SetEvaluator(s)
}

// installed returns "id@version" of each rule in the set installed last.
func (f *bookFixture) installed() []string {
	s := f.last.Load()
	if s == nil {
		return nil
	}
	return setRules(s)
}

func setRules(s *rules.Set) []string {
	out := []string{}
	for _, c := range s.Rules() {
		out = append(out, fmt.Sprintf("%s@%d", c.ID, c.Version))
	}
	return out
}

// transfer decides a fresh ¥5,000 transfer from the victim to the mule.
func (f *bookFixture) transfer(t *testing.T) *intercept.Decision {
	t.Helper()
	f.events++
	ev := it.Transfer(fmt.Sprintf("bt-%d", f.events), it.T0.Add(time.Duration(f.events)*time.Second), victimAcct, victim, muleAcct, 5000)
	return decide(t, f.eng, ev)
}

// bookRule is a transfer rule of weight 40 with no mode or version.
func bookRule(id, expr string) rules.Rule {
	return rules.Rule{ID: id, Name: id, Description: "desc " + id, Expr: expr, Weight: 40, Kinds: []string{"transfer"}}
}

// mustCreate creates r by who, failing the test on error.
func (f *bookFixture) mustCreate(t *testing.T, r rules.Rule, who string) rules.Rule {
	t.Helper()
	got, err := f.book.Create(context.Background(), r, who)
	if err != nil {
		t.Fatalf("create %s: %v", r.ID, err)
	}
	return got
}
