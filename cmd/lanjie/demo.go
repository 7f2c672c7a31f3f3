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
	"github.com/lanjie/lanjie/ui/auth"
)

// demoEvents is the scripted scenario printed at the end of the demo: a scam call then
// a transfer to a first-time payee (red), the same transfer without a call (not red),
// money leaving the stopped payee (second-level mule), a spoofed 95588, a link from a
// virtual range, a victim's report, money leaving the reported account, a duplicate
// and a malformed line.
//
//go:embed demo.ndjson
var demoEvents []byte

// seedDemo loads the demo world on a first start: lists, three hours of synthetic
// feeds, then the scripted scenario, explained. All of it goes through the journal.
func (m *Main) seedDemo(ctx context.Context) error {
	if !m.fresh {
		fmt.Fprintf(m.out, "The journal already holds history (%d records): the demo world is not seeded again.\n", m.journal.Synced())
		return nil
	}
	start := time.Now()
	w := newDemoWorld(time.Now())
	numbers, accounts := w.listEntries()
	numbers = append(numbers, intercept.Entry{Value: "+85512345678", List: intercept.ListBlack, Reason: "reported by 3 victims", Source: "report", Who: "demo"})
	if err := m.desk.ChangeList(ctx, "add", "number", numbers...); err != nil {
		return fmt.Errorf("demo lists: %w", err)
	}
	if err := m.desk.ChangeList(ctx, "add", "account", accounts...); err != nil {
		return fmt.Errorf("demo lists: %w", err)
	}
	lines := w.feeds()
	levels := map[intercept.Level]int{}
	orders := 0
	for i := 0; i < len(lines); i += 2000 {
		res, err := m.desk.Ingest(ctx, lines[i:min(i+2000, len(lines))])
		if err != nil {
			return fmt.Errorf("demo feeds: %w", err)
		}
		for _, r := range res {
			if r.Err() != nil {
				return fmt.Errorf("demo line %d: %w", i+r.Line, r.Err())
			}
			levels[r.Decision.Level]++
			for _, a := range r.Decision.Actions {
				if a.OrderID != "" && !a.Existing {
					orders++
				}
			}
		}
	}
	fmt.Fprintf(m.out, "Demo world: %d listed numbers, %d listed accounts, %d events over the last 3 hours in %s:\n",
		len(numbers), len(accounts), len(lines), time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(m.out, "  red %d, orange %d, yellow %d, green %d; %d orders issued.\n\n",
		levels[intercept.Red], levels[intercept.Orange], levels[intercept.Yellow], levels[intercept.Green], orders)
	if err := m.playScript(ctx); err != nil {
		return err
	}
	key, _, err := m.auth.CreateKey("demo feed", auth.Hotline, "", "demo")
	if err != nil {
		return fmt.Errorf("demo key: %w", err)
	}
	fmt.Fprintf(m.out, "A hotline API key for trying the API (shown once; admins make more with POST /api/v1/apikeys):\n\n    export LANJIE_KEY=%s\n\n", key)
	return nil
}

// playScript decides the scripted scenario and prints each decision explained.
func (m *Main) playScript(ctx context.Context) error {
	fmt.Fprintln(m.out, "The scripted scenario (listed: +85512345678 black; 110, 96110, 95588 white):")
	fmt.Fprintln(m.out)
	sc := bufio.NewScanner(bytes.NewReader(demoEvents))
	var lines [][]byte
	for sc.Scan() {
		lines = append(lines, bytes.Clone(sc.Bytes()))
	}
	res, err := m.desk.Ingest(ctx, lines)
	if err != nil {
		return fmt.Errorf("demo scenario: %w", err)
	}
	for _, r := range res {
		if r.Err() != nil {
			fmt.Fprintf(m.out, "line %d rejected: %v\n\n", r.Line, r.Err())
			continue
		}
		ev, _ := intercept.Decoder{}.Decode(lines[r.Line-1])
		printDecision(m.out, &ev, r.Decision)
	}
	return nil
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
