// Package analyticstest gives tests and benchmarks a fresh database on the test
// ClickHouse.
package analyticstest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// Base returns LANJIE_CLICKHOUSE_TEST_DSN. When it is unset the test skips, unless
// LANJIE_CLICKHOUSE_TEST_REQUIRED=1 (make test and CI set it): then it fails loudly.
func Base(t testing.TB) string {
	t.Helper()
	base := os.Getenv("LANJIE_CLICKHOUSE_TEST_DSN")
	if base == "" {
		if os.Getenv("LANJIE_CLICKHOUSE_TEST_REQUIRED") == "1" {
			t.Fatal("LANJIE_CLICKHOUSE_TEST_DSN is not set but LANJIE_CLICKHOUSE_TEST_REQUIRED=1: start it with `make clickhouse`")
		}
		t.Skip("no test ClickHouse: set LANJIE_CLICKHOUSE_TEST_DSN (make test does)")
	}
	return base
}

// DSN returns the DSN of a fresh database on the test ClickHouse, dropped when the
// test ends.
func DSN(t testing.TB) string { return FreshDatabase(t, Base(t)) }

// FreshDatabase returns base with its database replaced by a new one, dropped when
// the test ends.
func FreshDatabase(t testing.TB, base string) string {
	t.Helper()
	opts, err := clickhouse.ParseDSN(base)
	if err != nil {
		t.Fatalf("clickhouse dsn %s: %v", base, err)
	}
	db := fmt.Sprintf("lanjie_test_%d_%d", time.Now().UnixNano()%1e9, rand.IntN(1e6))
	t.Cleanup(func() {
		o := *opts
		o.Auth.Database = "default"
		conn, err := clickhouse.Open(&o)
		if err != nil {
			t.Errorf("drop test database: %v", err)
			return
		}
		defer conn.Close()
		if err := conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+db); err != nil {
			t.Errorf("drop test database %s: %v", db, err)
		}
	})
	i := strings.LastIndex(base, "/")
	if i < len("clickhouse://") {
		return base + "/" + db
	}
	return base[:i+1] + db
}
