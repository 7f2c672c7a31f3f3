package analytics

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/lanjie/lanjie/analytics/analyticstest"

	"github.com/google/go-cmp/cmp"

	"github.com/lanjie/lanjie/intercept"
	it "github.com/lanjie/lanjie/intercept/intercepttest"
)

// The period most tests query: two UTC days, [qF, qT).
var (
	qF  = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	qT  = qF.Add(48 * time.Hour)
	cst = time.FixedZone("CST", 8*3600)
)

// histFixture builds history the way the shipper would: journal records through rowsOf,
// then insertRows per table.
type histFixture struct {
	t    *testing.T
	seq  uint64
	rows []row
}

func newFixture(t *testing.T) *histFixture { return &histFixture{t: t} }

func (f *histFixture) add(typ intercept.RecordType, at time.Time, v any) {
	f.t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		f.t.Fatal(err)
	}
	f.seq++
	if f.rows, err = rowsOf(intercept.Record{Seq: f.seq, Type: typ, At: at, Data: data}, f.rows); err != nil {
		f.t.Fatal(err)
	}
}

// decided records ev with a decision of level lv matching rules (live) and shadow.
func (f *histFixture) decided(ev *intercept.Event, lv intercept.Level, rules, shadow []string, acts ...intercept.Action) {
	f.t.Helper()
	d := &intercept.Decision{EventID: ev.ID, Kind: ev.Kind.String(), Score: int(lv) * 25, Level: lv, Actions: acts}
	for _, r := range rules {
		d.Matched = append(d.Matched, intercept.Match{Rule: r, Version: 1, Score: 10, Why: "test"})
	}
	for _, r := range shadow {
		d.Shadow = append(d.Shadow, intercept.Match{Rule: r, Version: 1, Score: 10, Why: "test"})
	}
	f.add(intercept.RecDecided, ev.At, intercept.DecidedRecord{Event: *ev, Decision: d})
}

func (f *histFixture) order(o intercept.OrderStatus) {
	f.t.Helper()
	f.add(intercept.RecOrderStatus, o.At, o)
}

func (f *histFixture) warning(w intercept.WarningStatus) {
	f.t.Helper()
	f.add(intercept.RecWarning, w.At, w)
}

// store opens a fresh test database and loads the fixture into it.
func (f *histFixture) store() *Store {
	f.t.Helper()
	st, err := Open(context.Background(), analyticstest.DSN(f.t))
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { st.Close() })
	for _, tb := range tables {
		var group []row
		for _, r := range f.rows {
			if r.t == tb {
				group = append(group, r)
			}
		}
		if len(group) == 0 {
			continue
		}
		if err := insertRows(context.Background(), st, tb, group); err != nil {
			f.t.Fatal(err)
		}
	}
	return st
}

