package analytics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Shipper moves the journal into ClickHouse in batches, exactly once in effect.
//
// How exactly-once holds: every row carries the seq of the journal record it came
// from. For each table the shipper inserts rows in seq order, one INSERT per batch and
// month (one block, one partition: one part, which ClickHouse commits whole or not at
// all), and starts an INSERT only after the previous one succeeded. So at any moment
// each table holds exactly its rows with seq up to some m(table), and nothing after.
// After any error or restart the shipper asks ClickHouse for m(table) (and for the last
// batch it completed, in ship_progress, which covers tables the batch gave no rows)
// and goes on from there: an INSERT that failed half-way, or succeeded without the
// shipper hearing so, is neither repeated nor skipped. Journal segments are removed
// only once ship_progress covers them.
type Shipper struct {
	j     *Journal
	dsn   string
	log   *slog.Logger
	batch int
	// TrimLimit, when set, caps what may be trimmed (the seq the latest snapshot
	// covers); segments after it are kept for restarts.
	TrimLimit func() uint64

	mu        sync.Mutex
	shipped   uint64
	connected bool
	lastErr   string
	lastShip  time.Time
	store     *Store
	inserted  atomic.Int64 // unix ns of the last insert, for the linger
}

// linger is the longest the shipper waits to fill a batch at low rates, when fewer
// than lingerBelow records wait; at high rates batches fill by themselves.
const (
	linger      = 250 * time.Millisecond
	lingerBelow = 2000
)

// ShipStatus is the shipper's state, for /readyz, metrics and logs.
type ShipStatus struct {
	Connected bool          `json:"connected"`
	Shipped   uint64        `json:"shipped_seq"`
	Synced    uint64        `json:"journal_seq"`
	Behind    uint64        `json:"behind"` // records durable but not yet in ClickHouse
	Age       time.Duration `json:"age_ns"` // since the last successful batch, when behind
	Err       string        `json:"err,omitempty"`
}

// NewShipper returns a shipper from j to the ClickHouse at dsn. Run starts it.
func NewShipper(j *Journal, dsn string, log *slog.Logger) *Shipper {
	return &Shipper{j: j, dsn: dsn, log: log, batch: 20000}
}

// Status returns where the shipper is.
func (s *Shipper) Status() ShipStatus {
	synced := s.j.Synced()
	s.mu.Lock()
	defer s.mu.Unlock()
	st := ShipStatus{Connected: s.connected, Shipped: s.shipped, Synced: synced, Err: s.lastErr}
	if synced > s.shipped {
		st.Behind = synced - s.shipped
		if !s.lastShip.IsZero() {
			st.Age = time.Since(s.lastShip)
		}
	}
	return st
}

// Run ships until ctx ends. ClickHouse being down is not an error: the shipper
// retries with backoff while the journal grows, and drains the backlog on return.
func (s *Shipper) Run(ctx context.Context) error {
	backoff := 500 * time.Millisecond
	for ctx.Err() == nil {
		err := s.session(ctx)
		if ctx.Err() != nil {
			break
		}
		if s.Status().Connected {
			backoff = 500 * time.Millisecond // it worked for a while: retry soon
		}
		s.mu.Lock()
		s.connected, s.lastErr = false, err.Error()
		s.mu.Unlock()
		st := s.Status()
		s.log.WarnContext(ctx, "shipper_down", "err", err, "behind", st.Behind, "retry_in", backoff)
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
	s.mu.Lock()
	if s.store != nil {
		s.store.Close()
		s.store = nil
	}
	s.mu.Unlock()
	return nil
}

// session connects, finds where ClickHouse is, and ships until an error.
func (s *Shipper) session(ctx context.Context) error {
	st, err := Open(ctx, s.dsn)
	if err != nil {
		return err
	}
	defer func() {
		s.mu.Lock()
		s.store = nil
		s.mu.Unlock()
		st.Close()
	}()
	base, from, err := s.resume(ctx, st)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.store, s.connected, s.lastErr, s.shipped = st, true, "", base
	s.mu.Unlock()
	s.log.InfoContext(ctx, "shipper_connected", "shipped_seq", base, "journal_seq", s.j.Synced())

	cur, err := s.j.Cursor(base + 1)
	if err != nil {
		return err
	}
	// Reading and decoding the next batch (most of the shipper's CPU) runs beside the
	// inserts of the current one; order is kept, one batch ahead at most.
	pctx, cancel := context.WithCancel(ctx)
	batches := make(chan shipBatch, 1)
	done := make(chan error, 1)
	go func() {
		defer cur.Close()
		done <- s.produce(pctx, cur, batches)
	}()
	defer func() {
		cancel()
		<-done
	}()
	lastLog := time.Now()
	for {
		var b shipBatch
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-done:
			done <- err // for the deferred wait
			return err
		case b = <-batches:
		}
		if err := s.insert(ctx, st, b.rows, from); err != nil {
			return err
		}
		s.inserted.Store(time.Now().UnixNano())
		if err := st.conn.Exec(ctx, "INSERT INTO ship_progress (seq, at) SELECT ?, now()", b.last); err != nil {
			return fmt.Errorf("ship progress: %w", err)
		}
		s.mu.Lock()
		s.shipped, s.lastShip = b.last, time.Now()
		s.mu.Unlock()
		s.trim(ctx, b.last)
		if behind := s.j.Synced() - b.last; behind > 0 && time.Since(lastLog) > 5*time.Second {
			s.log.InfoContext(ctx, "shipper_draining", "shipped_seq", b.last, "behind", behind)
			lastLog = time.Now()
		}
	}
}

