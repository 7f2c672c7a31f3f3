package analytics

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lanjie/lanjie/analytics/analyticstest"
	"github.com/lanjie/lanjie/intercept"
	it "github.com/lanjie/lanjie/intercept/intercepttest"
)

// A migration that stopped half-way (its version not recorded, some of its columns
// added) runs again to the end.
func TestMigrateRunsAgainAfterStoppingHalfWay(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, analyticstest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, q := range []string{
		"DROP TABLE schema_migrations",                   // every migration runs again
		"ALTER TABLE events DROP COLUMN suspect_paid_at", // the last ALTER of 0004 had not run
	} {
		if err := st.conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := Migrate(ctx, st.conn); err != nil {
		t.Fatalf("migrate again: %v", err)
	}
	if n := count(t, st, "SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'events' AND name = 'suspect_paid_at'"); n != 1 {
		t.Errorf("events has %d suspect_paid_at columns after migrating again, want 1", n)
	}
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, st, "SELECT toUInt64(max(version)) FROM schema_migrations"); n != uint64(ms[len(ms)-1].version) {
		t.Errorf("schema version %d, want %d", n, ms[len(ms)-1].version)
	}
	// A statement that fails for another reason still fails.
	if err := st.conn.Exec(ctx, "ALTER TABLE no_such_table ADD COLUMN x String"); err == nil || columnThere("ALTER TABLE no_such_table ADD COLUMN x String", err) {
		t.Errorf("ADD COLUMN on a missing table: err %v counts as done", err)
	}
}

// What a stop-payment needs (name, amount, time) reaches history with the event.
func TestPaymentDetailsShipped(t *testing.T) {
	dsn := analyticstest.DSN(t)
	j := openJ(t, t.TempDir(), JournalOptions{})
	defer j.Close()
	d := desk(t, j)
	paid := it.T0.Add(-time.Hour)
	rep := it.Report("r-1", it.T0, "+8613800000001", nil, []string{"6228480000000002", "6228480000000003"})
	rep.SuspectAccounts[0].Name, rep.SuspectAccounts[0].Amount, rep.SuspectAccounts[0].At = "李四", 3000000, paid
	tr := it.Transfer("t-1", it.T0, "6222020000000001", "", "6228480000000009", 500)
	tr.PayeeName = "张三"
	for _, ev := range []*intercept.Event{rep, tr} {
		if _, err := d.Decide(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	s, stop := startShipper(t, j, dsn)
	waitShipped(t, s, j)
	stop()
	st, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	type row struct {
		ID      string      `ch:"id"`
		Payee   string      `ch:"payee_name"`
		Names   []string    `ch:"suspect_names"`
		Amounts []int64     `ch:"suspect_amounts_fen"`
		PaidAt  []time.Time `ch:"suspect_paid_at"`
	}
	var got []row
	if err := st.conn.Select(context.Background(), &got, "SELECT id, payee_name, suspect_names, suspect_amounts_fen, suspect_paid_at FROM events ORDER BY id"); err != nil {
		t.Fatal(err)
	}
	want := []row{
		{ID: "r-1", Names: []string{"李四", ""}, Amounts: []int64{3000000, 0}, PaidAt: []time.Time{paid.UTC(), time.Unix(0, 0).UTC()}},
		{ID: "t-1", Payee: "张三", Names: []string{}, Amounts: []int64{}, PaidAt: []time.Time{}},
	}
	utc := cmp.Transformer("utc", func(t time.Time) time.Time { return t.UTC() })
	if diff := cmp.Diff(want, got, utc); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	// The report's stop on the first account carries its amount, the second none (the
	// loss is not split between them).
	var amounts []struct {
		Fen int64 `ch:"amount_fen"`
	}
	if err := st.conn.Select(context.Background(), &amounts, "SELECT amount_fen FROM orders WHERE type = 'stop_payment' AND event_id = 'r-1' ORDER BY account"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("[{3000000} {0}]", fmt.Sprint(amounts)); diff != "" {
		t.Errorf("report's stop amounts (-want +got):\n%s", diff)
	}
}
