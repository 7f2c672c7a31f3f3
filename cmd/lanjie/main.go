// Command lanjie is the anti-fraud interception console: it scores fraud reports and
// bank and telecom feeds and turns them into stop-payment, freeze and cutoff orders
// and warnings, journals every change before acknowledging it, and ships the history
// to ClickHouse.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lanjie/lanjie/analytics"
	"github.com/lanjie/lanjie/intercept"
	"github.com/lanjie/lanjie/intercept/webhook"
	"github.com/lanjie/lanjie/rules"
	"github.com/lanjie/lanjie/ui"
	"github.com/lanjie/lanjie/ui/auth"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cfg, err := ParseFlags(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "lanjie:", err)
		os.Exit(2)
	}
	debug.SetGCPercent(cfg.GCPercent)
	m, err := NewMain(ctx, cfg, log, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lanjie:", err)
		os.Exit(1)
	}
	runErr := m.Run(ctx)
	if err := m.Close(); err != nil {
		log.Error("close", "err", err)
	}
	if runErr != nil {
		fmt.Fprintln(os.Stderr, "lanjie:", runErr)
		os.Exit(1)
	}
}

// Main is the wired program; end-to-end tests reuse it.
type Main struct {
	cfg     Config
	log     *slog.Logger
	out     io.Writer
	journal *analytics.Journal
	engine  *intercept.Engine
	desk    *intercept.Desk
	shipper *analytics.Shipper
	server  *ui.Server
	ln      net.Listener

	fresh bool     // the journal was empty at start
	lock  *os.File // flock on the data dir

	rules    *rules.Book
	auth     *auth.Store
	sessions *auth.Sessions
	deliver  *webhook.Deliverer
	snapSeq  atomic.Uint64 // the seq the latest snapshot covers

	wg     sync.WaitGroup
	cancel context.CancelFunc
}

// NewMain opens the journal, rebuilds memory from it, and prepares the server and
// the shipper. Nothing is served until Run.
func NewMain(ctx context.Context, cfg Config, log *slog.Logger, out io.Writer) (*Main, error) {
	m := &Main{cfg: cfg, log: log, out: out}
	if err := m.lockDataDir(); err != nil {
		return nil, err
	}
	j, err := analytics.OpenJournal(filepath.Join(cfg.DataDir, "journal"), analytics.JournalOptions{}, log)
	if err != nil {
		return nil, err
	}
	m.journal = j
	m.engine, err = intercept.New(cfg.Engine, nil, nil, log)
	if err != nil {
		j.Close()
		return nil, err
	}
	m.desk = intercept.NewDesk(m.engine, j, intercept.Decoder{DefaultCountry: cfg.Country}, log)
	m.rules = rules.NewBook(j, func(s *rules.Set) { m.engine.SetEvaluator(s) }, nil)
	if err := m.restore(ctx); err != nil {
		m.Close()
		return nil, err
	}
	if err := m.openAuth(); err != nil {
		m.Close()
		return nil, err
	}
	m.deliver = webhook.New(webhook.Options{Endpoint: m.endpoint, Log: log, OnResult: m.delivered})
	m.desk.SetNotifier(m.notify)
	if cfg.ClickHouse != "" {
		m.shipper = analytics.NewShipper(j, cfg.ClickHouse, log)
		m.shipper.TrimLimit = m.snapSeq.Load
	}
	m.server = ui.New(ui.Config{Desk: m.desk, Journal: j, Rules: m.rules, Auth: m.auth, Sessions: m.sessions,
		Throttle: auth.NewThrottle(5, 15*time.Minute, nil), Deliveries: m.deliver, Ready: m.ready, Log: log, KeyRate: cfg.KeyRate})
	m.server.SetGauges(m.gauges)
	m.ln, err = net.Listen("tcp", cfg.Addr)
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("listen %s: %w", cfg.Addr, err)
	}
	return m, nil
}

// Addr is the address the server listens on (useful with port 0).
func (m *Main) Addr() string { return m.ln.Addr().String() }

