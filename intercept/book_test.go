package intercept_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lanjie/lanjie/intercept"
	it "github.com/lanjie/lanjie/intercept/intercepttest"
)

// clock is a fake desk clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// lifecycleRules stops the payee of a big transfer, and a report's accounts and
// numbers, like the starter rules do.
func lifecycleRules(_ *intercept.State, ev *intercept.Event, out *intercept.Outcome) {
	switch {
	case ev.Kind == intercept.KindTransfer && ev.Amount >= 1_000_000:
		out.Matched = append(out.Matched, intercept.Match{Rule: "big", Score: 90, Why: "big", Actions: []intercept.RuleAction{{Type: intercept.ActStopPayment, Target: "payee_account"}}})
	case ev.Kind == intercept.KindReport:
		out.Matched = append(out.Matched, intercept.Match{Rule: "report", Score: 100, Why: "reported", Actions: []intercept.RuleAction{
			{Type: intercept.ActStopPayment, Target: "suspect_accounts"}, {Type: intercept.ActCutoff, Target: "suspect_numbers"}}})
	}
}

type deskFixture struct {
	eng    *intercept.Engine
	desk   *intercept.Desk
	j      *it.Journal
	clock  *clock
	mu     sync.Mutex
	notice []string // "event order-id"
}

func newDeskFixture(t *testing.T, j *it.Journal) *deskFixture {
	t.Helper()
	f := &deskFixture{eng: testEngine(t, intercept.DefaultSettings(), lifecycleRules), j: j, clock: &clock{t: it.T0}}
	j.Now = f.clock.now
	f.desk = intercept.NewDesk(f.eng, j, intercept.Decoder{DefaultCountry: "86"}, discardLog)
	f.desk.SetClock(f.clock.now)
	f.desk.SetNotifier(func(o intercept.Order, event string) {
		f.mu.Lock()
		f.notice = append(f.notice, event+" "+string(o.Type))
		f.mu.Unlock()
	})
	return f
}

func (f *deskFixture) act(t *testing.T, id string, op intercept.OrderOp) intercept.Order {
	t.Helper()
	op.Who = "liaison"
	o, err := f.desk.ActOnOrder(context.Background(), id, "", op)
	if err != nil {
		t.Fatalf("%s %s: %v", op.Op, id, err)
	}
	return o
}

const (
	muleAccount = "6228480000000002"
	scamNumber  = "+85512345678"
)

