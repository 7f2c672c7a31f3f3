package rules_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lanjie/lanjie/intercept"
	"github.com/lanjie/lanjie/rules"
)

// A rule's versions go up by one on every change, whatever the caller sends, and the
// history lists them oldest first with who saved each and when.
func TestBookVersions(t *testing.T) {
	ctx := context.Background()
	f := newBookFixture(t)
	steps := []struct {
		name string
		do   func() (rules.Rule, error)
		who  string
		want rules.Rule
	}{
		{name: "create starts at 1 in shadow", who: "alice",
			do: func() (rules.Rule, error) {
				r := bookRule("big", "amount > 1000")
				r.Version = 7 // ignored
				return f.book.Create(ctx, r, "alice")
			},
			want: withMode(bookRule("big", "amount > 1000"), 1, rules.Shadow)},
		{name: "update with the expected version", who: "bob",
			do: func() (rules.Rule, error) {
				r := bookRule("big", "amount > 2000")
				r.ID = "" // the id in the path is enough
				return f.book.Update(ctx, "big", r, 1, "bob")
			},
			want: withMode(bookRule("big", "amount > 2000"), 2, rules.Shadow)},
		{name: "switch to active", who: "carol",
			do:   func() (rules.Rule, error) { return f.book.SetMode(ctx, "big", rules.Active, 2, "carol") },
			want: withMode(bookRule("big", "amount > 2000"), 3, rules.Active)},
		{name: "update without a check ignores the version sent", who: "bob",
			do: func() (rules.Rule, error) {
				r := withMode(bookRule("big", "amount > 3000"), 99, "")
				return f.book.Update(ctx, "big", r, 0, "bob")
			},
			want: withMode(bookRule("big", "amount > 3000"), 4, rules.Active)},
		{name: "switch to the mode it has saves nothing", who: "bob",
			do:   func() (rules.Rule, error) { return f.book.SetMode(ctx, "big", rules.Active, 4, "dave") },
			want: withMode(bookRule("big", "amount > 3000"), 4, rules.Active)},
		{name: "explicit mode on create is kept", who: "alice",
			do: func() (rules.Rule, error) {
				return f.book.Create(ctx, withMode(bookRule("alpha", "amount > 10"), 0, rules.Active), "alice")
			},
			want: withMode(bookRule("alpha", "amount > 10"), 1, rules.Active)},
	}
	var wantHist []rules.Version
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			f.clock.tick(time.Minute)
			got, err := st.do()
			if err != nil {
				t.Fatalf("%v", err)
			}
			if diff := cmp.Diff(st.want, got); diff != "" {
				t.Errorf("returned rule (-want +got):\n%s", diff)
			}
			if got.ID == "big" && (len(wantHist) == 0 || wantHist[len(wantHist)-1].Rule.Version != got.Version) {
				wantHist = append(wantHist, rules.Version{Rule: st.want, Who: st.who, At: f.clock.now()})
			}
			if g, err := f.book.Get(got.ID); err != nil || !cmp.Equal(st.want, g) {
				t.Errorf("Get(%s) = %+v, %v; want %+v", got.ID, g, err, st.want)
			}
		})
	}
	hist, err := f.book.History("big")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantHist, hist); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	var ids []string
	for _, r := range f.book.Rules() {
		ids = append(ids, fmt.Sprintf("%s@%d", r.ID, r.Version))
	}
	if diff := cmp.Diff([]string{"alpha@1", "big@4"}, ids); diff != "" {
		t.Errorf("Rules (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"alpha@1", "big@4"}, f.installed()); diff != "" {
		t.Errorf("installed set (-want +got):\n%s", diff)
	}
	if n := len(f.j.records()); n != 5 {
		t.Errorf("journal holds %d records, want 5 (one per saved version)", n)
	}
	if _, err := f.book.History("nope"); !errors.Is(err, intercept.ErrNotFound) {
		t.Errorf("History of a missing rule: %v, want ErrNotFound", err)
	}
	if _, err := f.book.Get("nope"); !errors.Is(err, intercept.ErrNotFound) {
		t.Errorf("Get of a missing rule: %v, want ErrNotFound", err)
	}
}

func withMode(r rules.Rule, version int, m rules.Mode) rules.Rule {
	r.Version, r.Mode = version, m
	return r
}

