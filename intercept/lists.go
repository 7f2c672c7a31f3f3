package intercept

import (
	"errors"
	"fmt"
	"iter"
	"sync"
	"sync/atomic"
	"time"
)

// List is the list an entry is on. White wins over black and gray: an official number
// (110, 96110, a bank's service line) stays white whatever else is said of it.
type List uint8

// The lists. ListNone is "not listed".
const (
	ListNone List = iota
	ListGray
	ListBlack
	ListWhite
)

var listNames = [...]string{"", "gray", "black", "white"}

// String returns "black", "gray", "white" or "" for ListNone.
func (l List) String() string {
	if int(l) >= len(listNames) {
		return ""
	}
	return listNames[l]
}

// ParseList parses "black", "gray" or "white".
func ParseList(s string) (List, error) {
	for i := ListGray; i <= ListWhite; i++ {
		if listNames[i] == s {
			return i, nil
		}
	}
	return ListNone, fmt.Errorf("list %q: want black, gray or white: %w", s, ErrInvalid)
}

// Entry is one list entry as people see it.
type Entry struct {
	Value   string    `json:"value"`            // E.164 number, number prefix ("+86170") or account
	Prefix  bool      `json:"prefix,omitempty"` // numbers only: Value is a range
	List    List      `json:"-"`
	Reason  string    `json:"reason"`
	Source  string    `json:"source"`
	Who     string    `json:"who"`
	Added   time.Time `json:"added"`
	Expires time.Time `json:"expires,omitzero"` // zero: never
}

// slot is an entry as stored: pointer-free, 24 bytes, strings interned.
type slot struct {
	list                List
	reason, source, who uint32
	added, expires      uint32 // unix seconds; expires 0 = never
}

func (s slot) live(at int64) bool {
	return s.list != ListNone && (s.expires == 0 || at < int64(s.expires))
}

const listShards = 256

type numberShard struct {
	mu sync.RWMutex
	m  map[uint64]slot
	f  atomic.Pointer[filter] // over m's keys; replaced (under mu) as m grows
	_  [32]byte               // keep shards on separate cache lines
}

type accountShard struct {
	mu    sync.RWMutex
	m     map[accountKey]slot
	other map[string]slot // accounts that do not pack into an accountKey
	f     atomic.Pointer[filter]
	_     [24]byte
}

// grow rebuilds the shard's filter twice as large once it holds more keys than the
// filter was sized for, so false positives stay rare. It runs under the shard's
// write lock, once per doubling: a shard of 40,000 keys (10M over 256 shards) takes
// a few milliseconds.
func (sh *numberShard) grow() {
	if f := sh.f.Load(); len(sh.m) > f.keys {
		nf := newFilter(2 * len(sh.m))
		for k := range sh.m {
			nf.add(mix(k))
		}
		sh.f.Store(nf)
	}
}

func (sh *accountShard) grow() {
	if n := len(sh.m) + len(sh.other); n > sh.f.Load().keys {
		nf := newFilter(2 * n)
		for k := range sh.m {
			nf.add(accountHash(k))
		}
		for a := range sh.other {
			nf.add(hashString(a))
		}
		sh.f.Store(nf)
	}
}

// prefixTable is an immutable set of number ranges, replaced whole on change: ranges
// are few and read on every decision, so readers take no lock at all.
type prefixTable struct {
	m    map[uint64]slot // packed prefix digits -> entry
	lens uint16          // bit d set: some prefix has d digits
}

// Lists holds the number and account lists in memory. Lookups take a read lock on one
// of 256 shards (prefixes take none), so decisions never queue behind one lock and
// entries can be added and removed while decisions run. Safe for concurrent use.
type Lists struct {
	numbers  [listShards]numberShard
	accounts [listShards]accountShard

	prefixMu sync.Mutex // serialises prefix writers
	prefixes atomic.Pointer[prefixTable]

	strs     interner
	nNumbers atomic.Int64
	nAccts   atomic.Int64
}

// NewLists returns empty lists.
func NewLists() *Lists {
	l := &Lists{}
	for i := range l.numbers {
		l.numbers[i].m = make(map[uint64]slot)
		l.numbers[i].f.Store(newFilter(0))
		l.accounts[i].m = make(map[accountKey]slot)
		l.accounts[i].other = make(map[string]slot)
		l.accounts[i].f.Store(newFilter(0))
	}
	l.prefixes.Store(&prefixTable{m: map[uint64]slot{}})
	l.strs.init()
	return l
}

