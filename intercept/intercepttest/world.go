package intercepttest

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/lanjie/lanjie/intercept"
)

// World is a synthetic city for benchmarks: listed numbers and accounts, customers
// with their phones and accounts, and a realistic mix of events. Everything is made
// up from a seed; no real person's number or account appears.
type World struct {
	ListedNumbers  []string
	ListedAccounts []string
	Customers      []Customer
	rng            *rand.Rand
	seq            int
	at             time.Time
}

// Customer is one synthetic bank customer.
type Customer struct {
	Phone, Account string
}

// ListedNumber returns the i-th synthetic listed number: overseas for one in four,
// else a national mobile number in a range no real customer here uses.
func ListedNumber(i int) string {
	if i%4 == 0 {
		return "+855" + pad(i, 9)
	}
	return "+86199" + pad(i, 8)
}

// ListedAccount returns the i-th synthetic listed account (19 digits).
func ListedAccount(i int) string { return "6228489" + pad(i, 12) }

func pad(i, n int) string {
	s := strconv.Itoa(i)
	for len(s) < n {
		s = "0" + s
	}
	return s
}

// NewWorld builds a world of numbers listed numbers and accounts listed accounts and
// loads them into lists, with customers ordinary customers.
func NewWorld(lists *intercept.Lists, numbers, accounts, customers int, seed uint64) (*World, error) {
	w := &World{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), at: T0}
	lists.Reserve(numbers, accounts)
	added := T0.Add(-30 * 24 * time.Hour)
	for i := range numbers {
		n := ListedNumber(i)
		if err := lists.AddNumber(intercept.Entry{Value: n, List: intercept.ListBlack, Reason: "reported scam number", Source: "report", Who: "bench", Added: added}); err != nil {
			return nil, fmt.Errorf("load number %d: %w", i, err)
		}
		if i < 1000 {
			w.ListedNumbers = append(w.ListedNumbers, n)
		}
	}
	for i := range accounts {
		a := ListedAccount(i)
		if err := lists.AddAccount(intercept.Entry{Value: a, List: intercept.ListBlack, Reason: "mule account", Source: "bank", Who: "bench", Added: added}); err != nil {
			return nil, fmt.Errorf("load account %d: %w", i, err)
		}
		if i < 1000 {
			w.ListedAccounts = append(w.ListedAccounts, a)
		}
	}
	for _, n := range []string{"+86110", "+8696110", "+8695588", "+8695599"} {
		if err := lists.AddNumber(intercept.Entry{Value: n, List: intercept.ListWhite, Reason: "official line", Source: "desk", Who: "bench"}); err != nil {
			return nil, fmt.Errorf("white-list %s: %w", n, err)
		}
	}
	for i := range customers {
		w.Customers = append(w.Customers, Customer{Phone: "+86138" + pad(i, 8), Account: "6222020" + pad(i, 12)})
	}
	return w, nil
}

// Events returns n events of the mix a city feed carries: 55% transfers, 30% calls,
// 10% SMS, under 1% reports, with a few percent touching listed numbers and accounts
// and a few scam-call-then-transfer sequences. Times advance 10 ms per event.
func (w *World) Events(n int) []*intercept.Event {
	evs := make([]*intercept.Event, 0, n)
	for len(evs) < n {
		evs = append(evs, w.next())
	}
	return evs
}

func (w *World) id(prefix string) string {
	w.seq++
	return prefix + strconv.Itoa(w.seq)
}

// customer returns a random customer with fresh copies of their strings, as a decoder
// would produce them: an event never shares its bytes with the world's tables, so a
// benchmark does not pay a cache miss to read an id the real server just decoded.
func (w *World) customer() Customer {
	c := w.Customers[w.rng.IntN(len(w.Customers))]
	return Customer{Phone: strings.Clone(c.Phone), Account: strings.Clone(c.Account)}
}

func (w *World) listedNumber() string {
	return strings.Clone(w.ListedNumbers[w.rng.IntN(len(w.ListedNumbers))])
}

func (w *World) listedAccount() string {
	return strings.Clone(w.ListedAccounts[w.rng.IntN(len(w.ListedAccounts))])
}

func (w *World) next() *intercept.Event {
	w.at = w.at.Add(10 * time.Millisecond)
	r := w.rng.IntN(1000)
	c := w.customer()
	switch {
	case r < 550: // transfer between customers, sometimes to a listed account
		payee := w.customer().Account
		if r < 15 {
			payee = w.listedAccount()
		}
		// Amounts are roughly exponential: most transfers are small, a few large.
		ev := Transfer(w.id("t-"), w.at, c.Account, c.Phone, payee, 10+int64(w.rng.ExpFloat64()*800))
		if r%3 == 0 {
			ev.PayerBalance, ev.HasBalance = ev.Amount*Fen(1+w.rng.IntN(10)), true
		}
		return ev
	case r < 850: // call, sometimes from a listed or overseas number
		caller := w.customer().Phone
		if r < 580 {
			caller = w.listedNumber()
		} else if r < 590 {
			caller = "+44" + pad(w.rng.IntN(1e9), 10)
		}
		ev := Call(w.id("c-"), w.at, caller, c.Phone)
		if r < 585 {
			ev.Origin = "international_gateway"
		}
		return ev
	case r < 950:
		caller := w.customer().Phone
		if r < 860 {
			caller = "+86170" + pad(w.rng.IntN(1e8), 8)
		}
		return SMS(w.id("s-"), w.at, caller, c.Phone, "您的快递已到，请凭取件码取件 http://t.example/x")
	case r < 955:
		return Report(w.id("r-"), w.at, c.Phone, []string{w.listedNumber()},
			[]string{w.listedAccount()})
	default: // a scam in progress: a large transfer to a mule account nobody knows yet
		// (mules receive; they are not customers who pay each other, so a stop on one
		// does not cascade through the city's ordinary accounts)
		mule := "6217000" + pad(w.rng.IntN(20000), 12)
		return Transfer(w.id("t-"), w.at, c.Account, c.Phone, mule, int64(5000+w.rng.IntN(50000)))
	}
}

// Fen is intercept.Fen, for brevity above.
type Fen = intercept.Fen
