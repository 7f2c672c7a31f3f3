package intercept

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

// listT0 is a whole second, so entries come back from the tables unchanged.
var listT0 = time.Date(2026, 11, 21, 2, 0, 0, 0, time.UTC)

func entry(value string, list List) Entry {
	return Entry{Value: value, List: list, Reason: "r-" + value, Source: "s-" + list.String(), Who: "analyst", Added: listT0}
}

func rangeEntry(value string, list List) Entry {
	e := entry(value, list)
	e.Prefix = true
	return e
}

func mustAddNumber(t testing.TB, l *Lists, e Entry) {
	t.Helper()
	if err := l.AddNumber(e); err != nil {
		t.Fatalf("AddNumber(%+v): %v", e, err)
	}
}

func mustAddAccount(t testing.TB, l *Lists, e Entry) {
	t.Helper()
	if err := l.AddAccount(e); err != nil {
		t.Fatalf("AddAccount(%+v): %v", e, err)
	}
}

func TestListParse(t *testing.T) {
	for _, l := range []List{ListGray, ListBlack, ListWhite} {
		got, err := ParseList(l.String())
		if err != nil || got != l {
			t.Errorf("ParseList(%q) = %v, %v; want %v", l.String(), got, err, l)
		}
	}
	for _, s := range []string{"", "Black", "red", "none"} {
		if _, err := ParseList(s); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseList(%q) err = %v, want ErrInvalid", s, err)
		}
	}
	if s := List(9).String(); s != "" {
		t.Errorf("List(9).String() = %q, want empty", s)
	}
}

func TestListsNumberAddLookupRemove(t *testing.T) {
	l := NewLists()
	e := entry("+8613800000001", ListBlack)
	mustAddNumber(t, l, e)

	h := l.Number("+8613800000001", listT0)
	if h.List != ListBlack {
		t.Fatalf("Number = %v, want black", h.List)
	}
	if diff := cmp.Diff(e, l.HitEntry(h)); diff != "" {
		t.Errorf("HitEntry (-want +got):\n%s", diff)
	}
	for _, n := range []string{"+8613800000002", "+861380000000", "+86138000000011", "8613800000001", ""} {
		if h := l.Number(n, listT0); h.List != ListNone {
			t.Errorf("Number(%q) = %v, want none", n, h.List)
		}
	}

	got, err := l.RemoveNumber("+8613800000001", false)
	if err != nil {
		t.Fatalf("RemoveNumber: %v", err)
	}
	if diff := cmp.Diff(e, got); diff != "" {
		t.Errorf("RemoveNumber (-want +got):\n%s", diff)
	}
	if h := l.Number("+8613800000001", listT0); h.List != ListNone {
		t.Errorf("after remove: Number = %v, want none", h.List)
	}
	if _, err := l.RemoveNumber("+8613800000001", false); !errors.Is(err, ErrNotFound) {
		t.Errorf("second RemoveNumber err = %v, want ErrNotFound", err)
	}
}

func TestListsRanges(t *testing.T) {
	l := NewLists()
	e := rangeEntry("+86170", ListGray)
	mustAddNumber(t, l, e)

	tests := []struct {
		n    string
		want List
	}{
		{"+8617012345678", ListGray},
		{"+86170", ListGray}, // the range itself
		{"+861701", ListGray},
		{"+8617112345678", ListNone},
		{"+8617", ListNone}, // shorter than the range
		{"+8517012345678", ListNone},
	}
	for _, tt := range tests {
		t.Run(tt.n, func(t *testing.T) {
			h := l.Number(tt.n, listT0)
			if h.List != tt.want {
				t.Fatalf("Number(%q) = %v, want %v", tt.n, h.List, tt.want)
			}
			if tt.want != ListNone {
				if diff := cmp.Diff(e, l.HitEntry(h)); diff != "" {
					t.Errorf("HitEntry (-want +got):\n%s", diff)
				}
			}
		})
	}

	// An exact entry and a range with the same digits are different entries.
	if _, err := l.RemoveNumber("+86170", false); !errors.Is(err, ErrNotFound) {
		t.Errorf("RemoveNumber(range as exact) err = %v, want ErrNotFound", err)
	}
	got, err := l.RemoveNumber("+86170", true)
	if err != nil {
		t.Fatalf("RemoveNumber(range): %v", err)
	}
	if diff := cmp.Diff(e, got); diff != "" {
		t.Errorf("RemoveNumber(range) (-want +got):\n%s", diff)
	}
	if h := l.Number("+8617012345678", listT0); h.List != ListNone {
		t.Errorf("after remove: Number = %v, want none", h.List)
	}
	if _, err := l.RemoveNumber("+86170", true); !errors.Is(err, ErrNotFound) {
		t.Errorf("second RemoveNumber(range) err = %v, want ErrNotFound", err)
	}
}