func TestOrderLifecycle(t *testing.T) {
	ctx := context.Background()
	f := newDeskFixture(t, &it.Journal{})
	rep := `{"id":"r-1","kind":"report","at":"2026-11-21T10:00:00+08:00","reporter_phone":"+8613800000001","fraud_type":"impersonating_police","suspect_numbers":["+85512345678"],"suspect_accounts":[{"bank":"ABC","account":"6228480000000002"}],"amount_lost":"52000.00"}`
	res, err := f.desk.Ingest(ctx, [][]byte{[]byte(rep)})
	if err != nil || res[0].Decision == nil {
		t.Fatalf("ingest report: %v %+v", err, res)
	}
	d := res[0].Decision
	book := f.desk.Book()
	c, err := book.Case(d.CaseID)
	if err != nil {
		t.Fatalf("the report opened no case: %v", err)
	}
	if len(c.Orders) != 2 || c.Status != intercept.CaseOpen || c.AmountLost != 5_200_000 {
		t.Fatalf("case = %+v, want 2 orders, open, ¥52,000 lost", c)
	}
	stopID, cutID := d.Actions[0].OrderID, d.Actions[1].OrderID
	stop, _ := book.Order(stopID)
	if stop.Status != intercept.StatusPending || stop.Org != "ABC" || stop.Amount != 5_200_000 || stop.CaseID != c.ID ||
		!stop.Deadline.Equal(stop.Created.Add(30*time.Minute)) {
		t.Fatalf("stop = %+v", stop)
	}
	cut, _ := book.Order(cutID)
	if cut.Org != "UNASSIGNED" || cut.Type != intercept.ActCutoff {
		t.Fatalf("cutoff of an overseas number = %+v, want unassigned operator", cut)
	}

	// The bank executes the stop; it lasts 48 h from execution.
	f.clock.add(10 * time.Minute)
	if _, err := f.desk.ActOnOrder(ctx, stopID, "", intercept.OrderOp{Op: "execute"}); !isField(err, "reference") {
		t.Fatalf("execute without reference: %v, want a field error naming reference", err)
	}
	stop = f.act(t, stopID, intercept.OrderOp{Op: "execute", Reference: "ABC-2026-0001"})
	if !stop.Expires.Equal(f.clock.now().Add(48 * time.Hour)) {
		t.Fatalf("stop expires %v, want 48 h after execution", stop.Expires)
	}
	if _, err := f.desk.ActOnOrder(ctx, stopID, "", intercept.OrderOp{Op: "execute", Reference: "again"}); !errors.Is(err, intercept.ErrConflict) {
		t.Fatalf("executing twice: %v, want conflict", err)
	}
	if _, err := f.desk.ActOnOrder(ctx, stopID, "CCB", intercept.OrderOp{Op: "reject", Reason: "x"}); !errors.Is(err, intercept.ErrNotFound) {
		t.Fatalf("another bank acting on ABC's order: %v, want not found", err)
	}

	// The clock passes the term: the sweep expires it and money may leave again.
	f.clock.add(48*time.Hour + time.Minute)
	swept, err := f.desk.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !hasStatus(swept, stopID, intercept.StatusExpired) || !hasStatus(swept, cutID, intercept.StatusOverdue) {
		t.Fatalf("sweep = %+v, want the stop expired and the unexecuted cutoff overdue", swept)
	}
	if _, ok := f.eng.State().Stopped(muleAccount); ok {
		t.Fatal("an expired stop still holds the account")
	}

	// Renewing asks the bank for the second stop: a new order with the same details,
	// which the bank executes as its own step; a third is refused.
	stop = f.act(t, stopID, intercept.OrderOp{Op: "renew", Reason: "victim's funds still in the account"})
	renewal, err := book.Order(stop.Child)
	if err != nil || renewal.Status != intercept.StatusPending || renewal.Parent != stopID || renewal.Renewals != 1 ||
		renewal.Amount != stop.Amount || renewal.Org != "ABC" || book.Stops(muleAccount) != 2 {
		t.Fatalf("renewal = %+v, %v; stops %d", renewal, err, book.Stops(muleAccount))
	}
	if id, ok := f.eng.State().Stopped(muleAccount); !ok || id != renewal.ID {
		t.Fatalf("renewal not in force: %q %v", id, ok)
	}
	renewal = f.act(t, renewal.ID, intercept.OrderOp{Op: "execute", Reference: "ABC-2026-0002"})
	if !renewal.Expires.Equal(f.clock.now().Add(48 * time.Hour)) {
		t.Fatalf("renewal expires %v, want 48 h after the bank executed it", renewal.Expires)
	}
	f.clock.add(49 * time.Hour)
	if _, err := f.desk.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{stopID, renewal.ID} {
		if _, err := f.desk.ActOnOrder(ctx, id, "", intercept.OrderOp{Op: "renew"}); !errors.Is(err, intercept.ErrConflict) {
			t.Fatalf("third stop by renewing %s: %v, want conflict", id, err)
		}
	}
	_, err = f.desk.Issue(ctx, intercept.IssueRequest{Type: intercept.ActStopPayment, Bank: "ABC", Account: muleAccount, AccountName: "Zhang San", Amount: "52000.00", TxAt: it.T0, Reason: "again"}, "hotline")
	if !errors.Is(err, intercept.ErrConflict) {
		t.Fatalf("third stop by hand: %v, want conflict", err)
	}
	// The engine, asked for a third stop, asks the desk for a freeze instead.
	tr := it.Transfer("t-9", it.T0.Add(100*time.Hour), "6222020000000009", "+8613800000009", muleAccount, 20000)
	td, err := f.desk.Decide(ctx, tr)
	if err != nil {
		t.Fatal(err)
	}
	if len(td.Actions) != 1 || td.Actions[0].Type != intercept.ActFreezeRequest {
		t.Fatalf("third stop's actions = %+v, want one freeze request", td.Actions)
	}
	frID := td.Actions[0].OrderID

	// A freeze request is the desk's: the bank neither executes nor rejects it.
	if _, err := f.desk.ActOnOrder(ctx, frID, "", intercept.OrderOp{Op: "execute", Reference: "x"}); !errors.Is(err, intercept.ErrConflict) {
		t.Fatalf("executing a freeze request: %v, want conflict", err)
	}
	// The freeze request becomes a partial freeze under a legal document.
	if _, err := f.desk.ActOnOrder(ctx, frID, "", intercept.OrderOp{Op: "convert"}); !isField(err, "document") {
		t.Fatalf("convert without document: %v", err)
	}
	fr := f.act(t, frID, intercept.OrderOp{Op: "convert", Document: "公(刑)冻字[2026]001号", Limit: 5_200_000})
	fz, err := book.Order(fr.Child)
	if err != nil || fz.Type != intercept.ActFreeze || fz.Amount != 5_200_000 || fz.Parent != frID || fz.Status != intercept.StatusPending {
		t.Fatalf("freeze = %+v, %v", fz, err)
	}
	fz = f.act(t, fz.ID, intercept.OrderOp{Op: "execute", Reference: "ABC-FZ-7"})
	if want := f.clock.now().AddDate(0, 6, 0); !fz.Expires.Equal(want) {
		t.Fatalf("freeze expires %v, want %v (6 months)", fz.Expires, want)
	}
	if id, _ := f.eng.State().Stopped(muleAccount); id != fz.ID {
		t.Fatalf("frozen account held by %q, want the freeze %s", id, fz.ID)
	}

	// The holder appeals; the desk grants it with grounds; the freeze is released.
	if _, err := f.desk.FileAppeal(ctx, intercept.AppealChange{OrderID: fz.ID, Who: "hotline"}); !isField(err, "appellant") {
		t.Fatalf("appeal without appellant: %v", err)
	}
	ap, err := f.desk.FileAppeal(ctx, intercept.AppealChange{OrderID: fz.ID, Appellant: "Li Si", Contact: "+8613900000000", Statement: "the money is my salary", Who: "hotline"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.desk.FileAppeal(ctx, intercept.AppealChange{OrderID: fz.ID, Appellant: "Li Si", Statement: "again", Who: "hotline"}); !errors.Is(err, intercept.ErrConflict) {
		t.Fatalf("second pending appeal: %v, want conflict", err)
	}
	if _, err := f.desk.DecideAppeal(ctx, intercept.AppealChange{AppealID: ap.ID, Outcome: intercept.AppealGranted, Who: "chief"}); !isField(err, "grounds") {
		t.Fatalf("decision without grounds: %v", err)
	}
	ap, err = f.desk.DecideAppeal(ctx, intercept.AppealChange{AppealID: ap.ID, Outcome: intercept.AppealGranted, Grounds: "payroll records match", Who: "chief"})
	if err != nil || ap.Status != intercept.AppealGranted {
		t.Fatalf("appeal = %+v, %v", ap, err)
	}
	fz, _ = book.Order(fz.ID)
	if fz.Status != intercept.StatusReleased || !strings.Contains(fz.Reason, "payroll") {
		t.Fatalf("freeze after granted appeal = %s (%s)", fz.Status, fz.Reason)
	}
	if _, ok := f.eng.State().Stopped(muleAccount); ok {
		t.Fatal("the account is still held after the appeal was granted")
	}

	// The operator executes the overdue cutoff; restoring needs written approval.
	f.act(t, cutID, intercept.OrderOp{Op: "execute", Reference: "CMCC-CUT-3"})
	if _, err := f.desk.ActOnOrder(ctx, cutID, "", intercept.OrderOp{Op: "release"}); !isField(err, "reason") {
		t.Fatalf("restore without approval grounds: %v", err)
	}
	f.act(t, cutID, intercept.OrderOp{Op: "release", Reason: "approved by duty officer: number reassigned"})
	if _, ok := f.eng.State().CutOff(scamNumber); ok {
		t.Fatal("restored number still cut off")
	}

	// The case collected the later events and orders.
	c, _ = book.Case(d.CaseID)
	if !contains(c.Orders, frID) || !contains(c.Orders, fz.ID) || !contains(c.Events, "t-9") {
		t.Fatalf("case = %+v, want the freeze request, the freeze and t-9 linked", c)
	}
	c, err = f.desk.ChangeCase(ctx, intercept.CaseChange{CaseID: c.ID, Op: "assign", Assignee: "wang", Who: "chief"})
	if err != nil || c.Assignee != "wang" || c.Status != intercept.CaseWorking {
		t.Fatalf("assigned case = %+v, %v", c, err)
	}
	if _, err := f.desk.ChangeCase(ctx, intercept.CaseChange{CaseID: c.ID, Op: "note", Text: "victim called back", Who: "wang"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.desk.ChangeCase(ctx, intercept.CaseChange{CaseID: c.ID, Op: "status", Status: "done", Who: "wang"}); !isField(err, "status") {
		t.Fatalf("bad case status: %v", err)
	}
	if want := []string{"order.pending stop_payment", "order.pending cutoff", "order.pending stop_payment",
		"order.pending freeze", "order.released freeze", "order.released cutoff"}; !cmp.Equal(want, f.notice) {
		t.Errorf("notices (-want +got):\n%s", cmp.Diff(want, f.notice))
	}

	h := sameAfterRestart(t, f)
	if _, ok := h.eng.State().CutOff(scamNumber); ok {
		t.Error("snapshot brought back a restored cutoff")
	}
}

// sameAfterRestart checks that a restart rebuilds f's book from the journal alone,
// and from a snapshot; it returns the desk restored from the snapshot.
func sameAfterRestart(t *testing.T, f *deskFixture) *deskFixture {
	t.Helper()
	ctx := context.Background()
	g := newDeskFixture(t, &it.Journal{})
	for _, r := range f.j.Records() {
		if _, err := g.desk.Restore(ctx, r); err != nil {
			t.Fatalf("restore %d: %v", r.Seq, err)
		}
	}
	sameBook(t, "journal replay", f.desk.Book(), g.desk.Book())
	var snap bytes.Buffer
	if err := f.eng.WriteSnapshot(&snap, intercept.SnapshotHeader{Seq: 1}); err != nil {
		t.Fatal(err)
	}
	h := newDeskFixture(t, &it.Journal{})
	if _, err := h.eng.ReadSnapshot(&snap); err != nil {
		t.Fatal(err)
	}
	sameBook(t, "snapshot", f.desk.Book(), h.desk.Book())
	return h
}

func sameBook(t *testing.T, how string, want, got *intercept.Book) {
	t.Helper()
	all := intercept.OrderFilter{Limit: 1000}
	if diff := cmp.Diff(want.Orders(all), got.Orders(all)); diff != "" {
		t.Errorf("%s: orders (-want +got):\n%s", how, diff)
	}
	if diff := cmp.Diff(want.Cases(intercept.CaseFilter{}), got.Cases(intercept.CaseFilter{})); diff != "" {
		t.Errorf("%s: cases (-want +got):\n%s", how, diff)
	}
	if diff := cmp.Diff(want.Appeals("", "", 0), got.Appeals("", "", 0)); diff != "" {
		t.Errorf("%s: appeals (-want +got):\n%s", how, diff)
	}
}

func isField(err error, field string) bool {
	var ve *intercept.ValidationError
	if !errors.As(err, &ve) {
		return false
	}
	for _, f := range ve.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

func hasStatus(recs []intercept.OrderStatus, id, status string) bool {
	for _, r := range recs {
		if r.OrderID == id && r.Status == status {
			return true
		}
	}
	return false
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// Orders that are over and closed cases leave memory after OrderSettings.Keep; live
// ones stay, and the account's stop count survives its orders.
func TestBookForgetsWhatIsOver(t *testing.T) {
	ctx := context.Background()
	f := newDeskFixture(t, &it.Journal{})
	stop, err := f.desk.Issue(ctx, intercept.IssueRequest{Type: intercept.ActStopPayment, Bank: "ABC", Account: muleAccount, AccountName: "Zhang San", Amount: "52000.00", TxAt: it.T0, Reason: "report"}, "hotline")
	if err != nil {
		t.Fatal(err)
	}
	cut, err := f.desk.Issue(ctx, intercept.IssueRequest{Type: intercept.ActCutoff, Phone: scamNumber, ReasonCode: "scam_calls", Reason: "report"}, "hotline")
	if err != nil {
		t.Fatal(err)
	}
	f.act(t, stop.ID, intercept.OrderOp{Op: "execute", Reference: "ABC-1"})
	f.act(t, stop.ID, intercept.OrderOp{Op: "release", Reason: "funds returned to the victim"})
	f.clock.add(29 * 24 * time.Hour)
	if _, err := f.desk.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.desk.Book().Order(stop.ID); err != nil {
		t.Fatalf("a stop released 29 days ago is gone already: %v", err)
	}
	f.clock.add(2 * 24 * time.Hour)
	if _, err := f.desk.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.desk.Book().Order(stop.ID); !errors.Is(err, intercept.ErrNotFound) {
		t.Errorf("a stop released 31 days ago is still in memory: %v", err)
	}
	if o, err := f.desk.Book().Order(cut.ID); err != nil || o.Status != intercept.StatusOverdue {
		t.Errorf("the live cutoff = %+v, %v; want kept, overdue", o, err)
	}
	if n := f.desk.Book().Stops(muleAccount); n != 1 {
		t.Errorf("stops of the account = %d after its order left memory, want 1", n)
	}
}

// A decision whose journal append failed leaves no order in force: the retry issues
// its orders afresh, and the failed attempt does not count as a stop.
func TestAbandonedDecisionLeavesNoOrders(t *testing.T) {
	ctx := context.Background()
	j := &it.Journal{}
	f := newDeskFixture(t, j)
	rep := []byte(`{"id":"r-1","kind":"report","at":"2026-11-21T10:00:00+08:00","reporter_phone":"+8613800000001","fraud_type":"impersonating_police","suspect_numbers":["+85512345678"],"suspect_accounts":[{"bank":"ABC","account":"6228480000000002"}]}`)
	j.Fail(true)
	if _, err := f.desk.Ingest(ctx, [][]byte{rep}); err == nil {
		t.Fatal("ingest with the journal down: no error")
	}
	if _, ok := f.eng.State().Stopped(muleAccount); ok {
		t.Fatal("an unacknowledged decision left a stop in force")
	}
	if _, ok := f.eng.State().CutOff(scamNumber); ok {
		t.Fatal("an unacknowledged decision left a cutoff in force")
	}
	j.Fail(false)
	res, err := f.desk.Ingest(ctx, [][]byte{rep})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range res[0].Decision.Actions {
		if a.OrderID == "" {
			continue
		}
		if a.Existing {
			t.Errorf("retry: %s %s marked existing", a.Type, a.OrderID)
		}
		if _, err := f.desk.Book().Order(a.OrderID); err != nil {
			t.Errorf("retry: %s not in the book: %v", a.OrderID, err)
		}
	}
	if n := f.desk.Book().Stops(muleAccount); n != 1 {
		t.Errorf("stops counted = %d, want 1 (the failed attempt does not count)", n)
	}
}

// Only stops carried out count toward the limit: a stop the bank rejected, or one it
// never executed (which lapses after the stop term), leaves the account's count alone.
// Freeze requests are never sent to the bank, not even again after a restart.
func TestStopsThatNeverTookEffect(t *testing.T) {
	ctx := context.Background()
	f := newDeskFixture(t, &it.Journal{})
	issue := func(typ intercept.ActionType) intercept.Order {
		t.Helper()
		o, err := f.desk.Issue(ctx, intercept.IssueRequest{Type: typ, Bank: "ABC", Account: muleAccount, AccountName: "Zhang San", Amount: "52000.00", TxAt: it.T0, Reason: "report"}, "hotline")
		if err != nil {
			t.Fatalf("issue %s: %v", typ, err)
		}
		return o
	}
	first := issue(intercept.ActStopPayment)
	f.act(t, first.ID, intercept.OrderOp{Op: "reject", Reason: "name does not match"})
	if n := f.desk.Book().Stops(muleAccount); n != 0 {
		t.Fatalf("a rejected stop counts: %d stops", n)
	}
	second := issue(intercept.ActStopPayment)
	f.clock.add(time.Hour)
	if _, err := f.desk.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	f.clock.add(48 * time.Hour)
	if _, err := f.desk.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if o, _ := f.desk.Book().Order(second.ID); o.Status != intercept.StatusExpired {
		t.Fatalf("an unexecuted stop after its term is %s, want expired", o.Status)
	}
	if _, ok := f.eng.State().Stopped(muleAccount); ok || f.desk.Book().Stops(muleAccount) != 0 {
		t.Fatalf("a lapsed unexecuted stop still holds the account or counts (%d)", f.desk.Book().Stops(muleAccount))
	}
	issue(intercept.ActFreezeRequest)
	third := issue(intercept.ActStopPayment)
	f.mu.Lock()
	f.notice = nil
	f.mu.Unlock()
	if n := f.desk.Resend(); n != 1 {
		t.Errorf("Resend sent %d orders, want 1", n)
	}
	if want := []string{"order.pending stop_payment"}; !cmp.Equal(want, f.notice) {
		t.Errorf("resent %v, want only the stop %s", f.notice, third.ID)
	}
}