// Reserve pre-sizes the tables before a bulk load of about numbers and accounts entries.
// It must be called before the lists are in use.
func (l *Lists) Reserve(numbers, accounts int) {
	for i := range l.numbers {
		l.numbers[i].m = make(map[uint64]slot, numbers/listShards+1)
		l.numbers[i].f.Store(newFilter(numbers/listShards + 1))
		l.accounts[i].m = make(map[accountKey]slot, accounts/listShards+1)
		l.accounts[i].f.Store(newFilter(accounts/listShards + 1))
	}
}

// Len returns the number of exact numbers, prefixes and accounts listed.
func (l *Lists) Len() (numbers, prefixes, accounts int) {
	return int(l.nNumbers.Load()), len(l.prefixes.Load().m), int(l.nAccts.Load())
}

func (l *Lists) pack(e Entry) slot {
	s := slot{list: e.List, reason: l.strs.id(e.Reason), source: l.strs.id(e.Source), who: l.strs.id(e.Who)}
	if !e.Added.IsZero() {
		s.added = uint32(e.Added.Unix())
	}
	if !e.Expires.IsZero() {
		s.expires = uint32(e.Expires.Unix())
	}
	return s
}

func (l *Lists) unpack(value string, prefix bool, s slot) Entry {
	e := Entry{Value: value, Prefix: prefix, List: s.list,
		Reason: l.strs.str(s.reason), Source: l.strs.str(s.source), Who: l.strs.str(s.who)}
	if s.added != 0 {
		e.Added = time.Unix(int64(s.added), 0).UTC()
	}
	if s.expires != 0 {
		e.Expires = time.Unix(int64(s.expires), 0).UTC()
	}
	return e
}

func checkEntry(e Entry) error {
	if e.List < ListGray || e.List > ListWhite {
		return fmt.Errorf("list entry %s: list must be black, gray or white: %w", e.Value, ErrInvalid)
	}
	if !e.Expires.IsZero() && (e.Expires.Unix() <= 0 || e.Expires.Unix() > 1<<32-1) {
		return fmt.Errorf("list entry %s: expiry out of range: %w", e.Value, ErrInvalid)
	}
	return nil
}

