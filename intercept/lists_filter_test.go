package intercept

import (
	"fmt"
	"testing"
	"time"
)

// The filters in front of the list maps never hide an entry, as shards grow past
// what their filter was sized for and it is rebuilt, and keep no removed one.
func TestListsFilterExactThroughGrowthAndRemoval(t *testing.T) {
	l := NewLists()
	at := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	const n = 40_000 // ~156 per shard: each filter (64 keys at first) rebuilt twice
	number := func(i int) string { return fmt.Sprintf("+86139%08d", i) }
	account := func(i int) string { return fmt.Sprintf("62220200%08d", i) }
	long := func(i int) string { return fmt.Sprintf("GB29NWBK6016%014d", i) } // does not pack
	for i := range n {
		for _, err := range []error{
			l.AddNumber(Entry{Value: number(i), List: ListBlack, Reason: "test"}),
			l.AddAccount(Entry{Value: account(i), List: ListGray, Reason: "test"}),
			l.AddAccount(Entry{Value: long(i), List: ListBlack, Reason: "test"}),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := range l.numbers {
		if f := l.numbers[i].f.Load(); f.keys < len(l.numbers[i].m) {
			t.Fatalf("number shard %d: filter for %d keys holds %d", i, f.keys, len(l.numbers[i].m))
		}
		if f, sh := l.accounts[i].f.Load(), &l.accounts[i]; f.keys < len(sh.m)+len(sh.other) {
			t.Fatalf("account shard %d: filter for %d keys holds %d", i, f.keys, len(sh.m)+len(sh.other))
		}
	}
	for i := range n {
		if h := l.Number(number(i), at); h.List != ListBlack {
			t.Fatalf("%s: %v, want black", number(i), h.List)
		}
		if h := l.Account(account(i), at); h.List != ListGray {
			t.Fatalf("%s: %v, want gray", account(i), h.List)
		}
		if h := l.Account(long(i), at); h.List != ListBlack {
			t.Fatalf("%s: %v, want black", long(i), h.List)
		}
	}
	for i := range n / 2 {
		if _, err := l.RemoveNumber(number(i), false); err != nil {
			t.Fatal(err)
		}
		if _, err := l.RemoveAccount(account(i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		want := ListBlack
		if i < n/2 {
			want = ListNone
		}
		if h := l.Number(number(i), at); h.List != want {
			t.Fatalf("%s after removals: %v, want %v", number(i), h.List, want)
		}
		if h := l.Account(account(i), at); (h.List == ListGray) != (i >= n/2) {
			t.Fatalf("%s after removals: %v", account(i), h.List)
		}
	}
	// Numbers never added are not found, and the filter spares most of them the map.
	passed := 0
	for i := n; i < 2*n; i++ {
		if h := l.Number(number(i), at); h.List != ListNone {
			t.Fatalf("%s never added: %v", number(i), h.List)
		}
		k, _, _ := numberKey(number(i))
		if l.numbers[mix(k)%listShards].f.Load().has(mix(k)) {
			passed++
		}
	}
	if rate := float64(passed) / n; rate > 0.02 {
		t.Errorf("filters let %.3f of absent numbers through, want under 0.02", rate)
	}
}
