package intercept

import (
	"strings"
	"sync"
	"time"
)

// Contact risk bits, recorded when a call or SMS reaches a callee.
const (
	TagBlack    uint32 = 1 << iota // caller black-listed at the time
	TagGray                        // caller gray-listed at the time
	TagOverseas                    // caller outside the default country
	TagVirtual                     // caller in a virtual-operator range
	TagSpoof                       // an official (white) number arriving from abroad or a virtual range
	TagHighRisk                    // the call's own decision reached Settings.HighRisk
	TagSMS                         // a text, not a call
)

// TagsRisky are the bits that make a contact risky by themselves.
const TagsRisky = TagBlack | TagGray | TagVirtual | TagSpoof | TagHighRisk

// Contact is one call or SMS that reached a phone.
type Contact struct {
	Caller string
	At     time.Time
	Tags   uint32
	Ref    string // the call or SMS event id
}

// State is what the engine knows beyond the event itself: lists, sliding windows,
// contacts, orders in force. Rule functions read it; the engine writes it. Every
// method is safe for concurrent use and answers from memory.
type State struct {
	Lists *Lists

	payees   *window // payee account <- transfers (value: amount, other: payer)
	payerTo  *window // payer account -> payees paid before (first-time payee)
	callees  *window // caller -> callees called or texted
	contacts *window // callee <- callers (tags; value: a refs sequence number)
	refs     *refs   // event ids of contacts
	victims  *window // account or number <- reporters

	stops   orderTable // account -> stop-payment order
	cutoffs orderTable // number -> cutoff order
	freezes orderTable // account -> freeze request awaiting the desk

	profiles *Profiles

	country  string // "+86": numbers starting otherwise are overseas
	virtual  []virtualRange
	bufPool  sync.Pool
	windowMS int64
}

type virtualRange struct {
	key    uint64
	digits int
}