// shipBatch is a batch of journal records turned into rows, up to seq last.
type shipBatch struct {
	last uint64
	rows []row
}

// produce reads the journal from cur and sends each batch's rows, until ctx ends or
// the journal cannot be read.
func (s *Shipper) produce(ctx context.Context, cur *Cursor, out chan<- shipBatch) error {
	for {
		// Linger: at low rates, gather up to a quarter second of records per batch
		// rather than sending ClickHouse an INSERT (a new part) per fsync.
		last := time.Unix(0, s.inserted.Load())
		if wait := linger - time.Since(last); wait > 0 && s.j.Synced()-s.Status().Shipped < lingerBelow {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
		}
		recs, err := cur.Next(s.batch)
		if err != nil {
			return err
		}
		if len(recs) == 0 {
			wake := s.j.WaitSynced()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-wake:
			case <-time.After(200 * time.Millisecond):
			}
			continue
		}
		var rows []row
		for _, r := range recs {
			n := len(rows)
			if rows, err = rowsOf(r, rows); err != nil {
				s.log.ErrorContext(ctx, "shipper_bad_record", "seq", r.Seq, "err", err)
				rows = rows[:n]
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case out <- shipBatch{last: recs[len(recs)-1].Seq, rows: rows}:
		}
	}
}

// resume reads how far ClickHouse is: the last completed batch, and per table the
// highest seq it holds.
func (s *Shipper) resume(ctx context.Context, st *Store) (uint64, map[*table]uint64, error) {
	if err := s.bind(ctx, st); err != nil {
		return 0, nil, err
	}
	var base uint64
	if err := st.conn.QueryRow(ctx, "SELECT max(seq) FROM ship_progress").Scan(&base); err != nil {
		return 0, nil, fmt.Errorf("read ship progress: %w", err)
	}
	from := map[*table]uint64{}
	for _, t := range tables {
		var m uint64
		if err := st.conn.QueryRow(ctx, "SELECT max(seq) FROM "+t.name).Scan(&m); err != nil {
			return 0, nil, fmt.Errorf("read %s progress: %w", t.name, err)
		}
		from[t] = max(base, m)
	}
	return base, from, nil
}

// insert writes rows, skipping those a table already holds, one INSERT per table and
// month, in seq order.
func (s *Shipper) insert(ctx context.Context, st *Store, rows []row, from map[*table]uint64) error {
	for _, t := range tables {
		var group []row
		flush := func() error {
			if len(group) == 0 {
				return nil
			}
			if err := insertRows(ctx, st, t, group); err != nil {
				return err
			}
			from[t] = group[len(group)-1].seq
			group = group[:0]
			return nil
		}
		for _, r := range rows {
			if r.t != t || r.seq <= from[t] {
				continue
			}
			if len(group) > 0 && group[0].month != r.month {
				if err := flush(); err != nil {
					return err
				}
			}
			group = append(group, r)
		}
		if err := flush(); err != nil {
			return err
		}
	}
	return nil
}

func insertRows(ctx context.Context, st *Store, t *table, rows []row) error {
	b, err := st.conn.PrepareBatch(ctx, "INSERT INTO "+t.name+" ("+t.cols+")")
	if err != nil {
		return fmt.Errorf("prepare insert into %s: %w", t.name, err)
	}
	for _, r := range rows {
		if err := b.Append(r.vals...); err != nil {
			b.Abort()
			return fmt.Errorf("append to %s (seq %d): %w", t.name, r.seq, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("insert into %s: %w", t.name, err)
	}
	return nil
}

func (s *Shipper) trim(ctx context.Context, shipped uint64) {
	upTo := shipped
	if s.TrimLimit != nil {
		upTo = min(upTo, s.TrimLimit())
	}
	if n, err := s.j.Trim(upTo); err != nil {
		s.log.WarnContext(ctx, "journal_trim_failed", "err", err)
	} else if n > 0 {
		s.log.DebugContext(ctx, "journal_trimmed", "segments", n, "up_to", upTo)
	}
}

// ErrOtherJournal reports a database whose history came from another journal.
var ErrOtherJournal = errors.New("the ClickHouse database holds history shipped from another journal")

// bind ties the database to this journal on first use, and refuses a database tied
// to another one: its seqs would make the shipper skip this journal's records.
func (s *Shipper) bind(ctx context.Context, st *Store) error {
	var ids []string
	rows, err := st.conn.Query(ctx, "SELECT DISTINCT journal FROM ship_journal")
	if err != nil {
		return fmt.Errorf("read ship_journal: %w", err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("read ship_journal: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read ship_journal: %w", err)
	}
	switch {
	case len(ids) == 0:
		if err := st.conn.Exec(ctx, "INSERT INTO ship_journal (journal, bound) SELECT ?, now()", s.j.ID()); err != nil {
			return fmt.Errorf("bind ship_journal: %w", err)
		}
		return nil
	case len(ids) == 1 && ids[0] == s.j.ID():
		return nil
	}
	return fmt.Errorf("%w (%v, this one is %s): point --clickhouse at a fresh database, or restore the data dir", ErrOtherJournal, ids, s.j.ID())
}
