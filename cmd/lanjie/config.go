package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/lanjie/lanjie/intercept"
)

// Config is everything lanjie is told at start: flags, with defaults from LANJIE_*
// environment variables. Checked whole at start, with one clear message.
type Config struct {
	Addr          string        // HTTP listen address
	DataDir       string        // journal (and snapshots) live here
	ClickHouse    string        // DSN of the history; empty: history stays in the journal
	Demo          bool          // seed a synthetic demo world on first start
	RulesFile     string        // JSON array of rules for a first start; empty: the starter set
	Country       string        // default calling code for national numbers
	SnapshotEvery time.Duration // how often memory is snapshotted (the journal is trimmed up to it)
	Retention     int           // months of history ClickHouse keeps
	GCPercent     int           // the garbage collector's GOGC
	Engine        intercept.Settings
}

// ParseFlags reads args (without the program name) and the environment.
func ParseFlags(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	c := Config{Engine: intercept.DefaultSettings()}
	fs := flag.NewFlagSet("lanjie", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&c.Addr, "addr", env("LANJIE_ADDR", "127.0.0.1:8080"), "HTTP listen address (LANJIE_ADDR)")
	fs.StringVar(&c.DataDir, "data-dir", env("LANJIE_DATA_DIR", "var/data"), "directory of the journal (LANJIE_DATA_DIR)")
	fs.StringVar(&c.ClickHouse, "clickhouse", env("LANJIE_CLICKHOUSE_DSN", ""), "ClickHouse DSN, clickhouse://127.0.0.1:9000/lanjie (LANJIE_CLICKHOUSE_DSN); empty: no history shipping")
	fs.BoolVar(&c.Demo, "demo", env("LANJIE_DEMO", "") == "1", "seed a synthetic demo world on first start (LANJIE_DEMO=1)")
	fs.StringVar(&c.RulesFile, "rules", env("LANJIE_RULES", ""), "rules for a first start, a JSON array (LANJIE_RULES); default: the starter rules")
	fs.IntVar(&c.GCPercent, "gc-percent", envInt(getenv, "LANJIE_GC_PERCENT", 400), "GOGC for the console: its live heap (lists, windows, the duplicate table) is large, and collecting it less often nearly halves decision time; bound memory with GOMEMLIMIT (LANJIE_GC_PERCENT)")
	fs.IntVar(&c.Retention, "retention-months", envInt(getenv, "LANJIE_RETENTION_MONTHS", 24), "months of history kept in ClickHouse; older months are dropped (LANJIE_RETENTION_MONTHS)")
	fs.DurationVar(&c.SnapshotEvery, "snapshot-every", envDuration(getenv, "LANJIE_SNAPSHOT_EVERY", 10*time.Minute), "how often to snapshot memory; the shipper trims the journal up to the snapshot (LANJIE_SNAPSHOT_EVERY)")
	fs.StringVar(&c.Country, "country", env("LANJIE_COUNTRY", "86"), "calling code of national numbers (LANJIE_COUNTRY)")
	fs.IntVar(&c.Engine.Red, "red", c.Engine.Red, "score from which a decision is red and orders go out")
	fs.IntVar(&c.Engine.Orange, "orange", c.Engine.Orange, "score from which a decision is orange (desk review)")
	fs.IntVar(&c.Engine.Yellow, "yellow", c.Engine.Yellow, "score from which a decision is yellow (watch)")
	fs.IntVar(&c.Engine.WindowKeys, "window-keys", c.Engine.WindowKeys, "keys per sliding-window table (memory bound)")
	fs.IntVar(&c.Engine.DedupeSize, "dedupe-size", c.Engine.DedupeSize, "event ids remembered for idempotency")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if c.Retention < 1 {
		return c, fmt.Errorf("--retention-months %d: at least 1", c.Retention)
	}
	if c.SnapshotEvery < time.Second {
		return c, fmt.Errorf("--snapshot-every %s: at least 1s", c.SnapshotEvery)
	}
	if c.DataDir == "" {
		return c, fmt.Errorf("--data-dir is empty: the journal needs a directory")
	}
	c.Engine.DefaultCountry = c.Country
	if err := c.Engine.Check(); err != nil {
		return c, fmt.Errorf("settings: %w", err)
	}
	return c, nil
}

func envInt(getenv func(string) string, name string, def int) int {
	if v, err := strconv.Atoi(getenv(name)); err == nil {
		return v
	}
	return def
}

func envDuration(getenv func(string) string, name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(getenv(name)); err == nil {
		return v
	}
	return def
}
