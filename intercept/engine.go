package intercept

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Engine turns events into explained decisions and the orders and warnings they call
// for. It holds all its state in memory and is safe for concurrent use: decisions run
// in parallel, with no lock shared by all of them.
type Engine struct {
	set      Settings
	st       *State
	eval     atomic.Pointer[evalBox]
	seen     *seen
	seq      atomic.Uint64
	log      *slog.Logger
	profiles *Profiles
	book     *Book
	clock    func() time.Time // when decisions are stamped; nil: the wall clock
}

type evalBox struct{ Evaluator }

// noRules is the evaluator of an engine with no rules: every event is green.
type noRules struct{}

func (noRules) Evaluate(*State, *Event, *Outcome) {}

// New returns an engine over lists with no rules; SetEvaluator installs them. src
// computes risk profiles off the decision path; nil uses what the engine holds in
// memory. Close releases its workers.
func New(s Settings, lists *Lists, src ProfileSource, log *slog.Logger) (*Engine, error) {
	if err := s.Check(); err != nil {
		return nil, fmt.Errorf("engine settings: %w", err)
	}
	if lists == nil {
		lists = NewLists()
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Engine{set: s, seen: newSeen(s.DedupeSize), log: log}
	e.st = newState(s, lists, nil)
	if src == nil {
		src = memoryProfiles{e.st}
	}
	p, err := NewProfiles(src, s.ProfileCacheSize, s.ProfileTTL, 1, log)
	if err != nil {
		return nil, err
	}
	e.profiles, e.st.profiles = p, p
	e.book = newBook(s.Orders, e.st, e.newID)
	e.eval.Store(&evalBox{noRules{}})
	// Order and task ids stay unique across restarts: the counter starts at the clock.
	e.seq.Store(uint64(time.Now().UnixMilli()) << 8)
	return e, nil
}

// Close stops the engine's background workers.
func (e *Engine) Close() { e.profiles.Close() }

// SetClock stamps decisions (and so the orders they issue) with now instead of the
// wall clock; tests drive order deadlines with it. Call it before deciding.
func (e *Engine) SetClock(now func() time.Time) { e.clock = now }

// Book returns the engine's register of orders, cases and appeals.
func (e *Engine) Book() *Book { return e.book }

// State returns what the engine knows, for rule functions and tests.
func (e *Engine) State() *State { return e.st }

// Settings returns the engine's settings.
func (e *Engine) Settings() Settings { return e.set }

// SetEvaluator installs a new rule set; decisions already running finish with the old one.
func (e *Engine) SetEvaluator(ev Evaluator) { e.eval.Store(&evalBox{ev}) }

// Decide scores ev and takes the actions its level calls for. An event id seen before
// gets the first decision again (Duplicate set) and changes nothing. It fails with
// ErrInvalid for an event without id, kind or time. The decision refers to ev's
// strings, so the caller must not reuse their bytes.
func (e *Engine) Decide(ctx context.Context, ev *Event) (*Decision, error) {
	start := time.Now()
	if ev.ID == "" || ev.Kind == KindUnknown || ev.Kind >= numKinds || ev.At.IsZero() {
		return nil, fmt.Errorf("decide: event needs an id, a kind and a time: %w", ErrInvalid)
	}
	keys := keysOf(ev)
	e.seen.prefetch(keys.h)
	e.st.prefetch(ev, keys)
	d, first := e.seen.claimHash(ev.ID, keys.h)
	if !first {
		dup := *d
		dup.Matched, dup.Shadow = slices.Clone(d.Matched), slices.Clone(d.Shadow)
		dup.Errors, dup.Actions = slices.Clone(d.Errors), slices.Clone(d.Actions)
		dup.Duplicate = true
		return &dup, nil
	}
	defer func() {
		// A panic below must not leave duplicates of this id waiting forever.
		if r := recover(); r != nil {
			e.seen.abandon(d)
			panic(r)
		}
	}()
	d.Kind, d.DecidedAt = ev.Kind.String(), start
	if e.clock != nil {
		d.DecidedAt = e.clock()
	}
	if ev.Kind == KindReport {
		d.CaseID = e.newID("CS")
	}
	e.observe(ev, keys, false)

	out := outcomePool.Get().(*Outcome)
	out.reset()
	e.eval.Load().Evaluate(e.st, ev, out)
	for _, m := range out.Matched {
		d.Score += m.Score
	}
	d.Score = min(max(d.Score, 0), 100)
	d.Level = e.set.Level(d.Score)
	d.Matched = append([]Match{}, out.Matched...)
	if len(out.Shadow) > 0 {
		d.Shadow = append([]Match(nil), out.Shadow...)
	}
	if len(out.Errors) > 0 {
		d.Errors = append([]RuleError(nil), out.Errors...)
	}
	d.Actions = e.act(ev, d, out, []Action{})
	outcomePool.Put(out)

	e.remember(ctx, ev, keys, d, false)
	d.LatencyUS = time.Since(start).Microseconds()
	e.seen.doneHash(d, keys.h)
	return d, nil
}

// eventKeys are the window keys of an event's parties, computed once per decision
// for observe and remember.
type eventKeys struct {
	h                            uint64 // hashString of the event id
	id                           uint32 // its low half: window replays merge by it
	payer, payee, caller, callee uint64
}

func keysOf(ev *Event) eventKeys {
	h := hashString(ev.ID)
	k := eventKeys{h: h, id: uint32(h)}
	switch ev.Kind {
	case KindTransfer:
		k.payer, k.payee = entityKey(ev.PayerAccount), entityKey(ev.PayeeAccount)
	case KindCall, KindSMS:
		k.caller, k.callee = entityKey(ev.Caller), entityKey(ev.Callee)
	}
	return k
}

// observe puts the event in the windows that rules count over, before they run, so
// counts include the event itself.
func (e *Engine) observe(ev *Event, k eventKeys, once bool) {
	at, id := ms(ev.At), k.id
	switch ev.Kind {
	case KindTransfer:
		e.st.payees.add(k.payee, mark{at: at, ev: id, value: int64(ev.Amount), other: k.payer}, once)
	case KindCall, KindSMS:
		e.st.callees.add(k.caller, mark{at: at, ev: id, other: k.callee}, once)
	case KindReport:
		who := entityKey(ev.ReporterPhone)
		for _, a := range ev.SuspectAccounts {
			e.st.victims.add(entityKey(a.Account), mark{at: at, ev: id, other: who}, once)
			e.profiles.Invalidate(a.Account)
		}
		for _, n := range ev.SuspectNumbers {
			e.st.victims.add(entityKey(n), mark{at: at, ev: id, other: who}, once)
			e.profiles.Invalidate(n)
		}
	}
}

// remember records what later events link to, after the rules ran: who paid whom (so
// the next transfer is not first-time), risky contacts (with this call's own level),
// and a report's suspects on the black list.
func (e *Engine) remember(ctx context.Context, ev *Event, k eventKeys, d *Decision, once bool) {
	at, id := ms(ev.At), k.id
	switch ev.Kind {
	case KindTransfer:
		e.st.payerTo.add(k.payer, mark{at: at, ev: id, other: k.payee}, once)
	case KindCall, KindSMS:
		tags := e.contactTags(ev, d.Level)
		// Only contacts that carry risk are kept: an ordinary domestic call cannot
		// link a transfer to a scam, and keeping every call would evict the ones that do.
		// The caller's key is its packed number (entityKey of an E.164 number).
		if _, _, ok := numberKey(ev.Caller); ok && tags&^TagSMS != 0 {
			e.st.contacts.add(k.callee, mark{at: at, ev: id, other: k.caller, tag: tags, value: e.st.refs.put(d.EventID)}, once)
		}
	case KindReport:
		reason := "reported: " + ev.FraudType
		for _, a := range ev.SuspectAccounts {
			err := e.st.Lists.AddAccount(Entry{Value: a.Account, List: ListBlack, Reason: reason, Source: "report", Who: d.EventID, Added: ev.At})
			if err != nil {
				e.log.InfoContext(ctx, "suspect_not_listed", "event_id", d.EventID, "account", MaskAccount(a.Account), "err", err)
			}
		}
		for _, n := range ev.SuspectNumbers {
			err := e.st.Lists.AddNumber(Entry{Value: n, List: ListBlack, Reason: reason, Source: "report", Who: d.EventID, Added: ev.At})
			if err != nil {
				e.log.InfoContext(ctx, "suspect_not_listed", "event_id", d.EventID, "number", MaskPhone(n), "err", err)
			}
		}
	}
}

func (e *Engine) contactTags(ev *Event, level Level) uint32 {
	var tags uint32
	overseas, virtual := e.st.Overseas(ev.Caller), e.st.Virtual(ev.Caller)
	if ev.Kind == KindSMS {
		tags |= TagSMS
	}
	switch e.st.Lists.Number(ev.Caller, ev.At).List {
	case ListBlack:
		tags |= TagBlack
	case ListGray:
		tags |= TagGray
	case ListWhite:
		// An official number arriving from abroad or a virtual range is a spoof.
		if ev.Origin == "international_gateway" || overseas || virtual {
			tags |= TagSpoof
		}
	}
	if overseas {
		tags |= TagOverseas
	}
	if virtual {
		tags |= TagVirtual
	}
	if level >= e.set.HighRisk {
		tags |= TagHighRisk
	}
	return tags
}

// act turns the matched rules' actions into orders and tasks. Red issues orders at
// once; orange warns and queues the decision for the desk; yellow and green only watch.
func (e *Engine) act(ev *Event, d *Decision, out *Outcome, acts []Action) []Action {
	if d.Level < Orange {
		return acts
	}
	tier := "medium"
	if d.Level == Red {
		tier = "high"
	}
	for _, m := range out.Matched {
		for _, ra := range m.Actions {
			if ra.Type != ActWarn && d.Level < Red {
				continue
			}
			for _, t := range targets(ev, ra.Target) {
				acts = e.issue(ev, acts, ra.Type, t, tier, m.Rule)
			}
		}
	}
	if d.Level == Orange {
		acts = append(acts, Action{Type: ActReview, TaskID: e.newID("RV")})
	}
	return acts
}

// target is one account or number an action is aimed at.
type target struct{ bank, account, operator, phone string }

func targets(ev *Event, field string) []target {
	switch field {
	case "payee_account":
		return []target{{bank: ev.PayeeBank, account: ev.PayeeAccount}}
	case "payer_account":
		return []target{{bank: ev.Bank, account: ev.PayerAccount}}
	case "payer_phone":
		if ev.PayerPhone == "" {
			return nil
		}
		return []target{{phone: ev.PayerPhone}}
	case "caller":
		return []target{{operator: ev.Operator, phone: ev.Caller}}
	case "callee":
		return []target{{operator: ev.Operator, phone: ev.Callee}}
	case "reporter_phone":
		return []target{{phone: ev.ReporterPhone}}
	case "suspect_accounts":
		ts := make([]target, len(ev.SuspectAccounts))
		for i, a := range ev.SuspectAccounts {
			ts[i] = target{bank: a.Bank, account: a.Account}
		}
		return ts
	case "suspect_numbers":
		ts := make([]target, len(ev.SuspectNumbers))
		for i, n := range ev.SuspectNumbers {
			ts[i] = target{phone: n}
		}
		return ts
	}
	return nil
}

// issue appends one action unless the decision already has it.
func (e *Engine) issue(ev *Event, acts []Action, typ ActionType, t target, tier, rule string) []Action {
	for _, a := range acts {
		if a.Type == typ && a.Account == t.account && a.Phone == t.phone {
			return acts
		}
	}
	a := Action{Type: typ, Bank: t.bank, Account: t.account, Operator: t.operator, Phone: t.phone, Rule: rule}
	switch typ {
	case ActStopPayment:
		if t.account == "" {
			return acts
		}
		id, fresh, refused := e.book.claimStop(t.account, e.newID("SP"))
		if refused {
			// Stopped as often as the law allows: the desk needs a legal freeze now.
			return e.issue(ev, acts, ActFreezeRequest, t, tier, rule)
		}
		a.OrderID, a.Existing = id, !fresh
		if fresh {
			e.profiles.Invalidate(t.account)
		}
	case ActFreezeRequest:
		if t.account == "" {
			return acts
		}
		id, fresh := e.st.freezes.claim(t.account, e.newID("FR"))
		a.OrderID, a.Existing = id, !fresh
	case ActCutoff:
		// Never cut an official number: a spoof is stopped at the gateway, not at 95588.
		if t.phone == "" || e.st.Lists.Number(t.phone, ev.At).List == ListWhite {
			return acts
		}
		id, fresh := e.st.cutoffs.claim(t.phone, e.newID("CO"))
		a.OrderID, a.Existing = id, !fresh
	case ActWarn:
		if t.phone == "" {
			return acts
		}
		a.Tier, a.TaskID = tier, e.newID("WN")
	default:
		return acts
	}
	return append(acts, a)
}

func (e *Engine) newID(prefix string) string {
	return prefix + "-" + strconv.FormatUint(e.seq.Add(1), 36)
}

// ReleaseStop lifts the stop-payment in force on account a (released, expired or
// granted on appeal), and any pending freeze request on it. It reports whether there
// was a stop.
func (e *Engine) ReleaseStop(a string) bool {
	e.profiles.Invalidate(a)
	e.st.freezes.release(a)
	return e.st.stops.release(a)
}

// MaskPhone hides the middle of a number for logs and volunteers: +86138****0001.
func MaskPhone(n string) string {
	if len(n) < 8 {
		return strings.Repeat("*", len(n))
	}
	return n[:len(n)-8] + "****" + n[len(n)-4:]
}

// MaskAccount keeps the first 4 and last 4 digits of an account: 6222…0001.
func MaskAccount(a string) string {
	if len(a) < 10 {
		return strings.Repeat("*", len(a))
	}
	return a[:4] + "…" + a[len(a)-4:]
}