// AddNumber adds or replaces a number or, with e.Prefix, a number range. e.Value must
// be E.164 ("+8613800000001", or a prefix such as "+86170"). A black or gray entry for
// a number that is white (itself or by its range) fails with ErrConflict.
func (l *Lists) AddNumber(e Entry) error {
	if err := checkEntry(e); err != nil {
		return err
	}
	k, digits, ok := numberKey(e.Value)
	if !ok {
		return fmt.Errorf("number %q: want + and 1 to 15 digits: %w", e.Value, ErrInvalid)
	}
	s := l.pack(e)
	// The white check runs under the lock that orders writes to the entry, so a black
	// add racing a white one cannot overwrite it. Ranges are checked under prefixMu,
	// numbers under their shard lock (after any range change they raced is visible).
	white := func() error {
		if e.List == ListWhite {
			return nil
		}
		if h := l.lookupNumber(k, digits, time.Now().Unix()); h.List == ListWhite {
			return fmt.Errorf("number %s is white-listed (%s): %w", MaskPhone(e.Value), MaskPhone(l.HitEntry(h).Value), ErrConflict)
		}
		return nil
	}
	if e.Prefix {
		l.prefixMu.Lock()
		defer l.prefixMu.Unlock()
		if err := white(); err != nil {
			return err
		}
		old := l.prefixes.Load()
		t := &prefixTable{m: make(map[uint64]slot, len(old.m)+1), lens: old.lens | 1<<digits}
		for pk, ps := range old.m {
			t.m[pk] = ps
		}
		t.m[k] = s
		l.prefixes.Store(t)
		return nil
	}
	sh := &l.numbers[mix(k)%listShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if e.List != ListWhite {
		if old, had := sh.m[k]; had && old.list == ListWhite && old.live(time.Now().Unix()) {
			return fmt.Errorf("number %s is white-listed: %w", MaskPhone(e.Value), ErrConflict)
		}
		if h := l.lookupRanges(k, digits, time.Now().Unix(), Hit{}); h.List == ListWhite {
			return fmt.Errorf("number %s is in white-listed range %s: %w", MaskPhone(e.Value), l.HitEntry(h).Value, ErrConflict)
		}
	}
	if _, had := sh.m[k]; !had {
		l.nNumbers.Add(1)
	}
	sh.m[k] = s
	sh.f.Load().add(mix(k))
	sh.grow()
	return nil
}

// RemoveNumber removes a number or range and returns what it was. ErrNotFound if absent.
func (l *Lists) RemoveNumber(value string, prefix bool) (Entry, error) {
	k, _, ok := numberKey(value)
	if !ok {
		return Entry{}, fmt.Errorf("number %q: %w", value, ErrInvalid)
	}
	if prefix {
		l.prefixMu.Lock()
		defer l.prefixMu.Unlock()
		old := l.prefixes.Load()
		s, had := old.m[k]
		if !had {
			return Entry{}, fmt.Errorf("number range %s: %w", value, ErrNotFound)
		}
		t := &prefixTable{m: make(map[uint64]slot, len(old.m))}
		for pk, ps := range old.m {
			if pk != k {
				t.m[pk] = ps
				_, d, _ := numberKey(numberString(pk))
				t.lens |= 1 << d
			}
		}
		l.prefixes.Store(t)
		return l.unpack(value, true, s), nil
	}
	sh := &l.numbers[mix(k)%listShards]
	sh.mu.Lock()
	s, had := sh.m[k]
	delete(sh.m, k)
	sh.mu.Unlock()
	if !had {
		return Entry{}, fmt.Errorf("number %s: %w", value, ErrNotFound)
	}
	l.nNumbers.Add(-1)
	return l.unpack(value, false, s), nil
}

// Hit is the entry that decided a lookup; List is ListNone when nothing matched.
// It is a plain value so lookups do not allocate; HitEntry turns it into an Entry.
type Hit struct {
	List    List
	prefix  bool
	account bool
	key     uint64 // numbers: the number or range key
	acct    string // accounts: the account
	s       slot
}

// Number returns the list of number n (E.164) at time at, considering the number
// itself and every range containing it: white wins, then black, then gray.
func (l *Lists) Number(n string, at time.Time) Hit {
	k, digits, ok := numberKey(n)
	if !ok {
		return Hit{}
	}
	return l.lookupNumber(k, digits, at.Unix())
}

func (l *Lists) lookupNumber(k uint64, digits int, at int64) Hit {
	var best Hit
	h := mix(k)
	sh := &l.numbers[h%listShards]
	var s slot
	var ok bool
	sh.mu.RLock()
	if sh.f.Load().has(h) {
		s, ok = sh.m[k]
	}
	sh.mu.RUnlock()
	if ok && s.live(at) {
		best = Hit{List: s.list, key: k, s: s}
		if s.list == ListWhite {
			return best
		}
	}
	return l.lookupRanges(k, digits, at, best)
}

// lookupRanges improves best with the ranges containing number k.
func (l *Lists) lookupRanges(k uint64, digits int, at int64, best Hit) Hit {
	t := l.prefixes.Load()
	for d := 1; d <= digits && t.lens>>d != 0; d++ {
		if t.lens&(1<<d) == 0 {
			continue
		}
		pk := k >> (4 * (digits - d))
		if s, ok := t.m[pk]; ok && s.live(at) && s.list > best.List {
			best = Hit{List: s.list, prefix: true, key: pk, s: s}
		}
	}
	return best
}

// AddAccount adds or replaces an account entry. A black or gray entry for a white
// account fails with ErrConflict.
func (l *Lists) AddAccount(e Entry) error {
	if err := checkEntry(e); err != nil {
		return err
	}
	if e.Value == "" || len(e.Value) > 64 || e.Prefix {
		return fmt.Errorf("account %q: want 1 to 64 characters, no ranges: %w", e.Value, ErrInvalid)
	}
	s := l.pack(e)
	sh, k, packed, h := l.accountShard(e.Value)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	var old slot
	var had bool
	if packed {
		old, had = sh.m[k]
	} else {
		old, had = sh.other[e.Value]
	}
	if had && old.list == ListWhite && old.live(time.Now().Unix()) && e.List != ListWhite {
		return fmt.Errorf("account %s is white-listed: %w", MaskAccount(e.Value), ErrConflict)
	}
	if packed {
		sh.m[k] = s
	} else {
		sh.other[e.Value] = s
	}
	sh.f.Load().add(h)
	sh.grow()
	if !had {
		l.nAccts.Add(1)
	}
	return nil
}

// accountShard returns account a's shard, its packed key if it packs, and its hash.
func (l *Lists) accountShard(a string) (sh *accountShard, k accountKey, packed bool, h uint64) {
	k, packed = makeAccountKey(a)
	if packed {
		h = accountHash(k)
	} else {
		h = hashString(a)
	}
	return &l.accounts[h%listShards], k, packed, h
}

func accountHash(k accountKey) uint64 { return mix(k[0] ^ mix(k[1])) }

// prefetchNumber starts loading what a lookup of number n will read first.
func (l *Lists) prefetchNumber(n string) {
	if k, _, ok := numberKey(n); ok {
		h := mix(k)
		l.numbers[h%listShards].f.Load().prefetch(h)
	}
}

// prefetchAccount starts loading what a lookup of account a will read first.
func (l *Lists) prefetchAccount(a string) {
	sh, _, _, h := l.accountShard(a)
	sh.f.Load().prefetch(h)
}

// RemoveAccount removes an account entry and returns it. ErrNotFound if absent.
func (l *Lists) RemoveAccount(a string) (Entry, error) {
	sh, k, packed, _ := l.accountShard(a)
	sh.mu.Lock()
	var s slot
	var had bool
	if packed {
		s, had = sh.m[k]
		delete(sh.m, k)
	} else {
		s, had = sh.other[a]
		delete(sh.other, a)
	}
	sh.mu.Unlock()
	if !had {
		return Entry{}, fmt.Errorf("account %s: %w", a, ErrNotFound)
	}
	l.nAccts.Add(-1)
	return l.unpack(a, false, s), nil
}

// Account returns the list of account a at time at.
func (l *Lists) Account(a string, at time.Time) Hit {
	sh, k, packed, h := l.accountShard(a)
	sh.mu.RLock()
	var s slot
	var ok bool
	switch {
	case !sh.f.Load().has(h):
	case packed:
		s, ok = sh.m[k]
	default:
		s, ok = sh.other[a]
	}
	sh.mu.RUnlock()
	if !ok || !s.live(at.Unix()) {
		return Hit{}
	}
	return Hit{List: s.list, account: true, acct: a, s: s}
}

// HitEntry returns the entry behind a hit, for explanations.
func (l *Lists) HitEntry(h Hit) Entry {
	if h.List == ListNone {
		return Entry{}
	}
	if h.account {
		return l.unpack(h.acct, false, h.s)
	}
	return l.unpack(numberString(h.key), h.prefix, h.s)
}

// Numbers iterates over all number entries and ranges (in no particular order).
// Writers are not blocked for longer than one shard's copy.
func (l *Lists) Numbers() iter.Seq[Entry] {
	return func(yield func(Entry) bool) {
		for pk, s := range l.prefixes.Load().m {
			if !yield(l.unpack(numberString(pk), true, s)) {
				return
			}
		}
		for i := range l.numbers {
			sh := &l.numbers[i]
			sh.mu.RLock()
			keys := make([]uint64, 0, len(sh.m))
			slots := make([]slot, 0, len(sh.m))
			for k, s := range sh.m {
				keys, slots = append(keys, k), append(slots, s)
			}
			sh.mu.RUnlock()
			for j, k := range keys {
				if !yield(l.unpack(numberString(k), false, slots[j])) {
					return
				}
			}
		}
	}
}

// Accounts iterates over all account entries (in no particular order).
func (l *Lists) Accounts() iter.Seq[Entry] {
	return func(yield func(Entry) bool) {
		for i := range l.accounts {
			sh := &l.accounts[i]
			sh.mu.RLock()
			es := make([]Entry, 0, len(sh.m)+len(sh.other))
			for k, s := range sh.m {
				es = append(es, l.unpack(accountString(k), false, s))
			}
			for a, s := range sh.other {
				es = append(es, l.unpack(a, false, s))
			}
			sh.mu.RUnlock()
			for _, e := range es {
				if !yield(e) {
					return
				}
			}
		}
	}
}

func accountString(k accountKey) string {
	var buf [32]byte
	n := 0
	for w := 0; w < 2; w++ {
		var tmp [16]byte
		i := 16
		for x := k[w]; x != 0; x >>= 4 {
			i--
			tmp[i] = byte(x&0xf) - 1 + '0'
		}
		n += copy(buf[n:], tmp[i:])
	}
	return string(buf[:n])
}

// Load adds numbers and accounts in bulk, the two in parallel (they share no lock).
// It stops each at its first bad entry and returns the errors joined.
func (l *Lists) Load(numbers, accounts iter.Seq[Entry]) error {
	var wg sync.WaitGroup
	var nerr, aerr error
	load := func(seq iter.Seq[Entry], add func(Entry) error, err *error) {
		defer wg.Done()
		if seq == nil {
			return
		}
		for e := range seq {
			if *err = add(e); *err != nil {
				return
			}
		}
	}
	wg.Add(2)
	go load(numbers, l.AddNumber, &nerr)
	go load(accounts, l.AddAccount, &aerr)
	wg.Wait()
	return errors.Join(nerr, aerr)
}
