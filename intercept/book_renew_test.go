package intercept_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lanjie/lanjie/intercept"
	it "github.com/lanjie/lanjie/intercept/intercepttest"
)

// stop issues a stop-payment of muleAccount by hand, as the hotline does.
func (f *deskFixture) stop(t *testing.T) intercept.Order {
	t.Helper()
	o, err := f.desk.Issue(context.Background(), intercept.IssueRequest{Type: intercept.ActStopPayment, Bank: "ABC", Account: muleAccount,
		AccountName: "张三", Amount: "52000.00", TxAt: it.T0.Add(-time.Hour), Reason: "report"}, "hotline")
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// The engine's stops carry what the bank matches before it executes: the holder's
// name, the amount and when it was paid, from the transfer or the victim's report.
func TestEngineStopsCarryWhatTheBankMatches(t *testing.T) {
	ctx := context.Background()
	f := newDeskFixture(t, &it.Journal{})
	paid := it.T0.Add(-2 * time.Hour)
	rep := `{"id":"r-1","kind":"report","at":"2026-11-21T10:00:00+08:00","reporter_phone":"+8613800000001","fraud_type":"impersonating_police",` +
		`"suspect_accounts":[{"bank":"ABC","account":"6228480000000002","name":"李四","amount":"30000","at":"2026-11-21T08:00:00+08:00"},{"bank":"CCB","account":"6217000000000003"}],"amount_lost":"52000.00"}`
	res, err := f.desk.Ingest(ctx, [][]byte{[]byte(rep)})
	if err != nil || res[0].Decision == nil {
		t.Fatalf("ingest: %v %+v", err, res)
	}
	tr := it.Transfer("t-1", it.T0.Add(time.Minute), "6222020000000001", "+8613800000001", "6228480000000009", 20000)
	tr.PayeeName = "张三"
	td, err := f.desk.Decide(ctx, tr)
	if err != nil || len(td.Actions) != 1 {
		t.Fatalf("decide: %+v, %v", td, err)
	}
	type details struct {
		Account, Name string
		Amount        intercept.Fen
		At            time.Time
	}
	var got []details
	for _, a := range append(res[0].Decision.Actions, td.Actions...) {
		if a.Type != intercept.ActStopPayment {
			continue
		}
		o, err := f.desk.Book().Order(a.OrderID)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, details{o.Account, o.AccountName, o.Amount, o.TxAt})
	}
	want := []details{
		{"6228480000000002", "李四", 3_000_000, paid},
		{"6217000000000003", "", 0, time.Time{}}, // unknown to the victim: nothing made up; the loss is not split
		{"6228480000000009", "张三", 2_000_000, it.T0.Add(time.Minute)},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(time.Time.Equal)); diff != "" {
		t.Errorf("stops (-want +got):\n%s", diff)
	}
}

// A stop issued by hand names the holder, the amount and when the money moved.
func TestHandStopNeedsWhatTheBankMatches(t *testing.T) {
	f := newDeskFixture(t, &it.Journal{})
	_, err := f.desk.Issue(context.Background(), intercept.IssueRequest{Type: intercept.ActStopPayment, Bank: "ABC", Account: muleAccount, Reason: "report"}, "hotline")
	for _, field := range []string{"account_name", "amount", "tx_at"} {
		if !isField(err, field) {
			t.Errorf("stop without %s: %v, want a field error naming it", field, err)
		}
	}
	_, err = f.desk.Issue(context.Background(), intercept.IssueRequest{Type: intercept.ActStopPayment, Bank: "ABC", Account: muleAccount,
		AccountName: "张三", Amount: "500.00", TxAt: it.T0.Add(time.Hour), Reason: "report"}, "hotline")
	if !isField(err, "tx_at") {
		t.Errorf("stop of money moved in the future: %v, want a field error naming tx_at", err)
	}
	// The same rules as the feeds: a name of at most 100 characters, no control
	// characters; and money to hold.
	for _, c := range []struct{ name, amount, field string }{
		{strings.Repeat("张", 101), "500.00", "account_name"},
		{"张\x00三", "500.00", "account_name"},
		{"张三", "0.00", "amount"},
		{"张三", "-5.00", "amount"},
	} {
		_, err = f.desk.Issue(context.Background(), intercept.IssueRequest{Type: intercept.ActStopPayment, Bank: "ABC", Account: muleAccount,
			AccountName: c.name, Amount: c.amount, TxAt: it.T0.Add(-time.Hour), Reason: "report"}, "hotline")
		if !isField(err, c.field) {
			t.Errorf("stop of %q for %q: %v, want a field error naming %s", c.amount, c.name, err, c.field)
		}
	}
	if _, err := f.desk.Issue(context.Background(), intercept.IssueRequest{Type: intercept.ActStopPayment, Bank: "ABC", Account: muleAccount,
		AccountName: strings.Repeat("张", 100), Amount: "0.01", TxAt: it.T0.Add(-time.Hour), Reason: "report"}, "hotline"); err != nil {
		t.Errorf("stop with a 100-character name and 0.01 yuan: %v", err)
	}
	if n := len(f.j.Records()); n != 1 {
		t.Errorf("refused orders and one good one journaled %d records, want 1", n)
	}
}

