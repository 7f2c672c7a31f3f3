package rules

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lanjie/lanjie/intercept"
)

// Version is one saved state of a rule: the rule as it was, who saved it and when.
// At is the book's clock when the change was saved live, and the journal's append
// time once restored after a restart: the two differ by the append's latency.
type Version struct {
	Rule Rule      `json:"rule"`
	Who  string    `json:"who"`
	At   time.Time `json:"at"`
}

// Book is the desk's rule book: every version of every rule, the changes analysts
// make (journaled first, then installed into the engine), and rule testing.
//
// Changes are rare and serialised: one at a time compiles, journals and installs.
// Reads (Rules, Get, History, Snapshot) wait at most for a change's in-memory commit,
// never for its journal append; decisions never touch the book at all, they run the
// Set installed last.
type Book struct {
	j       intercept.Journal
	install func(*Set)
	now     func() time.Time

	mu   sync.Mutex           // serialises changes: held across compile, journal and install
	rw   sync.RWMutex         // guards hist; writers also hold mu, so under mu it reads without rw
	hist map[string][]Version // by rule id, oldest first
}

// NewBook returns an empty book. Changes are appended to j as RecRuleChange records
// (j may be nil only for a book that is never changed, such as a restore check) and
// each new rule set is handed to install (the caller wraps Engine.SetEvaluator; nil
// installs nowhere). now nil means time.Now.
func NewBook(j intercept.Journal, install func(*Set), now func() time.Time) *Book {
	if install == nil {
		install = func(*Set) {}
	}
	if now == nil {
		now = time.Now
	}
	return &Book{j: j, install: install, now: now, hist: map[string][]Version{}}
}

// Rules returns the current version of each rule, sorted by id.
func (b *Book) Rules() []Rule {
	b.rw.RLock()
	defer b.rw.RUnlock()
	return b.current()
}

// current returns the latest version of each rule, sorted by id; the caller holds
// b.rw or b.mu.
func (b *Book) current() []Rule {
	rs := make([]Rule, 0, len(b.hist))
	for _, id := range slices.Sorted(maps.Keys(b.hist)) {
		vs := b.hist[id]
		rs = append(rs, vs[len(vs)-1].Rule.clone())
	}
	return rs
}

// Get returns the current version of rule id, or an error wrapping
// intercept.ErrNotFound.
func (b *Book) Get(id string) (Rule, error) {
	b.rw.RLock()
	defer b.rw.RUnlock()
	vs, ok := b.hist[id]
	if !ok {
		return Rule{}, fmt.Errorf("rule %s: %w", id, intercept.ErrNotFound)
	}
	return vs[len(vs)-1].Rule.clone(), nil
}

// History returns every version of rule id, oldest first, or an error wrapping
// intercept.ErrNotFound.
func (b *Book) History(id string) ([]Version, error) {
	b.rw.RLock()
	defer b.rw.RUnlock()
	vs, ok := b.hist[id]
	if !ok {
		return nil, fmt.Errorf("rule %s: %w", id, intercept.ErrNotFound)
	}
	out := make([]Version, len(vs))
	for i, v := range vs {
		out[i] = Version{Rule: v.Rule.clone(), Who: v.Who, At: v.At}
	}
	return out, nil
}