// Removing one range keeps ranges of other lengths working.
func TestListsRemoveRangeKeepsOthers(t *testing.T) {
	l := NewLists()
	mustAddNumber(t, l, rangeEntry("+855", ListBlack))
	mustAddNumber(t, l, rangeEntry("+86170", ListGray))
	mustAddNumber(t, l, rangeEntry("+86171", ListGray))
	if _, err := l.RemoveNumber("+86170", true); err != nil {
		t.Fatal(err)
	}
	for n, want := range map[string]List{"+85512345678": ListBlack, "+8617112345678": ListGray, "+8617012345678": ListNone} {
		if got := l.Number(n, listT0).List; got != want {
			t.Errorf("Number(%q) = %v, want %v", n, got, want)
		}
	}
}

func TestListsWhiteWins(t *testing.T) {
	type op struct {
		e       Entry
		wantErr error
	}
	tests := []struct {
		name    string
		ops     []op
		n       string // looked up afterwards
		want    List
		decider string // HitEntry(...).Value
	}{
		{
			name: "exact white inside black range",
			ops:  []op{{e: entry("+8695588", ListWhite)}, {e: rangeEntry("+86955", ListBlack)}},
			n:    "+8695588", want: ListWhite, decider: "+8695588",
		},
		{
			name: "black range added first, then exact white",
			ops:  []op{{e: rangeEntry("+86955", ListBlack)}, {e: entry("+8695588", ListWhite)}},
			n:    "+8695588", want: ListWhite, decider: "+8695588",
		},
		{
			name: "white range over black exact",
			ops:  []op{{e: entry("+8695588", ListBlack)}, {e: rangeEntry("+86955", ListWhite)}},
			n:    "+8695588", want: ListWhite, decider: "+86955",
		},
		{
			name: "white range over black range",
			ops:  []op{{e: rangeEntry("+8695", ListBlack)}, {e: rangeEntry("+869558", ListWhite)}},
			n:    "+8695588", want: ListWhite, decider: "+869558",
		},
		{
			name: "black on a white number",
			ops:  []op{{e: entry("+86110", ListWhite)}, {e: entry("+86110", ListBlack), wantErr: ErrConflict}},
			n:    "+86110", want: ListWhite, decider: "+86110",
		},
		{
			name: "gray on a white number",
			ops:  []op{{e: entry("+86110", ListWhite)}, {e: entry("+86110", ListGray), wantErr: ErrConflict}},
			n:    "+86110", want: ListWhite, decider: "+86110",
		},
		{
			name: "black number inside a white range",
			ops:  []op{{e: rangeEntry("+8695", ListWhite)}, {e: entry("+8695588", ListBlack), wantErr: ErrConflict}},
			n:    "+8695588", want: ListWhite, decider: "+8695",
		},
		{
			name: "black range inside a white range",
			ops:  []op{{e: rangeEntry("+8695", ListWhite)}, {e: rangeEntry("+869558", ListBlack), wantErr: ErrConflict}},
			n:    "+8695588", want: ListWhite, decider: "+8695",
		},
		{
			name: "black range equal to a white range",
			ops:  []op{{e: rangeEntry("+8695", ListWhite)}, {e: rangeEntry("+8695", ListBlack), wantErr: ErrConflict}},
			n:    "+8695588", want: ListWhite, decider: "+8695",
		},
		{
			name: "white replaces black",
			ops:  []op{{e: entry("+8695588", ListBlack)}, {e: entry("+8695588", ListWhite)}},
			n:    "+8695588", want: ListWhite, decider: "+8695588",
		},
		{
			name: "black range around a white number elsewhere",
			ops:  []op{{e: entry("+8695588", ListWhite)}, {e: rangeEntry("+86955", ListBlack)}},
			n:    "+8695599", want: ListBlack, decider: "+86955",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLists()
			for _, o := range tt.ops {
				err := l.AddNumber(o.e)
				if o.wantErr == nil && err != nil || o.wantErr != nil && !errors.Is(err, o.wantErr) {
					t.Fatalf("AddNumber(%s %s prefix=%v) err = %v, want %v", o.e.List, o.e.Value, o.e.Prefix, err, o.wantErr)
				}
			}
			h := l.Number(tt.n, listT0)
			if h.List != tt.want {
				t.Fatalf("Number(%q) = %v, want %v", tt.n, h.List, tt.want)
			}
			if got := l.HitEntry(h).Value; got != tt.decider {
				t.Errorf("decided by %q, want %q", got, tt.decider)
			}
		})
	}
}

