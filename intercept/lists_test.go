package intercept

import (
	"errors"
	"testing"
	"time"

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
