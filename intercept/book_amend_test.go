package intercept_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/lanjie/lanjie/intercept"
	it "github.com/lanjie/lanjie/intercept/intercepttest"
)

// A report's stop of an account whose holder, amount and time the victim did not know
// is completed by the hotline once they do; the bank hears of it and executes it.
func TestAmendCompletesAReportsStop(t *testing.T) {
	ctx := context.Background()
	f := newDeskFixture(t, &it.Journal{})
	rep := `{"id":"r-1","kind":"report","at":"2026-11-21T10:00:00+08:00","reporter_phone":"+8613800000001","fraud_type":"impersonating_police",` +
		`"suspect_accounts":[{"bank":"CCB","account":"6217000000000003"}],"amount_lost":"52000.00"}`
	res, err := f.desk.Ingest(ctx, [][]byte{[]byte(rep)})
	if err != nil || res[0].Decision == nil {
		t.Fatalf("ingest: %v %+v", err, res)
	}
	var id string
	for _, a := range res[0].Decision.Actions {
		if a.Type == intercept.ActStopPayment {
			id = a.OrderID
		}
	}
	if id == "" {
		t.Fatalf("the report issued no stop: %+v", res[0].Decision.Actions)
	}
	before, _ := f.desk.Book().Order(id)
	if before.AccountName != "" || !before.TxAt.IsZero() || before.Amount != 5_200_000 {
		t.Fatalf("stop = %+v, want no name and no time (the victim did not give them), the loss as its amount", before)
	}

	// Nothing to amend with, and bad details, are refused with the field named.
	for _, c := range []struct {
		op    intercept.OrderOp
		field string
	}{
		{intercept.OrderOp{}, ""},
		{intercept.OrderOp{Amount: "0.00"}, "amount"},
		{intercept.OrderOp{Amount: "12.345"}, "amount"},
		{intercept.OrderOp{AccountName: "  "}, "account_name"},
		{intercept.OrderOp{AccountName: "张\x07三"}, "account_name"},
		{intercept.OrderOp{TxAt: it.T0.Add(time.Hour)}, "tx_at"},
	} {
		c.op.Op = "amend"
		if _, err := f.desk.ActOnOrder(ctx, id, "", c.op); !isField(err, c.field) {
			t.Errorf("amend %+v: %v, want a field error naming %q", c.op, err, c.field)
		}
	}

	if _, err := f.desk.ActOnOrder(ctx, id, "", intercept.OrderOp{Op: "amend", Amount: "0"}); err == nil || !strings.HasPrefix(err.Error(), "invalid order: amount: ") {
		t.Errorf("refused amendment says %q, want it to name the order and the field", err)
	}

	f.clock.add(10 * time.Minute)
	paid := it.T0.Add(-3 * time.Hour)
	o := f.act(t, id, intercept.OrderOp{Op: "amend", AccountName: "王五", Amount: "30000.00", Reason: "the victim called back"})
	f.clock.add(time.Minute)
	o = f.act(t, id, intercept.OrderOp{Op: "amend", TxAt: paid}) // the rest stays as amended
	if o.AccountName != "王五" || o.Amount != 3_000_000 || !o.TxAt.Equal(paid) {
		t.Errorf("amended stop: name %q, amount %d, paid %v", o.AccountName, o.Amount, o.TxAt)
	}
	if o.Status != intercept.StatusPending || !o.Deadline.Equal(before.Deadline) {
		t.Errorf("amending moved the stop: %s, deadline %v (was %v)", o.Status, o.Deadline, before.Deadline)
	}
	var got []string
	for _, h := range o.History {
		got = append(got, h.Status+" "+h.By+" "+h.Reason)
	}
	if want := []string{"pending engine " + before.Reason, "amended liaison the victim called back", "amended liaison "}; !cmp.Equal(want, got) {
		t.Errorf("history (-want +got):\n%s", cmp.Diff(want, got))
	}
	if want := []string{"order.pending stop_payment", "order.amended stop_payment", "order.amended stop_payment"}; !cmp.Equal(want, f.notice) {
		t.Errorf("notices (-want +got):\n%s", cmp.Diff(want, f.notice))
	}

	// The bank executes it with what it matched; then there is nothing to amend.
	o = f.act(t, id, intercept.OrderOp{Op: "execute", Reference: "CCB-1"})
	if o.Amount != 3_000_000 || o.History[len(o.History)-1].Amount != 3_000_000 {
		t.Errorf("executed stop holds %d fen (record %d), want the amended 3000000", o.Amount, o.History[len(o.History)-1].Amount)
	}
	if _, err := f.desk.ActOnOrder(ctx, id, "", intercept.OrderOp{Op: "amend", Amount: "1.00"}); !errors.Is(err, intercept.ErrConflict) {
		t.Errorf("amending an executed stop: %v, want conflict", err)
	}
	sameAfterRestart(t, f)
}