func TestListsAccountWhiteWins(t *testing.T) {
	l := NewLists()
	mustAddAccount(t, l, entry("95588000001", ListWhite))
	for _, list := range []List{ListBlack, ListGray} {
		if err := l.AddAccount(entry("95588000001", list)); !errors.Is(err, ErrConflict) {
			t.Errorf("AddAccount(%s over white) err = %v, want ErrConflict", list, err)
		}
	}
	if got := l.Account("95588000001", listT0).List; got != ListWhite {
		t.Errorf("Account = %v, want white", got)
	}
	if n, _, a := l.Len(); n != 0 || a != 1 {
		t.Errorf("Len = %d numbers, %d accounts; want 0, 1", n, a)
	}
	// White over black is allowed.
	mustAddAccount(t, l, entry("6228480000000002", ListBlack))
	mustAddAccount(t, l, entry("6228480000000002", ListWhite))
	if got := l.Account("6228480000000002", listT0).List; got != ListWhite {
		t.Errorf("Account = %v, want white", got)
	}
}

// An expired white entry no longer protects its number or account; one still in force
// does. Expiry here is measured against the clock, as a desk adding an entry sees it.
func TestListsExpiredWhiteDoesNotBlock(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name    string
		expires time.Time
		wantErr error
	}{
		{"expired", now.Add(-time.Hour), nil},
		{"in force", now.Add(time.Hour), ErrConflict},
		{"never expires", time.Time{}, ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLists()
			for _, w := range []Entry{entry("+86110", ListWhite), rangeEntry("+8695", ListWhite)} {
				w.Expires = tt.expires
				mustAddNumber(t, l, w)
			}
			a := entry("95588000001", ListWhite)
			a.Expires = tt.expires
			mustAddAccount(t, l, a)
			for name, err := range map[string]error{
				"number":          l.AddNumber(entry("+86110", ListBlack)),
				"number in range": l.AddNumber(entry("+8695588", ListBlack)),
				"account":         l.AddAccount(entry("95588000001", ListBlack)),
			} {
				if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Errorf("black %s over %s white: err = %v, want %v", name, tt.name, err, tt.wantErr)
				}
			}
		})
	}
}

func TestListsBlackBeatsGray(t *testing.T) {
	tests := []struct {
		name    string
		adds    []Entry
		n       string
		want    List
		decider string
	}{
		{"gray exact, black range", []Entry{entry("+8617012345678", ListGray), rangeEntry("+86170", ListBlack)}, "+8617012345678", ListBlack, "+86170"},
		{"black exact, gray range", []Entry{entry("+8617012345678", ListBlack), rangeEntry("+86170", ListGray)}, "+8617012345678", ListBlack, "+8617012345678"},
		{"short gray range, long black range", []Entry{rangeEntry("+86", ListGray), rangeEntry("+86170", ListBlack)}, "+8617012345678", ListBlack, "+86170"},
		{"short black range, long gray range", []Entry{rangeEntry("+86", ListBlack), rangeEntry("+86170", ListGray)}, "+8617012345678", ListBlack, "+86"},
		{"gray exact and gray range: exact explains", []Entry{entry("+8617012345678", ListGray), rangeEntry("+86170", ListGray)}, "+8617012345678", ListGray, "+8617012345678"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLists()
			for _, e := range tt.adds {
				mustAddNumber(t, l, e)
			}
			h := l.Number(tt.n, listT0)
			if h.List != tt.want {
				t.Fatalf("Number(%q) = %v, want %v", tt.n, h.List, tt.want)
			}
			if got := l.HitEntry(h).Value; got != tt.decider {
				t.Errorf("decided by %q, want %q", got, tt.decider)
			}
		})
	}
}

