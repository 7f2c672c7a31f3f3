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
