// Package intercepttest holds event builders and a ready engine for tests and
// benchmarks of the engine, the rules and the bench harness.
package intercepttest

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/lanjie/lanjie/intercept"
)

// T0 is the demo morning: 2026-11-21 10:00 in Beijing.
var T0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

// Transfer returns a transfer of yuan from payer (bound to payerPhone) to payee at t.
func Transfer(id string, t time.Time, payer, payerPhone, payee string, yuan int64) *intercept.Event {
	return &intercept.Event{ID: id, Kind: intercept.KindTransfer, At: t, Bank: "ICBC",
		PayerAccount: payer, PayerPhone: payerPhone, PayeeAccount: payee, PayeeBank: "ABC",
		Amount: intercept.Fen(yuan * 100), Channel: "mobile"}
}

// Call returns a call from caller to callee at t.
func Call(id string, t time.Time, caller, callee string) *intercept.Event {
	return &intercept.Event{ID: id, Kind: intercept.KindCall, At: t, Operator: "CMCC",
		Caller: caller, Callee: callee, DurationS: 320}
}

// SMS returns a text from caller to callee at t.
func SMS(id string, t time.Time, caller, callee, text string) *intercept.Event {
	return &intercept.Event{ID: id, Kind: intercept.KindSMS, At: t, Operator: "CT",
		Caller: caller, Callee: callee, Text: text}
}

// Report returns a victim's report naming suspect numbers and ABC accounts.
func Report(id string, t time.Time, reporter string, numbers []string, accounts []string) *intercept.Event {
	ev := &intercept.Event{ID: id, Kind: intercept.KindReport, At: t, ReporterPhone: reporter,
		FraudType: "impersonating_police", SuspectNumbers: numbers, AmountLost: 5200000}
	for _, a := range accounts {
		ev.SuspectAccounts = append(ev.SuspectAccounts, intercept.AccountRef{Bank: "ABC", Account: a})
	}
	return ev
}

// Settings are the default settings with tables sized for tests: megabytes, not the
// defaults' 760 MB an engine. A test server's engine outlives its test by up to 10 s
// (fasthttp's worker pool lets go late), so a package of servers at the defaults
// grew to 16 GB under the race detector.
func Settings() intercept.Settings {
	s := intercept.DefaultSettings()
	s.WindowKeys, s.DedupeSize = 1<<14, 1<<16
	return s
}

// Engine returns an engine with Settings and no rules, closed when t ends.
func Engine(t testing.TB) *intercept.Engine {
	t.Helper()
	e, err := intercept.New(Settings(), nil, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("new engine: %v", err)
	}
	t.Cleanup(e.Close)
	return e
}

// Black puts number or account x on the black list (numbers start with +).
func Black(t testing.TB, e *intercept.Engine, x string) {
	t.Helper()
	ent := intercept.Entry{Value: x, List: intercept.ListBlack, Reason: "test", Source: "test", Who: "tester", Added: T0.Add(-24 * time.Hour)}
	var err error
	if x[0] == '+' {
		err = e.State().Lists.AddNumber(ent)
	} else {
		err = e.State().Lists.AddAccount(ent)
	}
	if err != nil {
		t.Fatalf("list %s: %v", x, err)
	}
}

// White puts number x on the white list.
func White(t testing.TB, e *intercept.Engine, x string) {
	t.Helper()
	if err := e.State().Lists.AddNumber(intercept.Entry{Value: x, List: intercept.ListWhite, Reason: "official line", Source: "desk", Who: "tester"}); err != nil {
		t.Fatalf("white-list %s: %v", x, err)
	}
}