func TestListsExpiry(t *testing.T) {
	expires := listT0.Add(time.Hour)
	l := NewLists()
	num := entry("+8613800000001", ListBlack)
	num.Expires = expires
	rng := rangeEntry("+85512", ListGray)
	rng.Expires = expires
	acct := entry("6228480000000002", ListBlack)
	acct.Expires = expires
	other := entry("ABC-0001", ListGray)
	other.Expires = expires
	mustAddNumber(t, l, num)
	mustAddNumber(t, l, rng)
	mustAddAccount(t, l, acct)
	mustAddAccount(t, l, other)

	tests := []struct {
		name string
		at   time.Time
		live bool
	}{
		{"added", listT0, true},
		{"a second before", expires.Add(-time.Second), true},
		{"at expiry", expires, false},
		{"after", expires.Add(time.Minute), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := func(l List) List {
				if tt.live {
					return l
				}
				return ListNone
			}
			checks := []struct {
				what string
				got  List
				want List
			}{
				{"number", l.Number("+8613800000001", tt.at).List, want(ListBlack)},
				{"range", l.Number("+8551234567", tt.at).List, want(ListGray)},
				{"account", l.Account("6228480000000002", tt.at).List, want(ListBlack)},
				{"other account", l.Account("ABC-0001", tt.at).List, want(ListGray)},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
				}
			}
		})
	}

	// When an exact white entry expires, the black range around it applies again.
	l = NewLists()
	w := entry("+8695588", ListWhite)
	w.Expires = expires
	mustAddNumber(t, l, w)
	mustAddNumber(t, l, rangeEntry("+86955", ListBlack))
	if got := l.Number("+8695588", listT0).List; got != ListWhite {
		t.Errorf("before expiry: %v, want white", got)
	}
	if got := l.Number("+8695588", expires).List; got != ListBlack {
		t.Errorf("after white expiry: %v, want black", got)
	}
}

