package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// openHistory connects to the database of dsn, which lanjie created.
func openHistory(t *testing.T, dsn string) driver.Conn {
	t.Helper()
	opts, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("clickhouse dsn %s: %v", dsn, err)
	}
	opts.Protocol = clickhouse.Native
	opts.ReadTimeout = 2 * time.Minute
	conn, err := clickhouse.Open(opts)
	if err != nil {
		t.Fatalf("clickhouse open: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// historyCounts is what checkHistory found.
type historyCounts struct {
	events, decisions, orders, warnings uint64
}

// checkHistory checks the exactly-once promise on the shipped history: every
// acknowledged id is in events and in decisions exactly once, with the decision the
// client was answered; no id, journal seq, new order or warning task is there twice;
// and nothing is there that was never posted.
func checkHistory(ctx context.Context, t *testing.T, conn driver.Conn, st feedState) historyCounts {
	t.Helper()
	var hc historyCounts
	count := func(q string) uint64 {
		var n uint64
		if err := conn.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	hc.events = count("SELECT count() FROM events")
	hc.decisions = count("SELECT count() FROM decisions")
	hc.orders = count("SELECT count() FROM orders")
	hc.warnings = count("SELECT count() FROM warnings")
	for _, q := range []string{
		"SELECT id, count() AS n FROM events GROUP BY id HAVING n > 1 ORDER BY id LIMIT 10",
		"SELECT event_id, count() AS n FROM decisions GROUP BY event_id HAVING n > 1 ORDER BY event_id LIMIT 10",
		"SELECT toString(seq), count() AS n FROM events GROUP BY seq HAVING n > 1 ORDER BY seq LIMIT 10",
		"SELECT toString(seq), count() AS n FROM decisions GROUP BY seq HAVING n > 1 ORDER BY seq LIMIT 10",
		"SELECT order_id, count() AS n FROM orders WHERE status = 'pending' GROUP BY order_id HAVING n > 1 ORDER BY order_id LIMIT 10",
		"SELECT task_id, count() AS n FROM warnings WHERE status = 'queued' GROUP BY task_id HAVING n > 1 ORDER BY task_id LIMIT 10",
	} {
		rows, err := conn.Query(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for rows.Next() {
			var id string
			var n uint64
			if err := rows.Scan(&id, &n); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			t.Errorf("duplicate in history: %s appears %d times (%s)", id, n, q)
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		rows.Close()
	}
	for _, tc := range []struct{ table, q string }{
		{"events", "SELECT id, '' FROM events"},
		{"decisions", "SELECT event_id, concat(toString(score), '/', level) FROM decisions"},
	} {
		have := map[string]string{}
		rows, err := conn.Query(ctx, tc.q)
		if err != nil {
			t.Fatalf("read %s: %v", tc.table, err)
		}
		unknown := 0
		for rows.Next() {
			var id, dec string
			if err := rows.Scan(&id, &dec); err != nil {
				t.Fatalf("read %s: %v", tc.table, err)
			}
			have[id] = dec
			if !st.posted[id] {
				if unknown++; unknown <= 5 {
					t.Errorf("%s holds %s, which was never posted", tc.table, id)
				}
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("read %s: %v", tc.table, err)
		}
		rows.Close()
		missing, differ := 0, 0
		for _, id := range st.acked {
			dec, ok := have[id]
			switch {
			case !ok:
				if missing++; missing <= 10 {
					t.Errorf("acknowledged event %s is not in %s", id, tc.table)
				}
			case tc.table == "decisions" && dec != st.decided[id]:
				if differ++; differ <= 10 {
					t.Errorf("event %s was answered %s but its decision in history is %s", id, st.decided[id], dec)
				}
			}
		}
		if missing > 0 || unknown > 0 || differ > 0 {
			t.Errorf("%s: %d acknowledged ids missing, %d ids never posted, %d decisions other than answered", tc.table, missing, unknown, differ)
		}
	}
	return hc
}

// localClickHouse is a ClickHouse of the test's own, run by analytics/local/clickhouse.sh
// with its own ports and data directory, which the test may stop and start.
type localClickHouse struct {
	script string
	env    []string
	port   int
}

func newLocalClickHouse(t *testing.T, port, httpPort int, dir string) *localClickHouse {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return &localClickHouse{
		script: filepath.Join(root, "analytics", "local", "clickhouse.sh"),
		env: append(os.Environ(), fmt.Sprintf("LANJIE_CH_PORT=%d", port), fmt.Sprintf("LANJIE_CH_HTTP_PORT=%d", httpPort),
			"LANJIE_CH_DIR="+filepath.Join(root, dir)),
		port: port,
	}
}

func (c *localClickHouse) run(ctx context.Context, verb string) error {
	cmd := exec.CommandContext(ctx, c.script, verb)
	cmd.Env = c.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("clickhouse.sh %s (port %d): %v: %s", verb, c.port, err, out)
	}
	return nil
}

func (c *localClickHouse) start(ctx context.Context) error { return c.run(ctx, "start") }
func (c *localClickHouse) stop(ctx context.Context) error  { return c.run(ctx, "stop") }
func (c *localClickHouse) dsn() string {
	return fmt.Sprintf("clickhouse://127.0.0.1:%d/default", c.port)
}
