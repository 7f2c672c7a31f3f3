package rules

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/lanjie/lanjie/intercept"
)

// Restore applies one journaled rule change at start-up, journaling nothing and
// installing nothing (Install does, once the journal is replayed). at is the
// record's time. A change whose version the book already holds for that rule is
// skipped: a snapshot taken while a change was journaled may hold it too. A change
// without a readable rule, or whose rule disagrees with its id or version, is an
// error wrapping intercept.ErrInvalid.
func (b *Book) Restore(ch intercept.RuleChange, at time.Time) error {
	if len(ch.Rule) == 0 {
		return fmt.Errorf("restore rule %s version %d: the change holds no rule: %w", ch.ID, ch.Version, intercept.ErrInvalid)
	}
	var r Rule
	if err := json.Unmarshal(ch.Rule, &r); err != nil {
		return fmt.Errorf("restore rule %s version %d: %v: %w", ch.ID, ch.Version, err, intercept.ErrInvalid)
	}
	if r.ID != ch.ID || r.Version != ch.Version {
		return fmt.Errorf("restore rule %s version %d: the change holds rule %s version %d: %w",
			ch.ID, ch.Version, r.ID, r.Version, intercept.ErrInvalid)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if vs := b.hist[r.ID]; len(vs) > 0 && vs[len(vs)-1].Rule.Version >= r.Version {
		return nil
	}
	b.rw.Lock()
	b.hist[r.ID] = append(b.hist[r.ID], Version{Rule: r, Who: ch.Who, At: at})
	b.rw.Unlock()
	return nil
}

// LoadVersions replaces the book's history with vs, as Snapshot returned it: the
// start of a restore, before the journal after the snapshot is replayed with
// Restore. Versions of one rule are kept in version order. Nothing is installed.
func (b *Book) LoadVersions(vs []Version) {
	hist := map[string][]Version{}
	for _, v := range vs {
		hist[v.Rule.ID] = append(hist[v.Rule.ID], Version{Rule: v.Rule.clone(), Who: v.Who, At: v.At})
	}
	for _, h := range hist {
		slices.SortStableFunc(h, func(a, b Version) int { return a.Rule.Version - b.Rule.Version })
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rw.Lock()
	b.hist = hist
	b.rw.Unlock()
}

// Snapshot returns every version of every rule, by rule id and then oldest first,
// for the snapshot file; LoadVersions takes it back.
func (b *Book) Snapshot() []Version {
	b.rw.RLock()
	defer b.rw.RUnlock()
	var out []Version
	for _, id := range slices.Sorted(maps.Keys(b.hist)) {
		for _, v := range b.hist[id] {
			out = append(out, Version{Rule: v.Rule.clone(), Who: v.Who, At: v.At})
		}
	}
	return out
}

// ParseVersions reads a JSON array written from Snapshot. It also reads the array
// of rules that snapshots held before rules had a history: each becomes one version
// with no author or time.
func ParseVersions(data []byte) ([]Version, error) {
	var raws []map[string]json.RawMessage
	if err := json.Unmarshal(data, &raws); err != nil {
		return nil, fmt.Errorf("parse rule versions: %v: %w", err, intercept.ErrInvalid)
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(data, &elems); err != nil {
		return nil, fmt.Errorf("parse rule versions: %v: %w", err, intercept.ErrInvalid)
	}
	vs := make([]Version, len(elems))
	for i, e := range elems {
		var err error
		if _, ok := raws[i]["rule"]; ok {
			err = json.Unmarshal(e, &vs[i])
		} else {
			err = json.Unmarshal(e, &vs[i].Rule)
		}
		if err != nil {
			return nil, fmt.Errorf("parse rule versions: element %d: %v: %w", i, err, intercept.ErrInvalid)
		}
	}
	return vs, nil
}

// Install compiles the current version of every rule into a Set and installs it:
// once, after LoadVersions and Restore. If a rule no longer compiles, nothing is
// installed and the error names every such rule.
func (b *Book) Install() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	set, err := NewSet(b.current())
	if err != nil {
		return fmt.Errorf("install rules: %w", err)
	}
	b.install(set)
	return nil
}

// Seed journals rs as the starting rule set, saved by who, and installs it: the
// first start of a console, whose book is empty (otherwise intercept.ErrConflict).
// A rule keeps its version when it has one (1 otherwise) and starts in shadow when
// it has no mode, as in Create. Every rule is compiled before anything is journaled;
// the error names each rule that does not compile. A journal failure
// (intercept.ErrUnavailable) keeps and installs nothing.
func (b *Book) Seed(ctx context.Context, rs []Rule, who string) error {
	if err := checkWho(who); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.hist) > 0 {
		return fmt.Errorf("seed rules: the book already holds %d rules: %w", len(b.hist), intercept.ErrConflict)
	}
	seed := make([]Rule, len(rs))
	for i, r := range rs {
		r = r.clone()
		r.Version = max(r.Version, 1)
		if r.Mode == "" {
			r.Mode = Shadow
		}
		seed[i] = r
	}
	slices.SortStableFunc(seed, func(a, b Rule) int { return strings.Compare(a.ID, b.ID) })
	set, err := NewSet(seed)
	if err != nil {
		return fmt.Errorf("seed rules: %w", err)
	}
	at := b.now().Truncate(time.Millisecond)
	if len(seed) > 0 {
		recs := make([]intercept.Record, len(seed))
		for i, r := range seed {
			if recs[i], err = changeRecord(r, who); err != nil {
				return err
			}
		}
		if _, err := b.j.Append(ctx, recs...); err != nil {
			return journalError("journal seed rules", err)
		}
	}
	b.rw.Lock()
	for _, r := range seed {
		b.hist[r.ID] = []Version{{Rule: r, Who: who, At: at}}
	}
	b.rw.Unlock()
	b.install(set)
	return nil
}