func TestListsInvalid(t *testing.T) {
	l := NewLists()
	bad := []struct {
		name string
		add  func() error
	}{
		{"number without plus", func() error { return l.AddNumber(entry("8613800000001", ListBlack)) }},
		{"number with letters", func() error { return l.AddNumber(entry("+86abc", ListBlack)) }},
		{"number of 16 digits", func() error { return l.AddNumber(entry("+8613800000001234", ListBlack)) }},
		{"no list", func() error { return l.AddNumber(entry("+8613800000001", ListNone)) }},
		{"list out of range", func() error { return l.AddNumber(entry("+8613800000001", List(7))) }},
		{"expiry before 1970", func() error {
			e := entry("+8613800000001", ListBlack)
			e.Expires = time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)
			return l.AddNumber(e)
		}},
		{"expiry after 2106", func() error {
			e := entry("+8613800000001", ListBlack)
			e.Expires = time.Date(2107, 1, 1, 0, 0, 0, 0, time.UTC)
			return l.AddNumber(e)
		}},
		{"empty account", func() error { return l.AddAccount(entry("", ListBlack)) }},
		{"account of 65 characters", func() error { return l.AddAccount(entry(string(make([]byte, 65)), ListBlack)) }},
		{"account range", func() error { return l.AddAccount(rangeEntry("6222", ListBlack)) }},
		{"account without list", func() error { return l.AddAccount(entry("6222", ListNone)) }},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.add(); !errors.Is(err, ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
	if n, p, a := l.Len(); n+p+a != 0 {
		t.Errorf("Len = %d, %d, %d after rejected adds; want all 0", n, p, a)
	}
	if _, err := l.RemoveNumber("13800000001", false); !errors.Is(err, ErrInvalid) {
		t.Errorf("RemoveNumber(no plus) err = %v, want ErrInvalid", err)
	}
}

func TestListsAccounts(t *testing.T) {
	tests := []string{
		"6228480000000002",
		"0001",                              // leading zeros
		"62220200000000011",                 // two words
		"62220200000000011000000000000009",  // 32 digits
		"622202000000000110000000000000091", // 33 digits: side table
		"ABC-0001",                          // side table
		"对公-88",
	}
	l := NewLists()
	for _, a := range tests {
		mustAddAccount(t, l, entry(a, ListBlack))
	}
	for _, a := range tests {
		t.Run(a, func(t *testing.T) {
			h := l.Account(a, listT0)
			if h.List != ListBlack {
				t.Fatalf("Account = %v, want black", h.List)
			}
			if diff := cmp.Diff(entry(a, ListBlack), l.HitEntry(h)); diff != "" {
				t.Errorf("HitEntry (-want +got):\n%s", diff)
			}
		})
	}
	for _, a := range []string{"1", "6228480000000003", "00001", "001", "abc-0001", "6222020000000001"} {
		if h := l.Account(a, listT0); h.List != ListNone {
			t.Errorf("Account(%q) = %v, want none", a, h.List)
		}
	}
	for _, a := range tests {
		got, err := l.RemoveAccount(a)
		if err != nil {
			t.Fatalf("RemoveAccount(%q): %v", a, err)
		}
		if diff := cmp.Diff(entry(a, ListBlack), got); diff != "" {
			t.Errorf("RemoveAccount(%q) (-want +got):\n%s", a, diff)
		}
		if h := l.Account(a, listT0); h.List != ListNone {
			t.Errorf("after remove: Account(%q) = %v", a, h.List)
		}
		if _, err := l.RemoveAccount(a); !errors.Is(err, ErrNotFound) {
			t.Errorf("second RemoveAccount(%q) err = %v, want ErrNotFound", a, err)
		}
	}
	if _, _, n := l.Len(); n != 0 {
		t.Errorf("accounts Len = %d after removing all, want 0", n)
	}
}

func TestListsLen(t *testing.T) {
	l := NewLists()
	check := func(wantN, wantP, wantA int) {
		t.Helper()
		n, p, a := l.Len()
		if n != wantN || p != wantP || a != wantA {
			t.Errorf("Len = %d, %d, %d; want %d, %d, %d", n, p, a, wantN, wantP, wantA)
		}
	}
	check(0, 0, 0)
	mustAddNumber(t, l, entry("+8613800000001", ListBlack))
	mustAddNumber(t, l, entry("+8613800000002", ListGray))
	mustAddNumber(t, l, entry("+86110", ListWhite))
	mustAddNumber(t, l, entry("+8613800000001", ListGray)) // replaces
	mustAddNumber(t, l, rangeEntry("+86170", ListGray))
	mustAddNumber(t, l, rangeEntry("+86170", ListBlack)) // replaces
	mustAddNumber(t, l, rangeEntry("+855", ListBlack))
	mustAddAccount(t, l, entry("6228480000000002", ListBlack))
	mustAddAccount(t, l, entry("6228480000000002", ListGray)) // replaces
	mustAddAccount(t, l, entry("ABC-1", ListBlack))
	mustAddAccount(t, l, entry("ABC-1", ListBlack)) // replaces
	check(3, 2, 2)
	if err := l.AddNumber(entry("+86110", ListBlack)); !errors.Is(err, ErrConflict) {
		t.Fatalf("conflict err = %v", err)
	}
	check(3, 2, 2)
	if _, err := l.RemoveNumber("+8613800000002", false); err != nil {
		t.Fatal(err)
	}
	if _, err := l.RemoveNumber("+855", true); err != nil {
		t.Fatal(err)
	}
	if _, err := l.RemoveAccount("ABC-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.RemoveAccount("ABC-1"); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	check(2, 1, 1)
}

func TestListsIterate(t *testing.T) {
	l := NewLists()
	var wantNumbers, wantAccounts []Entry
	for i := range 1000 {
		e := entry(fmt.Sprintf("+86138%08d", i), List(1+i%3))
		if i%7 == 0 {
			e.Expires = listT0.Add(time.Duration(i) * time.Hour)
		}
		mustAddNumber(t, l, e)
		wantNumbers = append(wantNumbers, e)
	}
	for _, p := range []string{"+86170", "+855", "+1"} {
		e := rangeEntry(p, ListGray)
		mustAddNumber(t, l, e)
		wantNumbers = append(wantNumbers, e)
	}
	for i := range 1000 {
		a := fmt.Sprintf("%019d", i) // leading zeros, two words
		switch i % 4 {
		case 1:
			a = fmt.Sprintf("ACC-%d", i) // side table
		case 2:
			a = strconv.Itoa(i)
		}
		e := entry(a, List(1+i%3))
		mustAddAccount(t, l, e)
		wantAccounts = append(wantAccounts, e)
	}

	collect := func(seq func(func(Entry) bool)) map[string][]Entry {
		got := make(map[string][]Entry)
		for e := range seq {
			k := e.Value
			if e.Prefix {
				k += "*"
			}
			got[k] = append(got[k], e)
		}
		return got
	}
	index := func(es []Entry) map[string][]Entry {
		m := make(map[string][]Entry)
		for _, e := range es {
			k := e.Value
			if e.Prefix {
				k += "*"
			}
			m[k] = append(m[k], e)
		}
		return m
	}
	if diff := cmp.Diff(index(wantNumbers), collect(l.Numbers())); diff != "" {
		t.Errorf("Numbers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(index(wantAccounts), collect(l.Accounts())); diff != "" {
		t.Errorf("Accounts (-want +got):\n%s", diff)
	}

	// Breaking out of the loop stops the iteration.
	for name, seq := range map[string]func(func(Entry) bool){"Numbers": l.Numbers(), "Accounts": l.Accounts()} {
		n := 0
		for range seq {
			n++
			if n == 3 {
				break
			}
		}
		if n != 3 {
			t.Errorf("%s: %d entries before break, want 3", name, n)
		}
	}
}

func TestListsHitEntry(t *testing.T) {
	l := NewLists()
	added := time.Date(2026, 11, 20, 9, 30, 15, 999_000_000, time.FixedZone("CST", 8*3600))
	expires := added.Add(48 * time.Hour)
	n := Entry{Value: "+85512345678", List: ListBlack, Reason: "reported: impersonating_police", Source: "report", Who: "r-1", Added: added, Expires: expires}
	r := Entry{Value: "+86170", Prefix: true, List: ListGray, Reason: "virtual range", Source: "desk", Who: "analyst-7", Added: added}
	a := Entry{Value: "6228480000000002", List: ListBlack, Reason: "mule", Source: "bank", Who: "liaison-ABC", Added: added}
	mustAddNumber(t, l, n)
	mustAddNumber(t, l, r)
	mustAddAccount(t, l, a)

	// Times come back in UTC, to the second.
	norm := func(e Entry) Entry {
		e.Added = e.Added.Truncate(time.Second).UTC()
		if !e.Expires.IsZero() {
			e.Expires = e.Expires.Truncate(time.Second).UTC()
		}
		return e
	}
	tests := []struct {
		name string
		hit  Hit
		want Entry
	}{
		{"number", l.Number("+85512345678", added), norm(n)},
		{"range", l.Number("+8617000000001", added), norm(r)},
		{"account", l.Account("6228480000000002", added), norm(a)},
		{"miss", l.Number("+8613800000001", added), Entry{}},
		{"account miss", l.Account("1", added), Entry{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, l.HitEntry(tt.hit)); diff != "" {
				t.Errorf("HitEntry (-want +got):\n%s", diff)
			}
		})
	}
}

// Lookups are on the decision path and must not allocate.
func TestListsLookupAllocs(t *testing.T) {
	l := NewLists()
	mustAddNumber(t, l, entry("+8613800000001", ListBlack))
	mustAddNumber(t, l, rangeEntry("+86170", ListGray))
	mustAddAccount(t, l, entry("6228480000000002", ListBlack))
	mustAddAccount(t, l, entry("ABC-1", ListBlack))
	var sink List
	allocs := testing.AllocsPerRun(100, func() {
		sink |= l.Number("+8613800000001", listT0).List
		sink |= l.Number("+8617000000001", listT0).List
		sink |= l.Number("+8613900000001", listT0).List
		sink |= l.Account("6228480000000002", listT0).List
		sink |= l.Account("ABC-1", listT0).List
		sink |= l.Account("6228480000000009", listT0).List
	})
	if allocs != 0 {
		t.Errorf("lookups allocate %.1f times, want 0", allocs)
	}
	if sink != ListBlack|ListGray {
		t.Errorf("lookups found %v", sink)
	}
}

func TestListsConcurrent(t *testing.T) {
	l := NewLists()
	mustAddNumber(t, l, entry("+86110", ListWhite))
	mustAddNumber(t, l, rangeEntry("+8695", ListWhite))
	const workers, per = 8, 500
	var wg sync.WaitGroup
	errs := make(chan error, workers*4)
	for w := range workers {
		wg.Go(func() {
			for i := range per {
				n := fmt.Sprintf("+86138%02d%06d", w, i)
				a := fmt.Sprintf("62284%02d%09d", w, i)
				if err := l.AddNumber(entry(n, ListBlack)); err != nil {
					errs <- err
					return
				}
				if err := l.AddAccount(entry(a, ListBlack)); err != nil {
					errs <- err
					return
				}
				if i%10 == 0 {
					p := fmt.Sprintf("+855%02d%03d", w, i)
					if err := l.AddNumber(rangeEntry(p, ListGray)); err != nil {
						errs <- err
						return
					}
				}
				// Remove every other entry again.
				if i%2 == 1 {
					if _, err := l.RemoveNumber(n, false); err != nil {
						errs <- err
						return
					}
					if _, err := l.RemoveAccount(a); err != nil {
						errs <- err
						return
					}
				}
				// Adds that conflict with the white list fail and change nothing.
				if err := l.AddNumber(entry("+869558"+strconv.Itoa(i), ListBlack)); !errors.Is(err, ErrConflict) {
					errs <- fmt.Errorf("black inside white range: %v", err)
					return
				}
			}
		})
		wg.Go(func() { // readers
			for i := range per {
				if got := l.Number("+86110", listT0).List; got != ListWhite {
					errs <- fmt.Errorf("+86110 is %v during writes", got)
					return
				}
				l.Number(fmt.Sprintf("+86138%02d%06d", w, i), listT0)
				l.Account(fmt.Sprintf("62284%02d%09d", w, i), listT0)
				l.Number(fmt.Sprintf("+855%02d%03d1", w, i), listT0)
				if i%50 == 0 {
					for range l.Numbers() {
					}
					for range l.Accounts() {
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	for w := range workers {
		for i := range per {
			want := ListBlack
			if i%2 == 1 {
				want = ListNone
			}
			n := fmt.Sprintf("+86138%02d%06d", w, i)
			if got := l.Number(n, listT0).List; got != want {
				t.Fatalf("Number(%s) = %v, want %v", n, got, want)
			}
			a := fmt.Sprintf("62284%02d%09d", w, i)
			if got := l.Account(a, listT0).List; got != want {
				t.Fatalf("Account(%s) = %v, want %v", a, got, want)
			}
		}
	}
	wantN, wantP, wantA := 1+workers*per/2, 1+workers*per/10, workers*per/2
	if n, p, a := l.Len(); n != wantN || p != wantP || a != wantA {
		t.Errorf("Len = %d, %d, %d; want %d, %d, %d", n, p, a, wantN, wantP, wantA)
	}
}

// White wins also when a white and a black entry for one number are added at the same
// time: whichever goes first, the number ends up white (black first: white replaces
// it; white first: black fails with ErrConflict). The race is retried many times,
// since one try rarely interleaves badly.
func TestListsWhiteWinsConcurrentAdds(t *testing.T) {
	for i := range 5000 {
		l := NewLists()
		var wg sync.WaitGroup
		var blackErr, whiteErr error
		wg.Go(func() { blackErr = l.AddNumber(entry("+86110", ListBlack)) })
		wg.Go(func() { whiteErr = l.AddNumber(entry("+86110", ListWhite)) })
		wg.Wait()
		if whiteErr != nil {
			t.Fatalf("try %d: white add: %v", i, whiteErr)
		}
		if got := l.Number("+86110", listT0).List; got != ListWhite {
			t.Fatalf("try %d: +86110 is %v after concurrent white and black adds (black add err %v), want white", i, got, blackErr)
		}
	}
}

// bulkNumber and bulkAccount draw realistic-looking mobile numbers and bank accounts.
func bulkNumber(r *rand.Rand) string {
	return "+86" + strconv.Itoa(130+r.IntN(70)) + fmt.Sprintf("%08d", r.IntN(100_000_000))
}

func bulkAccount(r *rand.Rand) string {
	return "62" + fmt.Sprintf("%017d", r.Uint64()%100_000_000_000_000_000)
}

func TestListsBulkLoad(t *testing.T) {
	const n = 100_000 // numbers, and as many accounts: 200,000 entries
	r := rand.New(rand.NewPCG(1, 2))
	numbers := make(map[string]List, n)
	accounts := make(map[string]List, n)
	for len(numbers) < n {
		numbers[bulkNumber(r)] = List(1 + r.IntN(2)) // gray or black
	}
	for len(accounts) < n {
		accounts[bulkAccount(r)] = List(1 + r.IntN(2))
	}
	l := NewLists()
	l.Reserve(n, n)
	for v, list := range numbers {
		if err := l.AddNumber(Entry{Value: v, List: list, Source: "bulk"}); err != nil {
			t.Fatal(err)
		}
	}
	for v, list := range accounts {
		if err := l.AddAccount(Entry{Value: v, List: list, Source: "bulk"}); err != nil {
			t.Fatal(err)
		}
	}
	if gotN, _, gotA := l.Len(); gotN != n || gotA != n {
		t.Fatalf("Len = %d numbers, %d accounts; want %d each", gotN, gotA, n)
	}
	for v, list := range numbers {
		if got := l.Number(v, listT0).List; got != list {
			t.Fatalf("Number(%s) = %v, want %v", v, got, list)
		}
	}
	for v, list := range accounts {
		if got := l.Account(v, listT0).List; got != list {
			t.Fatalf("Account(%s) = %v, want %v", v, got, list)
		}
	}
	r = rand.New(rand.NewPCG(3, 4))
	for checked := 0; checked < 10_000; {
		if v := bulkNumber(r); numbers[v] == ListNone {
			if got := l.Number(v, listT0).List; got != ListNone {
				t.Fatalf("unlisted Number(%s) = %v", v, got)
			}
			checked++
		}
		if v := bulkAccount(r); accounts[v] == ListNone {
			if got := l.Account(v, listT0).List; got != ListNone {
				t.Fatalf("unlisted Account(%s) = %v", v, got)
			}
			checked++
		}
	}
}

func TestInterner(t *testing.T) {
	var in interner
	in.init()
	if id := in.id(""); id != 0 {
		t.Errorf(`id("") = %d, want 0`, id)
	}
	buf := []byte("reported: impersonating_police")
	a := in.id(unsafe.String(&buf[0], len(buf))) // as fiber hands out request strings
	b := in.id("desk")
	if a == b || a == 0 || b == 0 {
		t.Fatalf("ids %d, %d: want distinct and non-zero", a, b)
	}
	if again := in.id("reported: impersonating_police"); again != a {
		t.Errorf("id again = %d, want %d", again, a)
	}
	copy(buf, "XXXXXXXX")
	if s := in.str(a); s != "reported: impersonating_police" {
		t.Errorf("str(%d) = %q", a, s)
	}
	if s := in.str(1 << 30); s != "" {
		t.Errorf("str(unknown) = %q, want empty", s)
	}

	var wg sync.WaitGroup
	ids := make([][]uint32, 8)
	for g := range ids {
		wg.Go(func() {
			for i := range 100 {
				ids[g] = append(ids[g], in.id("s"+strconv.Itoa(i)))
			}
		})
	}
	wg.Wait()
	for g := range ids {
		if diff := cmp.Diff(ids[0], ids[g]); diff != "" {
			t.Fatalf("goroutine %d got other ids (-g0 +g):\n%s", g, diff)
		}
	}
	for i, id := range ids[0] {
		if s := in.str(id); s != "s"+strconv.Itoa(i) {
			t.Errorf("str(%d) = %q, want s%d", id, s, i)
		}
	}
}

var benchLists struct {
	once     sync.Once
	l        *Lists
	numbers  []string
	accounts []string
}

func listsForBench(b *testing.B) (*Lists, []string, []string) {
	b.Helper()
	benchLists.once.Do(func() {
		const n = 1_000_000
		r := rand.New(rand.NewPCG(5, 6))
		l := NewLists()
		l.Reserve(n, n)
		numbers := make([]string, 0, n)
		accounts := make([]string, 0, n)
		for i := range n {
			v := "+86" + strconv.Itoa(130+i%70) + fmt.Sprintf("%08d", i)
			if err := l.AddNumber(Entry{Value: v, List: ListBlack, Reason: "bench", Source: "bench"}); err != nil {
				panic(err)
			}
			numbers = append(numbers, v)
			a := bulkAccount(r)
			if err := l.AddAccount(Entry{Value: a, List: ListBlack, Reason: "bench", Source: "bench"}); err != nil {
				panic(err)
			}
			accounts = append(accounts, a)
		}
		for _, p := range []string{"+86162", "+86165", "+86167", "+86170", "+86171", "+855"} {
			if err := l.AddNumber(Entry{Value: p, Prefix: true, List: ListGray}); err != nil {
				panic(err)
			}
		}
		benchLists.l, benchLists.numbers, benchLists.accounts = l, numbers, accounts
	})
	return benchLists.l, benchLists.numbers, benchLists.accounts
}

func BenchmarkListsLookup(b *testing.B) {
	l, numbers, accounts := listsForBench(b)
	miss := make([]string, 1024)
	for i := range miss {
		miss[i] = fmt.Sprintf("+8613%09d", 900_000_000+i)
	}
	at := listT0
	b.Run("number", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if l.Number(numbers[i%len(numbers)], at).List != ListBlack {
				b.Fatal("miss")
			}
			i++
		}
	})
	b.Run("number_miss", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			l.Number(miss[i%len(miss)], at)
			i++
		}
	})
	b.Run("account", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if l.Account(accounts[i%len(accounts)], at).List != ListBlack {
				b.Fatal("miss")
			}
			i++
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := rand.IntN(len(numbers))
			for pb.Next() {
				l.Number(numbers[i%len(numbers)], at)
				l.Account(accounts[i%len(accounts)], at)
				i++
			}
		})
	})
}

func TestInternerOverflowsPastCOWLimit(t *testing.T) {
	var in interner
	in.init()
	ids := map[uint32]string{}
	for i := range cowLimit + 100 {
		s := fmt.Sprintf("reason %d", i)
		id := in.id(s)
		if prev, dup := ids[id]; dup {
			t.Fatalf("id %d given to %q and %q", id, prev, s)
		}
		ids[id] = s
		if in.id(s) != id {
			t.Fatalf("%q got a second id", s)
		}
	}
	for id, s := range ids {
		if got := in.str(id); got != s {
			t.Fatalf("str(%d) = %q, want %q", id, got, s)
		}
	}
}