// Every journaled change carries the whole rule and its author.
func TestBookJournalsChanges(t *testing.T) {
	ctx := context.Background()
	f := newBookFixture(t)
	f.mustCreate(t, bookRule("big", "amount > 1000"), "alice")
	if _, err := f.book.SetMode(ctx, "big", rules.Active, 1, "bob"); err != nil {
		t.Fatal(err)
	}
	chs := f.j.changes(t)
	if len(chs) != 2 {
		t.Fatalf("%d changes journaled, want 2", len(chs))
	}
	for i, ch := range chs {
		var r rules.Rule
		if err := json.Unmarshal(ch.Rule, &r); err != nil {
			t.Fatalf("change %d rule: %v", i, err)
		}
		want := intercept.RuleChange{ID: "big", Version: i + 1, Mode: []string{"shadow", "active"}[i], Weight: 40,
			Expr: "amount > 1000", Who: []string{"alice", "bob"}[i], Rule: ch.Rule}
		if diff := cmp.Diff(want, ch); diff != "" {
			t.Errorf("change %d (-want +got):\n%s", i, diff)
		}
		if r.ID != ch.ID || r.Version != ch.Version || string(r.Mode) != ch.Mode || r.Expr != ch.Expr {
			t.Errorf("change %d holds rule %+v, which disagrees with %+v", i, r, ch)
		}
	}
}

// A refused change keeps nothing: no journal record, no new version, no install.
func TestBookRefusedChanges(t *testing.T) {
	ctx := context.Background()
	journalDown := fmt.Errorf("disk full: %w", intercept.ErrUnavailable)
	tests := []struct {
		name    string
		fail    error // the journal fails with this
		do      func(b *rules.Book) error
		wantErr error
	}{
		{name: "create an id that exists", wantErr: intercept.ErrConflict,
			do: func(b *rules.Book) error { _, err := b.Create(ctx, bookRule("big", "amount > 1"), "bob"); return err }},
		{name: "update a stale version", wantErr: intercept.ErrConflict,
			do: func(b *rules.Book) error {
				_, err := b.Update(ctx, "big", bookRule("big", "amount > 1"), 1, "bob")
				return err
			}},
		{name: "switch mode of a stale version", wantErr: intercept.ErrConflict,
			do: func(b *rules.Book) error { _, err := b.SetMode(ctx, "big", rules.Off, 1, "bob"); return err }},
		{name: "update a missing rule", wantErr: intercept.ErrNotFound,
			do: func(b *rules.Book) error {
				_, err := b.Update(ctx, "nope", bookRule("", "amount > 1"), 0, "bob")
				return err
			}},
		{name: "switch mode of a missing rule", wantErr: intercept.ErrNotFound,
			do: func(b *rules.Book) error { _, err := b.SetMode(ctx, "nope", rules.Active, 0, "bob"); return err }},
		{name: "update naming another rule", wantErr: intercept.ErrInvalid,
			do: func(b *rules.Book) error {
				_, err := b.Update(ctx, "big", bookRule("other", "amount > 1"), 0, "bob")
				return err
			}},
		{name: "unknown mode", wantErr: intercept.ErrInvalid,
			do: func(b *rules.Book) error { _, err := b.SetMode(ctx, "big", "loud", 0, "bob"); return err }},
		{name: "weight out of range", wantErr: intercept.ErrInvalid,
			do: func(b *rules.Book) error {
				r := bookRule("big", "amount > 1")
				r.Weight = 500
				_, err := b.Update(ctx, "big", r, 0, "bob")
				return err
			}},
		{name: "bad id", wantErr: intercept.ErrInvalid,
			do: func(b *rules.Book) error {
				_, err := b.Create(ctx, bookRule("Big Rule", "amount > 1"), "bob")
				return err
			}},
		{name: "no author", wantErr: intercept.ErrInvalid,
			do: func(b *rules.Book) error { _, err := b.SetMode(ctx, "big", rules.Active, 0, ""); return err }},
		{name: "negative expected version", wantErr: intercept.ErrInvalid,
			do: func(b *rules.Book) error { _, err := b.SetMode(ctx, "big", rules.Active, -1, "bob"); return err }},
		{name: "expression does not compile", wantErr: intercept.ErrInvalid,
			do: func(b *rules.Book) error { _, err := b.Create(ctx, bookRule("new", "amount >"), "bob"); return err }},
		{name: "journal fails on create", fail: journalDown, wantErr: intercept.ErrUnavailable,
			do: func(b *rules.Book) error { _, err := b.Create(ctx, bookRule("new", "amount > 1"), "bob"); return err }},
		{name: "journal fails on update", fail: journalDown, wantErr: intercept.ErrUnavailable,
			do: func(b *rules.Book) error {
				_, err := b.Update(ctx, "big", withMode(bookRule("big", "true"), 0, rules.Active), 2, "bob")
				return err
			}},
		{name: "journal fails on switch", fail: journalDown, wantErr: intercept.ErrUnavailable,
			do: func(b *rules.Book) error { _, err := b.SetMode(ctx, "big", rules.Active, 2, "bob"); return err }},
		{name: "journal fails without saying unavailable", fail: errors.New("io error"), wantErr: intercept.ErrUnavailable,
			do: func(b *rules.Book) error { _, err := b.SetMode(ctx, "big", rules.Active, 2, "bob"); return err }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newBookFixture(t)
			f.mustCreate(t, bookRule("big", "amount > 1000"), "alice")
			if _, err := f.book.Update(ctx, "big", bookRule("big", "amount > 4000"), 1, "alice"); err != nil {
				t.Fatal(err)
			}
			before, snap, recs, installs := f.book.Rules(), f.book.Snapshot(), len(f.j.records()), f.installs.Load()
			set := f.last.Load()
			if tc.fail != nil {
				f.j.fail = func([]intercept.Record) error { return tc.fail }
			}
			err := tc.do(f.book)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(before, f.book.Rules()); diff != "" {
				t.Errorf("rules changed (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(snap, f.book.Snapshot()); diff != "" {
				t.Errorf("history changed (-before +after):\n%s", diff)
			}
			if n := len(f.j.records()); n != recs {
				t.Errorf("journal holds %d records, want %d", n, recs)
			}
			if f.installs.Load() != installs || f.last.Load() != set {
				t.Errorf("a new set was installed")
			}
			// The shadow rule big still only shadows: the refused switch did not act.
			if d := f.transfer(t); len(d.Matched) != 0 || len(d.Shadow) != 1 {
				t.Errorf("decision matched %v shadow %v, want only big in shadow", ruleIDs(d.Matched), ruleIDs(d.Shadow))
			}
		})
	}
}