// Only stops are amended: a cutoff's or a freeze request's details are not the
// bank's to match.
func TestAmendOnlyStops(t *testing.T) {
	ctx := context.Background()
	f := newDeskFixture(t, &it.Journal{})
	fr, err := f.desk.Issue(ctx, intercept.IssueRequest{Type: intercept.ActFreezeRequest, Bank: "ABC", Account: muleAccount, Reason: "report"}, "hotline")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.desk.ActOnOrder(ctx, fr.ID, "", intercept.OrderOp{Op: "amend", Amount: "5.00"}); !errors.Is(err, intercept.ErrConflict) {
		t.Errorf("amending a freeze request: %v, want conflict", err)
	}
	if n := len(f.j.Records()); n != 1 {
		t.Errorf("%d records journaled, want the freeze request's 1", n)
	}
}

// Two amendments in the same instant are both kept, and replayed as such.
func TestAmendTwiceInOneInstant(t *testing.T) {
	f := newDeskFixture(t, &it.Journal{})
	stop := f.stop(t)
	f.act(t, stop.ID, intercept.OrderOp{Op: "amend", Amount: "100.00"})
	o := f.act(t, stop.ID, intercept.OrderOp{Op: "amend", Amount: "200.00"}) // the fake clock did not move
	if o.Amount != 20_000 || len(o.History) != 3 || o.LastAmended() != 3 {
		t.Fatalf("after two amendments at one time: amount %d, %d entries, last amended at %d", o.Amount, len(o.History), o.LastAmended())
	}
	sameAfterRestart(t, f)
}

// After a restart the orgs are told again what may have been in flight: waiting
// orders, a waiting stop's last amendment, the last day's releases and conversions.
func TestResendAfterRestart(t *testing.T) {
	ctx := context.Background()
	f := newDeskFixture(t, &it.Journal{})
	issue := func(account string) intercept.Order {
		t.Helper()
		o, err := f.desk.Issue(ctx, intercept.IssueRequest{Type: intercept.ActStopPayment, Bank: "ABC", Account: account,
			AccountName: "张三", Amount: "500.00", TxAt: it.T0.Add(-time.Hour), Reason: "report"}, "hotline")
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	old := issue("6228480000000101")
	f.act(t, old.ID, intercept.OrderOp{Op: "release", Reason: "funds returned"})
	f.clock.add(25 * time.Hour) // that release is over a day old
	waiting := issue("6228480000000102")
	f.act(t, waiting.ID, intercept.OrderOp{Op: "amend", AccountName: "李四"})
	sent := issue("6228480000000103")
	f.act(t, sent.ID, intercept.OrderOp{Op: "sent"})
	f.act(t, sent.ID, intercept.OrderOp{Op: "amend", Amount: "600.00"})
	f.act(t, sent.ID, intercept.OrderOp{Op: "amend", Amount: "700.00"})
	delivered := issue("6228480000000104")
	f.act(t, delivered.ID, intercept.OrderOp{Op: "sent"})
	released := issue("6228480000000105")
	f.act(t, released.ID, intercept.OrderOp{Op: "release", Reason: "wrong account"})

	g := newDeskFixture(t, &it.Journal{})
	g.clock.t = f.clock.now()
	for _, r := range f.j.Records() {
		if _, err := g.desk.Restore(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	type msg struct {
		Event, ID string
		Version   int
	}
	var got []msg
	g.desk.SetNotifier(func(o intercept.Order, event string) {
		v := len(o.History)
		if event == "order.amended" {
			v = o.LastAmended()
		}
		got = append(got, msg{event, o.ID, v})
	})
	n := g.desk.Resend()
	want := []msg{
		{"order.pending", waiting.ID, 2}, {"order.amended", waiting.ID, 2},
		{"order.amended", sent.ID, 4},
		{"order.released", released.ID, 2},
	}
	sortMsgs := cmpopts.SortSlices(func(a, b msg) bool { return a.ID+a.Event < b.ID+b.Event })
	if diff := cmp.Diff(want, got, sortMsgs); diff != "" || n != len(want) {
		t.Errorf("resent %d (-want +got):\n%s", n, diff)
	}
}
