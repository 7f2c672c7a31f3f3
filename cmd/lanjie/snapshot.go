package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/lanjie/lanjie/intercept"
	"github.com/lanjie/lanjie/rules"
)

func (m *Main) snapshotPath() string { return filepath.Join(m.cfg.DataDir, "snapshot.gob") }

// loadSnapshot loads the latest snapshot, if any, with the rule book it holds.
func (m *Main) loadSnapshot() error {
	f, err := os.Open(m.snapshotPath())
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open snapshot: %w", err)
	}
	defer f.Close()
	h, err := m.engine.ReadSnapshot(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return fmt.Errorf("load snapshot %s: %w", m.snapshotPath(), err)
	}
	if len(h.Extra) > 0 {
		vs, err := rules.ParseVersions(h.Extra)
		if err != nil {
			return fmt.Errorf("snapshot rules: %w", err)
		}
		m.rules.LoadVersions(vs)
	}
	m.snapSeq.Store(h.Seq)
	m.log.Info("snapshot_loaded", "seq", h.Seq, "taken", h.Taken, "rules", len(m.rules.Rules()))
	return nil
}

// writeSnapshot writes a snapshot covering every record durable now, atomically
// (temporary file, fsync, rename, fsync of the directory). The shipper may then trim
// the journal up to it.
func (m *Main) writeSnapshot(ctx context.Context) error {
	start := time.Now()
	seq := m.journal.Synced()
	extra, err := json.Marshal(m.rules.Snapshot())
	if err != nil {
		return fmt.Errorf("snapshot rules: %w", err)
	}
	tmp := m.snapshotPath() + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	err = m.engine.WriteSnapshot(w, intercept.SnapshotHeader{Seq: seq, Taken: time.Now().UTC(), Extra: extra})
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, m.snapshotPath())
	}
	if err == nil {
		err = syncDir(m.cfg.DataDir)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("snapshot: %w", err)
	}
	m.snapSeq.Store(seq)
	m.log.InfoContext(ctx, "snapshot_written", "seq", seq, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// snapshotLoop writes a snapshot every interval while the journal grows.
func (m *Main) snapshotLoop(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if m.journal.Synced() == m.snapSeq.Load() {
				continue
			}
			if err := m.writeSnapshot(ctx); err != nil {
				m.log.ErrorContext(ctx, "snapshot_failed", "err", err)
			}
		}
	}
}
