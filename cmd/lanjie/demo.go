package main

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/lanjie/lanjie/intercept"
)

// demoEvents is the demo scenario: a scam call then a transfer to a first-time payee
// (red), the same transfer without a call (not red), money leaving the stopped payee
// (second-level mule), a spoofed 95588, a link from a virtual range, a victim's
// report, money leaving the reported account, a duplicate and a malformed line.
//
//go:embed demo.ndjson
var demoEvents []byte

func (m *Main) demo(ctx context.Context, out io.Writer) error {
	lists := m.engine.State().Lists
	since := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, e := range []intercept.Entry{
		{Value: "+85512345678", List: intercept.ListBlack, Reason: "reported by 3 victims", Source: "report", Who: "demo"},
		{Value: "+86110", List: intercept.ListWhite, Reason: "police", Source: "desk", Who: "demo"},
		{Value: "+8696110", List: intercept.ListWhite, Reason: "anti-fraud hotline", Source: "desk", Who: "demo"},
		{Value: "+8695588", List: intercept.ListWhite, Reason: "ICBC service line", Source: "desk", Who: "demo"},
	} {
		e.Added = since
		if err := lists.AddNumber(e); err != nil {
			return fmt.Errorf("demo lists: %w", err)
		}
	}
	fmt.Fprintln(out, "Lanjie demo: the engine with the starter rules over a morning's feed.")
	fmt.Fprintln(out, "Listed: +85512345678 (black); 110, 96110, 95588 (white).")
	fmt.Fprintln(out)
	sc := bufio.NewScanner(bytes.NewReader(demoEvents))
	for line := 1; sc.Scan(); line++ {
		ev, err := m.dec.Decode(sc.Bytes())
		if err != nil {
			fmt.Fprintf(out, "line %d rejected: %v\n\n", line, err)
			continue
		}
		d, err := m.engine.Decide(ctx, &ev)
		if err != nil {
			return fmt.Errorf("demo line %d: %w", line, err)
		}
		printDecision(out, &ev, d)
	}
	return sc.Err()
}

func printDecision(out io.Writer, ev *intercept.Event, d *intercept.Decision) {
	dup := ""
	if d.Duplicate {
		dup = " (seen before: first decision returned)"
	}
	fmt.Fprintf(out, "%s %-8s %-4s %-6s score %3d%s\n", ev.At.Format("15:04"), ev.Kind, ev.ID, strings.ToUpper(d.Level.String()), d.Score, dup)
	for _, m := range d.Matched {
		fmt.Fprintf(out, "    +%-3d %s — %s\n", m.Score, m.Rule, m.Why)
	}
	for _, m := range d.Shadow {
		fmt.Fprintf(out, "    (shadow %s — %s)\n", m.Rule, m.Why)
	}
	for _, a := range d.Actions {
		target := a.Account
		if target == "" {
			target = a.Phone
		}
		id := a.OrderID + a.TaskID
		if a.Existing {
			id += " (already in force)"
		}
		fmt.Fprintf(out, "    → %s %s %s %s\n", a.Type, strings.TrimSpace(a.Bank+a.Operator+" "+target), a.Tier, id)
	}
	fmt.Fprintln(out)
}