// restore loads the latest snapshot and replays the journal kept after it into
// memory: decisions, orders, cases, lists, rules. A first start journals the
// starting rules.
func (m *Main) restore(ctx context.Context) error {
	start := time.Now()
	if err := m.loadSnapshot(); err != nil {
		return err
	}
	n := 0
	// The snapshot holds everything up to its seq; only the journal after it replays.
	err := m.journal.Replay(ctx, m.snapSeq.Load()+1, func(r intercept.Record) error {
		n++
		handled, err := m.desk.Restore(ctx, r)
		if err != nil || handled || r.Type != intercept.RecRuleChange {
			return err
		}
		var ch intercept.RuleChange
		if err := json.Unmarshal(r.Data, &ch); err != nil {
			return fmt.Errorf("restore rule change %d: %w", r.Seq, err)
		}
		return m.rules.Restore(ch, r.At)
	})
	if err != nil {
		return fmt.Errorf("restore from journal: %w", err)
	}
	m.fresh = n == 0 && m.snapSeq.Load() == 0
	if len(m.rules.Rules()) == 0 {
		rs, err := m.startingRules()
		if err != nil {
			return err
		}
		if err := m.rules.Seed(ctx, rs, "system"); err != nil {
			return fmt.Errorf("starting rules: %w", err)
		}
	} else if err := m.rules.Install(); err != nil {
		return fmt.Errorf("compile rules: %w", err)
	}
	m.log.Info("restored", "records", n, "rules", len(m.rules.Rules()), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

func (m *Main) startingRules() ([]rules.Rule, error) {
	if m.cfg.RulesFile == "" {
		return rules.Starter(), nil
	}
	data, err := os.ReadFile(m.cfg.RulesFile)
	if err != nil {
		return nil, fmt.Errorf("read rules: %w", err)
	}
	rs, err := rules.ParseRules(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", m.cfg.RulesFile, err)
	}
	return rs, nil
}

// Run serves until ctx ends: the API, the shipper, and on a first demo start the demo
// world.
func (m *Main) Run(ctx context.Context) error {
	ctx, m.cancel = context.WithCancel(ctx)
	if m.shipper != nil {
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			m.shipper.Run(ctx)
		}()
	}
	m.wg.Add(3)
	go func() {
		defer m.wg.Done()
		m.snapshotLoop(ctx, m.cfg.SnapshotEvery)
	}()
	go func() {
		defer m.wg.Done()
		m.deliver.Run(ctx)
	}()
	go func() {
		defer m.wg.Done()
		m.sweepLoop(ctx)
	}()
	if n := m.desk.Resend(); n > 0 {
		m.log.Info("orders_resent", "orders", n)
	}
	if m.cfg.ClickHouse != "" {
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			m.retentionLoop(ctx)
		}()
	}
	if m.cfg.Pprof != "" {
		addr, err := servePprof(ctx, m.cfg.Pprof, m.log)
		if err != nil {
			return err
		}
		m.log.Info("pprof_serving", "addr", addr)
	}
	m.log.Info("runtime", "procs", runtime.GOMAXPROCS(0), "cpus", runtime.NumCPU(), "gc_percent", m.cfg.GCPercent)
	errc := make(chan error, 1)
	go func() { errc <- m.server.Serve(m.ln) }()
	if m.cfg.Demo {
		if err := m.seedDemo(ctx); err != nil {
			m.log.Error("demo_seed_failed", "err", err)
		}
	}
	m.printWelcome()
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return m.server.Shutdown(sctx)
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	}
}

// Close stops the shipper and closes the journal and the engine.
func (m *Main) Close() error {
	if m.cancel != nil {
		m.cancel()
	}
	m.wg.Wait()
	if m.ln != nil {
		m.ln.Close()
	}
	if m.engine != nil && m.journal != nil && m.journal.Err() == nil && m.journal.Synced() != m.snapSeq.Load() {
		if err := m.writeSnapshot(context.Background()); err != nil {
			m.log.Error("snapshot_failed", "err", err)
		}
	}
	if m.engine != nil {
		m.engine.Close()
	}
	var err error
	if m.journal != nil {
		err = m.journal.Close()
	}
	if m.lock != nil {
		m.lock.Close() // releases the flock
	}
	return err
}

