package analytics

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lanjie/lanjie/analytics/analyticstest"

	"github.com/lanjie/lanjie/intercept"
	it "github.com/lanjie/lanjie/intercept/intercepttest"
	"github.com/lanjie/lanjie/rules"
)

// desk returns a desk with the starter rules journaling to j.
func desk(t *testing.T, j *Journal) *intercept.Desk {
	t.Helper()
	e := it.Engine(t)
	set, err := rules.NewSet(rules.Starter())
	if err != nil {
		t.Fatal(err)
	}
	e.SetEvaluator(set)
	it.Black(t, e, "+85512345678")
	return intercept.NewDesk(e, j, intercept.Decoder{}, quiet())
}

// feed decides a scam scenario n times over (fresh ids each time) and returns how
// many events it journaled.
func feed(t *testing.T, d *intercept.Desk, round, n int) int {
	t.Helper()
	count := 0
	for i := range n {
		k := round*1000 + i
		victim := fmt.Sprintf("+861380000%04d", k)
		acct := fmt.Sprintf("62220200000%05d", k)
		mule := fmt.Sprintf("62284800000%05d", k)
		at := it.T0.Add(time.Duration(k) * time.Minute)
		for _, ev := range []*intercept.Event{
			it.Call(fmt.Sprintf("c-%d", k), at, "+85512345678", victim),
			it.Transfer(fmt.Sprintf("t-%d", k), at.Add(7*time.Minute), acct, victim, mule, 50000),
			it.Transfer(fmt.Sprintf("m-%d", k), at.Add(9*time.Minute), mule, "", fmt.Sprintf("62170000000%05d", k), 49000),
		} {
			if _, err := d.Decide(context.Background(), ev); err != nil {
				t.Fatal(err)
			}
			count++
		}
	}
	return count
}

func appendJSON(t *testing.T, j *Journal, typ intercept.RecordType, v any) {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Append(context.Background(), intercept.Record{Type: typ, Data: data}); err != nil {
		t.Fatal(err)
	}
}

func startShipper(t *testing.T, j *Journal, dsn string) (*Shipper, context.CancelFunc) {
	t.Helper()
	s := NewShipper(j, dsn, quiet())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	return s, func() { cancel(); <-done }
}

func waitShipped(t *testing.T, s *Shipper, j *Journal) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if st := s.Status(); st.Shipped == j.Synced() && st.Connected {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("shipper did not catch up: %+v", s.Status())
}

