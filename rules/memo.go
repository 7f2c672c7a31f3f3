package rules

import (
	"time"

	"github.com/lanjie/lanjie/intercept"
)

// memo keeps what the rule functions looked up for the current event, so that rules
// asking the same question (five contact rules about one phone, two list rules about
// one payee, three first-time-payee rules) pay for one lookup. It is reset per event.
type memo struct {
	contactsOf string
	contactsOK bool
	contacts   []intercept.Contact

	lists  [4]listMemo
	nLists int

	counts  [4]countMemo
	nCounts int
}

type listMemo struct {
	account bool
	x       string
	hit     intercept.Hit
}

// countMemo caches one windowed count: fn names the function, x and y its arguments.
type countMemo struct {
	fn      string
	x, y    string
	minutes int
	n, sum  int
	payers  int
}

func (m *memo) reset() {
	m.contactsOK, m.nLists, m.nCounts = false, 0, 0
}

// contactsWithin returns the contacts of phone in the last d, fetched once per event
// over the whole horizon, each with its caller's current list in its tags.
func (e *Env) contactsWithin(phone string, d time.Duration) []intercept.Contact {
	m := &e.memo
	if !m.contactsOK || m.contactsOf != phone {
		m.contacts = e.st.Contacts(phone, e.At, e.st.Horizon(), ^uint32(0), m.contacts[:0])
		m.contactsOf, m.contactsOK = phone, true
	}
	from := e.At.Add(-d)
	e.contacts = e.contacts[:0]
	for _, c := range m.contacts {
		if !c.At.Before(from) {
			e.contacts = append(e.contacts, c)
		}
	}
	return e.contacts
}

func (e *Env) listHit(account bool, x string) intercept.Hit {
	m := &e.memo
	for i := range m.nLists {
		if l := &m.lists[i]; l.account == account && l.x == x {
			return l.hit
		}
	}
	var h intercept.Hit
	if account {
		h = e.st.Lists.Account(x, e.At)
	} else {
		h = e.st.Lists.Number(x, e.At)
	}
	if m.nLists < len(m.lists) {
		m.lists[m.nLists] = listMemo{account: account, x: x, hit: h}
		m.nLists++
	}
	return h
}

// count returns a memoised windowed count, computing it with f on a miss.
func (e *Env) count(fn, x, y string, minutes int, f func() countMemo) countMemo {
	m := &e.memo
	for i := range m.nCounts {
		if c := m.counts[i]; c.fn == fn && c.x == x && c.y == y && c.minutes == minutes {
			return c
		}
	}
	c := f()
	c.fn, c.x, c.y, c.minutes = fn, x, y, minutes
	if m.nCounts < len(m.counts) {
		m.counts[m.nCounts] = c
		m.nCounts++
	}
	return c
}
