package analytics

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/lanjie/lanjie/analytics/analyticstest"
	"github.com/lanjie/lanjie/intercept"
)

func TestDropBeforeDropsWholeOldMonthsOnly(t *testing.T) {
	st, err := Open(context.Background(), analyticstest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	months := []time.Time{
		time.Date(2026, 8, 31, 23, 0, 0, 0, time.UTC),
		time.Date(2026, 9, 15, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC),
	}
	var rows []row
	for i, at := range months {
		r := intercept.Record{Seq: uint64(i + 1), Type: intercept.RecAudit, At: at, Data: []byte(`{"at":"2026-11-01T00:00:00Z","who":"t","action":"x"}`)}
		if rows, err = rowsOf(r, rows); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range rows {
		if err := insertRows(context.Background(), st, tAudit, []row{r}); err != nil {
			t.Fatal(err)
		}
	}
	// Keep from 10 October: August and September go, October stays whole.
	dropped, err := st.DropBefore(context.Background(), time.Date(2026, 10, 10, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(dropped)
	if want := []string{"audit/202608", "audit/202609"}; !slices.Equal(dropped, want) {
		t.Errorf("dropped %v, want %v", dropped, want)
	}
	var n uint64
	if err := st.conn.QueryRow(context.Background(), "SELECT count() FROM audit").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("%d audit rows left, want 2 (October and November)", n)
	}
}
