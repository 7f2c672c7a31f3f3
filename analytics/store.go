package analytics

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Store is the ClickHouse history: the tables the shipper fills and the desk's
// analytics queries read.
type Store struct {
	conn     driver.Conn
	database string
}

var dbName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// Open connects to ClickHouse over the native protocol (the HTTP one fails on
// 18.16), creates the database if needed and applies the migrations. dsn is
// clickhouse://host:port/database.
func Open(ctx context.Context, dsn string) (*Store, error) {
	opts, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("clickhouse dsn: %w", err)
	}
	db := opts.Auth.Database
	if db == "" {
		db = "lanjie"
	}
	if !dbName.MatchString(db) {
		return nil, fmt.Errorf("clickhouse database %q: letters, digits and _ only", db)
	}
	opts.Protocol = clickhouse.Native
	opts.DialTimeout = 5 * time.Second
	opts.ReadTimeout = 60 * time.Second
	opts.Compression = &clickhouse.Compression{Method: clickhouse.CompressionLZ4}
	opts.Auth.Database = "default"
	boot, err := clickhouse.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("clickhouse open: %w", err)
	}
	err = boot.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+db)
	boot.Close()
	if err != nil {
		return nil, fmt.Errorf("clickhouse create database %s: %w", db, err)
	}
	opts.Auth.Database = db
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("clickhouse open: %w", err)
	}
	if err := Migrate(ctx, conn); err != nil {
		conn.Close()
		return nil, err
	}
	return &Store{conn: conn, database: db}, nil
}

// Conn is the underlying connection, for tests and tools.
func (s *Store) Conn() driver.Conn { return s.conn }

// Database is the database the store uses.
func (s *Store) Database() string { return s.database }

// Close closes the connection.
func (s *Store) Close() error { return s.conn.Close() }

// Ping checks the server answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.conn.Ping(ctx); err != nil {
		return fmt.Errorf("clickhouse ping: %w", err)
	}
	return nil
}