// lockDataDir takes an exclusive lock on the data directory: two consoles appending to
// one journal would corrupt it.
func (m *Main) lockDataDir() error {
	if err := os.MkdirAll(m.cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(m.cfg.DataDir, "LOCK"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("data dir lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return fmt.Errorf("data dir %s is in use by another lanjie: %w", m.cfg.DataDir, err)
	}
	m.lock = f
	return nil
}

// ready is /readyz: the console is ready while its journal works. ClickHouse lag is
// reported but never makes it unready: decisions go on while history waits.
func (m *Main) ready() (bool, any) {
	detail := map[string]any{"journal_seq": m.journal.Synced()}
	ok := true
	if err := m.journal.Err(); err != nil {
		ok = false
		detail["journal_error"] = err.Error()
	}
	if m.shipper != nil {
		st := m.shipper.Status()
		detail["clickhouse"] = map[string]any{"connected": st.Connected, "shipped_seq": st.Shipped,
			"behind": st.Behind, "behind_seconds": st.Age.Seconds(), "error": st.Err}
	} else {
		detail["clickhouse"] = "not configured: history stays in the journal"
	}
	detail["ok"] = ok
	return ok, detail
}

func (m *Main) gauges() map[string]float64 {
	js := m.journal.Stats()
	g := map[string]float64{"lanjie_journal_seq": float64(m.journal.Synced()),
		"lanjie_journal_commits_total": float64(js.Commits), "lanjie_journal_written_bytes_total": float64(js.Bytes),
		"lanjie_journal_commit_seconds_total": js.Time.Seconds()}
	if m.shipper != nil {
		st := m.shipper.Status()
		g["lanjie_shipped_seq"] = float64(st.Shipped)
		g["lanjie_ship_behind_records"] = float64(st.Behind)
		g["lanjie_ship_behind_seconds"] = st.Age.Seconds()
	}
	return g
}

func (m *Main) printWelcome() {
	base := "http://" + m.Addr()
	fmt.Fprintf(m.out, "\nLanjie is running.\n  API:       %s/api/v1/events (POST NDJSON or a JSON array)\n  API docs:  %s/api/v1/openapi.json\n  health:    %s/healthz  %s/readyz  %s/metrics\n  journal:   %s\n",
		base, base, base, base, base, filepath.Join(m.cfg.DataDir, "journal"))
	if m.shipper == nil {
		fmt.Fprintf(m.out, "  history:   no ClickHouse configured (--clickhouse): history stays in the journal\n")
	} else {
		fmt.Fprintf(m.out, "  history:   %s (see /readyz for the lag)\n", maskDSN(m.cfg.ClickHouse))
		fmt.Fprintf(m.out, "             e.g. clickhouse-client --port 19000 -q \"SELECT level, count() FROM lanjie.decisions GROUP BY level\"\n")
	}
	fmt.Fprintln(m.out)
}

// retentionLoop drops history older than the retention every few hours (18.16 has no
// TTL clause). ClickHouse being down only means trying again later.
func (m *Main) retentionLoop(ctx context.Context) {
	for {
		cutoff := time.Now().AddDate(0, -m.cfg.Retention, 0)
		st, err := analytics.Open(ctx, m.cfg.ClickHouse)
		if err == nil {
			var dropped []string
			dropped, err = st.DropBefore(ctx, cutoff)
			st.Close()
			if len(dropped) > 0 {
				m.log.InfoContext(ctx, "history_retention", "dropped", dropped, "before", cutoff.Format("2006-01"))
			}
		}
		if err != nil && ctx.Err() == nil {
			m.log.WarnContext(ctx, "history_retention_failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(6 * time.Hour):
		}
	}
}

// maskDSN hides a DSN's password, for printing.
func maskDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable DSN)"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "***")
	}
	return u.String()
}
