package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/lanjie/lanjie/intercept"
	"github.com/lanjie/lanjie/ui/auth"
)

func testConfig(t *testing.T, dir string) Config {
	t.Helper()
	env := func(k string) string {
		if k == "LANJIE_ADMIN_PASSWORD" {
			return testAdminPassword
		}
		return ""
	}
	cfg, err := ParseFlags([]string{"--addr", "127.0.0.1:0", "--data-dir", dir}, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func startMain(t *testing.T, cfg Config) (*Main, context.CancelFunc) {
	t.Helper()
	m, err := NewMain(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	return m, func() {
		cancel()
		<-done
		if err := m.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}
}

type batchOut struct {
	Accepted, Rejected int
	Results            []struct {
		Line     int
		Error    string
		Decision struct {
			Level     string
			Duplicate bool
			Actions   []struct{ Type, Account, OrderID string } `json:"actions"`
		}
	}
}

func post(t *testing.T, m *Main, body []byte) batchOut {
	t.Helper()
	key, _, err := m.auth.CreateKey("test feed", auth.Hotline, "", "test")
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, "http://"+m.Addr()+"/api/v1/events", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST /api/v1/events: %s %s", resp.Status, b)
	}
	var out batchOut
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// The demo scenario over HTTP; then a restart from the snapshot alone (the journal
// gone, as if trimmed): the lists, the orders in force and the duplicate answers
// survive.
func TestRestartFromSnapshot(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	m, stop := startMain(t, cfg)
	if err := m.desk.ChangeList(context.Background(), "add", "number", blackEntry("+85512345678")); err != nil {
		t.Fatal(err)
	}
	out := post(t, m, demoEvents)
	if out.Accepted != 9 || out.Rejected != 1 {
		t.Fatalf("demo scenario: %d accepted, %d rejected; want 9 and 1 (the malformed line)", out.Accepted, out.Rejected)
	}
	if lvl := out.Results[1].Decision.Level; lvl != "red" {
		t.Fatalf("t-1 is %s, want red", lvl)
	}
	stop() // writes the snapshot

	if err := os.RemoveAll(filepath.Join(dir, "journal")); err != nil {
		t.Fatal(err)
	}
	m, stop = startMain(t, cfg)
	defer stop()
	// A new transfer out of the account stopped before the restart is a second-level mule.
	again := post(t, m, []byte(`{"id":"t-after","kind":"transfer","at":"2026-11-21T11:00:00+08:00","bank":"ABC","payer_account":"6228480000000002","payee_account":"6217000000000999","payee_bank":"CCB","amount":"100.00"}`))
	if lvl := again.Results[0].Decision.Level; lvl != "red" {
		t.Errorf("money leaving a stopped account after a restart: %s, want red", lvl)
	}
	// The reported suspect stays black: a call from it is at least orange.
	call := post(t, m, []byte(`{"id":"c-after","kind":"call","at":"2026-11-21T11:00:00+08:00","operator":"CMCC","caller":"+85598765432","callee":"+8613900000001"}`))
	if lvl := call.Results[0].Decision.Level; lvl != "orange" && lvl != "red" {
		t.Errorf("call from a reported suspect after a restart: %s, want orange or red", lvl)
	}
}

func blackEntry(n string) intercept.Entry {
	return intercept.Entry{Value: n, List: intercept.ListBlack, Reason: "test", Source: "test", Who: "tester"}
}
