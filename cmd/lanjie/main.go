// Command lanjie is the anti-fraud interception console: it scores fraud reports and
// bank and telecom feeds and turns them into stop-payment, freeze and cutoff orders
// and warnings.
//
// Today it reads events as NDJSON on stdin and writes one decision per line on
// stdout; with --demo it plays the demo scenario instead.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/lanjie/lanjie/intercept"
	"github.com/lanjie/lanjie/rules"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cfg, err := ParseFlags(os.Args[1:], os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "lanjie:", err)
		os.Exit(2)
	}
	m, err := NewMain(cfg, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lanjie:", err)
		os.Exit(1)
	}
	defer m.Close()
	if err := m.Run(ctx, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "lanjie:", err)
		os.Exit(1)
	}
}

// Main is the wired program; end-to-end tests reuse it.
type Main struct {
	cfg    Config
	log    *slog.Logger
	engine *intercept.Engine
	dec    intercept.Decoder
}

// NewMain builds the engine and loads the rules.
func NewMain(cfg Config, log *slog.Logger) (*Main, error) {
	e, err := intercept.New(cfg.Engine, nil, nil, log)
	if err != nil {
		return nil, err
	}
	rs := rules.Starter()
	if cfg.RulesFile != "" {
		data, err := os.ReadFile(cfg.RulesFile)
		if err != nil {
			e.Close()
			return nil, fmt.Errorf("read rules: %w", err)
		}
		if rs, err = rules.ParseRules(data); err != nil {
			e.Close()
			return nil, fmt.Errorf("%s: %w", cfg.RulesFile, err)
		}
	}
	set, err := rules.NewSet(rs)
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("compile rules: %w", err)
	}
	e.SetEvaluator(set)
	return &Main{cfg: cfg, log: log, engine: e, dec: intercept.Decoder{DefaultCountry: cfg.Country}}, nil
}

// Close releases the engine.
func (m *Main) Close() { m.engine.Close() }

// Run plays the demo, or decides every NDJSON line of in, writing decisions to out.
// A bad line is reported on out with its line number and the rest go on.
func (m *Main) Run(ctx context.Context, in io.Reader, out io.Writer) error {
	if m.cfg.Demo {
		return m.demo(ctx, out)
	}
	enc := json.NewEncoder(out)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for line := 1; sc.Scan(); line++ {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if len(sc.Bytes()) == 0 {
			continue
		}
		ev, err := m.dec.Decode(sc.Bytes())
		if err != nil {
			if err := enc.Encode(lineError(line, err)); err != nil {
				return fmt.Errorf("write: %w", err)
			}
			continue
		}
		d, err := m.engine.Decide(ctx, &ev)
		if err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		if err := enc.Encode(d); err != nil {
			return fmt.Errorf("write: %w", err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read events: %w", err)
	}
	return nil
}

func lineError(line int, err error) any {
	out := struct {
		Line   int                    `json:"line"`
		Error  string                 `json:"error"`
		Fields []intercept.FieldError `json:"fields,omitempty"`
	}{Line: line, Error: err.Error()}
	var ve *intercept.ValidationError
	if errors.As(err, &ve) {
		out.Fields = ve.Fields
	}
	return out
}