func newState(s Settings, lists *Lists, profiles *Profiles) *State {
	h := s.WindowHorizon.Milliseconds()
	st := &State{
		Lists:    lists,
		payees:   newWindow(s.WindowKeys, 32, h),
		payerTo:  newWindow(s.WindowKeys, 32, s.PayeeMemory.Milliseconds()),
		callees:  newWindow(s.WindowKeys, 64, h),
		contacts: newWindow(s.WindowKeys, 16, h),
		refs:     newRefs(s.WindowKeys * 4),
		victims:  newWindow(s.WindowKeys, 32, s.PayeeMemory.Milliseconds()),
		profiles: profiles,
		country:  "+" + s.DefaultCountry,
		windowMS: h,
	}
	st.stops.init()
	st.cutoffs.init()
	st.freezes.init()
	for _, p := range s.VirtualPrefixes {
		if k, d, ok := numberKey(p); ok {
			st.virtual = append(st.virtual, virtualRange{k, d})
		}
	}
	st.bufPool.New = func() any { b := make([]mark, 0, 64); return &b }
	return st
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func (st *State) getBuf() *[]mark { return st.bufPool.Get().(*[]mark) }
func (st *State) putBuf(b *[]mark) {
	*b = (*b)[:0]
	st.bufPool.Put(b)
}

// Horizon is the longest window the velocity and contact tables can answer for.
func (st *State) Horizon() time.Duration { return time.Duration(st.windowMS) * time.Millisecond }

// prefetch starts loading the list filters and window buckets a decision on ev will
// read, so that their cache misses overlap instead of coming one after another:
// whole buckets of the tables every such event reads and writes, the keys line of
// those most keys are absent from (only reported accounts have victims, only risky
// calls leave contacts).
func (st *State) prefetch(ev *Event, k eventKeys) {
	switch ev.Kind {
	case KindTransfer:
		st.Lists.prefetchAccount(ev.PayeeAccount)
		st.payees.prefetchAll(k.payee)
		st.payerTo.prefetchAll(k.payer)
		st.victims.prefetch(k.payee)
		if ev.PayerPhone != "" {
			st.contacts.prefetch(entityKey(ev.PayerPhone))
		}
	case KindCall, KindSMS:
		st.Lists.prefetchNumber(ev.Caller)
		st.callees.prefetchAll(k.caller)
		st.contacts.prefetch(k.callee)
	}
}

// Overseas reports whether E.164 number n is outside the default country.
func (st *State) Overseas(n string) bool {
	return len(n) > 1 && n[0] == '+' && !strings.HasPrefix(n, st.country)
}

// Virtual reports whether number n is in a virtual-operator range (Settings.VirtualPrefixes).
func (st *State) Virtual(n string) bool {
	k, d, ok := numberKey(n)
	if !ok {
		return false
	}
	for _, r := range st.virtual {
		if r.digits <= d && k>>(4*(d-r.digits)) == r.key {
			return true
		}
	}
	return false
}

// PayeeTransfers returns the transfers into payee in the d before at (this one
// included once the engine has observed it): how many, their sum in fen and how many
// distinct payers. Counts saturate at the window depth (32).
func (st *State) PayeeTransfers(payee string, at time.Time, d time.Duration) (n int, sum Fen, payers int) {
	b := st.getBuf()
	defer st.putBuf(b)
	*b = st.payees.marks(entityKey(payee), ms(at)-d.Milliseconds(), ms(at), *b)
	for _, m := range *b {
		sum += Fen(m.value)
	}
	return len(*b), sum, countDistinct(*b)
}

// Callees returns how many distinct numbers caller called or texted in the d before at.
// It saturates at 64.
func (st *State) Callees(caller string, at time.Time, d time.Duration) int {
	b := st.getBuf()
	defer st.putBuf(b)
	*b = st.callees.marks(entityKey(caller), ms(at)-d.Milliseconds(), ms(at), *b)
	return countDistinct(*b)
}

// Victims returns how many distinct people reported account or number x (within
// Settings.PayeeMemory). It saturates at 32.
func (st *State) Victims(x string, at time.Time) int {
	b := st.getBuf()
	defer st.putBuf(b)
	*b = st.victims.marks(entityKey(x), 0, ms(at), *b)
	return countDistinct(*b)
}

// PaidBefore reports whether payer paid payee before at (within Settings.PayeeMemory,
// among the payer's 32 latest payees).
func (st *State) PaidBefore(payer, payee string, at time.Time) bool {
	b := st.getBuf()
	defer st.putBuf(b)
	*b = st.payerTo.marks(entityKey(payer), 0, ms(at), *b)
	pk := entityKey(payee)
	for _, m := range *b {
		if m.other == pk {
			return true
		}
	}
	return false
}

// Contacts appends to buf the calls and texts that reached phone in the d before at
// whose tags (or whose caller's current list) meet want: a contact counts when
// tags&want != 0, or when want asks for TagBlack/TagGray and the caller is on that
// list now. Only contacts that carried some risk when they happened are kept (see
// Engine.remember), so a caller reported after the call counts if, say, it called
// from abroad or a virtual range, but not an ordinary domestic number. Order is not
// guaranteed.
func (st *State) Contacts(phone string, at time.Time, d time.Duration, want uint32, buf []Contact) []Contact {
	b := st.getBuf()
	defer st.putBuf(b)
	*b = st.contacts.marks(entityKey(phone), ms(at)-d.Milliseconds(), ms(at), *b)
	for _, m := range *b {
		tags := st.contactTags(m, at, want)
		if tags&want != 0 {
			buf = append(buf, Contact{Caller: numberString(m.other), At: time.UnixMilli(m.at), Tags: tags, Ref: st.refs.get(m.value)})
		}
	}
	return buf
}

// CountContacts is Contacts without the details: how many contacts meet want.
func (st *State) CountContacts(phone string, at time.Time, d time.Duration, want uint32) int {
	b := st.getBuf()
	defer st.putBuf(b)
	*b = st.contacts.marks(entityKey(phone), ms(at)-d.Milliseconds(), ms(at), *b)
	n := 0
	for _, m := range *b {
		tags := st.contactTags(m, at, want)
		if tags&want != 0 {
			n++
		}
	}
	return n
}

// contactTags returns a contact's tags with its caller's list status as of at, when
// want asks about lists: a number reported after it called still counts, and a number
// white-listed since does not.
func (st *State) contactTags(m mark, at time.Time, want uint32) uint32 {
	tags := m.tag
	if want&(TagBlack|TagGray) == 0 {
		return tags
	}
	switch st.Lists.lookupNumber(m.other, digitsOf(m.other), at.Unix()).List {
	case ListBlack:
		tags |= TagBlack
	case ListGray:
		tags |= TagGray
	case ListWhite:
		tags &^= TagBlack | TagGray
	}
	return tags
}

func digitsOf(k uint64) int {
	d := 0
	for ; k != 0; k >>= 4 {
		d++
	}
	return d
}

// Stopped returns the stop-payment order in force on account a, if any.
func (st *State) Stopped(a string) (orderID string, ok bool) { return st.stops.get(a) }

// CutOff returns the cutoff order in force on number n, if any.
func (st *State) CutOff(n string) (orderID string, ok bool) { return st.cutoffs.get(n) }

// Profile returns the cached risk profile of an account or number; see Profiles.
func (st *State) Profile(x string) Profile { return st.profiles.Get(x) }

// orderTable maps an account or number to the order in force on it.
type orderTable struct {
	shards [64]struct {
		mu sync.RWMutex
		m  map[uint64]string
	}
}

func (t *orderTable) init() {
	for i := range t.shards {
		t.shards[i].m = make(map[uint64]string)
	}
}

func (t *orderTable) get(x string) (string, bool) {
	k := entityKey(x)
	sh := &t.shards[mix(k)%64]
	sh.mu.RLock()
	id, ok := sh.m[k]
	sh.mu.RUnlock()
	return id, ok
}

// claim records id for x unless an order is already in force; it returns the order
// in force and whether it is new.
func (t *orderTable) claim(x, id string) (string, bool) {
	k := entityKey(x)
	sh := &t.shards[mix(k)%64]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if old, ok := sh.m[k]; ok {
		return old, false
	}
	sh.m[k] = id
	return id, true
}

func (t *orderTable) release(x string) bool {
	k := entityKey(x)
	sh := &t.shards[mix(k)%64]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	_, ok := sh.m[k]
	delete(sh.m, k)
	return ok
}

// set records id for x, replacing any order in force (a freeze following its stop).
func (t *orderTable) set(x, id string) {
	k := entityKey(x)
	sh := &t.shards[mix(k)%64]
	sh.mu.Lock()
	sh.m[k] = id
	sh.mu.Unlock()
}

// releaseIf lifts the order in force on x if it is id, and reports whether it was.
func (t *orderTable) releaseIf(x, id string) bool {
	k := entityKey(x)
	sh := &t.shards[mix(k)%64]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.m[k] != id {
		return false
	}
	delete(sh.m, k)
	return true
}