// Create saves a new rule as version 1 by who and installs it. A rule without a mode
// starts in shadow: a new rule is observed on live traffic (reported on decisions,
// never scored or acted on) before an analyst switches it to active.
//
// The rule is compiled before anything is kept: an expression that does not compile
// returns a *CompileError (with line and column; it wraps intercept.ErrInvalid),
// other bad fields an error wrapping intercept.ErrInvalid. An id already in the book
// is intercept.ErrConflict. A journal failure (intercept.ErrUnavailable) changes
// nothing: neither the book nor the engine's rules.
func (b *Book) Create(ctx context.Context, r Rule, who string) (Rule, error) {
	if err := checkWho(who); err != nil {
		return Rule{}, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.hist[r.ID]; ok {
		return Rule{}, fmt.Errorf("create rule %s: already exists: %w", r.ID, intercept.ErrConflict)
	}
	r = r.clone()
	r.Version = 1
	if r.Mode == "" {
		r.Mode = Shadow
	}
	return b.commit(ctx, r, who)
}

// Update saves r as the next version of rule id by who and installs it. r replaces
// every field; an empty r.ID means id, an empty mode keeps the current one, and
// r.Version is ignored: the new version is the current one plus one.
//
// expectVersion > 0 is the version the analyst edited: when the rule has moved on
// since (someone else saved first), Update fails with intercept.ErrConflict instead
// of overwriting their change; 0 does not check. A missing rule is
// intercept.ErrNotFound; compile and journal errors are as for Create.
func (b *Book) Update(ctx context.Context, id string, r Rule, expectVersion int, who string) (Rule, error) {
	if err := checkWho(who); err != nil {
		return Rule{}, err
	}
	switch {
	case r.ID == "":
		r.ID = id
	case r.ID != id:
		return Rule{}, fmt.Errorf("update rule %s: body names rule %q: %w", id, r.ID, intercept.ErrInvalid)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	cur, err := b.latest(id, expectVersion)
	if err != nil {
		return Rule{}, fmt.Errorf("update rule: %w", err)
	}
	r = r.clone()
	r.Version = cur.Version + 1
	if r.Mode == "" {
		r.Mode = cur.Mode
	}
	return b.commit(ctx, r, who)
}

// SetMode saves a new version of rule id with only its mode changed to m, and
// installs it. Switching to the mode the rule already has saves nothing and returns
// the rule as it is. expectVersion and the errors are as for Update; a mode other
// than active, shadow or off is intercept.ErrInvalid.
func (b *Book) SetMode(ctx context.Context, id string, m Mode, expectVersion int, who string) (Rule, error) {
	if err := checkWho(who); err != nil {
		return Rule{}, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	cur, err := b.latest(id, expectVersion)
	if err != nil {
		return Rule{}, fmt.Errorf("set mode: %w", err)
	}
	if cur.Mode == m {
		return cur.clone(), nil
	}
	next := cur.clone()
	next.Mode = m
	next.Version++
	return b.commit(ctx, next, who)
}

// latest returns the current version of id, checking it is expectVersion when that
// is positive. The caller holds b.mu.
func (b *Book) latest(id string, expectVersion int) (Rule, error) {
	if expectVersion < 0 {
		return Rule{}, fmt.Errorf("rule %s: expected version %d: %w", id, expectVersion, intercept.ErrInvalid)
	}
	vs, ok := b.hist[id]
	if !ok {
		return Rule{}, fmt.Errorf("rule %s: %w", id, intercept.ErrNotFound)
	}
	cur := vs[len(vs)-1].Rule
	if expectVersion > 0 && cur.Version != expectVersion {
		return Rule{}, fmt.Errorf("rule %s: edited version %d, but version %d was saved since: %w",
			id, expectVersion, cur.Version, intercept.ErrConflict)
	}
	return cur, nil
}

// commit compiles next and the rule set it makes, journals the change and only then
// keeps the version and installs the set. The caller holds b.mu.
func (b *Book) commit(ctx context.Context, next Rule, who string) (Rule, error) {
	if _, err := Compile(next); err != nil {
		return Rule{}, err // a *CompileError already names the rule
	}
	rs := b.current()
	i, found := slices.BinarySearchFunc(rs, next.ID, func(r Rule, id string) int { return strings.Compare(r.ID, id) })
	if found {
		rs[i] = next
	} else {
		rs = slices.Insert(rs, i, next)
	}
	set, err := NewSet(rs)
	if err != nil {
		return Rule{}, fmt.Errorf("build rule set: %w", err)
	}
	at := b.now().Truncate(time.Millisecond) // the journal's precision
	rec, err := changeRecord(next, who)
	if err != nil {
		return Rule{}, err
	}
	if _, err := b.j.Append(ctx, rec); err != nil {
		return Rule{}, journalError(fmt.Sprintf("journal rule %s version %d", next.ID, next.Version), err)
	}
	b.rw.Lock()
	b.hist[next.ID] = append(b.hist[next.ID], Version{Rule: next, Who: who, At: at})
	b.rw.Unlock()
	b.install(set)
	return next.clone(), nil
}

// changeRecord is the journal record of r saved by who.
func changeRecord(r Rule, who string) (intercept.Record, error) {
	raw, err := json.Marshal(r)
	if err != nil {
		return intercept.Record{}, fmt.Errorf("encode rule %s: %w", r.ID, err)
	}
	data, err := json.Marshal(intercept.RuleChange{ID: r.ID, Version: r.Version, Mode: string(r.Mode),
		Weight: r.Weight, Expr: r.Expr, Who: who, Rule: raw})
	if err != nil {
		return intercept.Record{}, fmt.Errorf("encode rule change %s: %w", r.ID, err)
	}
	return intercept.Record{Type: intercept.RecRuleChange, Data: data}, nil
}

// journalError wraps a failed append so that it reads as intercept.ErrUnavailable
// (nothing was kept; retry later), unless the caller's context ended.
func journalError(what string, err error) error {
	if errors.Is(err, intercept.ErrUnavailable) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return fmt.Errorf("%s: %w: %w", what, intercept.ErrUnavailable, err)
}

// checkWho refuses a change without an author: the history must say who did what.
func checkWho(who string) error {
	if who == "" {
		return fmt.Errorf("rule change without an author: %w", intercept.ErrInvalid)
	}
	return nil
}

// clone returns r with its own slices, so that what the book keeps and what it hands
// out cannot change each other. No actions is nil, as a rule read back from JSON has.
func (r Rule) clone() Rule {
	r.Kinds = slices.Clone(r.Kinds)
	r.Actions = slices.Clone(r.Actions)
	if len(r.Actions) == 0 {
		r.Actions = nil
	}
	return r
}