// An expression that does not compile is refused with its position, before anything
// is journaled or installed.
func TestBookCompileErrorPositioned(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		do       func(b *rules.Book) error
		line     int
		column   int
		contains string
	}{
		{name: "create, wrong argument count on line 2",
			do: func(b *rules.Book) error {
				_, err := b.Create(ctx, bookRule("new", "amount > 1000 &&\n  payee_count(payee_account) > 2"), "bob")
				return err
			},
			line: 2, column: 3, contains: "payee_count"},
		{name: "update, type error on line 1",
			do: func(b *rules.Book) error {
				_, err := b.Update(ctx, "big", bookRule("big", `amount > "a lot"`), 0, "bob")
				return err
			},
			line: 1, column: 8, contains: "mismatched types"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newBookFixture(t)
			f.mustCreate(t, bookRule("big", "amount > 1000"), "alice")
			recs, installs := len(f.j.records()), f.installs.Load()
			err := tc.do(f.book)
			var ce *rules.CompileError
			if !errors.As(err, &ce) || !errors.Is(err, intercept.ErrInvalid) {
				t.Fatalf("error %v (%T), want a *CompileError wrapping ErrInvalid", err, err)
			}
			if ce.Line != tc.line || ce.Column != tc.column || !strings.Contains(ce.Message, tc.contains) {
				t.Errorf("compile error at %d:%d %q, want %d:%d naming %q", ce.Line, ce.Column, ce.Message, tc.line, tc.column, tc.contains)
			}
			if len(f.j.records()) != recs || f.installs.Load() != installs {
				t.Errorf("a change that does not compile was journaled or installed")
			}
		})
	}
}

