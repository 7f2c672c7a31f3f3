package analytics

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// DropBefore removes the monthly partitions of the history tables that end before
// cutoff: the retention TTL, written as partition drops because 18.16 has no TTL
// clause. Every table is partitioned by toYYYYMM(logged); a month is dropped only when
// all of it is older than cutoff. It returns the partitions dropped, as "table/yyyymm".
func (s *Store) DropBefore(ctx context.Context, cutoff time.Time) ([]string, error) {
	c := cutoff.UTC()
	keepFrom := uint64(c.Year()*100 + int(c.Month())) // the cutoff's own month stays
	rows, err := s.conn.Query(ctx, `SELECT DISTINCT table, partition FROM system.parts
		WHERE database = ? AND active AND has(?, table)`, s.database, tableNames())
	if err != nil {
		return nil, fmt.Errorf("list partitions: %w", err)
	}
	type part struct{ table, partition string }
	var old []part
	for rows.Next() {
		var p part
		if err := rows.Scan(&p.table, &p.partition); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list partitions: %w", err)
		}
		if m, err := strconv.ParseUint(p.partition, 10, 32); err == nil && m < keepFrom {
			old = append(old, p)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list partitions: %w", err)
	}
	var dropped []string
	for _, p := range old {
		if err := s.conn.Exec(ctx, "ALTER TABLE "+p.table+" DROP PARTITION "+p.partition); err != nil {
			return dropped, fmt.Errorf("drop %s partition %s: %w", p.table, p.partition, err)
		}
		dropped = append(dropped, p.table+"/"+p.partition)
	}
	return dropped, nil
}

func tableNames() []string {
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.name
	}
	return names
}
