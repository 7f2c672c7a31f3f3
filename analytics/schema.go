package analytics

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Migrations are numbered SQL files, applied in order, each once; every statement is
// idempotent so a migration interrupted half-way simply runs again: tables are created
// IF NOT EXISTS, and a column that an ALTER TABLE ... ADD COLUMN finds already there
// counts as added (18.16 knows no ADD COLUMN IF NOT EXISTS).
//
//go:embed migrations/*.sql
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	stmts   []string
}

func migrations() ([]migration, error) {
	ents, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []migration
	for _, e := range ents {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with its number", e.Name())
		}
		b, err := migrationFS.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		ms = append(ms, migration{version: v, name: e.Name(), stmts: splitSQL(string(b))})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	return ms, nil
}

// splitSQL splits a file into statements at semicolons ending a line, dropping
// comment lines. Our migrations hold no semicolons inside strings.
func splitSQL(src string) []string {
	var stmts []string
	var cur strings.Builder
	for _, line := range strings.Split(src, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			stmts = append(stmts, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		stmts = append(stmts, s)
	}
	return stmts
}

// Migrate applies the migrations the database has not seen.
func Migrate(ctx context.Context, conn driver.Conn) error {
	if err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version UInt32, name String, applied DateTime
	) ENGINE = MergeTree() ORDER BY version`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var applied uint32
	if err := conn.QueryRow(ctx, "SELECT max(version) FROM schema_migrations").Scan(&applied); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	ms, err := migrations()
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.version <= int(applied) {
			continue
		}
		for i, st := range m.stmts {
			if err := conn.Exec(ctx, st); err != nil && !columnThere(st, err) {
				return fmt.Errorf("migration %s statement %d: %w", m.name, i+1, err)
			}
		}
		if err := conn.Exec(ctx, "INSERT INTO schema_migrations (version, name, applied) SELECT ?, ?, now()", uint32(m.version), m.name); err != nil {
			return fmt.Errorf("record migration %s: %w", m.name, err)
		}
	}
	return nil
}

// columnThere reports whether err is an ADD COLUMN statement st finding its column
// already added (by an earlier run of the migration that stopped half-way).
func columnThere(st string, err error) bool {
	var exc *clickhouse.Exception
	return errors.As(err, &exc) && (exc.Code == codeIllegalColumn || exc.Code == codeDuplicateColumn) &&
		strings.Contains(strings.Join(strings.Fields(strings.ToUpper(st)), " "), " ADD COLUMN ") && strings.Contains(exc.Message, "already exists")
}

// What ADD COLUMN of a column the table has answers: ILLEGAL_COLUMN on 18.16,
// DUPLICATE_COLUMN on current servers (their ALTER validation catches it first).
const (
	codeIllegalColumn   = 44
	codeDuplicateColumn = 15
)