func count(t *testing.T, st *Store, q string) uint64 {
	t.Helper()
	var n uint64
	if err := st.conn.QueryRow(context.Background(), q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// duplicates counts rows that share a seq and key with another row of the table.
func duplicates(t *testing.T, st *Store) map[string]uint64 {
	t.Helper()
	keys := map[string]string{"events": "id", "decisions": "event_id", "orders": "order_id, status", "warnings": "task_id, status",
		"list_changes": "seq", "audit": "seq", "rule_changes": "seq", "case_changes": "seq", "appeals": "seq"}
	out := map[string]uint64{}
	for table, key := range keys {
		if n := count(t, st, "SELECT toUInt64(count() - uniqExact("+key+")) FROM "+table); n != 0 {
			out[table] = n
		}
	}
	return out
}

func TestShipperShipsEverythingExactlyOnce(t *testing.T) {
	dsn := analyticstest.DSN(t)
	j := openJ(t, t.TempDir(), JournalOptions{SegmentBytes: 16 << 10})
	defer j.Close()
	d := desk(t, j)
	events := feed(t, d, 0, 40)
	appendJSON(t, j, intercept.RecListChange, intercept.ListChange{Op: "add", Target: "number", List: "black", Entry: intercept.Entry{Value: "+85500000001", Reason: "r", Source: "desk", Who: "analyst1"}})
	appendJSON(t, j, intercept.RecAudit, intercept.AuditEntry{At: it.T0, Who: "analyst1", Action: "list.add", Target: "+85500000001"})
	appendJSON(t, j, intercept.RecRuleChange, intercept.RuleChange{ID: "r1", Version: 2, Mode: "shadow", Weight: 10, Expr: "amount > 1"})
	appendJSON(t, j, intercept.RecOrderStatus, intercept.OrderStatus{OrderID: "SP-x", Type: intercept.ActStopPayment, Status: "executed", At: it.T0, Org: "ABC"})
	appendJSON(t, j, intercept.RecWarning, intercept.WarningStatus{TaskID: "WN-x", Phone: "+8613800000001", Tier: "high", Status: "delivered", At: it.T0})
	appendJSON(t, j, intercept.RecCase, intercept.CaseChange{CaseID: "CS-x", Op: "note", At: it.T0, Who: "hotline1", Text: "victim called back"})
	appendJSON(t, j, intercept.RecAppeal, intercept.AppealChange{AppealID: "AP-x", OrderID: "SP-x", Op: "filed", At: it.T0, Who: "hotline1", Appellant: "Li Si", Statement: "salary"})

	s, stop := startShipper(t, j, dsn)
	waitShipped(t, s, j)
	stop()
	st, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	want := map[string]uint64{
		"events": uint64(events), "decisions": uint64(events),
		// per round: a stop on the mule and one on its payee, plus the executed row
		"orders": 40*2 + 1,
		// per round: the call warns the victim (orange), the transfer warns again (red)
		"warnings":     40*2 + 1,
		"list_changes": 1, "audit": 1, "rule_changes": 1, "case_changes": 1, "appeals": 1,
	}
	for table, n := range want {
		if got := count(t, st, "SELECT count() FROM "+table); got != n {
			t.Errorf("%s holds %d rows, want %d", table, got, n)
		}
	}

	// More records, a restart: only the new ones arrive.
	events += feed(t, d, 1, 10)
	s, stop = startShipper(t, j, dsn)
	waitShipped(t, s, j)
	stop()
	if got := count(t, st, "SELECT count() FROM events"); got != uint64(events) {
		t.Errorf("after a restart events holds %d rows, want %d", got, events)
	}
	if dup := duplicates(t, st); len(dup) > 0 {
		t.Errorf("duplicate rows: %v", dup)
	}
	// Shipped segments are gone, the current one stays.
	if segs, _ := j.segments(); len(segs) != 1 {
		t.Errorf("%d segments left after shipping everything, want 1", len(segs))
	}
}

// A batch that reached some tables but not ship_progress (the shipper died between
// two INSERTs) is completed on restart without duplicating what arrived.
func TestShipperCompletesAHalfShippedBatch(t *testing.T) {
	dsn := analyticstest.DSN(t)
	j := openJ(t, t.TempDir(), JournalOptions{})
	defer j.Close()
	d := desk(t, j)
	first := feed(t, d, 0, 5)
	s, stop := startShipper(t, j, dsn)
	waitShipped(t, s, j)
	stop()

	shipped := j.Synced()
	second := feed(t, d, 1, 5)
	st, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Ship the new events' rows into events alone, as a dying shipper would have.
	recs := readAll(t, j, shipped+1)
	var rows []row
	for _, r := range recs {
		if rows, err = rowsOf(r, rows); err != nil {
			t.Fatal(err)
		}
	}
	var evRows []row
	for _, r := range rows {
		if r.t == tEvents {
			evRows = append(evRows, r)
		}
	}
	if err := insertRows(context.Background(), st, tEvents, evRows); err != nil {
		t.Fatal(err)
	}

	s, stop = startShipper(t, j, dsn)
	waitShipped(t, s, j)
	stop()
	total := uint64(first + second)
	for _, table := range []string{"events", "decisions"} {
		if got := count(t, st, "SELECT count() FROM "+table); got != total {
			t.Errorf("%s holds %d rows, want %d", table, got, total)
		}
	}
	if dup := duplicates(t, st); len(dup) > 0 {
		t.Errorf("duplicate rows: %v", dup)
	}
}

// A wiped data dir makes a new journal that counts from 1 again: shipping it into the
// old history would skip its records, so the shipper refuses.
func TestShipperRefusesHistoryOfAnotherJournal(t *testing.T) {
	dsn := analyticstest.DSN(t)
	j := openJ(t, t.TempDir(), JournalOptions{})
	defer j.Close()
	feed(t, desk(t, j), 0, 3)
	s, stop := startShipper(t, j, dsn)
	waitShipped(t, s, j)
	stop()

	other := openJ(t, t.TempDir(), JournalOptions{})
	defer other.Close()
	feed(t, desk(t, other), 1, 3)
	s2, stop2 := startShipper(t, other, dsn)
	defer stop2()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(s2.Status().Err, "another journal") {
		if time.Now().After(deadline) {
			t.Fatalf("shipper did not refuse another journal's database: %+v", s2.Status())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st := s2.Status(); st.Shipped != 0 || st.Connected {
		t.Errorf("refused shipper reports %+v", st)
	}
}
