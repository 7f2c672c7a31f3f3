package rules_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lanjie/lanjie/intercept"
	"github.com/lanjie/lanjie/rules"
)

// liveBook makes a history of changes by several analysts over time.
func liveBook(t *testing.T) *bookFixture {
	t.Helper()
	ctx := context.Background()
	f := newBookFixture(t)
	steps := []func() error{
		func() error { _, err := f.book.Create(ctx, bookRule("zeta", "amount > 1000"), "alice"); return err },
		func() error {
			r := bookRule("alpha", "payee_count(payee_account, 10) >= 3")
			r.Actions = []intercept.RuleAction{{Type: intercept.ActStopPayment, Target: "payee_account"}}
			_, err := f.book.Create(ctx, r, "bob")
			return err
		},
		func() error { _, err := f.book.SetMode(ctx, "zeta", rules.Active, 1, "carol"); return err },
		func() error {
			_, err := f.book.Update(ctx, "zeta", bookRule("zeta", "amount > 2000"), 2, "alice")
			return err
		},
		func() error { _, err := f.book.SetMode(ctx, "alpha", rules.Off, 1, "carol"); return err },
		func() error { _, err := f.book.Create(ctx, bookRule("mid", "has_balance"), "bob"); return err },
	}
	for i, step := range steps {
		f.clock.tick(time.Duration(i+1) * time.Minute)
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	return f
}

// restoreInto replays journal records into b, as a start-up does.
func restoreInto(t *testing.T, b *rules.Book, recs []intercept.Record) {
	t.Helper()
	for _, r := range recs {
		var ch intercept.RuleChange
		if err := json.Unmarshal(r.Data, &ch); err != nil {
			t.Fatalf("record %d: %v", r.Seq, err)
		}
		if err := b.Restore(ch, r.At); err != nil {
			t.Fatalf("restore record %d: %v", r.Seq, err)
		}
	}
}

// sameBook fails unless got holds the same rules and history as want.
func sameBook(t *testing.T, want, got *rules.Book) {
	t.Helper()
	if diff := cmp.Diff(want.Rules(), got.Rules()); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
	for _, r := range want.Rules() {
		wh, _ := want.History(r.ID)
		gh, err := got.History(r.ID)
		if err != nil {
			t.Errorf("history of %s: %v", r.ID, err)
		}
		if diff := cmp.Diff(wh, gh); diff != "" {
			t.Errorf("history of %s (-want +got):\n%s", r.ID, diff)
		}
	}
	if diff := cmp.Diff(want.Snapshot(), got.Snapshot()); diff != "" {
		t.Errorf("snapshot (-want +got):\n%s", diff)
	}
}

// Replaying what the live book journaled rebuilds the same rules and history, and
// installs the same set once asked.
func TestBookRestoreRoundTrip(t *testing.T) {
	live := liveBook(t)
	recs := live.j.records()
	f := newBookFixture(t)
	restoreInto(t, f.book, recs)
	sameBook(t, live.book, f.book)
	if n := f.installs.Load(); n != 0 {
		t.Errorf("restore installed %d sets, want none before Install", n)
	}
	if err := f.book.Install(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(live.installed(), f.installed()); diff != "" {
		t.Errorf("installed set (-live +restored):\n%s", diff)
	}
	if len(f.j.records()) != 0 {
		t.Errorf("restore journaled %d records", len(f.j.records()))
	}

	t.Run("replaying again changes nothing", func(t *testing.T) {
		restoreInto(t, f.book, recs)
		sameBook(t, live.book, f.book)
	})
	t.Run("changes go on from the restored versions", func(t *testing.T) {
		r, err := f.book.Update(context.Background(), "zeta", bookRule("zeta", "amount > 3000"), 3, "dave")
		if err != nil {
			t.Fatal(err)
		}
		if r.Version != 4 || r.Mode != rules.Active {
			t.Errorf("update after restore gave version %d mode %s, want 4 active", r.Version, r.Mode)
		}
	})
}

func TestBookRestoreRefuses(t *testing.T) {
	rule := func(r rules.Rule) json.RawMessage {
		data, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	tests := []struct {
		name string
		ch   intercept.RuleChange
	}{
		{name: "no rule", ch: intercept.RuleChange{ID: "big", Version: 1}},
		{name: "not JSON", ch: intercept.RuleChange{ID: "big", Version: 1, Rule: json.RawMessage(`{"id":`)}},
		{name: "another id", ch: intercept.RuleChange{ID: "big", Version: 1, Rule: rule(withMode(bookRule("small", "true"), 1, rules.Active))}},
		{name: "another version", ch: intercept.RuleChange{ID: "big", Version: 2, Rule: rule(withMode(bookRule("big", "true"), 1, rules.Active))}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := rules.NewBook(nil, nil, nil)
			if err := b.Restore(tc.ch, time.Now()); !errors.Is(err, intercept.ErrInvalid) {
				t.Errorf("error %v, want ErrInvalid", err)
			}
			if len(b.Rules()) != 0 {
				t.Errorf("refused change kept: %+v", b.Rules())
			}
		})
	}
}

// A snapshot written as JSON and loaded back is the same book; the journal after it
// replays on top, a change held by both counting once.
func TestBookSnapshotRoundTrip(t *testing.T) {
	live := liveBook(t)
	recs := live.j.records()
	// A snapshot taken after the first four records; the fourth is journaled again
	// after it, as when a snapshot races a change.
	early := newBookFixture(t)
	restoreInto(t, early.book, recs[:4])
	data, err := json.Marshal(early.book.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	vs, err := rules.ParseVersions(data)
	if err != nil {
		t.Fatal(err)
	}
	f := newBookFixture(t)
	f.book.LoadVersions(vs)
	sameBook(t, early.book, f.book)
	restoreInto(t, f.book, recs[3:])
	sameBook(t, live.book, f.book)
	if err := f.book.Install(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(live.installed(), f.installed()); diff != "" {
		t.Errorf("installed set (-live +restored):\n%s", diff)
	}

	t.Run("versions out of order are sorted", func(t *testing.T) {
		shuffled := live.book.Snapshot()
		slices.Reverse(shuffled)
		b := rules.NewBook(nil, nil, nil)
		b.LoadVersions(shuffled)
		sameBook(t, live.book, b)
	})
	t.Run("loading replaces", func(t *testing.T) {
		b := liveBook(t).book
		b.LoadVersions(vs)
		sameBook(t, early.book, b)
	})
}

// Snapshots written before rules had a history hold a plain array of rules.
func TestParseVersions(t *testing.T) {
	at := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	big := withMode(bookRule("big", "amount > 1000"), 3, rules.Active)
	tests := []struct {
		name    string
		data    string
		want    []rules.Version
		wantErr bool
	}{
		{name: "versions", data: `[{"rule":` + mustJSON(t, big) + `,"who":"alice","at":"2026-11-20T08:00:00Z"}]`,
			want: []rules.Version{{Rule: big, Who: "alice", At: at}}},
		{name: "rules of an older snapshot", data: `[` + mustJSON(t, big) + `]`,
			want: []rules.Version{{Rule: big}}},
		{name: "empty", data: `[]`, want: []rules.Version{}},
		{name: "not an array", data: `{"rule":{}}`, wantErr: true},
		{name: "bad element", data: `[{"rule":3}]`, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := rules.ParseVersions([]byte(tc.data))
			if tc.wantErr {
				if !errors.Is(err, intercept.ErrInvalid) {
					t.Errorf("error %v, want ErrInvalid", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestBookSeed(t *testing.T) {
	ctx := context.Background()
	starter := rules.Starter()
	t.Run("journals and installs the starting set", func(t *testing.T) {
		f := newBookFixture(t)
		if err := f.book.Seed(ctx, starter, "system"); err != nil {
			t.Fatal(err)
		}
		if len(f.book.Rules()) != len(starter) || len(f.j.records()) != len(starter) || f.installs.Load() != 1 {
			t.Errorf("%d rules, %d records, %d installs; want %d, %d and 1",
				len(f.book.Rules()), len(f.j.records()), f.installs.Load(), len(starter), len(starter))
		}
		if len(f.installed()) != len(starter) {
			t.Errorf("installed %d rules, want %d", len(f.installed()), len(starter))
		}
		for _, ch := range f.j.changes(t) {
			if ch.Who != "system" || ch.Version != 1 {
				t.Errorf("change %s: who %q version %d, want system and 1", ch.ID, ch.Who, ch.Version)
			}
		}
		restored := newBookFixture(t)
		restoreInto(t, restored.book, f.j.records())
		sameBook(t, f.book, restored.book)
		if err := f.book.Seed(ctx, starter, "system"); !errors.Is(err, intercept.ErrConflict) {
			t.Errorf("seeding again: %v, want ErrConflict", err)
		}
	})
	t.Run("defaults", func(t *testing.T) {
		f := newBookFixture(t)
		if err := f.book.Seed(ctx, []rules.Rule{bookRule("a", "true"), withMode(bookRule("b", "true"), 4, rules.Active)}, "system"); err != nil {
			t.Fatal(err)
		}
		want := []rules.Rule{withMode(bookRule("a", "true"), 1, rules.Shadow), withMode(bookRule("b", "true"), 4, rules.Active)}
		if diff := cmp.Diff(want, f.book.Rules()); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	refused := []struct {
		name    string
		rs      []rules.Rule
		fail    bool
		wantErr error
		names   []string
	}{
		{name: "rules that do not compile", wantErr: intercept.ErrInvalid, names: []string{"bad1", "bad2"},
			rs: []rules.Rule{bookRule("ok", "true"), bookRule("bad1", "amount >"), bookRule("bad2", "nope(1)")}},
		{name: "an id twice", wantErr: intercept.ErrConflict, names: []string{"twice"},
			rs: []rules.Rule{bookRule("twice", "true"), bookRule("twice", "false")}},
		{name: "journal down", fail: true, wantErr: intercept.ErrUnavailable,
			rs: []rules.Rule{bookRule("ok", "true")}},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			f := newBookFixture(t)
			if tc.fail {
				f.j.fail = func([]intercept.Record) error { return errors.New("disk gone") }
			}
			err := f.book.Seed(ctx, tc.rs, "system")
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			for _, n := range tc.names {
				if !strings.Contains(err.Error(), n) {
					t.Errorf("error %q does not name %s", err, n)
				}
			}
			if len(f.book.Rules()) != 0 || len(f.j.records()) != 0 || f.installs.Load() != 0 {
				t.Errorf("a refused seed kept %d rules, %d records, %d installs", len(f.book.Rules()), len(f.j.records()), f.installs.Load())
			}
		})
	}
}

// A journaled rule that no longer compiles (a function removed in an upgrade) stops
// Install, which installs nothing and names it.
func TestBookInstallRefusesBrokenRule(t *testing.T) {
	f := newBookFixture(t)
	f.book.LoadVersions([]rules.Version{{Rule: withMode(bookRule("good", "true"), 1, rules.Active)},
		{Rule: withMode(bookRule("gone", "removed_fn(payee_account)"), 1, rules.Active)}})
	err := f.book.Install()
	if !errors.Is(err, intercept.ErrInvalid) || !strings.Contains(err.Error(), "gone") {
		t.Errorf("error %v, want ErrInvalid naming gone", err)
	}
	if f.installs.Load() != 0 {
		t.Errorf("installed a set despite the error")
	}
}