// A renewal is its own order: the bank executes or rejects it, and the order it
// renews stands until its own term meanwhile.
func TestRenewalIsConfirmedByTheBank(t *testing.T) {
	ctx := context.Background()
	f := newDeskFixture(t, &it.Journal{})
	book := f.desk.Book()
	holder := func() string {
		id, _ := f.eng.State().Stopped(muleAccount)
		return id
	}
	stop := f.stop(t)
	stop = f.act(t, stop.ID, intercept.OrderOp{Op: "execute", Reference: "ABC-1"})
	term := stop.Expires

	// Renewed while it stands; the bank refuses the renewal: the stop still holds, and
	// the refused renewal does not count as a stop.
	f.clock.add(40 * time.Hour)
	stop = f.act(t, stop.ID, intercept.OrderOp{Op: "renew", Reason: "funds still there"})
	first := stop.Child
	if _, err := f.desk.ActOnOrder(ctx, stop.ID, "", intercept.OrderOp{Op: "renew"}); !errors.Is(err, intercept.ErrConflict) {
		t.Fatalf("renewing twice at once: %v, want conflict", err)
	}
	if _, err := f.desk.ActOnOrder(ctx, stop.ID, "", intercept.OrderOp{Op: "convert", Document: "D-1"}); !errors.Is(err, intercept.ErrConflict) {
		t.Fatalf("converting an order whose renewal is pending: %v, want conflict", err)
	}
	f.act(t, first, intercept.OrderOp{Op: "reject", Reason: "name does not match"})
	if stop, _ = book.Order(stop.ID); stop.Status != intercept.StatusExecuted || holder() != stop.ID || book.Stops(muleAccount) != 1 {
		t.Fatalf("after the renewal was refused: stop %s, held by %q, %d stops", stop.Status, holder(), book.Stops(muleAccount))
	}

	// Renewed again, executed: its term runs from the bank's execution, and the old
	// stop's expiry does not free the account.
	stop = f.act(t, stop.ID, intercept.OrderOp{Op: "renew"})
	renewal, _ := book.Order(stop.Child)
	if renewal.ID == first || renewal.Renewals != 1 || renewal.AccountName != "张三" || renewal.Amount != 5_200_000 {
		t.Fatalf("second renewal = %+v", renewal)
	}
	f.clock.add(time.Hour)
	renewal = f.act(t, renewal.ID, intercept.OrderOp{Op: "execute", Reference: "ABC-2"})
	if want := f.clock.now().Add(48 * time.Hour); !renewal.Expires.Equal(want) {
		t.Fatalf("renewal expires %v, want %v", renewal.Expires, want)
	}
	f.clock.add(term.Sub(f.clock.now()) + time.Minute)
	if _, err := f.desk.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if stop, _ = book.Order(stop.ID); stop.Status != intercept.StatusExpired || holder() != renewal.ID {
		t.Fatalf("old term over: stop %s, account held by %q, want the renewal %s", stop.Status, holder(), renewal.ID)
	}

	// An appeal against the renewal lifts it (the stop it renewed has lapsed).
	ap, err := f.desk.FileAppeal(ctx, intercept.AppealChange{OrderID: renewal.ID, Appellant: "张三", Statement: "salary", Who: "hotline"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.desk.DecideAppeal(ctx, intercept.AppealChange{AppealID: ap.ID, Outcome: intercept.AppealGranted, Grounds: "payroll", Who: "chief"}); err != nil {
		t.Fatal(err)
	}
	if renewal, _ = book.Order(renewal.ID); renewal.Status != intercept.StatusReleased || holder() != "" {
		t.Fatalf("after the appeal: renewal %s, account held by %q", renewal.Status, holder())
	}
	sameAfterRestart(t, f)
}

// Releasing a stop whose renewal the bank has yet to execute lifts both.
func TestReleaseLiftsAPendingRenewal(t *testing.T) {
	f := newDeskFixture(t, &it.Journal{})
	stop := f.stop(t)
	f.act(t, stop.ID, intercept.OrderOp{Op: "execute", Reference: "ABC-1"})
	stop = f.act(t, stop.ID, intercept.OrderOp{Op: "renew"})
	f.act(t, stop.ID, intercept.OrderOp{Op: "release", Reason: "victim's mistake"})
	renewal, _ := f.desk.Book().Order(stop.Child)
	if renewal.Status != intercept.StatusReleased {
		t.Fatalf("renewal %s after its stop was released, want released", renewal.Status)
	}
	if id, ok := f.eng.State().Stopped(muleAccount); ok {
		t.Fatalf("account still held by %s", id)
	}
}

// A freeze is renewed under a new legal document while it stands; the new term runs
// on from the old one. A lapsed freeze is not renewed.
func TestFreezeRenewalRunsOnFromItsTerm(t *testing.T) {
	ctx := context.Background()
	f := newDeskFixture(t, &it.Journal{})
	book := f.desk.Book()
	stop := f.stop(t)
	stop = f.act(t, stop.ID, intercept.OrderOp{Op: "convert", Document: "冻字1号", Limit: 5_200_000})
	fz := f.act(t, stop.Child, intercept.OrderOp{Op: "execute", Reference: "ABC-FZ-1"})
	term := fz.Expires
	f.clock.add(term.Sub(f.clock.now()) - 7*24*time.Hour) // a week before it lapses
	if _, err := f.desk.ActOnOrder(ctx, fz.ID, "", intercept.OrderOp{Op: "renew"}); !isField(err, "document") {
		t.Fatalf("renewing a freeze without a document: %v", err)
	}
	if _, err := f.desk.ActOnOrder(ctx, fz.ID, "", intercept.OrderOp{Op: "renew", Document: "x", Limit: -1}); !isField(err, "limit_fen") {
		t.Fatalf("renewing a freeze with a negative limit: %v", err)
	}
	fz = f.act(t, fz.ID, intercept.OrderOp{Op: "renew", Document: "续冻字2号", Limit: 3_000_000})
	r, _ := book.Order(fz.Child)
	if r.Type != intercept.ActFreeze || r.Document != "续冻字2号" || r.Status != intercept.StatusPending || r.Amount != 3_000_000 {
		t.Fatalf("freeze renewal (the new document freezing 30,000 yuan) = %+v", r)
	}
	r = f.act(t, r.ID, intercept.OrderOp{Op: "execute", Reference: "ABC-FZ-2"})
	if want := term.AddDate(0, 6, 0); !r.Expires.Equal(want) {
		t.Fatalf("renewed freeze expires %v, want %v (6 months on from the old term)", r.Expires, want)
	}
	sameAfterRestart(t, f) // before a sweep forgets the converted stop, months over
	f.clock.add(8 * 24 * time.Hour)
	if _, err := f.desk.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if fz, _ = book.Order(fz.ID); fz.Status != intercept.StatusExpired {
		t.Fatalf("old freeze %s past its term, want expired", fz.Status)
	}
	if _, err := f.desk.ActOnOrder(ctx, fz.ID, "", intercept.OrderOp{Op: "renew", Document: "x"}); !errors.Is(err, intercept.ErrConflict) {
		t.Fatalf("renewing a lapsed freeze: %v, want conflict", err)
	}
	if id, _ := f.eng.State().Stopped(muleAccount); id != r.ID {
		t.Fatalf("account held by %q, want the renewed freeze %s", id, r.ID)
	}
}

// A freeze renewal keeps the limit unless its document sets another or frees the whole
// account again; a stop's renewal takes neither.
func TestFreezeRenewalKeepsSetsOrLiftsTheLimit(t *testing.T) {
	ctx := context.Background()
	f := newDeskFixture(t, &it.Journal{})
	book := f.desk.Book()
	stop := f.stop(t)
	stop = f.act(t, stop.ID, intercept.OrderOp{Op: "execute", Reference: "ABC-SP-1"})
	for _, op := range []intercept.OrderOp{{Op: "renew", Limit: 100}, {Op: "renew", Whole: true}} {
		field := "limit_fen"
		if op.Whole {
			field = "whole_account"
		}
		if _, err := f.desk.ActOnOrder(ctx, stop.ID, "", op); !isField(err, field) {
			t.Fatalf("renewing a stop with %+v: %v, want a field error on %s", op, err, field)
		}
	}
	stop = f.act(t, stop.ID, intercept.OrderOp{Op: "convert", Document: "冻字1号", Limit: 5_200_000})
	fz := f.act(t, stop.Child, intercept.OrderOp{Op: "execute", Reference: "ABC-FZ-1"})
	if _, err := f.desk.ActOnOrder(ctx, fz.ID, "", intercept.OrderOp{Op: "renew", Document: "x", Limit: 1, Whole: true}); !isField(err, "whole_account") {
		t.Fatalf("renewing with a limit and the whole account: %v", err)
	}
	for i, c := range []struct {
		op   intercept.OrderOp
		want intercept.Fen
	}{
		{intercept.OrderOp{Op: "renew", Document: "续冻字2号"}, 5_200_000},                   // the same limit
		{intercept.OrderOp{Op: "renew", Document: "续冻字3号", Limit: 3_000_000}, 3_000_000}, // another
		{intercept.OrderOp{Op: "renew", Document: "续冻字4号", Whole: true}, 0},              // the whole account
		{intercept.OrderOp{Op: "renew", Document: "续冻字5号"}, 0},                           // and it stays whole
	} {
		fz = f.act(t, fz.ID, c.op)
		r, _ := book.Order(fz.Child)
		if r.Amount != c.want || r.Document != c.op.Document {
			t.Fatalf("renewal %d (%+v): amount %d, document %q; want %d", i, c.op, r.Amount, r.Document, c.want)
		}
		fz = f.act(t, r.ID, intercept.OrderOp{Op: "execute", Reference: fmt.Sprintf("ABC-FZ-R%d", i)})
	}
	sameAfterRestart(t, f)
}

// A cutoff of a number no operator is known for, or one its operator refuses (the
// number was ported away), goes again to the operator the desk names.
func TestCutoffReassigned(t *testing.T) {
	ctx := context.Background()
	f := newDeskFixture(t, &it.Journal{})
	book := f.desk.Book()
	cut, err := f.desk.Issue(ctx, intercept.IssueRequest{Type: intercept.ActCutoff, Phone: scamNumber, ReasonCode: "scam_calls", Reason: "report"}, "hotline")
	if err != nil || cut.Org != "UNASSIGNED" {
		t.Fatalf("cutoff of an overseas number: %+v, %v; want it unassigned", cut, err)
	}
	for _, c := range []struct {
		op    intercept.OrderOp
		field string
	}{
		{intercept.OrderOp{Op: "reassign", Reason: "gateway"}, "operator"},
		{intercept.OrderOp{Op: "reassign", Operator: "UNASSIGNED", Reason: "x"}, "operator"},
		{intercept.OrderOp{Op: "reassign", Operator: "CMCC"}, "reason"},
	} {
		if _, err := f.desk.ActOnOrder(ctx, cut.ID, "", c.op); !isField(err, c.field) {
			t.Errorf("%+v: %v, want a field error naming %s", c.op, err, c.field)
		}
	}
	f.clock.add(time.Hour)
	cut = f.act(t, cut.ID, intercept.OrderOp{Op: "reassign", Operator: "CMCC", Reason: "calls enter through CMCC's gateway"})
	moved, _ := book.Order(cut.Child)
	if cut.Status != intercept.StatusReleased || moved.Org != "CMCC" || moved.Status != intercept.StatusPending || moved.Parent != cut.ID ||
		moved.ReasonCode != "scam_calls" || !moved.Deadline.Equal(f.clock.now().Add(24*time.Hour)) || moved.Renewals != 0 {
		t.Fatalf("reassigned: old %s, new %+v", cut.Status, moved)
	}
	if id, ok := f.eng.State().CutOff(scamNumber); !ok || id != moved.ID {
		t.Fatalf("number held by %q, want %s", id, moved.ID)
	}
	// CMCC refuses it (ported to CU); the desk sends it on to CU.
	f.act(t, moved.ID, intercept.OrderOp{Op: "reject", Reason: "not our subscriber: ported to CU"})
	moved = f.act(t, moved.ID, intercept.OrderOp{Op: "reassign", Operator: "CU", Reason: "ported"})
	last, _ := book.Order(moved.Child)
	if moved.Status != intercept.StatusRejected || last.Org != "CU" || last.Status != intercept.StatusPending {
		t.Fatalf("after the refusal: %s, then %+v", moved.Status, last)
	}
	if _, err := f.desk.ActOnOrder(ctx, moved.ID, "", intercept.OrderOp{Op: "reassign", Operator: "CT", Reason: "x"}); !errors.Is(err, intercept.ErrConflict) {
		t.Fatalf("reassigning an order already reassigned: %v, want conflict", err)
	}
	want := []string{"order.pending cutoff", "order.released cutoff", "order.pending cutoff", "order.pending cutoff"}
	if diff := cmp.Diff(want, f.notice); diff != "" {
		t.Errorf("notices (-want +got):\n%s", diff)
	}
	sameAfterRestart(t, f)
}

// Numbers of the virtual ranges go to the network that carries them.
func TestCutoffOperatorBySegment(t *testing.T) {
	f := newDeskFixture(t, &it.Journal{})
	for number, want := range map[string]string{
		"+8613800000001": "CMCC", "+8617031234567": "CMCC", "+8617091234567": "CU", "+8617001234567": "CT",
		"+8616212345678": "CT", "+8619212345678": "CBN", "+85512345678": "UNASSIGNED",
	} {
		o, err := f.desk.Issue(context.Background(), intercept.IssueRequest{Type: intercept.ActCutoff, Phone: number, ReasonCode: "scam_calls", Reason: "r"}, "hotline")
		if err != nil || o.Org != want {
			t.Errorf("cutoff of %s: org %q, %v; want %s", number, o.Org, err, want)
		}
	}
}

// An appeal granted against a renewal while the stop it renews still stands lifts
// both: the account is free.
func TestAppealOnARenewalLiftsWhatItRenews(t *testing.T) {
	ctx := context.Background()
	f := newDeskFixture(t, &it.Journal{})
	stop := f.stop(t)
	f.act(t, stop.ID, intercept.OrderOp{Op: "execute", Reference: "ABC-1"})
	stop = f.act(t, stop.ID, intercept.OrderOp{Op: "renew"})
	f.act(t, stop.Child, intercept.OrderOp{Op: "execute", Reference: "ABC-2"})
	ap, err := f.desk.FileAppeal(ctx, intercept.AppealChange{OrderID: stop.Child, Appellant: "张三", Statement: "salary", Who: "hotline"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.desk.DecideAppeal(ctx, intercept.AppealChange{AppealID: ap.ID, Outcome: intercept.AppealGranted, Grounds: "payroll", Who: "chief"}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{stop.ID, stop.Child} {
		if o, _ := f.desk.Book().Order(id); o.Status != intercept.StatusReleased {
			t.Errorf("%s is %s after the appeal, want released", id, o.Status)
		}
	}
	if id, ok := f.eng.State().Stopped(muleAccount); ok {
		t.Fatalf("account still held by %s", id)
	}
}

// A freeze renewal the bank did not execute before the freeze lapsed does not
// continue it; a lapsed freeze with a pending appeal or a live renewal stays in memory.
func TestFreezeRenewalAfterTheFreezeLapsed(t *testing.T) {
	ctx := context.Background()
	f := newDeskFixture(t, &it.Journal{})
	stop := f.stop(t)
	stop = f.act(t, stop.ID, intercept.OrderOp{Op: "convert", Document: "冻字1号"})
	fz := f.act(t, stop.Child, intercept.OrderOp{Op: "execute", Reference: "ABC-FZ-1"})
	if _, err := f.desk.FileAppeal(ctx, intercept.AppealChange{OrderID: fz.ID, Appellant: "张三", Statement: "salary", Who: "hotline"}); err != nil {
		t.Fatal(err)
	}
	f.clock.add(fz.Expires.Sub(f.clock.now()) - time.Hour)
	fz = f.act(t, fz.ID, intercept.OrderOp{Op: "renew", Document: "续冻字2号"})
	r, _ := f.desk.Book().Order(fz.Child)
	if !r.Deadline.Equal(fz.Expires) {
		t.Errorf("renewal deadline %v, want the freeze's expiry %v", r.Deadline, fz.Expires)
	}
	f.clock.add(2 * time.Hour)
	if _, err := f.desk.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.desk.ActOnOrder(ctx, r.ID, "", intercept.OrderOp{Op: "execute", Reference: "late"}); !errors.Is(err, intercept.ErrConflict) {
		t.Fatalf("executing a renewal of a lapsed freeze: %v, want conflict", err)
	}
	f.clock.add(60 * 24 * time.Hour) // long past Keep: the sweep prunes what is over
	if _, err := f.desk.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.desk.Book().Order(fz.ID); err != nil {
		t.Fatalf("the appealed freeze was forgotten: %v", err)
	}
}