// What the book installs is what the engine decides with: a shadow rule shows in
// Decision.Shadow, an active one scores, an off one does not run.
func TestBookInstalledSetDecides(t *testing.T) {
	ctx := context.Background()
	f := newBookFixture(t)
	steps := []struct {
		name    string
		do      func() error
		matched []string
		shadow  []string
		score   int
		version int // of big's match
	}{
		{name: "no rules", do: func() error { return nil }, matched: []string{}, shadow: []string{}},
		{name: "new rule shadows",
			do: func() error {
				_, err := f.book.Create(ctx, bookRule("big", "amount > 1000"), "alice")
				return err
			},
			matched: []string{}, shadow: []string{"big"}, version: 1},
		{name: "switched to active it scores",
			do: func() error {
				_, err := f.book.SetMode(ctx, "big", rules.Active, 1, "bob")
				return err
			},
			matched: []string{"big"}, shadow: []string{}, score: 40, version: 2},
		{name: "updated weight is used at once",
			do: func() error {
				r := bookRule("big", "amount > 1000")
				r.Weight = 90
				_, err := f.book.Update(ctx, "big", r, 2, "bob")
				return err
			},
			matched: []string{"big"}, shadow: []string{}, score: 90, version: 3},
		{name: "updated expression no longer matches",
			do: func() error {
				_, err := f.book.Update(ctx, "big", bookRule("big", "amount > 10000"), 3, "bob")
				return err
			},
			matched: []string{}, shadow: []string{}},
		{name: "switched off it does not run",
			do: func() error {
				if _, err := f.book.Update(ctx, "big", bookRule("big", "amount > 1000"), 4, "bob"); err != nil {
					return err
				}
				_, err := f.book.SetMode(ctx, "big", rules.Off, 5, "bob")
				return err
			},
			matched: []string{}, shadow: []string{}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if err := st.do(); err != nil {
				t.Fatal(err)
			}
			d := f.transfer(t)
			if diff := cmp.Diff(st.matched, ruleIDs(d.Matched)); diff != "" {
				t.Errorf("matched (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(st.shadow, ruleIDs(d.Shadow)); diff != "" {
				t.Errorf("shadow (-want +got):\n%s", diff)
			}
			if d.Score != st.score {
				t.Errorf("score %d, want %d", d.Score, st.score)
			}
			for _, m := range append(d.Matched, d.Shadow...) {
				if m.Version != st.version {
					t.Errorf("match of %s version %d, want %d", m.Rule, m.Version, st.version)
				}
			}
		})
	}
}

// Two analysts who edited the same version: one saves, the other is told to reload.
func TestBookConcurrentUpdates(t *testing.T) {
	ctx := context.Background()
	f := newBookFixture(t)
	f.mustCreate(t, bookRule("big", "amount > 1000"), "alice")
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = f.book.Update(ctx, "big", bookRule("big", fmt.Sprintf("amount > %d", 2000+i)), 1, fmt.Sprintf("analyst%d", i))
		})
	}
	wg.Wait()
	saved := 0
	for i, err := range errs {
		switch {
		case err == nil:
			saved++
		case !errors.Is(err, intercept.ErrConflict):
			t.Errorf("analyst %d: %v, want nil or ErrConflict", i, err)
		}
	}
	hist, err := f.book.History("big")
	if err != nil {
		t.Fatal(err)
	}
	if saved != 1 || len(hist) != 2 || len(f.j.records()) != 2 {
		t.Errorf("%d saved, %d versions, %d records; want 1, 2 and 2", saved, len(hist), len(f.j.records()))
	}
}

// Reads answer while a change waits on the journal.
func TestBookReadsDoNotWaitForJournal(t *testing.T) {
	ctx := context.Background()
	f := newBookFixture(t)
	f.mustCreate(t, bookRule("big", "amount > 1000"), "alice")
	entered, release := make(chan struct{}), make(chan struct{})
	f.j.fail = func([]intercept.Record) error {
		close(entered)
		<-release
		return nil
	}
	done := make(chan error, 1)
	go func() {
		_, err := f.book.SetMode(ctx, "big", rules.Active, 1, "bob")
		done <- err
	}()
	<-entered
	read := make(chan []rules.Rule, 1)
	go func() {
		f.book.History("big")
		f.book.Get("big")
		read <- f.book.Rules()
	}()
	select {
	case rs := <-read:
		if len(rs) != 1 || rs[0].Version != 1 {
			t.Errorf("during the append, Rules = %+v, want big at version 1", rs)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("reads blocked behind a journal append")
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if r, _ := f.book.Get("big"); r.Version != 2 || r.Mode != rules.Active {
		t.Errorf("after the append, big = %+v, want version 2 active", r)
	}
}

// What the book hands out cannot change what it keeps.
func TestBookCopies(t *testing.T) {
	f := newBookFixture(t)
	r := bookRule("big", "amount > 1000")
	got := f.mustCreate(t, r, "alice")
	r.Kinds[0] = "call"
	got.Kinds[0] = "sms"
	g, _ := f.book.Get("big")
	g.Kinds[0] = "report"
	h, _ := f.book.History("big")
	h[0].Rule.Kinds[0] = "report"
	if k := f.book.Rules()[0].Kinds; len(k) != 1 || k[0] != "transfer" {
		t.Errorf("kinds %v, want [transfer]", k)
	}
}
