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
	AdminPassword string        // the first admin's password on a first start (env only); empty: generated and printed once
	KeyRate       int           // requests per second one API key may send
	SweepEvery    time.Duration // how often order deadlines are checked
	Pprof         string        // loopback address for Go's profiles; empty: none
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
	c.AdminPassword = getenv("LANJIE_ADMIN_PASSWORD") // a secret: never a flag, never printed
	fs.IntVar(&c.KeyRate, "key-rate", envInt(getenv, "LANJIE_KEY_RATE", 100_000), "requests per second one API key may send; more get 429 (LANJIE_KEY_RATE)")
	fs.DurationVar(&c.SweepEvery, "sweep-every", envDuration(getenv, "LANJIE_SWEEP_EVERY", 30*time.Second), "how often order deadlines are checked: overdue and expired orders (LANJIE_SWEEP_EVERY)")
	fs.DurationVar(&c.Engine.Orders.StopTerm, "stop-term", c.Engine.Orders.StopTerm, "a stop-payment lasts this long from execution")
	fs.IntVar(&c.Engine.Orders.MaxStops, "max-stops", c.Engine.Orders.MaxStops, "stop-payments one account may have")
	fs.DurationVar(&c.Engine.Orders.StopExecute, "stop-execute", c.Engine.Orders.StopExecute, "a bank should execute a stop within this (then it is overdue)")
	fs.IntVar(&c.Engine.Orders.FreezeMonths, "freeze-months", c.Engine.Orders.FreezeMonths, "a freeze lasts this many months from execution, renewable")
	fs.DurationVar(&c.Engine.Orders.CutoffDeadline, "cutoff-deadline", c.Engine.Orders.CutoffDeadline, "an operator's deadline for a cutoff when none is given")
	fs.StringVar(&c.Pprof, "pprof", env("LANJIE_PPROF", ""), "serve Go's profiles (/debug/pprof/) on this loopback address, such as 127.0.0.1:6060 (LANJIE_PPROF); empty: off")
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
	if c.KeyRate < 1 || c.SweepEvery < time.Second {
		return c, fmt.Errorf("--key-rate at least 1 and --sweep-every at least 1s")
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
