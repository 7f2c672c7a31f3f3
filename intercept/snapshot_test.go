package intercept_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/lanjie/lanjie/intercept"
	it "github.com/lanjie/lanjie/intercept/intercepttest"
)

// A snapshot carries lists, orders in force and the long windows into a new engine,
// and reading the journal tail over it again changes nothing.
func TestSnapshotRoundTrip(t *testing.T) {
	e := it.Engine(t)
	e.SetEvaluator(reportStops{})
	it.Black(t, e, "+85512345678")
	it.White(t, e, "+8695588")
	if err := e.State().Lists.AddNumber(intercept.Entry{Value: "+86170", Prefix: true, List: intercept.ListGray, Reason: "virtual"}); err != nil {
		t.Fatal(err)
	}
	evs := []*intercept.Event{
		it.Transfer("t-1", it.T0, "6222020000000001", "+8613800000001", "6228480000000002", 500),
		it.Report("r-1", it.T0.Add(time.Minute), "+8613800000009", []string{"+85598765432"}, []string{"6228480000000002"}),
	}
	var decisions []*intercept.Decision
	desk := intercept.NewDesk(e, &it.Journal{}, intercept.Decoder{DefaultCountry: "86"}, discardLog) // durable, as a snapshot keeps them
	for _, ev := range evs {
		d, err := desk.Decide(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		decisions = append(decisions, d)
	}
	var buf bytes.Buffer
	if err := e.WriteSnapshot(&buf, intercept.SnapshotHeader{Seq: 42, Extra: []byte("rules")}); err != nil {
		t.Fatal(err)
	}

	e2 := it.Engine(t)
	h, err := e2.ReadSnapshot(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if h.Seq != 42 || string(h.Extra) != "rules" {
		t.Errorf("header %+v", h)
	}
	// The snapshot alone answers duplicates and holds the short windows.
	if d, err := e2.Decide(context.Background(), evs[1]); err != nil || !d.Duplicate || d.Level != decisions[1].Level {
		t.Errorf("a snapshotted event decided again: %+v, %v", d, err)
	}
	// A decision that matched nothing comes back with the empty lists it was
	// answered with ("matched": [], not null).
	if d, err := e2.Decide(context.Background(), evs[0]); err != nil || !d.Duplicate || d.Matched == nil || d.Actions == nil {
		t.Errorf("a snapshotted plain decision: %+v, %v; want a duplicate with [] matched and actions", d, err)
	}
	if n, _, _ := e2.State().PayeeTransfers("6228480000000002", it.T0.Add(time.Minute), 10*time.Minute); n != 1 {
		t.Errorf("payee window from the snapshot counts %d transfers, want 1", n)
	}
	// Replaying the journal tail over the snapshot is idempotent.
	for i, ev := range evs {
		e2.Restore(context.Background(), ev, decisions[i], time.Time{})
		e2.Restore(context.Background(), ev, decisions[i], time.Time{})
	}
	st, at := e2.State(), it.T0.Add(time.Hour)
	checks := []struct {
		name string
		ok   bool
	}{
		{"black number", st.Lists.Number("+85512345678", at).List == intercept.ListBlack},
		{"white number", st.Lists.Number("+8695588", at).List == intercept.ListWhite},
		{"gray range", st.Lists.Number("+8617012345678", at).List == intercept.ListGray},
		{"reported suspect black", st.Lists.Number("+85598765432", at).List == intercept.ListBlack},
		{"reported account black", st.Lists.Account("6228480000000002", at).List == intercept.ListBlack},
		{"paid before", st.PaidBefore("6222020000000001", "6228480000000002", at)},
		{"one victim", st.Victims("6228480000000002", at) == 1},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("after snapshot and replay: %s does not hold", c.name)
		}
	}
	if _, ok := st.Stopped("6228480000000002"); !ok {
		t.Error("the stop-payment order in force was lost")
	}
	if n, _, _ := st.PayeeTransfers("6228480000000002", it.T0.Add(time.Minute), 10*time.Minute); n != 1 {
		t.Errorf("payee window counts %d transfers after a double replay, want 1", n)
	}
	d, err := e2.Decide(context.Background(), evs[0])
	if err != nil || !d.Duplicate {
		t.Errorf("a replayed event decided again: %+v, %v", d, err)
	}
}

func TestSnapshotTornIsAnError(t *testing.T) {
	e := it.Engine(t)
	it.Black(t, e, "+85512345678")
	var buf bytes.Buffer
	if err := e.WriteSnapshot(&buf, intercept.SnapshotHeader{Seq: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := it.Engine(t).ReadSnapshot(bytes.NewReader(buf.Bytes()[:buf.Len()-10])); err == nil {
		t.Fatal("read a truncated snapshot without error")
	}
}

// reportStops stops the accounts a report names.
type reportStops struct{}

func (reportStops) Evaluate(st *intercept.State, ev *intercept.Event, out *intercept.Outcome) {
	if ev.Kind == intercept.KindReport {
		out.Matched = append(out.Matched, intercept.Match{Rule: "r", Score: 100,
			Actions: []intercept.RuleAction{{Type: intercept.ActStopPayment, Target: "suspect_accounts"}}})
	}
}

// Three equal transfers in one second (a split payment) stay three through a
// snapshot and a replay of the same events.
func TestSnapshotKeepsSplitTransfers(t *testing.T) {
	e := it.Engine(t)
	var evs []*intercept.Event
	var ds []*intercept.Decision
	for _, id := range []string{"s-1", "s-2", "s-3"} {
		ev := it.Transfer(id, it.T0, "6222020000000001", "", "6228480000000002", 4900)
		d, err := e.Decide(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		evs, ds = append(evs, ev), append(ds, d)
	}
	var buf bytes.Buffer
	if err := e.WriteSnapshot(&buf, intercept.SnapshotHeader{Seq: 3}); err != nil {
		t.Fatal(err)
	}
	e2 := it.Engine(t)
	if _, err := e2.ReadSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	for i := range evs {
		e2.Restore(context.Background(), evs[i], ds[i], time.Time{})
	}
	n, sum, _ := e2.State().PayeeTransfers("6228480000000002", it.T0, time.Minute)
	if n != 3 || sum != 3*490000 {
		t.Errorf("after snapshot and replay: %d transfers, %d fen; want 3 and %d", n, sum, 3*490000)
	}
}

// An event decided while a snapshot was written may be in its duplicate table but
// not in its lists and orders: replaying it restores them.
func TestRestoreAppliesEffectsOfAKnownEvent(t *testing.T) {
	e := it.Engine(t)
	e.SetEvaluator(reportStops{})
	rep := it.Report("r-1", it.T0, "+8613800000009", []string{"+85598765432"}, []string{"6228480000000002"})
	d, err := e.Decide(context.Background(), rep)
	if err != nil {
		t.Fatal(err)
	}
	e2 := it.Engine(t)
	e2.Restore(context.Background(), rep, d, time.Time{}) // the id becomes known...
	e3 := it.Engine(t)
	var buf bytes.Buffer
	if err := e2.WriteSnapshot(&buf, intercept.SnapshotHeader{Seq: 1}); err != nil {
		t.Fatal(err)
	}
	// ...simulate a snapshot that caught the id but nothing else: load only the
	// duplicate table by deciding a fresh engine from the same snapshot, then clear
	// its lists.
	if _, err := e3.ReadSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	if _, err := e3.State().Lists.RemoveAccount("6228480000000002"); err != nil {
		t.Fatal(err)
	}
	e3.ReleaseStop("6228480000000002")
	e3.Restore(context.Background(), rep, d, time.Time{})
	if e3.State().Lists.Account("6228480000000002", it.T0).List != intercept.ListBlack {
		t.Error("the reported account is not black-listed after replay")
	}
	if _, ok := e3.State().Stopped("6228480000000002"); !ok {
		t.Error("the stop-payment is not in force after replay")
	}
}

// stalledJournal holds every Append until released: decisions made meanwhile are not
// yet durable.
type stalledJournal struct {
	entered, release chan struct{}
}

func (j *stalledJournal) Append(ctx context.Context, recs ...intercept.Record) (uint64, error) {
	j.entered <- struct{}{}
	<-j.release
	return uint64(len(recs)), nil
}

// A snapshot taken while a decision waits for the journal leaves it out: restored,
// the event is decided again, not answered as a duplicate of a decision never kept,
// and the stop it claimed holds nothing.
func TestSnapshotLeavesOutDecisionsNotDurable(t *testing.T) {
	e := testEngine(t, intercept.DefaultSettings(), lifecycleRules)
	j := &stalledJournal{entered: make(chan struct{}), release: make(chan struct{})}
	d := intercept.NewDesk(e, j, intercept.Decoder{DefaultCountry: "86"}, discardLog)
	ev := it.Transfer("t-stalled", it.T0, "6222020000000001", "+8613800000001", "6228480000000077", 50000) // big: its payee is stopped
	done := make(chan error, 1)
	go func() {
		_, err := d.Decide(context.Background(), ev)
		done <- err
	}()
	<-j.entered // decided, on its way to the journal
	var snap bytes.Buffer
	if err := e.WriteSnapshot(&snap, intercept.SnapshotHeader{Seq: 0}); err != nil {
		t.Fatal(err)
	}
	close(j.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	e2 := testEngine(t, intercept.DefaultSettings(), lifecycleRules)
	if _, err := e2.ReadSnapshot(&snap); err != nil {
		t.Fatal(err)
	}
	if id, ok := e2.State().Stopped("6228480000000077"); ok {
		t.Errorf("the payee is held by %s, a stop of a decision never kept", id)
	}
	j2 := &it.Journal{}
	d2 := intercept.NewDesk(e2, j2, intercept.Decoder{DefaultCountry: "86"}, discardLog)
	got, err := d2.Decide(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if got.Duplicate || len(j2.Records()) == 0 {
		t.Errorf("after the snapshot, the event is a duplicate (%v), journaled %d records: want it decided and journaled afresh", got.Duplicate, len(j2.Records()))
	}
}