func mustQ[T any](t *testing.T, what string) func([]T, error) []T {
	return func(v []T, err error) []T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

func report(id string, at time.Time, reporter, fraudType string, lostFen int64, numbers []string, accts ...intercept.AccountRef) *intercept.Event {
	return &intercept.Event{ID: id, Kind: intercept.KindReport, At: at, ReporterPhone: reporter, FraudType: fraudType,
		AmountLost: intercept.Fen(lostFen), SuspectNumbers: numbers, SuspectAccounts: accts}
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestQueriesPeriodRounding(t *testing.T) {
	base := qF.Unix()
	for _, c := range []struct {
		in   time.Time
		want int64
	}{
		{qF, base},
		{qF.Add(time.Nanosecond), base + 1},
		{qF.Add(999 * time.Millisecond), base + 1},
		{qF.In(cst), base},
		{time.Unix(-5, 0), 0},
		{time.Time{}, 0},
		{time.Unix(1<<33, 0), 1<<32 - 1},
	} {
		if got := dtSeconds(c.in); int64(got) != c.want {
			t.Errorf("dtSeconds(%v) = %d, want %d", c.in, got, c.want)
		}
	}
	if _, _, err := period(qT, qF); err == nil {
		t.Error("period(to, from): no error")
	}
	if f, to, err := period(qF, qF); err != nil || f != to {
		t.Errorf("period(from, from) = %d, %d, %v", f, to, err)
	}
}

func TestQueriesLossesStopped(t *testing.T) {
	f := newFixture(t)
	sp, fr := intercept.ActStopPayment, intercept.ActFreezeRequest
	// SP-1: created before the period, executed exactly at from; the executed row
	// carries no amount, so the order's own amount counts.
	f.order(intercept.OrderStatus{OrderID: "SP-1", Type: sp, Status: "pending", At: qF.Add(-time.Hour), Org: "ABC", Amount: 50000, Rule: "r1"})
	f.order(intercept.OrderStatus{OrderID: "SP-1", Type: sp, Status: "executed", At: qF, Org: "ABC"})
	// SP-2: the bank stopped less than asked; its figure counts.
	f.order(intercept.OrderStatus{OrderID: "SP-2", Type: sp, Status: "pending", At: qF.Add(time.Hour), Org: "ABC", Amount: 100000})
	f.order(intercept.OrderStatus{OrderID: "SP-2", Type: sp, Status: "executed", At: qF.Add(2 * time.Hour), Org: "ABC", Amount: 80000})
	// FR-1: executed 07:30 Beijing on the 21st, which is the 20th in UTC.
	f.order(intercept.OrderStatus{OrderID: "FR-1", Type: fr, Status: "pending", At: qF.Add(3 * time.Hour), Org: "ICBC", Amount: 300000})
	f.order(intercept.OrderStatus{OrderID: "FR-1", Type: fr, Status: "executed", At: time.Date(2026, 11, 21, 7, 30, 0, 0, cst), Org: "ICBC"})
	// SP-8: created by a decision (pending row from the decided record); the executed
	// row names neither type nor amount.
	f.decided(it.Transfer("t-8", qF.Add(6*time.Hour), "6222020000000008", "+8613800000008", "6228480000000008", 700),
		intercept.Red, []string{"r_mule"}, nil,
		intercept.Action{Type: sp, Bank: "ABC", Account: "6228480000000008", OrderID: "SP-8", Rule: "r_mule"})
	f.order(intercept.OrderStatus{OrderID: "SP-8", Status: "executed", At: qF.Add(7 * time.Hour)})
	// SP-3: no pending row in history; executed twice (a repeated callback): the first
	// executed row counts, once, on the 21st.
	f.order(intercept.OrderStatus{OrderID: "SP-3", Type: sp, Status: "executed", At: qF.Add(24 * time.Hour), Org: "CCB", Amount: 12345})
	f.order(intercept.OrderStatus{OrderID: "SP-3", Type: sp, Status: "executed", At: qT.Add(-time.Second), Org: "CCB", Amount: 99999})
	// Left out: a cutoff, an order executed at to, one executed just before from, one
	// rejected, one first executed before from and again inside.
	f.order(intercept.OrderStatus{OrderID: "CU-1", Type: intercept.ActCutoff, Status: "executed", At: qF.Add(5 * time.Hour), Org: "CMCC", Amount: 1})
	f.order(intercept.OrderStatus{OrderID: "SP-4", Type: sp, Status: "executed", At: qT, Org: "ABC", Amount: 1000})
	f.order(intercept.OrderStatus{OrderID: "SP-5", Type: sp, Status: "executed", At: qF.Add(-time.Second), Org: "ABC", Amount: 1000})
	f.order(intercept.OrderStatus{OrderID: "SP-6", Type: sp, Status: "pending", At: qF.Add(time.Hour), Org: "ABC", Amount: 1000})
	f.order(intercept.OrderStatus{OrderID: "SP-6", Type: sp, Status: "rejected", At: qF.Add(2 * time.Hour), Org: "ABC"})
	f.order(intercept.OrderStatus{OrderID: "SP-7", Type: sp, Status: "executed", At: qF.Add(-10 * time.Second), Org: "ABC", Amount: 1000})
	f.order(intercept.OrderStatus{OrderID: "SP-7", Type: sp, Status: "executed", At: qF.Add(10 * time.Second), Org: "ABC", Amount: 1000})
	// Left out too: SP-9, SP-2's renewal, executed inside; it holds SP-2's money, not more.
	f.order(intercept.OrderStatus{OrderID: "SP-9", Type: sp, Status: "pending", At: qF.Add(20 * time.Hour), Org: "ABC", Amount: 80000, Parent: "SP-2"})
	f.order(intercept.OrderStatus{OrderID: "SP-9", Type: sp, Status: "executed", At: qF.Add(21 * time.Hour), Org: "ABC", Amount: 80000, Parent: "SP-2"})
	// Counted: SP-11, the renewal of SP-10, which lapsed unexecuted: the renewal is the
	// stop that held the money.
	f.order(intercept.OrderStatus{OrderID: "SP-10", Type: sp, Status: "pending", At: qF.Add(time.Hour), Org: "ABC", Amount: 5000})
	f.order(intercept.OrderStatus{OrderID: "SP-10", Type: sp, Status: "expired", At: qF.Add(2 * time.Hour), Org: "ABC", Amount: 5000})
	f.order(intercept.OrderStatus{OrderID: "SP-11", Type: sp, Status: "pending", At: qF.Add(2 * time.Hour), Org: "ABC", Amount: 5000, Parent: "SP-10"})
	f.order(intercept.OrderStatus{OrderID: "SP-11", Type: sp, Status: "executed", At: qF.Add(3 * time.Hour), Org: "ABC", Amount: 5000, Parent: "SP-10"})
	st := f.store()
	ctx := context.Background()
	q := mustQ[DayLosses](t, "LossesStopped")

	want := []DayLosses{
		{Day: day(2026, 11, 20), Orders: 5, Amount: 50000 + 80000 + 300000 + 70000 + 5000},
		{Day: day(2026, 11, 21), Orders: 1, Amount: 12345},
	}
	if d := cmp.Diff(want, q(st.LossesStopped(ctx, qF, qT))); d != "" {
		t.Errorf("LossesStopped (-want +got):\n%s", d)
	}
	// The same period given in Beijing time is the same period.
	if d := cmp.Diff(want, q(st.LossesStopped(ctx, qF.In(cst), qT.In(cst)))); d != "" {
		t.Errorf("LossesStopped in CST (-want +got):\n%s", d)
	}
	// from half a second in rounds up: SP-1 (executed at from) drops out.
	want[0] = DayLosses{Day: day(2026, 11, 20), Orders: 4, Amount: 80000 + 300000 + 70000 + 5000}
	if d := cmp.Diff(want, q(st.LossesStopped(ctx, qF.Add(500*time.Millisecond), qT))); d != "" {
		t.Errorf("LossesStopped from+0.5s (-want +got):\n%s", d)
	}
	// Only the 21st; then a period holding nothing; then an empty one.
	if d := cmp.Diff([]DayLosses{{Day: day(2026, 11, 21), Orders: 1, Amount: 12345}}, q(st.LossesStopped(ctx, qF.Add(24*time.Hour), qT))); d != "" {
		t.Errorf("LossesStopped on the 21st (-want +got):\n%s", d)
	}
	if got := q(st.LossesStopped(ctx, qT.Add(time.Second), qT.Add(48*time.Hour))); got != nil {
		t.Errorf("LossesStopped after everything = %v, want nil", got)
	}
	if got := q(st.LossesStopped(ctx, qF, qF)); got != nil {
		t.Errorf("LossesStopped over [from, from) = %v, want nil", got)
	}
}

func TestQueriesOrdersByOrg(t *testing.T) {
	f := newFixture(t)
	sp := intercept.ActStopPayment
	o := func(id string, typ intercept.ActionType, org, status string, at time.Time) {
		f.order(intercept.OrderStatus{OrderID: id, Type: typ, Status: status, At: at, Org: org, Amount: 100})
	}
	// ABC stop_payment: executed after 60 s, 120 s (then released on appeal), 600 s;
	// one rejected; one still pending.
	o("A1", sp, "ABC", "pending", qF)
	o("A1", sp, "ABC", "executed", qF.Add(60*time.Second))
	o("A2", sp, "ABC", "pending", qF.Add(time.Hour))
	o("A2", sp, "ABC", "executed", qF.Add(time.Hour+120*time.Second))
	o("A2", sp, "ABC", "released", qF.Add(2*time.Hour))
	o("A3", sp, "ABC", "pending", qF.Add(2*time.Hour))
	o("A3", sp, "ABC", "sent", qF.Add(2*time.Hour+time.Second))
	o("A3", sp, "ABC", "executed", qF.Add(2*time.Hour+600*time.Second))
	o("A4", sp, "ABC", "pending", qF.Add(3*time.Hour))
	o("A4", sp, "ABC", "rejected", qF.Add(3*time.Hour+30*time.Second))
	o("A5", sp, "ABC", "pending", qF.Add(4*time.Hour))
	// ABC freeze: one hour. Status rows naming no org or type still belong to it.
	o("B1", intercept.ActFreezeRequest, "ABC", "pending", qF.Add(5*time.Hour))
	o("B1", "", "", "executed", qF.Add(6*time.Hour))
	// CMCC cutoff: created one second before to, executed after it (still counts);
	// one created at to and one just before from do not.
	o("C1", intercept.ActCutoff, "CMCC", "pending", qT.Add(-time.Second))
	o("C1", intercept.ActCutoff, "CMCC", "executed", qT.Add(10*time.Second))
	o("C2", intercept.ActCutoff, "CMCC", "pending", qT)
	o("C2", intercept.ActCutoff, "CMCC", "executed", qT.Add(time.Second))
	o("C3", intercept.ActCutoff, "CMCC", "pending", qF.Add(-time.Second))
	o("C3", intercept.ActCutoff, "CMCC", "executed", qF.Add(5*time.Second))
	// ICBC stop_payment: one released unexecuted, one created by a decision and
	// executed after 45 s.
	o("D1", sp, "ICBC", "pending", qF.Add(6*time.Hour))
	o("D1", sp, "ICBC", "released", qF.Add(7*time.Hour))
	f.decided(it.Transfer("t-d2", qF.Add(8*time.Hour), "6222020000000001", "+8613800000001", "6228480000000001", 500),
		intercept.Red, []string{"r_mule"}, nil,
		intercept.Action{Type: sp, Bank: "ICBC", Account: "6228480000000001", OrderID: "D2", Rule: "r_mule"})
	o("D2", sp, "ICBC", "executed", qF.Add(8*time.Hour+45*time.Second))
	st := f.store()
	ctx := context.Background()
	q := mustQ[OrgOrders](t, "OrdersByOrg")

	want := []OrgOrders{
		{Org: "ABC", Type: "freeze_request", Created: 1, Executed: 1, ExecP50: 3600, ExecP90: 3600},
		{Org: "ABC", Type: "stop_payment", Created: 5, Executed: 3, Rejected: 1, Released: 1, ExecP50: 120, ExecP90: 600},
		{Org: "CMCC", Type: "cutoff", Created: 1, Executed: 1, ExecP50: 11, ExecP90: 11},
		{Org: "ICBC", Type: "stop_payment", Created: 2, Executed: 1, Released: 1, ExecP50: 45, ExecP90: 45},
	}
	if d := cmp.Diff(want, q(st.OrdersByOrg(ctx, qF, qT))); d != "" {
		t.Errorf("OrdersByOrg (-want +got):\n%s", d)
	}
	// [from, from+1h+1s) holds A1 and A2 only (A2 was created at from+1h).
	want = []OrgOrders{{Org: "ABC", Type: "stop_payment", Created: 2, Executed: 2, Released: 1, ExecP50: 120, ExecP90: 120}}
	if d := cmp.Diff(want, q(st.OrdersByOrg(ctx, qF, qF.Add(time.Hour+time.Second)))); d != "" {
		t.Errorf("OrdersByOrg first hour (-want +got):\n%s", d)
	}
	// C2 alone, created exactly at to of the main period.
	want = []OrgOrders{{Org: "CMCC", Type: "cutoff", Created: 1, Executed: 1, ExecP50: 1, ExecP90: 1}}
	if d := cmp.Diff(want, q(st.OrdersByOrg(ctx, qT, qT.Add(time.Hour)))); d != "" {
		t.Errorf("OrdersByOrg from to (-want +got):\n%s", d)
	}
	if got := q(st.OrdersByOrg(ctx, qT.Add(time.Second), qT.Add(time.Hour))); got != nil {
		t.Errorf("OrdersByOrg over a period without orders = %v, want nil", got)
	}
}

func TestQueriesFraudTypes(t *testing.T) {
	f := newFixture(t)
	rep := func(id string, at time.Time, typ string, lost int64) {
		f.decided(report(id, at, "+8613800000001", typ, lost, []string{"+8617000000001"}), intercept.Orange, nil, nil)
	}
	rep("r1", qF, "impersonating_police", 5200000)
	rep("r2", qF.Add(time.Hour), "impersonating_police", 1000000)
	rep("r2", qF.Add(time.Hour), "impersonating_police", 1000000) // journaled twice: counts once
	rep("r3", qF.Add(2*time.Hour), "fake_investment", 300000)
	rep("r4", qF.Add(3*time.Hour), "fake_investment", 0)
	rep("r5", qT.Add(-time.Second), "刷单返利", 700)
	rep("r6", qT, "impersonating_police", 1)
	rep("r7", qF.Add(-time.Second), "impersonating_police", 1)
	f.decided(it.Transfer("t-1", qF.Add(time.Hour), "6222020000000001", "+8613800000001", "6228480000000001", 500), intercept.Red, nil, nil)
	st := f.store()
	ctx := context.Background()
	q := mustQ[FraudTypeCount](t, "FraudTypes")

	want := []FraudTypeCount{
		{FraudType: "fake_investment", Reports: 2, AmountLost: 300000},
		{FraudType: "impersonating_police", Reports: 2, AmountLost: 6200000},
		{FraudType: "刷单返利", Reports: 1, AmountLost: 700},
	}
	if d := cmp.Diff(want, q(st.FraudTypes(ctx, qF, qT))); d != "" {
		t.Errorf("FraudTypes (-want +got):\n%s", d)
	}
	want = []FraudTypeCount{{FraudType: "impersonating_police", Reports: 1, AmountLost: 1}}
	if d := cmp.Diff(want, q(st.FraudTypes(ctx, qT, qT.Add(time.Hour)))); d != "" {
		t.Errorf("FraudTypes at to (-want +got):\n%s", d)
	}
	if got := q(st.FraudTypes(ctx, qT.Add(time.Second), qT.Add(time.Hour))); got != nil {
		t.Errorf("FraudTypes over a period without reports = %v, want nil", got)
	}
}

func TestQueriesTopReported(t *testing.T) {
	f := newFixture(t)
	const (
		p1, p2, p3     = "+8613800000001", "+8613800000002", "+8613800000003"
		n1, n2, n3, n4 = "+8617000000001", "+8617000000002", "+8617000000003", "+8617000000004"
		a1, a2         = "6228480000000001", "6222020000000002"
	)
	abc1, ccb1, icbc2 := intercept.AccountRef{Bank: "ABC", Account: a1}, intercept.AccountRef{Bank: "CCB", Account: a1}, intercept.AccountRef{Bank: "ICBC", Account: a2}
	rep := func(id string, at time.Time, reporter string, numbers []string, accts ...intercept.AccountRef) {
		f.decided(report(id, at, reporter, "impersonating_police", 100, numbers, accts...), intercept.Orange, nil, nil)
	}
	rep("r1", qF, p1, []string{n1, n2}, abc1)
	rep("r2", qF.Add(time.Hour), p2, []string{n1}, abc1, icbc2)
	rep("r2", qF.Add(time.Hour), p2, []string{n1}, abc1, icbc2) // journaled twice: counts once
	rep("r3", qF.Add(2*time.Hour), p1, []string{n1, n3}, ccb1)
	rep("r4", qF.Add(3*time.Hour), p3, []string{n2, n4})
	rep("r5", qT.Add(-time.Second), p3, []string{n4})
	rep("r6", qT, p2, []string{n3}, icbc2)
	rep("r7", qF.Add(-time.Second), p2, []string{n3}, icbc2)
	st := f.store()
	ctx := context.Background()
	q := mustQ[Reported](t, "TopReported")

	// n1: r1 r2 r3 by p1 p2; n2: r1 r4 by p1 p3; n4: r4 r5 by p3 alone; n3: r3.
	all := []Reported{
		{Target: "account", Value: a1, Banks: []string{"ABC", "CCB"}, Reports: 3, Reporters: 2},
		{Target: "account", Value: a2, Banks: []string{"ICBC"}, Reports: 1, Reporters: 1},
		{Target: "number", Value: n1, Reports: 3, Reporters: 2},
		{Target: "number", Value: n2, Reports: 2, Reporters: 2},
		{Target: "number", Value: n4, Reports: 2, Reporters: 1},
		{Target: "number", Value: n3, Reports: 1, Reporters: 1},
	}
	if d := cmp.Diff(all, q(st.TopReported(ctx, qF, qT, 10))); d != "" {
		t.Errorf("TopReported n=10 (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]Reported{all[0], all[1], all[2], all[3], all[4]}, q(st.TopReported(ctx, qF, qT, 3))); d != "" {
		t.Errorf("TopReported n=3 (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]Reported{all[0], all[2]}, q(st.TopReported(ctx, qF, qT, 1))); d != "" {
		t.Errorf("TopReported n=1 (-want +got):\n%s", d)
	}
	if got := q(st.TopReported(ctx, qF, qT, 0)); got != nil {
		t.Errorf("TopReported n=0 = %v, want nil", got)
	}
	want := []Reported{
		{Target: "account", Value: a2, Banks: []string{"ICBC"}, Reports: 1, Reporters: 1},
		{Target: "number", Value: n3, Reports: 1, Reporters: 1},
	}
	if d := cmp.Diff(want, q(st.TopReported(ctx, qT, qT.Add(time.Hour), 5))); d != "" {
		t.Errorf("TopReported at to (-want +got):\n%s", d)
	}
	if got := q(st.TopReported(ctx, qT.Add(time.Second), qT.Add(time.Hour), 5)); got != nil {
		t.Errorf("TopReported over a period without reports = %v, want nil", got)
	}
}

func TestQueriesMuleAccounts(t *testing.T) {
	f := newFixture(t)
	n := 0
	pay := func(payer, payeeBank, payee string, yuan int64, at time.Time, lv intercept.Level) {
		n++
		ev := it.Transfer("t-"+string(rune('a'+n)), at, payer, "+8613800000001", payee, yuan)
		ev.PayeeBank = payeeBank
		f.decided(ev, lv, []string{"r_mule"}, nil)
	}
	const (
		v1, v2, v3, v4, v5, v6, v7, v8 = "6222000000000001", "6222000000000002", "6222000000000003", "6222000000000004",
			"6222000000000005", "6222000000000006", "6222000000000007", "6222000000000008"
		m1, m2, m3, m4, m5 = "6228000000000001", "6228000000000002", "6228000000000003", "6228000000000004", "6228000000000005"
	)
	at := func(h int) time.Time { return qF.Add(time.Duration(h) * time.Hour) }
	// m1 (ABC): v1, v2, v3 twice count; v4 was only yellow; v5 at to, v6 before from.
	pay(v1, "ABC", m1, 1000, at(0), intercept.Red)
	pay(v2, "ABC", m1, 2000, at(1), intercept.Orange)
	pay(v3, "ABC", m1, 3000, at(2), intercept.Red)
	pay(v3, "ABC", m1, 4000, at(3), intercept.Red)
	pay(v4, "ABC", m1, 5000, at(4), intercept.Yellow)
	pay(v5, "ABC", m1, 6000, qT, intercept.Red)
	pay(v6, "ABC", m1, 7000, qF.Add(-time.Second), intercept.Red)
	// m2 (ABC): v1, v2; m5 (CCB): v1, v2 for less; m3 (ICBC): v7 alone; m4: green only.
	pay(v1, "ABC", m2, 500, at(5), intercept.Orange)
	pay(v2, "ABC", m2, 600, qT.Add(-time.Second), intercept.Orange)
	pay(v1, "CCB", m5, 100, at(6), intercept.Red)
	pay(v2, "CCB", m5, 200, at(7), intercept.Red)
	pay(v7, "ICBC", m3, 9000, at(8), intercept.Red)
	pay(v8, "ABC", m4, 100, at(9), intercept.Green)
	pay(v7, "ABC", m4, 100, at(10), intercept.Green)
	// The transfer to m2 journaled twice counts once.
	dup := it.Transfer("t-dup", at(11), v3, "+8613800000001", m2, 50)
	f.decided(dup, intercept.Red, nil, nil)
	f.decided(dup, intercept.Red, nil, nil)
	st := f.store()
	ctx := context.Background()
	q := mustQ[MuleAccount](t, "MuleAccounts")

	all := []MuleAccount{
		{Bank: "ABC", Account: m1, Victims: 3, Transfers: 4, Amount: (1000 + 2000 + 3000 + 4000) * 100},
		{Bank: "ABC", Account: m2, Victims: 3, Transfers: 3, Amount: (500 + 600 + 50) * 100},
		{Bank: "CCB", Account: m5, Victims: 2, Transfers: 2, Amount: (100 + 200) * 100},
		{Bank: "ICBC", Account: m3, Victims: 1, Transfers: 1, Amount: 9000 * 100},
	}
	for _, c := range []struct {
		min  int
		want []MuleAccount
	}{
		{-1, all}, {0, all}, {1, all}, {2, all[:3]}, {3, all[:2]}, {4, nil},
	} {
		if d := cmp.Diff(c.want, q(st.MuleAccounts(ctx, qF, qT, c.min))); d != "" {
			t.Errorf("MuleAccounts min %d (-want +got):\n%s", c.min, d)
		}
	}
	// [from, from+3h]: v1, v2, v3 once each into m1; at to: v5 alone.
	want := []MuleAccount{{Bank: "ABC", Account: m1, Victims: 3, Transfers: 3, Amount: (1000 + 2000 + 3000) * 100}}
	if d := cmp.Diff(want, q(st.MuleAccounts(ctx, qF, at(3), 3))); d != "" {
		t.Errorf("MuleAccounts first 3 h (-want +got):\n%s", d)
	}
	want = []MuleAccount{{Bank: "ABC", Account: m1, Victims: 1, Transfers: 1, Amount: 6000 * 100}}
	if d := cmp.Diff(want, q(st.MuleAccounts(ctx, qT, qT.Add(time.Hour), 1))); d != "" {
		t.Errorf("MuleAccounts at to (-want +got):\n%s", d)
	}
	if got := q(st.MuleAccounts(ctx, qT.Add(time.Second), qT.Add(time.Hour), 1)); got != nil {
		t.Errorf("MuleAccounts over a period without transfers = %v, want nil", got)
	}
}

func TestQueriesRuleHits(t *testing.T) {
	f := newFixture(t)
	n := 0
	dec := func(at time.Time, lv intercept.Level, rules, shadow []string) {
		n++
		f.decided(it.Call("c-"+string(rune('a'+n)), at, "+85512345678", "+8613800000001"), lv, rules, shadow)
	}
	dec(qF, intercept.Red, []string{"r_black_caller", "r_mule"}, []string{"r_new"})
	dec(qF.Add(time.Hour), intercept.Orange, []string{"r_mule"}, []string{"r_new"})
	dec(qF.Add(2*time.Hour), intercept.Green, nil, []string{"r_new"})
	dec(qF.Add(3*time.Hour), intercept.Yellow, []string{"r_new"}, nil) // r_new went live
	dec(qF.Add(4*time.Hour), intercept.Green, nil, nil)
	dec(qT, intercept.Red, []string{"r_mule"}, nil)
	dec(qF.Add(-time.Second), intercept.Red, []string{"r_mule"}, nil)
	// journaled twice: counts once
	twice := it.Call("c-twice", qT.Add(-time.Second), "+85512345678", "+8613800000002")
	f.decided(twice, intercept.Red, []string{"r_mule"}, []string{"r_new"})
	f.decided(twice, intercept.Red, []string{"r_mule"}, []string{"r_new"})
	st := f.store()
	ctx := context.Background()
	q := mustQ[RuleHit](t, "RuleHits")

	want := []RuleHit{
		{Rule: "r_black_caller", Level: "red", Hits: 1},
		{Rule: "r_mule", Level: "orange", Hits: 1},
		{Rule: "r_mule", Level: "red", Hits: 2},
		{Rule: "r_new", Level: "green", Shadow: 1},
		{Rule: "r_new", Level: "yellow", Hits: 1},
		{Rule: "r_new", Level: "orange", Shadow: 1},
		{Rule: "r_new", Level: "red", Shadow: 2},
	}
	if d := cmp.Diff(want, q(st.RuleHits(ctx, qF, qT))); d != "" {
		t.Errorf("RuleHits (-want +got):\n%s", d)
	}
	want = []RuleHit{{Rule: "r_mule", Level: "red", Hits: 1}}
	if d := cmp.Diff(want, q(st.RuleHits(ctx, qT, qT.Add(time.Hour)))); d != "" {
		t.Errorf("RuleHits at to (-want +got):\n%s", d)
	}
	if got := q(st.RuleHits(ctx, qT.Add(time.Second), qT.Add(time.Hour))); got != nil {
		t.Errorf("RuleHits over a period without decisions = %v, want nil", got)
	}
}

func TestQueriesFalsePositives(t *testing.T) {
	f := newFixture(t)
	sp := intercept.ActStopPayment
	o := func(id, rule, status, reason string, at time.Time) {
		f.order(intercept.OrderStatus{OrderID: id, Type: sp, Status: status, At: at, Org: "ABC", Rule: rule, Reason: reason, Issuer: "engine"})
	}
	h := func(n int) time.Time { return qF.Add(time.Duration(n) * time.Hour) }
	// r_mule: O1, O2 released on appeal; O3 released otherwise; O4 executed; O11
	// created by a decision.
	o("O1", "r_mule", "pending", "", h(0))
	o("O1", "r_mule", "executed", "", h(1))
	o("O1", "", "released", "appeal upheld", h(2))
	o("O2", "r_mule", "pending", "", h(1))
	o("O2", "", "released", "appeal: the victim confirmed the payee", h(3))
	o("O3", "r_mule", "pending", "", h(2))
	o("O3", "", "released", "expired", h(4))
	o("O4", "r_mule", "pending", "", h(3))
	o("O4", "r_mule", "executed", "", h(4))
	f.decided(it.Transfer("t-11", h(5), "6222020000000001", "+8613800000001", "6228480000000001", 500),
		intercept.Red, []string{"r_mule"}, nil,
		intercept.Action{Type: sp, Bank: "ABC", Account: "6228480000000001", OrderID: "O11", Rule: "r_mule"})
	// r_black: "Appeal" is not "appeal"; O6 still pending.
	o("O5", "r_black", "pending", "", h(6))
	o("O5", "", "released", "Appeal", h(7))
	o("O6", "r_black", "pending", "", h(7))
	// r_x: created one second before to, released on appeal a day later.
	o("O10", "r_x", "pending", "", qT.Add(-time.Second))
	o("O10", "", "released", "appeal", qT.Add(24*time.Hour))
	// Left out: created at to, just before from, or by no rule.
	o("O7", "r_report", "pending", "", qT)
	o("O7", "", "released", "appeal", qT.Add(time.Hour))
	o("O8", "r_report", "pending", "", qF.Add(-time.Second))
	o("O8", "", "released", "appeal", h(1))
	o("O9", "", "pending", "", h(1))
	o("O9", "", "released", "appeal", h(2))
	// r_mule again: one chain, counted once. O12 from event e-12, renewed by O13,
	// which became the freeze O14 after the period; O14 was released on appeal. O15,
	// a renewal inside the period of an order before it, is no new target.
	chain := func(id, parent, status, reason string, at time.Time) {
		f.order(intercept.OrderStatus{OrderID: id, Type: sp, Status: status, At: at, Org: "ABC", Account: "6228480000000012",
			EventID: "e-12", Rule: "r_mule", Parent: parent, Reason: reason, Issuer: "engine"})
	}
	chain("O12", "", "pending", "", h(8))
	chain("O12", "", "executed", "", h(9))
	chain("O13", "O12", "pending", "", h(30))
	chain("O13", "O12", "executed", "", h(31))
	chain("O14", "O13", "pending", "", qT.Add(2*time.Hour))
	chain("O14", "O13", "released", "appeal granted", qT.Add(3*time.Hour))
	f.order(intercept.OrderStatus{OrderID: "O15", Type: sp, Status: "pending", At: h(10), Org: "ABC", Account: "6228480000000008",
		EventID: "e-8", Rule: "r_mule", Parent: "O8", Issuer: "engine"})
	st := f.store()
	ctx := context.Background()
	q := mustQ[RuleFalsePositives](t, "FalsePositives")

	want := []RuleFalsePositives{
		{Rule: "r_black", Orders: 2, Appealed: 0, Rate: 0},
		{Rule: "r_mule", Orders: 6, Appealed: 3, Rate: 0.5},
		{Rule: "r_x", Orders: 1, Appealed: 1, Rate: 1},
	}
	if d := cmp.Diff(want, q(st.FalsePositives(ctx, qF, qT))); d != "" {
		t.Errorf("FalsePositives (-want +got):\n%s", d)
	}
	want = []RuleFalsePositives{{Rule: "r_report", Orders: 1, Appealed: 1, Rate: 1}}
	if d := cmp.Diff(want, q(st.FalsePositives(ctx, qT, qT.Add(time.Hour)))); d != "" {
		t.Errorf("FalsePositives at to (-want +got):\n%s", d)
	}
	if got := q(st.FalsePositives(ctx, qT.Add(time.Second), qT.Add(time.Hour))); got != nil {
		t.Errorf("FalsePositives over a period without orders = %v, want nil", got)
	}
}

func TestQueriesWarningStats(t *testing.T) {
	f := newFixture(t)
	w := func(id, tier, status string, at time.Time) {
		f.warning(intercept.WarningStatus{TaskID: id, Phone: "+8613800000001", Tier: tier, Status: status, At: at, Channel: "sms"})
	}
	m := func(n int) time.Time { return qF.Add(time.Duration(n) * time.Minute) }
	// high: W1 delivered; W2 undelivered; W3 failed, then sent again and delivered.
	// Callbacks carry no tier: the queued row's counts.
	w("W1", "high", "queued", m(0))
	w("W1", "", "sent", m(1))
	w("W1", "", "delivered", m(2))
	w("W2", "high", "queued", m(10))
	w("W2", "", "sent", m(11))
	w("W2", "", "undelivered", m(12))
	w("W3", "high", "queued", m(20))
	w("W3", "", "sent", m(21))
	w("W3", "", "failed", m(22))
	w("W3", "", "sent", m(23))
	w("W3", "", "delivered", m(24))
	// medium: W4 opted out, W5 still queued.
	w("W4", "medium", "queued", m(30))
	w("W4", "", "opted_out", m(31))
	w("W5", "medium", "queued", m(40))
	// low: W6 queued one second before to and sent after it; W9 queued by a decision.
	w("W6", "low", "queued", qT.Add(-time.Second))
	w("W6", "", "sent", qT.Add(time.Minute))
	f.decided(it.Call("c-9", m(50), "+85512345678", "+8613800000009"), intercept.Orange, []string{"r_black_caller"}, nil,
		intercept.Action{Type: intercept.ActWarn, Phone: "+8613800000009", Tier: "low", TaskID: "W9", Rule: "r_black_caller"})
	w("W9", "", "delivered", m(51))
	// Left out: queued at to, or just before from.
	w("W7", "low", "queued", qT)
	w("W7", "", "sent", qT.Add(time.Minute))
	w("W8", "high", "queued", qF.Add(-time.Second))
	w("W8", "", "delivered", m(1))
	st := f.store()
	ctx := context.Background()
	q := mustQ[WarningTier](t, "WarningStats")

	want := []WarningTier{
		{Tier: "low", Queued: 2, Sent: 1, Delivered: 1},
		{Tier: "medium", Queued: 2, OptedOut: 1},
		{Tier: "high", Queued: 3, Sent: 3, Delivered: 2, Failed: 2},
	}
	if d := cmp.Diff(want, q(st.WarningStats(ctx, qF, qT))); d != "" {
		t.Errorf("WarningStats (-want +got):\n%s", d)
	}
	want = []WarningTier{{Tier: "low", Queued: 1, Sent: 1}}
	if d := cmp.Diff(want, q(st.WarningStats(ctx, qT, qT.Add(time.Hour)))); d != "" {
		t.Errorf("WarningStats at to (-want +got):\n%s", d)
	}
	if got := q(st.WarningStats(ctx, qT.Add(time.Second), qT.Add(time.Hour))); got != nil {
		t.Errorf("WarningStats over a period without tasks = %v, want nil", got)
	}
}

// On an empty history every query answers nothing, and a reversed period is an error
// that names the query.
func TestQueriesEmptyHistoryAndReversedPeriod(t *testing.T) {
	st := newFixture(t).store()
	ctx := context.Background()
	type run func(from, to time.Time) (int, error)
	n := func(l int, err error) (int, error) { return l, err }
	for name, r := range map[string]run{
		"losses stopped":  func(a, b time.Time) (int, error) { v, err := st.LossesStopped(ctx, a, b); return n(len(v), err) },
		"orders by org":   func(a, b time.Time) (int, error) { v, err := st.OrdersByOrg(ctx, a, b); return n(len(v), err) },
		"fraud types":     func(a, b time.Time) (int, error) { v, err := st.FraudTypes(ctx, a, b); return n(len(v), err) },
		"top reported":    func(a, b time.Time) (int, error) { v, err := st.TopReported(ctx, a, b, 10); return n(len(v), err) },
		"mule accounts":   func(a, b time.Time) (int, error) { v, err := st.MuleAccounts(ctx, a, b, 1); return n(len(v), err) },
		"rule hits":       func(a, b time.Time) (int, error) { v, err := st.RuleHits(ctx, a, b); return n(len(v), err) },
		"false positives": func(a, b time.Time) (int, error) { v, err := st.FalsePositives(ctx, a, b); return n(len(v), err) },
		"warning stats":   func(a, b time.Time) (int, error) { v, err := st.WarningStats(ctx, a, b); return n(len(v), err) },
	} {
		if got, err := r(qF, qT); err != nil || got != 0 {
			t.Errorf("%s on empty history: %d rows, %v", name, got, err)
		}
		if _, err := r(time.Time{}, time.Unix(1<<33, 0)); err != nil {
			t.Errorf("%s over all time: %v", name, err)
		}
		_, err := r(qT, qF)
		if err == nil || len(err.Error()) < len(name) || err.Error()[:len(name)] != name {
			t.Errorf("%s over a reversed period: err %v, want one starting %q", name, err, name)
		}
	}
}
